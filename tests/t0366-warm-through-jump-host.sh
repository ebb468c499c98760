#!/usr/bin/env bash
# t0366: sessions through a jump host are kept too (issue 22).  A target
# behind a bastion, run with --persist, then again: the warm run says it used
# the kept session, opens no new connection to the bastion nor the target,
# and gives what a cold run gives (output, exit status, environment, tty).
# A chain of two jump hosts is kept the same way, and so is a target whose
# ssh_config asks for ControlMaster and ControlPersist (no --persist).  The keeper leaves when its
# sessions go (--persist 0).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
keeper_lab
start_sshd bastion "LogLevel VERBOSE"
start_sshd bastion2 "LogLevel VERBOSE"
start_sshd target "LogLevel VERBOSE" "AcceptEnv SHOALT_*"
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_BASTION2" "$SSHD_PORT_TARGET"
write_ssh_config "$T/ssh_config"
add_alias "$T/ssh_config" bastion "$SSHD_PORT_BASTION"
add_alias "$T/ssh_config" bastion2 "$SSHD_PORT_BASTION2"
add_aliases "$T/ssh_config" t 2 "$SSHD_PORT_TARGET" "ProxyJump bastion" "SetEnv SHOALT_B=b"
add_alias "$T/ssh_config" tty "$SSHD_PORT_TARGET" "" "ProxyJump bastion" "RequestTTY yes"
add_alias "$T/ssh_config" c01 "$SSHD_PORT_TARGET" "" "ProxyJump bastion,bastion2"
add_alias "$T/ssh_config" cp01 "$SSHD_PORT_TARGET" "" "ProxyJump bastion" "ControlMaster auto" \
    "ControlPath $T/cm-%C" "ControlPersist 60"
conns() { grep -c "Connection from" "$T/$1/log"; }
printf 'in1\nin2\n' >"$T/in"

# case NAME ARGS...: rc, sorted stdout and stderr (times taken out) into $T/NAME.
case_() {
    local name=$1
    shift
    SHOAL_STDIN=$T/in run_shoal -F "$T/ssh_config" "$@"
    { echo "rc=$RC"; sort "$T/out"; grep -v 'warm run\|kept' "$T/err" | sed -E 's/[0-9]+\.[0-9]+ ?m?s/T/g' | sort; } >"$T/$name"
}
battery() { # DIR
    mkdir -p "$1"
    case_ "${1##*/}/exit" -w 't[01-02]' -- 'echo out; echo err >&2; exit 3'
    case_ "${1##*/}/env" -w 't01' -- 'echo B=$SHOALT_B'
    case_ "${1##*/}/tty" -w 'tty' -- 'test -t 0 && echo has-tty || echo no-tty'
    case_ "${1##*/}/stdin" -w 't[01-02]' -I -- 'cat; echo end'
    case_ "${1##*/}/chain" -w 'c01' -- 'echo chain'
}
battery "$T/cold"

run_shoal -F "$T/ssh_config" --persist 60 -v -w 't[01-02],tty,c01' -- true
is "$RC" 0 "--persist through the jump hosts"
like "$(cat "$T/err")" "--persist: 4 sessions kept" "all four targets kept (one through a chain)"
b0=$(conns bastion) b20=$(conns bastion2) t0=$(conns target)
run_shoal -F "$T/ssh_config" -vv -w 't[01-02],tty,c01' -- 'echo warm'
is "$RC" 0 "the warm run"
is "$(grep -c warm "$T/out")" 4 "every target ran"
like "$(cat "$T/err")" "t01: running over a kept session" "-vv says t01 ran over a kept session"
like "$(cat "$T/err")" "c01: running over a kept session" "and c01, through the chain"
is "$(conns bastion)" "$b0" "no new connection reached the bastion"
is "$(conns bastion2)" "$b20" "nor the chain's second jump host"
is "$(conns target)" "$t0" "nor the target"
battery "$T/warm"
is "$(conns bastion)" "$b0" "the warm battery opened no connection to the bastion"
for f in "$T"/cold/*; do
    n=${f##*/}
    if diff -u "$f" "$T/warm/$n" >"$T/diff-$n"; then pass "$n: warm is cold"; else
        fail "$n: warm differs from cold: $(cat "$T/diff-$n")"
    fi
done

# --persist 0: the keeper lets the sessions go and leaves.
"$SHOAL" --persist 0 >/dev/null 2>&1
gone() { [ -z "$(keeper_pids)" ]; }
wait_for 10 gone && pass "the keeper left" || fail "keeper still there: $(keeper_pids)"
run_shoal -F "$T/ssh_config" -w t01 -- true
cmp_ok "$(conns bastion)" -gt "$b0" "after it, a run connects to the bastion afresh"

# ControlMaster auto and ControlPersist: kept without --persist.
run_shoal -F "$T/ssh_config" -v -w cp01 -- true
like "$(cat "$T/err")" "--persist: 1 session kept" "ControlPersist keeps a session through the bastion"
b0=$(conns bastion)
run_shoal -F "$T/ssh_config" -w cp01 -- echo cp-warm
is "$(cat "$T/out")" "cp01: cp-warm" "the next run"
is "$(conns bastion)" "$b0" "reaches the bastion over the kept session"

done_testing
