#!/usr/bin/env bash
# t0703: tree mode over the network between the root and its gateways (issue
# 26), through the fault proxy: a link with 50 ms round trips (a remote site)
# carries a run whole; a link that breaks while the targets run leaves that
# gateway's targets `lost` (via the gateway, never run twice) and the other
# gateway's ok; the gateway's shoal, which lost its root, stops on its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 6
start_faultproxy "0:127.0.0.1:$SSHD_PORT_GW1:cut" "0:127.0.0.1:$SSHD_PORT_GW2:lag:25"
cfg=$T/ssh_config.fp
write_ssh_config "$cfg"
add_alias "$cfg" gw1 "$FP_PORT_1"
add_alias "$cfg" gw2 "$FP_PORT_2"
trust_host_keys "$FP_PORT_1" "$FP_PORT_2"
tree=(-F "$cfg" --gateway-shoal "$GW_SHOAL")
mkdir -m 777 "$T/ran"

run_shoal "${tree[@]}" --gateways gw2 -w 'n[01-06]' --json -- 'echo far'
is "$RC" 0 "a gateway 50 ms away runs its six targets"
is "$(jq -s '[.[] | select(.stdout == "far\n" and .via == ["gw2"])] | length' "$T/out")" 6 "every output comes back"

mark="tree-cut-$$"
(
    run_shoal "${tree[@]}" --gateways 'gw[1-2]' -w 'n[01-06]' --json -r 0 -- \
        "touch $T/ran/\$(date +%s%N); sleep 3 # $mark"
    echo "$RC" >"$T/rc.cut"
) &
bg=$!
n_sleeps() { [ "$(procs_with "$mark" | wc -l)" -ge 6 ]; }
wait_for 30 n_sleeps
ok $? "all six targets run"
kill -USR1 "$FP_PID" # the proxy resets gw1's link
wait "$bg"
is "$(cat "$T/rc.cut")" 3 "exit 3: targets were lost"
is "$(jq -rs '[.[] | select(.error_kind == "lost") | .via[0]] | unique | join(",")' "$T/out")" gw1 \
    "the lost targets are gw1's"
is "$(jq -s '[.[] | select(.error_kind == "lost")] | length' "$T/out")" 3 "all three of them"
like "$(jq -rs '[.[] | select(.error_kind == "lost") | .error][0]' "$T/out")" '^via gw1: lost' \
    "their error says the gateway was lost"
is "$(jq -s '[.[] | select(.status == "ok" and .via == ["gw2"])] | length' "$T/out")" 3 "gw2's three finish ok"
is "$(ls "$T/ran" | wc -l)" 6 "no command ran twice"
gw_gone() { [ -z "$(procs_with "$T/gw/ssh_config")" ]; }
wait_for 20 gw_gone
ok $? "gw1's shoal, cut off from its root, has stopped"
done_testing
