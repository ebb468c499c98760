#!/usr/bin/env bash
# t0106: SIGINT during a run of `sleep 60` on 10 hosts: shoal kills the
# remote commands, prints the summary, exits 130 within 2 s, and no remote
# sleep is left.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
add_aliases "$T/ssh_config" h 10 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
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
done_testing
