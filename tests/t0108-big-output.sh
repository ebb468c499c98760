#!/usr/bin/env bash
# t0108: nothing a host sends is lost or cut: 20 hosts each print about 8 MB
# on stdout and 1 MB on stderr; -o files, prefixed lines and JSON all carry
# the exact bytes (checked by checksum). A reader that goes away (| head)
# ends shoal quietly and quickly.
. "$(dirname "$0")/lib.sh"

lab_fleet h 20
cmd='seq 1 1200000; head -c 1000000 /dev/zero | tr "\0" e >&2'
out_sum=$(seq 1 1200000 | md5sum | cut -d' ' -f1)
err_sum=$(head -c 1000000 /dev/zero | tr '\0' e | md5sum | cut -d' ' -f1)

SHOAL_TIMEOUT=120 run_shoal -F "$T/ssh_config" -w 'h[01-20]' -o "$T/o" -- "$cmd"
is "$RC" 0 "20 hosts x 9 MB run"
bad=0
for i in $(seq -w 1 20); do
    [ "$(md5sum <"$T/o/h$i.out" | cut -d' ' -f1)" = "$out_sum" ] || bad=$((bad + 1))
    [ "$(md5sum <"$T/o/h$i.err" | cut -d' ' -f1)" = "$err_sum" ] || bad=$((bad + 1))
done
is "$bad" 0 "every -o file holds the exact bytes (40 checksums)"
bad=0
for i in $(seq -w 1 20); do
    [ "$(grep "^h$i: " "$T/out" | cut -d' ' -f2- | md5sum | cut -d' ' -f1)" = "$out_sum" ] || bad=$((bad + 1))
done
is "$bad" 0 "the prefixed stdout lines of every host reassemble its exact output"
is "$(wc -l <"$T/out")" 24000000 "no line lost, split or merged (20 x 1.2 M lines)"

SHOAL_TIMEOUT=120 run_shoal -F "$T/ssh_config" -w 'h[01-05]' --json -- "$cmd"
is "$RC" 0 "--json runs"
bad=0
while IFS= read -r line; do
    [ "$(jq -j .stdout <<<"$line" | md5sum | cut -d' ' -f1)" = "$out_sum" ] || bad=$((bad + 1))
    [ "$(jq -j .stderr <<<"$line" | md5sum | cut -d' ' -f1)" = "$err_sum" ] || bad=$((bad + 1))
done <"$T/out"
is "$bad" 0 "every JSON object carries both streams exactly"

start=$(date +%s%N)
env -u SSH_AUTH_SOCK timeout 30 "$SHOAL" -F "$T/ssh_config" -w 'h[01-05]' -- 'seq 1 5000000' 2>"$T/err" </dev/null | head -n 2 >"$T/out"
rc=${PIPESTATUS[0]}
took=$((($(date +%s%N) - start) / 1000000))
is "$(wc -l <"$T/out")" 2 "| head gets its lines"
is "$rc" 141 "then shoal ends by SIGPIPE, like any filter"
if [ "$took" -lt 5000 ]; then pass "at once ($took ms)"; else fail "took $took ms"; fi
is "$(cat "$T/err")" "" "quietly"
done_testing
