#!/usr/bin/env bash
# t0115: waiting for a handshake slot never fails a host.  60 aliases of one
# sshd 60 ms of round trip away (the fault proxy's lag:30), all started at
# once (-f 60) with two handshakes at a time (--max-startups 2), a 3 s
# connect deadline and no retries: the last hosts wait far longer than 3 s
# for a slot, and every one succeeds, because the connect deadline starts
# when the TCP connect does, not when the host starts waiting.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd slots
start_faultproxy "0:127.0.0.1:$SSHD_PORT_SLOTS:lag:30"
add_aliases "$T/ssh_config" s 60 "$FP_PORT_1"
trust_host_keys "$FP_PORT_1"

start=$EPOCHREALTIME
SHOAL_TIMEOUT=120 run_shoal -F "$T/ssh_config" -w 's[01-60]' -f 60 --max-startups 2 \
    -t 3 --retries 0 --no-tui --json -- 'echo up'
secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
is "$RC" 0 "60 hosts behind --max-startups 2 with -t 3 --retries 0 all succeed"
is "$(grep -c '"status":"ok"' "$T/out")" 60 "60 ok results"
is "$(grep -c 'connect_timeout' "$T/out")" 0 "no host fails as connect_timeout"
# Else the test proves nothing: the last slot must come well after -t.
cmp_ok "${secs%.*}" -ge 6 "the run outlasts the connect deadline (${secs}s)"
diag "summary: $(tail -n 1 "$T/err")"
done_testing
