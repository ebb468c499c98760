#!/usr/bin/env bash
# t0352: a server that allows only keyboard-interactive (PAM password
# logins: UsePAM yes, KbdInteractiveAuthentication yes, PasswordAuthentication
# no) is reached with the run's password (--password-env); a wrong password
# is auth_denied, once, naming the method; PreferredAuthentications without
# keyboard-interactive, KbdInteractiveAuthentication no, PasswordAuthentication
# no, or no password, means the method is not tried; a key then a password
# (AuthenticationMethods) logs in.  A server
# that asks other questions (two prompts, one with a terminal escape: a
# paramiko server, tests/paramiko-server.py) is auth_denied at once, quoting
# the prompts escaped, never a hang.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "sshd needs root for PAM, and setting a password needs root"
lab_user
lab_keys
lab_password shoal-kbd-pw
start_sshd kbd "UsePAM yes" "KbdInteractiveAuthentication yes" "PasswordAuthentication no" \
    "PubkeyAuthentication no"
add_aliases "$T/ssh_config" kbd 2 "$SSHD_PORT_KBD"
add_alias "$T/ssh_config" nokbd "$SSHD_PORT_KBD" "" "PreferredAuthentications publickey,password"
trust_host_keys "$SSHD_PORT_KBD"

SHOAL_PW=shoal-kbd-pw run_shoal -F "$T/ssh_config" -w 'kbd0[1-2]' --password-env SHOAL_PW --json -- 'echo in'
is "$RC" 0 "keyboard-interactive with the run's password logs in"
is "$(grep -c '"status":"ok"' "$T/out")" 2 "on both hosts"
unlike "$(cat "$T/out" "$T/err")" 'shoal-kbd-pw' "the password appears nowhere"

SHOAL_PW=wrong run_shoal -F "$T/ssh_config" -w kbd01 --password-env SHOAL_PW --json -- true
is "$RC" 3 "a wrong password: exit 3"
like "$(cat "$T/out")" '"error_kind":"auth_denied".*"attempts":1,' "auth_denied, once"
like "$(cat "$T/err")" 'kbd01: auth_denied \(auth phase, attempt 1\): keyboard-interactive refused \(server allows: keyboard-interactive\)' "naming the method refused"

SHOAL_PW=shoal-kbd-pw run_shoal -F "$T/ssh_config" -w nokbd --password-env SHOAL_PW -- true
is "$RC" 3 "PreferredAuthentications without keyboard-interactive: not tried"
like "$(cat "$T/err")" 'nokbd: auth_denied .*no method to try \(server allows: keyboard-interactive\)' "nothing to try"

run_shoal -F "$T/ssh_config" -w kbd01 -- true
is "$RC" 3 "no password for the run: not tried, denied"

# The ssh_config switches: KbdInteractiveAuthentication no, and
# PasswordAuthentication no for a server that takes passwords.
add_alias "$T/ssh_config" kbdoff "$SSHD_PORT_KBD" "" "KbdInteractiveAuthentication no"
SHOAL_PW=shoal-kbd-pw run_shoal -F "$T/ssh_config" -w kbdoff --password-env SHOAL_PW -- true
like "$(cat "$T/err")" 'kbdoff: auth_denied .*no method to try \(server allows: keyboard-interactive\)' "KbdInteractiveAuthentication no: not tried"
start_sshd pw "PasswordAuthentication yes" "PubkeyAuthentication no"
trust_host_keys "$SSHD_PORT_PW"
add_alias "$T/ssh_config" pwon "$SSHD_PORT_PW"
add_alias "$T/ssh_config" pwoff "$SSHD_PORT_PW" "" "PasswordAuthentication no"
SHOAL_PW=shoal-kbd-pw run_shoal -F "$T/ssh_config" -w pwon,pwoff --password-env SHOAL_PW -- true
is "$RC" 3 "one of the two password hosts denied"
unlike "$(cat "$T/err")" 'pwon:' "the password logs in where PasswordAuthentication is on"
like "$(cat "$T/err")" 'pwoff: auth_denied .*no method to try \(server allows: password\)' "PasswordAuthentication no: not tried"

# A key then a password (AuthenticationMethods): partial success, then on.
start_sshd both "AuthenticationMethods publickey,password" "PasswordAuthentication yes"
trust_host_keys "$SSHD_PORT_BOTH"
add_alias "$T/ssh_config" both "$SSHD_PORT_BOTH"
SHOAL_PW=shoal-kbd-pw run_shoal -F "$T/ssh_config" -w both --password-env SHOAL_PW -- 'echo in'
is "$RC" 0 "publickey then password (partial success): logs in"
is "$(cat "$T/out")" "both: in" "and runs the command"

if /usr/bin/python3 -c 'import paramiko' 2>/dev/null; then
    mkdir -p "$T/pk"
    ssh-keygen -q -t ed25519 -N '' -f "$T/pk/hostkey" </dev/null || BAIL_OUT "ssh-keygen"
    /usr/bin/python3 "$top_srcdir/tests/paramiko-server.py" questions 0 "$T/pk/hostkey" >/dev/null 2>"$T/pk/log" &
    listening() { grep -q '^listening ' "$T/pk/log"; }
    wait_for 20 listening || BAIL_OUT "paramiko-server.py did not start: $(cat "$T/pk/log")"
    port=$(sed -n 's/^listening //p' "$T/pk/log")
    read -r type blob _ <"$T/pk/hostkey.pub"
    echo "[127.0.0.1]:$port $type $blob" >>"$T/known_hosts"
    add_alias "$T/ssh_config" questions "$port"
    start=$(date +%s%N)
    SHOAL_PW=shoal-kbd-pw run_shoal -F "$T/ssh_config" -w questions --password-env SHOAL_PW --auth-timeout 30 -- true
    took=$((($(date +%s%N) - start) / 1000000))
    is "$RC" 3 "two questions: exit 3"
    if [ "$took" -lt 15000 ]; then pass "at once, not at the auth deadline ($took ms)"; else fail "took $took ms"; fi
    like "$(cat "$T/err")" 'questions: auth_denied \(auth phase, attempt 1\): keyboard-interactive asked 2 questions \("Password: ", "Verification code\\x1b\[31m: "\)' "quoting the prompts, escaped"
    unlike "$(cat "$T/err")" $'\x1b' "no raw escape reaches the terminal"
else
    skip "no python3-paramiko for the two-question server"
fi
done_testing
