#!/usr/bin/env bash
# t0214: HostKeyAlias, as in ssh: known_hosts is looked up, and accept-new
# records, under the alias (lower case, no [host]:port form), never under
# HostName and port; the key exchange prefers the key type known for the
# alias; a host certificate must name the alias among its principals.
# OpenSSH's ssh agrees on what is accepted and on the line it records.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
# a server with two host keys: ed25519 (libssh's first choice) and RSA
ssh-keygen -q -t rsa -b 2048 -N '' -f "$T/rsakey" </dev/null || BAIL_OUT "ssh-keygen failed"
start_sshd two "HostKey $T/rsakey"
ssh-keygen -q -t ed25519 -N '' -f "$T/wrongkey" </dev/null || BAIL_OUT "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -C ca -f "$T/ca" </dev/null || BAIL_OUT "ssh-keygen failed"
mkdir -p "$T/cert"
ssh-keygen -q -t ed25519 -N '' -f "$T/cert/hostkey" </dev/null || BAIL_OUT "ssh-keygen failed"
ssh-keygen -q -s "$T/ca" -I cert -h -n cert-alias -V -5m:+1h "$T/cert/hostkey.pub" 2>/dev/null ||
    BAIL_OUT "ssh-keygen -s failed"
start_sshd cert "HostCertificate $T/cert/hostkey-cert.pub"

read -r mtype mblob _ <"$T/main/hostkey.pub"
read -r wtype wblob _ <"$T/wrongkey.pub"
read -r rtype rblob _ <"$T/rsakey.pub"
read -r catype cablob _ <"$T/ca.pub"
P=$SSHD_PORT_MAIN

write_ssh_config "$T/ssh_config"
add_alias "$T/ssh_config" byalias "$P" "" "HostKeyAlias web-alias"
add_alias "$T/ssh_config" upper "$P" "" "HostKeyAlias WEB-Alias"
add_alias "$T/ssh_config" byname "$P"
add_alias "$T/ssh_config" fresh "$P" "" "HostKeyAlias Fresh-Alias" "StrictHostKeyChecking accept-new"
add_alias "$T/ssh_config" rsa "$SSHD_PORT_TWO" "" "HostKeyAlias rsa-alias"
add_alias "$T/ssh_config" certalias "$SSHD_PORT_CERT" "" "HostKeyAlias cert-alias"
add_alias "$T/ssh_config" certname "$SSHD_PORT_CERT"

# HostName's line holds another key, the alias's the right one.
printf '[127.0.0.1]:%s %s %s\nweb-alias %s %s\n' "$P" "$wtype" "$wblob" "$mtype" "$mblob" >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w byalias,upper -- echo RAN
is "$RC" 0 "the alias's line decides, not HostName's"
is "$(sort "$T/out")" "$(printf 'byalias: RAN\nupper: RAN')" "the command ran (an alias in capitals too, as ssh lowers it)"
run_shoal -F "$T/ssh_config" -w byname -- echo RAN
is "$RC" 3 "without HostKeyAlias HostName's line decides"
like "$(cat "$T/err")" "byname: hostkey_changed" "and it holds another key"
ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o HostKeyAlias=web-alias \
    -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o IdentitiesOnly=yes -i "$T/id_ed25519" -p "$P" "$LAB_USER@127.0.0.1" true </dev/null >"$T/ssh.out" 2>&1
is "$?" 0 "OpenSSH's ssh accepts the same host under the alias"

# accept-new records under the alias, as ssh does.
cp "$T/known_hosts" "$T/kh.before"
run_shoal -F "$T/ssh_config" -w fresh -- echo RAN
is "$RC" 0 "accept-new under an alias: runs"
is "$(tail -n 1 "$T/known_hosts")" "fresh-alias $mtype $mblob" "the alias is recorded, lower case, with no port"
cp "$T/kh.before" "$T/kh.ssh"
ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o HostKeyAlias=Fresh-Alias \
    -o HashKnownHosts=no -o UserKnownHostsFile="$T/kh.ssh" -o GlobalKnownHostsFile=/dev/null \
    -o IdentitiesOnly=yes -i "$T/id_ed25519" -p "$P" "$LAB_USER@127.0.0.1" true </dev/null >"$T/ssh.out" 2>&1
is "$(tail -n 1 "$T/kh.ssh")" "$(tail -n 1 "$T/known_hosts")" "the line OpenSSH's ssh records"
run_shoal -F "$T/ssh_config" -w fresh --host-key-policy strict -- echo RAN
is "$RC" 0 "and the next run knows the host under strict"

# Only the RSA key is known for the alias: the key exchange asks for it.
printf 'rsa-alias %s %s\n' "$rtype" "$rblob" >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w rsa -- echo RAN
is "$RC" 0 "the key type known for the alias is the one negotiated"
like "$(cat "$T/out")" "rsa: RAN" "and the command ran"

# A host certificate must name the alias.
printf '@cert-authority * %s %s\n' "$catype" "$cablob" >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w certalias -- echo RAN
is "$RC" 0 "a certificate for principal cert-alias: the host under HostKeyAlias cert-alias is known"
run_shoal -F "$T/ssh_config" -w certname -- echo RAN
is "$RC" 3 "without the alias the principal checked is 127.0.0.1"
like "$(cat "$T/err")" "does not name 127\\.0\\.0\\.1 among its principals" "and the certificate does not name it"
done_testing
