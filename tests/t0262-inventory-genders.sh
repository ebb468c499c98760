#!/usr/bin/env bash
# t0262: a genders file loaded by --inventory through libgenders: pdsh's
# -g ATTR and -g ATTR=VALUE are shoal's -g ATTR and -g ATTR=VALUE (or
# @genders:ATTR), each the nodes nodeattr -n prints for the same query;
# the file's edge cases (ranges of nodes, a node on several lines, values,
# comments) as libgenders reads them, and its errors at file:line.
. "$(dirname "$0")/lib.sh"

command -v nodeattr >/dev/null || skip_all "no nodeattr (apt-get install genders)"
export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc
mkdir -p "$HOME" "$SHOAL_SYSCONFDIR"

cat >"$T/genders" <<'G'
# a genders file as a pdsh site keeps one
node[1-4]   compute,rack=a,mem=64G
node[5-6]   compute,rack=b,mem=128G   # trailing comment
login1      login,rack=a
mgmt1       mgmt,nfs_server
node3       gpu=a100
node4,node6 gpu=h100,scratch
G

sorted() { sort | tr '\n' ' '; }
queries=$(nodeattr -f "$T/genders" -l | sed 's/^/x /' | cut -d' ' -f2)
[ -n "$queries" ] || BAIL_OUT "nodeattr lists no attributes"
for attr in $queries; do
    q+=" $attr"
    for node in $(nodeattr -f "$T/genders" -n "$attr"); do
        v=$(nodeattr -f "$T/genders" -v "$node" "$attr")
        [ -n "$v" ] && q+=" $attr=$v"
    done
done
want= got=
for query in $(printf '%s\n' $q | sort -u); do
    want+="$query: $(nodeattr -f "$T/genders" -n "$query" | sorted)"$'\n'
    run_shoal --inventory "genders:$T/genders" --list -g "$query"
    got+="$query: $(sorted <"$T/out")"$'\n'
done
like "$want" "rack=b: node5 node6 " "nodeattr answers the queries"
is "$got" "$want" "-g ATTR and -g ATTR=VALUE: the nodes nodeattr -n gives"

run_shoal --inventory "$T/genders" --list -w @genders:gpu=h100,@genders:login
is "$(tr '\n' ' ' <"$T/out")" "node4 node6 login1 " "@genders:ATTR[=VALUE] in an expression; the format told by the content"
run_shoal --inventory "genders:$T/genders" --list -g all
is "$(sorted <"$T/out")" "$(nodeattr -f "$T/genders" -n -A | sorted)" "-g all: every node (pdsh -a)"
run_shoal --inventory "genders:$T/genders" --list-groups
like "$(cat "$T/out")" "genders:mem=128G: node\\[5-6\\]" "--list-groups shows attributes and values"

printf 'node1 compute\nnode2 compute\nnode1 compute\n' >"$T/g2"
run_shoal --inventory "genders:$T/g2" -g compute -- true
is "$RC" 2 "a genders error stops the run"
like "$(cat "$T/err")" "^shoal: --inventory: $T/g2:3: genders: " "...at the file:line libgenders names"
is "$(cat "$T/out")" "" "...before anything runs"
printf 'n1 compute\nn$(id) compute\n' >"$T/g3"
run_shoal --inventory "genders:$T/g3" -g compute -- true
like "$(cat "$T/err")" "^shoal: --inventory: $T/g3: genders: node name 'n\\\$\\(id\\)' is not a host name" "a node name with shell syntax is refused"
is "$RC" 2 "...exit 2"
run_shoal --inventory "$T/g2" -g compute -- true
like "$(cat "$T/err")" "cannot tell its format \\(name it: .*genders:" "a file genders and pssh could both read must be named"
done_testing
