#!/usr/bin/env bash
# t0221: shoal.conf sets defaults by long option name: /etc/shoal/shoal.conf,
# then ~/.config/shoal/shoal.conf over it, SHOAL_CONFIG instead of both, the
# command line over all, --no-config for none; every bad line stops with
# exit 2 naming file:line, even one the command line overrides.  The files
# live under a test HOME and SHOAL_SYSCONFDIR, never the real ones.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
add_alias "$T/ssh_config" h1 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"

export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc
mkdir -p "$HOME/.config/shoal" "$SHOAL_SYSCONFDIR"
U=$HOME/.config/shoal/shoal.conf
S=$SHOAL_SYSCONFDIR/shoal.conf
mkdir "$T/o1" "$T/o2" "$T/o3" "$T/o4"
# Which -o DIR a run wrote its files into.
where() { local d; for d in o1 o2 o3 o4; do [ -e "$T/$d/h1.out" ] && printf '%s ' "$d"; done; rm -f "$T"/o?/h1.*; }

printf '# system defaults\nssh-config = %s\noutput-dir = %s\nfanout = 8\n' "$T/ssh_config" "$T/o1" >"$S"
run_shoal -w h1 -- echo hi
is "$RC" 0 "the system file's ssh-config is used"
is "$(where)" "o1 " "the system file alone: its output-dir"

printf '  output-dir   =   %s  \r\n\nbanner-timeout = 30\n' "$T/o2" >"$U"
run_shoal -w h1 -- echo hi
is "$(where)" "o2 " "the user's file over the system's for the same key (blanks and CRLF trimmed)"

printf 'ssh-config = %s\noutput-dir = %s\n' "$T/ssh_config" "$T/o3" >"$T/pick.conf"
SHOAL_CONFIG=$T/pick.conf run_shoal -w h1 -- echo hi
is "$(where)" "o3 " "SHOAL_CONFIG instead of both files"
SHOAL_CONFIG=$T/pick.conf run_shoal -w h1 -o "$T/o4" -- echo hi
is "$(where)" "o4 " "the command line over SHOAL_CONFIG"
run_shoal -w h1 -o "$T/o4" -- echo hi
is "$(where)" "o4 " "the command line over the user's file"

run_shoal -F "$T/ssh_config" -w h1 --no-config -- echo hi
is "$(where)" "" "--no-config: no file read"
is "$(cat "$T/out")" "h1: hi" "...and the default output"

# Exclusive options: the command line's --inline hides the file's --json;
# the user's -b hides the system's --json.
printf 'ssh-config = %s\njson = yes\n' "$T/ssh_config" >"$S"
printf 'gather = yes\n' >"$U"
run_shoal -w h1 -- echo hi
is "$RC" 0 "json in one file, gather in a later one"
is "$(head -2 "$T/out" | tail -1)" "h1 (1)" "...the later file's output mode wins"
run_shoal -w h1 --inline -- echo hi
is "$RC" 0 "--inline on the command line over the files' modes"
like "$(head -1 "$T/out")" "^----- h1 \\(ok\\) -----$" "...is the mode used"
: >"$U"
run_shoal -w h1 --no-tui -- echo hi
like "$(cat "$T/out")" '^\{"host":"h1"' "a flag from the system file (json = yes)"
printf 'json = no\n' >"$U"
run_shoal -w h1 -- echo hi
is "$(cat "$T/out")" "h1: hi" "a flag turned off again by 'no'"
: >"$U"
SHOAL_CONFIG= run_shoal -w h1 -- echo hi
like "$(cat "$T/out")" '^\{"host"' "an empty SHOAL_CONFIG is unset"

bad() { # CONTENT EXPECTED-ERE [ARGS...]
    printf '%s\n' "$1" >"$U"
    local want=$2
    shift 2
    run_shoal -w h1 "$@" -- echo hi
    is "$RC" 2 "exit 2: $(printf %q "$want")"
    like "$(head -1 "$T/err")" "$want" "message: $(printf %q "$want")"
    is "$(cat "$T/out")" "" "nothing ran"
}
bad 'fanout = 0' "^shoal: $U:1: fanout: '0' is not a whole number from 1 to 4096"
bad $'# ok\nfanout' "^shoal: $U:2: expected 'option = value'"
bad '= 3' "^shoal: $U:1: expected 'option = value'"
bad 'fanout: 3' "^shoal: $U:1: expected 'option = value'"
bad 'no-such = 1' "^shoal: $U:1: unknown option 'no-such'"
bad '--fanout = 3' "^shoal: $U:1: unknown option '--fanout'"
bad 'hosts = h1' "^shoal: $U:1: hosts: only on the command line"
bad 'exclude = h1' "^shoal: $U:1: exclude: only on the command line"
bad 'group = web' "^shoal: $U:1: group: only on the command line"
bad 'help = yes' "^shoal: $U:1: help: only on the command line"
bad 'no-config = yes' "^shoal: $U:1: no-config: only on the command line"
bad 'copy = yes' "^shoal: $U:1: copy: only on the command line"
bad 'stdin = yes' "^shoal: $U:1: stdin: only on the command line"
bad 'gather = maybe' "^shoal: $U:1: gather: 'maybe' is not yes or no"
bad 'tty =' "^shoal: $U:1: tty: '' is not yes or no"
bad 'user =' "^shoal: $U:1: user: empty user name"
bad 'host-key-policy = lax' "^shoal: $U:1: host-key-policy: 'lax' is not one of strict, accept-new, insecure"
bad 'backoff = 5,1' "^shoal: $U:1: backoff: expected BASE,CAP"
bad 'fanout = 0' "^shoal: $U:1: fanout: '0' is not a whole number" -f 4
printf 'fanout = 4\nfanout = x\n' >"$S"
: >"$U"
run_shoal -w h1 -- echo hi
is "$RC" 2 "a bad line in the system file"
like "$(head -1 "$T/err")" "^shoal: $S:2: fanout: 'x'" "...names the system file and line"
printf 'fanout = 4\x00\n' >"$S"
run_shoal -w h1 -- echo hi
like "$(head -1 "$T/err")" "^shoal: $S:1: NUL byte" "a NUL byte"
rm "$S"
SHOAL_CONFIG=$T/missing.conf run_shoal -w h1 -- echo hi
is "$RC" 2 "a SHOAL_CONFIG that does not exist"
like "$(head -1 "$T/err")" "^shoal: $T/missing.conf: cannot read: No such file" "...says so"
mkdir "$T/dir.conf"
SHOAL_CONFIG=$T/dir.conf run_shoal -w h1 -- echo hi
is "$RC" 2 "a SHOAL_CONFIG that is a directory"
printf 'fanout = 0\n' >"$U"
run_shoal --help
is "$RC" 0 "--help works whatever the files hold"
run_shoal --no-config -w h1 --list
is "$RC" 0 "--no-config skips a bad file"
done_testing
