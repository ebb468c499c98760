#!/usr/bin/env bash
# t0353: keys that cannot be sent are not sent, and the message says why:
# an RSA key for a server whose server-sig-algs has no rsa-sha2-* (a
# paramiko server, tests/paramiko-server.py, which logs every key offered)
# is never offered and is named "server did not offer rsa-sha2-*, not sent",
# while the next key still goes; an IdentityFile whose private half is
# missing but whose .pub is there finds the key in the agent, as with ssh;
# a key whose algorithm PubkeyAcceptedAlgorithms leaves out is not sent.
. "$(dirname "$0")/lib.sh"

/usr/bin/python3 -c 'import paramiko' 2>/dev/null || skip_all "no python3-paramiko (bash tests/deps.sh test)"
command -v ssh-agent >/dev/null || skip_all "no ssh-agent"
lab_user
lab_keys
ssh-keygen -q -t rsa -b 2048 -N '' -C shoal-rsa -f "$T/rsa" </dev/null || BAIL_OUT "ssh-keygen"
ssh-keygen -q -t ed25519 -N '' -C shoal-ed -f "$T/ed" </dev/null || BAIL_OUT "ssh-keygen"
mkdir -p "$T/pk"
ssh-keygen -q -t ed25519 -N '' -f "$T/pk/hostkey" </dev/null || BAIL_OUT "ssh-keygen"
/usr/bin/python3 "$top_srcdir/tests/paramiko-server.py" no-rsa-sha2 0 "$T/pk/hostkey" \
    >"$T/pk/offered" 2>"$T/pk/log" &
listening() { grep -q '^listening ' "$T/pk/log"; }
wait_for 20 listening || BAIL_OUT "paramiko-server.py did not start: $(cat "$T/pk/log")"
port=$(sed -n 's/^listening //p' "$T/pk/log")
read -r type blob _ <"$T/pk/hostkey.pub"
echo "[127.0.0.1]:$port $type $blob" >>"$T/known_hosts"
add_alias "$T/ssh_config" oldserver "$port" "" "IdentityFile $T/rsa" "IdentityFile $T/ed"

run_shoal -F "$T/ssh_config" -w oldserver --json -- true
is "$RC" 3 "denied: exit 3"
like "$(cat "$T/err")" "oldserver: auth_denied \\(auth phase, attempt 1\\): publickey refused \\($T/ed\\); $T/rsa: server did not offer rsa-sha2-\\*, not sent \\(server allows: publickey\\)" "the RSA key is named not sent, the other refused"
wait_for 5 grep -q ssh-ed25519 "$T/pk/offered"
is "$(sort -u "$T/pk/offered")" "offered ssh-ed25519" "the server saw the ed25519 key only, never the RSA key"

# The private half elsewhere (only in the agent), KEY.pub beside the
# IdentityFile: the agent's key is found and offered, alone.
start_sshd main "MaxAuthTries 2"
trust_host_keys "$SSHD_PORT_MAIN"
eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null || BAIL_OUT "ssh-agent did not start"
at_exit kill "$SSH_AGENT_PID"
for k in rsa ed id_ed25519; do ssh-add -q "$T/$k" 2>/dev/null || BAIL_OUT "ssh-add $k"; done
mkdir -p "$T/pubonly"
cp "$T/id_ed25519.pub" "$T/pubonly/key.pub"
add_alias "$T/ssh_config" pubonly "$SSHD_PORT_MAIN" "" "IdentityFile $T/pubonly/key" "IdentitiesOnly yes"
env SSH_AUTH_SOCK="$T/agent.sock" timeout -k 2 60 "$SHOAL" -F "$T/ssh_config" -w pubonly -vv -- 'echo in' \
    </dev/null >"$T/out" 2>"$T/err"
is "$?" 0 "IdentityFile with only its .pub, the key in the agent: logs in"
is "$(grep -c 'auth: offering' "$T/err")" 1 "offering that key alone"
env -u SSH_AUTH_SOCK timeout -k 2 60 "$SHOAL" -F "$T/ssh_config" -w pubonly -- true \
    </dev/null >"$T/out" 2>"$T/err"
like "$(cat "$T/err")" "pubonly: auth_denied .*no key sent; $T/pubonly/key: only its .pub is there and it is not in the agent, skipped" "without the agent: skipped, with the reason"

# An RSA key signed by the agent (rsa-sha2-* asked of the agent).
cat "$T/rsa.pub" >>"$T/authorized_keys"
mkdir -p "$T/rsapub"
cp "$T/rsa.pub" "$T/rsapub/rsa.pub"
add_alias "$T/ssh_config" rsaagent "$SSHD_PORT_MAIN" "" "IdentityFile $T/rsapub/rsa" "IdentitiesOnly yes"
env SSH_AUTH_SOCK="$T/agent.sock" timeout -k 2 60 "$SHOAL" -F "$T/ssh_config" -w rsaagent -- 'echo in' \
    </dev/null >"$T/out" 2>"$T/err"
is "$?" 0 "an RSA key in the agent signs for sshd (rsa-sha2)"

# PubkeyAcceptedAlgorithms that leaves the key's algorithm out: not sent.
add_alias "$T/ssh_config" algs "$SSHD_PORT_MAIN" "" "PubkeyAcceptedAlgorithms rsa-sha2-512"
run_shoal -F "$T/ssh_config" -w algs -- true
like "$(cat "$T/err")" "algs: auth_denied .*no key sent; $T/id_ed25519: its algorithm is not in PubkeyAcceptedAlgorithms, not sent" "a key PubkeyAcceptedAlgorithms leaves out is not sent"
done_testing
