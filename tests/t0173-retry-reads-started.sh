#!/usr/bin/env bash
# t0173: "the command started" is a fact the runner records when the server
# accepts the exec request, not a guess from the error kind.  A server that
# accepts the command and then closes its channel without an exit status
# fails the host as `channel`; the live view's `r` must not run that command
# again (it may have done its work), nor may --retries.  A host whose
# connection failed beside it still goes round again with `r`.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_hostile_sshd hs
write_ssh_config "$T/ssh_config"
add_alias "$T/ssh_config" ns "$HOSTILE_PORT_HS" "" "User nostatus"
add_alias "$T/ssh_config" gone "$(free_port)"
trust_host_keys "$HOSTILE_PORT_HS"
execs() { grep -c '^exec nostatus$' "$T/hs/out"; }

run_shoal -F "$T/ssh_config" --retries 2 --backoff 0.1,0.1 -w ns -- 'echo hi'
is "$RC" 3 "a channel closed without an exit status: exit 3"
like "$(cat "$T/err")" 'ns: channel .*channel closed without an exit status' "named channel"
is "$(execs)" 1 "--retries does not run a started command again"

term_start 120 30 "'$SHOAL' --tui --hold --retries 0 -F '$T/ssh_config' -w 'ns,gone' -- 'echo hi' >'$T/out' 2>'$T/err'"
term_wait 30 'ok 0  failed 2' && pass "both hosts fail"
is "$(execs)" 2 "the view ran the command once"
term_keys r
term_wait 10 'retrying 1 host([^s]|$)' && pass "r sends only the host that never started round again" ||
    fail "r: $(term_screen | grep -E 'retry|no host')"
term_wait 10 'ok 0  failed 2' && pass "which fails again"
is "$(execs)" 2 "the started command was not run again"
term_keys q
term_done 10 && pass "q leaves"
done_testing
