#!/usr/bin/env bash
# t0401: the live view in a real terminal (tmux). A run over healthy hosts,
# a stalled banner, a full server and a refused key shows the counts, a banner_timeout row,
# an auth_denied row and the failure panel; a host's ESC sequence appears
# escaped; f filters, / searches (names and output, PCRE2 errors shown),
# Enter opens one host with every attempt, ? helps, a resize redraws, r
# retries only hosts that never started, q leaves and the held output and the
# summary follow on the normal screen. q while hosts run asks first and
# cancels them; the view is on by default on a terminal and off with
# --no-tui, and falls back to plain output when TERM=dumb or the window is
# too small.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
t=127.0.0.1:$SSHD_PORT_MAIN
start_faultproxy "0:$t:stall" "0:$t:throttle"
add_aliases "$T/ssh_config" ok 8 "$SSHD_PORT_MAIN"
add_alias "$T/ssh_config" stall "$FP_PORT_1"
add_alias "$T/ssh_config" full "$FP_PORT_2"
trust_host_keys "$SSHD_PORT_MAIN" "$FP_PORT_1" "$FP_PORT_2"
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
add_alias "$T/ssh_config" stranger "$SSHD_PORT_MAIN" "" "IdentityFile $T/stranger"

# ---- a whole run, key by key --------------------------------------------------
term_start 120 40 "'$SHOAL' --tui --hold -F '$T/ssh_config' -w 'ok[01-08],stall,stranger,full' \
    --banner-timeout 2 --retries 1 --backoff 0.1,0.2 \
    -- 'printf \"line1\\nlast \\033[31mRED\\n\"; sleep 1' >'$T/out' 2>'$T/err'"
term_wait 10 '^shoal: printf' && pass "the header names the command"
like "$(term_screen)" 'queued [0-9]+  connecting [0-9]+  running [0-9]+  retrying [0-9]+  ok [0-9]+  failed [0-9]+' \
    "the header counts hosts per state"
term_wait 30 'ok 8  failed 3' && pass "every host ends: ok 8, failed 3"
term_wait 5 'done in [0-9.]+ s' && pass "the progress line says the run is done"
like "$(term_screen)" '\[#+\] 11/11 100%' "the progress bar is full"
like "$(term_screen)" 'stall +failed +2/2 .*banner_timeout: no SSH banner within 2\.0 s \(attempt 2/2\)' \
    "a banner_timeout row, with its attempt"
like "$(term_screen)" 'stranger +failed +1 .*auth_denied: publickey' "an auth_denied row naming the method"
like "$(term_screen)" 'full +failed +2/2 .*throttled: .*MaxStartups' "a throttled row, retried once"
like "$(term_screen)" '^  banner_timeout 1: stall' "the failure panel: banner_timeout"
like "$(term_screen)" '^  auth_denied 1: stranger' "the failure panel: auth_denied"
like "$(term_screen)" '^  throttled 1: full' "the failure panel: throttled"
like "$(term_screen)" 'ok03 +ok +1 +[0-9.]+s last \\x1b\[31mRED' "a host's last line, its ESC shown as \\x1b"
unlike "$(term_screen -e)" $'\e\\[31mRED' "the host's ESC never reaches the terminal"

term_keys f
term_wait 3 'filter: failed' && pass "f: filter failed"
like "$(term_screen)" 'stall +failed' "the failed hosts are listed"
unlike "$(term_screen)" '^ok0' "the others are not"
term_keys f
term_wait 3 'filter: running' && pass "f again: running (none now)"
term_keys f
term_wait 3 'filter: all' && pass "f again: all"

term_keys /
term_type 'ok0[35]'
term_keys Enter
term_wait 3 'search: /ok0\[35\]/ \(2\)' && pass "/ searches host names (2 matches)"
like "$(term_screen)" '^ok03 ' "ok03 listed"
unlike "$(term_screen)" '^ok04 ' "ok04 not"
term_keys /
term_type 'line1'
term_keys Enter
term_wait 3 'search: /line1/ \(8\)' && pass "/ searches output too (8 hosts printed line1)"
term_keys /
term_type '('
term_keys Enter
term_wait 3 'search: PCRE2 error at offset 1: missing closing parenthesis' &&
    pass "a bad pattern gets PCRE2's message"
term_keys /
term_type 'stall'
term_keys Enter
term_wait 3 'search: /stall/ \(1\)' && pass "one host found"
term_keys Enter
term_wait 3 '^stall  failed \(banner_timeout' && pass "Enter opens the host"
like "$(term_screen)" 'attempt 1: banner_timeout, banner phase, 2\.[0-9] s' "its first attempt"
like "$(term_screen)" 'attempt 2: banner_timeout, banner phase' "and its second"
like "$(term_screen)" '^time per phase: connect [0-9]+ ms banner [0-9]{4} ms kex 0 ms' "and the time of each phase"
term_keys Escape
term_wait 3 'filter: all  search: /stall/' && pass "Esc goes back to the list"
term_keys /
term_keys Enter
term_wait 3 'search cleared' && pass "an empty search clears it"
# The run is over: the failed hosts (stall, stranger, full) come first.
term_keys g Down Down Down Enter
term_wait 3 '^----- stdout \(20 bytes\)' && pass "g, past the 3 failed hosts, Enter: the first ok host's output"
like "$(term_screen)" '^line1$' "line by line"
like "$(term_screen)" '^last \\x1b\[31mRED$' "escaped"
term_keys q
term_keys '?'
term_wait 3 'shoal live view - keys' && pass "? shows the help"
term_keys x
term_wait 3 '^HOST ' && pass "any key goes back"

