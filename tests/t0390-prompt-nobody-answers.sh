#!/usr/bin/env bash
# t0390: shoal never waits silently at a prompt nobody will answer.  A
# host whose output ends in a prompt that then stays silent is ended within
# seconds as error kind "prompt", with the prompt quoted and the fix named:
# a script that asks for a passcode and reads under -T; plain sudo under -T
# without --sudo ("[sudo] password for ...:"); --sudo against a real sudo
# that ignores -p (sudoers passprompt_override).  Output that merely ends
# in a colon, then works on in silence, is left alone.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "needs root (a sudoers drop-in for the lab user)"
command -v sudo >/dev/null || skip_all "sudo is not installed (tests/deps.sh test)"
lab_fleet h 1
PW='Prompt-pw.4v9Lz!'
lab_password "$PW" # also keeps other sudo tests from running meanwhile
sudoers_lock
drop=/etc/sudoers.d/shoal-t0390-$$
at_exit "rm -f '$drop'"
sudoers() { # LINES: the lab user's sudo rules
    printf '%s\n' "$@" >"$drop.tmp"
    chmod 440 "$drop.tmp"
    visudo -cq -f "$drop.tmp" || BAIL_OUT "visudo refuses the test's sudoers drop-in"
    mv "$drop.tmp" "$drop"
}
export SHOAL_PW=$PW
secs_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# run_timed ARGS...: run_shoal, with $took the wall time.
run_timed() {
    local start=$EPOCHREALTIME
    SHOAL_TIMEOUT=30 run_shoal "$@"
    took=$(secs_since "$start")
}

run_timed -F "$T/ssh_config" -w h01 -T --json -- 'printf "Enter passcode: "; read x; echo never'
is "$RC" 3 "a script waiting at a passcode prompt under -T: exit 3, not a hang"
is "$(jq -r .error_kind "$T/out")" prompt "error kind prompt"
like "$(jq -r .error "$T/out")" "'Enter passcode: '.*--sudo --ask-password" "the prompt quoted, the fix named"
cmp_ok "${took%.*}" -lt 10 "ended within seconds (${took}s in all)"
diag "passcode prompt under -T: run ended after ${took}s"

# The prompt is escaped like any host text.
run_timed -F "$T/ssh_config" -w h01 -T --json -- 'printf "\033]0;x\007Password: "; read x'
is "$(jq -r .error_kind "$T/out")" prompt "a prompt with a terminal escape in it is found too"
unlike "$(cat "$T/out" "$T/err")" $'\033' "and no escape byte reaches any output"

sudoers "Defaults:$LAB_USER lecture=never" "$LAB_USER ALL=(ALL) ALL"
run_timed -F "$T/ssh_config" -w h01 -T --json -- 'sudo id -un'
is "$(jq -r .error_kind "$T/out")" prompt "plain sudo under -T without --sudo: kind prompt, not a hang"
like "$(jq -r .error "$T/out")" "'\[sudo\] password for $LAB_USER: '.*--sudo --ask-password" \
    "sudo's prompt quoted and --sudo --ask-password named"
diag "plain sudo under -T: run ended after ${took}s"

# A sudo that ignores -p, as one whose PAM stack asks for a one-time code
# first: a `sudo` first on the PATH an sshd gives its sessions.
mkdir -p "$T/bin"
cat >"$T/bin/sudo" <<'SH'
#!/bin/sh
printf 'Verification code: ' >&2
read -r code
exec /usr/bin/sudo "$@"
SH
chmod 755 "$T/bin" "$T/bin/sudo"
start_sshd otp "SetEnv PATH=$T/bin:/usr/bin:/bin"
add_alias "$T/ssh_config" otp "$SSHD_PORT_OTP"
trust_host_keys "$SSHD_PORT_OTP"
run_timed -F "$T/ssh_config" -w otp --sudo --password-env SHOAL_PW --json -- 'id -un'
is "$RC" 3 "--sudo with a sudo that ignores -p: exit 3, not a hang"
is "$(jq -r .error_kind "$T/out")" prompt "error kind prompt"
like "$(jq -r .error "$T/out")" "'Verification code: '.*--sudo answers only sudo's own password prompt" \
    "the foreign prompt quoted, and why --sudo cannot answer it"
unlike "$(cat "$T/out" "$T/err")" "$PW" "the password was not sent to the foreign prompt"
diag "--sudo, foreign prompt: run ended after ${took}s"
run_timed -F "$T/ssh_config" -w otp --sudo -T --password-env SHOAL_PW --json -- 'id -un'
is "$(jq -r .error_kind "$T/out")" prompt "the same with -T"

run_timed -F "$T/ssh_config" -w h01 -T --json -- 'printf "Copying: "; sleep 5; echo done'
is "$RC" 0 "output ending in a plain colon, then 5 s of silence, is no prompt"
done_testing
