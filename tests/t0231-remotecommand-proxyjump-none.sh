#!/usr/bin/env bash
# t0231: ssh_config corners of issue 23, each against the real ssh on a real
# sshd: RemoteCommand runs when no command is given (one for all hosts, or
# each host its own after its % tokens); a host without one is an error;
# ProxyJump none (config or -J none) followed by a ProxyCommand uses the
# ProxyCommand, as ssh 9.2 does; Match host=NAME is Match host NAME.
. "$(dirname "$0")/lib.sh"

command -v ssh >/dev/null || skip_all "no OpenSSH client to compare with"
lab_user
lab_keys
start_sshd target
trust_host_keys "$SSHD_PORT_TARGET"
P=$SSHD_PORT_TARGET
cfg=$T/ssh_config
write_ssh_config "$cfg"
add_alias "$cfg" same1 "$P" "" "RemoteCommand echo remote-said-hi"
add_alias "$cfg" same2 "$P" "" "RemoteCommand echo remote-said-hi"
add_alias "$cfg" own1 "$P" "" "RemoteCommand echo I am %n on port %p"
add_alias "$cfg" own2 "$P" "" "RemoteCommand echo I am %n on port %p"
add_alias "$cfg" plain "$P"
# ProxyJump none, then a ProxyCommand: ssh 9.2 uses the ProxyCommand.
add_alias "$cfg" viaproxy "$P" "" "ProxyJump none" \
    "ProxyCommand /usr/sbin/sshd -i -f $T/target/sshd_config"
# -J none with a ProxyCommand in the config.
add_alias "$cfg" cmdonly "$P" "" "ProxyCommand /usr/sbin/sshd -i -f $T/target/sshd_config"
printf 'Match host=matched\n    HostName 127.0.0.1\n    Port %s\n    User %s\n    IdentityFile %s\n    UserKnownHostsFile %s\n' \
    "$P" "$LAB_USER" "$T/id_ed25519" "$T/known_hosts" >>"$cfg"
chmod 600 "$cfg"

sshx() { ssh -F "$cfg" -o BatchMode=yes "$@" </dev/null 2>/dev/null; }

want=$(sshx same1)
is "$want" "remote-said-hi" "ssh runs RemoteCommand when no command is given"
run_shoal -F "$cfg" -w same1,same2
is "$RC" 0 "shoal without a command: exit 0"
is "$(sort "$T/out")" "$(printf 'same1: %s\nsame2: %s' "$want" "$want")" \
    "and every host ran the RemoteCommand ssh runs"

run_shoal -F "$cfg" -w own1,own2
is "$RC" 0 "hosts whose RemoteCommands differ after %n: exit 0"
is "$(sort "$T/out")" "$(printf 'own1: %s\nown2: %s' "$(sshx own1)" "$(sshx own2)")" \
    "each host ran its own, tokens expanded as ssh expands them"

run_shoal -F "$cfg" -w same1,plain
is "$RC" 2 "a host without RemoteCommand and no command: exit 2"
like "$(cat "$T/err")" "no command given, and plain has no RemoteCommand" "naming the host"
is "$(cat "$T/out")" "" "nothing ran"

run_shoal -F "$cfg" -w same1 -- echo given
is "$(cat "$T/out")" "same1: given" "a command given runs instead of RemoteCommand"

want=$(sshx viaproxy echo through)
is "$want" "through" "ssh: ProxyJump none then ProxyCommand uses the ProxyCommand"
run_shoal -F "$cfg" -w viaproxy -- echo through
is "$RC" 0 "shoal: the same config works"
is "$(cat "$T/out")" "viaproxy: through" "through the ProxyCommand"
run_shoal -F "$cfg" -w viaproxy -G
like "$(cat "$T/out")" "proxycommand /usr/sbin/sshd" "shoal -G shows the ProxyCommand"
is "$(grep -c '^proxyjump' "$T/out")" 0 "and no ProxyJump"

is "$(sshx -J none cmdonly echo through)" "through" "ssh -J none keeps the config's ProxyCommand"
run_shoal -F "$cfg" -J none -w cmdonly -- echo through
is "$(cat "$T/out")" "cmdonly: through" "shoal -J none too"
run_shoal -F "$cfg" -J none -w cmdonly -G
like "$(cat "$T/out")" "proxycommand /usr/sbin/sshd" "and shoal -G -J none prints it, as ssh -G -J none"

is "$(sshx matched echo hi)" "hi" "ssh: Match host=NAME applies"
run_shoal -F "$cfg" -w matched -- echo hi
is "$RC" 0 "shoal takes Match host=NAME"
is "$(cat "$T/out")" "matched: hi" "and applies it"
done_testing
