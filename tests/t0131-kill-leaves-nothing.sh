#!/usr/bin/env bash
# t0131: when -u expires or the run is interrupted, nothing of the command
# survives on the host, pty or not, even a shell that ignores HUP and TERM
# and its child: shoal sends the signal KILL, which sshd delivers to the
# command's whole process group, then closes the channel (with -T the shell
# and its sleep used to survive the pty's hang-up).
. "$(dirname "$0")/lib.sh"

lab_fleet h 2
marker="shoal-t0131-$$"
# A sleep whose command line names the test, so other tests' processes of
# the same user are not counted; readable by the lab user.
cp "$(command -v sleep)" "$T/$marker-sleep"
chmod 755 "$T/$marker-sleep"
cmd="trap '' HUP TERM; echo started; $T/$marker-sleep 100; echo after"

left() { ps -u "$LAB_USER" -o stat=,pid=,args= | grep -v '^Z' | grep -- "$marker"; }
gone() { [ -z "$(left)" ]; }
check_gone() {
    if wait_for 5 gone; then pass "$1"; else
        fail "$1"
        diag "still running: $(left)"
        left | awk '{print $2}' | xargs -r kill -KILL 2>/dev/null
    fi
}

for tty in "" -T; do
    what=${tty:-"no pty"}
    run_shoal -F "$T/ssh_config" -w 'h[01-02]' $tty -u 2 --json -- "$cmd"
    is "$RC" 3 "$what: -u 2 expires"
    is "$(grep -c '"error_kind":"command_timeout"' "$T/out")" 2 "$what: both hosts command_timeout"
    check_gone "$what: neither the trapping shell nor its sleep survives -u"

    env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w 'h[01-02]' $tty -- "$cmd" \
        >"$T/out" 2>"$T/err" </dev/null &
    pid=$!
    started() { [ "$(grep -c started "$T/out")" -eq 2 ]; }
    wait_for 20 started || fail "$what: the commands did not start: $(cat "$T/out" "$T/err")"
    kill -INT $pid
    wait $pid
    is "$?" 130 "$what: SIGINT gives 130"
    check_gone "$what: nothing survives a cancel"
done
done_testing
