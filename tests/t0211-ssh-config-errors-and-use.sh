#!/usr/bin/env bash
# t0211: ssh_config errors stop shoal before anything connects, naming
# file:line (-F missing or a directory, a bad Port, an unknown keyword);
# a keyword shoal cannot honour is named once per run; and what libssh
# 0.10 got wrong now reaches a real sshd (and LogLevel no longer turns on
# libssh's raw log lines): Match user sees -l, a
# KexAlgorithms +list, a ProxyJump alias defined only in the -F file,
# BindAddress on shoal's own socket, and
# 'Host web[12]' no longer loosens web1's policy.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
trust_host_keys "$SSHD_PORT_MAIN"

run_shoal -F "$T/nonexistent" -w h1 -- true
is "$RC" 2 "-F of a missing file is an error"
like "$(cat "$T/err")" "$T/nonexistent" "naming the file"
run_shoal -F "$T" -w h1 -- true
is "$RC" 2 "-F of a directory is an error"

printf 'Host h1\n    HostName 127.0.0.1\n    Port notanumber\n' >"$T/bad_port"
run_shoal -F "$T/bad_port" -w other -- true
is "$RC" 2 "Port notanumber is an error, even in a block that does not apply"
like "$(cat "$T/err")" "bad_port line 3: .*notanumber" "naming file and line"
printf 'Host *\n    Port 22\n\n    Frobnicate yes\n' >"$T/unknown"
run_shoal -F "$T/unknown" -w h1 -- true
is "$RC" 2 "an unknown keyword is an error, as in ssh"
like "$(cat "$T/err")" "unknown line 4: Bad configuration option: Frobnicate" "naming file and line"
{ echo "IgnoreUnknown Frob*"; cat "$T/unknown"; } >"$T/ignored"
run_shoal -F "$T/ignored" -G -w h1
is "$RC" 0 "unless IgnoreUnknown covers it"

# Match user is evaluated with the command line's user already known.
write_ssh_config "$T/match"
cat >>"$T/match" <<CFG
Host m1 m2
    HostName 127.0.0.1
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
    ForwardX11 yes
    LogLevel DEBUG3
Match user $LAB_USER
    Port $SSHD_PORT_MAIN
    KexAlgorithms +diffie-hellman-group14-sha1
Host *
    Port 1
CFG
run_shoal -F "$T/match" -w m1,m2 -l "$LAB_USER" -r 0 -- 'echo in'
is "$RC" 0 "Match user sees -l: its Port applies, and a KexAlgorithms + list is taken"
is "$(sort "$T/out")" "$(printf 'm1: in\nm2: in')" "both hosts ran the command"
is "$(grep -c 'ForwardX11 is not honoured' "$T/err")" 1 "ForwardX11 is named once per run"
unlike "$(cat "$T/err")" "ssh_[a-z_]+: " "LogLevel DEBUG3 does not turn libssh's own log lines on"
like "$(cat "$T/err")" "match line 6: ForwardX11 is not honoured by shoal: no X11 forwarding" "with file, line and what shoal does instead"
run_shoal -F "$T/match" -w m1 -l nobody-such -r 0 -- true
is "$RC" 3 "another user: the Match block does not apply (port 1, refused)"

# ProxyJump through an alias that only this -F file defines.
write_ssh_config "$T/jump"
add_alias "$T/jump" jumphost "$SSHD_PORT_MAIN" "" "BatchMode yes"
add_alias "$T/jump" behind "$SSHD_PORT_MAIN" "" "ProxyJump jumphost"
run_shoal -F "$T/jump" -w behind -r 0 -- 'echo behind'
is "$RC" 0 "ProxyJump: the jump alias of the -F file resolves"
is "$(cat "$T/out")" "behind: behind" "and the command ran through it"

# BindAddress: the server sees the connection come from that address.
write_ssh_config "$T/bind"
add_alias "$T/bind" bound "$SSHD_PORT_MAIN" "" "BindAddress 127.0.0.2"
run_shoal -F "$T/bind" -w bound -r 0 -- 'echo "from ${SSH_CLIENT%% *}"'
is "$RC" 0 "BindAddress: connects"
is "$(cat "$T/out")" "bound: from 127.0.0.2" "from the address ssh_config binds to"

# '[' is no wildcard in ssh: web1 keeps the strict policy.
write_ssh_config "$T/brackets"
cat >>"$T/brackets" <<CFG
Host web[12]
    StrictHostKeyChecking no
Host web1
    HostName 127.0.0.1
    Port $SSHD_PORT_MAIN
    User $LAB_USER
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/empty_known_hosts
CFG
run_shoal -F "$T/brackets" -w web1 -r 0 -- true
is "$RC" 3 "Host web[12] does not match web1, as in ssh: its unknown key stays refused"
like "$(cat "$T/err")" "web1: hostkey_unknown" "hostkey_unknown"
done_testing
