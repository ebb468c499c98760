#!/usr/bin/env bash
# t0271: a peer's letter that means something else in shoal never silently
# does the wrong thing: pssh's `-h FILE` is refused naming -H FILE; an
# option whose argument is an option (pssh's `-i -h`, `-i --`, clush's
# `-o "-p 2022"`) is refused naming what it wants; pdsh's `-w ^file` and
# `-w host,-host` point to -H and -x; pssh's `-H NAME` that is no file points
# to -w.  `shoal` alone prints a short usage.  hostkey_changed names the
# ssh-keygen -R line that clears it, the very line ssh prints (for
# [host]:port and a HostKeyAlias).
. "$(dirname "$0")/lib.sh"

# ---- usage errors, before anything runs ----------------------------------------
cd "$T" || BAIL_OUT "cd $T"
run_shoal
is "$RC" 2 "shoal alone: exit 2"
like "$(head -n 1 "$T/err")" '^Usage: shoal \[OPTIONS\] \[--\] COMMAND' "shoal alone: the usage lines"
cmp_ok "$(wc -l <"$T/err")" -le 8 "shoal alone: a short usage, not the whole --help"
like "$(cat "$T/err")" "Try 'shoal --help'" "shoal alone: points to --help"

printf 'h1\n' >"$T/hosts"
run_shoal -h "$T/hosts" uptime
is "$RC" 2 "-h FILE COMMAND (pssh): exit 2, nothing run"
like "$(cat "$T/err")" '^shoal: -h is help here .*-H FILE' "-h with arguments names -H FILE"
is "$(cat "$T/out")" "" "-h with arguments prints no help on stdout"
run_shoal -h
is "$RC" 0 "-h alone is still the help"
like "$(cat "$T/out")" '^Usage: shoal' "-h alone: the help"

run_shoal -i -h "$T/hosts" uptime
is "$RC" 2 "-i -h (pssh's -i): exit 2"
like "$(cat "$T/err")" "^shoal: -i needs an argument \(FILE\), not the option '-h' .*--inline" \
    "-i followed by an option says -i wants a FILE, and names --inline"
run_shoal -w h1 -i -- uptime
is "$RC" 2 "-i --: exit 2"
like "$(cat "$T/err")" "^shoal: -i needs an argument \(FILE\), not the option '--'" "-i -- is refused"
run_shoal -w h1 -o '-p 2022' uptime
is "$RC" 2 "-o '-p 2022' (clush's ssh options): exit 2"
like "$(cat "$T/err")" "^shoal: -o needs an argument \(DIR\), not the option '-p 2022'" "-o with ssh options is refused"
[ ! -e "$T/-p 2022" ]
ok $? "and no directory '-p 2022' was made"
run_shoal -w h1 --user --port uptime
is "$RC" 2 "--user --port: exit 2"
like "$(cat "$T/err")" "^shoal: -l needs an argument \(USER\), not the option '--port'" "a long option as the argument too"
run_shoal -w 'a-web1,web2' --filter -web --list
is "$RC:$(cat "$T/out")" "0:a-web1" "--filter's pattern may begin with a dash"
run_shoal -w h1 --output-dir=-p --list
is "$RC" 0 "--opt=-x is explicit: taken as the argument"
SHOAL_STDIN=$T/hosts run_shoal -w - --list
is "$(cat "$T/out")" "h1" "-w - (stdin) is still an argument"

run_shoal -w "^$T/hosts" --list
is "$RC" 2 "-w ^file (pdsh): exit 2"
like "$(cat "$T/err")" "a file of hosts is -H $T/hosts here \(pdsh's \^FILE\)" "-w ^file points to -H file"
run_shoal -w 'web1,web2,-web2' --list
is "$RC" 2 "-w host,-host (pdsh): exit 2"
like "$(cat "$T/err")" "to drop hosts as pdsh's '-host' does, use -x web2" "-w host,-host points to -x"
run_shoal -H web1 --list
is "$RC" 2 "-H NAME that is no file (pssh): exit 2"
like "$(cat "$T/err")" '^shoal: -H web1: no such file \(to name a host, use -w web1' "-H NAME points to -w"
run_shoal -H "$T/hosts" --list
is "$(cat "$T/out")" "h1" "-H FILE still reads the file"

# ---- hostkey_changed: the line that clears it, as ssh prints it -------------------
lab_user
lab_keys
start_sshd main
ssh-keygen -q -t ed25519 -N '' -f "$T/otherkey"
echo "[127.0.0.1]:$SSHD_PORT_MAIN $(cut -d' ' -f1,2 "$T/otherkey.pub")" >"$T/known_hosts"
echo "kalias $(cut -d' ' -f1,2 "$T/otherkey.pub")" >>"$T/known_hosts"
add_alias "$T/ssh_config" h1 "$SSHD_PORT_MAIN"
add_alias "$T/ssh_config" h2 "$SSHD_PORT_MAIN" "" "HostKeyAlias kalias"
for alias in h1 h2; do
    run_shoal -F "$T/ssh_config" -w "$alias" -- true
    is "$RC" 3 "$alias: a changed host key: exit 3"
    mine=$(grep -o 'ssh-keygen -f "[^"]*" -R "[^"]*"' "$T/err")
    theirs=$(env -u SSH_AUTH_SOCK ssh -F "$T/ssh_config" -o BatchMode=yes "$alias" true 2>&1 </dev/null |
        grep -o 'ssh-keygen -f "[^"]*" -R "[^"]*"')
    isnt "$mine" "" "$alias: hostkey_changed names an ssh-keygen -R line"
    is "$mine" "$theirs" "$alias: the very line ssh prints ($theirs)"
done
like "$(cat "$T/err")" '-R "kalias"' "with HostKeyAlias: the alias, no port"
done_testing
