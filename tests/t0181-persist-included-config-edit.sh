#!/usr/bin/env bash
# t0181: a kept session serves only a host whose evaluated ssh_config is
# unchanged.  The host's Port lives in an Included file: after the file
# moves it to another server, the warm run goes where ssh goes (the new
# port), not to the kept session of the old one; after the file is
# written back as it was (a new mtime, the same settings) the session kept
# for those settings serves again.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd one "LogLevel INFO"
start_sshd two "LogLevel INFO"
trust_host_keys "$SSHD_PORT_ONE" "$SSHD_PORT_TWO"
keeper_lab
printf 'Include %s/inc.conf\n' "$T" >"$T/ssh_config"
add_alias "$T/inc.conf" mover "$SSHD_PORT_ONE"
sed "s/Port $SSHD_PORT_ONE/Port $SSHD_PORT_TWO/" "$T/inc.conf" >"$T/inc.two"
cp "$T/inc.conf" "$T/inc.one"
logins() { grep -c 'Accepted publickey' "$T/$1/log"; }
port_cmd='echo "port ${SSH_CONNECTION##* }"'

run_shoal -F "$T/ssh_config" --persist 60 -w mover -- "$port_cmd"
is "$(cat "$T/out")" "mover: port $SSHD_PORT_ONE" "the first run reaches the first server and keeps the session"

cp "$T/inc.two" "$T/inc.conf"
is "$(ssh -F "$T/ssh_config" -G mover | sed -n 's/^port //p')" "$SSHD_PORT_TWO" "ssh -G: the Included file moved the host"
is "$(ssh -T -F "$T/ssh_config" -o BatchMode=yes mover "$port_cmd" 2>/dev/null)" "port $SSHD_PORT_TWO" "ssh goes to the new port"
run_shoal -F "$T/ssh_config" -w mover -- "$port_cmd"
is "$RC" 0 "the run after the edit succeeds"
is "$(cat "$T/out")" "mover: port $SSHD_PORT_TWO" "it goes where ssh goes, not over the session kept for the old port"
is "$(logins one)" 1 "the first server saw no new login"

cp "$T/inc.one" "$T/inc.conf"
run_shoal -F "$T/ssh_config" -w mover -- "$port_cmd"
is "$(cat "$T/out")" "mover: port $SSHD_PORT_ONE" "the file written back: the first server again"
is "$(logins one)" 1 "over the session kept for those same settings (the file's new mtime does not matter)"
done_testing
