#!/usr/bin/env bash
# t0708: --sudo with a password in tree mode (issue 26).  The password
# (--password-env, --ask-password) travels to the gateways in the job, over
# their encrypted channel; the gateways' shoal answers sudo with it on each
# target.  It is on no command line (the gateway's shoal's included), in no
# output at -vvv, and a wrong one is sudo's refusal, through the gateway.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

[ "$EUID" -eq 0 ] || skip_all "needs root (a sudoers drop-in for the lab user)"
command -v sudo >/dev/null || skip_all "sudo is not installed (tests/deps.sh test)"
tree_lab 2 4
PW='Tree-sudo.9pQ!w'
lab_password "$PW"
sudoers_lock
drop=/etc/sudoers.d/shoal-t0708-$$
at_exit "rm -f '$drop'"
# No cached sudo credentials: every case asks (or not) for itself.
printf 'Defaults:%s lecture=never,timestamp_timeout=0\n%s ALL=(ALL) ALL\n' "$LAB_USER" "$LAB_USER" >"$drop.tmp"
chmod 440 "$drop.tmp"
visudo -cq -f "$drop.tmp" || BAIL_OUT "visudo refuses the test's sudoers drop-in"
mv "$drop.tmp" "$drop"
export SHOAL_PW=$PW
tree=(-F "$T/ssh_config" --gateways 'gw[1-2]' --gateway-shoal "$GW_SHOAL")
all_output() { cat "$T/out" "$T/err" "$T"/o/* 2>/dev/null; }

# The gateways' command lines, while their targets' commands run.
mark="t0708-$$"
(
    run_shoal "${tree[@]}" -w 'n[01-04]' --sudo --password-env SHOAL_PW -vvv -o "$T/o" \
        -- "id -un; echo to-stderr >&2; sleep 2 # $mark"
    echo "$RC" >"$T/rc"
) &
bg=$!
running() { [ "$(procs_with "$mark" | wc -l)" -ge 4 ]; }
wait_for 30 running
ps -eo args >"$T/ps"
wait "$bg"
is "$(cat "$T/rc")" 0 "--sudo --password-env through gateways: exit 0"
is "$(grep -c ': root$' "$T/out")" 4 "the command ran as root on every target"
is "$(grep -c 'to-stderr' "$T/err")" 4 "its stderr is there"
is "$(cat "$T/o/n03.out")" "root" "-o: the command's bytes only"
unlike "$(all_output)" "$PW|shoal-sudo|\[sudo\]|[Pp]assword" "no password or prompt in any output (-vvv)"
like "$(cat "$T/ps")" "--gateway-serve" "the gateways' shoal was running"
unlike "$(cat "$T/ps")" "$PW" "the password is on no command line"

SHOAL_PW='not-the-password' run_shoal "${tree[@]}" -w 'n01' --sudo --password-env SHOAL_PW --json -- 'id -un'
is "$RC" 1 "a wrong password: exit 1"
like "$(jq -r .error "$T/out")" "sudo refused the password" "sudo's refusal, through the gateway"
is "$(jq -r '.via[0]' "$T/out")" gw1 "via gw1"
unlike "$(all_output)" "not-the-password|shoal-sudo" "the wrong password is in no output"

run_shoal "${tree[@]}" -w 'n01' --sudo --json -- 'id -un'
is "$RC" 1 "no password and sudo asks: exit 1"
like "$(jq -r .error "$T/out")" "sudo asked for a password and none was given" "the error names the cause"

term_start 100 20 "'$SHOAL' --no-tui --sudo --ask-password -F '$T/ssh_config' --gateways 'gw[1-2]' \
    --gateway-shoal '$GW_SHOAL' -w 'n[01-04]' -- 'id -un' >'$T/out' 2>'$T/err'"
term_wait 10 '^Password:' && pass "--ask-password asks at the root"
term_type "$PW"
term_keys Enter
term_done 30
is "$TERM_RC" 0 "--ask-password through gateways: exit 0"
is "$(grep -c ': root$' "$T/out")" 4 "root on every target"
is "$(term_screen | grep -c 'Password')" 1 "asked once, for every gateway and target"

run_shoal "${tree[@]}" -w 'n01' --rcopy /etc/hostname "$T/rc"
is "$RC" 2 "--rcopy is still refused in tree mode"
done_testing
