#!/usr/bin/env bash
# t0203: every option --help lists is in the man page and every option the man
# page documents is in --help; the man page renders without a warning.
. "$(dirname "$0")/lib.sh"

help=$("$SHOAL" --help)
man=$top_srcdir/doc/shoal.1
help_opts=$(grep -Eo -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
# The man page writes --foo as \-\-foo on its macro lines (.B, .BR, .TP...);
# examples (plain lines) may show other programs' options.
man_opts=$(grep '^\.' "$man" | grep -Eo -- '\\-\\-[a-z][a-z\\-]+' | sed 's/\\-/-/g' | sort -u)
cmp_ok "$(wc -l <<<"$help_opts")" -ge 30 "--help lists the options"
missing=$(comm -23 <(echo "$help_opts") <(echo "$man_opts"))
is "$missing" "" "every option of --help is in shoal(1)"
extra=$(comm -13 <(echo "$help_opts") <(echo "$man_opts"))
is "$extra" "" "every option of shoal(1) is in --help"
if command -v groff >/dev/null; then
    is "$(groff -man -Tutf8 -ww -z "$man" 2>&1)" "" "shoal(1) renders without warnings"
else
    skip "groff is not installed"
fi
done_testing
