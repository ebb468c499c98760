#!/usr/bin/env bash
# t0702: tree mode, across gateways (issue 26).  --max-fail counts the
# failures of every gateway's targets together: once past it, every gateway
# starts no new target (those end `skipped`, exit 4, as a flat run), and
# those in flight finish.  A ClusterShell topology.conf routes each target
# through the gateways of its [routes] line, over two levels too (the first
# gateway gets the topology), at two depths behind one gateway too; a target
# no line names is an error before anything runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 3 10
tree=(-F "$T/ssh_config" --gateway-shoal "$GW_SHOAL")

# ---- --max-fail across gateways ------------------------------------------------
run_shoal "${tree[@]}" --gateways 'gw[1-2]' -w 'n[01-10]' -f 1 --max-fail 1 --json -r 0 -- 'sleep 1; exit 1'
is "$RC" 4 "--max-fail 1 over two gateways: exit 4, as flat"
failed=$(jq -s '[.[] | select(.status == "failed")] | length' "$T/out")
skipped=$(jq -s '[.[] | select(.status == "skipped")] | length' "$T/out")
is "$((failed + skipped))" 10 "every target has a result"
cmp_ok "$failed" -ge 2 "the failures that passed the budget ran"
cmp_ok "$failed" -le 4 "at most one more a gateway was in flight when the root said stop"
cmp_ok "$skipped" -ge 6 "the rest were never started: skipped"
like "$(cat "$T/err")" "stopped: [0-9]+ hosts failed, more than --max-fail 1" "the root says why it stopped"
is "$(jq -rs '[.[] | select(.status == "skipped") | .via[0] // "none"] | unique | length' "$T/out")" 2 \
    "both gateways skipped targets: the stop reached each"

# ---- --batch across gateways ----------------------------------------------------
mkdir -m 777 "$T/ran"
run_shoal "${tree[@]}" --gateways 'gw[1-3]' -w 'n[01-09]' --batch 3 --template --json -r 0 -- \
    'date +%%s%%N >'"$T"'/ran/%h.s; sleep 0.3; date +%%s%%N >'"$T"'/ran/%h.e; case %h in n0[456]) exit 1;; esac'
is "$RC" 4 "a batch that failed whole stops the run: exit 4"
like "$(cat "$T/err")" "stopped: every host of batch 2 of 3 failed" "the root says which batch"
is "$(jq -rs '[.[] | select(.status == "skipped") | .host] | join(",")' "$T/out")" "n07,n08,n09" \
    "batch 3 never started"
is "$(jq -rs '[.[] | select(.status == "skipped") | .batch] | unique | join(",")' "$T/out")" 3 '"batch" says 3'
b1_end=$(cat "$T"/ran/n0[123].e | sort -n | tail -1)
b2_start=$(cat "$T"/ran/n0[456].s | sort -n | head -1)
cmp_ok "$b1_end" -lt "$b2_start" "batch 2 started after every host of batch 1 ended, across the gateways"
is "$(jq -rs '[.[] | select(.batch == 1) | .via[0]] | unique | length' "$T/out")" 3 "a batch spreads over every gateway"

# ---- topology.conf ---------------------------------------------------------------
cat >"$T/topology.conf" <<'TOPO'
# as ClusterShell writes it
[routes]
admin: gw[1-3]
gw[1-2]: n[01-06]
gw3: n[07-10]
TOPO
run_shoal "${tree[@]}" --topology "$T/topology.conf" -w 'n[01-10]' --json -- 'echo t'
is "$RC" 0 "--topology: ten targets through their routes"
is "$(jq -rs '[.[] | select(.host <= "n06") | .via[0]] | unique | join(",")' "$T/out")" "gw1,gw2" \
    "n01-n06 went through gw1 and gw2"
is "$(jq -rs '[.[] | select(.host >= "n07") | .via[0]] | unique | join(",")' "$T/out")" "gw3" \
    "n07-n10 went through gw3"

# A host that no route names goes directly from the root, as in ClusterShell:
# n11 is in the root's ssh_config only (the gateways do not know it).
add_alias "$T/ssh_config" n11 "$SSHD_PORT_TGT"
trust_host_keys "$SSHD_PORT_TGT"
run_shoal "${tree[@]}" --topology "$T/topology.conf" -w 'n[01-11]' --json -- 'echo t'
is "$RC" 0 "a host with no route: run too"
is "$(jq -rs '.[] | select(.host == "n11") | [.status, (.via // [] | length)] | map(tostring) | join(" ")' "$T/out")" \
    "ok 0" "n11 went from the root itself, through no gateway"
