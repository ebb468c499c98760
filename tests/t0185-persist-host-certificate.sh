#!/usr/bin/env bash
# t0185: a kept session whose server was trusted through its host
# certificate (known_hosts holds only "@cert-authority * CA") is judged at
# each reuse with that certificate, as a fresh connection judges it: while
# the CA is trusted the warm run logs in nowhere; once the @cert-authority
# line is gone the warm run runs nothing and is hostkey_unknown (strict);
# once the CA is @revoked, hostkey_revoked.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
keeper_lab
ssh-keygen -q -t ed25519 -N '' -C ca -f "$T/ca" </dev/null || BAIL_OUT "ssh-keygen failed"
mkdir -p "$T/cert"
ssh-keygen -q -t ed25519 -N '' -f "$T/cert/hostkey" </dev/null || BAIL_OUT "ssh-keygen failed"
ssh-keygen -q -s "$T/ca" -I cert -h -n 127.0.0.1 -V -5m:+1h "$T/cert/hostkey.pub" 2>/dev/null ||
    BAIL_OUT "ssh-keygen -s failed"
start_sshd cert "HostCertificate $T/cert/hostkey-cert.pub" "LogLevel INFO"
add_alias "$T/ssh_config" c1 "$SSHD_PORT_CERT"
read -r catype cablob _ <"$T/ca.pub"
echo "@cert-authority * $catype $cablob" >"$T/known_hosts"
logins() { grep -c 'Accepted publickey' "$T/cert/log"; }

run_shoal -F "$T/ssh_config" --persist 60 -w c1 -- echo RAN
is "$RC" 0 "the host is trusted through its certificate and its session kept"
run_shoal -F "$T/ssh_config" -w c1 -- echo RAN
is "$RC" 0 "a warm run"
is "$(logins)" 1 "over the kept session: its certificate is judged again, and passes"

cp "$T/known_hosts" "$T/kh.good"
: >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w c1 -- echo RAN
is "$RC" 3 "the CA no longer trusted: exit 3"
like "$(cat "$T/err")" "c1: hostkey_unknown \\(kex phase" "hostkey_unknown, as a fresh connection"
unlike "$(cat "$T/out")" RAN "the command did not run"

cp "$T/kh.good" "$T/known_hosts"
run_shoal -F "$T/ssh_config" -w c1 -- echo RAN
is "$RC" 0 "the CA trusted again: the host logs in afresh"
run_shoal -F "$T/ssh_config" -w c1 -- echo RAN
is "$(logins)" 2 "and its new session is kept in place of the dropped one"

echo "@revoked * $catype $cablob" >>"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w c1 -- echo RAN
is "$RC" 3 "the CA revoked: exit 3"
like "$(cat "$T/err")" "c1: hostkey_revoked \\(kex phase" "hostkey_revoked, as a fresh connection"
unlike "$(cat "$T/out")" RAN "the command did not run"
done_testing
