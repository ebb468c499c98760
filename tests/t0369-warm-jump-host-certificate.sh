#!/usr/bin/env bash
# t0369: a jump host trusted through its host certificate (known_hosts holds
# "@cert-authority * CA" for it): the kept chain through it is judged at each
# reuse with that certificate, as a fresh connection judges it.  While the
# CA is trusted the warm run opens no connection to the jump host; once the
# CA is @revoked the warm run does not use the chain and reports what a cold
# run reports (hostkey_revoked, via the jump host).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
keeper_lab
ssh-keygen -q -t ed25519 -N '' -C ca -f "$T/ca" </dev/null || BAIL_OUT "ssh-keygen failed"
mkdir -p "$T/bastion"
ssh-keygen -q -t ed25519 -N '' -f "$T/bastion/hostkey" </dev/null || BAIL_OUT "ssh-keygen failed"
ssh-keygen -q -s "$T/ca" -I bastion -h -n 127.0.0.1 -V -5m:+1h "$T/bastion/hostkey.pub" 2>/dev/null ||
    BAIL_OUT "ssh-keygen -s failed"
start_sshd bastion "HostCertificate $T/bastion/hostkey-cert.pub" "LogLevel VERBOSE"
start_sshd target "LogLevel VERBOSE"
trust_host_keys "$SSHD_PORT_TARGET"
read -r catype cablob _ <"$T/ca.pub"
echo "@cert-authority * $catype $cablob" >>"$T/known_hosts"
add_alias "$T/ssh_config" bastion "$SSHD_PORT_BASTION"
add_alias "$T/ssh_config" t01 "$SSHD_PORT_TARGET" "" "ProxyJump bastion"
conns() { grep -c "Connection from" "$T/$1/log"; }

run_shoal -F "$T/ssh_config" --persist 60 -v -w t01 -- echo RAN
is "$RC" 0 "the bastion is trusted through its certificate, the session through it kept"
like "$(cat "$T/err")" "--persist: 1 session kept" "kept"
b0=$(conns bastion)
run_shoal -F "$T/ssh_config" -w t01 -- echo RAN
is "$(cat "$T/out")" "t01: RAN" "a warm run"
is "$(conns bastion)" "$b0" "over the kept chain: the bastion's certificate is judged again, and passes"

echo "@revoked * $catype $cablob" >>"$T/known_hosts"
run_shoal -F "$T/ssh_config" -v -w t01 -- echo RAN
warm_rc=$RC
warm_err=$(grep 't01: hostkey' "$T/err")
unlike "$(cat "$T/out")" RAN "the CA revoked: the command did not run"
like "$(cat "$T/err")" "t01: warm run: the kept session's jump host bastion is not trusted now \\(hostkey_revoked" \
    "-v says the kept chain was not used"
XDG_RUNTIME_DIR=$T/cold-run
mkdir -m 700 "$XDG_RUNTIME_DIR"
run_shoal -F "$T/ssh_config" -w t01 -- echo RAN
is "$warm_rc" "$RC" "warm and cold exit alike ($RC)"
is "$warm_err" "$(grep 't01: hostkey' "$T/err")" "and report alike"
like "$warm_err" "t01: hostkey_revoked .*via bastion" "hostkey_revoked, via the bastion"

done_testing
