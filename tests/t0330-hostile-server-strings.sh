#!/usr/bin/env bash
# t0330: a server cannot drive the operator's terminal through the strings
# it chooses.  A hostile server (tests/hostile-sshd.py) puts a sequence that
# sets the window title, writes the clipboard (OSC 52) and clears the screen
# into its version line, its auth banner, an exit-signal name and message, a
# channel refusal's reason, a disconnect's reason and SFTP status messages.
# In every output mode
# (prefixed lines, --json, -o files, --inline, -b, the summary, -vvv with
# libssh's own lines) not one control byte of it reaches stdout, stderr or a
# file meant for reading; each string is still shown, escaped.  In a real
# terminal (tmux), plain and under the live view, the title, the clipboard
# and the screen stay as they were.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_hostile_sshd evil --banner
for u in ok sig openfail disc; do
    add_alias "$T/ssh_config" "$u" "$HOSTILE_PORT_EVIL" "" "User $u"
done
trust_host_keys "$HOSTILE_PORT_EVIL"
hosts=ok,sig,openfail,disc
# The hostile text as shoal must show it, and as a pattern for like.
lit='\x1b]0;title\x07\x1b]52;c;aGk=\x07\x1b[2J'
shown='\\x1b\]0;title\\x07\\x1b\]52;c;aGk=\\x07\\x1b\[2J'

# controls FILE...: how many C0 control bytes (newline and tab aside) and
# DELs the files hold.
controls() {
    cat "$@" | LC_ALL=C tr -d '\n\t' | LC_ALL=C tr -dc '\000-\037\177' | wc -c
}

# ---- prefixed lines and the summary -------------------------------------------
run_shoal -F "$T/ssh_config" -w "$hosts" -- true
is "$RC" 3 "three hosts fail, one succeeds: exit 3"
is "$(controls "$T/out" "$T/err")" 0 "plain: no control byte on stdout or stderr"
like "$(cat "$T/err")" "^shoal: sig: signal: killed by signal $shown\$" \
    "the exit-signal name is shown, escaped"
like "$(cat "$T/err")" "^shoal: openfail: channel \(running phase, attempt 1\): session channel refused: .*$shown\$" \
    "the channel refusal's reason is shown, escaped"
like "$(cat "$T/err")" "^shoal: disc: lost \(running phase, attempt 1\): connection lost while the command ran: .*DISCONNECT: 11:$shown\$" \
    "the disconnect reason is shown, escaped"
like "$(cat "$T/err")" '^ok 1 · failed 3 \(channel 1: openfail · lost 1: disc · signal 1: sig\)' "the summary"
is "$(sort "$T/out")" "$(printf 'disc: disc-out\nok: ok-out\nsig: sig-out')" "the hosts' own output is intact"

# ---- JSON -----------------------------------------------------------------------
run_shoal -F "$T/ssh_config" -w "$hosts" --json -- true
is "$(controls "$T/out" "$T/err")" 0 "--json: no control byte on stdout or stderr"
jq -e . "$T/out" >/dev/null
ok $? "--json: every line is valid JSON"
is "$(jq -r 'select(.host == "sig") | .signal' "$T/out")" "$lit" \
    "the signal is the escaped text, so a reader printing it raw is safe too"
is "$(jq -r '.error // empty, .signal // empty' "$T/out" | controls)" 0 \
    "no field a reader prints holds a control byte"
like "$(jq -r 'select(.host == "openfail") | .error' "$T/out")" "$shown" "the refusal's reason, escaped"

