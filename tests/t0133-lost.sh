#!/usr/bin/env bash
# t0133: liveness in the running phase (SPEC section 3).  A host that stops
# answering in the middle of its command (the fault proxy freezes the
# connection) ends as `lost` after ServerAliveCountMax unanswered keepalives,
# never a hang; a connection that breaks (reset) ends as `lost` at once;
# neither is retried (the command may have run).  A quiet command whose
# server answers the keepalives is left alone; a host lost while -I stdin is
# still waiting for the window is lost all the same.  Keepalives every 1 s,
# 2 unanswered, from ssh_config's ServerAliveInterval and ServerAliveCountMax
# (shoal's defaults where it names none are 15 s and 3).
. "$(dirname "$0")/lib.sh"

lab_fleet h 1
m=127.0.0.1:$SSHD_PORT_MAIN
start_faultproxy "0:$m:freeze" "0:$m:cut" "0:$m:relay"
fp1=$FP_PID
add_alias "$T/ssh_config" frozen "$FP_PORT_1"
add_alias "$T/ssh_config" broken "$FP_PORT_2"
add_alias "$T/ssh_config" quiet "$FP_PORT_3"
trust_host_keys "$FP_PORT_1" "$FP_PORT_2" "$FP_PORT_3"
{
    echo "Host *"
    echo "    ServerAliveInterval 1"
    echo "    ServerAliveCountMax 2"
} >>"$T/ssh_config"

# started FILE N: N hosts printed "started" in FILE.
started() { [ "$(grep -c started "$1")" -ge "$2" ]; }

env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w frozen,broken -o "$T/o" -- \
    'echo started; sleep 100' >"$T/out" 2>"$T/err" </dev/null &
pid=$!
wait_for 20 started "$T/out" 2 || fail "the commands did not start: $(cat "$T/out" "$T/err")"
start=$(date +%s%N)
kill -USR1 "$fp1"
ended() { ! running "$1"; }
# Gross: 1 s x (2 + 1) to give up, with room for a loaded machine.
if wait_for 30 ended $pid; then
    took=$((($(date +%s%N) - start) / 1000000))
    if [ "$took" -lt 15000 ]; then pass "both hosts given up $took ms after the freeze"; else
        fail "giving up took $took ms"
    fi
else
    fail "shoal still running 30 s after the hosts went silent"
    kill -KILL $pid
fi
wait $pid
is "$?" 3 "a lost host counts as unreached: exit 3"
for h in frozen broken; do
    like "$(cat "$T/o/$h.json")" '"error_kind":"lost"' "$h: lost"
    like "$(cat "$T/o/$h.json")" '"attempts":1,' "$h: not retried"
done
like "$(cat "$T/err")" 'frozen: lost \(running phase.*\): no answer to 2 keepalives in 3 s' \
    "the message says what went unanswered"
like "$(cat "$T/err")" 'broken: lost \(running phase.*\): connection lost' \
    "a reset says the connection was lost"

# A quiet command on a live host: its server answers the keepalives.
run_shoal -F "$T/ssh_config" -w quiet -- 'sleep 5; echo done'
is "$RC" 0 "a command silent for 5 s is not lost while its server answers"
is "$(cat "$T/out")" "quiet: done" "and runs to its end"

# Frozen while stdin waits for the window (the command does not read it).
start_faultproxy "0:$m:freeze"
add_alias "$T/ssh_config" frozen2 "$FP_PORT_1"
trust_host_keys "$FP_PORT_1"
head -c 8000000 /dev/zero >"$T/in"
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w frozen2 -I -- 'echo started; sleep 100' \
    <"$T/in" >"$T/out" 2>"$T/err" &
pid=$!
wait_for 20 started "$T/out" 1 || fail "the command did not start: $(cat "$T/out" "$T/err")"
kill -USR1 "$FP_PID"
if wait_for 30 ended $pid; then pass "-I: shoal ended"; else
    fail "-I: shoal still running 30 s after the host went silent"
    kill -KILL $pid
fi
wait $pid
is "$?" 3 "-I: exit 3"
like "$(tail -n 1 "$T/err")" 'failed 1 \(lost 1: frozen2\)' "-I: the host is lost"
done_testing
