#!/usr/bin/env bash
# t0420: the live view lets scripts go on (tmux): a run nobody touches ends
# with its hosts, its output and summary printed as before, and the script
# goes on; a key pressed during the run, or --hold, keeps the view until q;
# the summary's time is the run's, not the look at the view after it.
# Rows below the screen are said ("+N more below"); at the end the failed
# hosts come first; `r` under the failed filter keeps the retried host in
# sight; after `:` the header names the new command and counts its own
# hosts; the ETA says the backoff; quitting hosts in backoff is exit 130;
# NO_COLOR turns the colours off; the help lists every key (Space, h, Q).
. "$(dirname "$0")/lib.sh"

lab_fleet ok 30
add_alias "$T/ssh_config" dead "$(free_port)"

# ---- untouched: it ends by itself, a script goes on -------------------------------
term_start 120 30 "'$SHOAL' --tui -F '$T/ssh_config' -w 'ok[01-03]' -- 'sleep 1; echo hi' >'$T/out' 2>'$T/err'; echo SCRIPT GOES ON"
term_wait 10 '^shoal: sleep 1; echo hi' && pass "the view is up"
term_done 20 && pass "untouched, the view ends with the run"
is "$TERM_RC" 0 "exit 0"
term_wait 3 '^SCRIPT GOES ON' && pass "the script goes on without a key"
is "$(sort "$T/out")" "$(printf 'ok01: hi\nok02: hi\nok03: hi')" "the output is printed after the view"
like "$(cat "$T/err")" '^ok 3 · [0-9.]+ s$' "then the summary"
term kill-server

# ---- a key during the run keeps the view; the summary's time is the run's ------------
term_start 120 30 "'$SHOAL' --tui -F '$T/ssh_config' -w 'ok[01-03]' -- 'sleep 2' >'$T/out' 2>'$T/err'"
term_wait 10 'running 3' && pass "hosts running"
term_keys j
term_wait 10 'run finished' && pass "a key pressed during the run: the view stays at the end"
sleep 3 # the operator looks at the finished run for 3 s
term_keys q
term_done 10 && pass "q leaves"
secs=$(grep -Eo '[0-9.]+ s$' "$T/err" | cut -d' ' -f1)
cmp_ok "${secs%.*}" -lt 4 "the summary's time ($secs s) is the run's, not the wait for q"
term kill-server

# ---- --hold: rows below the screen; failed first; r under the failed filter ----------
term_start 100 20 "'$SHOAL' --tui --hold -F '$T/ssh_config' -w 'ok[01-30],dead' -r 1 --backoff 2,2 -- true >'$T/out' 2>'$T/err'"
term_wait 20 'ok 30  failed 1' && pass "--hold: the run ends, the view stays"
term_wait 3 'run finished' && pass "and says the run finished"
like "$(term_screen)" '^  \+[0-9]+ more below \(PgDn, End\)' "the rows that do not fit are said"
like "$(term_screen | sed -n 5p)" '^dead +failed' "the failed host comes first at the end"
term_keys G
term_wait 3 'more above' && pass "End: the rows above are said"
like "$(term_screen)" '^ok30 ' "and the last host is shown"
term_keys f
term_wait 3 'filter: failed' && pass "f: the failed filter"
term_keys r
term_wait 5 '^dead +(connecting|retry-wait|queued)' && pass "r: the retried host stays in sight under the failed filter"
unlike "$(term_screen)" '\(no host matches\)' "the list is not empty while it retries"
term_wait 20 '^dead +failed +2/2' && pass "it fails again, still shown"
term_keys f f
term_wait 3 'filter: all' || true

# ---- `:` counts its own hosts --------------------------------------------------------
term_keys /
term_type '^ok0[12]$'
term_keys Enter
term_wait 3 'search: .* \(2\)' && pass "a search keeps 2 hosts"
term_keys :
term_type 'echo again'
term_keys Enter
term_wait 5 '^shoal: echo again' && pass "the header names the new command"
term_wait 20 ' 2/2 100%' && pass "and counts its own 2 hosts, not all 31"
like "$(term_screen)" 'ok 2  failed 0' "its own counts: ok 2, failed 0"
term_keys '?'
term_wait 3 'shoal live view - keys' && pass "? shows the help"
like "$(term_screen)" 'PgUp PgDn Space' "the help lists Space"
like "$(term_screen)" '^  \? h ' "and h"
like "$(term_screen)" '^  q Q ' "and Q"
like "$(term_screen)" "On a host's page" "and the keys of a host's page"
term_keys x
term_keys q
term_done 10 && pass "q leaves"
term kill-server

# ---- a host in backoff: an honest ETA; quitting is exit 130 ---------------------------
term_start 120 30 "'$SHOAL' --tui -F '$T/ssh_config' -w 'ok01,dead' -r 3 --backoff 30,30 -- true >'$T/out' 2>'$T/err'"
term_wait 10 'retrying 1' && pass "a host waits out its backoff"
term_wait 3 'eta >= [0-9]+ s \(backoff\)' && pass "the ETA says the backoff, not the rate of the fast host"
term_keys q
term_wait 3 'quit and cancel it\? \[y/N\]' && pass "q asks"
term_keys y
term_done 10 && pass "y leaves"
is "$TERM_RC" 130 "a quit that interrupts hosts in backoff: exit 130"
term kill-server

# ---- NO_COLOR ---------------------------------------------------------------------------
term_start 120 30 "'$SHOAL' --tui --hold -F '$T/ssh_config' -w 'ok01,dead' -r 0 -- true >'$T/out' 2>'$T/err'"
term_wait 10 'ok 1  failed 1' || true
like "$(term_screen -e)" $'\e\\[[0-9;]*3[12]m' "with colours: green and red states"
term_keys q
term_done 10
term kill-server
term_start 120 30 "NO_COLOR=1 '$SHOAL' --tui --hold -F '$T/ssh_config' -w 'ok01,dead' -r 0 -- true >'$T/out' 2>'$T/err'"
term_wait 10 'ok 1  failed 1' && pass "NO_COLOR: the run"
unlike "$(term_screen -e)" $'\e\\[[0-9;]*3[0-7]m' "NO_COLOR: no colour on the screen"
term_keys q
term_done 10
term kill-server
done_testing
