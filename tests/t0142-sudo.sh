#!/usr/bin/env bash
# t0142: --sudo against a real sudo: the password case (with and without -T,
# with -I: stdin reaches the command after the password), the NOPASSWD case
# (the password is never sent: stdin arrives untouched), a wrong password
# (exit_nonzero, sent once: sudo counts 1 attempt, with and without -T), no
# password given; --ask-password asks once; and the password and sudo's
# prompt appear in no output channel: stdout, stderr, JSON, -o files,
# --failed, at -vvv, the terminal.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "needs root (a sudoers drop-in for the lab user)"
command -v sudo >/dev/null || skip_all "sudo is not installed (tests/deps.sh test)"
lab_fleet h 3
PW='Sudo-pw.7x3Kq!'
lab_password "$PW"
sudoers_lock
drop=/etc/sudoers.d/shoal-t0142-$$
at_exit "rm -f '$drop'"
sudoers() { # RULE: the lab user's sudo rule
    printf 'Defaults:%s lecture=never\n%s ALL=(ALL) %s\n' "$LAB_USER" "$LAB_USER" "$1" >"$drop.tmp"
    chmod 440 "$drop.tmp"
    visudo -cq -f "$drop.tmp" || BAIL_OUT "visudo refuses the test's sudoers drop-in"
    mv "$drop.tmp" "$drop"
}
export SHOAL_PW=$PW
all_output() { cat "$T/out" "$T/err" "$T"/o/* "$T/failed" 2>/dev/null; }

sudoers ALL
rm -rf "$T/o"
run_shoal -F "$T/ssh_config" -w 'h[01-03]' --sudo --password-env SHOAL_PW -vvv -o "$T/o" \
    --failed "$T/failed" -- 'id -un; echo to-stderr >&2'
is "$RC" 0 "password case: exit 0"
is "$(sort "$T/out")" "$(printf 'h01: root\nh02: root\nh03: root')" "the command ran as root on every host"
is "$(grep -c 'to-stderr' "$T/err")" 3 "the command's stderr is there"
is "$(cat "$T/o/h02.out")" "root" "-o: HOST.out holds the command's bytes only"
is "$(cat "$T/o/h02.err")" "to-stderr" "-o: HOST.err holds no prompt"
unlike "$(all_output)" "$PW|shoal-sudo|\[sudo\]|[Pp]assword" "no password or prompt in any output (-vvv)"

run_shoal -F "$T/ssh_config" -w 'h01' --sudo -T --password-env SHOAL_PW --json -- 'id -un; echo to-stderr >&2'
is "$RC" 0 "password case with -T: exit 0"
is "$(jq -r .stdout "$T/out" | tr -d '\r')" "$(printf 'root\nto-stderr')" "-T: the command's output only, no prompt, no echo"
unlike "$(all_output)" "$PW|shoal-sudo|[Pp]assword" "-T: no password or prompt in any output"

printf 'line one\nline two\n' >"$T/in"
SHOAL_STDIN=$T/in run_shoal -F "$T/ssh_config" -w 'h01' --sudo -I --password-env SHOAL_PW -- 'id -un; cat'
is "$RC" 0 "-I: exit 0"
is "$(cat "$T/out")" "$(printf 'h01: root\nh01: line one\nh01: line two')" "-I: stdin reaches the command, after the password"

SHOAL_PW='not-the-password' run_shoal -F "$T/ssh_config" -w 'h01' --sudo --password-env SHOAL_PW --json -vvv -- 'id -un'
is "$RC" 1 "wrong password: exit 1"
is "$(jq -r '.error_kind + " " + (.exit_code|tostring)' "$T/out")" "exit_nonzero 1" "wrong password: exit_nonzero, sudo's status"
like "$(jq -r .error "$T/out")" "sudo refused the password" "the error says so"
like "$(jq -r .stderr "$T/out")" "1 incorrect password attempt" "the password was sent once (sudo counts one attempt)"
unlike "$(all_output)" "not-the-password|shoal-sudo" "the wrong password is in no output either"

SHOAL_PW='not-the-password' run_shoal -F "$T/ssh_config" -w 'h01' --sudo -T --password-env SHOAL_PW --json -- 'id -un'
is "$RC" 1 "wrong password with -T: exit 1, not a hang"
like "$(jq -r .stdout "$T/out")" "1 incorrect password attempt" "-T: sent once"
unlike "$(all_output)" "not-the-password|shoal-sudo" "-T: the wrong password is in no output"

run_shoal -F "$T/ssh_config" -w 'h01' --sudo --json -- 'id -un'
is "$RC" 1 "no password given and sudo asks: exit 1"
like "$(jq -r .error "$T/out")" "sudo asked for a password and none was given" "the error names the cause"

# --ask-password: asked once on the terminal, used for sudo on every host.
term_start 100 20 "'$SHOAL' --no-tui --sudo --ask-password -F '$T/ssh_config' -w 'h[01-03]' -- 'id -un' >'$T/out' 2>'$T/err'"
if term_wait 10 '^Password:'; then pass "--sudo --ask-password asks"; else fail "--sudo --ask-password asks"; fi
term_type "$PW"
term_keys Enter
term_done 20
is "$TERM_RC" 0 "--ask-password: exit 0"
is "$(sort "$T/out")" "$(printf 'h01: root\nh02: root\nh03: root')" "--ask-password: root on every host"
is "$(term_screen | grep -c 'Password')" 1 "asked once, not once per host"
unlike "$(all_output; term_screen)" "$PW|shoal-sudo" "--ask-password: the password is on no output and not on the screen"

sudoers 'NOPASSWD: ALL'
SHOAL_STDIN=$T/in run_shoal -F "$T/ssh_config" -w 'h[01-02]' --sudo -I --password-env SHOAL_PW -- 'id -un; cat'
is "$RC" 0 "NOPASSWD: exit 0"
is "$(grep -c '' "$T/out")" 6 "NOPASSWD: root and the two lines of stdin on each host, nothing more"
unlike "$(all_output)" "$PW" "NOPASSWD: the password was never sent (stdin came through untouched)"
run_shoal -F "$T/ssh_config" -w 'h01' --sudo -T -- 'id -un'
is "$(tr -d '\r' <"$T/out")" "h01: root" "NOPASSWD with -T and no password: works"
done_testing