# ---- -o files ---------------------------------------------------------------------
run_shoal -F "$T/ssh_config" -w "$hosts" -o "$T/o" -- true
is "$(controls "$T/out" "$T/err" "$T"/o/*.json)" 0 "-o: no control byte in the .json files or the terminal streams"
jq -e . "$T"/o/*.json >/dev/null
ok $? "-o: the .json files are valid JSON"
is "$(jq -r .signal "$T/o/sig.json")" "$lit" "-o: sig.json names the signal, escaped"

# ---- --inline, -b -----------------------------------------------------------------
run_shoal -F "$T/ssh_config" -w "$hosts" --inline -- true
is "$(controls "$T/out" "$T/err")" 0 "--inline: no control byte"
like "$(cat "$T/out")" "^----- sig \(signal: killed by signal $shown\) -----\$" "--inline: the header shows the signal, escaped"
run_shoal -F "$T/ssh_config" -w "$hosts" -b -- true
is "$(controls "$T/out" "$T/err")" 0 "-b: no control byte"
like "$(cat "$T/err")" "killed by signal $shown" "-b: the failure is shown, escaped"

# ---- -vvv: libssh's own lines -----------------------------------------------------
run_shoal -F "$T/ssh_config" -w "$hosts" -vvv -- true
is "$(controls "$T/out" "$T/err")" 0 "-vvv: no control byte, libssh's lines included"
like "$(cat "$T/err")" "^shoal: sig: libssh: .*banner: SSH-2\.0-hostile$shown\$" \
    "libssh's lines come through shoal, name the host, and show the version line escaped"
like "$(cat "$T/err")" "^shoal: disc: libssh: .*DISCONNECT: 11:$shown\$" "and the disconnect reason"
unlike "$(cat "$T/err")" '^\[' "no line in libssh's own raw format"

# ---- SFTP status messages ----------------------------------------------------------
echo data >"$T/src.txt"
run_shoal -F "$T/ssh_config" -w ok -vvv --copy "$T/src.txt" /tmp/
is "$(controls "$T/out" "$T/err")" 0 "--copy: no control byte"
like "$(cat "$T/err")" "^shoal: ok: transfer \(running phase, attempt 1\): failure \($shown\): /tmp/\$" \
    "--copy: the server's status message is shown, escaped"
run_shoal -F "$T/ssh_config" -w ok --json --rcopy /etc/hostname "$T/dl"
is "$(controls "$T/out" "$T/err")" 0 "--rcopy --json: no control byte"
like "$(jq -r .error "$T/out")" "failure \($shown\)" "--rcopy: the status message, escaped in JSON"

# ---- a real terminal ----------------------------------------------------------------
# pane_title: what OSC 0 would set; buffers: what OSC 52 would write with
# set-clipboard on; MARK: what a clear would wipe off the screen.
run_in_term() {
    term_start 150 40 "printf 'MARK-BEFORE\\n'; while [ ! -e '$T/go' ]; do sleep 0.05; done; $1; echo END-\$?"
    term set-option -s set-clipboard on
    touch "$T/go"
}
title_and_clipboard() {
    isnt "$(term display-message -p -t t '#{pane_title}')" title "$1: the window title is unchanged"
    is "$(term list-buffers)" "" "$1: nothing was written to the clipboard"
}
pane_all() { term capture-pane -p -J -t t -S -; }

run_in_term "'$SHOAL' --no-tui -F '$T/ssh_config' -w '$hosts' -- true"
term_wait 30 '^END-3' && pass "plain on a terminal: done, exit 3"
title_and_clipboard "plain"
like "$(term_screen)" 'MARK-BEFORE' "plain: the screen was not cleared"
like "$(term_screen)" "killed by signal $shown" "plain: the signal shows, escaped"
term kill-server
rm -f "$T/go"

# -vvv under the live view, stderr on the terminal too: libssh's lines
# (which quote the version line and the disconnect) wait until it closes.
run_in_term "'$SHOAL' --tui --hold -F '$T/ssh_config' -w '$hosts' -vvv -- true"
term_wait 30 'ok 1  failed 3' && pass "the live view shows the run"
like "$(term_screen)" "sig +failed .*killed by signal $shown" "the view shows the signal, escaped"
unlike "$(term_screen)" 'libssh:|^\[[0-9]{4}/' "no libssh line is drawn over the view"
title_and_clipboard "live view"
term_keys q
term_wait 10 '^END-3' && pass "the view closes; exit 3"
title_and_clipboard "after the view"
like "$(pane_all)" "^shoal: disc: libssh: .*DISCONNECT: 11:$shown\$" "libssh's lines follow, escaped"
unlike "$(pane_all)" '^\[[0-9]{4}/' "none in libssh's raw format"

done_testing
