#!/usr/bin/env bash
# t0309: --ask-password on a real terminal (a tmux pane): the prompt comes
# once, on the terminal, the typed password is not echoed, and it logs in to
# every host; a wrong one is auth_denied on every host, never retried.
# Ctrl-C at the prompt restores the terminal's echo and exits 130; Ctrl-Z
# restores it while stopped and asks again after fg.  With no
# terminal to ask on it is a usage error (exit 2) before any connection.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "setting the lab user's password needs root"
command -v tmux >/dev/null || skip_all "no tmux (bash tests/deps.sh test)"
lab_user
lab_keys
lab_password shoal-typed-pw
start_sshd pw "PasswordAuthentication yes" "PubkeyAuthentication no"
add_aliases "$T/ssh_config" pw 3 "$SSHD_PORT_PW"
trust_host_keys "$SSHD_PORT_PW"
json() { grep "\"host\":\"$1\"" "$T/out"; }

# The config is read when the first command starts the tmux server.
tm() { tmux -f "$T/tmux.conf" -S "$T/tmux.sock" "$@"; }
printf 'set -g status off\n' >"$T/tmux.conf"
at_exit tmux -S "$T/tmux.sock" kill-server
screen() { tm capture-pane -p -S - -t "$1"; }
prompted() { [[ $(screen "$1") == *'Password:'* ]]; }
finished() { [ -s "$T/rc.$1" ]; }

# ask NAME PASSWORD ARGS...: shoal ARGS in a fresh tmux pane, stdout and
# stderr to $T/out and $T/err; answers the prompt with PASSWORD (typed, then
# Enter); sets RC and SCREEN (what the pane shows at the end).  The pane
# then idles in cat, so that what shoal left on it stays to be read.
ask() {
    local name=$1 pw=$2 cmd
    shift 2
    rm -f "$T/out" "$T/err" "$T/rc.$name"
    printf -v cmd '%q ' env -u SSH_AUTH_SOCK "$SHOAL" "$@"
    cmd+=">'$T/out' 2>'$T/err'; echo \$? >'$T/rc.$name'; exec cat >/dev/null"
    RC=none SCREEN=
    tm new-session -d -s "$name" -x 100 -y 20 "$cmd"
    wait_for 10 prompted "$name" || {
        fail "no 'Password:' prompt on the terminal"
        diag "$(screen "$name")"
        return 1
    }
    tm send-keys -t "$name" -l "$pw"
    tm send-keys -t "$name" Enter
    wait_for 30 finished "$name" || BAIL_OUT "shoal did not finish: $(screen "$name")"
    RC=$(cat "$T/rc.$name")
    SCREEN=$(screen "$name")
}

ask good shoal-typed-pw -F "$T/ssh_config" -w 'pw[01-03]' --ask-password --no-tui --json -- 'echo in'
is "$RC" 0 "the typed password logs in: exit 0"
is "$(grep -c '"status":"ok","error_kind":null' "$T/out")" 3 "on all three hosts"
like "$(json pw02)" '"stdout":"in\\n"' "and runs the command"
is "$(grep -o 'Password:' <<<"$SCREEN" | wc -l)" 1 "asked once for all the hosts"
unlike "$SCREEN" 'shoal-typed-pw' "the password is not echoed on the terminal"
unlike "$(cat "$T/out" "$T/err")" 'shoal-typed-pw' "nor written to the output"

ask bad not-the-pw -F "$T/ssh_config" -w 'pw[01-03]' --ask-password --no-tui --json \
    --retries 3 --backoff 0.05,0.1 -- true
is "$RC" 3 "a wrong password: exit 3"
is "$(grep -c '"error_kind":"auth_denied".*"attempts":1,' "$T/out")" 3 "auth_denied on every host, one attempt each"
like "$(cat "$T/err")" 'pw01: auth_denied \(auth phase, attempt 1\): password refused' "stderr names the auth phase and the method"

