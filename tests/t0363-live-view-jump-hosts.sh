#!/usr/bin/env bash
# t0363: the live view shows the jump hosts (issue 15): a jump host being
# connected, with the targets waiting on it (and their rows say so); then
# up, with its sessions and the channels it carries.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd bastion
start_sshd target
trust_host_keys "$SSHD_PORT_BASTION" "$SSHD_PORT_TARGET"
# A bastion whose banner stalls: its targets wait on it.
start_faultproxy "0:127.0.0.1:$SSHD_PORT_BASTION:stall"
add_alias "$T/ssh_config" bastion "$SSHD_PORT_BASTION"
add_alias "$T/ssh_config" slow "$FP_PORT_1"
add_aliases "$T/ssh_config" t 3 "$SSHD_PORT_TARGET" "ProxyJump bastion"
add_aliases "$T/ssh_config" s 2 "$SSHD_PORT_TARGET" "ProxyJump slow"

term_start 150 30 "'$SHOAL' --tui --hold -F '$T/ssh_config' -w 't[01-03],s[01-02]' \
    --banner-timeout 4 -r 0 -- 'sleep 3' >'$T/out' 2>'$T/err'"
term_wait 10 'via bastion: up, 1 session, 3 channels' &&
    pass "the header shows the bastion up with its session and the targets' channels"
like "$(term_screen)" 'via slow: connecting \(banner\), [12] waiting' \
    "and the stalled jump host connecting, with the targets waiting on it"
like "$(term_screen)" 's0[12] +conn[a-z]* .*via slow' "a target waiting on it says so in its row"
term_wait 20 'ok 3  failed 2' && pass "the run ends: the targets of the stalled jump host fail"
like "$(term_screen)" 's01 +failed .*banner_timeout: via slow: banner_timeout' "naming the jump host"
term_keys q
term_done 10

done_testing
