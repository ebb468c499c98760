#!/usr/bin/env bash
# t0203: every option --help lists is in the man page and every option the man
# page documents is in --help; every default --help shows (the option table's)
# is the one the man page gives; the man page renders without a warning.
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

# Every default --help shows (from the option table) is the one shoal(1) gives
# in that option's paragraph: "default D", "default: D" or "Default: D", with
# at most a few words more between D's words in the man page.
man_para() { # NAME: the paragraph of --NAME, from its .TP heading to the next, as text
    awk -v opt="--$1" '
        /^\.(TP|SS|SH)/ { if (on) exit; head = 1; next }
        head {
            head = 0; l = $0; gsub(/\\/, "", l); i = index(l, opt)
            if (i && substr(l, i + length(opt), 1) !~ /[a-z-]/) on = 1
        }
        on { print }' "$man" |
        sed -E 's/^\.[A-Z]+ //; s/\\f[A-Z]//g; s/\\-/-/g; s/"//g; s/, / /g' | tr '\n' ' ' | tr -s ' '
}
ndefaults=0
while IFS=' ' read -r name def; do
    ndefaults=$((ndefaults + 1))
    want="[Dd]efault:? $(sed -E 's/, / /g; s/ /( [^ ]+){0,5} /g' <<<"$def")"
    like "$(man_para "$name")" "$want" "--$name: shoal(1) gives the default of --help, $def"
done < <(sed -nE 's/^ +(-., )?--([a-z-]+).* \[([^]]+)\]$/\2 \3/p' <<<"$help")
cmp_ok "$ndefaults" -ge 10 "--help shows the defaults"

if command -v groff >/dev/null; then
    is "$(groff -man -Tutf8 -ww -z "$man" 2>&1)" "" "shoal(1) renders without warnings"
else
    skip "groff is not installed"
fi
done_testing
