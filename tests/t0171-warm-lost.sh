#!/usr/bin/env bash
# t0171: a warm run watches its server as a cold one does.  A server that
# goes silent while a command runs over a kept session is `lost` after
# ServerAliveCountMax unanswered keepalives (the relay had none, and waited
# for -u or Ctrl-C); a connection that breaks is `lost`, not `channel`;
# neither is run again.  A kept session that stopped answering before the
# command started is named as such at -v (it was "refused"), and the host
# connects afresh and runs.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "LogLevel INFO"
m=127.0.0.1:$SSHD_PORT_MAIN
# The first connection of each listener is frozen or cut on SIGUSR1; later ones relay.
start_faultproxy "0:$m:freeze,relay" "0:$m:cut,relay" "0:$m:freeze,relay"
add_alias "$T/ssh_config" frozen "$FP_PORT_1"
add_alias "$T/ssh_config" broken "$FP_PORT_2"
add_alias "$T/ssh_config" stale "$FP_PORT_3"
trust_host_keys "$FP_PORT_1" "$FP_PORT_2" "$FP_PORT_3"
{
    echo "Host *"
    echo "    ServerAliveInterval 1"
    echo "    ServerAliveCountMax 2"
} >>"$T/ssh_config"
export XDG_RUNTIME_DIR=$T/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
at_exit '"$SHOAL" --persist 0 >/dev/null 2>&1'
logins() { grep -c 'Accepted publickey' "$T/main/log"; }
started() { [ "$(grep -c started "$1")" -ge "$2" ]; }
ended() { ! running "$1"; }

run_shoal -F "$T/ssh_config" --persist 60 -w frozen,broken,stale -- true
is "$RC" 0 "the cold run keeps three sessions through the proxy"
n=$(logins)

env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w frozen,broken -o "$T/o" -- \
    'echo started; sleep 100' >"$T/out" 2>"$T/err" </dev/null &
pid=$!
wait_for 20 started "$T/out" 2 || fail "the commands did not start: $(cat "$T/out" "$T/err")"
is "$(logins)" "$n" "they run over the kept sessions"
kill -USR1 "$FP_PID"
# Gross: 1 s x (2 + 1) to give up, with room for a loaded machine (the relay had no limit).
if wait_for 15 ended $pid; then pass "warm: both hosts given up within 15 s of the fault"; else
    fail "warm: shoal still running 15 s after the fault"
    kill -KILL $pid
fi
wait $pid
is "$?" 3 "warm: a lost host counts as unreached: exit 3"
is "$(cat "$T/o/frozen.json" "$T/o/broken.json" | jq -r '"\(.host) \(.error_kind) \(.attempts)"')" \
    "$(printf 'frozen lost 1\nbroken lost 1')" "warm: both hosts lost (not channel), neither run again"
like "$(cat "$T/err")" 'frozen: lost \(running phase.*\): no answer to 2 keepalives in 3 s' \
    "warm: the message says what went unanswered, as cold"

# The kept session of stale went silent before this run: nothing starts on it.
run_shoal -F "$T/ssh_config" -v -w stale -- 'echo fresh'
is "$RC" 0 "a kept session that stopped answering: the host connects afresh and runs"
is "$(cat "$T/out")" "stale: fresh" "its output"
like "$(cat "$T/err")" 'stale: warm run: .*no answer to 2 keepalives.*connecting afresh' \
    "-v says the kept session did not answer"
unlike "$(cat "$T/err")" 'refused' "and does not call it refused"
done_testing
