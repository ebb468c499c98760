#!/usr/bin/env bash
# t0362: shoal runs a ProxyCommand itself (issue 13).  A ProxyCommand that
# fails is proxy_failed with its exit status and its last stderr line
# (escaped), retried; one that hangs is a banner_timeout, and it and its
# children are killed; text before the server's SSH line is taken as
# OpenSSH's client takes it (lines over 255 bytes, more than 8 KB in all),
# up to its limits (1024 lines, 8192 bytes a line), past which the server
# is not_ssh.  The proxy's output goes through the same banner wait as TCP.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd target
trust_host_keys "$SSHD_PORT_TARGET"
sshd_i="/usr/sbin/sshd -i -f $T/target/sshd_config"
# lines.sh N LEN: N lines of LEN bytes, then the server itself (inetd mode).
cat >"$T/lines.sh" <<SH
awk -v n="\$1" -v len="\$2" 'BEGIN { for (i = 0; i < n; i++) printf "%0" len "d\r\n", i }'
exec $sshd_i
SH
add_alias "$T/ssh_config" proxied "$SSHD_PORT_TARGET" "" "ProxyCommand $sshd_i"
add_alias "$T/ssh_config" failing "$SSHD_PORT_TARGET" "" \
    "ProxyCommand sh -c 'echo starting >&2; printf \"nc: connect to 10.9.9.9 port 22 failed: \\033[31mNo route\\n\" >&2; exit 7'"
add_alias "$T/ssh_config" hanging "$SSHD_PORT_TARGET" "" \
    "ProxyCommand sh -c 'sleep 1007 & sleep 1008; wait'"
lines() { echo "ProxyCommand sh $T/lines.sh $1 $2"; }
add_alias "$T/ssh_config" chatty "$SSHD_PORT_TARGET" "" "$(lines 300 300)"
add_alias "$T/ssh_config" maxlines "$SSHD_PORT_TARGET" "" "$(lines 1024 8000)"
add_alias "$T/ssh_config" toomany "$SSHD_PORT_TARGET" "" "$(lines 1025 10)"
add_alias "$T/ssh_config" toolong "$SSHD_PORT_TARGET" "" "$(lines 1 9000)"

run_shoal -F "$T/ssh_config" -w proxied -- 'echo through'
is "$RC" 0 "a ProxyCommand that is the server (sshd -i) works"
is "$(cat "$T/out")" "proxied: through" "and runs the command"

run_shoal -F "$T/ssh_config" -w failing --json -r 1 --backoff 0.05,0.1 -- true
is "$RC" 3 "a failing ProxyCommand: exit 3"
like "$(cat "$T/out")" '"error_kind":"proxy_failed"' "kind proxy_failed"
like "$(cat "$T/out")" '"error":"ProxyCommand exited with status 7: nc: connect to 10.9.9.9 port 22 failed: \\\\x1b\[31mNo route' \
    "the detail is its exit status and its last stderr line, escaped"
like "$(cat "$T/out")" '"attempts":2,' "retried"
like "$(cat "$T/out")" '"phase":"connect"' "in the connecting phase"
like "$(cat "$T/err")" 'failing: proxy_failed \(connecting phase' "the summary line says so"

run_shoal -F "$T/ssh_config" -w hanging --json -r 0 --banner-timeout 1 -- true
is "$RC" 3 "a ProxyCommand that never answers: exit 3"
like "$(cat "$T/out")" '"error_kind":"banner_timeout"' "banner_timeout, while it runs"
gone() { ! pgrep -f 'sleep 100[78]' >/dev/null; }
wait_for 5 gone
ok "$?" "the ProxyCommand and its child are killed with the attempt"

run_shoal -F "$T/ssh_config" -w chatty -- 'echo fine'
is "$RC" 0 "300 lines of 300 bytes before the banner (90 KB) are taken, as ssh takes them"
run_shoal -F "$T/ssh_config" -w maxlines -- 'echo fine'
is "$RC" 0 "1024 lines of 8000 bytes are taken too"
run_shoal -F "$T/ssh_config" -w toomany --json -- true
is "$RC" 3 "1025 lines are too many"
like "$(cat "$T/out")" '"error_kind":"not_ssh".*more than 1024 lines' "not_ssh, saying why"
run_shoal -F "$T/ssh_config" -w toolong --json -- true
is "$RC" 3 "a line of 9000 bytes is too long"
like "$(cat "$T/out")" '"error_kind":"not_ssh".*over 8192 bytes' "not_ssh, saying why"

done_testing
