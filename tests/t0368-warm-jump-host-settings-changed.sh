#!/usr/bin/env bash
# t0368: a kept session through a jump host serves only while the jump
# host's own evaluated settings are unchanged (issue 22: a kept session is
# keyed on the evaluated settings).  The jump host moved to another port in
# an Included file: ssh goes to the new port, and so does the next run (a
# new connection through the new one), not through the kept chain; the
# chain whose settings did not change is still used.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
keeper_lab
start_sshd bastion "LogLevel VERBOSE"
start_sshd bastion2 "LogLevel VERBOSE"
start_sshd target "LogLevel VERBOSE"
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_BASTION2" "$SSHD_PORT_TARGET"
# bastion2 has the bastion's host key trusted too: only the port tells them apart.
write_ssh_config "$T/ssh_config"
echo "Include $T/bastion.conf" >>"$T/ssh_config"
add_alias "$T/bastion.conf" bastion "$SSHD_PORT_BASTION" "" "HostKeyAlias bastion-key"
add_alias "$T/ssh_config" t01 "$SSHD_PORT_TARGET" "" "ProxyJump bastion"
read -r type blob _ <"$T/bastion/hostkey.pub"
read -r type2 blob2 _ <"$T/bastion2/hostkey.pub"
printf 'bastion-key %s %s\nbastion-key %s %s\n' "$type" "$blob" "$type2" "$blob2" >>"$T/known_hosts"
conns() { grep -c "Connection from" "$T/$1/log"; }

run_shoal -F "$T/ssh_config" --persist 60 -w t01 -- true
is "$RC" 0 "the first run keeps t01's session, through the bastion"
b0=$(conns bastion) b20=$(conns bastion2)
run_shoal -F "$T/ssh_config" -w t01 -- echo RAN
is "$(cat "$T/out")" "t01: RAN" "a warm run"
is "$(conns bastion)" "$b0" "over the kept chain"

# The jump host moves (its Port in the Included file).
sed -i "s/Port $SSHD_PORT_BASTION\$/Port $SSHD_PORT_BASTION2/" "$T/bastion.conf"
like "$(ssh -G -F "$T/ssh_config" bastion </dev/null 2>/dev/null | grep '^port ')" "port $SSHD_PORT_BASTION2" "ssh -G: the bastion is on the new port"
run_shoal -F "$T/ssh_config" -w t01 -- echo RAN
is "$(cat "$T/out")" "t01: RAN" "the run after the edit"
cmp_ok "$(conns bastion2)" -gt "$b20" "went through the jump host's new address, as ssh would"
is "$(conns bastion)" "$b0" "not through the kept chain to the old one"

done_testing
