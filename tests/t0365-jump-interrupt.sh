#!/usr/bin/env bash
# t0365: an interrupt ends a run through jump hosts at once (exit 130):
# targets waiting for a jump host that is still connecting, and targets
# running through a jump session, whose relay threads are then ended.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd bastion
start_sshd target
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_TARGET"
start_faultproxy "0:127.0.0.1:$SSHD_PORT_BASTION:stall"
add_alias "$T/ssh_config" bastion "$SSHD_PORT_BASTION"
add_alias "$T/ssh_config" stalled "$FP_PORT_1"
add_aliases "$T/ssh_config" w 4 "$SSHD_PORT_TARGET" "ProxyJump stalled"
add_aliases "$T/ssh_config" r 4 "$SSHD_PORT_TARGET" "ProxyJump bastion"

# interrupt_after PATTERN: start shoal on $hosts, wait for PATTERN in its
# output, SIGINT it; sets took (ms from the signal to its end) and rc.
interrupt_after() {
    env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w "$hosts" --banner-timeout 60 -- \
        'echo started; sleep 60' >"$T/out" 2>"$T/err" </dev/null &
    local pid=$! start
    wait_for 20 grep -q "$1" "$T/out" "$T/err" || fail "never saw /$1/: $(cat "$T/out" "$T/err")"
    start=$(date +%s%N)
    kill -INT "$pid"
    ended() { ! running "$pid"; }
    wait_for 20 ended || { fail "shoal still running 20 s after SIGINT"; kill -KILL "$pid"; }
    took=$((($(date +%s%N) - start) / 1000000))
    wait "$pid"
    rc=$?
}

hosts='w[01-04]'
# -vv says when an attempt begins: by then the targets wait for the jump host.
env -u SSH_AUTH_SOCK "$SHOAL" -vv -F "$T/ssh_config" -w "$hosts" --banner-timeout 60 -- true \
    >"$T/out" 2>"$T/err" </dev/null &
pid=$!
wait_for 20 grep -q 'w04: attempt' "$T/err" || fail "the targets never started: $(cat "$T/err")"
sleep 0.5
start=$(date +%s%N)
kill -INT "$pid"
ended() { ! running "$pid"; }
wait_for 20 ended || { fail "shoal still running 20 s after SIGINT"; kill -KILL "$pid"; }
took=$((($(date +%s%N) - start) / 1000000))
wait "$pid"
is "$?" 130 "interrupted while its jump host connects: exit 130"
cmp_ok "$took" -lt 5000 "at once ($took ms)"
like "$(cat "$T/err")" 'cancelled 4' "the four targets are cancelled"

hosts='r[01-04]'
interrupt_after started
is "$rc" 130 "interrupted while running through a jump session: exit 130"
cmp_ok "$took" -lt 5000 "at once ($took ms)"
like "$(cat "$T/err")" 'cancelled 4' "the four targets are cancelled"

done_testing
