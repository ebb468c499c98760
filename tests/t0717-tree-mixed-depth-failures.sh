#!/usr/bin/env bash
# t0717: tree mode, failures where hosts are at two depths behind the first
# gateways (issue 26):
#   admin: gw[1-2] / gw[1-2]: n[01-04],gw3 / gw3: n[05-08]
# gw1 is one share over one session: its shoal runs its own hosts itself and
# the deeper ones through gw3.  Killed while a target of each kind runs, both
# end lost "via gw1", never run twice; the two it had not started (one of
# each kind) go through gw2, and gw2's to gw3.  A gateway no one can reach
# fails its targets at both depths with its reason, or hands them to the
# other gateway.  --max-fail counts the failures at both depths together.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 3 16
tree=(-F "$T/ssh_config" --gateway-shoal "$GW_SHOAL")
tree_gateway_below gw3
mkdir -m 777 "$T/ran"
cat >"$T/mixed.conf" <<'TOPO'
[routes]
admin: gw[1-2]
gw[1-2]: n[01-04],gw3
gw3: n[05-08]
TOPO

# ---- gw1 dies mid-run ------------------------------------------------------------
# -f 1: each gateway's shoal runs one of its own hosts at a time and gw3's
# under it one deeper target at a time, so gw1 and gw2 each have one target
# of each kind running and one waiting (n01,n03,n05,n07 for gw1).
mark="mixed-mark-$$"
(
    SHOAL_TIMEOUT=90 run_shoal "${tree[@]}" --topology "$T/mixed.conf" -w 'n[01-08]' -f 1 \
        --template --json -r 0 -o "$T/odir" -- "touch $T/ran/%h.\$\$; echo up; sleep 3 # $mark-%h"
    echo "$RC" >"$T/rc.die"
) &
bg=$!
# Only the targets' commands hold "$mark-n0" (the root's own holds "$mark-%h").
n_sleeps() { [ "$(procs_with "$mark-n0" | wc -l)" -ge "$1" ]; }
wait_for 40 n_sleeps 4
ok $? "four targets run at once: two a gateway"
# The root has their output, so it has heard they run (the same stream, in order).
n_heard() { [ "$(cat "$T"/odir/n0*.out 2>/dev/null | grep -c '^up$')" -ge "$1" ]; }
wait_for 40 n_heard 4
ok $? "the root heard the four run"
# The shoals the gateways run: gw1's is the one sshd on gw1's port started.
gw_shoals() { procs_with "--gateway-serve " | while read -r p; do
    tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -qx -- -F || continue
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q "^SSH_CONNECTION=.* $1\$" && echo "$p"
done; }
gw1=$(gw_shoals "$SSHD_PORT_GW1")
is "$(echo $gw1 | wc -w)" 1 "one shoal runs on gw1 (one share, one session)"
isnt "$gw1" "" "gw1's shoal is running"
kill -KILL $gw1
wait "$bg"
is "$(cat "$T/rc.die")" 3 "exit 3: targets were lost"
is "$(jq -s '[.[] | select(.error_kind == "lost")] | length' "$T/out")" 2 "two targets lost: those gw1 ran"
is "$(jq -rs '[.[] | select(.error_kind == "lost") | "\(.host >= "n05") \(.via[0])"] | sort | join(",")' "$T/out")" \
    "false gw1,true gw1" "one of its own and one deeper, both lost via gw1"
is "$(jq -rs '[.[] | select(.error_kind == "lost") | .error | test("^via gw1: ")] | all' "$T/out")" true \
    "their errors name gw1"
is "$(jq -s '[.[] | select(.status == "ok")] | length' "$T/out")" 6 "every other target ok"
is "$(jq -s '[.[] | select(.status == "ok" and .via == ["gw2","gw3"])] | length' "$T/out")" 3 \
    "the deep target gw1 had not started went through gw2 and gw3"
is "$(jq -s '[.[] | select(.status == "ok" and .via == ["gw2"])] | length' "$T/out")" 3 \
    "and its own host it had not started went through gw2"
is "$(ls "$T/ran" | wc -l)" 8 "no command ran twice"
is "$(jq -s '[.[] | select(.attempts == 1)] | length' "$T/out")" 8 \
    "one attempt each: the handed ones had none at gw1"

# ---- a first gateway no one can reach --------------------------------------------
start_sshd gwx "AllowUsers nobody-at-all"
add_alias "$T/ssh_config" gwx "$SSHD_PORT_GWX"
trust_host_keys "$SSHD_PORT_GWX"
cat >"$T/x.conf" <<'TOPO'
[routes]
admin: gwx,gw2
gwx,gw2: n[01-04],gw3
gw3: n[05-08]
TOPO
rm -f "$T/ran"/*
run_shoal "${tree[@]}" --topology "$T/x.conf" -w 'n[01-08]' --json -r 0 -- "touch $T/ran/\$\$"
is "$RC" 0 "gwx refuses the login: its targets at both depths go to gw2"
is "$(jq -rs '[.[].via[0]] | unique | join(",")' "$T/out")" gw2 "every target came via gw2"
is "$(jq -s '[.[] | select(.host >= "n05" and .via == ["gw2","gw3"])] | length' "$T/out")" 4 "the deep ones via gw3"
is "$(ls "$T/ran" | wc -l)" 8 "each command ran once"

sed -i 's/gwx,gw2/gwx/' "$T/x.conf"
run_shoal "${tree[@]}" --topology "$T/x.conf" -w 'n[01-08]' --json -r 0 -- true
is "$RC" 3 "no gateway left: exit 3"
is "$(jq -s '[.[] | select(.error_kind == "auth_denied" and (.error | startswith("via gwx: auth_denied")))] | length' "$T/out")" 8 \
    "its targets at both depths fail with gwx's reason"

# ---- --max-fail across the depths -------------------------------------------------
# Eight targets a gateway, one at a time at each depth: once two failed, the
# root tells every gateway, and each tells gw3 below it: what has not
# started is skipped at both depths.
cat >"$T/many.conf" <<'TOPO'
[routes]
admin: gw[1-2]
gw[1-2]: n[01-08],gw3
gw3: n[09-16]
TOPO
run_shoal "${tree[@]}" --topology "$T/many.conf" -w 'n[01-16]' -f 1 --max-fail 1 --json -r 0 -- 'sleep 1; exit 1'
is "$RC" 4 "--max-fail 1 over both depths: exit 4, as flat"
failed=$(jq -s '[.[] | select(.status == "failed")] | length' "$T/out")
skipped=$(jq -s '[.[] | select(.status == "skipped")] | length' "$T/out")
is "$((failed + skipped))" 16 "every target has a result"
cmp_ok "$failed" -ge 2 "the failures that passed the budget ran"
cmp_ok "$(jq -s '[.[] | select(.status == "skipped" and .host <= "n08")] | length' "$T/out")" -ge 2 \
    "the gateways skipped their own hosts they had not started"
cmp_ok "$(jq -s '[.[] | select(.status == "skipped" and .host >= "n09")] | length' "$T/out")" -ge 2 \
    "and so did gw3 below them: the stop reached it"
done_testing
