#!/usr/bin/env bash
# t0120: no host can exhaust shoal's memory: 3 hosts each print 50 MB without
# a newline, and in every output mode (prefixed lines, --json, --gather,
# --inline, -o) shoal's peak RSS stays far below the output, while every byte
# still arrives (checked by checksum): a long line goes out in pieces of
# 64 KiB, held streams spill to a temporary file.
. "$(dirname "$0")/lib.sh"

lab_fleet h 3
size=50000000
cmd="head -c $size /dev/zero | tr '\\0' x"
want=$(head -c $size /dev/zero | tr '\0' x | md5sum | cut -d' ' -f1)
want_nl=$( (head -c $size /dev/zero | tr '\0' x; echo) | md5sum | cut -d' ' -f1)

# The bound: what a 64 MB figure for 10 x 200 MB allows, and far below the 150
# MB of output.  An ASan build keeps freed memory in quarantine and shadow
# memory beside the heap: a smaller quarantine, and a bound still well below
# the output.
bound=48000
if grep -q -- '--enable-asan' "$top_builddir/config.status" 2>/dev/null; then
    bound=110000
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
fi

# run_timed ARGS...: shoal under /usr/bin/time; peak RSS (kB) in $RSS.
run_timed() {
    env -u SSH_AUTH_SOCK TMPDIR="${SPOOL_DIR:-$T}" timeout --foreground -k 2 300 \
        /usr/bin/time -f %M -o "$T/rss" "$SHOAL" -F "$T/ssh_config" -w 'h[01-03]' "$@" -- "$cmd" \
        </dev/null >"$T/out" 2>"$T/err"
    RC=$?
    RSS=$(tail -n 1 "$T/rss" 2>/dev/null)
    [[ "$RSS" =~ ^[0-9]+$ ]] || RSS=999999999
    [ "$RC" -eq 124 ] && diag "shoal did not finish within 300 s: $*"
}

run_timed
is "$RC" 0 "prefixed lines: 3 hosts x 50 MB without a newline run"
cmp_ok "$RSS" -lt "$bound" "prefixed lines: peak RSS ${RSS} kB, far below the output"
bad=0
for i in 1 2 3; do
    [ "$(grep "^h0$i: " "$T/out" | sed "s/^h0$i: //" | tr -d '\n' | md5sum | cut -d' ' -f1)" = "$want" ] ||
        bad=$((bad + 1))
done
is "$bad" 0 "prefixed lines: the pieces of every host reassemble its 50 MB"
is "$(awk 'length($0) > 65536 + 5 { n++ } END { print n + 0 }' "$T/out")" 0 \
    "prefixed lines: no piece is longer than 64 KiB with its prefix"

run_timed --json
is "$RC" 0 "--json runs"
cmp_ok "$RSS" -lt "$bound" "--json: peak RSS ${RSS} kB, far below the output"
bad=0
for i in 1 2 3; do
    [ "$(jq -j --arg h "h0$i" 'select(.host == $h) | .stdout' "$T/out" | md5sum | cut -d' ' -f1)" = "$want" ] ||
        bad=$((bad + 1))
done
is "$bad" 0 "--json: every object carries its host's 50 MB exactly"
is "$(find "$T" -maxdepth 1 -name 'shoal-spool-*' | wc -l)" 0 "no temporary file is left behind"

run_timed -b
is "$RC" 0 "--gather runs"
cmp_ok "$RSS" -lt "$bound" "--gather: peak RSS ${RSS} kB, far below the output"
is "$(head -n 3 "$T/out" | tr '\n' ' ')" "--------------- h[01-03] (3) --------------- " \
    "--gather: the three identical outputs are one group"
is "$(tail -n +4 "$T/out" | md5sum | cut -d' ' -f1)" "$want_nl" "--gather: the group's output is the exact 50 MB"

run_timed --inline
is "$RC" 0 "--inline runs"
cmp_ok "$RSS" -lt "$bound" "--inline: peak RSS ${RSS} kB, far below the output"
is "$(grep -c '^----- h0[1-3] (ok) -----$' "$T/out")" 3 "--inline: a header per host"
bad=0
for i in 1 2 3; do
    [ "$(grep -A1 "^----- h0$i (ok)" "$T/out" | tail -n 1 | md5sum | cut -d' ' -f1)" = "$want_nl" ] ||
        bad=$((bad + 1))
done
is "$bad" 0 "--inline: every host's block is its exact 50 MB"

run_timed -o "$T/o"
is "$RC" 0 "-o runs"
cmp_ok "$RSS" -lt "$bound" "-o: peak RSS ${RSS} kB, far below the output"
bad=0
for i in 1 2 3; do
    [ "$(md5sum <"$T/o/h0$i.out" | cut -d' ' -f1)" = "$want" ] || bad=$((bad + 1))
done
is "$bad" 0 "-o: every file holds its host's exact 50 MB"

# A temporary file that cannot be made is said, per host, with the bytes lost;
# what memory held is still written.
SPOOL_DIR=$T/none cmd='head -c 3000000 /dev/zero | tr "\\0" x' run_timed --json
is "$RC" 3 "--json with no directory for the temporary file runs, and exits 3: output was lost"
like "$(tail -n 1 "$T/err")" 'not written: output of h\[01-03\] \(first: the temporary file in .*/none: [0-9]* bytes of stdout lost' \
    "the summary says the held output was not written whole"
like "$(grep -c 'h0[1-3]: output: [0-9]* bytes of stdout lost: cannot write the temporary file in .*/none: No such file or directory' "$T/err")" '^3$' \
    "each host says how many bytes of its stdout were lost, and why"
lost=$(sed -n 's/.*h01: output: \([0-9]*\) bytes of stdout lost.*/\1/p' "$T/err")
kept=$(jq -j 'select(.host == "h01") | .stdout' "$T/out" | wc -c)
is "$((lost + kept))" 3000000 "what was kept and what was lost add up to the 3 MB"
cmp_ok "$kept" -gt 1000000 "the first megabyte is written"
done_testing
