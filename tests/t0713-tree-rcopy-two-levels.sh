#!/usr/bin/env bash
# t0713: --rcopy through two levels of gateways (issue 26).  With a
# topology.conf of two levels the first gateway writes what the one below it
# sends up into its own private folder and sends it on, so the root's
# DEST_DIR is the flat run's, byte for byte, with modes and times, and the
# results are the same; --template's %i is the host's index in the
# operator's list at every level (a gateway's share has its own indexes),
# for SRC as for a command.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 1
tree_sftp_targets 4
tree_gateway_tmp tmp-shoal "$T/gwtmp"
# gw1 reaches gw2 as the root does, with the gateways' key.
tree_gateway_below gw2
cat >"$T/deep.conf" <<'TOPO'
[routes]
admin: gw1
gw1: gw2
gw2: h[01-04]
TOPO
i=0
for d in "$T"/hosts/h*; do
    h=${d##*/}
    mkdir -p "$d/tree/sub"
    printf '%s\n' "$h" >"$d/tree/name"
    head -c 700000 /dev/urandom >"$d/tree/sub/bin"
    : >"$d/tree/sub/empty"
    chmod 604 "$d/tree/sub/bin"
    chmod 751 "$d/tree/sub"
    touch -d '2019-09-09 09:09:09' "$d/tree/name"
    printf 'index %s of %s\n' "$i" "$h" >"$d/idx-$i"
    chown -R "$LAB_USER" "$d/tree" "$d/idx-$i"
    i=$((i + 1))
done
listing() {
    (cd "$1" && { find . -mindepth 1 -maxdepth 1 -printf '%P|%y|%m\0' &&
        find . -mindepth 2 -printf '%P|%y|%m|%s|%T@\0'; } | sort -z | tr '\0' '\n')
}
results() { jq -c '{host, status, error_kind, error, bytes}' "$1" | sort; }

run_shoal -F "$T/ssh_config" -w 'h[01-04]' --json -R -P --rcopy tree "$T/flat"
is "$RC" 0 "flat: the four trees"
cp "$T/out" "$T/flat.json"
run_shoal -F "$T/ssh_config" --gateway-shoal "$T/gw/tmp-shoal" --topology "$T/deep.conf" \
    -w 'h[01-04]' --json -R -P --rcopy tree "$T/tree"
is "$RC" 0 "through gw1 then gw2: exit 0"
is "$(jq -c .via "$T/out" | sort -u)" '["gw1","gw2"]' '"via" names both levels'
is "$(results "$T/out")" "$(results "$T/flat.json")" "the same results and bytes"
is "$(listing "$T/tree")" "$(listing "$T/flat")" "the same names, types, modes, sizes and times"
ok "$(diff -r "$T/flat" "$T/tree" >/dev/null && echo 0 || echo 1)" "the same bytes"
is "$(find "$T/gwtmp" -mindepth 1 | wc -l)" 0 "both gateways removed their private folders"

# %i: the index in the operator's list, whichever gateway's share the host is in.
run_shoal -F "$T/ssh_config" -w 'h[01-04]' --template --json --rcopy 'idx-%i' "$T/flat-i"
is "$RC" 0 "flat: SRC idx-%i"
run_shoal -F "$T/ssh_config" --gateway-shoal "$T/gw/tmp-shoal" --topology "$T/deep.conf" \
    -w 'h[01-04]' --template --json --rcopy 'idx-%i' "$T/tree-i"
is "$RC" 0 "two levels: SRC idx-%i"
ok "$(diff -r "$T/flat-i" "$T/tree-i" >/dev/null && echo 0 || echo 1)" "each host's own idx file, as flat"
run_shoal -F "$T/ssh_config" --gateway-shoal "$T/gw/tmp-shoal" --gateways 'gw[1-2]' \
    -w 'h[01-04]' --template --json --rcopy 'idx-%i' "$T/one-i"
ok "$(diff -r "$T/flat-i" "$T/one-i" >/dev/null && echo 0 || echo 1)" "and through one level, the shares split"
done_testing
