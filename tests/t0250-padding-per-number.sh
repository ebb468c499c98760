#!/usr/bin/env bash
# t0250: zero padding belongs to each number of a bracket as written, as in
# pdsh and ClusterShell's nodeset: `shoal --list` selects exactly the hosts
# `nodeset -e` and pdsh's own hostlist expand, mixed widths included, and
# pasting nodeset's folded form back selects the hosts it came from.
. "$(dirname "$0")/lib.sh"

command -v nodeset >/dev/null || skip_all "no nodeset (clustershell)"

# shoal_hosts EXPR: the sorted, space-separated final list.
shoal_hosts() {
    SHOAL_OFFLINE=0 run_shoal -w "$1" --list
    [ "$RC" = 0 ] || { echo "rc=$RC: $(cat "$T/err")"; return; }
    sort "$T/out" | tr '\n' ' '
}
nodeset_hosts() { nodeset -e "$1" | tr ' ' '\n' | sort | tr '\n' ' '; }
pdsh_hosts() { pdsh -R exec -f 1 -w "$1" echo %h 2>/dev/null | awk '{ print $2 }' | sort | tr '\n' ' '; }

for e in 'n[1,03,05]' 'n[1,01]' 'n[1-2,010]' 'p[03,06,09,012,015]' 'x[07-09,010]' \
    'n[9-10,010]' 'n[0-1,00]' 'web[01-02,7].dc[1-2]' 'r[1,01]-n[08-10,1]'; do
    want=$(nodeset_hosts "$e")
    is "$(shoal_hosts "$e")" "$want" "'$e' selects what nodeset -e does"
    if command -v pdsh >/dev/null; then
        is "$(pdsh_hosts "$e")" "$want" "and what pdsh does"
    fi
done

# nodeset -f output pasted back: n1,n2,n01 folds to n[1-2,01].
folded=$(nodeset -f n1,n2,n01)
is "$(shoal_hosts "$folded")" "n01 n1 n2 " "nodeset's '$folded' selects n1,n2,n01 and no n02"
done_testing
