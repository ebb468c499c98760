#!/usr/bin/env bash
# t0331: the password of --password-env goes no further than shoal.  A
# ProxyCommand (a child of shoal) does not inherit the variable, and still
# logs in with the password; while a run holds the password, shoal's
# /proc/PID/environ no longer shows it, and the process is not dumpable
# (its /proc files belong to root, though it runs as another user).
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "setting the lab user's password needs root"
command -v setpriv >/dev/null || skip_all "no setpriv (util-linux)"
lab_user
lab_keys
pw=shoal-env-pw-$$
lab_password "$pw"
start_sshd pw "PasswordAuthentication yes" "PubkeyAuthentication no"
trust_host_keys "$SSHD_PORT_PW"
# No key to offer: the password is the only way in.
add_alias "$T/ssh_config" direct "$SSHD_PORT_PW" "" "IdentityFile $T/no-such-key"
# The proxy writes down its environment, then is the server itself (inetd mode).
add_alias "$T/ssh_config" proxied "$SSHD_PORT_PW" "" "IdentityFile $T/no-such-key" \
    "ProxyCommand sh -c 'env >$T/proxy.env; exec /usr/sbin/sshd -i -f $T/pw/sshd_config'"

# ---- a ProxyCommand does not inherit it -------------------------------------------
SHOAL_TEST_PW=$pw run_shoal -F "$T/ssh_config" -w proxied --password-env SHOAL_TEST_PW -- 'echo in'
is "$RC" 0 "a password through a ProxyCommand logs in"
is "$(cat "$T/out")" "proxied: in" "and runs the command"
ok "$([ -s "$T/proxy.env" ]; echo $?)" "the ProxyCommand ran and wrote its environment"
unlike "$(cat "$T/proxy.env")" "SHOAL_TEST_PW" "the ProxyCommand has no SHOAL_TEST_PW"
unlike "$(cat "$T/proxy.env")" "$pw" "nor the password under any name"
like "$(cat "$T/proxy.env")" "^PATH=" "(the rest of the environment is there)"

# ---- while a run holds it ----------------------------------------------------------
# shoal runs as the lab user (so that being non-dumpable shows: /proc/PID
# turns root's), and its remote command waits for $T/go.
chmod 644 "$T/ssh_config" "$T/known_hosts"
mkdir -m 777 "$T/flags"
marker=shoal-t0331-$$
env -u SSH_AUTH_SOCK SHOAL_TEST_PW="$pw" HOME="$(getent passwd "$LAB_USER" | cut -d: -f6)" \
    setpriv --reuid="$LAB_USER" --regid="$LAB_USER" --clear-groups \
    "$SHOAL" -F "$T/ssh_config" -w direct --password-env SHOAL_TEST_PW \
    -- "touch $T/flags/started; while [ ! -e $T/go ]; do sleep 0.05; done; echo $marker" \
    </dev/null >"$T/bg.out" 2>"$T/bg.err" &
shoal_pid=$!
at_exit "touch '$T/go'"
# (The flag, not the command line: shoal's own holds the remote command.)
remote_runs() { [ -e "$T/flags/started" ] || ! running "$shoal_pid"; }
wait_for 30 remote_runs
if running "$shoal_pid" && [ -e "$T/flags/started" ]; then
    pass "the remote command runs, shoal holds the password"
    uid=$(awk '/^Uid:/ { print $2 }' "/proc/$shoal_pid/status")
    is "$uid" "$(id -u "$LAB_USER")" "shoal runs as $LAB_USER"
    is "$(stat -c %U "/proc/$shoal_pid/environ")" root "shoal is not dumpable: its /proc files are root's"
    environ=$(tr '\0' '\n' <"/proc/$shoal_pid/environ")
    like "$environ" '^HOME=' "its /proc/PID/environ reads"
    unlike "$environ" "$pw" "and does not show the password"
    unlike "$environ" '^SHOAL_TEST_PW=.' "the variable is empty there"
else
    fail "the remote command did not start: $(cat "$T/bg.err")"
fi
touch "$T/go"
wait "$shoal_pid"
is "$?" 0 "the run ends well"
is "$(cat "$T/bg.out")" "direct: $marker" "the command ran on the host"

done_testing