# Ctrl-C at the prompt: shoal ends as interrupted, and gives the terminal its
# echo back first.  The shell around it survives the Ctrl-C (a trap, which
# shoal does not inherit) to record the status.
{
    echo 'trap : INT'
    printf '%q ' env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w pw01 --ask-password -- true
    echo ">'$T/out' 2>'$T/err'"
    echo "echo \$? >'$T/rc.intr'"
    echo 'exec cat >/dev/null'
} >"$T/intr.sh"
tm new-session -d -s intr -x 100 -y 20 "bash '$T/intr.sh'"
wait_for 10 prompted intr || BAIL_OUT "no prompt: $(screen intr)"
tty=$(tm display-message -p -t intr '#{pane_tty}')
like "$(stty -F "$tty" -a)" '(^| )-echo( |$)' "echo is off at the prompt"
tm send-keys -t intr -l half-typed
tm send-keys -t intr C-c
wait_for 10 finished intr || BAIL_OUT "shoal did not end on Ctrl-C: $(screen intr)"
is "$(cat "$T/rc.intr")" 130 "Ctrl-C at the prompt: exit 130"
like "$(stty -F "$tty" -a)" '(^| )echo( |$)' "and the terminal echoes again"
unlike "$(screen intr)" 'half-typed' "what was typed was not shown"

# Ctrl-Z at the prompt: shoal stops with the terminal's echo back; after fg
# it takes echo away again and asks anew, and what was typed before the stop
# is forgotten.  The shell runs it as a job (set -m), waits for the word,
# then brings it back.
mkfifo "$T/go"
{
    echo 'set -m'
    printf '%q ' env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w pw01 --ask-password --no-tui -- 'echo in'
    echo ">'$T/out' 2>'$T/err'"
    echo "echo \$? >'$T/stopped'"
    echo "read -r _ <'$T/go'"
    echo 'fg >/dev/null'
    echo "echo \$? >'$T/rc.tstp'"
    echo 'exec cat >/dev/null'
} >"$T/tstp.sh"
tm new-session -d -s tstp -x 100 -y 20 "bash '$T/tstp.sh'"
wait_for 10 prompted tstp || BAIL_OUT "no prompt: $(screen tstp)"
tty=$(tm display-message -p -t tstp '#{pane_tty}')
tm send-keys -t tstp -l wrong-half
tm send-keys -t tstp C-z
wait_for 10 test -s "$T/stopped" || BAIL_OUT "shoal did not stop on Ctrl-Z: $(screen tstp)"
is "$(cat "$T/stopped")" 148 "Ctrl-Z at the prompt stops shoal"
like "$(stty -F "$tty" -a)" '(^| )echo( |$)' "with the terminal's echo back"
echo go >"$T/go"
asked_twice() { [ "$(screen tstp | grep -o 'Password:' | wc -l)" -ge 2 ]; }
wait_for 10 asked_twice && pass "after fg it asks again"
wait_for 5 eval "stty -F '$tty' -a | grep -Eq '(^| )-echo( |\$)'" && pass "with echo off again"
tm send-keys -t tstp -l shoal-typed-pw
tm send-keys -t tstp Enter
wait_for 30 test -s "$T/rc.tstp" || BAIL_OUT "shoal did not finish after fg: $(screen tstp)"
is "$(cat "$T/rc.tstp")" 0 "the password typed after fg logs in (the half typed before is gone)"
is "$(cat "$T/out")" "pw01: in" "and runs the command"
unlike "$(screen tstp)" 'shoal-typed-pw|wrong-half' "nothing typed was shown"

# No controlling terminal at all (a new session, no /dev/tty).
setsid env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w pw01 --ask-password -- true \
    </dev/null >"$T/out" 2>"$T/err"
is "$?" 2 "--ask-password with no terminal: exit 2"
like "$(cat "$T/err")" '^shoal: --ask-password: no terminal to ask on' "with a clear message"
is "$(cat "$T/out")" "" "and nothing run"
done_testing
