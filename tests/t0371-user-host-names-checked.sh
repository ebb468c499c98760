#!/usr/bin/env bash
# t0371: user and host names from the command line are checked by
# OpenSSH's rule (its fix for CVE-2023-51385) before ssh_config's % tokens
# can hand them to a shell (issue 23).  `-l 'x;touch P;'` with `Match exec
# "... %r ..."` ran the command through /bin/sh, even under -G.  For every
# name here, shoal refuses (exit 2, ssh's message) exactly the ones the
# installed ssh refuses, and accepts the others with the same `user` line
# in -G as ssh -G; the Match exec command never sees a refused name, and a
# run (not only -G) stops before any connection.
. "$(dirname "$0")/lib.sh"

P=$T/pwned
printf 'Match exec "echo %%r >>%s/ran"\n' "$T" >"$T/ssh_config"

bad_users=("x;touch $P;" "-oProxyCommand=touch $P" "a -b" 'a\' $'a\tb' 'a`id`' 'a|b' "a'b"
    'a"b' 'a(b' 'a{b' 'a&b' 'a<b')
good_users=('a b' 'a\b' 'a$b' 'a,b' 'DOM\u' 'a-b' 'deploy')

for u in "${bad_users[@]}"; do
    shown=$(printf '%q' "$u")
    : >"$T/ran"
    ssh -G -F "$T/ssh_config" -l "$u" h </dev/null >/dev/null 2>"$T/ssh.err"
    ssh_rc=$?
    like "$(cat "$T/ssh.err")" "remote username contains invalid characters" \
        "-l $shown: ssh refuses it"
    isnt "$ssh_rc" 0 "-l $shown: ssh exits non-zero"
    run_shoal -G -F "$T/ssh_config" -l "$u" -w h
    is "$RC" 2 "-l $shown: shoal -G exits 2"
    like "$(cat "$T/err")" "-l (\\(user\\): remote username contains invalid characters|needs an argument \\(USER\\), not the option)" \
        "-l $shown: ssh's message, naming -l"
    is "$(cat "$T/ran")" "" "-l $shown: Match exec did not run"
done
ok "$([ ! -e "$P" ] && echo 0 || echo 1)" "no injected command ran"

for u in "${good_users[@]}"; do
    shown=$(printf '%q' "$u")
    : >"$T/ran"
    want=$(ssh -G -F "$T/ssh_config" -l "$u" h </dev/null 2>/dev/null | grep '^user ')
    ssh_ran=$(cat "$T/ran")
    : >"$T/ran"
    run_shoal -G -F "$T/ssh_config" -l "$u" -w h
    is "$RC" 0 "-l $shown: accepted, as ssh accepts it"
    is "$(grep '^user ' "$T/out")" "$want" "-l $shown: -G's user line is ssh -G's"
    is "$(cat "$T/ran")" "$ssh_ran" "-l $shown: Match exec saw %r as ssh's did"
done

# user@ in a host item: a leading '-' (the hostlist grammar refuses the rest).
: >"$T/ran"
ssh -G -F "$T/ssh_config" -- '-oops@h' </dev/null >/dev/null 2>"$T/ssh.err"
like "$(cat "$T/ssh.err")" "remote username contains invalid characters" "-oops@h: ssh refuses it"
run_shoal -G -F "$T/ssh_config" -w '-oops@h'
is "$RC" 2 "-oops@h: shoal exits 2"
like "$(cat "$T/err")" "(host '-oops@h': remote username contains invalid characters|-w needs an argument \\(EXPR\\), not the option)" \
    "-oops@h: ssh's message, naming the item"
is "$(cat "$T/ran")" "" "-oops@h: Match exec did not run"
printf '%s\n' '-oops@h' >"$T/hosts"
run_shoal -G -F "$T/ssh_config" -H "$T/hosts"
is "$RC" 2 "-oops@h from a host file: exit 2"

# -J hops: ssh checks -J's names.
for hop in 'x;y@h' 'a;b' '-x@h' 'a$b'; do
    ssh -G -F "$T/ssh_config" -J "$hop" h </dev/null >/dev/null 2>"$T/ssh.err"
    isnt "$?" 0 "-J $hop: ssh refuses it"
    run_shoal -G -F "$T/ssh_config" -J "$hop" -w h
    is "$RC" 2 "-J $hop: shoal exits 2"
    like "$(cat "$T/err")" "-J(: (remote username|hostname) contains invalid characters| needs an argument .*, not the option)" \
        "-J $hop: ssh's message"
done

# A run stops before anything connects (no server is even needed).
: >"$T/ran"
run_shoal -F "$T/ssh_config" -l "x;touch $P;" -w h -- true
is "$RC" 2 "a run with a bad -l exits 2"
is "$(cat "$T/ran")" "" "a run with a bad -l: Match exec did not run"
ok "$([ ! -e "$P" ] && echo 0 || echo 1)" "still no injected command ran"

done_testing