is "$(jq -s '[.[] | select(.status == "ok")] | length' "$T/out")" 11 "the routed ones too"

# topology.conf beside shoal.conf routes without --topology; --topology none
# turns it off; a run whose hosts no route names is a run without gateways.
mkdir -p "$T/conf"
: >"$T/conf/shoal.conf"
cp "$T/topology.conf" "$T/conf/topology.conf"
SHOAL_CONFIG=$T/conf/shoal.conf run_shoal "${tree[@]}" -w 'n01,n07' --json -- 'echo t'
is "$RC" 0 "topology.conf beside shoal.conf: used"
is "$(jq -rs '[.[] | .via[0]] | sort | join(",")' "$T/out")" "gw1,gw3" "its routes were taken"
SHOAL_CONFIG=$T/conf/shoal.conf run_shoal "${tree[@]}" --topology none -w 'n01' --json -- 'echo t'
isnt "$RC" 0 "--topology none: n01 is tried directly, and the root cannot reach it"
is "$(jq -r .status "$T/out")" failed "n01 failed"
is "$(jq -r '.via // [] | length' "$T/out")" 0 "through no gateway"
SHOAL_CONFIG=$T/conf/shoal.conf run_shoal "${tree[@]}" -w 'n11' --json -v -- 'echo t'
is "$RC" 0 "a host no route names, alone: a run without gateways"
like "$(cat "$T/err")" "no host goes through a gateway" "-v says so"
mkdir -p "$T/home/.config/shoal"
cp "$T/topology.conf" "$T/home/.config/shoal/topology.conf"
HOME=$T/home run_shoal "${tree[@]}" -w 'n07' --json -- 'echo t'
is "$(jq -r '.via[0]' "$T/out")" gw3 "~/.config/shoal/topology.conf: used"
HOME=$T/home run_shoal "${tree[@]}" --gateways gw1 -w 'n07' --json -- 'echo t'
is "$(jq -r '.via[0]' "$T/out")" gw1 "--gateways: the topology file is not read"

# ---- two levels: a gateway that is itself the root of a tree --------------------
# gw1's shoal reaches the targets through gw3 (its own options after N).
tree_gateway_below gw3
printf '#!/bin/sh\nexec %s "$@" -F %s --gateways gw3 --gateway-shoal %s\n' "$SHOAL" \
    "$T/gw/ssh_config" "$GW_SHOAL" >"$T/gw/mid"
chmod 755 "$T/gw/mid"
run_shoal -F "$T/ssh_config" --gateways gw1 --gateway-shoal "$T/gw/mid" -w 'n[01-04]' --json -- 'echo deep'
is "$RC" 0 "two levels of gateways: the targets run"
is "$(jq -s '[.[] | select(.stdout == "deep\n" and .via == ["gw1","gw3"])] | length' "$T/out")" 4 \
    '"via" names both gateways, in order'
is "$(jq -s '[.[] | select(.attempts == 1)] | length' "$T/out")" 4 \
    "one attempt each: the middle gateway's own connection to gw3 is no target's"

# The same from a topology.conf of two levels: gw1 gets the topology and routes itself.
cat >"$T/deep.conf" <<'TOPO'
[routes]
admin: gw1
gw1: gw3
gw3: n[01-04]
TOPO
run_shoal "${tree[@]}" --topology "$T/deep.conf" -w 'n[01-04]' --json -- 'echo deeper'
is "$RC" 0 "--topology of two levels: the targets run"
is "$(jq -s '[.[] | select(.stdout == "deeper\n" and .via == ["gw1","gw3"] and .attempts == 1)] | length' "$T/out")" 4 \
    '"via" names both levels'
printf 'gw1: n05\n' >>"$T/deep.conf"
run_shoal "${tree[@]}" --topology "$T/deep.conf" -w 'n[01-05]' --json -- true
is "$RC" 0 "hosts behind gw1 at two depths (on two lines of it): all run (t0715, t0716)"
is "$(jq -c 'select(.host == "n05") | .via' "$T/out")" '["gw1"]' "n05 right through gw1"

run_shoal "${tree[@]}" --topology "$T/topology.conf" --gateways gw1 -w n01 -- true
is "$RC" 2 "--topology and --gateways: choose one"
done_testing
