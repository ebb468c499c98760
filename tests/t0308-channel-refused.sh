#!/usr/bin/env bash
# t0308: a server that authenticates but refuses the session channel
# (sshd's MaxSessions 0) is 'channel' in the running phase: never retried
# (the command may have started somewhere), exit 3, and healthy hosts in the
# same run succeed.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
start_sshd nosess "MaxSessions 0"
add_alias "$T/ssh_config" nosess "$SSHD_PORT_NOSESS"
add_aliases "$T/ssh_config" ok 2 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN" "$SSHD_PORT_NOSESS"
json() { grep "\"host\":\"$1\"" "$T/out"; }

# sshd itself refuses a session there (else this test proves nothing).
out=$(ssh -F none -o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" -i "$T/id_ed25519" \
    -p "$SSHD_PORT_NOSESS" "$LAB_USER@127.0.0.1" true 2>&1 </dev/null)
like "$out" 'open failed' "OpenSSH's ssh is refused a session channel by MaxSessions 0"

run_shoal -F "$T/ssh_config" -w 'nosess,ok[01-02]' --retries 3 --backoff 0.05,0.1 --json -- 'echo up'
is "$RC" 3 "exit status 3"
like "$(json nosess)" '"error_kind":"channel"' "JSON says channel"
like "$(json nosess)" '"attempts":1,"attempt_errors":\[\]' "never retried, with --retries 3"
like "$(json nosess)" '"exit_code":null' "no exit code"
like "$(json nosess)" '"auth":[0-9]+,"run":[0-9]+' "it got through authentication first"
like "$(cat "$T/err")" 'nosess: channel \(running phase, attempt 1\)' "stderr: channel, running phase, attempt 1"
is "$(grep -c '"status":"ok"' "$T/out")" 2 "the healthy hosts in the same run succeed"
like "$(cat "$T/err")" 'channel 1: nosess' "the summary counts it under channel"
done_testing
