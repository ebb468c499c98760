#!/usr/bin/env bash
# t0263: pssh host files (`[user@]host[:port] [user]`, comments anywhere)
# loaded by --inventory as pssh's own reader (psshlib) reads them; and how
# --inventory tells formats: by content, or FORMAT:FILE, refusing a file two
# formats could read and an unknown FORMAT, always before anything runs.
. "$(dirname "$0")/lib.sh"

export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc
mkdir -p "$HOME" "$SHOAL_SYSCONFDIR"

cat >"$T/hosts.txt" <<'P'
# pssh hosts file
web1
web2:2222
web3 deploy        # a trailing comment
ops@web4:2200
   web5:2201   admin

10.0.0.7
P

# pssh's own reading of the file, as shoal prints user@host:port.
if /usr/bin/python3 -c 'import psshlib.psshutil' 2>/dev/null; then
    want=$(/usr/bin/python3 -c '
import sys, psshlib.psshutil as p
for host, port, user in p.read_host_files([sys.argv[1]], None):
    print((user + "@" if user else "") + host + (":" + port if port else ""))' "$T/hosts.txt")
    run_shoal --inventory "pssh:$T/hosts.txt" --list -g all
    is "$(cat "$T/out")" "$want" "every line as pssh's own reader reads it: host, port, user"
else
    skip "no psshlib (apt-get install pssh)"
fi
run_shoal --inventory "$T/hosts.txt" --list -w @pssh:all -x web2
is "$(tr '\n' ' ' <"$T/out")" "web1 deploy@web3 ops@web4:2200 admin@web5:2201 10.0.0.7 " "told by content (a port or user@ on a line); @pssh:all; -x"

bad() { # CONTENT WANT-ERE [SPEC-PREFIX]
    printf '%s\n' "$1" >"$T/bad.txt"
    run_shoal --inventory "${3:-}$T/bad.txt" -w x -- true
    is "$RC" 2 "exit 2: $2"
    like "$(cat "$T/err")" "$2" "message: $2"
    is "$(cat "$T/out")" "" "nothing ran: $2"
}
bad $'h1:22\nh2 a b' "^shoal: --inventory: $T/bad.txt:2: expected 'HOST\\[:PORT\\] \\[USER\\]' \\(pssh\\), found a third field 'b'" pssh:
bad $'u@h1 u2' "^shoal: --inventory: $T/bad.txt:1: the user is given twice" pssh:
bad $'h1:99999' "^shoal: --inventory: $T/bad.txt:1: bad port '99999'" pssh:
bad $'h1\nh2' "^shoal: --inventory: $T/bad.txt: cannot tell its format \\(name it: ansible:, clustershell:, genders: or pssh:"
bad $'h1 a=b,c\nh2:22 u' "cannot tell its format"
run_shoal --inventory "nosuch:$T/hosts.txt" -w x -- true
like "$(cat "$T/err")" "^shoal: --inventory: 'nosuch:$T/hosts.txt': unknown format 'nosuch' \\(ansible, clustershell, genders, pssh\\)" "an unknown FORMAT: names the formats"
is "$RC" 2 "...exit 2"

# Content sniffing: each format's own shape goes to its reader.
printf '[web]\nw1\n' >"$T/a.ini"
printf 'all:\n  hosts:\n    y1:\n' >"$T/a.yml"
printf 'src:\n  g: c[1-2]\n' >"$T/c.yaml"
printf 'n1 compute,rack=a\n' >"$T/genders"
run_shoal --inventory "$T/a.ini" --inventory "$T/a.yml" --inventory "$T/c.yaml" --inventory "$T/genders" --list -w @web,@ansible:all,@src:g,@rack=a
is "$(tr '\n' ' ' <"$T/out")" "w1 y1 c1 c2 n1 " "INI, Ansible YAML, ClusterShell YAML and genders told apart; two inventories of one format merge (@ansible:all)"
done_testing
