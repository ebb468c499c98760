#!/usr/bin/env bash
# t0350: keys go out in the order of SPEC 2a.  An agent holding 8 keys, the one the
# server takes added last, and sshd with MaxAuthTries 3: with IdentitiesOnly
# and an IdentityFile naming that key, ssh and shoal both log in, offering
# only it; without IdentitiesOnly the agent key matching the IdentityFile
# still goes first, and the agent's other keys before an identity file not
# in the agent.  With IdentitiesOnly and an identity not in the agent,
# no agent key is offered at all.  With no IdentityFile and no
# IdentitiesOnly, the agent's keys go in the agent's order, as with ssh:
# both are cut off by MaxAuthTries.  IdentityAgent none keeps the agent out.
. "$(dirname "$0")/lib.sh"

command -v ssh-agent >/dev/null || skip_all "no ssh-agent"
lab_user
lab_keys
# The key the server takes (k8) has a passphrase: only the agent can sign
# with it, so a login proves the agent signed for the key chosen.
for i in 1 2 3 4 5 6 7; do
    ssh-keygen -q -t ed25519 -N '' -C "agent-key-$i" -f "$T/k$i" </dev/null || BAIL_OUT "ssh-keygen"
done
ssh-keygen -q -t ed25519 -N 'k8-pass' -C agent-key-8 -f "$T/k8" </dev/null || BAIL_OUT "ssh-keygen"
cat "$T/k8.pub" >>"$T/authorized_keys"
start_sshd main "MaxAuthTries 3"
trust_host_keys "$SSHD_PORT_MAIN"
mkdir -p "$T/home"
add_alias "$T/ssh_config" only "$SSHD_PORT_MAIN" "" "IdentityFile $T/k8" "IdentitiesOnly yes"
add_alias "$T/ssh_config" first "$SSHD_PORT_MAIN" "" "IdentityFile $T/k8"
add_alias "$T/ssh_config" fileonly "$SSHD_PORT_MAIN" "" "IdentityFile $T/id_ed25519" "IdentitiesOnly yes"
add_alias "$T/ssh_config" anykey "$SSHD_PORT_MAIN" "" "IdentityFile $T/none-such"

eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null || BAIL_OUT "ssh-agent did not start"
at_exit kill "$SSH_AGENT_PID"
for i in 1 2 3 4 5 6 7; do ssh-add -q "$T/k$i" 2>/dev/null || BAIL_OUT "ssh-add k$i"; done
SSH_ASKPASS_REQUIRE=force SSH_ASKPASS="$T/askpass" DISPLAY=none \
    bash -c "printf '#!/bin/sh\necho k8-pass\n' >'$T/askpass'; chmod +x '$T/askpass'; ssh-add -q '$T/k8' </dev/null" 2>/dev/null ||
    BAIL_OUT "ssh-add k8"
is "$(ssh-add -l | wc -l)" 8 "the agent holds 8 keys, the server's last"

# run_agent ARGS...: shoal with the agent, HOME=$T/home; like run_shoal.
run_agent() {
    env SSH_AUTH_SOCK="$T/agent.sock" HOME="$T/home" \
        timeout -k 2 60 "$SHOAL" "$@" </dev/null >"$T/out" 2>"$T/err"
    RC=$?
}
run_ssh() {
    SSH_AUTH_SOCK="$T/agent.sock" ssh -F "$T/ssh_config" -o BatchMode=yes "$1" true </dev/null >/dev/null 2>"$T/ssh.err"
}

run_ssh only
ok $? "ssh logs in with IdentitiesOnly and MaxAuthTries 3"
run_agent -F "$T/ssh_config" -w only -vv -- 'echo in'
is "$RC" 0 "so does shoal"
is "$(cat "$T/out")" "only: in" "and runs the command"
is "$(grep -c 'auth: offering' "$T/err")" 1 "offering one key only"
like "$(cat "$T/err")" "only: auth: offering $T/k8" "the IdentityFile's, signed by the agent"

run_ssh first
ok $? "ssh logs in without IdentitiesOnly: the agent key of the IdentityFile goes first"
run_agent -F "$T/ssh_config" -w first -vv -- 'echo in'
is "$RC" 0 "so does shoal"
like "$(grep 'auth: offering' "$T/err" | head -1)" "offering $T/k8" "offering that key first"

run_agent -F "$T/ssh_config" -w fileonly -vv -- 'echo in'
is "$RC" 0 "IdentitiesOnly with a key file not in the agent logs in"
unlike "$(cat "$T/err")" 'offering agent key' "and no agent key is offered"

# The agent's other keys go before an identity file not in the agent
# (SPEC 2a, as ssh's pubkey_prepare): both run out of tries here.
add_alias "$T/ssh_config" filelast "$SSHD_PORT_MAIN" "" "IdentityFile $T/id_ed25519"
run_ssh filelast
isnt $? 0 "an identity file, the agent's 8 other keys, MaxAuthTries 3: ssh runs out of tries"
run_agent -F "$T/ssh_config" -w filelast -vv -- 'echo in'
is "$RC" 3 "and so does shoal"
like "$(grep 'auth: offering' "$T/err" | head -1)" "offering agent key agent-key-1" "an agent key first"

run_ssh anykey
isnt $? 0 "no IdentityFile of the agent's, no IdentitiesOnly: ssh runs out of tries"
run_agent -F "$T/ssh_config" -w anykey -vv --json -- true
is "$RC" 3 "and so does shoal, the same way"
like "$(grep 'auth: offering' "$T/err" | head -1)" 'offering agent key agent-key-1( first, before none)?$' "agent keys go in agent order"
like "$(cat "$T/out")" '"error_kind":"auth_denied"' "auth_denied"
like "$(cat "$T/err")" 'anykey: auth_denied .*publickey refused \(agent key agent-key-1, agent key agent-key-2' "naming the keys refused"

# IdentityAgent none: the agent is not asked, the encrypted key is skipped.
add_alias "$T/ssh_config" noagent "$SSHD_PORT_MAIN" "" "IdentityFile $T/k8" "IdentityAgent none"
run_agent -F "$T/ssh_config" -w noagent -- true
is "$RC" 3 "IdentityAgent none: denied"
like "$(cat "$T/err")" "noagent: auth_denied .*no key sent; $T/k8: encrypted and not in the agent, skipped" "the agent is not asked"
done_testing
