#!/usr/bin/env bash
# t0700: tree mode (issue 26).  Targets behind two gateways that run this
# build of shoal (real sshds on loopback: the root logs in to the gateways,
# each gateway's shoal logs in to its share of the targets with the lab
# user's own key) show exactly what a flat run shows: plain lines, --json
# with the gateway in "via", -b, --inline, --diff, -o files, --failed, the
# summary, exit codes, -u; -I's stdin reaches every target; each target logs in once,
# from a gateway.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 6
tree=(-F "$T/ssh_config" --gateways 'gw[1-2]' --gateway-shoal "$GW_SHOAL")

run_shoal "${tree[@]}" -w 'n[01-06]' -- 'echo out-$((6*7)); echo err >&2'
is "$RC" 0 "six targets through two gateways: exit 0"
is "$(grep -c '^n0[1-6]: out-42$' "$T/out")" 6 "plain: each target's stdout line, prefixed"
is "$(grep -c '^n0[1-6]: err$' "$T/err")" 6 "plain: each target's stderr line, prefixed"
like "$(tail -1 "$T/err")" '^ok 6 ' "the summary counts the targets"

run_shoal "${tree[@]}" -w 'n[01-06]' --json -- 'echo hi; exit 3'
is "$RC" 1 "exit 1 when commands exit non-zero, as flat"
is "$(jq -s 'length' "$T/out")" 6 "--json: an object a target"
is "$(jq -s '[.[] | select(.error_kind == "exit_nonzero" and .exit_code == 3 and .stdout == "hi\n")] | length' "$T/out")" 6 \
    "--json: kind, exit code and stdout come through"
is "$(jq -rs '[.[].via[0]] | sort | unique | join(",")' "$T/out")" "gw1,gw2" '--json: "via" names the gateway, both used'
is "$(jq -rs '[.[] | select(.user == "'"$LAB_USER"'" and .port == '"$SSHD_PORT_TGT"')] | length' "$T/out")" 6 \
    "--json: user and port are the ones the gateway logged in with"

run_shoal "${tree[@]}" -w 'n[01-06]' -b -- 'echo same'
is "$RC" 0 "-b through gateways"
like "$(cat "$T/out")" 'n\[01-06\]' "-b: one block for the six identical outputs"

run_shoal "${tree[@]}" -w 'n[01-02]' --inline -- 'printf "a\nb\n"'
is "$(grep -c '^a$' "$T/out")" 2 "--inline: each target's output whole"

run_shoal "${tree[@]}" -w 'n[01-03]' -o "$T/odir" -- 'echo file'
is "$(cat "$T/odir/n01.out" "$T/odir/n02.out" "$T/odir/n03.out" | tr '\n' ' ')" "file file file " "-o: a file a target"
is "$(jq -r '.via[0]' "$T/odir/n01.json" | cut -c1-2)" gw "-o: its JSON names the gateway"

SHOAL_STDIN=<(printf 'fed\n') run_shoal "${tree[@]}" -w 'n[01-04]' -I -- 'cat'
is "$(grep -c '^n0[1-4]: fed$' "$T/out")" 4 "-I: stdin goes in the job and reaches every target"

run_shoal "${tree[@]}" -w 'n[01-04]' --failed "$T/failed" -- 'test $(hostname) = nothing'
is "$RC" 1 "failures through gateways: exit 1"
is "$(sort "$T/failed" | tr '\n' ' ')" "n01 n02 n03 n04 " "--failed lists the targets"

run_shoal "${tree[@]}" -w 'n[01-04]' --diff --template -- 'echo same; test %h = n03 && echo odd; true'
is "$RC" 0 "--diff through gateways"
like "$(cat "$T/out")" '\+odd' "--diff: n03's extra line shows as a diff"

run_shoal "${tree[@]}" -w 'n[01-02]' -u 1 --json -- 'sleep 5'
is "$(jq -s '[.[] | select(.error_kind == "command_timeout")] | length' "$T/out")" 2 "-u holds on each target behind a gateway"
is "$RC" 3 "and counts as unreached (3), as flat"

# A target the gateway cannot reach: its own kind, as flat.
printf 'Host n99\n    HostName 127.0.0.1\n    Port 1\n' >>"$T/gw/ssh_config"
run_shoal "${tree[@]}" -w 'n01,n99' --json -r 0 -- true
is "$(jq -r 'select(.host == "n99") | .error_kind' "$T/out")" refused "a target refused at the gateway is refused"
is "$RC" 3 "and the exit status says unreached (3)"
done_testing
