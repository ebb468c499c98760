#!/usr/bin/env bash
# t0220: host groups without connecting (--list, --list-groups): @NAME items
# and -g in any expression, -x, nesting, the user's file winning over the
# system's, a dynamic inventory (!COMMAND) with its deadline, and every bad
# case - a loop, an unknown group, a bad line - stopping with exit 2 and the
# file:line.  Then one real run of a group.  The files live under a test HOME
# and SHOAL_SYSCONFDIR, never the real ~/.config or /etc/shoal.
. "$(dirname "$0")/lib.sh"

export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc
mkdir -p "$HOME/.config/shoal" "$SHOAL_SYSCONFDIR"
U=$HOME/.config/shoal/groups
S=$SHOAL_SYSCONFDIR/groups

cat >"$U" <<'G'
# the user's groups
web: web[01-04]
db:  db[1-2]          # a trailing comment
all: @web, @db, root@cache:2222
front: @web
G
cat >"$S" <<'G'
web: sysweb[1-3]
ops: o1,o2
G

list() { run_shoal --list "$@"; tr '\n' ' ' <"$T/out"; }
run_shoal --list -w @all
is "$RC" 0 "--list exits 0"
is "$(tr '\n' ' ' <"$T/out")" "web01 web02 web03 web04 db1 db2 root@cache:2222 " "@NAME nests groups, keeps order and user@host:port"
is "$(list -g web -g ops)" "web01 web02 web03 web04 o1 o2 " "-g; the user's file wins for a name both define; the system's groups still count"
is "$(list -w 'x1,@front,web02,x2' -x @db -x web03)" "x1 web01 web02 web04 x2 " "a group inside an expression, duplicates dropped, -x with a group and a host"
is "$(list -g @db -x db1)" "db2 " "-g @NAME is allowed too"
is "$(list -H <(printf '@db\n# c\n'))" "db1 db2 " "a host file may name groups"

run_shoal --list-groups
want="web: web[01-04]
db: db[1-2]
all: web[01-04],db[1-2],root@cache:2222
front: web[01-04]
ops: o[1-2]"
is "$(cat "$T/out")" "$want" "--list-groups: every group, the user's first, folded"
is "$RC" 0 "--list-groups exits 0"

bad() { # FILE-CONTENT EXPECTED-ERE ARGS...
    printf '%s\n' "$1" >"$U"
    local want=$2
    shift 2
    run_shoal "$@" -- true
    is "$RC" 2 "exit 2: $want"
    like "$(cat "$T/err")" "$want" "message: $want"
    is "$(cat "$T/out")" "" "nothing ran or listed: $want"
}
bad $'a: @b\nb: c1,@a' "^shoal: $U:2: group loop: @a -> @b -> @a" -w @a
bad $'self: x,@self' "^shoal: $U:1: group loop: @self -> @self" -g self
bad $'a: @nosuch' "^shoal: $U:1: unknown group '@nosuch'" -w @a
bad $'a: x' "^shoal: -w: unknown group '@zz'" -w 'h1,@zz'
bad $'a: x' "^shoal: -g: unknown group '@zz'" -g zz
bad $'a: x' "^shoal: -x: unknown group '@zz'" -w a1 -x @zz
bad $'# c\nno colon here' "^shoal: $U:2: expected 'NAME: EXPRESSION'" -w @a
bad $'bad name: x' "^shoal: $U:1: bad group name 'bad name'" -w @a
bad $'a:' "^shoal: $U:1: group 'a' has no expression" -w @a
bad $'a: x\na: y' "^shoal: $U:2: group 'a' is defined again \\(first at $U:1\\)" -w @a
bad $'a: web[01-' "^shoal: $U:1: unterminated range in 'web\\[01-'" -w @a
bad $'a: x\nb: @nosuch' "^shoal: $U:2: unknown group '@nosuch'" --list-groups
printf 'ok: x\n' >"$U"
printf 'bad line\n' >"$S"
run_shoal -w @ok --list
is "$RC" 2 "a bad line in the system file is an error too"
like "$(cat "$T/err")" "^shoal: $S:1: expected" "...naming the system file and line"
rm -f "$S"
run_shoal -w plain --list
is "$RC" 0 "no group named: the files are not read"

# A dynamic inventory: the command's output is a host file.
cat >"$U" <<'G'
dyn: !printf 'd[1-2]\n# comment\n@web\n'
web: w1
slow: !sleep 20
fails: !echo oops >&2; exit 3
badout: !echo 'x[9-1]'
G
is "$(list -g dyn)" "d1 d2 w1 " "!COMMAND: its output as a host file, groups included"
start=$SECONDS
run_shoal -g slow --group-timeout 1 --list
is "$RC" 2 "a dynamic group past its deadline is an error"
like "$(cat "$T/err")" "^shoal: $U:3: group 'slow': the command did not finish within 1 s" "...naming file:line and the deadline"
cmp_ok $((SECONDS - start)) -lt 15 "...and the command is killed, not waited for"
run_shoal -g fails --list
like "$(cat "$T/err")" "shoal: $U:4: group 'fails': the command exited with status 3" "a failing command: its status"
like "$(cat "$T/err")" "oops" "...and its own stderr"
run_shoal -g badout --list
like "$(cat "$T/err")" "^shoal: $U:5: group 'badout' output line 1: range 'x\\[9-1\\]' runs backwards" "bad output names the line of the output"

# A real run through a group.
lab_user
lab_keys
start_sshd main
add_aliases "$T/ssh_config" h 3 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
printf 'lab: h[01-03]\n' >"$U"
run_shoal -F "$T/ssh_config" -g lab -x h02 -- echo hi
is "$RC" 0 "a command runs on a group's hosts"
is "$(sort "$T/out" | tr '\n' ' ')" "h01: hi h03: hi " "every host of the group but the excluded one"
done_testing
