#!/usr/bin/env bash
# t0310: with no identity file anywhere (no -i, no IdentityFile, a HOME with
# no keys), shoal logs in with the key held by ssh-agent (SSH_AUTH_SOCK), on
# several hosts at once; with the agent empty or absent it is auth_denied,
# once, saying there was no key to offer.
. "$(dirname "$0")/lib.sh"

command -v ssh-agent >/dev/null || skip_all "no ssh-agent"
lab_user
lab_keys
start_sshd main
trust_host_keys "$SSHD_PORT_MAIN"
mkdir -p "$T/home"
for i in 1 2 3; do
    cat >>"$T/ssh_config" <<CFG
Host agent0$i
    HostName 127.0.0.1
    Port $SSHD_PORT_MAIN
    User $LAB_USER
    UserKnownHostsFile $T/known_hosts
CFG
done
json() { grep "\"host\":\"$1\"" "$T/out"; }

eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null || BAIL_OUT "ssh-agent did not start"
at_exit kill "$SSH_AGENT_PID"
ssh-add -q "$T/id_ed25519" 2>/dev/null || BAIL_OUT "ssh-add failed"
is "$(ssh-add -l | wc -l)" 1 "the agent holds the lab key"

# run_agent SOCK ARGS...: shoal with SSH_AUTH_SOCK=SOCK (none when empty) and
# HOME=$T/home; like run_shoal otherwise.
run_agent() {
    local sock=$1
    shift
    env -u SSH_AUTH_SOCK ${sock:+SSH_AUTH_SOCK="$sock"} HOME="$T/home" \
        timeout -k 2 60 "$SHOAL" "$@" </dev/null >"$T/out" 2>"$T/err"
    RC=$?
}

run_agent "$T/agent.sock" -F "$T/ssh_config" -w 'agent0[1-3]' --json -- 'echo via-agent'
is "$RC" 0 "the agent's key logs in: exit 0"
is "$(grep -c '"status":"ok"' "$T/out")" 3 "on three hosts at once"
like "$(json agent02)" '"stdout":"via-agent\\n"' "and runs the command"

ssh-add -q -D 2>/dev/null
run_agent "$T/agent.sock" -F "$T/ssh_config" -w agent01 --json -- true
is "$RC" 3 "an empty agent: exit 3"
like "$(json agent01)" '"error_kind":"auth_denied".*"attempts":1,' "auth_denied, one attempt"

run_agent "" -F "$T/ssh_config" -w agent01 --retries 2 --json -- true
is "$RC" 3 "no agent and no key: exit 3"
like "$(json agent01)" '"error_kind":"auth_denied".*"attempts":1,' "auth_denied, never retried"
like "$(cat "$T/err")" 'agent01: auth_denied \(auth phase, attempt 1\): no key to offer \(server allows: publickey\)$' "saying no key was there to offer, and what the server allows"
done_testing
