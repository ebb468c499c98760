#!/usr/bin/env bash
# t0001: the demo lab comes up, shoal runs on its 40 healthy aliases and its
# flaky ones (the reset host succeeds on a retry, the stalled one fails as
# banner_timeout), and 'down' leaves no process behind.
. "$(dirname "$0")/lib.sh"

lab=$T/lab
out=$(bash "$top_srcdir/tests/lab.sh" up "$lab" 2>&1)
like "$out" 'up in' "lab.sh up starts the lab"
like "$(bash "$top_srcdir/tests/lab.sh" up "$lab" 2>&1)" 'already up' "up again says it is already up"

run_shoal -F "$lab/ssh_config" -H "$top_srcdir/hosts/demo.hosts" -- 'echo $(id -un)'
is "$RC" 0 "shoal runs on the 40 demo hosts"
is "$(grep -c '^demo[0-4][0-9]: ' "$T/out")" 40 "each demo host answered"

run_shoal -F "$lab/ssh_config" -H "$top_srcdir/hosts/demo-flaky.hosts" --banner-timeout 1 --backoff 0.05,0.2 --json -- true
is "$RC" 3 "the flaky hosts make the run exit 3"
like "$(grep '"host":"flaky-reset"' "$T/out")" '"status":"ok".*"attempts":3' "flaky-reset succeeds on its third attempt"
like "$(grep '"host":"flaky-stall"' "$T/out")" '"error_kind":"banner_timeout"' "flaky-stall fails as banner_timeout"
is "$(grep -c '"host":"busy[0-9]*","user":"[^"]*","port":[0-9]*,"status":"ok"' "$T/out")" 20 "the 20 MaxStartups-limited hosts all succeed"

pids=$(cat "$lab"/*.pid)
bash "$top_srcdir/tests/lab.sh" down "$lab" >/dev/null
gone() { local p; for p in $pids; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
if wait_for 5 gone; then pass "lab.sh down stops every lab process"; else fail "left running: $pids"; fi
is "$(ls -d "$lab" 2>/dev/null)" "" "and removes the lab directory"
done_testing
