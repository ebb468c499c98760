#!/usr/bin/env bash
# t0201: ssh_config's HostName, Port and User are applied per host, and the
# command line wins over them: user@ and :port of the item, then -l and -p.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
trust_host_keys "$SSHD_PORT_MAIN"
# An alias whose name does not resolve: only HostName makes it reachable.
cat >> "$T/ssh_config" <<CFG
Host web-alias.invalid
    HostName 127.0.0.1
    Port $SSHD_PORT_MAIN
    User $LAB_USER
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
Host wronguser
    HostName 127.0.0.1
    Port $SSHD_PORT_MAIN
    User nobody-such
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
Host wrongport
    HostName 127.0.0.1
    Port 1
    User $LAB_USER
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
CFG

run_shoal -F "$T/ssh_config" -w web-alias.invalid --json -- 'id -un'
is "$RC" 0 "HostName, Port and User from ssh_config reach the server"
like "$(cat "$T/out")" "\"host\":\"web-alias.invalid\",\"user\":\"$LAB_USER\",\"port\":$SSHD_PORT_MAIN" "the alias is the name; user and port come from the config"
like "$(cat "$T/out")" "\"stdout\":\"$LAB_USER\\\\n\"" "the command ran as the configured user"

run_shoal -F "$T/ssh_config" -w wronguser -- true
is "$RC" 3 "the config's wrong user is denied"
run_shoal -F "$T/ssh_config" -w wronguser -l "$LAB_USER" -- true
is "$RC" 0 "-l wins over ssh_config's User"
run_shoal -F "$T/ssh_config" -w "$LAB_USER@wronguser" -l nobody-such -- true
is "$RC" 0 "user@ wins over -l"

run_shoal -F "$T/ssh_config" -w wrongport -r 0 -- true
is "$RC" 3 "the config's wrong port is refused"
run_shoal -F "$T/ssh_config" -w wrongport -p "$SSHD_PORT_MAIN" -- true
is "$RC" 0 "-p wins over ssh_config's Port"
run_shoal -F "$T/ssh_config" -w "wrongport:$SSHD_PORT_MAIN" -p 1 -- true
is "$RC" 0 ":port wins over -p"
done_testing
