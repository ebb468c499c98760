#!/usr/bin/env bash
# t0301: a closed port is reported as 'refused' in the connecting phase,
# retried --retries times, and the run exits 3; a name that does not resolve
# is 'resolve', not retried, and fails fast even with no network.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
port=$(free_port)
add_alias "$T/ssh_config" closed "$port"

run_shoal -F "$T/ssh_config" -w closed --retries 2 --backoff 0.01,0.02 --json -- true
is "$RC" 3 "exit status 3"
like "$(cat "$T/err")" "closed: refused \(connecting phase, attempt 3/3\)" "refused, connecting phase, after 3 attempts"
like "$(cat "$T/out")" '"error_kind":"refused"' "JSON says refused"
like "$(cat "$T/out")" '"attempts":3' "JSON counts 3 attempts"
like "$(cat "$T/out")" '"exit_code":null' "no exit code"

run_shoal -F "$T/ssh_config" -w closed --retries 0 -- true
like "$(cat "$T/err")" "attempt 1/1" "--retries 0 makes one attempt"

# A name lookup would ask the resolver of resolv.conf, off this machine:
# look it up with no network at all instead, which must fail fast too.
if offline_ok; then
    start=$(date +%s%N)
    SHOAL_OFFLINE=1 run_shoal -F none -w nosuch.invalid -- true
    took=$((($(date +%s%N) - start) / 1000000))
    is "$RC" 3 "a name that does not resolve gives 3"
    like "$(cat "$T/err")" "nosuch.invalid: resolve \(connecting phase, attempt 1\)" "resolve is permanent: one attempt"
    cmp_ok "$took" -lt 3000 "and fails fast with no network ($took ms)"
else
    skip "resolve: no network namespace to look a name up without network"
fi
done_testing
