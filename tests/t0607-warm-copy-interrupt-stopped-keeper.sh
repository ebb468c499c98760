#!/usr/bin/env bash
# t0607: a warm --copy (over a keeper's kept session) ends as a cold one
# does when it does not finish, and never hangs on the keeper.  The host's
# SFTP server reads through a pipe that passes 2 MB/s, so a 20 MB upload
# takes a while: SIGINT in the middle ends shoal with 130, the host
# cancelled naming the file, and the temporary is removed (through the
# keeper); the live view shows its progress; the keeper serves another host's command while a transfer runs;
# a keeper stopped (SIGSTOP) mid-transfer ends the run as `lost` within
# seconds instead of hanging it; no step logs in anew.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

lab_user
lab_keys
slow_sftp_lab "LogLevel INFO"
dir=$SLOW_HOME
start_sshd main "LogLevel INFO"
add_alias "$T/ssh_config" fast "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
keeper_lab
logins() { cat "$T/slow/log" "$T/main/log" | grep -c 'Accepted publickey'; }
printf 'small\n' >"$T/small"
leftovers() { find "$dir/in" -mindepth 1 ! -name small | wc -l; }

run_shoal -F "$T/ssh_config" --persist 120 -w slow --copy "$T/small" in/
is "$RC" 0 "a --persist copy keeps the slow host's session"
run_shoal -F "$T/ssh_config" --persist 120 -w fast -- true
is "$RC" 0 "and a command keeps the other host's"
n=$(logins)

# SIGINT in the middle of a warm upload.
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -v -w slow --copy "$T/big.bin" in/ \
    </dev/null >"$T/out" 2>"$T/err" &
pid=$!
if wait_for 30 slow_partial; then pass "the warm upload is under way under a temporary name"; else fail "no partial temporary file appeared"; fi
like "$(cat "$T/err")" 'slow: copying over a kept session' "over the kept session"
kill -INT "$pid"
wait_for 15 eval '! running "$pid"'
wait "$pid"
is "$?" 130 "SIGINT mid-upload, warm: exit 130"
like "$(cat "$T/err")" 'slow: cancelled.*interrupted during the transfer of in/big.bin' "the host is cancelled, naming the file (as cold)"
ok "$([ ! -e "$dir/in/big.bin" ]; echo $?)" "no file under the final name"
wait_for 10 eval '[ "$(leftovers)" -eq 0 ]' && pass "the temporary is removed through the keeper" ||
    fail "left behind: $(ls -A "$dir/in")"

# The live view shows a warm transfer's progress as a cold one's (transfer.c runs here either way).
term_start 120 20 "'$SHOAL' --tui -v -F '$T/ssh_config' -w slow --copy '$T/big.bin' in/ 2>'$T/err3'"
progress() { term_screen | grep -E '^slow ' | grep -Eo '[0-9.]+ [kMG]?B / 21\.0 MB' | head -1; }
if wait_for 30 eval '[ -n "$(progress)" ]'; then pass "the view shows the bytes sent of 21.0 MB: $(progress)"; else
    fail "no progress in the view: $(term_screen)"
fi
p1=$(progress)
wait_for 10 eval '[ "$(progress)" != "$p1" ]' && pass "and it moves: $(progress)" || fail "the progress stays at $p1"
term_keys C-c
term_done 15 && is "$TERM_RC" 130 "Ctrl-C in the view: exit 130" || fail "the view did not end"
like "$(cat "$T/err3")" 'slow: copying over a kept session' "the view's copy used the kept session"
wait_for 10 eval '[ "$(leftovers)" -eq 0 ]' || fail "the view's temporary is left: $(ls -A "$dir/in")"

# The keeper answers other requests while a transfer runs on one of its sessions.
env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w slow --copy "$T/big.bin" in/ \
    </dev/null >"$T/out2" 2>"$T/err2" &
pid=$!
wait_for 30 slow_partial || fail "the second warm upload did not start"
t0=$(date +%s.%N)
run_shoal -F "$T/ssh_config" -w fast -- 'echo beside'
t1=$(date +%s.%N)
is "$(cat "$T/out")" "fast: beside" "another host's warm command runs while the transfer does"
ok "$(awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 5) }'; echo $?)" "without waiting for it ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s)"
running "$pid" && pass "the transfer is still running" || fail "the transfer ended early: $(cat "$T/err2")"

# The keeper stops answering mid-transfer: the run does not hang.
keepers=$(keeper_pids | grep -vx "$pid") # the run itself is a shoal of this directory too
[ -n "$keepers" ] || fail "no keeper to stop"
t0=$(date +%s.%N)
kill -STOP $keepers
at_exit "kill -CONT $keepers 2>/dev/null"
if wait_for 40 eval '! running "$pid"'; then
    pass "a stopped keeper ends the warm transfer ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
else
    fail "the run still waits on a stopped keeper"
fi
wait "$pid"
is "$?" 3 "it fails: exit 3"
like "$(cat "$T/err2")" 'slow: lost.*keeper relaying the kept session stopped answering' "as lost, naming the keeper"
ok "$([ ! -e "$dir/in/big.bin" ]; echo $?)" "no file under the final name"
kill -CONT $keepers
is "$(logins)" "$n" "no step logged in anew"
done_testing
