#!/usr/bin/env bash
# t0121: the live view keeps big output without holding it in memory, and
# stays responsive: two hosts each print a million lines on stdout and 30 MB
# without a newline on stderr; a host's page opens at once, End reaches its
# last line, a search finds a line deep in it, shoal's peak RSS stays far
# below the output, and when the view closes every byte is printed.
. "$(dirname "$0")/lib.sh"

lab_fleet h 2
size=30000000
out_sum=$(seq 1 1000000 | md5sum | cut -d' ' -f1)
err_sum=$(head -c $size /dev/zero | tr '\0' x | md5sum | cut -d' ' -f1)
bound=48000
if grep -q -- '--enable-asan' "$top_builddir/config.status" 2>/dev/null; then
    bound=100000 # measured 69 MB
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
fi

term_start 120 40 "TMPDIR='$T' /usr/bin/time -f %M -o '$T/rss' '$SHOAL' --tui --hold -F '$T/ssh_config' \
    -w 'h[01-02]' -- 'seq 1 1000000; head -c $size /dev/zero | tr \"\\\\0\" x >&2' \
    >'$T/out' 2>'$T/err'"
term_wait 120 'ok 2  failed 0' && pass "two hosts x (1 M lines + 30 MB without a newline) end"

term_keys g Enter
term_wait 10 '^----- stdout \(6888896 bytes\)' && pass "Enter opens the page of a host with 1 M lines"
like "$(term_screen)" '^1$' "its first line"
term_keys G
term_wait 10 '^----- stderr \(30000000 bytes\)' && pass "End goes to the last rows"
like "$(term_screen)" '^1000000$' "the last stdout line is there"
like "$(term_screen)" '^x{100}' "and the 30 MB line, cut to the screen"
term_keys Escape
term_wait 3 'filter: all' && pass "Esc goes back to the list"

term_keys /
term_type '(?m)^999999$'
term_keys Enter
term_wait 20 'search: /\(\?m\)\^999999\$/ \(2\)' && pass "a search finds a line deep in both hosts"

term_keys q
term_done 120 && pass "q leaves"
is "$TERM_RC" 0 "exit status 0"
rss=$(tail -n 1 "$T/rss" 2>/dev/null)
[[ "$rss" =~ ^[0-9]+$ ]] || rss=999999999
cmp_ok "$rss" -lt "$bound" "peak RSS ${rss} kB (the output is 74 MB; it held 140 MB)"
bad=0
for i in 01 02; do
    [ "$(grep "^h$i: " "$T/out" | cut -d' ' -f2- | md5sum | cut -d' ' -f1)" = "$out_sum" ] ||
        bad=$((bad + 1))
    [ "$(grep "^h$i: " "$T/err" | sed "s/^h$i: //" | tr -d '\n' | md5sum | cut -d' ' -f1)" = "$err_sum" ] ||
        bad=$((bad + 1))
done
is "$bad" 0 "after the view, both streams of both hosts are printed exactly"
done_testing
