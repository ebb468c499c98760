#!/usr/bin/env bash
# t0351: user certificates.  A server that trusts only a CA
# (TrustedUserCAKeys, the key itself in no authorized_keys) takes a key
# offered with its certificate: KEY-cert.pub beside the key, or a
# CertificateFile; ssh and shoal both log in, also when only the agent
# holds the key.  A certificate with no key that shoal or the agent can sign
# with is skipped with a note, never sent.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
ssh-keygen -q -t ed25519 -N '' -C shoal-ca -f "$T/ca" </dev/null || BAIL_OUT "ssh-keygen"
for k in beside other; do
    ssh-keygen -q -t ed25519 -N '' -C "cert-$k" -f "$T/$k" </dev/null || BAIL_OUT "ssh-keygen"
    ssh-keygen -q -s "$T/ca" -I "shoal-$k" -n "$LAB_USER" -V -5m:+1h "$T/$k.pub" 2>/dev/null ||
        BAIL_OUT "ssh-keygen -s"
done
mkdir -p "$T/certs"
mv "$T/other-cert.pub" "$T/certs/other.crt"
start_sshd main "TrustedUserCAKeys $T/ca.pub"
trust_host_keys "$SSHD_PORT_MAIN"
add_alias "$T/ssh_config" beside "$SSHD_PORT_MAIN" "" "IdentityFile $T/beside" "IdentitiesOnly yes"
add_alias "$T/ssh_config" certfile "$SSHD_PORT_MAIN" "" "IdentityFile $T/other" \
    "CertificateFile $T/certs/other.crt" "IdentitiesOnly yes"
add_alias "$T/ssh_config" nokey "$SSHD_PORT_MAIN" "" "IdentityFile $T/beside" \
    "CertificateFile $T/certs/other.crt" "IdentitiesOnly yes"
add_alias "$T/ssh_config" plain "$SSHD_PORT_MAIN" "" "IdentityFile $T/other" "IdentitiesOnly yes"

for h in beside certfile; do
    env -u SSH_AUTH_SOCK ssh -F "$T/ssh_config" -o BatchMode=yes "$h" true </dev/null >/dev/null 2>&1
    ok $? "ssh logs in to $h with the certificate"
done
run_shoal -F "$T/ssh_config" -w beside -vv -- 'echo in'
is "$RC" 0 "KEY-cert.pub beside the key: shoal logs in"
is "$(cat "$T/out")" "beside: in" "and runs the command"
is "$(grep -o 'auth: offering .*' "$T/err" | tr '\n' '|')" "auth: offering $T/beside first, before none|auth: offering $T/beside-cert.pub|" "the plain key, then its certificate, as ssh orders them"

run_shoal -F "$T/ssh_config" -w certfile -vv -- 'echo in'
is "$RC" 0 "a CertificateFile with its IdentityFile: shoal logs in"
like "$(cat "$T/err")" "offering $T/certs/other.crt first" "offering the certificate"

run_shoal -F "$T/ssh_config" -w plain -- true
is "$RC" 3 "the plain key alone is refused by a server that trusts only the CA"
like "$(cat "$T/err")" "plain: auth_denied .*publickey refused \\($T/other\\)" "as publickey refused"

run_shoal -F "$T/ssh_config" -w nokey -- true
is "$RC" 3 "a CertificateFile for a key shoal does not have: denied"
like "$(cat "$T/err")" "$T/certs/other.crt: its key is in no identity file shoal can read and not in the agent, skipped" "the certificate is skipped with the reason"
# A certificate whose key only the agent has (the key file encrypted, or
# no key file at all): offered with the agent signing for it.
if command -v ssh-agent >/dev/null; then
    eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null || BAIL_OUT "ssh-agent did not start"
    at_exit kill "$SSH_AGENT_PID"
    ssh-keygen -q -t ed25519 -N 'enc-pass' -C cert-enc -f "$T/enc" </dev/null || BAIL_OUT "ssh-keygen"
    printf '#!/bin/sh\necho enc-pass\n' >"$T/askpass"
    chmod +x "$T/askpass"
    # Added before its certificate exists, so the agent holds the plain key only.
    SSH_ASKPASS_REQUIRE=force SSH_ASKPASS="$T/askpass" DISPLAY=none ssh-add -q "$T/enc" </dev/null 2>/dev/null ||
        BAIL_OUT "ssh-add enc"
    ssh-keygen -q -s "$T/ca" -I shoal-enc -n "$LAB_USER" -V -5m:+1h "$T/enc.pub" 2>/dev/null ||
        BAIL_OUT "ssh-keygen -s"
    cp "$T/enc-cert.pub" "$T/certs/enc.crt"
    add_alias "$T/ssh_config" agentbeside "$SSHD_PORT_MAIN" "" "IdentityFile $T/enc" "IdentitiesOnly yes"
    add_alias "$T/ssh_config" agentcertfile "$SSHD_PORT_MAIN" "" "IdentityFile $T/none-such" \
        "CertificateFile $T/certs/enc.crt" "IdentitiesOnly yes"
    for h in agentbeside agentcertfile; do
        env SSH_AUTH_SOCK="$T/agent.sock" timeout -k 2 60 "$SHOAL" -F "$T/ssh_config" -w "$h" -vv -- 'echo in' \
            </dev/null >"$T/out" 2>"$T/err"
        is "$?" 0 "$h: a certificate whose key only the agent holds logs in"
    done
    like "$(cat "$T/err")" "offering $T/certs/enc.crt" "the CertificateFile was offered"
else
    skip "no ssh-agent"
    skip "no ssh-agent"
    skip "no ssh-agent"
fi
done_testing
