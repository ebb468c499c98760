#!/usr/bin/env bash
# t0711: --rcopy through gateways when things fail (issue 26).  A gateway
# killed while a target's file is coming up leaves that target `lost` (it
# started) and, as a broken flat download does, no temporary and no empty
# folder; a stream that stops after one whole file and half of another keeps
# the whole one only; what fails on the root's own disk (a file where a
# directory must go, a link planted in DEST_DIR/HOST) fails the host with
# flat's message and writes nothing through the link; a directory SRC
# without -R is refused as flat refuses it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 1
tree_sftp_targets 3
tree_gateway_tmp tmp-shoal "$T/gwtmp"
# The gateway killed below cannot clean up: its private folder goes elsewhere.
tree_gateway_tmp killed-shoal "$T/gwtmp-killed"
# gw1 is a remote site: 20 ms each way, so a big file takes a while to come up.
start_faultproxy "0:127.0.0.1:$SSHD_PORT_GW1:lag:20"
cfg=$T/ssh_config.fp
cp "$T/ssh_config" "$cfg"
add_alias "$cfg" gwfar "$FP_PORT_1"
trust_host_keys "$FP_PORT_1"
for d in "$T"/hosts/h*; do
    h=${d##*/}
    mkdir -p "$d/data-$h/sub"
    printf 'a %s\n' "$h" >"$d/data-$h/a"
    printf 'b %s\n' "$h" >"$d/data-$h/sub/b"
    chown -R "$LAB_USER" "$d/data-$h"
done

# ---- a gateway killed while a file comes up -------------------------------------
head -c $((96 * 1024 * 1024)) /dev/urandom >"$T/hosts/h01/big.bin"
chown "$LAB_USER" "$T/hosts/h01/big.bin"
(
    run_shoal -F "$cfg" --gateways gwfar --gateway-shoal "$T/gw/killed-shoal" -w h01 --json \
        --rcopy big.bin "$T/killed"
    echo "$RC" >"$T/rc.killed"
) &
bg=$!
coming() { [ -n "$(find "$T/killed" -name '.big.bin.shoal-*' -size +1M 2>/dev/null)" ]; }
wait_for 60 coming
ok $? "the file is coming up to the root"
gwpid=$(tree_gateway_shoal | head -1)
isnt "$gwpid" "" "the gateway's shoal is found"
kill -KILL "$gwpid"
wait "$bg"
is "$(cat "$T/rc.killed")" 3 "exit 3"
like "$(cat "$T/out")" '"error_kind":"lost","error":"via gwfar: ' "the target ends lost, via the gateway"
is "$(find "$T/killed" -name '.*.shoal-*' | wc -l)" 0 "the partial file is removed"
ok "$([ ! -e "$T/killed/h01" ] && echo 0 || echo 1)" "and the host's folder, left empty (as flat does)"

# ---- a stream that stops after one file and a half ------------------------------
ver=$("$SHOAL" --version | cut -d' ' -f2)
python3 - "$ver" >"$T/gw/half.frames" <<'PY'
import sys
out = sys.stdout.buffer
def frame(t, i, *fields, raw=None):
    p = raw if raw is not None else b"".join(f.encode() + b"\0" for f in fields)
    out.write(b"%s %d %d\n" % (t.encode(), i, len(p)) + p)
frame("V", 0, "shoal-events 1", sys.argv[1])
frame("a", 0, raw=b"")
frame("p", 0, raw=b"run")
frame("D", 0, "data-h01")
frame("F", 0, "data-h01/whole", "3")
frame("B", 0, raw=b"abc")
frame("C", 0, "640", "", "")
frame("F", 0, "data-h01/half", "10")
frame("B", 0, raw=b"abcde")
PY
printf '#!/bin/sh\ncat >/dev/null & cat %s\n' "$T/gw/half.frames" >"$T/gw/half"
chmod 755 "$T/gw/half"
run_shoal -F "$T/ssh_config" --gateways gw1 --gateway-shoal "$T/gw/half" -w h01 --json -R --rcopy data-h01 "$T/half"
is "$RC" 3 "a gateway that stops mid-file: exit 3"
like "$(cat "$T/out")" '"error_kind":"lost","error":"via gw1: ' "the target ends lost"
is "$(cat "$T/half/h01/data-h01/whole" 2>&1)" abc "the whole file is kept"
is "$(stat -c %a "$T/half/h01/data-h01/whole")" 640 "with its mode"
is "$(find "$T/half/h01" -name '.*.shoal-*' -o -name half | wc -l)" 0 "the half one is not, nor its temporary"

# ---- failures on the root's own disk --------------------------------------------
tree=(--gateways 'gw[1-2]' --gateway-shoal "$T/gw/tmp-shoal")
for dest in flat tree; do
    mkdir -p "$T/$dest/h01" "$T/$dest/h02/data-h02" "$T/outside-$dest"
    : >"$T/$dest/h01/data-h01"
    ln -s "$T/outside-$dest" "$T/$dest/h02/data-h02/sub"
done
run_shoal -F "$T/ssh_config" -w 'h[01-03]' --json -R --template --rcopy 'data-%h' "$T/flat"
flat_rc=$RC
jq -c '{host, error_kind, error}' "$T/out" | sed "s|$T/flat|DEST|g" | sort >"$T/flat.res"
run_shoal -F "$T/ssh_config" "${tree[@]}" -w 'h[01-03]' --json -R --template --rcopy 'data-%h' "$T/tree"
is "$RC" "$flat_rc" "a file in the way and a planted link: the same exit status as flat ($flat_rc)"
is "$(jq -c '{host, error_kind, error}' "$T/out" | sed "s|$T/tree|DEST|g" | sort)" "$(cat "$T/flat.res")" \
    "the same kinds and messages, host by host"
like "$(grep '"h01"' "$T/flat.res")" '"error":"cannot make local directory: File exists: DEST/h01/data-h01"' \
    "(a file where the directory goes)"
like "$(grep '"h02"' "$T/flat.res")" '"error_kind":"transfer"' "(the planted link fails the host)"
is "$(ls -A "$T/outside-flat" "$T/outside-tree" | grep -vc ':$\|^$')" 0 "nothing is written through the link"
is "$(cat "$T/tree/h03/data-h03/sub/b")" "b h03" "the third host's tree arrives"

run_shoal -F "$T/ssh_config" -w h01 --json --rcopy data-h01 "$T/flat3"
flat=$(jq -c '{error_kind, error}' "$T/out")
run_shoal -F "$T/ssh_config" "${tree[@]}" -w h01 --json --rcopy data-h01 "$T/tree3"
is "$(jq -c '{error_kind, error}' "$T/out")" "$flat" "a directory without -R: refused as flat refuses it"
is "$(find "$T/gwtmp" -mindepth 1 | wc -l)" 0 "the gateways that ended removed their private folders"
done_testing
