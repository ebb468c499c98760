#!/usr/bin/env bash
# t0410: the live view's `:` on 20 hosts in a real terminal (tmux): a command
# typed after the run runs on the hosts the view shows (all, then only those
# a search keeps) over the connections already open (sshd logs 20 logins for
# three commands); Up recalls the history; a host's page shows every run;
# on leaving, each run's lines say which run they are (NAME#RUN), the
# summary lists the runs, and JSON objects carry run and command.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "LogLevel INFO"
add_aliases "$T/ssh_config" h 20 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
export XDG_RUNTIME_DIR=$T/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
logins() { grep -c 'Accepted publickey' "$T/main/log"; }
at_exit '"$SHOAL" --persist 0 >/dev/null 2>&1'

term_start 120 40 "'$SHOAL' --tui --hold -F '$T/ssh_config' -w 'h[01-20]' -- 'echo first' >'$T/out' 2>'$T/err'"
term_wait 30 'ok 20  failed 0' && pass "the first command ends on 20 hosts"
is "$(logins)" 20 "20 logins"

term_keys :
term_wait 3 '^:' && pass ": asks for a command"
term_type 'echo second $((6*7))'
term_keys Enter
term_wait 5 '^shoal: echo second' && pass "the header names the new command"
term_wait 30 'h20 +ok .*second 42' && pass "it ran on the hosts"
term_wait 30 'ok 20  failed 0' && pass "all 20 ok again"
is "$(logins)" 20 "over the open connections: no new login"

term_keys :
term_keys Up
term_wait 3 '^:echo second \$\(\(6\*7\)\)' && pass "Up recalls the last command"
term_keys Escape
term_keys /
term_type 'h0[1-5]'
term_keys Enter
term_wait 3 'search: /h0\[1-5\]/ \(5\)' && pass "a search keeps 5 hosts"
term_keys :
term_type 'echo third'
term_keys Enter
term_wait 5 '^shoal: echo third' && pass "a third command"
term_wait 30 'h05 +ok .*third' && pass "it ran on the hosts shown"
term_wait 30 ' 5/5 100%' && pass "every host of the run done (the header counts its own 5 hosts)"
is "$(logins)" 20 "still no new login"

# The servers end the sessions kept open: the next command connects again.
# Only this test's sessions (the sshd's descendants): other tests may run beside it.
descendants() { local p; for p in $(pgrep -P "$1"); do echo "$p"; descendants "$p"; done; }
kill_procs $(descendants "$SSHD_PID_MAIN")
term_keys :
term_type 'echo fourth'
term_keys Enter
term_wait 30 'h05 +ok .*fourth' && pass "after the server closed the sessions, the next command connects and runs"
term_wait 30 ' 5/5 100%'
is "$(logins)" 25 "5 new logins, one per host shown"
like "$(term_screen)" 'ok 5  failed 0' "no host failed"

term_keys Enter
term_wait 3 '^h01  run 4' && pass "Enter opens the host at its latest run"
like "$(term_screen)" '===== run 3: echo third  ok  exit 0' "run 3 in the host's page"
like "$(term_screen)" '===== run 2: echo second \$\(\(6\*7\)\)  ok  exit 0' "run 2 in the host's page"
like "$(term_screen)" '===== run 1: echo first  ok  exit 0' "run 1 in the host's page"
term_keys q
term_keys q
term_done 10 && pass "q leaves"
is "$TERM_RC" 0 "exit status 0"
grep -qx 'h01: first' "$T/out" && pass "run 1's lines are NAME: line" || fail "no 'h01: first' in $(head -3 "$T/out")"
is "$(grep -c '^h[0-2][0-9]#2: second 42$' "$T/out")" 20 "run 2's lines say #2, on 20 hosts"
is "$(grep -c '^h0[1-5]#3: third$' "$T/out")" 5 "run 3's lines say #3, on the 5 hosts shown"
is "$(grep -c '#3:' "$T/out")" 5 "and on no other host"
is "$(grep -c '^h0[1-5]#4: fourth$' "$T/out")" 5 "run 4's lines say #4"
like "$(cat "$T/err")" 'run 1: echo first · ok 20 · failed 0' "the summary lists run 1"
like "$(cat "$T/err")" 'run 2: echo second \$\(\(6\*7\)\) · ok 20 · failed 0' "and run 2"
like "$(cat "$T/err")" 'run 3: echo third · ok 5 · failed 0' "and run 3"
like "$(cat "$T/err")" 'run 4: echo fourth · ok 5 · failed 0' "and run 4"

# JSON: each run an object with its number and command.
# (with --persist: the view's open sessions go to a keeper when it closes)
n=$(logins)
term_start 120 40 "'$SHOAL' --tui --hold --json --persist 30 -F '$T/ssh_config' -w 'h[01-03]' -- 'echo one' >'$T/out' 2>'$T/err'"
term_wait 30 'ok 3  failed 0' && pass "a JSON run"
term_keys :
term_type 'echo two'
term_keys Enter
term_wait 30 'h03 +ok .*two' && pass "its second command"
term_wait 30 'ok 3  failed 0'
term_keys q
term_done 10
is "$(grep -c '"run":1,"command":"echo one"' "$T/out")" 3 "JSON: run 1 objects say run and command"
is "$(grep -c '"run":2,"command":"echo two".*"stdout":"two\\n"' "$T/out")" 3 "JSON: run 2 objects with their own output"
n=$(logins)
run_shoal -F "$T/ssh_config" -w 'h[01-03]' -- true
is "$RC" 0 "a run after the view closed"
is "$(logins)" "$n" "--persist: the view's sessions went to a keeper and serve it"
run_shoal --persist 0
done_testing
