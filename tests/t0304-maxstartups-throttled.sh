#!/usr/bin/env bash
# t0304: the reason shoal exists. 100 aliases of one sshd with
# MaxStartups 4:50:10, fanout 32, default options: every host succeeds
# (pdsh, pssh and clush lose a third to a half here).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd busy "MaxStartups 4:50:10"
add_aliases "$T/ssh_config" b 100 "$SSHD_PORT_BUSY"
trust_host_keys "$SSHD_PORT_BUSY"

SHOAL_TIMEOUT=120 run_shoal -F "$T/ssh_config" -w 'b[001-100]' -f 32 --json -- 'echo up'
is "$RC" 0 "all 100 hosts succeed behind MaxStartups 4:50:10"
is "$(grep -c '"status":"ok"' "$T/out")" 100 "100 ok results"
retried=$(grep -c '"attempts":[2-9]' "$T/out")
diag "hosts that needed a retry: $retried; summary: $(tail -n 1 "$T/err")"
done_testing
