#!/usr/bin/env bash
# t0705: the live view in tree mode (issue 26), in a real terminal (tmux):
# the targets behind the gateways show their states as the gateways' events
# arrive, the header shows each gateway and its hosts, `r` finds nothing to
# retry when every target is ok (t0707: `r` and `:` through gateways), and after
# q the output and the summary are what a flat run with the view prints.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 4
term_start 150 30 "'$SHOAL' --tui -F '$T/ssh_config' --gateways 'gw[1-2]' --gateway-shoal '$GW_SHOAL' \
    -w 'n[01-04]' -- 'sleep 2; echo done-\$((6*7))' >'$T/out' 2>'$T/err'"
term_wait 20 'n0[1-4] +runn' && pass "targets show as running while their gateways run them"
term_wait 10 'gw1: up, 2 hosts .* gw2: up, 2 hosts' &&
    pass "the header shows the gateways up, with their hosts"
term_wait 30 'ok 4' && pass "the view counts the four targets ok"
term_keys r
term_wait 5 'no host to retry' && pass "r: no host to retry"
term_keys q
term_done 10
is "$TERM_RC" 0 "q after the run: exit 0"
is "$(grep -c '^n0[1-4]: done-42$' "$T/out")" 4 "the output is printed after the view"
like "$(tail -1 "$T/err")" '^ok 4 ' "with the summary"
done_testing
