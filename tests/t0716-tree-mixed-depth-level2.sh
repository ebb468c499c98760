#!/usr/bin/env bash
# t0716: tree mode, hosts at two depths behind a gateway that is itself
# below a gateway (issue 26).  gw1's shoal plans its share as the root plans
# its own: gw2, with hosts right below it and gw3 below it, gets one share
# from gw1 and runs its own hosts itself, as gw1 and the root do.  Then
# hosts at two depths at both levels at once.  "via" names every gateway on
# the way, every target runs once; --copy reaches every depth.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 3 8
tree=(-F "$T/ssh_config" --gateway-shoal "$GW_SHOAL")
# The gateways' shoal reaches gw2 and gw3 with the lab key.
tree_gateway_below gw2 gw3
mkdir -m 777 "$T/ran"

# ---- two depths behind gw2, which is behind gw1 ---------------------------------
cat >"$T/level2.conf" <<'TOPO'
[routes]
admin: gw1
gw1: gw2
gw2: n[01-04],gw3
gw3: n[05-08]
TOPO
run_shoal "${tree[@]}" --topology "$T/level2.conf" -w 'n[01-08]' --template --json -r 0 -- \
    "touch $T/ran/%h.\$\$; echo out-%h"
is "$RC" 0 "two depths behind gw2, itself behind gw1: all run"
is "$(jq -s '[.[] | select(.status == "ok" and .stdout == "out-\(.host)\n" and .attempts == 1)] | length' "$T/out")" 8 \
    "each target ok, with its own output, in one attempt"
is "$(jq -s '[.[] | select(.host <= "n04" and .via == ["gw1","gw2"])] | length' "$T/out")" 4 \
    "n01-n04 via gw1, gw2"
is "$(jq -s '[.[] | select(.host >= "n05" and .via == ["gw1","gw2","gw3"])] | length' "$T/out")" 4 \
    "n05-n08 via gw1, gw2, gw3"
is "$(ls "$T/ran" | wc -l)" 8 "each command ran once"

# ---- two depths at both levels ----------------------------------------------------
rm -f "$T/ran"/*
cat >"$T/both.conf" <<'TOPO'
[routes]
admin: gw1
gw1: n[01-02],gw2
gw2: n[03-05],gw3
gw3: n[06-08]
TOPO
run_shoal "${tree[@]}" --topology "$T/both.conf" -w 'n[01-08]' --template --json -r 0 -- \
    "touch $T/ran/%h.\$\$; echo out-%h"
is "$RC" 0 "two depths behind gw1 and behind gw2: all run"
is "$(jq -s '[.[] | select(.status == "ok" and .stdout == "out-\(.host)\n" and .attempts == 1)] | length' "$T/out")" 8 \
    "each target ok, with its own output, in one attempt"
is "$(jq -rs '[.[] | select(.via == ["gw1"]) | .host] | sort | join(",")' "$T/out")" "n01,n02" "n01-n02 via gw1"
is "$(jq -rs '[.[] | select(.via == ["gw1","gw2"]) | .host] | sort | join(",")' "$T/out")" "n03,n04,n05" \
    "n03-n05 via gw1, gw2"
is "$(jq -rs '[.[] | select(.via == ["gw1","gw2","gw3"]) | .host] | sort | join(",")' "$T/out")" "n06,n07,n08" \
    "n06-n08 via gw1, gw2, gw3"
is "$(ls "$T/ran" | wc -l)" 8 "each command ran once"

# A failure deep down is told as a flat run tells it, with its way there.
run_shoal "${tree[@]}" --topology "$T/both.conf" -w 'n02,n04,n07' --json -r 0 -- 'exit 3'
is "$RC" 1 "the commands' failures: exit 1, as flat"
is "$(jq -s '[.[] | select(.error_kind == "exit_nonzero" and .exit_code == 3)] | length' "$T/out")" 3 \
    "each target's exit code, at every depth"
# --copy: every gateway stages the files once and fans them out, to its own
# hosts and through the gateways below it; no staging directory is left anywhere.
mkdir -p "$T/dst"
head -c 100000 /dev/urandom >"$T/payload"
for i in 1 2 3 4 5 6 7 8; do mkdir -p "$T/dst/n0$i"; done
chown -R "$LAB_USER" "$T/dst"
staged() { ls -d "$T"/gw/tmp/shoal-gateway.* 2>/dev/null | wc -l; }
before=$(staged)
run_shoal "${tree[@]}" --topology "$T/both.conf" -w 'n[01-08]' --json --template --copy "$T/payload" "$T/dst/%h/"
is "$RC" 0 "--copy at every depth"
same=0
for i in 1 2 3 4 5 6 7 8; do cmp -s "$T/payload" "$T/dst/n0$i/payload" && same=$((same + 1)); done
is "$same" 8 "every target has the file whole"
is "$(jq -s '[.[] | select(.bytes == 100000)] | length' "$T/out")" 8 '"bytes" counts what each target got'
is "$(staged)" "$before" "the gateways removed their staging directories"
done_testing
