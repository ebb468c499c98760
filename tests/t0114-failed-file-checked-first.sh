#!/usr/bin/env bash
# t0114: --failed FILE that cannot be written is found before anything runs
# (exit 2, naming FILE and why), not after the whole run; the check leaves no
# file behind and does not empty one that is there: the list replaces it when
# the run ends.
. "$(dirname "$0")/lib.sh"

lab_fleet h 2
add_alias "$T/ssh_config" down "$(free_port)"
mkdir -m 1777 "$T/marks"

run_shoal -F "$T/ssh_config" -w 'h01' --failed "$T/nodir/failed" -- "touch $T/marks/ran"
is "$RC" 2 "--failed in a missing directory: exit 2"
like "$(cat "$T/err")" "^shoal: --failed: cannot write '$T/nodir/failed': No such file or directory" "names the file and why"
[ -e "$T/marks/ran" ] && fail "the command ran" || pass "nothing ran"

mkdir "$T/adir"
run_shoal -F "$T/ssh_config" -w 'h01' --failed "$T/adir" -- "touch $T/marks/ran"
is "$RC" 2 "--failed naming a directory: exit 2"
like "$(cat "$T/err")" "^shoal: --failed: cannot write '$T/adir': Is a directory" "names the file and why"
[ -e "$T/marks/ran" ] && fail "the command ran" || pass "nothing ran"

# A run stopped by another input error leaves no --failed file behind.
touch "$T/notadir"
run_shoal -F "$T/ssh_config" -w 'h01' --failed "$T/new" -o "$T/notadir" -- true
is "$RC" 2 "a bad -o after a good --failed: exit 2"
[ -e "$T/new" ] && fail "a --failed file was left behind" || pass "no --failed file left behind"

# An existing list stays as it was while the run goes.
echo old-host >"$T/failed"
env -u SSH_AUTH_SOCK timeout -k 2 60 "$SHOAL" -F "$T/ssh_config" -w 'h01,down' -r 0 --failed "$T/failed" \
    -- "touch $T/marks/started; while [ ! -e $T/marks/go ]; do sleep 0.05; done" >"$T/out" 2>"$T/err" &
pid=$!
wait_for 30 test -e "$T/marks/started" || fail "the command did not start"
is "$(cat "$T/failed")" "old-host" "while the run goes, the old list is still there"
touch "$T/marks/go"
wait "$pid"
is "$?" 3 "exit 3: one host down"
is "$(cat "$T/failed")" "down" "at the end the new list replaces it"
done_testing
