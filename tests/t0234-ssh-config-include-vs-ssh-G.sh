#!/usr/bin/env bash
# t0234: Include as ssh reads it, compared with the installed ssh -G on the
# cases OpenSSH's own include regress covers (written anew here): an Include
# inside a Host or Match block, before or after a value of the block; a
# Match all in an included file; a Host or Match line in an included file
# that does not reach back into the parent; a glob with no file; an error in
# an included file refused for every host; an Include of itself bounded.
. "$(dirname "$0")/lib.sh"

command -v ssh >/dev/null || skip_all "no OpenSSH client to compare with"
D=$T/inc
mkdir -p "$D"
cat >"$D/top.conf" <<EOF
Match host alpha
    HostName alpha-top
Match host bravo
    HostName bravo-top
    Include $D/part.*
Match host charlie
    Include $D/part.*
    HostName charlie-top
Match host mike
    Include $D/part.*
Host delta
    HostName delta-top
Host echo
    HostName echo-top
    Include $D/part.*
Host foxtrot
    Include $D/part.*
    HostName foxtrot-top
Host november
    Include $D/part.*
EOF
printf 'Match host nothing-matches-this\n' >"$D/part.0"
printf 'Match host alpha\n  HostName alpha-1\nMatch host bravo\n  HostName bravo-1\nMatch host charlie\n  HostName charlie-1\nHost delta\n  HostName delta-1\nHost echo\n  HostName echo-1\nHost foxtrot\n  HostName foxtrot-1\n' >"$D/part.1"
printf 'Match host charlie\n  HostName charlie-2\nHost foxtrot\n  HostName foxtrot-2\nMatch all\n  HostName all-2\n' >"$D/part.2"
chmod 600 "$D"/*

n=0 bad=0
compare() { # compare CONFIG HOST...: the hostname ssh -G and shoal -G give
    local cfg=$1 h want got
    shift
    for h in "$@"; do
        want=$(ssh -G -F "$cfg" "$h" 2>/dev/null | awk '$1 == "hostname" { print $2 }')
        got=$("$SHOAL" -G -F "$cfg" -w "$h" 2>/dev/null | awk '$1 == "hostname" { print $2 }')
        n=$((n + 1))
        [ "$got" = "$want" ] || { bad=$((bad + 1)); diag "$cfg $h: shoal '$got' ssh '$want'"; }
    done
}
compare "$D/top.conf" alpha bravo charlie delta echo foxtrot mike november xray
is "$bad" 0 "Include in Host and Match blocks, before and after a value: the HostName ssh gives"

# an error in an included file: refused whichever host is asked for
printf 'HostName whatever\n    NotAKeyword yes\n' >"$D/part.3"
chmod 600 "$D/part.3"
for h in alpha xray; do
    ssh -G -F "$D/top.conf" "$h" >/dev/null 2>&1
    src=$?
    run_shoal -G -F "$D/top.conf" -w "$h"
    n=$((n + 1))
    isnt "$src" 0 "ssh refuses a bad line in an included file ($h)"
    is "$RC" 2 "shoal refuses it too ($h), exit 2"
done
rm -f "$D"/part.*

# a glob that names no file is no error; Host/Match of an included file stay in it
printf 'Include %s/gone.*\nHostName top-value\n' "$D" >"$D/top2.conf"
compare "$D/top2.conf" alpha
printf 'Match host xray\n' >"$D/gone.x"
chmod 600 "$D/gone.x"
compare "$D/top2.conf" alpha xray
printf 'Host xray\n' >"$D/gone.x"
compare "$D/top2.conf" alpha xray
is "$bad" 0 "a missing include, and Host/Match in an included file, as ssh"

# an Include of itself ends, with an error, for both
printf 'Include %s/self.conf\n' "$D" >"$D/self.conf"
chmod 600 "$D"/*.conf
ssh -G -F "$D/self.conf" alpha >/dev/null 2>&1
isnt "$?" 0 "ssh refuses an Include of itself"
run_shoal -G -F "$D/self.conf" -w alpha
is "$RC" 2 "shoal too, exit 2 (no hang)"
diag "compared $n cases"
done_testing
