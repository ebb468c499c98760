#!/usr/bin/env bash
# t0182: a keeper that does not answer (stopped with SIGSTOP) blocks no run.
# Each exchange with a keeper has a short deadline: a run of an unrelated
# host, and of a host the stopped keeper holds (connected afresh), take a
# few seconds, not forever, and -v names the keeper skipped; an interrupt
# while the keepers are asked ends the run at once.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "LogLevel INFO"
add_aliases "$T/ssh_config" h 4 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
keeper_lab
logins() { grep -c 'Accepted publickey' "$T/main/log"; }

for h in h01 h02 h03; do
    run_shoal -F "$T/ssh_config" --persist 60 -w "$h" -- true
done
is "$(keeper_pids | wc -l)" 3 "three runs of three hosts: three keepers"
kill -STOP $(keeper_pids)

export SHOAL_TIMEOUT=30
t0=$(date +%s%N)
run_shoal -F "$T/ssh_config" -v -w h04 -- echo RAN
ms=$((($(date +%s%N) - t0) / 1000000))
is "$RC" 0 "with three stopped keepers a run of another host succeeds"
cmp_ok "$ms" -lt 6000 "and ends in $ms ms (the keepers asked at once, each given 2 s), not when they wake"
diag "a run with three stopped keepers present: $ms ms"
is "$(grep -c "warm runs: keeper $XDG_RUNTIME_DIR/shoal/k-[0-9]*\\.sock did not answer in time; skipped" "$T/err")" 3 \
    "-v names each keeper skipped"

n=$(logins)
run_shoal -F "$T/ssh_config" -w h01 -- echo RAN
is "$RC" 0 "a host the stopped keeper holds runs"
is "$(logins)" "$((n + 1))" "connected afresh"

# An interrupt while the keepers are asked: the run ends at once.
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -v -w h04 -- echo RAN >"$T/out" 2>"$T/err" &
pid=$!
if wait_for 20 grep -q "did not answer in time" "$T/err"; then
    kill -INT "$pid"
    t0=$(date +%s%N)
    wait "$pid"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    is "$rc" 130 "interrupted while asking the keepers: exit 130"
    cmp_ok "$ms" -lt 1000 "it ended at once ($ms ms after the interrupt)"
else
    fail "the run never said it skipped a keeper"
    fail "the run never said it skipped a keeper"
    kill -KILL "$pid"
fi
unlike "$(cat "$T/out")" RAN "and ran nothing"

kill -CONT $(keeper_pids)
# Woken keepers answer again (on a loaded machine not at the very instant).
answered() {
    env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -v -w h04 -- true 2>&1 | grep -q "did not answer" && return 1
    return 0
}
wait_for 20 answered && pass "woken, the keepers answer" || fail "woken keepers still do not answer"
n=$(logins)
run_shoal -F "$T/ssh_config" -w 'h[01-03]' -- true
is "$(logins)" "$n" "woken, the keepers serve again"

# A keeper stopped while a command runs on its session: the keeper says 'h'
# each second of quiet, so the run notices the silence and ends the host
# `lost` (its command's end is unknown) instead of waiting for ever.
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w h01 -- 'echo started; sleep 60' \
    >"$T/out" 2>"$T/err" </dev/null &
pid=$!
if wait_for 20 grep -q "h01: started" "$T/out"; then
    logins_now=$(logins)
    keepers=$(keeper_pids | grep -vx "$pid") # the run itself is a shoal of this lab too
    kill -STOP $keepers
    t0=$(date +%s%N)
    wait_for 30 eval '! running "$pid"' || kill -KILL "$pid"
    wait "$pid"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    kill -CONT $keepers
    is "$rc" 3 "a keeper stopped mid-command: the run ends, exit 3"
    cmp_ok "$ms" -lt 20000 "within about 10 s of silence ($ms ms)"
    like "$(cat "$T/err")" "h01: lost .*said nothing for 10 s while the command ran" "h01 is lost, saying why"
    is "$(logins)" "$logins_now" "the started command was not run again on a fresh session"
else
    fail "the warm command never started: $(cat "$T/out" "$T/err")"
    kill -KILL "$pid"
fi
done_testing
