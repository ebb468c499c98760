#!/usr/bin/env bash
# t0717: tree mode, failures where hosts are at two depths behind the first
# gateways (issue 26):
#   admin: gw[1-2] / gw[1-2]: n[01-04],gw3 / gw3: n[05-08]
# gw1's deep share (its shoal that routes through gw3) is killed while a
# target of it runs: that target ends lost "via gw1", never run twice; the
# one it had not started goes through gw2's deep share; gw1's other share
# (its own hosts, a session of its own) finishes them.  A gateway no one can
# reach fails both its shares' targets with its reason, or hands them to the
# other gateway.  --max-fail counts the failures of every share together.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 3 16
tree=(-F "$T/ssh_config" --gateway-shoal "$GW_SHOAL")
read -r type blob _ <"$T/gw3/hostkey.pub"
echo "[127.0.0.1]:$SSHD_PORT_GW3 $type $blob" >>"$T/gw/known_hosts"
add_alias "$T/gw/ssh_config" gw3 "$SSHD_PORT_GW3" "" "IdentityFile $T/gw/id" \
    "UserKnownHostsFile $T/gw/known_hosts"
mkdir -m 777 "$T/ran"
cat >"$T/mixed.conf" <<'TOPO'
[routes]
admin: gw[1-2]
gw[1-2]: n[01-04],gw3
gw3: n[05-08]
TOPO

# ---- gw1's deep share dies mid-run ---------------------------------------------
# -f 1: each gateway's shoal (and gw3's under it) runs one target at a time,
# so each share has one target running and one waiting.  The root's shares,
# in the order it meets them: 0 gw1 flat, 1 gw2 flat, 2 gw1 deep, 3 gw2 deep.
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
ok $? "four targets run at once: one a share"
# The root has their output, so it has heard they run (the same stream, in order).
n_heard() { [ "$(cat "$T"/odir/n0*.out 2>/dev/null | grep -c '^up$')" -ge "$1" ]; }
wait_for 40 n_heard 4
ok $? "the root heard the four run"
deep1=$(procs_with "--gateway-serve 2 -F $T/gw/ssh_config" | head -1)
isnt "$deep1" "" "gw1's deep share's shoal is running"
kill -KILL "$deep1"
wait "$bg"
is "$(cat "$T/rc.die")" 3 "exit 3: a target was lost"
is "$(jq -s '[.[] | select(.error_kind == "lost")] | length' "$T/out")" 1 "one target lost: the one gw1's deep share ran"
is "$(jq -rs '.[] | select(.error_kind == "lost") | [.host >= "n05", .via[0]] | map(tostring) | join(" ")' "$T/out")" \
    "true gw1" "it is a deep one, lost via gw1"
like "$(jq -rs '.[] | select(.error_kind == "lost") | .error' "$T/out")" '^via gw1: ' "its error names gw1"
is "$(jq -s '[.[] | select(.status == "ok")] | length' "$T/out")" 7 "every other target ok"
is "$(jq -s '[.[] | select(.status == "ok" and .via == ["gw2","gw3"])] | length' "$T/out")" 3 \
    "the deep target gw1 had not started went through gw2 and gw3"
is "$(jq -s '[.[] | select(.status == "ok" and .via == ["gw1"])] | length' "$T/out")" 2 \
    "gw1's own hosts finished on its other share"
is "$(ls "$T/ran" | wc -l)" 8 "no command ran twice"
is "$(jq -s '[.[] | select(.attempts == 1)] | length' "$T/out")" 8 \
    "one attempt each: the handed one had none at gw1"

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
is "$RC" 0 "gwx refuses the login: both its shares go to gw2"
is "$(jq -rs '[.[].via[0]] | unique | join(",")' "$T/out")" gw2 "every target came via gw2"
is "$(jq -s '[.[] | select(.host >= "n05" and .via == ["gw2","gw3"])] | length' "$T/out")" 4 "the deep ones via gw3"
is "$(ls "$T/ran" | wc -l)" 8 "each command ran once"

sed -i 's/gwx,gw2/gwx/' "$T/x.conf"
run_shoal "${tree[@]}" --topology "$T/x.conf" -w 'n[01-08]' --json -r 0 -- true
is "$RC" 3 "no gateway left: exit 3"
is "$(jq -s '[.[] | select(.error_kind == "auth_denied" and (.error | startswith("via gwx: auth_denied")))] | length' "$T/out")" 8 \
    "the targets of both shares fail with gwx's reason"

# ---- --max-fail across the shares ------------------------------------------------
# Four targets a share, one at a time: once two failed, the root tells every
# share, and the deep shares tell gw3 below them: what has not started is
# skipped at both depths.
cat >"$T/many.conf" <<'TOPO'
[routes]
admin: gw[1-2]
gw[1-2]: n[01-08],gw3
gw3: n[09-16]
TOPO
run_shoal "${tree[@]}" --topology "$T/many.conf" -w 'n[01-16]' -f 1 --max-fail 1 --json -r 0 -- 'sleep 1; exit 1'
is "$RC" 4 "--max-fail 1 over flat and deep shares: exit 4, as flat"
failed=$(jq -s '[.[] | select(.status == "failed")] | length' "$T/out")
skipped=$(jq -s '[.[] | select(.status == "skipped")] | length' "$T/out")
is "$((failed + skipped))" 16 "every target has a result"
cmp_ok "$failed" -ge 2 "the failures that passed the budget ran"
cmp_ok "$(jq -s '[.[] | select(.status == "skipped" and .host <= "n08")] | length' "$T/out")" -ge 2 \
    "the flat shares skipped what they had not started"
cmp_ok "$(jq -s '[.[] | select(.status == "skipped" and .host >= "n09")] | length' "$T/out")" -ge 2 \
    "and so did gw3 below the deep shares: the stop reached it"
done_testing
