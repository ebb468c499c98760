#!/usr/bin/env bash
# t0402: the live view stays responsive with 5,000 hosts: aliases of the
# lab's sshd running a command that returns at once, fanout 64, 64 workers
# busy with handshakes on a 2-core machine. A key press shows on the screen
# within a second (gross limit; measured time in the diagnostics), moving to
# the last host and opening it works, and quitting cancels the rest quickly.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
trust_host_keys "$SSHD_PORT_MAIN"
# The servers stand in for other machines: their CPU must not be the view's.
# Niced, sshd and the sessions it forks yield the two cores to shoal and tmux.
renice -n 10 -p "$SSHD_PID_MAIN" >/dev/null || diag "cannot renice sshd"
# One pattern block for all 5,000 names, as a user with a big fleet writes it.
cat >"$T/ssh_config" <<CFG
Host lab*
    HostName 127.0.0.1
    Port $SSHD_PORT_MAIN
    User $LAB_USER
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
    StrictHostKeyChecking yes
CFG

# press KEY ERE: the milliseconds from sending KEY to the screen showing ERE.
press() {
    local start end
    _lib_now
    start=$_lib_r
    term_keys "$1"
    term_wait 10 "$2" || { PRESS_MS=99999; return 1; }
    _lib_now
    end=$_lib_r
    PRESS_MS=$(((end - start) / 1000))
}

term_start 120 40 "'$SHOAL' --tui -F '$T/ssh_config' -w 'lab[0001-5000]' -f 64 -- true >'$T/out' 2>'$T/err'"
term_wait 20 '^shoal: true' && pass "the view is up with 5,000 hosts"
term_wait 30 'ok [1-9][0-9]*  failed' && pass "hosts are finishing"
like "$(term_screen)" '[0-9]+/5000 ' "the progress line counts 5,000"

worst=0
for k in f f f; do
    case $(term_screen | grep -Eo 'filter: [a-z]+') in
    'filter: all') want='filter: failed' ;;
    'filter: failed') want='filter: running' ;;
    *) want='filter: all' ;;
    esac
    press "$k" "$want"
    diag "key f -> '$want' on screen after $PRESS_MS ms"
    [ "$PRESS_MS" -gt "$worst" ] && worst=$PRESS_MS
done
cmp_ok "$worst" -lt 1000 "a key press shows within a second while 5,000 hosts run (worst $worst ms)"

press G '^lab5000 '
diag "key G -> lab5000 after $PRESS_MS ms"
cmp_ok "$PRESS_MS" -lt 1000 "End goes to the 5,000th host within a second"
press Enter '^lab5000  '
cmp_ok "$PRESS_MS" -lt 1000 "and Enter opens it within a second"
term_keys Escape

term_keys q
term_wait 5 'still in flight: quit and cancel them' && pass "q asks while hosts run"
start=$(date +%s%N)
term_keys y
term_done 30 && pass "y leaves"
took=$((($(date +%s%N) - start) / 1000000))
is "$TERM_RC" 130 "exit 130"
cmp_ok "$took" -lt 10000 "quitting with thousands of hosts left takes under 10 s ($took ms)"
like "$(cat "$T/err")" 'ok [0-9]+ · failed [0-9]+ \(cancelled [0-9]+: lab\[' "the summary folds the cancelled hosts"
unlike "$(cat "$T/err")" 'Sanitizer|runtime error' "no sanitizer report"
done_testing
