#!/usr/bin/env bash
# t0361: a jump host is a host like any other for resilience, and its
# failures are its targets' (SPEC 3, issue 15).  A bastion that is down or
# denies auth fails every target behind it with the bastion's kind, "via
# BASTION: ...", each target not retried again on its own (the bastion had
# its retries); a bastion whose sshd forbids forwarding (AllowTcpForwarding
# no) refuses, never retried; a jump host reached through itself is a
# loop, named, not a hang; a target the bastion cannot reach is refused
# and retried; a bastion that freezes mid-run ends its running targets
# `lost`, quickly, never a hang.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd bastion "LogLevel VERBOSE"
start_sshd nofwd "AllowTcpForwarding no"
start_sshd target
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_NOFWD" "$SSHD_PORT_TARGET"
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
write_ssh_config "$T/ssh_config"
add_alias "$T/ssh_config" bastion "$SSHD_PORT_BASTION"
add_alias "$T/ssh_config" gone "$(free_port)"
add_alias "$T/ssh_config" denying "$SSHD_PORT_BASTION" "" "IdentityFile $T/stranger"
add_alias "$T/ssh_config" nofwd "$SSHD_PORT_NOFWD"
add_aliases "$T/ssh_config" g 4 "$SSHD_PORT_TARGET" "ProxyJump gone"
add_aliases "$T/ssh_config" a 4 "$SSHD_PORT_TARGET" "ProxyJump denying"
add_aliases "$T/ssh_config" n 3 "$SSHD_PORT_TARGET" "ProxyJump nofwd"
add_alias "$T/ssh_config" closed "$(free_port)" "" "ProxyJump bastion"
add_alias "$T/ssh_config" loopy "$SSHD_PORT_BASTION" "" "ProxyJump loopy"
add_alias "$T/ssh_config" behindloop "$SSHD_PORT_TARGET" "" "ProxyJump loopy"
quick=(-r 1 --backoff 0.05,0.1 -t 3)

# ---- bastion down --------------------------------------------------------------
start=$(date +%s)
run_shoal -F "$T/ssh_config" -w 'g[01-04]' --json "${quick[@]}" -- true
is "$RC" 3 "bastion down: its targets are unreached (exit 3)"
is "$(grep -c '"error_kind":"refused"' "$T/out")" 4 "every target has the bastion's kind, refused"
is "$(grep -c '"error":"via gone: refused: ' "$T/out")" 4 "and says it was the bastion: via gone: refused"
is "$(grep -c '"attempts":1,' "$T/out")" 4 "no target retried on its own: the bastion had the retries"
like "$(cat "$T/err")" "g01: refused \(connecting phase.*\): via gone: refused: 127.0.0.1:[0-9]+: Connection refused" \
    "the summary line names the hop, its kind and its cause"
cmp_ok "$(($(date +%s) - start))" -lt 20 "and the run ends at once"

# ---- bastion denying auth --------------------------------------------------------
run_shoal -F "$T/ssh_config" -w 'a[01-04]' --json "${quick[@]}" -- true
is "$RC" 3 "bastion denying auth: exit 3"
is "$(grep -c '"error_kind":"auth_denied"' "$T/out")" 4 "every target: auth_denied"
is "$(grep -c '"error":"via denying: auth_denied: ' "$T/out")" 4 "via denying: auth_denied"
is "$(grep -c '"via":\["denying"\]' "$T/out")" 4 'JSON "via" names the hop'
is "$(grep -c 'Accepted publickey' "$T/bastion/log")" 0 "(nothing logged in to the bastion)"

# ---- AllowTcpForwarding no -------------------------------------------------------
run_shoal -F "$T/ssh_config" -w 'n[01-03]' --json -r 2 --backoff 0.05,0.1 -- true
is "$RC" 3 "forwarding prohibited: exit 3"
is "$(grep -c '"error_kind":"refused"' "$T/out")" 3 "every target: refused"
like "$(head -1 "$T/out")" '"error":"via nofwd: administratively prohibited' \
    "the bastion's refusal is named"
is "$(grep -c '"attempts":1,' "$T/out")" 3 "and not retried, even with -r 2"

# ---- a target the bastion cannot reach ---------------------------------------------
run_shoal -F "$T/ssh_config" -w closed --json -r 1 --backoff 0.05,0.1 -- true
is "$RC" 3 "a closed port behind the bastion: exit 3"
like "$(cat "$T/out")" '"error_kind":"refused","error":"via bastion: connect failed: 127.0.0.1:[0-9]+' \
    "refused, via the bastion, connect failed"
like "$(cat "$T/out")" '"attempts":2,' "retried, as a refused connection is"

# ---- a jump host reached through itself ----------------------------------------------
run_shoal -F "$T/ssh_config" -w behindloop --json -- true
is "$RC" 3 "a jump host whose own ProxyJump is itself: exit 3, no hang"
like "$(cat "$T/out")" '"error_kind":"resolve","error":"via loopy: resolve: ProxyJump loop: loopy is reached through itself' \
    "a loop, named"

# ---- bastion frozen mid-run -------------------------------------------------------
start_faultproxy "0:127.0.0.1:$SSHD_PORT_BASTION:freeze"
fp=$FP_PID
add_alias "$T/ssh_config" frozen "$FP_PORT_1" "" "ServerAliveInterval 1" "ServerAliveCountMax 2"
trust_host_keys "$FP_PORT_1"
add_aliases "$T/ssh_config" f 3 "$SSHD_PORT_TARGET" "ProxyJump frozen"
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w 'f[01-03]' -o "$T/o" -- 'echo started; sleep 100' \
    >"$T/out" 2>"$T/err" </dev/null &
pid=$!
started() { [ "$(grep -c started "$T/out")" -ge 3 ]; }
wait_for 20 started || fail "the commands did not start: $(cat "$T/out" "$T/err")"
start=$(date +%s%N)
kill -USR1 "$fp"
ended() { ! running "$pid"; }
if wait_for 30 ended; then
    took=$((($(date +%s%N) - start) / 1000000))
    cmp_ok "$took" -lt 15000 "frozen bastion: its targets given up $took ms after the freeze"
else
    fail "shoal still running 30 s after the bastion froze"
    kill -KILL "$pid"
fi
wait "$pid"
is "$?" 3 "exit 3"
for h in f01 f02 f03; do
    like "$(cat "$T/o/$h.json")" '"error_kind":"lost","error":"via frozen: no answer to 2 keepalives' \
        "$h: lost, via the frozen bastion"
done

done_testing
