#!/usr/bin/env bash
# t0170: a warm run (over a keeper's session, --persist) sends what a cold
# one sends: ssh_config's SetEnv and SendEnv variables, RequestTTY's pty,
# and -I's stdin at the channel's pace (20 MB in seconds, not the half
# minute of a relay that waited on every chunk).  Each is run cold, then
# warm, and the warm run must log in nowhere and print the same.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "LogLevel INFO" "AcceptEnv SHOALT_*"
add_alias "$T/ssh_config" env "$SSHD_PORT_MAIN" "" "SendEnv SHOALT_A" 'SetEnv SHOALT_B="two words"'
add_alias "$T/ssh_config" tty "$SSHD_PORT_MAIN" "" "RequestTTY yes"
add_alias "$T/ssh_config" big "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
export XDG_RUNTIME_DIR=$T/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
at_exit '"$SHOAL" --persist 0 >/dev/null 2>&1'
logins() { grep -c 'Accepted publickey' "$T/main/log"; }
export SHOALT_A=one

env_cmd='printf "A=%s B=%s\n" "$SHOALT_A" "$SHOALT_B"'
tty_cmd='test -t 0 && echo has-tty || echo no-tty'

run_shoal -F "$T/ssh_config" --persist 30 -w env,tty,big -- true
is "$RC" 0 "the cold run keeps three sessions"
n=$(logins)

run_shoal -F "$T/ssh_config" -w env -- "$env_cmd"
is "$(cat "$T/out")" "env: A=one B=two words" "warm: SendEnv's and SetEnv's variables arrive"
run_shoal -F "$T/ssh_config" -w tty -- "$tty_cmd"
is "$(tr -d '\r' <"$T/out")" "tty: has-tty" "warm: RequestTTY yes gives a pty"
run_shoal -F "$T/ssh_config" -w big -T -- "$tty_cmd"
is "$(tr -d '\r' <"$T/out")" "big: has-tty" "warm: -T gives a pty"
run_shoal -F "$T/ssh_config" -w big -- "$tty_cmd"
is "$(tr -d '\r' <"$T/out")" "big: no-tty" "warm: no pty unless asked"

head -c 20000000 /dev/zero >"$T/in"
start=$(date +%s%N)
SHOAL_STDIN=$T/in run_shoal -F "$T/ssh_config" -I -w big -- 'wc -c'
took=$((($(date +%s%N) - start) / 1000000))
is "$(tr -d ' ' <"$T/out")" "big:20000000" "warm: 20 MB of stdin arrive whole"
if [ "$took" -lt 10000 ]; then pass "warm: 20 MB of stdin in $took ms"; else
    fail "warm: 20 MB of stdin took $took ms (cold takes well under a second)"
fi
is "$(logins)" "$n" "every warm run went over a kept session: no new login"
done_testing
