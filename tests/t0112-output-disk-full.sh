#!/usr/bin/env bash
# t0112: -o and --failed on a full filesystem (a 1 MB tmpfs): every file that
# could not be written whole is reported with host, file and cause, the
# summary names them, and the exit status is 3 even though every host ran
# fine; what did reach a file is a true prefix of the host's output.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "needs root (mount a tmpfs)"
mkdir "$T/full"
mount -t tmpfs -o size=1m tmpfs "$T/full" 2>/dev/null || skip_all "cannot mount a tmpfs here"
at_exit "umount -l '$T/full'"
lab_fleet h 2

run_shoal -F "$T/ssh_config" -w 'h[01-02]' -o "$T/full/o" -- 'seq 1 400000'
is "$RC" 3 "-o on a full filesystem: exit 3, not 0"
like "$(cat "$T/err")" "h0[12]: -o: cannot write '$T/full/o/h0[12].out': No space left on device" "the failed write is reported, host and file"
like "$(cat "$T/err")" "h0[12]: -o: cannot write '$T/full/o/h0[12].json': No space left on device" "so is the JSON file that could not be written"
like "$(tail -n 1 "$T/err")" "^ok 2 · not written: output of h\[01-02\] \(first: $T/full/o/h0[12]\.(out|json): No space left on device\)" "the summary names the hosts and a file"
seq 1 400000 >"$T/want"
for h in h01 h02; do
    n=$(stat -c %s "$T/full/o/$h.out")
    if cmp -s -n "$n" "$T/full/o/$h.out" "$T/want"; then pass "$h.out is a true prefix ($n bytes)"; else fail "$h.out is not a prefix of the output"; fi
done

rm -rf "$T/full/o"
head -c 2000000 /dev/zero >"$T/full/filler" 2>/dev/null
run_shoal -F "$T/ssh_config" -w 'h01,h02' --failed "$T/full/failed" -- 'exit 1'
is "$RC" 3 "a --failed list that does not fit: exit 3, not 1"
like "$(cat "$T/err")" "shoal: --failed: cannot write '$T/full/failed': No space left on device" "reported, naming the file"
like "$(tail -n 1 "$T/err")" "not written: --failed $T/full/failed: No space left on device" "and in the summary"

rm -f "$T/full/filler"
run_shoal -F "$T/ssh_config" -w 'h[01-02]' -o "$T/full/o" -- 'echo fits'
is "$RC" 0 "with room again: exit 0"
is "$(cat "$T/full/o/h01.out")" "fits" "and the files are written"
done_testing
