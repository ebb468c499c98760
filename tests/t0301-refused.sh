#!/usr/bin/env bash
# t0301: a closed port is reported as 'refused' in the connecting phase,
# retried --retries times, and the run exits 3.
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

run_shoal -F none -w nosuch.invalid -- true
is "$RC" 3 "a name that does not resolve gives 3"
like "$(cat "$T/err")" "nosuch.invalid: resolve \(connecting phase, attempt 1/4\)" "resolve is permanent: one attempt"
done_testing
