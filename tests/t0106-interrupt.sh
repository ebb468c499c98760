#!/usr/bin/env bash
# t0106: SIGINT during a run of `sleep 60` on 10 hosts: shoal kills the
# remote commands, prints the summary, exits 130 within 2 s, and no remote
# sleep is left; a second SIGINT exits at once; on a terminal, escape
# sequences from hosts are shown escaped.
. "$(dirname "$0")/lib.sh"

lab_fleet h 10
marker="shoal-t0106-$$"

"$SHOAL" -F "$T/ssh_config" -w 'h[01-10]' -- "echo started; sleep 60 # $marker" >"$T/out" 2>"$T/err" </dev/null &
pid=$!
all_started() { [ "$(grep -c started "$T/out")" -eq 10 ]; }
wait_for 20 all_started || fail "not every host started: $(cat "$T/out" "$T/err")"
start=$(date +%s%N)
kill -INT $pid
wait $pid
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
is "$rc" 130 "SIGINT gives exit 130"
if [ "$took" -lt 2000 ]; then pass "shoal ended $took ms after SIGINT"; else fail "shoal took $took ms to end"; fi
like "$(tail -n 1 "$T/err")" 'failed 10 \(cancelled 10: h\[01-10\]\)' "the summary says cancelled"
gone() { ! pgrep -u "$LAB_USER" -f "$marker" >/dev/null; }
if wait_for 5 gone; then pass "no remote sleep left"; else fail "remote sleep still running"; fi

# A second SIGINT ends shoal at once, even while the first is being handled.
# Its own output file: the first run's ten "started" lines made the wait end
# before this shoal had even set its handler, so both signals were ignored
# (a background job of a script starts with SIGINT ignored) and -u ended it.
"$SHOAL" -F "$T/ssh_config" -w 'h[01-10]' -u 30 -- "echo started; sleep 60 # $marker" >"$T/out2" 2>"$T/err2" </dev/null &
pid=$!
all_started2() { [ "$(grep -c started "$T/out2" 2>/dev/null)" -eq 10 ]; }
wait_for 20 all_started2 || fail "not every host started"
kill -INT $pid
kill -INT $pid
wait $pid
is "$?" 130 "a second SIGINT exits 130 at once"
# The first one's remote kills may not have left; clean up for the next test.
pkill -u "$LAB_USER" -f "$marker" 2>/dev/null

# Bytes from hosts reach a terminal escaped in plain output too (the view: t0401).
if command -v script >/dev/null; then
    timeout 60 script -qec "env -u SSH_AUTH_SOCK '$SHOAL' --no-tui -F '$T/ssh_config' -w h01 -- 'printf \"x\\033[2Jy\\n\"'" /dev/null >"$T/tty" 2>&1 </dev/null
    like "$(cat "$T/tty")" 'h01: x\\x1b\[2Jy' "on a terminal ESC is shown as \\x1b"
    unlike "$(cat "$T/tty")" $'\x1b\\[2J' "and never sent raw"
else
    pass "# SKIP script(1) is not installed"
fi
done_testing
