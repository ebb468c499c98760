#!/usr/bin/env bash
# t0213: ssh_config's LogLevel sets the level of each host's own messages
# when neither -q nor -v is given: QUIET (and FATAL) silence a host's
# failure line as -q does, ERROR and INFO keep it, VERBOSE shows its
# retries as -v does, DEBUG its -vv lines; the summary and run-wide
# messages keep the run's level, the next host of the same thread gets its
# own level back, and -q or -v on the command line decide for every host.
# libssh's own lines never come from LogLevel.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
trust_host_keys "$SSHD_PORT_MAIN"
dead=$(free_port)

write_ssh_config "$T/ssh_config"
for lv in QUIET FATAL ERROR INFO VERBOSE; do
    add_alias "$T/ssh_config" "dead-${lv,,}" "$dead" "" "LogLevel $lv"
done
add_alias "$T/ssh_config" dead-plain "$dead"
add_alias "$T/ssh_config" ok-debug "$SSHD_PORT_MAIN" "" "LogLevel DEBUG3"
add_alias "$T/ssh_config" ok-plain "$SSHD_PORT_MAIN"

all='dead-quiet,dead-fatal,dead-error,dead-info,dead-verbose,dead-plain'
# -f 1: one worker runs every host in turn, so a level that stuck to the
# thread would show on the next host.
run_shoal -F "$T/ssh_config" -w "$all" -f 1 -r 1 --backoff 0.01,0.01 -- true
is "$RC" 3 "every host fails (nothing listens)"
err=$(cat "$T/err")
unlike "$err" "dead-quiet: " "LogLevel QUIET: no failure line for the host"
unlike "$err" "dead-fatal: " "LogLevel FATAL: none either"
like "$err" "dead-error: refused \\(connecting phase" "LogLevel ERROR keeps the failure line"
like "$err" "dead-info: refused \\(connecting phase" "LogLevel INFO keeps it"
like "$err" "dead-verbose: attempt 1/2 failed: refused: .*retrying" "LogLevel VERBOSE shows the host's retry, as -v"
unlike "$err" "dead-(plain|info|error): attempt 1/2 failed" "the other hosts' retries stay hidden"
like "$err" "dead-plain: refused \\(connecting phase" "a host without LogLevel: the run's level"
like "$err" "failed 6" "the summary keeps the run's level"

run_shoal -F "$T/ssh_config" -w "$all" -f 1 -r 1 --backoff 0.01,0.01 -q -- true
is "$(cat "$T/err")" "" "-q decides for every host: LogLevel VERBOSE shows nothing"
run_shoal -F "$T/ssh_config" -w "$all" -f 1 -r 1 --backoff 0.01,0.01 -v -- true
like "$(cat "$T/err")" "dead-quiet: attempt 1/2 failed" "-v decides for every host: LogLevel QUIET's retry is shown"
like "$(cat "$T/err")" "dead-quiet: refused \\(connecting phase" "and its failure line"

run_shoal -F "$T/ssh_config" -w ok-debug,ok-plain -f 1 -- true
is "$RC" 0 "both hosts run"
like "$(cat "$T/err")" "known_hosts .* lines can name \\[127.0.0.1\\]:$SSHD_PORT_MAIN" "LogLevel DEBUG3: the host's -vv lines"
is "$(grep -c 'lines can name' "$T/err")" 1 "for that host only"
unlike "$(cat "$T/err")" "libssh: " "and no libssh line"
done_testing
