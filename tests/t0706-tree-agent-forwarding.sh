#!/usr/bin/env bash
# t0706: the operator's agent forwarded over the gateway session (issue 26),
# as ssh's ForwardAgent.  Targets that accept only a key held by the
# operator's ssh-agent, reached through a gateway with no key they accept:
# with -A (or ForwardAgent yes / a socket path in the gateway's ssh_config)
# twelve log in at once (the gateway's fanout) with the forwarded agent;
# without it they are auth_denied.
# Flat, -A forwards the agent to the hosts themselves, as ssh -A.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

command -v ssh-agent >/dev/null || skip_all "no ssh-agent"
tree_lab 1 1
# The operator's key: only the targets accept it, only the agent holds it.
ssh-keygen -q -t ed25519 -N '' -C shoal-operator -f "$T/opkey" </dev/null || BAIL_OUT "ssh-keygen failed"
cp "$T/opkey.pub" "$T/op_authorized"
chmod 644 "$T/op_authorized"
start_sshd tgta "AuthorizedKeysFile $T/op_authorized"
read -r type blob _ <"$T/tgta/hostkey.pub"
echo "[127.0.0.1]:$SSHD_PORT_TGTA $type $blob" >>"$T/gw/known_hosts"
add_aliases "$T/gw/ssh_config" a 12 "$SSHD_PORT_TGTA" \
    "IdentityFile $T/gw/id" "UserKnownHostsFile $T/gw/known_hosts"
add_alias "$T/ssh_config" gwfa "$SSHD_PORT_GW1" "" "ForwardAgent yes"
add_alias "$T/ssh_config" gwpath "$SSHD_PORT_GW1" "" "ForwardAgent $T/agent.sock"
add_alias "$T/ssh_config" direct "$SSHD_PORT_TGTA"
trust_host_keys "$SSHD_PORT_TGTA"

eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null || BAIL_OUT "ssh-agent did not start"
at_exit kill "$SSH_AGENT_PID"
ssh-add -q "$T/opkey" 2>/dev/null || BAIL_OUT "ssh-add failed"
chmod 711 "$T"

# run_agent SOCK ARGS...: shoal with SSH_AUTH_SOCK=SOCK (none when empty).
run_agent() {
    local sock=$1
    shift
    env -u SSH_AUTH_SOCK ${sock:+SSH_AUTH_SOCK="$sock"} \
        timeout -k 2 60 "$SHOAL" -F "$T/ssh_config" --gateway-shoal "$GW_SHOAL" "$@" \
        </dev/null >"$T/out" 2>"$T/err"
    RC=$?
}
oks() { jq -s '[.[] | select(.status == "ok")] | length' "$T/out"; }

run_agent "$T/agent.sock" --gateways gw1 -w 'a[01-12]' --json -r 0 -- 'echo in'
is "$RC" 3 "no forwarding asked: the gateway has no key the targets take (exit 3)"
is "$(jq -s '[.[] | select(.error_kind == "auth_denied")] | length' "$T/out")" 12 \
    "every target auth_denied"
is "$(jq -rs '[.[].via[0]] | unique | join(",")' "$T/out")" gw1 "through gw1"

run_agent "$T/agent.sock" --gateways gw1 -A -w 'a[01-12]' --json -r 0 -- 'echo in'
is "$RC" 0 "-A: the targets log in with the operator's forwarded agent"
is "$(oks)" 12 "all twelve ok"
is "$(jq -rs '[.[].stdout] | unique | join(",")' "$T/out")" 'in' "and ran the command"

run_agent "$T/agent.sock" --gateways gwfa -w 'a[01-12]' --json -r 0 -- true
is "$RC" 0 "ForwardAgent yes in the gateway's ssh_config does the same"
is "$(oks)" 12 "all twelve ok"
unlike "$(cat "$T/err")" 'ForwardAgent|forwarding' "and ForwardAgent is no longer named as not done"

run_agent "" --gateways gwpath -w 'a[01-12]' --json -r 0 -- true
is "$RC" 0 "ForwardAgent naming the agent's socket: forwarded with no SSH_AUTH_SOCK"
is "$(oks)" 12 "all twelve ok"

run_agent "" --gateways gw1 -A -w 'a[01-12]' --json -r 0 -- true
is "$RC" 3 "-A with no agent to forward: nothing forwarded, auth_denied (exit 3)"

# Flat: the agent reaches the host itself, and only when asked.
run_agent "$T/agent.sock" -A -w direct -- 'ssh-add -l'
is "$RC" 0 "flat -A: the host sees the forwarded agent"
like "$(cat "$T/out")" 'shoal-operator' "holding the operator's key"
run_agent "$T/agent.sock" -w direct -- 'ssh-add -l'
isnt "$RC" 0 "without -A the host has no agent"

# Warm as cold: a kept session cannot carry this run's agent, so -A connects afresh.
keeper_lab
run_agent "$T/agent.sock" -w direct --persist 60 -- true
is "$RC" 0 "a run that keeps its session"
run_agent "$T/agent.sock" -A -vv -w direct -- 'ssh-add -l'
is "$RC" 0 "-A after it: the host still sees the forwarded agent"
like "$(cat "$T/out")" 'shoal-operator' "holding the operator's key"
unlike "$(cat "$T/err")" 'running over a kept session' "on a fresh session, not the kept one"
run_agent "$T/agent.sock" -vv -w direct -- true
like "$(cat "$T/err")" 'running over a kept session' "without -A the kept session still serves"
done_testing
