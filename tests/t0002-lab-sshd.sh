#!/usr/bin/env bash
# t0002: the test lab is sound, proved with OpenSSH's own client. start_sshd
# brings up a real sshd on a free loopback port; the aliases add_aliases
# writes log in as the lab user (shell /bin/sh, no startup files) with
# StrictHostKeyChecking yes, and only where trust_host_keys trusted the
# server's key; run_shoal runs $SHOAL with no agent and no stdin; and when a
# test ends - passing, failing, with a hung shoal, or killed - its sshd, the
# sessions in it and its temp dir are gone, and its exit status says whether
# it passed.
# shellcheck source=tests/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"

command -v ssh >/dev/null || skip_all "no OpenSSH client (apt-get install openssh-client)"

lab_user
lab_keys
start_sshd main
start_sshd other "MaxStartups 4:50:10"
write_ssh_config "$T/ssh_config"
add_aliases "$T/ssh_config" alias 3 "$SSHD_PORT_MAIN"
add_alias "$T/ssh_config" untrusted "$SSHD_PORT_OTHER"
trust_host_keys "$SSHD_PORT_MAIN"

lab_ssh() {
    env -u SSH_AUTH_SOCK timeout 10 ssh -F "$T/ssh_config" -o BatchMode=yes "$@" </dev/null
}

# --- the server and the aliases ----------------------------------------------

isnt "$SSHD_PORT_MAIN" "$SSHD_PORT_OTHER" "two servers, two ports"
is "$(grep -c '^MaxStartups' "$T/other/sshd_config")" 1 "a caller's sshd_config line replaces the default"
is "$(grep '^MaxStartups' "$T/other/sshd_config")" "MaxStartups 4:50:10" "and is the one sshd gets"
like "$(ssh -F "$T/ssh_config" -G alias02 2>/dev/null)" "^port $SSHD_PORT_MAIN$" "ssh -G alias02 sees the lab port"

# The other connections run while the first one does.
lab_ssh alias02 'echo two' >"$T/a2" 2>&1 &
others=$!
lab_ssh alias03 'echo three' >"$T/a3" 2>&1 &
others+=" $!"
lab_ssh untrusted true >/dev/null 2>"$T/untrusted.err" &
untrusted=$!
# shellcheck disable=SC2016 # expanded by the remote shell
out=$(lab_ssh alias01 'echo hi; id -un; echo "$SHELL"; ls -A "$HOME"' 2>"$T/ssh.err")
wait "$untrusted"
rc=$?
# shellcheck disable=SC2086 # a list of pids
wait $others
is "$(sed -n 1,2p <<<"$out")" "hi"$'\n'"$LAB_USER" "ssh alias01 runs the command as the lab user" ||
    diag "$(cat "$T/ssh.err")"
is "$(cat "$T/a2" "$T/a3")" "two"$'\n'"three" "alias02 and alias03 work too"
if [ "$(id -u)" -eq 0 ]; then
    is "$LAB_USER" shoaltest "as root the login user is shoaltest"
    is "$(sed -n '3,$p' <<<"$out")" "/bin/sh" "its shell is /bin/sh and its home has no startup files"
else
    is "$LAB_USER" "$(id -un)" "not root: the login user is the current user"
fi
isnt "$rc" 0 "a server whose key was not trusted is refused (StrictHostKeyChecking yes)"
like "$(cat "$T/untrusted.err")" "Host key verification failed" "and ssh says why"

# --- the config writers ------------------------------------------------------

add_aliases "$T/many" x 100 1234
is "$(grep -cE '^Host x[0-9]{3}$' "$T/many")" 100 "add_aliases: 100 aliases get 3 digits"
is "$(grep '^Host' "$T/many" | sed -n '1p;$p' | tr '\n' ' ')" "Host x001 Host x100 " "from x001 to x100"
add_alias "$T/over" h 2222 localhost "StrictHostKeyChecking accept-new" "User nobody"
is "$(grep -ci stricthostkeychecking "$T/over") $(grep -c 'User ' "$T/over")" "1 1" \
    "add_alias: extra lines replace the defaults of their keyword"
like "$(cat "$T/over")" "HostName localhost" "and a HostName can be given"

# --- running shoal -------------------------------------------------------------

cat >"$T/fake-shoal" <<'EOF'
#!/bin/sh
echo "args: $*"
echo "agent: ${SSH_AUTH_SOCK:-none}"
echo "stdin: $(cat)"
echo "to stderr" >&2
exit 7
EOF
chmod +x "$T/fake-shoal"
SSH_AUTH_SOCK=/nonexistent SHOAL=$T/fake-shoal run_shoal -w 'a b' -- true
is "$RC" 7 "run_shoal: the exit status is in \$RC"
is "$(cat "$T/out")" "args: -w a b -- true"$'\n'"agent: none"$'\n'"stdin: " \
    "stdout in \$T/out, no agent, stdin at EOF"
