#!/usr/bin/env bash
# t0202: host selection through the binary, without connecting (--list):
# ranges, files with comments, -w - from stdin, order and duplicates, -x,
# --filter/--filter-out, and every kind of bad input stopping with exit 2 and
# a message that names the place.
. "$(dirname "$0")/lib.sh"

run_shoal -w 'web[01-03],db1' -w 'web02,u@x:2222,[2001:db8::1]:22' --list
is "$RC" 0 "--list exits 0"
is "$(tr '\n' ' ' <"$T/out")" "web01 web02 web03 db1 u@x:2222 [2001:db8::1]:22 " "order kept, duplicates dropped"
is "$(sed -n 6p "$T/out")" "[2001:db8::1]:22" "an IPv6 literal with a port"

cat >"$T/hosts.txt" <<'H'
# comment line
rack[1-2]-n[01-02]   # trailing comment

  db[8-10]
H
run_shoal -H "$T/hosts.txt" --list
is "$(tr '\n' ' ' <"$T/out")" "rack1-n01 rack1-n02 rack2-n01 rack2-n02 db8 db9 db10 " "a host file: comments, blank lines, padding, brackets multiply"

SHOAL_STDIN="$T/hosts.txt" run_shoal -w - --list
is "$(wc -l <"$T/out")" 7 "-w - reads expressions from stdin"

run_shoal -H "$T/hosts.txt" -x 'rack1-n01,db9' --filter '^(rack|db)' --filter-out 'n02$' --list
is "$(tr '\n' ' ' <"$T/out")" "rack2-n01 db8 db10 " "-x, --filter and --filter-out apply after the list is built"

run_shoal -w 'n[00001-20000]' --list
is "$(wc -l <"$T/out")" 20000 "20000 hosts from one range"

bad() { # EXPECTED-MESSAGE-REGEX ARGS...
    local want=$1
    shift
    run_shoal "$@" -- true
    is "$RC" 2 "exit 2: $*"
    like "$(cat "$T/err")" "$want" "message: $want"
    is "$(cat "$T/out")" "" "nothing ran: $*"
}
printf 'web1\nweb[01-\n' >"$T/bad.txt"
bad "^shoal: $T/bad.txt:2: unterminated range in 'web\\[01-'" -H "$T/bad.txt"
bad "^shoal: -w: range 'n\\[5-2\\]' runs backwards" -w 'n[5-2]'
bad "^shoal: -w: empty item in 'a,,b'" -w 'a,,b'
bad "^shoal: -w: bad port '99999' in 'web1:99999'" -w 'web1:99999'
bad "^shoal: -w: 'n\\[0-9999999\\]' expands to more than 1000000 hosts" -w 'n[0-9999999]'
bad "^shoal: $T/none.txt: No such file or directory" -H "$T/none.txt"
bad "^shoal: --filter: PCRE2 error at offset 3: missing closing parenthesis" -w a --filter 'a(b'
bad "^shoal: the host list is empty after -x and filters" -w a -x a
bad "^shoal: no hosts given" --fanout 2
bad "^shoal: -f: '0' is not a whole number from 1 to 4096" -w a -f 0
bad "^shoal: --banner-timeout: 'x' is not a positive number of seconds" -w a --banner-timeout x
bad "^shoal: --host-key-policy: 'maybe' is not one of strict, accept-new, insecure" -w a --host-key-policy maybe
bad "^shoal: --max-startups: '0' is not a whole number from 1 to 4096" -w a --max-startups 0
bad "^shoal: unknown option '--nope'" -w a --nope

run_shoal -w a
is "$RC" 2 "no command: exit 2"
like "$(cat "$T/err")" "no command given" "no command: says so"
done_testing
