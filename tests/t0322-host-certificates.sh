#!/usr/bin/env bash
# t0322: host certificates (issue 14).  sshd presents a HostCertificate and
# known_hosts holds only "@cert-authority * CA": a certificate naming the
# host (127.0.0.1), valid now, signed by that CA, makes the host known under
# strict and nothing is recorded; a certificate naming another host, an
# expired one, or one whose CA is @revoked is refused under strict and
# accept-new, nothing recorded (revoked: under insecure too); a certificate
# from a CA known_hosts does not trust, or none, leaves the key unknown,
# and accept-new records the host's own key, as OpenSSH does.  OpenSSH's ssh
# agrees on the right and the wrong principal.  libssh 0.10 never asks for
# a certificate: shoal fetches it over a second connection (-vv says so).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
ssh-keygen -q -t ed25519 -N '' -C ca -f "$T/ca" </dev/null || BAIL_OUT "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -C otherca -f "$T/otherca" </dev/null || BAIL_OUT "ssh-keygen failed"

# cert_sshd NAME CA ssh-keygen-args...: an sshd whose host key CA signed.
cert_sshd() {
    local name=$1 ca=$2
    shift 2
    mkdir -p "$T/$name"
    ssh-keygen -q -t ed25519 -N '' -f "$T/$name/hostkey" </dev/null || BAIL_OUT "ssh-keygen failed"
    ssh-keygen -q -s "$T/$ca" -I "$name" -h "$@" "$T/$name/hostkey.pub" 2>/dev/null ||
        BAIL_OUT "ssh-keygen -s failed"
    start_sshd "$name" "HostCertificate $T/$name/hostkey-cert.pub"
}
cert_sshd good ca -n 127.0.0.1,web1.example.com -V -5m:+1h
cert_sshd wrong ca -n web2.example.com -V -5m:+1h
cert_sshd expired ca -n 127.0.0.1 -V 20200101:20200102
cert_sshd other otherca -n 127.0.0.1
start_sshd plain
add_alias "$T/ssh_config" good "$SSHD_PORT_GOOD"
add_alias "$T/ssh_config" wrong "$SSHD_PORT_WRONG"
add_alias "$T/ssh_config" expired "$SSHD_PORT_EXPIRED"
add_alias "$T/ssh_config" other "$SSHD_PORT_OTHER"
add_alias "$T/ssh_config" plain "$SSHD_PORT_PLAIN"
read -r catype cablob _ <"$T/ca.pub"
ca_line="@cert-authority * $catype $cablob"

# refused ALIAS POLICY KIND WHAT ERE: one run refused, the file untouched.
refused() {
    local alias=$1 policy=$2 kind=$3 what=$4 ere=$5
    cp "$T/known_hosts" "$T/kh.before"
    run_shoal -F "$T/ssh_config" -w "$alias" --host-key-policy "$policy" -- echo RAN
    is "$RC" 3 "$what, $policy: exit 3"
    like "$(cat "$T/err")" "$alias: $kind \\(kex phase, attempt 1\\)" "$what, $policy: $kind"
    like "$(cat "$T/err")" "$ere" "$what, $policy: the cause is named"
    unlike "$(cat "$T/out")" RAN "$what, $policy: the command did not run"
    if cmp -s "$T/known_hosts" "$T/kh.before"; then
        pass "$what, $policy: known_hosts not modified"
    else
        fail "$what, $policy: known_hosts not modified"
        diag "$(diff "$T/kh.before" "$T/known_hosts")"
    fi
}

# ssh_ok PORT: OpenSSH's ssh accepts the host with this known_hosts.
ssh_ok() {
    ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
        -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
        -o IdentitiesOnly=yes -i "$T/id_ed25519" -p "$1" "$LAB_USER@127.0.0.1" true \
        </dev/null >"$T/ssh.out" 2>&1
}

echo "$ca_line" >"$T/known_hosts"
for policy in strict accept-new; do
    run_shoal -F "$T/ssh_config" -w good --host-key-policy "$policy" -vv -- echo RAN
    is "$RC" 0 "the right principal, $policy: the CA vouches for the host"
    like "$(cat "$T/out")" "good: RAN" "the right principal, $policy: the command ran"
    is "$(cat "$T/known_hosts")" "$ca_line" "the right principal, $policy: nothing recorded"
done
like "$(cat "$T/err")" "good: host certificate fetched" "-vv: the certificate was fetched apart"
ssh_ok "$SSHD_PORT_GOOD"
ok $? "OpenSSH's ssh accepts the same certificate"

for policy in strict accept-new; do
    refused wrong "$policy" hostkey_unknown "the wrong principal" \
        "certificate does not name 127\\.0\\.0\\.1 among its principals"
    refused expired "$policy" hostkey_unknown "an expired certificate" "certificate expired"
done
like "$(cat "$T/err")" "known_hosts:1: certificate expired" "the @cert-authority line is named"
ssh_ok "$SSHD_PORT_WRONG"
isnt $? 0 "OpenSSH's ssh refuses the wrong principal too"
run_shoal -F "$T/ssh_config" -w wrong --host-key-policy insecure -- echo RAN
is "$RC" 0 "the wrong principal under insecure: accepted"
like "$(cat "$T/err")" "WARNING: host certificate refused" "and warned about"

# A revoked CA: refused under every policy.
printf '%s\n@revoked * %s %s\n' "$ca_line" "$catype" "$cablob" >"$T/known_hosts"
for policy in strict accept-new insecure; do
    refused good "$policy" hostkey_revoked "a revoked CA" \
        "is revoked \\(@revoked at $T/known_hosts:2, the certificate's CA\\)"
done
# The host's own key revoked, its certificate valid.
read -r htype hblob _ <"$T/good/hostkey.pub"
printf '%s\n@revoked * %s %s\n' "$ca_line" "$htype" "$hblob" >"$T/known_hosts"
refused good strict hostkey_revoked "the certificate's key @revoked" "@revoked at $T/known_hosts:2"

# A server with no certificate: its key alone, and -v says why.
echo "$ca_line" >"$T/known_hosts"
refused plain strict hostkey_unknown "no certificate" "is not in known_hosts"
run_shoal -F "$T/ssh_config" -w plain --host-key-policy strict -v -- true
like "$(cat "$T/err")" "plain: no host certificate from the server \\(the server offers no certificate" \
    "-v: the server offers no certificate"

# A CA known_hosts does not trust: unknown; accept-new records the host key.
echo "$ca_line" >"$T/known_hosts"
refused other strict hostkey_unknown "another CA" "is not in known_hosts"
read -r otype oblob _ <"$T/other/hostkey.pub"
run_shoal -F "$T/ssh_config" -w other --host-key-policy accept-new -- echo RAN
is "$RC" 0 "another CA, accept-new: the host key is recorded"
is "$(sed -n 2p "$T/known_hosts")" "[127.0.0.1]:$SSHD_PORT_OTHER $otype $oblob" \
    "the host's own key, not its certificate"
done_testing
