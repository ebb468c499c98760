#!/usr/bin/env bash
# t0722: --rcopy through a gateway sends each file up as soon as the gateway
# has it whole, while the target's pull goes on (issue 26).  The target's
# SFTP server sends at 2 MB/s (its output through a rate-limiting pipe); its
# tree holds two files of 6 MB: the first one pulled is on the root under its
# final name while the gateway still pulls the other (its temporary in the
# gateway's private folder), and it is gone from the gateway's folder by then.
# At the end both files are the target's, with its modes and (-P) times, as a
# flat run leaves them, and the gateway's folder is removed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 1 1
tree_gateway_tmp tmp-shoal "$T/gwtmp"

# The target: SFTP only, what its server writes through a pipe of 2 MB/s.
src=$T/slowsrc
install -d -o "$LAB_USER" "$src" "$src/data" "$src/data/sub"
head -c $((6 * 1024 * 1024)) /dev/urandom >"$src/data/one.bin"
head -c $((6 * 1024 * 1024)) /dev/urandom >"$src/data/sub/two.bin"
chmod 640 "$src/data/one.bin"
chmod 750 "$src/data/sub"
touch -d '2021-03-04 05:06:07' "$src/data/one.bin" "$src/data/sub/two.bin" "$src/data/sub"
chown -R "$LAB_USER" "$src/data"
tree_slow_target slowdl "$src" 2000000

(
    run_shoal -F "$T/ssh_config" --gateways gw1 --gateway-shoal "$T/gw/tmp-shoal" -w slowdl \
        --json -R -P --rcopy data "$T/tree"
    echo "$RC" >"$T/rc.tree"
) &
bg=$!
# A file under its final name on the root, and one still being pulled on the gateway.
on_root() { find "$T/tree" -type f ! -name '.*' 2>/dev/null | grep -q .; }
pulling() { find "$T/gwtmp" -type f -name '.*.shoal-*' 2>/dev/null | grep -q .; }
early() { on_root && pulling; }
# (wait no longer than the run: a build that sends at the end fails at once)
wait_for 60 eval 'early || [ -e "$T/rc.tree" ]'
if early; then
    pass "a file is on the root while the gateway still pulls another: $(find "$T/tree" -type f ! -name '.*' -printf '%P ')"
else
    fail "no file reached the root before the pull ended"
fi
first=$(find "$T/tree" -type f ! -name '.*' -printf '%f\n' 2>/dev/null | head -1)
gone() { [ -z "$(find "$T/gwtmp" -type f -name "$first" 2>/dev/null)" ]; }
wait_for 10 gone
ok $? "the file sent up ($first) is removed from the gateway's folder"
wait "$bg"
is "$(cat "$T/rc.tree")" 0 "the run ends ok"
like "$(cat "$T/out")" '"status":"ok"' "the target is ok"
tree_bytes=$(jq -c .bytes "$T/out")
cmp -s "$src/data/one.bin" "$T/tree/slowdl/data/one.bin"
ok $? "the first file arrived whole"
cmp -s "$src/data/sub/two.bin" "$T/tree/slowdl/data/sub/two.bin"
ok $? "the second file arrived whole"

run_shoal -F "$T/ssh_config" -w slowdl --json -R -P --rcopy data "$T/flat"
is "$RC" 0 "the flat run ends ok"
listing() { (cd "$1" && find . -mindepth 2 -printf '%P|%y|%m|%s|%T@\n' | sort); }
is "$(listing "$T/tree")" "$(listing "$T/flat")" "the same names, types, modes, sizes and times as flat"
is "$tree_bytes" "$(jq -c .bytes "$T/out")" "the same bytes counted as flat ($tree_bytes)"
is "$(find "$T/tree" -name '.*.shoal-*' | wc -l)" 0 "no temporary is left"
is "$(find "$T/gwtmp" -mindepth 1 | wc -l)" 0 "the gateway removed its private folder"
done_testing
