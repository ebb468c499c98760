#!/usr/bin/env bash
# t0205: host names ssh takes and libssh 0.10.6 refuses.  An ssh_config
# alias with '_' that has a HostName connects (ssh does); a '_' name that is
# itself the host name fails with a message saying why, not "ssh_config:
# unknown error"; a name starting with '-' is refused before connecting, as
# ssh refuses it ("hostname contains invalid characters").
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
add_alias "$T/ssh_config" web_1 "$SSHD_PORT_MAIN" 127.0.0.1
add_alias "$T/ssh_config" nohostname_2 "$SSHD_PORT_MAIN" nohostname_2
trust_host_keys "$SSHD_PORT_MAIN"

run_shoal -F "$T/ssh_config" -w -foo -- true
is "$RC" 2 "a name starting with '-': exit 2 before connecting"
like "$(cat "$T/err")" "^shoal: -w: host name '-foo' starts with '-' \(ssh refuses such names; to drop hosts as pdsh's '-host' does, use -x foo\)" "saying why, and pdsh's spelling"
printf 'web1\nu@-bar\n' >"$T/hosts.txt"
run_shoal -F "$T/ssh_config" -H "$T/hosts.txt" --list
like "$(cat "$T/err")" "^shoal: $T/hosts.txt:2: host name '-bar' starts with '-'" "in a host file too, with file and line"

run_shoal -F "$T/ssh_config" -w nohostname_2 --json -- true
is "$RC" 3 "a '_' name used as the host name: the host fails"
like "$(cat "$T/out")" "\"error_kind\":\"resolve\",\"error\":\"libssh refuses 'nohostname_2' as a host name \(letters, digits, '-' and '.' only\): give the alias a HostName in ssh_config\"" "saying what libssh refuses and what to do"

# Connecting through a '_' alias needs shoal's own ssh_config evaluator
# (libssh 0.10.6 refuses the alias before it can read its HostName): it came
# with -G.
if "$SHOAL" --help | grep -q -- '--print-config'; then
    run_shoal -F "$T/ssh_config" -w web_1 -- echo hi
    is "$RC" 0 "an alias with '_' and a HostName connects"
    is "$(cat "$T/out")" "web_1: hi" "and runs the command"
else
    skip "an alias with '_' connects: needs the ssh_config evaluator (--print-config)"
    skip "and runs the command"
fi
done_testing
