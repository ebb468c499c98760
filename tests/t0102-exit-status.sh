#!/usr/bin/env bash
# t0102: a command exiting non-zero on one host makes shoal exit 1 and names
# that host; a signal is reported as such; the exit-status precedence holds.
. "$(dirname "$0")/lib.sh"

lab_fleet h 5

# A second server tells one host apart: the command reads the server port
# from SSH_CONNECTION and fails only there.
start_sshd other
add_alias "$T/ssh_config" odd "$SSHD_PORT_OTHER"
trust_host_keys "$SSHD_PORT_OTHER"
run_shoal -F "$T/ssh_config" -w 'h[01-05],odd' -- 'case "$SSH_CONNECTION" in *" '"$SSHD_PORT_OTHER"'") exit 3;; esac'
is "$RC" 1 "a non-zero exit on one host gives 1"
like "$(cat "$T/err")" 'shoal: odd: exit_nonzero: exited with status 3' "that host and its status are reported"
like "$(tail -n 1 "$T/err")" '^ok 5 · failed 1 \(exit_nonzero 1: odd\)' "the summary counts 5 ok and names the failed host"

run_shoal -F "$T/ssh_config" -w 'h01,h02' -- 'exit 3'
like "$(tail -n 1 "$T/err")" 'failed 2 \(exit_nonzero 2: h\[01-02\]\)' "the summary folds the failed hosts"

run_shoal -F "$T/ssh_config" -w 'h01' -- 'kill -TERM $$'
is "$RC" 1 "a command killed by a signal gives 1"
like "$(cat "$T/err")" 'h01: signal: killed by signal TERM' "the signal is named"

run_shoal -F "$T/ssh_config" -w 'h01,h02' -p 1 -- 'exit 3'
is "$RC" 3 "an unreachable host gives 3"

add_alias "$T/ssh_config" dead 1
run_shoal -F "$T/ssh_config" -w 'h01,dead' -r 0 -- 'exit 4'
is "$RC" 3 "unreachable (3) wins over a non-zero exit (1)"

run_shoal -F "$T/ssh_config" -w 'h01' --fanout 0 -- true
is "$RC" 2 "a usage error gives 2"
done_testing
