#!/usr/bin/env bash
# t0313: a host far away works, only slower: through the fault proxy's
# lag:100 (every chunk held 100 ms each way, a 200 ms round trip) shoal runs
# a command with the right output and exit status; the run takes clearly
# longer than through a plain relay (the handshake alone is several round
# trips); and 1,000,000 bytes of output arrive complete however many round
# trips of channel window they need.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
t=127.0.0.1:$SSHD_PORT_MAIN
start_faultproxy "0:$t:lag:100" "0:$t:relay"
add_alias "$T/ssh_config" far "$FP_PORT_1"
add_alias "$T/ssh_config" near "$FP_PORT_2"
trust_host_keys "$FP_PORT_1" "$FP_PORT_2"

# secs_since START: seconds (3 decimals) from START ($EPOCHREALTIME) to now.
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

# The plain run: the fastest of three, so a load spike on one run cannot
# make the difference below look small.
near=
for _ in 1 2 3; do
    start=$EPOCHREALTIME
    run_shoal -F "$T/ssh_config" -w near -- "echo near-\$((6 * 7))"
    took=$(secs_since "$start")
    [ "$RC" = 0 ] || break
    if [ -z "$near" ] || awk -v a="$took" -v b="$near" 'BEGIN { exit !(a < b) }'; then near=$took; fi
done
is "$RC" 0 "through the plain relay shoal runs"
is "$(cat "$T/out")" "near: near-42" "with its output"

start=$EPOCHREALTIME
run_shoal -F "$T/ssh_config" -w far -- "echo far-\$((6 * 7)); exit 0"
far=$(secs_since "$start")
is "$RC" 0 "through lag:100 shoal runs and exits 0"
is "$(cat "$T/out")" "far: far-42" "with the right output"
# At 200 ms a round trip the handshake alone (key exchange, service request,
# two publickey rounds, channel open, exec) costs 1.2 s or more: 0.8 s more
# than the plain run is a gross bound.
diag "plain relay $near s (best of 3), lag:100 $far s"
cmp_ok "$(awk -v a="$far" -v b="$near" 'BEGIN { printf "%.3f", a - b }')" '>=' 0.8 \
    "the lagged run takes at least 0.8 s longer"

run_shoal -F "$T/ssh_config" -w far -o "$T/o" -- "head -c 1000000 /dev/zero | tr '\\0' x"
is "$RC" 0 "1,000,000 bytes of output through lag:100: exit 0"
is "$(tr -cd x <"$T/out" | wc -c)" 1000000 "every byte arrives on stdout"
is "$(wc -c <"$T/o/far.out")" 1000000 "and in the -o file, not one more"
is "$(tr -d x <"$T/o/far.out" | wc -c)" 0 "all of them x"
done_testing
