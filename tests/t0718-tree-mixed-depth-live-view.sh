#!/usr/bin/env bash
# t0718: the live view in tree mode with hosts at two depths behind one
# gateway (issue 26), in a real terminal (tmux): gw1 (its own hosts, and
# those behind gw3, in one share) is one entry in the header, with all its
# hosts still going, and the targets' output after q is a flat run's (--hold keeps
# the view after the run).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 3 6
tree_gateway_below gw3
cat >"$T/mixed.conf" <<'TOPO'
[routes]
admin: gw1
gw1: n[01-03],gw3
gw3: n[04-06]
TOPO
mkdir -m 777 "$T/go"
# seen SECS ERE NAME: the screen shows ERE within SECS, a test either way.
seen() { term_wait "$1" "$2" && pass "$3" || fail "$3"; }
# Each command waits for the test's word, so the header is read while all run.
term_start 150 30 "'$SHOAL' --tui --hold -F '$T/ssh_config' --topology '$T/mixed.conf' --gateway-shoal '$GW_SHOAL' \
    -w 'n[01-06]' -- 'while [ ! -e $T/go/now ]; do sleep 0.1; done; echo done-\$((6*7))' >'$T/out' 2>'$T/err'"
seen 30 'n0[1-6] +runn' "targets show as running while gw1 runs them"
seen 20 'gw1: up, 6 hosts' "the header shows gw1 once, up, with its hosts at both depths"
ok "$(! term_has 'gw1: [a-z]+, 3 hosts'; echo $?)" "no entry a depth"
touch "$T/go/now"
seen 30 'ok 6' "the view counts the six targets ok"
term_keys q
term_done 10
is "$TERM_RC" 0 "q after the run: exit 0"
is "$(grep -c '^n0[1-6]: done-42$' "$T/out")" 6 "the output is printed after the view"
like "$(tail -1 "$T/err")" '^ok 6 ' "with the summary"
done_testing
