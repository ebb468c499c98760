#!/usr/bin/env bash
# t0306: a server whose SYNs are dropped (the fault proxy's blackhole: a full
# listen queue that is never accepted) is connect_timeout in the connecting
# phase, after -t seconds per attempt and --retries + 1 attempts; the run
# exits 3 while healthy hosts in the same run succeed.
. "$(dirname "$0")/lib.sh"

[ "$(cat /proc/sys/net/ipv4/tcp_abort_on_overflow 2>/dev/null)" = 0 ] ||
    skip_all "net.ipv4.tcp_abort_on_overflow is not 0: a full queue resets instead of dropping"
lab_user
lab_keys
start_sshd main
start_faultproxy "0:127.0.0.1:$SSHD_PORT_MAIN:blackhole"
add_alias "$T/ssh_config" hole "$FP_PORT_1"
add_aliases "$T/ssh_config" ok 3 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
json() { grep "\"host\":\"$1\"" "$T/out"; }

# The blackhole really hangs a TCP connect (else this test proves nothing).
if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$FP_PORT_1" 2>/dev/null; then
    BAIL_OUT "a TCP connect to the blackhole succeeded"
fi

start=$(date +%s%N)
run_shoal -F "$T/ssh_config" -w 'hole,ok[01-03]' -t 1 --retries 2 --backoff 0.1,0.2 --json -- 'echo up'
took=$((($(date +%s%N) - start) / 1000000))
is "$RC" 3 "exit status 3"
like "$(json hole)" '"error_kind":"connect_timeout"' "JSON says connect_timeout"
like "$(json hole)" '"attempts":3' "retried: --retries 2 makes 3 attempts"
like "$(json hole)" '"attempt_errors":\[\{"error_kind":"connect_timeout","phase":"connect",[^]]*\{"error_kind":"connect_timeout","phase":"connect"' "each failed attempt was connect_timeout in the connect phase"
like "$(json hole)" '"phases_ms":\{"connect":(29[0-9]{2}|3[0-9]{3}),"banner":0,' "about 3 x 1 s spent connecting"
like "$(cat "$T/err")" "hole: connect_timeout \(connecting phase, attempt 3/3\): no TCP connection to 127.0.0.1:$FP_PORT_1 within 1.0 s" "stderr names kind, phase, attempts and the deadline"
cmp_ok "$took" -ge 2900 "the run waited out 3 deadlines of 1 s ($took ms)"
cmp_ok "$took" -lt 6000 "and not much more: 3 x 1 s + backoff under 0.3 s"
is "$(grep -c '"status":"ok"' "$T/out")" 3 "the healthy hosts in the same run succeed"
like "$(json ok02)" '"stdout":"up\\n"' "and ran the command"

start=$(date +%s%N)
run_shoal -F "$T/ssh_config" -w hole --connect-timeout 0.5 --retries 0 --json -- true
took=$((($(date +%s%N) - start) / 1000000))
like "$(json hole)" '"error_kind":"connect_timeout".*"attempts":1' "--retries 0: one attempt"
cmp_ok "$took" -lt 3000 "--connect-timeout 0.5 is honoured, not the default 10 s ($took ms)"
done_testing
