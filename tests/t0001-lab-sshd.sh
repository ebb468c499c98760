#!/usr/bin/env bash
# t0001: the test lab is sound, proved with OpenSSH's own client. start_sshd
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
like "$(ssh -F "$T/ssh_config" -G alias02)" "^port $SSHD_PORT_MAIN$" "ssh -G alias02 sees the lab port"

out=$(lab_ssh alias01 'echo hi; id -un' 2>"$T/ssh.err")
is "$out" "hi"$'\n'"$LAB_USER" "ssh alias01 runs the command as the lab user" || diag "$(cat "$T/ssh.err")"
is "$(lab_ssh alias02 'echo two' 2>&1)$(lab_ssh alias03 'echo three' 2>&1)" "twothree" "alias02 and alias03 work too"

if [ "$(id -u)" -eq 0 ]; then
    is "$LAB_USER" shoaltest "as root the login user is shoaltest"
    # shellcheck disable=SC2016 # expanded by the remote shell
    is "$(lab_ssh alias01 'echo "$SHELL"; ls -A "$HOME"' 2>&1)" "/bin/sh" \
        "its shell is /bin/sh and its home has no startup files"
else
    is "$LAB_USER" "$(id -un)" "not root: the login user is the current user"
fi

lab_ssh untrusted true 2>"$T/ssh.err"
rc=$?
isnt "$rc" 0 "a server whose key was not trusted is refused (StrictHostKeyChecking yes)"
like "$(cat "$T/ssh.err")" "Host key verification failed" "and ssh says why"

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
wait_for 10 started || BAIL_OUT "the session did not start: $(cat "$T/ssh.out")"
pass "inner test ran"
case $INNER_END in
hung-shoal)
    printf '#!/bin/sh\nexec sleep 30\n' >"$T/hang"
    chmod +x "$T/hang"
    SHOAL=$T/hang SHOAL_TIMEOUT=0.3 run_shoal
    echo "RC=$RC" >>"$INNER_REPORT"
    ;;
killed)
    echo "T=$T SSHD=$SSHD_PID_INNER" >>"$INNER_REPORT"
    wait_for 30 false
    ;;
esac
echo "T=$T SSHD=$SSHD_PID_INNER" >>"$INNER_REPORT"
done_testing
EOF

# inner END: runs the inner test; sets inner_rc, inner_out, inner_t, inner_sshd.
inner() {
    local pid
    INNER_SLEEP=59.$$$RANDOM
    : >"$T/report"
    INNER_END=$1 INNER_SLEEP=$INNER_SLEEP INNER_REPORT=$T/report bash "$T/inner.sh" >"$T/inner.out" 2>&1 &
    pid=$!
    if [ "$1" = killed ]; then
        wait_for 20 grep -q '^T=' "$T/report"
        kill -TERM "$pid"
    fi
    wait "$pid"
    inner_rc=$?
    inner_out=$(cat "$T/inner.out")
    inner_t=$(sed -n 's/^T=\([^ ]*\) .*/\1/p' "$T/report" | head -n 1)
    inner_sshd=$(sed -n 's/.* SSHD=//p' "$T/report" | head -n 1)
}
# shellcheck disable=SC2317 # called through wait_for
all_gone() {
    ! running "$inner_sshd" && [ -z "$(procs_with "sleep $INNER_SLEEP")" ] && [ ! -e "$inner_t" ]
}

inner ok
is "$inner_rc" 0 "a passing test exits 0"
like "$inner_out" '^ok 1 - inner test ran' "and prints TAP"
if [ -n "$inner_sshd" ] && wait_for 3 all_gone; then pass "then its sshd, its session and its \$T are gone"; else
    fail "left behind after a passing test: sshd $inner_sshd, sleep $INNER_SLEEP, $inner_t"
fi

inner hung-shoal
is "$inner_rc" 1 "a test whose shoal hangs exits 1 though no test point failed"
like "$(cat "$T/report")" '^RC=124$' "run_shoal ended the hung shoal at its deadline (RC 124)"
like "$inner_out" 'did not finish within 0.3 s' "and said so"
if [ -n "$inner_sshd" ] && wait_for 3 all_gone; then pass "then everything it started is gone"; else
    fail "left behind after a hung shoal: sshd $inner_sshd, sleep $INNER_SLEEP, $inner_t"
fi

inner killed
is "$inner_rc" 143 "a test killed with SIGTERM exits 143"
if [ -n "$inner_sshd" ] && wait_for 3 all_gone; then pass "then everything it started is gone"; else
    fail "left behind after SIGTERM: sshd $inner_sshd, sleep $INNER_SLEEP, $inner_t"
fi

done_testing
