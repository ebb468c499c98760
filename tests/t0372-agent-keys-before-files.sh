#!/usr/bin/env bash
# t0372: keys go out in OpenSSH's order (sshconnect2.c pubkey_prepare, SPEC
# 2a, issue 23): the agent's other keys before the identity files not in
# the agent.  On sshd with MaxAuthTries 3, three identity files the server
# refuses and an agent holding the key it takes: ssh logs in, and so does
# shoal (it offered the files first and got "Too many authentication
# failures").  An IdentityFile naming a public key (KEY.pub, no private key
# on disk, IdentitiesOnly: the 1Password/Secretive/YubiKey set-up) selects
# that key from the agent, as in ssh.  auth_denied names every key sshd
# refused, the one it hung up on included.  A missing -i or IdentityFile is
# warned about as ssh warns, and a missing -i left out as ssh leaves it.
. "$(dirname "$0")/lib.sh"

command -v ssh-agent >/dev/null || skip_all "no ssh-agent"
lab_user
lab_keys
for k in f1 f2 f3 a1 a2 a3 good pubonly; do
    ssh-keygen -q -t ed25519 -N '' -C "key-$k" -f "$T/$k" </dev/null || BAIL_OUT "ssh-keygen"
done
cat "$T/good.pub" "$T/pubonly.pub" >>"$T/authorized_keys"
start_sshd main "MaxAuthTries 3"
trust_host_keys "$SSHD_PORT_MAIN"
mkdir -p "$T/home"
P=$SSHD_PORT_MAIN
add_alias "$T/ssh_config" files3 "$P" "" "IdentityFile $T/f1" "IdentityFile $T/f2" "IdentityFile $T/f3"
add_alias "$T/ssh_config" pubkey "$P" "" "IdentityFile $T/pubonly.pub" "IdentitiesOnly yes"
add_alias "$T/ssh_config" missing "$P" "" "IdentityFile $T/no-such-key" "IdentityFile $T/f1" \
    "IdentitiesOnly yes"

eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null || BAIL_OUT "ssh-agent did not start"
at_exit kill "$SSH_AGENT_PID"
ssh-add -q "$T/good" "$T/pubonly" 2>/dev/null || BAIL_OUT "ssh-add"
# The private key of pubonly lives only in the agent now.
rm -f "$T/pubonly"

run_agent() { # like run_shoal, with the agent
    env SSH_AUTH_SOCK="$T/agent.sock" HOME="$T/home" \
        timeout -k 2 60 "$SHOAL" "$@" </dev/null >"$T/out" 2>"$T/err"
    RC=$?
}
run_ssh() {
    SSH_AUTH_SOCK="$T/agent.sock" HOME="$T/home" ssh -F "$T/ssh_config" -o BatchMode=yes \
        "$@" true </dev/null >/dev/null 2>"$T/ssh.err"
}

run_ssh files3
ok $? "ssh: three refused identity files, the agent's key, MaxAuthTries 3: logs in"
run_agent -F "$T/ssh_config" -w files3 -vv -- 'echo in'
is "$RC" 0 "shoal logs in too"
is "$(cat "$T/out")" "files3: in" "and runs the command"
like "$(grep 'auth: offering' "$T/err" | head -1)" "offering agent key key-good" \
    "the agent's key goes before the identity files"

run_ssh pubkey
ok $? "ssh: IdentityFile KEY.pub + IdentitiesOnly selects the agent's key"
run_agent -F "$T/ssh_config" -w pubkey -vv -- 'echo in'
is "$RC" 0 "shoal logs in with it too"
is "$(grep -c 'auth: offering' "$T/err")" 1 "offering that key only"
unlike "$(cat "$T/err")" "not a private key libssh can read" "the .pub is not refused as a bad key"

# Every refused key named, the one sshd hung up on too.
ssh-add -q -D 2>/dev/null
ssh-add -q "$T/a1" "$T/a2" "$T/a3" 2>/dev/null || BAIL_OUT "ssh-add a1-a3"
run_ssh files3 -o IdentitiesOnly=no
isnt $? 0 "ssh: three refused agent keys, MaxAuthTries 3: cut off"
run_agent -F "$T/ssh_config" -w files3 -- true
is "$RC" 3 "shoal: cut off too"
like "$(cat "$T/err")" \
    "files3: auth_denied .*publickey refused \\(agent key key-a1, agent key key-a2, agent key key-a3\\)" \
    "auth_denied names all three keys sshd refused"

# Missing identity files: ssh's warnings (ssh's when it comes to try it).
run_ssh missing
like "$(cat "$T/ssh.err")" "no such identity: $T/no-such-key: No such file or directory" \
    "ssh warns of a missing IdentityFile"
run_agent -F "$T/ssh_config" -w missing -- true
like "$(cat "$T/err")" "missing: auth_denied .*publickey refused \\($T/f1\\)" \
    "a missing IdentityFile does not stop shoal from offering the next"
like "$(cat "$T/err")" "missing: auth: no such identity: $T/no-such-key: No such file or directory" \
    "shoal warns of it as ssh does"
run_ssh -i "$T/absent-key" files3
like "$(cat "$T/ssh.err")" "Warning: Identity file $T/absent-key not accessible: No such file or directory." \
    "ssh warns of a missing -i"
run_agent -F "$T/ssh_config" -i "$T/absent-key" -w files3 -- true
like "$(cat "$T/err")" "Warning: Identity file $T/absent-key not accessible: No such file or directory." \
    "shoal warns of it with ssh's words"
unlike "$(cat "$T/err")" "no such identity" "and, as ssh, leaves it out (no second warning)"
is "$(run_shoal -G -F /dev/null -i "$T/absent-key" -w h; grep '^identityfile' "$T/out")" \
    "$(ssh -G -F /dev/null -i "$T/absent-key" h </dev/null 2>/dev/null | grep '^identityfile')" \
    "-G: the default identities apply, as in ssh -G"

done_testing
