#!/usr/bin/env bash
# tests/bench/load.sh - hosts lost under load (issue 24): 2,000 aliases over
# three sshd with MaxStartups 10:30:60, `echo ok` at fanout 1024, default
# retries, the live view off.  Prints, per round, the wall time and the
# hosts lost (not ok) with their error kinds.  Run by hand:
#   bash tests/bench/load.sh [ROUNDS]          (default 1)
# SHOAL names the shoal to measure (default: build/src/shoal);
# SHOAL_BENCH_HOSTS another host count, SHOAL_BENCH_FANOUT another fanout.
set -u
rounds=${1:-1}
hosts=${SHOAL_BENCH_HOSTS:-2000}
fanout=${SHOAL_BENCH_FANOUT:-1024}
. "$(dirname "$0")/../lib.sh"
lab_user
lab_keys
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ports=()
for n in a b c; do
    start_sshd "load$n" "MaxStartups 10:30:60" "MaxSessions 10"
    v=SSHD_PORT_LOAD${n^^}
    ports+=("${!v}")
done
trust_host_keys "${ports[@]}"
for ((i = 1; i <= hosts; i++)); do
    printf -v a 'h%04d' "$i"
    add_alias "$T/ssh_config" "$a" "${ports[i % 3]}"
done
for ((r = 1; r <= rounds; r++)); do
    start=$EPOCHREALTIME
    SHOAL_TIMEOUT=900 run_shoal -F "$T/ssh_config" -w "h[0001-$(printf %04d "$hosts")]" \
        -f "$fanout" --no-tui --json -- 'echo ok'
    secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    ok=$(grep -c '"status":"ok"' "$T/out")
    kinds=$(grep -v '"status":"ok"' "$T/out" | grep -o '"kind":"[a-z_]*"' | cut -d'"' -f4 |
        sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }')
    echo "round $r: $hosts hosts, fanout $fanout: ${secs}s, lost $((hosts - ok))${kinds:+ ($kinds)}"
    echo "  summary: $(tail -n 1 "$T/err")"
done
done_testing >/dev/null
