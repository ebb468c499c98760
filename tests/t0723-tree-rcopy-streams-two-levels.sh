#!/usr/bin/env bash
# t0723: --rcopy's files go up as they are pulled through two levels of
# gateways too, and a pull that breaks midway keeps what flat keeps (issue
# 26).  Through gw1 then gw2, a target whose SFTP server sends at 2 MB/s: the
# first of its two 6 MB files is on the root under its final name while a
# gateway still holds a temporary (the pull, or the first gateway's copy of
# the second file), and the tree ends as flat's.  Then the target's server is
# killed once the first file is on the root: through the gateways as flat,
# the host fails with the same kind, the whole first file stays, nothing of
# the second (no temporary either), and the gateways remove their folders.
# A gateway killed then leaves the target lost and the file that had reached
# the root whole, with no temporary: a download broken midway, as flat.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 1
tree_gateway_tmp tmp-shoal "$T/gwtmp"
tree_gateway_below gw2
src=$T/slowsrc
install -d -o "$LAB_USER" "$src" "$src/data"
head -c $((6 * 1024 * 1024)) /dev/urandom >"$src/data/one.bin"
head -c $((6 * 1024 * 1024)) /dev/urandom >"$src/data/two.bin"
chmod 604 "$src/data/one.bin"
chown -R "$LAB_USER" "$src/data"
tree_slow_target slowdl "$src" 2000000
cat >"$T/deep.conf" <<'TOPO'
[routes]
admin: gw1
gw1: gw2
gw2: slowdl
TOPO
tree=(--gateway-shoal "$T/gw/tmp-shoal" --topology "$T/deep.conf")

on_root() { find "$1" -type f ! -name '.*' 2>/dev/null | grep -q .; }
staging() { find "$T/gwtmp" -type f -name '.*.shoal-*' 2>/dev/null | grep -q .; }
early() { on_root "$T/tree" && staging; }
listing() { (cd "$1" && find . -mindepth 2 -printf '%P|%y|%m|%s|%T@\n' | sort); }

(
    run_shoal -F "$T/ssh_config" "${tree[@]}" -w slowdl --json -R -P --rcopy data "$T/tree"
    echo "$RC" >"$T/rc.tree"
) &
bg=$!
wait_for 60 eval 'early || [ -e "$T/rc.tree" ]'
if early; then
    pass "two levels: a file is on the root while the rest is still on its way"
else
    fail "two levels: no file reached the root before the pull ended"
fi
wait "$bg"
is "$(cat "$T/rc.tree")" 0 "two levels: exit 0"
is "$(jq -c .via "$T/out")" '["gw1","gw2"]' '"via" names both levels'
run_shoal -F "$T/ssh_config" -w slowdl --json -R -P --rcopy data "$T/flat"
is "$RC" 0 "flat: exit 0"
is "$(listing "$T/tree")" "$(listing "$T/flat")" "the same names, types, modes, sizes and times as flat"
ok "$(diff -r "$T/flat" "$T/tree" >/dev/null && echo 0 || echo 1)" "the same bytes"
is "$(find "$T/gwtmp" -mindepth 1 | wc -l)" 0 "both gateways removed their private folders"

# ---- the target's server dies once the first file is on the root ---------------
kill_target() {
    local p
    for p in $(procs_with "$T/slowpipe.py") $(procs_with "sftp-server -d $src"); do
        kill -KILL "$p" 2>/dev/null
    done
}
for run in flat2 tree2; do
    if [ "$run" = flat2 ]; then args=(); else args=("${tree[@]}"); fi
    (
        run_shoal -F "$T/ssh_config" "${args[@]}" -w slowdl --json -R --rcopy data "$T/$run"
        echo "$RC" >"$T/rc.$run"
    ) &
    bg=$!
    wait_for 60 on_root "$T/$run"
    ok $? "$run: the first file is on the root"
    kill_target
    wait "$bg"
    cp "$T/out" "$T/$run.json"
done
is "$(cat "$T/rc.tree2")" "$(cat "$T/rc.flat2")" "a pull broken midway: the same exit status as flat ($(cat "$T/rc.flat2"))"
is "$(jq -r .error_kind "$T/tree2.json")" "$(jq -r .error_kind "$T/flat2.json")" \
    "the same kind as flat ($(jq -r .error_kind "$T/flat2.json"))"
files() { (cd "$1" && find . -mindepth 1 -printf '%P|%y|%s\n' | sort); }
is "$(files "$T/tree2")" "$(files "$T/flat2")" "the same files kept as flat: $(files "$T/flat2" | tr '\n' ' ')"
is "$(find "$T/tree2" -type f | wc -l)" 1 "(one whole file, no temporary)"
first=$(find "$T/tree2" -type f -printf '%f')
cmp -s "$src/data/$first" "$T/tree2/slowdl/data/$first"
ok $? "the file kept is whole"
wait_for 10 eval '[ "$(find "$T/gwtmp" -mindepth 1 | wc -l)" = 0 ]'
ok $? "both gateways removed their private folders"

# ---- the gateway killed once the first file is on the root ----------------------
# (its private folder elsewhere: it cannot clean up)
tree_gateway_tmp killed-shoal "$T/gwtmp-killed"
(
    run_shoal -F "$T/ssh_config" --gateways gw1 --gateway-shoal "$T/gw/killed-shoal" -w slowdl \
        --json -R --rcopy data "$T/killed"
    echo "$RC" >"$T/rc.killed"
) &
bg=$!
wait_for 60 on_root "$T/killed"
ok $? "the first file is on the root"
gwpid=$(tree_gateway_shoal | head -1)
isnt "$gwpid" "" "the gateway's shoal is found"
kill -KILL "$gwpid"
wait "$bg"
is "$(cat "$T/rc.killed")" 3 "a gateway killed midway: exit 3"
like "$(cat "$T/out")" '"error_kind":"lost","error":"via gw1: ' "the target ends lost, via the gateway"
is "$(find "$T/killed" -type f | wc -l)" 1 "the file that had reached the root stays, alone (no temporary)"
first=$(find "$T/killed" -type f -printf '%f')
cmp -s "$src/data/$first" "$T/killed/slowdl/data/$first"
ok $? "and whole"
done_testing