term resize-window -t t -x 60 -y 15
term_wait 3 '^arrows|^run finished' || true
cols=$(term_screen | awk '{ if (length($0) > m) m = length($0) } END { print m }')
cmp_ok "$cols" -le 60 "after a resize to 60x15 no line is wider than 60"
like "$(term_screen)" 'ok 8 +failed 3' "and the counts are still shown"
term resize-window -t t -x 120 -y 40
term_wait 3 'filter: all' || true

term_keys r
term_wait 3 'retrying 3 hosts' && pass "r retries the 3 hosts that never started"
term_wait 30 'ok 8  failed 3' && pass "they fail again"
term_keys /
term_type 'stranger'
term_keys Enter
term_wait 3 'search: /stranger/ \(1\)' || true
term_keys Enter
term_wait 3 '^stranger  failed' && pass "the retried host opened"
like "$(term_screen)" 'attempt 2: auth_denied' "its history keeps both rounds"
term_keys Escape

term_keys q
term_done 10 && pass "q after the run leaves at once"
is "$TERM_RC" 3 "exit status 3 (hosts failed)"
like "$(cat "$T/out")" 'ok01: line1' "the hosts' output is printed after the view"
is "$(grep -c $'^ok0[1-8]: last \e\\[31mRED$' "$T/out")" 8 "to a file, the exact bytes of every host"
like "$(cat "$T/err")" 'ok 8 · failed 3 \(banner_timeout 1: stall · throttled 1: full · auth_denied 1: stranger\)' \
    "then the summary"
like "$(cat "$T/err")" 'stall: banner_timeout' "and each failure, as in plain output"
unlike "$(cat "$T/err")" 'Sanitizer|runtime error' "no sanitizer report"
term kill-server

# ---- q while hosts are in flight asks, then cancels them ----------------------
marker=shoal-t0401-$$
term_start 100 30 "'$SHOAL' --tui -F '$T/ssh_config' -w 'ok[01-03]' -- 'sleep 30 # $marker' >'$T/out' 2>'$T/err'"
term_wait 15 'running 3' && pass "three hosts running"
term_keys q
term_wait 3 '3 hosts are still in flight: quit and cancel them\? \[y/N\]' && pass "q asks first"
term_keys n
term_wait 3 'still running' && pass "n keeps the run going"
term_keys q
term_keys y
term_done 10 && pass "y leaves"
is "$TERM_RC" 130 "exit status 130 (interrupted)"
like "$(cat "$T/err")" 'cancelled 3: ok\[01-03\]' "the summary says cancelled"
unlike "$(cat "$T/err")" 'Sanitizer|runtime error' "no sanitizer report after a cancel"
wait_for 10 eval "! pgrep -u '$LAB_USER' -f '$marker' >/dev/null"
ok $? "no remote command left running"
term kill-server

# ---- on by default on a terminal; --no-tui; fallbacks -------------------------
term_start 100 30 "'$SHOAL' -F '$T/ssh_config' -w ok01 -- 'sleep 1; echo hello'"
term_wait 10 '^shoal: sleep 1; echo hello' && pass "on a terminal the view is on by default"
term_done 10 && pass "untouched, it ends with the run"
is "$TERM_RC" 0 "exit 0"
like "$(term_screen)" '^ok01: hello' "the output is printed after the view"
like "$(term_screen)" '^ok 1 · 0\.[0-9] s|^ok 1 · [0-9.]+ s' "then the summary"
term kill-server

term_start 100 30 "'$SHOAL' --no-tui -F '$T/ssh_config' -w ok01 -- 'echo hello'"
term_done 20
is "$TERM_RC" 0 "--no-tui: exit 0"
like "$(term_screen)" '^ok01: hello' "--no-tui: plain lines"
unlike "$(term_screen)" 'run finished|^HOST ' "--no-tui: no view"
term kill-server

term_start 100 30 "TERM=dumb '$SHOAL' --tui -F '$T/ssh_config' -w ok01 -- 'echo hello'"
term_done 20
is "$TERM_RC" 0 "TERM=dumb: the run still works"
like "$(term_screen)" 'shoal: live view off \(TERM is dumb\): plain output' "with a note"
like "$(term_screen)" '^ok01: hello' "in plain output"
term kill-server

term_start 30 8 "'$SHOAL' --tui -F '$T/ssh_config' -w ok01 -- 'echo hello' 2>'$T/err'"
term_done 20
is "$TERM_RC" 0 "a 30x8 terminal: the run still works"
like "$(cat "$T/err")" 'live view off \(the terminal is 30x8, the view needs 40x10\): plain output' \
    "with a note that the window is too small"
term kill-server

done_testing
