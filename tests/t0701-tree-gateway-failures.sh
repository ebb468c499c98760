#!/usr/bin/env bash
# t0701: tree mode when gateways fail (issue 26).  A gateway that refuses
# the root's login hands its targets to the other gateway (none is lost, none
# fails); when no gateway is left they fail "via gwN: auth_denied"; a gateway
# whose shoal dies mid-run leaves its started targets `lost`, never run
# twice, while the other gateway's finish; a gateway of another shoal
# version is a clear error; Ctrl-C at the root ends the run with 130 and
# leaves no gateway shoal running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 4
tree=(-F "$T/ssh_config" --gateway-shoal "$GW_SHOAL")
mkdir -m 777 "$T/ran"

# ---- a gateway that refuses the root's login ---------------------------------
start_sshd gwx "AllowUsers nobody-at-all"
add_alias "$T/ssh_config" gwx "$SSHD_PORT_GWX"
trust_host_keys "$SSHD_PORT_GWX"
run_shoal "${tree[@]}" --gateways 'gwx,gw1' -w 'n[01-04]' --json -r 0 -- "echo ran; touch $T/ran/\$(date +%s%N)"
is "$RC" 0 "gwx refuses the login: its targets go through gw1 and all succeed"
is "$(jq -rs '[.[].via[0]] | unique | join(",")' "$T/out")" gw1 "every target came via gw1"
is "$(ls "$T/ran" | wc -l)" 4 "each command ran once"
is "$(jq -s '[.[] | select(.attempts == 1)] | length' "$T/out")" 4 "each target had one attempt, at gw1"

run_shoal "${tree[@]}" --gateways 'gwx' -w 'n[01-02]' --json -r 0 -- true
is "$RC" 3 "no gateway left: exit 3"
is "$(jq -rs '[.[] | select(.error_kind == "auth_denied")] | length' "$T/out")" 2 "the targets fail with the gateway's kind"
like "$(jq -r '.error' "$T/out" | head -1)" '^via gwx: auth_denied' 'and say "via gwx: auth_denied"'

# ---- another shoal version on the gateway ------------------------------------
printf 'V 0 21\nshoal-events 1\0000.0.9\000' >"$T/gw/old.frames"
printf '#!/bin/sh\ncat >/dev/null & cat %s\n' "$T/gw/old.frames" >"$T/gw/old"
chmod 755 "$T/gw/old"
run_shoal -F "$T/ssh_config" --gateways gw1 --gateway-shoal "$T/gw/old" -w 'n01' --json -r 0 -- true
is "$RC" 3 "a gateway of another version: its targets fail"
like "$(cat "$T/err")" "gw1: gateway: runs shoal 0.0.9, this is shoal [^ ]+ .*versions must match" \
    "the message names both versions"

# ---- a gateway's texts are a host's: escaped ------------------------------------
ver=$("$SHOAL" --version | cut -d' ' -f2)
hello=$(printf 'shoal-events 1\001%s\001' "$ver" | tr '\001' '\000' | wc -c)
done_frame() { printf 'exit_nonzero\0011\001\001bad\033[2Jerr\001us\033er\00122\001\0010\001' | tr '\001' '\000'; }
{
    printf 'V 0 %s\n' "$hello"
    printf 'shoal-events 1\001%s\001' "$ver" | tr '\001' '\000'
    printf 'f 0 %s\n' "$(done_frame | wc -c)"
    done_frame
    printf 'x 0 0\n'
} >"$T/gw/evil.frames"
printf '#!/bin/sh\ncat >/dev/null & cat %s\n' "$T/gw/evil.frames" >"$T/gw/evil"
chmod 755 "$T/gw/evil"
run_shoal -F "$T/ssh_config" --gateways gw1 --gateway-shoal "$T/gw/evil" -w 'n01' -r 0 --json -- true
is "$RC" 1 "a gateway's result is taken (exit_nonzero: exit 1)"
unlike "$(cat "$T/err")" $'\033' "no escape byte of the gateway's reaches the terminal"
is "$(jq -r .error "$T/out")" 'bad\x1b[2Jerr' "its error is kept escaped from the moment it arrives"
is "$(jq -r .user "$T/out")" 'us\x1ber' "and so is the user it names"

# ---- a gateway dies while its targets run ------------------------------------
rm -f "$T/ran"/*
mark="tree-mark-$$"
(
    SHOAL_TIMEOUT=60 run_shoal "${tree[@]}" --gateways 'gw[1-2]' -w 'n[01-04]' --json -r 0 -- \
        "touch $T/ran/\$(date +%s%N); sleep 4 # $mark"
    echo "$RC" >"$T/rc.die"
) &
bg=$!
n_sleeps() { [ "$(procs_with "$mark" | wc -l)" -ge "$1" ]; }
wait_for 30 n_sleeps 4
gw1pid=$(tree_gateway_shoal | head -1)
isnt "$gw1pid" "" "gw1's shoal is running"
kill -KILL "$gw1pid"
wait "$bg"
is "$(cat "$T/rc.die")" 3 "exit 3: some targets were lost"
is "$(jq -rs '[.[] | select(.via[0] == "gw1" and .error_kind == "lost")] | length' "$T/out")" 2 \
    "gw1's started targets end lost"
like "$(jq -rs '[.[] | select(.error_kind == "lost") | .error] | .[0]' "$T/out")" '^via gw1: ' \
    "their error names the gateway"
is "$(jq -rs '[.[] | select(.via[0] == "gw2" and .status == "ok")] | length' "$T/out")" 2 "gw2's finish ok"
is "$(ls "$T/ran" | wc -l)" 4 "no command ran twice"

# ---- Ctrl-C at the root --------------------------------------------------------
mark2="tree-int-$$"
env -u SSH_AUTH_SOCK "$SHOAL" "${tree[@]}" --gateways 'gw[1-2]' -w 'n[01-04]' -- "sleep 30 # $mark2" \
    >"$T/int.out" 2>"$T/int.err" &
root=$!
n2() { [ "$(procs_with "$mark2" | wc -l)" -ge 4 ]; }
wait_for 30 n2
kill -INT "$root"
wait "$root"
is "$?" 130 "Ctrl-C: exit 130"
like "$(cat "$T/int.err")" "cancelled 4" "every target is cancelled"
gone() { [ -z "$(procs_with "--gateway-serve")" ] || [ -z "$(procs_with "$T/gw/ssh_config")" ]; }
wait_for 10 gone
ok $? "no gateway shoal is left running"
# Each gateway's shoal was told to stop, and killed its hosts' commands as a
# flat run does (a gateway killed outright left them running for 30 s).
no_sleep() { [ -z "$(procs_with "$mark2")" ]; }
wait_for 10 no_sleep
ok $? "no target's command is left running"
done_testing
