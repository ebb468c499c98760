#!/usr/bin/env bash
# t0107: --gather groups hosts with identical output under a folded host list
# with a count (like clush -b / dshbak -c); --inline writes each host's whole
# output as one block under a header when it finishes (like pssh -i).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
start_sshd other
add_aliases "$T/ssh_config" h 4 "$SSHD_PORT_MAIN"
add_alias "$T/ssh_config" odd "$SSHD_PORT_OTHER"
trust_host_keys "$SSHD_PORT_MAIN" "$SSHD_PORT_OTHER"
cmd='echo line1; case "$SSH_CONNECTION" in *" '"$SSHD_PORT_OTHER"'") echo different;; *) echo line2;; esac; printf tail'

run_shoal -F "$T/ssh_config" -w 'h[01-04],odd' -b -- "$cmd"
is "$RC" 0 "--gather runs"
want="---------------
h[01-04] (4)
---------------
line1
line2
tail
---------------
odd (1)
---------------
line1
different
tail"
is "$(cat "$T/out")" "$want" "identical outputs grouped, folded, counted"

run_shoal -F "$T/ssh_config" -w 'h01,odd' --inline -- "$cmd; echo oops >&2; exit 2"
is "$RC" 1 "--inline keeps the exit status"
is "$(grep -c '^----- h01 (exit_nonzero: exited with status 2) -----$' "$T/out")" 1 "a header names the host and its result"
is "$(sed -n '/^----- h01/,/^-----/p' "$T/out" | sed -n 2,4p | tr '\n' ' ')" "line1 line2 tail " "the host's output follows as one block"
like "$(cat "$T/err")" 'oops' "stderr goes to stderr"
run_shoal -F "$T/ssh_config" -w h01 --inline --json -- true
is "$RC" 2 "--inline and --json together are a usage error"
done_testing
