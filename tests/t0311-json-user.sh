#!/usr/bin/env bash
# t0311: JSON's "user" is the user shoal logs in as, also for a host it never
# reached: the host item's user@, else -l, else ssh_config's User, else the
# local login user (as ssh would); the same in -o DIR/HOST.json.
. "$(dirname "$0")/lib.sh"

me=$(id -un)
port=$(free_port)
cat >"$T/ssh_config" <<CFG
Host named
    HostName 127.0.0.1
    Port $port
    User cfguser
Host *
    HostName 127.0.0.1
    Port $port
CFG
user_of() { grep "\"host\":\"$1\"" "$T/out" | grep -oE '"user":("[^"]*"|null)'; }

run_shoal -F "$T/ssh_config" -w 'plain,named,item@itemhost' --retries 0 --json -o "$T/o" -- true
is "$RC" 3 "nothing reachable: exit 3"
is "$(user_of plain)" "\"user\":\"$me\"" "named nowhere: the local login user"
is "$(user_of named)" '"user":"cfguser"' "ssh_config's User"
is "$(user_of itemhost)" '"user":"item"' "the host item's user@"
like "$(cat "$T/o/plain.json")" "\"user\":\"$me\"" "-o HOST.json names the local login user too"

run_shoal -F "$T/ssh_config" -w 'plain,named,item@itemhost' -l cli --retries 0 --json -- true
is "$(user_of plain)" '"user":"cli"' "-l names the user"
is "$(user_of named)" '"user":"cli"' "-l wins over ssh_config"
is "$(user_of itemhost)" '"user":"item"' "a host item's user@ wins over -l"

run_shoal -F none -w 127.0.0.1:"$port" --retries 0 --json -- true
is "$(user_of 127.0.0.1)" "\"user\":\"$me\"" "-F none: the local login user"
# With no network: the lookup must not ask a resolver off this machine.
if offline_ok; then
    SHOAL_OFFLINE=1 run_shoal -F none -w nosuch.invalid --retries 0 --json -- true
    is "$(user_of nosuch.invalid)" "\"user\":\"$me\"" "also for a name that does not resolve"
else
    skip "no network namespace for a lookup without network"
fi
done_testing
