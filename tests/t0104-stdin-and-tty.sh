#!/usr/bin/env bash
# t0104: -I sends local stdin to every host's command, then EOF; without -I
# the command gets EOF at once; -T gives the command a terminal.
. "$(dirname "$0")/lib.sh"

lab_fleet h 4

head -c 200000 /dev/urandom | base64 > "$T/input"
want=$(md5sum < "$T/input" | cut -d' ' -f1)
SHOAL_STDIN="$T/input" run_shoal -F "$T/ssh_config" -w 'h[01-04]' -I -- 'md5sum | cut -d" " -f1'
is "$RC" 0 "-I runs"
is "$(grep -c ": $want\$" "$T/out")" 4 "every host received the same 270 kB of stdin, byte for byte"

run_shoal -F "$T/ssh_config" -w h01 -- 'cat; echo after-eof'
is "$(cat "$T/out")" "h01: after-eof" "without -I the command's stdin is at EOF"

run_shoal -F "$T/ssh_config" -w h01 -T -- 'test -t 0 && echo has-tty; echo to-stderr >&2'
like "$(cat "$T/out")" 'h01: has-tty' "-T gives a terminal"
like "$(cat "$T/out")" 'h01: to-stderr' "with a pty stderr is merged into stdout, as with ssh -t"
run_shoal -F "$T/ssh_config" -w h01 -- 'test -t 0 && echo has-tty || echo no-tty'
is "$(cat "$T/out")" "h01: no-tty" "no pty by default"
done_testing
