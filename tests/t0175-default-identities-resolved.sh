#!/usr/bin/env bash
# t0175: with no -i and no IdentityFile, the identities are ssh's default
# list as OpenSSH 9.2 has it (id_rsa, id_ecdsa, id_ecdsa_sk, id_ed25519,
# id_ed25519_sk, id_xmss, id_dsa in ~/.ssh), decided once with the host's
# settings: -G prints them as ssh -G does, and a login offers every one of
# them as ssh does.  ~ is the passwd home (as for ssh): the test runs shoal
# and ssh in a mount namespace where that home is $T/home.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "needs root (a private mount of the home directory)"
unshare -m true 2>/dev/null || skip_all "no mount namespaces here"
lab_user
lab_keys
home=$(getent passwd "$(id -un)" | cut -d: -f6)
[ -n "$home" ] && [ -d "$home" ] || skip_all "no home directory for $(id -un)"
mkdir -m 700 -p "$T/home/.ssh"
start_sshd main
trust_host_keys "$SSHD_PORT_MAIN"
# No IdentityFile: the defaults apply.
printf 'Host d\n    HostName 127.0.0.1\n    Port %s\n    User %s\n    UserKnownHostsFile %s\n    StrictHostKeyChecking yes\n    IdentitiesOnly yes\n' \
    "$SSHD_PORT_MAIN" "$LAB_USER" "$T/known_hosts" >"$T/cfg"

# in_home CMD...: CMD with the passwd home replaced by $T/home, no agent.
in_home() {
    env -u SSH_AUTH_SOCK unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
        sh "$T/home" "$home" "$@"
}

in_home timeout 30 "$SHOAL" -G -F "$T/cfg" -w d </dev/null >"$T/g.shoal" 2>&1
in_home ssh -G -F "$T/cfg" d </dev/null >"$T/g.ssh" 2>&1
is "$(grep '^identityfile' "$T/g.shoal")" "$(grep '^identityfile' "$T/g.ssh")" \
    "-G: the default identityfile lines are ssh -G's"
like "$(grep -c '^identityfile' "$T/g.shoal")" '^7$' "-G: all seven of OpenSSH 9.2's defaults"

# A key the old four-name list never offered: ~/.ssh/id_ed25519_sk holding
# an ordinary ed25519 key (ssh, like shoal, reads a key by its content).
for name in id_ed25519_sk id_xmss; do
    rm -f "$T/home/.ssh/"id_*
    cp "$T/id_ed25519" "$T/home/.ssh/$name"
    cp "$T/id_ed25519.pub" "$T/home/.ssh/$name.pub"
    in_home timeout 30 ssh -F "$T/cfg" -o BatchMode=yes d echo ssh-in </dev/null >"$T/ssh.out" 2>"$T/ssh.err"
    is "$(cat "$T/ssh.out")" "ssh-in" "ssh logs in with ~/.ssh/$name, a default identity"
    in_home timeout 30 "$SHOAL" -F "$T/cfg" -w d -- echo shoal-in </dev/null >"$T/out" 2>"$T/err"
    RC=$?
    is "$RC" 0 "shoal logs in with ~/.ssh/$name too ($(tail -1 "$T/err"))"
    like "$(cat "$T/out")" "shoal-in" "and runs the command"
    unlike "$(cat "$T/err")" "no such identity|not accessible" "the defaults that are missing are not warned of"
done

# As before: ~/.ssh/id_ed25519, and no default at all is auth_denied.
rm -f "$T/home/.ssh/"id_*
cp "$T/id_ed25519" "$T/home/.ssh/id_ed25519"
in_home timeout 30 "$SHOAL" -F "$T/cfg" -w d -- echo shoal-in </dev/null >"$T/out" 2>"$T/err"
is "$?" 0 "shoal logs in with ~/.ssh/id_ed25519 as before"
rm -f "$T/home/.ssh/"id_*
in_home timeout 30 "$SHOAL" -F "$T/cfg" -w d -- echo shoal-in </dev/null >"$T/out" 2>"$T/err"
like "$(cat "$T/err")" "auth_denied" "no default key on disk: auth_denied"

done_testing
