#!/usr/bin/env bash
# t0183: one user's kept sessions are not duplicated, and dead ones do not
# keep a keeper.  Three runs side by side of the same ten hosts keep ten
# sessions, not thirty (keepers start one at a time and close what another
# keeper already holds); a second run of the same hosts with --persist adds
# none.  When the server ends every session, the keeper closes them at once
# and, holding nothing alive, leaves.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "LogLevel INFO"
P=$SSHD_PORT_MAIN
add_aliases "$T/ssh_config" h 10 "$P"
trust_host_keys "$P"
keeper_lab

# The TCP sockets to the lab sshd that keepers hold (in any state: a
# session the server ended is CLOSE-WAIT until the keeper closes it).
kept() {
    local pids
    pids=$(keeper_pids | paste -sd'|')
    [ -n "$pids" ] || { echo 0; return; }
    ss -Htnp state all "( dport = :$P )" | grep -cE "pid=($pids),"
}
no_keepers() { [ -z "$(keeper_pids)" ]; }
none_kept() { [ "$(kept)" = 0 ]; }

for i in 1 2 3; do
    env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" --persist 600 -w 'h[01-10]' -- true \
        >"$T/out$i" 2>"$T/err$i" </dev/null &
    pids+=("$!")
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs+="$? "; done
is "$rcs" "0 0 0 " "three runs side by side succeed"
is "$(kept)" 10 "ten sessions are kept for ten hosts, not one per run"
cmp_ok "$(keeper_pids | wc -l)" -le 3 "at most a keeper per run"

run_shoal -F "$T/ssh_config" --persist 600 -w 'h[01-10]' -- true
is "$RC" 0 "a later --persist run of the same hosts"
is "$(kept)" 10 "keeps no second session of them"

# The server ends every session it has (not the listener).
descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
kill -9 $(descendants "$SSHD_PID_MAIN") 2>/dev/null
wait_for 5 none_kept &&
    pass "the keepers closed the dead sessions at once" || fail "dead sessions are still open: $(kept)"
wait_for 45 sh -c "! ls '$XDG_RUNTIME_DIR'/shoal/*.sock >/dev/null 2>&1" &&
    pass "a keeper with no session alive leaves (its socket is gone)" || fail "a keeper of dead sessions stayed"
wait_for 5 no_keepers && pass "no keeper process is left" || fail "keepers left: $(keeper_pids)"
done_testing
