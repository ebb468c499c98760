#!/usr/bin/env bash
# t0360: native ProxyJump (SPEC 3, issue 15).  Targets behind a bastion (real
# sshds on loopback) are reached through ONE authenticated session to the
# bastion, whichever way ProxyJump is given: in the -F file, in
# ~/.ssh/config, or by -J; a chain of two jump hosts holds one session to
# each; JSON says "via"; more targets than a session carries open a second
# session, not one per target; and no ssh process runs at any time.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
# VERBOSE: sshd logs every connection it accepts and every login.
start_sshd bastion "LogLevel VERBOSE"
start_sshd bastion2 "LogLevel VERBOSE"
start_sshd target "LogLevel VERBOSE"
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_BASTION2" "$SSHD_PORT_TARGET"
write_ssh_config "$T/ssh_config"
add_alias "$T/ssh_config" bastion "$SSHD_PORT_BASTION"
add_alias "$T/ssh_config" bastion2 "$SSHD_PORT_BASTION2"
add_aliases "$T/ssh_config" t 6 "$SSHD_PORT_TARGET" "ProxyJump bastion"
add_aliases "$T/ssh_config" d 6 "$SSHD_PORT_TARGET"
add_aliases "$T/ssh_config" c 4 "$SSHD_PORT_TARGET" "ProxyJump bastion,bastion2"

# logins NAME: how many logins sshd NAME has accepted so far.
logins() { grep -c "Accepted publickey" "$T/$1/log"; }

# ---- ProxyJump in the -F file ------------------------------------------------
b0=$(logins bastion)
t0=$(logins target)
run_shoal -F "$T/ssh_config" -w 't[01-06]' --json -r 0 -- 'echo via-$((6*7))'
is "$RC" 0 "six targets behind the bastion all ran"
is "$(grep -c '"stdout":"via-42\\n"' "$T/out")" 6 "each printed its output"
is "$(($(logins bastion) - b0))" 1 "one login to the bastion for all six targets"
is "$(($(logins target) - t0))" 6 "each target logged in itself (end to end through the channel)"
is "$(grep -c '"via":\["bastion"\]' "$T/out")" 6 'JSON: "via":["bastion"]'
run_shoal -F "$T/ssh_config" -w d01 --json -- true
like "$(cat "$T/out")" '"via":null' 'JSON: "via":null without a jump host'

# ---- -J on the command line --------------------------------------------------
b0=$(logins bastion)
run_shoal -F "$T/ssh_config" -J bastion -w 'd[01-06]' --json -r 0 -- 'echo ok'
is "$RC" 0 "-J bastion: six direct aliases reached through the bastion"
is "$(($(logins bastion) - b0))" 1 "with one login to it"
is "$(grep -c '"via":\["bastion"\]' "$T/out")" 6 "and JSON says so"
run_shoal -F "$T/ssh_config" -J none -w t01 --json -- true
is "$RC" 0 "-J none: a ProxyJump of ssh_config is overridden"
like "$(cat "$T/out")" '"via":null' "and the host is reached directly"
run_shoal -F "$T/ssh_config" -G -J 'u@bastion:2222,bastion2' -w t01
is "$(grep -x 'proxyjump .*' "$T/out")" "proxyjump u@bastion:2222,bastion2" "-G shows -J's ProxyJump, as ssh -G -J does"
run_shoal -F "$T/ssh_config" -J 'bad@' -w t01 -- true
is "$RC" 2 "-J with a bad hop is a usage error"
like "$(cat "$T/err")" "-J: bad jump host list" "naming -J"

# ---- a chain of two ----------------------------------------------------------
b0=$(logins bastion)
b20=$(logins bastion2)
run_shoal -F "$T/ssh_config" -w 'c[01-04]' --json -r 0 -- 'echo chained'
is "$RC" 0 "ProxyJump bastion,bastion2: four targets ran"
is "$(($(logins bastion) - b0))" 1 "one login to the first hop"
is "$(($(logins bastion2) - b20))" 1 "one login to the second hop, through the first"
is "$(grep -c '"via":\["bastion","bastion2"\]' "$T/out")" 4 'JSON: "via":["bastion","bastion2"]'
run_shoal -F "$T/ssh_config" -J bastion,bastion2 -w d01 -- true
is "$RC" 0 "-J bastion,bastion2 works the same"

# ---- ~/.ssh/config, read as ssh reads it -------------------------------------
if unshare --mount true 2>/dev/null; then
    mkdir -p "$T/home/.ssh"
    cp "$T/ssh_config" "$T/home/.ssh/config"
    b0=$(logins bastion)
    # The home directory from passwd is /root: a private mount puts ours there.
    env -u SSH_AUTH_SOCK timeout 60 unshare --mount sh -c 'mount --bind "$0" "$1" && shift && exec "$@"' \
        "$T/home" "$(getent passwd "$(id -un)" | cut -d: -f6)" \
        "$SHOAL" --no-config -w 't[01-03]' -r 0 -- 'echo home' >"$T/out" 2>"$T/err"
    is "$?" 0 "ProxyJump from ~/.ssh/config"
    is "$(grep -c ': home$' "$T/out")" 3 "three targets answered"
    is "$(($(logins bastion) - b0))" 1 "through one bastion login"
else
    skip "no private mount namespace for a ~/.ssh/config of our own"
    skip "(three targets)"
    skip "(one login)"
fi

# ---- more targets than one session carries ------------------------------------
add_aliases "$T/ssh_config" m 40 "$SSHD_PORT_TARGET" "ProxyJump bastion"
b0=$(logins bastion)
run_shoal -F "$T/ssh_config" -w 'm[01-40]' -f 40 -r 0 -- 'sleep 1; echo many'
is "$RC" 0 "40 targets at once behind the bastion"
is "$(grep -c ': many$' "$T/out")" 40 "all 40 answered"
n=$(($(logins bastion) - b0))
ok "$([ "$n" -ge 2 ] && [ "$n" -le 4 ]; echo $?)" "a few sessions to the bastion (32 channels each), not 40: $n"

# ---- no ssh process, ever -----------------------------------------------------
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w 'c[01-02],t[01-02]' -- 'echo started; sleep 3' \
    >"$T/out" 2>"$T/err" </dev/null &
pid=$!
started() { [ "$(grep -c started "$T/out")" -ge 4 ]; }
wait_for 20 started || fail "the commands did not start: $(cat "$T/out" "$T/err")"
is "$(pgrep -P "$pid" | wc -l)" 0 "shoal has no child process while its targets run through two hops"
# (Other ssh processes on this machine are not ours: ours would name $T's files.)
is "$(pgrep -f "^(/usr/bin/)?ssh .*$T/" | wc -l)" 0 "and no ssh runs with this test's files"
wait "$pid"
is "$?" 0 "the run ends well"

done_testing
