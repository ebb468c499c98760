#!/usr/bin/env bash
# t0715: tree mode, hosts at two depths behind one gateway (issue 26).  In
#   admin: gw[1-2] / gw[1-2]: n[01-04],gw3 / gw3: n[05-08]
# gw1 and gw2 each have hosts right below them and gw3 below them too: each
# gets one share, whose shoal runs its own hosts itself and routes the deeper
# ones through gw3 (t0720 counts the sessions).  Every target runs once,
# "via" names the gateways on its way; a gateway named as a target is reached
# as a host through the gateway whose line names it (as ClusterShell does); a
# host on the root's own line is run by the root itself, as ClusterShell does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 3 8
tree=(-F "$T/ssh_config" --gateway-shoal "$GW_SHOAL")
# The first gateways' shoal reaches gw3 (and gw3 as a target) with the lab key.
tree_gateway_below gw3
mkdir -m 777 "$T/ran"

cat >"$T/mixed.conf" <<'TOPO'
[routes]
admin: gw[1-2]
gw[1-2]: n[01-04],gw3
gw3: n[05-08]
TOPO
run_shoal "${tree[@]}" --topology "$T/mixed.conf" -w 'n[01-08]' --template --json -r 0 -- \
    "touch $T/ran/%h.\$\$; echo out-%h"
is "$RC" 0 "hosts at two depths behind gw1 and gw2: all run"
is "$(jq -s '[.[] | select(.status == "ok" and .stdout == "out-\(.host)\n" and .attempts == 1)] | length' "$T/out")" 8 \
    "each target ok, with its own output, in one attempt"
is "$(jq -rs '[.[] | select(.host <= "n04") | .via | join(">")] | unique | join(" ")' "$T/out")" "gw1 gw2" \
    "n01-n04 came right through gw1 and gw2"
is "$(jq -rs '[.[] | select(.host >= "n05") | .via | join(">")] | unique | join(" ")' "$T/out")" "gw1>gw3 gw2>gw3" \
    "n05-n08 came through gw1 or gw2, then gw3"
is "$(ls "$T/ran" | wc -l)" 8 "each command ran once"
unlike "$(cat "$T/err")" "depth" "no word of depths"

# The old build's refusal is gone; a single first gateway works the same.
cat >"$T/one.conf" <<'TOPO'
[routes]
admin: gw1
gw1: n[01-04],gw3
gw3: n[05-08]
TOPO
run_shoal "${tree[@]}" --topology "$T/one.conf" -w 'n[01-08]' --json -- 'echo one'
is "$RC" 0 "one first gateway with hosts at two depths: all run"
is "$(jq -s '[.[] | select(.stdout == "one\n" and .via == ["gw1"])] | length' "$T/out")" 4 "four right behind gw1"
is "$(jq -s '[.[] | select(.stdout == "one\n" and .via == ["gw1","gw3"])] | length' "$T/out")" 4 "four behind gw3"

# ---- a gateway as a target ---------------------------------------------------
run_shoal "${tree[@]}" --topology "$T/one.conf" -w 'gw3,n05' --json -- 'echo me'
is "$RC" 0 "gw3 as a target, beside a host behind it"
is "$(jq -c 'select(.host == "gw3") | [.status, .via]' "$T/out")" '["ok",["gw1"]]' \
    "gw3 runs as a host through gw1, whose line names it"
is "$(jq -c 'select(.host == "n05") | [.status, .via]' "$T/out")" '["ok",["gw1","gw3"]]' \
    "n05 still goes through gw3 as a gateway"

# ---- a host on the root's own line ---------------------------------------------
# The root runs it itself, beside gw1, with its own ssh_config (t0719 has more).
add_alias "$T/ssh_config" n08 "$SSHD_PORT_TGT"
trust_host_keys "$SSHD_PORT_TGT"
cat >"$T/rootline.conf" <<'TOPO'
[routes]
admin: gw1,n08
gw1: n[01-04]
TOPO
rm -f "$T/ran"/*
run_shoal "${tree[@]}" --topology "$T/rootline.conf" -w 'n[01-02],n08' --json --template -- "touch $T/ran/%h"
is "$RC" 0 "a target on the root's line: run"
is "$(jq -c 'select(.host == "n08") | [.status, .via]' "$T/out")" '["ok",null]' "n08 by the root itself: no via"
is "$(ls "$T/ran" | wc -l)" 3 "each command ran once"
run_shoal "${tree[@]}" --topology "$T/rootline.conf" -w 'gw1' --json -- true
is "$RC" 0 "a first gateway as a target: on the root's line too, run by the root"
is "$(jq -c '[.host, .status, .via]' "$T/out")" '["gw1","ok",null]' "as a host, with no via"
done_testing
