#!/usr/bin/env bash
# t0707: the live view's `r` and `:` through the gateways (issue 26), in a
# real terminal (tmux).  A target whose gateway could not log in to it (its
# host key was not known there yet) fails before its command started; once
# the gateway knows the key, `r` sends it through its gateway again and it
# ends ok, without the others running twice.  `:` runs the next command on the targets shown, through
# the gateways, as run 2 (NAME#2 lines, the summary's runs).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 3
start_sshd late
add_alias "$T/gw/ssh_config" late "$SSHD_PORT_LATE" "" \
    "IdentityFile $T/gw/id" "UserKnownHostsFile $T/gw/known_hosts"
mkdir -m 777 "$T/ran"

term_start 150 30 "'$SHOAL' --tui --hold -r 0 -F '$T/ssh_config' --gateways 'gw[1-2]' \
    --gateway-shoal '$GW_SHOAL' -w 'n[01-03],late' -- 'touch $T/ran/\$(hostname)-\$\$; echo first' \
    >'$T/out' 2>'$T/err'"
term_wait 30 'ok 3  failed 1' && pass "three ok, late failed: its host key is not known"
like "$(term_screen)" 'late +(failed|host)' "late shows as failed"
is "$(ls "$T/ran" | wc -l)" 3 "three commands ran"

read -r type blob _ <"$T/late/hostkey.pub"
echo "[127.0.0.1]:$SSHD_PORT_LATE $type $blob" >>"$T/gw/known_hosts"
term_keys r
term_wait 5 'retrying 1 host' && pass "r retries the one target that never started"
term_wait 30 'ok 4  failed 0' && pass "through its gateway it ends ok"
is "$(ls "$T/ran" | wc -l)" 4 "one more command ran: no target ran twice"

term_keys :
term_type 'echo second $((6*7))'
term_keys Enter
term_wait 5 '^shoal: echo second' && pass "the header names the new command"
term_wait 30 'n03 +ok .*second 42' && pass "it ran on the targets, through the gateways"
term_wait 30 'ok 4  failed 0' && pass "all four ok again"
term_keys q
term_done 10
is "$TERM_RC" 0 "q: exit 0"
is "$(grep -c '^n0[1-3]: first$' "$T/out")" 3 "run 1's lines"
is "$(grep -c '^late: first$' "$T/out")" 1 "late's first line, after r"
is "$(grep -Ec '^(n0[1-3]|late)#2: second 42$' "$T/out")" 4 "run 2's lines say #2, on the four targets"
like "$(cat "$T/err")" 'run 2: echo second \$\(\(6\*7\)\) · ok 4 · failed 0' "the summary lists run 2"
done_testing
