#!/usr/bin/env bash
# t0103: -u/--command-timeout kills the remote command: the host reports
# command_timeout (exit 3), and no remote process is left behind.
. "$(dirname "$0")/lib.sh"

lab_fleet h 3
marker="shoal-t0103-$$"

start=$(date +%s%N)
run_shoal -F "$T/ssh_config" -w 'h[01-03]' -u 1 --json -- "sleep 60 # $marker"
took=$((($(date +%s%N) - start) / 1000000))
is "$RC" 3 "a command timeout gives exit 3"
is "$(grep -c '"error_kind":"command_timeout"' "$T/out")" 3 "every host reports command_timeout"
if [ "$took" -lt 10000 ]; then pass "the run ends soon after the 1 s deadline ($took ms)"; else fail "took $took ms"; fi
gone() { ! pgrep -u "$LAB_USER" -f "$marker" >/dev/null; }
if wait_for 5 gone; then pass "no remote sleep is left running"; else fail "remote sleep still running: $(pgrep -a -u "$LAB_USER" -f "$marker")"; fi

run_shoal -F "$T/ssh_config" -w h01 -T -u 1 -- "sleep 60 # $marker-tty"
is "$RC" 3 "with a pty too"
if wait_for 5 gone; then pass "no remote sleep is left running after the pty is closed"; else fail "remote sleep still running"; fi

run_shoal -F "$T/ssh_config" -w h01 -u 5 -- 'echo quick'
is "$RC" 0 "a command that finishes in time is not touched"
done_testing
