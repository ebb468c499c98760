#!/usr/bin/env bash
# t0272: the summary's separators are middle dots under a UTF-8 locale and
# ASCII (" | ") under a locale that is not UTF-8, as a terminal in the C or
# a Latin-1 locale would otherwise show mojibake; the run itself is the same.
. "$(dirname "$0")/lib.sh"

lab_fleet h 1
add_alias "$T/ssh_config" dead "$(free_port)"

LC_ALL=C.UTF-8 run_shoal -F "$T/ssh_config" -r 0 -w 'h01,dead' -- true
like "$(tail -n 1 "$T/err")" '^ok 1 · failed 1 \(refused 1: dead\) · [0-9.]+ s$' "UTF-8: middle dots"
for loc in C POSIX; do
    LC_ALL=$loc run_shoal -F "$T/ssh_config" -r 0 -w 'h01,dead' -- true
    is "$RC" 3 "LC_ALL=$loc: the same exit status"
    like "$(tail -n 1 "$T/err")" '^ok 1 \| failed 1 \(refused 1: dead\) \| [0-9.]+ s$' "LC_ALL=$loc: ASCII separators"
    is "$(LC_ALL=C grep -c $'\xc2' "$T/err")" 0 "LC_ALL=$loc: no byte beyond ASCII in the diagnostics"
done
(
    unset LC_ALL LC_CTYPE
    LANG=C.UTF-8 run_shoal -F "$T/ssh_config" -r 0 -w 'h01,dead' -- true
)
like "$(tail -n 1 "$T/err")" ' · ' "LANG=C.UTF-8 alone: middle dots"
done_testing
