#!/usr/bin/env bash
# t0307: a real sshd whose authentication stalls (its AuthorizedKeysCommand,
# say an LDAP lookup, hangs) is auth_timeout in the auth phase after
# --auth-timeout, retried --retries times, exit 3, while healthy hosts in the
# same run succeed; a server that hangs up in the middle of authentication
# (LoginGraceTime) ends the host at once, not at the deadline: libssh 0.10's
# endless SSH_AUTH_AGAIN cannot hang shoal.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "sshd runs an AuthorizedKeysCommand only when root"
lab_user
lab_keys

# sshd runs the command only from a root-owned path that no one else may
# write, every directory up to /: $T is under the world-writable /tmp.
akc=$(mktemp -d /run/shoal-t0307.XXXXXX) || BAIL_OUT "mktemp in /run failed"
at_exit rm -rf "$akc"
chmod 755 "$akc"
printf '#!/bin/sh\n# shoal test %s: authentication that never answers\nexec sleep 300\n' "$T" >"$akc/keys"
chmod 755 "$akc/keys"

start_sshd main
start_sshd stuck "AuthorizedKeysCommand $akc/keys %u" "AuthorizedKeysCommandUser $LAB_USER" \
    "AuthorizedKeysFile none"
start_sshd grace "AuthorizedKeysCommand $akc/keys %u" "AuthorizedKeysCommandUser $LAB_USER" \
    "AuthorizedKeysFile none" "LoginGraceTime 1"
add_alias "$T/ssh_config" stuck "$SSHD_PORT_STUCK"
add_alias "$T/ssh_config" grace "$SSHD_PORT_GRACE"
add_aliases "$T/ssh_config" ok 3 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN" "$SSHD_PORT_STUCK" "$SSHD_PORT_GRACE"
json() { grep "\"host\":\"$1\"" "$T/out"; }

# libssh 0.10.6 leaks the key of its public-key auth state (ssh_free frees
# only the state) when auth is abandoned in the middle: those runs tolerate
# leaks inside libssh.
{ cat "$top_srcdir/tests/lsan.supp"; echo 'leak:libssh.so'; } >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0"

start=$(date +%s%N)
run_shoal -F "$T/ssh_config" -w 'stuck,ok[01-03]' --auth-timeout 1 --retries 1 --backoff 0.1,0.2 \
    --json -- 'echo up'
took=$((($(date +%s%N) - start) / 1000000))
is "$RC" 3 "exit status 3" || diag "$(cat "$T/err")"
like "$(json stuck)" '"error_kind":"auth_timeout"' "JSON says auth_timeout"
like "$(json stuck)" '"attempts":2' "retried: --retries 1 makes 2 attempts"
like "$(json stuck)" '"attempt_errors":\[\{"error_kind":"auth_timeout","phase":"auth"' "the first attempt failed the same way, in the auth phase"
like "$(json stuck)" '"auth":(19[0-9]{2}|2[0-9]{3}),"run":0' "about 2 x 1 s spent authenticating"
like "$(cat "$T/err")" 'stuck: auth_timeout \(auth phase, attempt 2/2\): authentication did not finish within 1.0 s' "stderr names kind, phase, attempts and the deadline"
cmp_ok "$took" -lt 8000 "--auth-timeout 1 is honoured, not the default 30 s ($took ms)"
is "$(grep -c '"status":"ok"' "$T/out")" 3 "the healthy hosts in the same run succeed"

start=$(date +%s%N)
run_shoal -F "$T/ssh_config" -w grace --auth-timeout 30 --retries 0 --json -- true
took=$((($(date +%s%N) - start) / 1000000))
is "$RC" 3 "a server that hangs up during auth gives exit 3"
cmp_ok "$took" -lt 10000 "when the server hangs up (LoginGraceTime 1), not at the 30 s deadline ($took ms)"
like "$(cat "$T/err")" 'grace: (auth_denied \(auth phase, attempt 1|auth_timeout \(auth phase, attempt 1/1)\)' "reported in the auth phase"
done_testing
