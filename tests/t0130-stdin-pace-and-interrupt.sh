#!/usr/bin/env bash
# t0130: -I sends stdin at the channel's pace: 20 MB reach the command byte
# for byte within a gross limit (it took 31 s when each 32 kB waited 50 ms;
# ssh takes about 0.4 s here).  A Ctrl-C (SIGINT to shoal) in the middle of
# a long -I upload ends the run at once: exit 130, the host cancelled, and
# the remote reader killed (SIGINT was ignored while stdin still flowed).
# A command that ends without reading its stdin keeps its own status, as
# with ssh (it was reported as a channel failure).
. "$(dirname "$0")/lib.sh"

lab_fleet h 4
marker="shoal-t0130-$$"

head -c 20000000 /dev/urandom >"$T/in20"
want=$(md5sum <"$T/in20" | cut -d' ' -f1)
start=$(date +%s%N)
SHOAL_STDIN="$T/in20" run_shoal -F "$T/ssh_config" -w h01 -I -- 'md5sum | cut -d" " -f1'
took=$((($(date +%s%N) - start) / 1000000))
is "$RC" 0 "20 MB through -I"
is "$(cat "$T/out")" "h01: $want" "the command received the 20 MB byte for byte"
# Gross: 15 s leaves room for an ASan build on a loaded machine.
if [ "$took" -lt 15000 ]; then pass "in $took ms"; else fail "20 MB took $took ms"; fi

SHOAL_STDIN="$T/in20" run_shoal -F "$T/ssh_config" -w 'h[01-04]' -I -- 'exit 0'
is "$RC" 0 "a command that reads none of the 20 MB ends ok"
SHOAL_STDIN="$T/in20" run_shoal -F "$T/ssh_config" -w 'h[01-04]' -I -- 'head -c 10 >/dev/null; exit 4'
is "$(grep -c 'exit_nonzero: exited with status 4' "$T/err")" 4 "one that reads 10 bytes keeps its status"

# A slow reader: 64 kB every 50 ms, 20 MB would take 16 s or more.
reader="echo reading; while [ \"\$(dd bs=65536 count=1 2>/dev/null | wc -c)\" -gt 0 ]; do sleep 0.05; done # $marker"
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w h01 -I -- "$reader" <"$T/in20" >"$T/out" 2>"$T/err" &
pid=$!
reading() { grep -q 'h01: reading' "$T/out"; }
wait_for 20 reading || fail "the reader did not start: $(cat "$T/out" "$T/err")"
start=$(date +%s%N)
kill -INT $pid
stopped() { ! running $pid; }
if wait_for 5 stopped; then
    took=$((($(date +%s%N) - start) / 1000000))
    pass "shoal ended $took ms after SIGINT"
else
    fail "shoal still running 5 s after SIGINT"
    kill -KILL $pid
fi
wait $pid
is "$?" 130 "exit status 130"
like "$(tail -n 1 "$T/err")" 'failed 1 \(cancelled 1: h01\)' "the host is cancelled"
alive() { ps -u "$LAB_USER" -o stat=,args= | grep -v '^Z' | grep -q -- "$marker"; }
gone() { ! alive; }
if wait_for 5 gone; then pass "the remote reader is gone"; else fail "remote reader still running"; fi
done_testing
