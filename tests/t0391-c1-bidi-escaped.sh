#!/usr/bin/env bash
# t0391: C1 controls (U+009B, which an 8-bit terminal takes as CSI) and the
# bidirectional controls (U+202A-U+202E, U+2066-U+2069) from a host never
# reach a terminal raw, as for C0 controls: in --json (as \u escapes, on a
# pipe too), on a real terminal (the raw bytes `script` records) in plain
# lines, -b, --inline and --diff, and in error text and the summary.  And an exit status of 4294967295 (uint32 max, from a hostile
# server) is shown as that, not -1.
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null || skip_all "no script (util-linux)"
lab_fleet h 2
start_hostile_sshd evil
add_alias "$T/ssh_config" bigexit "$HOSTILE_PORT_EVIL" "" "User bigexit"
trust_host_keys "$HOSTILE_PORT_EVIL"

# The host prints U+009B, U+202E (RLO), U+2066 (LRI) and U+2069 (PDI).
cmd='printf "a\302\233[31mb\342\200\256c\342\201\246d\342\201\251e\n"'
# raw FILE...: how many of those code points the files hold raw.
raw() { cat "$@" | LC_ALL=C grep -c $'\xc2\x9b\|\xe2\x80\xae\|\xe2\x81\xa6\|\xe2\x81\xa9'; }

run_shoal -F "$T/ssh_config" -w h01 --json -- "$cmd"
is "$(raw "$T/out")" 0 "--json: no C1 or bidi control raw"
like "$(cat "$T/out")" 'a\\u009b\[31mb\\u202ec\\u2066d\\u2069e' "--json: each as a \\u escape"
is "$(jq -r .stdout "$T/out")" "$(printf 'a\302\233[31mb\342\200\256c\342\201\246d\342\201\251e')" \
    "--json: a JSON reader still gets the host's bytes"

# on_tty ARGS...: shoal on a pseudo-terminal; what it wrote there, raw, in $T/tty.
on_tty() {
    local q=() a
    for a in "$@"; do q+=("$(printf '%q' "$a")"); done
    timeout -k 2 30 script -qfec "env -u SSH_AUTH_SOCK TERM=screen $SHOAL ${q[*]}" "$T/tty" \
        </dev/null >/dev/null 2>&1
}
shown='a\\xc2\\x9b\[31mb\\xe2\\x80\\xaec\\xe2\\x81\\xa6d\\xe2\\x81\\xa9e'
for mode in "" -b --inline; do
    on_tty -F "$T/ssh_config" -w h01 --no-tui $mode -- "$cmd"
    is "$(raw "$T/tty")" 0 "terminal, ${mode:-plain}: no C1 or bidi control raw"
    like "$(cat "$T/tty")" "$shown" "terminal, ${mode:-plain}: each shown as \\xNN"
done
on_tty -F "$T/ssh_config" -w h01,h02 --no-tui --diff -- "$cmd; hostname >/dev/null; [ \$SSH_CONNECTION ] && echo x\$((\$RANDOM % 2))"
is "$(raw "$T/tty")" 0 "terminal, --diff: no C1 or bidi control raw"
# Error text and the summary: a prompt quoted in the error (t0390's kind),
# kept escaped from the moment it is recorded, whatever the output is.
run_shoal -F "$T/ssh_config" -w h01 -T -- 'printf "\342\200\256Password: "; read x'
is "$(raw "$T/err")" 0 "error text and summary: no bidi control raw"
like "$(cat "$T/err")" '\\xe2\\x80\\xaePassword: ' "the prompt is quoted, escaped"

run_shoal -F "$T/ssh_config" -w bigexit --json -- true
is "$(jq -r .exit_code "$T/out")" 4294967295 "--json: exit status 4294967295 as sent"
like "$(jq -r .error "$T/out")" "exited with status 4294967295" "the error says 4294967295"
run_shoal -F "$T/ssh_config" -w bigexit -- true
like "$(cat "$T/err")" "exited with status 4294967295" "so does the plain summary line"
done_testing
