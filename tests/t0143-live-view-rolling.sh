#!/usr/bin/env bash
# t0143: the live view of a rolling run (tmux): the header shows the batch
# (k of n) and the failures the budget still allows while it goes; once the
# budget is spent, the skipped count, why the run stopped, and skipped rows
# that say why.
. "$(dirname "$0")/lib.sh"

lab_fleet h 12

# Batches of 3, 2 s each; h04 and h07 (index 3 and 6) fail, the budget is 1 failure:
# the second failure, in batch 3, stops the run and batch 4 is skipped.
term_start 160 40 "'$SHOAL' --tui --hold -F '$T/ssh_config' -w 'h[01-12]' --batch 3 --max-fail 1 \
    --template -- 'sleep 2; [ %i -ne 3 ] && [ %i -ne 6 ]' >'$T/out' 2>'$T/err'"
if term_wait 10 'batch 1 of 4 .*1 more failure allowed'; then pass "batch 1 of 4, the budget left"; else fail "batch 1 of 4, the budget left"; fi
if term_wait 15 'batch 3 of 4 .*0 more failures allowed'; then pass "batch 3: h04 failed in batch 2, no failure left"; else fail "batch 3: h04 failed in batch 2, no failure left"; fi
if term_wait 20 'stopped: 2 hosts failed, more than --max-fail 1'; then pass "the header says why the run stopped"; else fail "the header says why the run stopped"; fi
# Hosts in flight when the budget ran out finish first.
if term_wait 15 'done in'; then pass "the run is over"; else fail "the run is over"; fi
like "$(term_screen)" 'ok [0-9]+  failed 2  skipped 3' "the header counts the skipped hosts"
like "$(term_screen)" 'h12 +skipped .*stopped: 2 hosts failed' "a skipped row says why"
term_keys q
term_done 10
is "$TERM_RC" 4 "exit 4 after the view"
like "$(tail -1 "$T/err")" 'skipped 3: h\[10-12\]' "the summary follows, with the skipped hosts"
done_testing
