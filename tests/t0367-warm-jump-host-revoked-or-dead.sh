#!/usr/bin/env bash
# t0367: a kept session through a jump host is used only while the chain is
# sound (issue 22).  The jump host's key revoked since the session was kept
# (RevokedHostKeys in its ssh_config): the warm run does not use the kept
# chain, and reports what a cold run reports (hostkey_revoked, via the jump
# host); OpenSSH refuses the jump host too.  The jump host's connection cut
# while the keeper holds it: the next run connects afresh and runs, as a
# cold run does, at once (no hang).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
keeper_lab
start_sshd bastion "LogLevel VERBOSE"
start_sshd target "LogLevel VERBOSE"
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_TARGET"
# The bastion's first connection through the proxy can be cut on demand.
start_faultproxy "0:127.0.0.1:$SSHD_PORT_BASTION:cut,relay"
fp=$FP_PID
trust_host_keys "$FP_PORT_1"
: >"$T/revoked"
write_ssh_config "$T/ssh_config"
add_alias "$T/ssh_config" rb "$SSHD_PORT_BASTION" "" "RevokedHostKeys $T/revoked"
add_alias "$T/ssh_config" cutb "$FP_PORT_1"
add_alias "$T/ssh_config" r01 "$SSHD_PORT_TARGET" "" "ProxyJump rb"
add_alias "$T/ssh_config" x01 "$SSHD_PORT_TARGET" "" "ProxyJump cutb"
conns() { grep -c "Connection from" "$T/$1/log"; }

run_shoal -F "$T/ssh_config" --persist 60 -v -w r01,x01 -- true
is "$RC" 0 "the first run keeps both targets' sessions"
like "$(cat "$T/err")" "--persist: 2 sessions kept" "two kept"
b0=$(conns bastion)
run_shoal -F "$T/ssh_config" -w r01,x01 -- echo RAN
is "$RC" 0 "a warm run"
is "$(conns bastion)" "$b0" "through the kept jump sessions"

# ---- the jump host's key revoked -------------------------------------------
cp "$T/bastion/hostkey.pub" "$T/revoked"
run_shoal -F "$T/ssh_config" -v -w r01 -- echo RAN
warm_rc=$RC
warm_err=$(grep 'r01: hostkey' "$T/err")
unlike "$(cat "$T/out")" RAN "the warm run ran nothing through the revoked jump host"
like "$(cat "$T/err")" "r01: warm run: the kept session's jump host rb is not trusted now \\(hostkey_revoked" \
    "-v says the kept chain was not used, and why"
XDG_RUNTIME_DIR=$T/cold-run
mkdir -m 700 "$XDG_RUNTIME_DIR"
run_shoal -F "$T/ssh_config" -w r01 -- echo RAN
XDG_RUNTIME_DIR=$T/run
is "$warm_rc" "$RC" "warm and cold exit alike ($RC)"
is "$warm_err" "$(grep 'r01: hostkey' "$T/err")" "and report alike"
like "$warm_err" "r01: hostkey_revoked .*via rb" "hostkey_revoked, via the jump host"
ssh -F "$T/ssh_config" -o BatchMode=yes r01 true 2>/dev/null
isnt "$?" 0 "ssh refuses the jump host as well"
run_shoal -F "$T/ssh_config" -w r01 -- echo RAN
is "$RC" "$warm_rc" "the next run too: the kept chain was dropped, not tried again"

# ---- the jump host's connection cut while kept ------------------------------
b0=$(conns bastion)
kill -USR1 "$fp"
start=$(date +%s)
run_shoal -F "$T/ssh_config" -v -w x01 -- echo RAN
is "$RC" 0 "after the jump host's connection broke, the run succeeds"
is "$(cat "$T/out")" "x01: RAN" "with the output a cold run gives"
cmp_ok "$(($(date +%s) - start))" -lt 15 "at once, not after a keepalive's wait"
cmp_ok "$(conns bastion)" -gt "$b0" "over a new connection to the jump host"
run_shoal -F "$T/ssh_config" -v -w x01 -- echo RAN
is "$RC" 0 "and the run after it too"

done_testing
