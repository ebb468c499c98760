#!/usr/bin/env bash
# t0364: a jump host whose connection breaks in the middle of a run (issue
# 15): its running targets end `lost`, naming it; a target still in its
# handshake through it is tried again (it did nothing wrong), and a target
# that starts afterwards gets a new session to the jump host.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd bastion "LogLevel VERBOSE"
start_sshd target
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_TARGET"
# The bastion's first connection can be reset on demand (the next ones relay);
# a target's key exchange stalls.
start_faultproxy "0:127.0.0.1:$SSHD_PORT_BASTION:cut,relay" "0:127.0.0.1:$SSHD_PORT_TARGET:kexstall"
fp=$FP_PID
add_alias "$T/ssh_config" cutb "$FP_PORT_1"
trust_host_keys "$FP_PORT_1" "$FP_PORT_2"
add_aliases "$T/ssh_config" x 2 "$SSHD_PORT_TARGET" "ProxyJump cutb"
add_alias "$T/ssh_config" stalled "$FP_PORT_2" "" "ProxyJump cutb"

# x01 runs, stalled sits in its key exchange, x02 waits for a worker.
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w 'x01,stalled,x02' -f 2 -r 1 --backoff 0.05,0.1 \
    --kex-timeout 3 -o "$T/o" -- 'echo started; sleep 4; echo done' >"$T/out" 2>"$T/err" </dev/null &
pid=$!
started() { grep -q 'x01: started' "$T/out"; }
wait_for 20 started || fail "x01 did not start: $(cat "$T/out" "$T/err")"
logins0=$(grep -c "Accepted publickey" "$T/bastion/log")
kill -USR1 "$fp"
ended() { ! running "$pid"; }
wait_for 40 ended || { fail "shoal still running 40 s after the jump host broke"; kill -KILL "$pid"; }
wait "$pid"
is "$?" 3 "exit 3"
like "$(cat "$T/o/x01.json")" '"error_kind":"lost","error":"via cutb: ' "x01 was running: lost, via cutb"
like "$(cat "$T/o/x01.json")" '"attempts":1,' "and not run again"
like "$(cat "$T/o/stalled.json")" '"attempt_errors":\[\{"error_kind":"lost","phase":"kex","error":"via cutb: .*during the kex phase' \
    "stalled was in its key exchange: its attempt ended lost via cutb"
like "$(cat "$T/o/stalled.json")" '"attempts":2,' "and it was tried again"
like "$(cat "$T/o/x02.json")" '"status":"ok"' "x02, started after the break, ran"
cmp_ok "$(grep -c "Accepted publickey" "$T/bastion/log")" -gt "$logins0" "through a new session to the jump host"

done_testing
