#!/usr/bin/env bash
# t0113: shoal's own stdout and stderr: a write that fails (>/dev/full) is
# reported and the exit status is 3, not 0; a reader that goes away (| head)
# ends shoal quietly but not with 0; started with stdout or stderr closed,
# shoal does not hand that descriptor to an -o file (whose bytes would then
# mix with other hosts' lines).
. "$(dirname "$0")/lib.sh"

lab_fleet h 3
sh() { env -u SSH_AUTH_SOCK timeout -k 2 60 "$SHOAL" -F "$T/ssh_config" "$@"; }

sh -w 'h[01-03]' -- 'echo hello' >/dev/full 2>"$T/err"
is "$?" 3 ">/dev/full: exit 3"
like "$(cat "$T/err")" "^shoal: cannot write stdout: No space left on device" "the failed write is reported"
like "$(tail -n 1 "$T/err")" "^ok 3 · not written: stdout \(No space left on device\)" "and named in the summary"
sh -w 'h[01-03]' --json -- 'echo hello' >/dev/full 2>"$T/err"
is "$?" 3 "--json >/dev/full: exit 3"
sh -w 'h[01-03]' --list >/dev/full 2>"$T/err"
is "$?" 3 "--list >/dev/full: exit 3"
sh -w 'h[01-03]' -- 'echo hello; echo E >&2' >"$T/out" 2>/dev/full
is "$?" 3 "2>/dev/full: exit 3 (nothing can say why)"

sh -w 'h[01-03]' -- 'seq 1 50000' 2>"$T/err" | head -n 1 >"$T/head"
rc=${PIPESTATUS[0]}
like "$(cat "$T/head")" "^h0[1-3]: 1$" "| head gets its line"
isnt "$rc" 0 "| head: shoal does not exit 0"
is "$(cat "$T/err")" "" "| head: nothing on stderr"

sh -w 'h[01-03]' -o "$T/o1" -- 'echo same; echo E >&2' >&- 2>"$T/err"
is "$?" 0 "stdout closed: exit 0"
for h in h01 h02 h03; do
    is "$(cat "$T/o1/$h.out")" "same" "stdout closed: $h.out holds only its host's output"
done
sh -w 'h[01-03]' -o "$T/o2" -- 'echo same; echo E >&2' 2>&- >"$T/out"
is "$?" 0 "stderr closed: exit 0"
for h in h01 h02 h03; do
    is "$(cat "$T/o2/$h.err")" "E" "stderr closed: $h.err holds only its host's stderr"
done
is "$(sort "$T/out")" "$(printf 'h0%d: same\n' 1 2 3)" "stderr closed: stdout as usual"
done_testing