is "$(cat "$T/err")" "to stderr" "stderr in \$T/err"

# --- waiting ---------------------------------------------------------------------

t0=${EPOCHREALTIME/[.,]/}
wait_for 0.3 false
rc=$?
waited=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
is "$rc" 1 "wait_for: 1 when the deadline passes"
if [ "$waited" -ge 300 ] && [ "$waited" -lt 2000 ]; then pass "after the deadline ($waited ms)"; else
    fail "wait_for 0.3 took $waited ms"
fi
wait_for 5 true
is "$?" 0 "wait_for: 0 as soon as the command succeeds"

# --- cleanup, however a test ends ------------------------------------------------

# An inner test: it starts an sshd with a session running a sleep that only
# it runs, reports its $T and pids, then ends as told by INNER_END.
cat >"$T/inner.sh" <<'EOF'
. "$top_srcdir/tests/lib.sh"
lab_user
lab_keys
start_sshd inner
add_alias "$T/ssh_config" in "$SSHD_PORT_INNER"
trust_host_keys "$SSHD_PORT_INNER"
env -u SSH_AUTH_SOCK ssh -F "$T/ssh_config" -o BatchMode=yes in "echo started; exec sleep $INNER_SLEEP" \
    >"$T/ssh.out" 2>&1 </dev/null &
started() { grep -q started "$T/ssh.out"; }
wait_for 30 started || BAIL_OUT "the session did not start: $(cat "$T/ssh.out")"
pass "inner test ran"
case $INNER_END in
hung-shoal)
    printf '#!/bin/sh\nexec sleep 30\n' >"$T/hang"
    chmod +x "$T/hang"
    SHOAL=$T/hang SHOAL_TIMEOUT=0.3 run_shoal
    echo "RC=$RC" >>"$INNER_REPORT"
    ;;
killed)
    echo "T=$T SSHD=$SSHD_PID_INNER SLEEP=$INNER_SLEEP" >>"$INNER_REPORT"
    wait_for 30 false
    ;;
esac
echo "T=$T SSHD=$SSHD_PID_INNER SLEEP=$INNER_SLEEP" >>"$INNER_REPORT"
done_testing
EOF

# inner END: starts an inner test in the background (in $T/END.*).
inner() {
    INNER_END=$1 INNER_SLEEP=59.$$$RANDOM INNER_REPORT=$T/$1.report \
        bash "$T/inner.sh" >"$T/$1.out" 2>&1 &
    inner_pid[$1]=$!
}
# finish END: waits for it; sets inner_rc and reads its report.
finish() {
    wait "${inner_pid[$1]}"
    inner_rc=$?
    inner_t=$(sed -n 's/^T=\([^ ]*\) .*/\1/p' "$T/$1.report" | head -n 1)
    inner_sshd=$(sed -n 's/.* SSHD=\([0-9]*\) .*/\1/p' "$T/$1.report" | head -n 1)
    inner_sleep=$(sed -n 's/.* SLEEP=//p' "$T/$1.report" | head -n 1)
}
# shellcheck disable=SC2317 # called through wait_for
all_gone() {
    ! running "$inner_sshd" && [ -z "$(procs_with "sleep $inner_sleep")" ] && [ ! -e "$inner_t" ]
}
gone_after() {
    if [ -n "$inner_sshd" ] && wait_for 3 all_gone; then pass "$2"; else
        fail "$2"
        diag "left behind after $1: sshd $inner_sshd, sleep $inner_sleep, $inner_t"
    fi
}

declare -A inner_pid=()
inner ok
inner hung-shoal
inner killed
wait_for 60 grep -qs '^T=' "$T/killed.report"
kill -TERM "${inner_pid[killed]}"

finish ok
is "$inner_rc" 0 "a passing test exits 0"
like "$(cat "$T/ok.out")" '^ok 1 - inner test ran' "and prints TAP"
gone_after "a passing test" "then its sshd, its session and its \$T are gone"

finish hung-shoal
is "$inner_rc" 1 "a test whose shoal hangs exits 1 though no test point failed"
like "$(cat "$T/hung-shoal.report")" '^RC=124$' "run_shoal ended the hung shoal at its deadline (RC 124)"
like "$(cat "$T/hung-shoal.out")" 'did not finish within 0.3 s' "and said so"
gone_after "a hung shoal" "then everything it started is gone"

finish killed
is "$inner_rc" 143 "a test killed with SIGTERM exits 143"
gone_after SIGTERM "then everything it started is gone"

done_testing
