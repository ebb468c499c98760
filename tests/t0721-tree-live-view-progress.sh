#!/usr/bin/env bash
# t0721: tree mode, a transfer's progress in the live view (issue 26), in a
# real terminal (tmux): --copy of 21.0 MB to a target behind a gateway whose
# SFTP server reads at 2 MB/s shows the bytes sent so far of 21.0 MB on the
# target's row, moving, as a flat run shows them (the gateway sends its
# targets' figures up a few times a second); the file arrives whole.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"
. "$(dirname "$0")/lib-sftp.sh"

tree_lab 1 1
slow_sftp_lab
tree_gateway_below slow
dir=$SLOW_HOME

term_start 120 20 "'$SHOAL' --tui --hold -F '$T/ssh_config' --gateways gw1 --gateway-shoal '$GW_SHOAL' \
    -w slow --copy '$T/big.bin' in/ >'$T/out' 2>'$T/err'"
progress() { term_screen | grep -E '^slow ' | grep -Eo '[0-9.]+ [kMG]?B / 21\.0 MB' | head -1; }
if wait_for 60 eval '[ -n "$(progress)" ]'; then pass "the view shows the bytes sent of 21.0 MB: $(progress)"; else
    fail "no progress in the view: $(term_screen)"
fi
p1=$(progress)
wait_for 10 eval '[ "$(progress)" != "$p1" ]' && pass "and it moves: $(progress)" || fail "the progress stays at $p1"
term_wait 60 'ok 1' && pass "the copy ends ok" || fail "the copy did not end: $(term_screen)"
term_keys q
term_done 10
is "$TERM_RC" 0 "q after the run: exit 0"
cmp -s "$T/big.bin" "$dir/in/big.bin"
ok $? "the file arrived whole"
done_testing
