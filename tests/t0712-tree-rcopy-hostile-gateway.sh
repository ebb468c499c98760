#!/usr/bin/env bash
# t0712: a gateway's file frames are a host's bytes, and the root trusts none
# of them (issue 26).  A scripted gateway behind a real sshd sends --rcopy
# frames that try to leave DEST_DIR/HOST (a ".." part, an absolute path),
# bytes with no file open, a mode out of range, files for a target it
# already finished, and files to a root that runs a command: each breaks the
# gateway's stream (its target ends lost, said "gateway: a malformed ...
# event"), and nothing is written outside DEST_DIR/HOST.  A file whose bytes
# do not match the size announced fails its host with `transfer`, with no
# file left under its name.  (Those gateways end their target without ending
# its attempt first: the root does not trip on that either.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 1 1
tree_sftp_targets 1
ver=$("$SHOAL" --version | cut -d' ' -f2)
# A gateway script that sends its frames (python: the lines after the hello,
# frame(T, fields...) or frame(T, raw=b"...")), then ends.
gateway() {
    local name=$1
    {
        cat <<'PY'
import sys
out = sys.stdout.buffer
def frame(t, *fields, raw=None, i=0):
    p = raw if raw is not None else b"".join(f.encode() + b"\0" for f in fields)
    out.write(b"%s %d %d\n" % (t.encode(), i, len(p)) + p)
frame("V", "shoal-events 1", sys.argv[1])
frame("a", raw=b"")
frame("p", raw=b"run")
PY
        cat
    } >"$T/gw/$name.py"
    python3 "$T/gw/$name.py" "$ver" >"$T/gw/$name.frames"
    printf '#!/bin/sh\ncat >/dev/null & cat %s\n' "$T/gw/$name.frames" >"$T/gw/$name"
    chmod 755 "$T/gw/$name"
}
done_ok='frame("f", "none", "0", "", "", "", "22", "", "3")'
outside() { find "$T" -maxdepth 1 -name 'escape*' | wc -l; find /tmp -maxdepth 1 -name "shoal-t0712-abs-$$" | wc -l; }
rcopy() { run_shoal -F "$T/ssh_config" --gateways gw1 --gateway-shoal "$T/gw/$1" -w h01 --json -R --rcopy data-h01 "$T/dest-$1"; }
broken() { # NAME WHAT TYPE: the run of gateway NAME broke on a TYPE frame
    is "$RC" 3 "$2: exit 3"
    like "$(cat "$T/err")" "gw1: gateway: a malformed '$3' event for h01" "$2: the stream is broken, said so"
    like "$(cat "$T/out")" '"error_kind":"lost"' "$2: its target ends lost"
    is "$(outside | paste -sd+ | bc)" 0 "$2: nothing outside DEST_DIR/HOST"
}

gateway dotdot <<'PY'
frame("D", "data-h01")
frame("D", "data-h01/../../../escape-dir")
frame("F", "data-h01/../../../escape-file", "3")
PY
rcopy dotdot
broken dotdot 'a ".." part' D

gateway dotdotfile <<'PY'
frame("F", "../escape-file", "3")
frame("B", raw=b"abc")
frame("C", "644", "", "")
PY
rcopy dotdotfile
broken dotdotfile 'a file up a level' F

gateway absolute <<PY
frame("F", "/tmp/shoal-t0712-abs-$$", "3")
frame("B", raw=b"abc")
frame("C", "644", "", "")
PY
rcopy absolute
broken absolute 'an absolute path' F

gateway nofile <<'PY'
frame("B", raw=b"abc")
PY
rcopy nofile
broken nofile 'bytes with no file open' B

gateway badmode <<'PY'
frame("F", "data-h01", "3")
frame("B", raw=b"abc")
frame("C", "777777", "", "")
PY
rcopy badmode
broken badmode 'a mode out of range' C
is "$(find "$T/dest-badmode" -name 'data-h01' | wc -l)" 0 "the file whose close was bad is not kept"

gateway after <<PY
$done_ok
frame("F", "data-h01", "3")
frame("B", raw=b"abc")
frame("C", "644", "", "")
PY
rcopy after
is "$RC" 0 "files after the target's done frame: the target keeps its result"
like "$(cat "$T/err")" "gw1: gateway: a malformed 'F' event for h01" "and the stream is broken"
is "$(find "$T/dest-after" -name 'data-h01' | wc -l)" 0 "nothing of them is written"

gateway command <<PY
frame("F", "x", "3")
PY
run_shoal -F "$T/ssh_config" --gateways gw1 --gateway-shoal "$T/gw/command" -w h01 --json -- true
like "$(cat "$T/err")" "gw1: gateway: a malformed 'F' event for h01" "a file to a root that runs a command breaks the stream"

gateway short <<PY
frame("F", "data-h01", "10")
frame("B", raw=b"abc")
frame("C", "644", "", "")
$done_ok
PY
rcopy short
is "$RC" 3 "fewer bytes than announced: exit 3"
like "$(cat "$T/out")" '"error_kind":"transfer","error":"size check failed: 3 bytes sent, 10 announced: ' \
    "the host fails with transfer, saying why"
is "$(find "$T/dest-short" -name 'data-h01' -o -name '.*.shoal-*' | wc -l)" 0 "no file is left, nor its temporary"
done_testing
