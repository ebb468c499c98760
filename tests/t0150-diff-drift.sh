#!/usr/bin/env bash
# t0150: --diff groups identical outputs as -b does and prints every other
# group as a unified diff against the largest one, headed by both folded host
# lists and their counts: 50 hosts where 3 differ in one line and 2 in
# another; byte-exact for binary output and a last line without a newline;
# escaped on a terminal; stderr differences too; hosts that never ran are
# left to the summary.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
start_sshd three
start_sshd two
add_aliases "$T/ssh_config" h 45 "$SSHD_PORT_MAIN"
for i in 46 47 48; do add_alias "$T/ssh_config" "h$i" "$SSHD_PORT_THREE"; done
for i in 49 50; do add_alias "$T/ssh_config" "h$i" "$SSHD_PORT_TWO"; done
add_alias "$T/ssh_config" dead "$(free_port)"
trust_host_keys "$SSHD_PORT_MAIN" "$SSHD_PORT_THREE" "$SSHD_PORT_TWO"
# Which server a host reached: the last word of SSH_CONNECTION.
port='${SSH_CONNECTION##* }'

cmd="seq 1 20 | sed -e \"s/^5\$/five-\$(test $port = $SSHD_PORT_THREE && echo x)/\" \
  -e \"s/^15\$/fifteen-\$(test $port = $SSHD_PORT_TWO && echo y)/\""
SHOAL_TIMEOUT=120 run_shoal -F "$T/ssh_config" -w 'h[01-50]' --fanout 50 --diff -- "$cmd"
is "$RC" 0 "--diff runs 50 hosts"
want="--- h[01-45] (45)
+++ h[46-48] (3)
@@ -2,7 +2,7 @@
 2
 3
 4
-five-
+five-x
 6
 7
 8
--- h[01-45] (45)
+++ h[49-50] (2)
@@ -12,7 +12,7 @@
 12
 13
 14
-fifteen-
+fifteen-y
 16
 17
 18"
is "$(cat "$T/out")" "$want" "each minority group as a diff against the largest, with folded lists and counts"
like "$(cat "$T/err")" "ok 50" "the summary still counts every host"

# Binary bytes and a last line without a newline, compared and written exactly.
cmd="if test $port = $SSHD_PORT_MAIN; then printf 'a\\000b\\nsame\\nend\\n'; else printf 'a\\000c\\nsame\\nend'; fi"
run_shoal -F "$T/ssh_config" -w 'h01,h02,h46,dead' --connect-timeout 2 --retries 0 --diff -- "$cmd"
is "$RC" 3 "a host that could not connect still sets the exit status"
printf -- '--- h[01-02] (2)\n+++ h46 (1)\n@@ -1,3 +1,3 @@\n-a\000b\n+a\000c\n same\n-end\n+end\n\\ No newline at end of file\n' >"$T/want.bin"
if cmp -s "$T/out" "$T/want.bin"; then pass "binary lines and a missing last newline, byte-exact"; else
    fail "binary lines and a missing last newline, byte-exact"
    od -c "$T/out" | head -20 >&2
fi
unlike "$(tr -d "\\000" <"$T/out")" "dead" "a host that never ran is not diffed (the summary names it)"
like "$(cat "$T/err")" "dead" "the summary names it"

# Identical outputs: nothing to show.
run_shoal -F "$T/ssh_config" -w 'h[01-03]' --diff -- 'echo same'
is "$RC" 0 "identical outputs"
is "$(cat "$T/out")" "" "no diff when every host printed the same"

# stderr differs, stdout does not.
cmd="echo out; test $port = $SSHD_PORT_MAIN && echo warn >&2; true"
run_shoal -F "$T/ssh_config" -w 'h01,h02,h49' --diff -- "$cmd"
want="--- h[01-02] (2) stderr
+++ h49 (1) stderr
@@ -1 +0,0 @@
-warn"
is "$(cat "$T/out")" "$want" "stderr is compared too, under its own headers"

run_shoal -F "$T/ssh_config" -w h01 --diff --json -- true
is "$RC" 2 "--diff is an output mode: not with --json"

# On a terminal, host bytes in a diff are escaped like all output.
cmd="if test $port = $SSHD_PORT_MAIN; then echo plain; else printf 'esc\\033]0;pwned\\007\\n'; fi"
printf '%s\n' "$cmd" >"$T/cmd"
term_start 100 20 "'$SHOAL' -F '$T/ssh_config' -w 'h01,h02,h46' --no-tui --diff -- \"\$(cat '$T/cmd')\" 2>/dev/null; echo END"
term_wait 60 '^END' || fail "the run ended"
like "$(term_screen)" '\+esc\\x1b\]0;pwned\\x07' "an escape sequence from a host is shown as text"
done_testing
