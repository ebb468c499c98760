#!/usr/bin/env bash
# t0260: Ansible inventories, INI and YAML, loaded by --inventory as Ansible
# itself reads them: for every group, the hosts shoal lists (children
# included, ranges [01:50], [a:f], [1:9:2], host:port) are the ones
# ansible-inventory --list gives, and every host's ansible_user and
# ansible_port (host over child group over parent over all) are the ones
# ansible-inventory computes; ansible_host is what ssh_config is evaluated
# for (-G).  Bad inventories stop with exit 2 at file:line, before anything.
. "$(dirname "$0")/lib.sh"

command -v ansible-inventory >/dev/null || skip_all "no ansible-inventory (apt-get install ansible-core)"
export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc ANSIBLE_LOCAL_TEMP=$T/ansible-tmp
mkdir -p "$HOME" "$SHOAL_SYSCONFDIR" "$ANSIBLE_LOCAL_TEMP"

cat >"$T/hosts.ini" <<'INI'
# the shapes of Ansible's own inventory documentation
mail.example.com
jumper ansible_port=5555 ansible_host=192.0.2.50

[webservers]
www[01:03].example.com
bar.example.com:2222   ansible_user=deploy   # an inline comment
foo.example.com ansible_user="webadmin"

[dbservers]
db-[a:c].example.com
db[01:09:4].example.com ansible_host=127.0.0.1

[atlanta]
host1 ansible_port=2201
host2

[atlanta:vars]
ansible_user=atl
ansible_port=2200

[southeast:children]
atlanta
raleigh

[raleigh]
host2
host3

[southeast:vars]
ansible_user = se
ansible_ssh_host=10.0.0.9

[usa:children]
southeast

[usa:vars]
ansible_port=2300

[all:vars]
ansible_user=everyone

; a comment of the other kind
[empty]
INI

cat >"$T/inv.yaml" <<'YAML'
---
# the YAML shape of the same documentation
all:
  hosts:
    mail.example.com:
  vars:
    ansible_user: everyone
  children:
    webservers:
      hosts:
        www[01:03].example.com:
        bar.example.com:2222:
          ansible_user: deploy
    dbservers:
      hosts:
        db-[a:c].example.com:
        db[01:09:4].example.com: {ansible_host: 127.0.0.1}
      vars:
        ansible_port: 2022
    southeast:
      vars:
        ansible_user: se
      children:
        atlanta:
          hosts:
            host1:
              ansible_port: 2201
            host2:
          vars:
            ansible_user: atl
        raleigh:
          hosts:
            host2:
            host3:
    empty:
YAML

# ansible-inventory's view: per group, its hosts and its children's, sorted.
ansible_groups() {
    ansible-inventory -i "$1" --list 2>"$T/ansible.err" | jq -r '
        . as $inv
        | def members($g): (($inv[$g].hosts // []) + ([($inv[$g].children // [])[] | members(.)] | add // []));
        keys[] | select(. != "_meta") | "\(.): \(members(.) | unique | join(" "))"'
}
# ... and per host user@name:port as shoal lists it.
ansible_logins() {
    ansible-inventory -i "$1" --list 2>/dev/null | jq -r '._meta.hostvars | to_entries[] |
        "\(if .value.ansible_user then "\(.value.ansible_user)@" else "" end)\(.key)\(if .value.ansible_port then ":\(.value.ansible_port)" else "" end)"' | sort
}
names() { sed 's/^.*@//; s/:[0-9]*$//' | sort -u | tr '\n' ' ' | sed 's/ $//'; }

for inv in hosts.ini inv.yaml; do
    want=$(ansible_groups "$T/$inv")
    [ -n "$want" ] || BAIL_OUT "ansible-inventory listed nothing for $inv: $(cat "$T/ansible.err")"
    got=
    while IFS= read -r line; do
        g=${line%%:*}
        run_shoal --inventory "$T/$inv" --list -g "ansible:$g"
        if [ "$RC" = 0 ]; then
            got+="$g: $(names <"$T/out")"$'\n'
        elif grep -q "the host list is empty" "$T/err"; then
            got+="$g: "$'\n'
        else
            got+="$g: ERROR $(cat "$T/err")"$'\n'
        fi
    done <<<"$want"
    is "$got" "$want"$'\n' "$inv: every group's hosts (children, ranges, all, ungrouped) as ansible-inventory's"

    run_shoal --inventory "$T/$inv" --list -g all
    is "$(sort "$T/out")" "$(ansible_logins "$T/$inv")" "$inv: each host's ansible_user and ansible_port as Ansible's precedence gives them"
done

# INI quirks: a :vars value keeps the rest of its line ('#' too, quotes
# dropped), a host line is split as a shell would (backslash, quotes).
printf '[x]\nh1\n[x:vars]\nansible_user=se # not a comment\nansible_port = 22 \n[y]\nh2 ansible_user=a\\ b ansible_port="2022"\n[z:vars]\nansible_user="quoted"\n[z]\nh3\n' >"$T/quirks.ini"
run_shoal --inventory "$T/quirks.ini" --list -g all
is "$(sort "$T/out")" "$(ansible_logins "$T/quirks.ini")" "INI quirks read as Ansible reads them"

# 40 levels of diamonds (every group reached by 2^n paths) load at once.
for i in $(seq 0 39); do printf '[d%d:children]\nd%da\nd%db\n[d%da:children]\nd%d\n[d%db:children]\nd%d\n' $i $((i+1)) $((i+1)) $((i+1)) $((i+1)) $((i+1)) $((i+1)); done >"$T/diamond.ini"
printf '[d40]\nh1 ansible_port=9\n[d40:vars]\nansible_user=deep\n[d0:vars]\nansible_user=top\n' >>"$T/diamond.ini"
SHOAL_TIMEOUT=10 run_shoal --inventory "$T/diamond.ini" --list -g d0
is "$(cat "$T/out")" "deep@h1:9" "a deep diamond of children loads at once; the deepest group's value wins"

# ansible_host: the name ssh is given, as Ansible gives it to ssh (-G shows it).
run_shoal --inventory "ansible:$T/hosts.ini" -F none -G -w db05.example.com,host3,jumper
is "$(grep -E '^hostname ' "$T/out" | tr '\n' ' ')" "hostname 127.0.0.1 hostname 10.0.0.9 hostname 192.0.2.50 " "ansible_host (and ansible_ssh_host) is the address connected to"
is "$(grep -E '^port ' "$T/out" | tr '\n' ' ')" "port 22 port 2300 port 5555 " "-G's port: the inventory's"

# A host named by -w gets the inventory's values too; user@ written wins.
run_shoal --inventory "$T/hosts.ini" --list -w host1,root@jumper,other -l cli -p 2
is "$(tr '\n' ' ' <"$T/out")" "atl@host1:2201 root@jumper:5555 other " "a host named by -w has the inventory's values; user@ written wins; -l/-p are for hosts it does not know"
run_shoal --inventory "$T/hosts.ini" --list -w host2,@atlanta
is "$(tr '\n' ' ' <"$T/out")" "atl@host2:2200 atl@host1:2201 " "...and is one host with the group's"

run_shoal --inventory "$T/hosts.ini" --list -w root@host1,host1,host2 -x host1
is "$(tr '\n' ' ' <"$T/out")" "atl@host2:2200 " "-x NAME drops every login of an inventory's host"

# --list-groups shows what was loaded, as SOURCE:GROUP.
run_shoal --inventory "$T/hosts.ini" --list-groups
is "$(grep -cFx 'ansible:dbservers: everyone@db-a.example.com,everyone@db-b.example.com,everyone@db-c.example.com,everyone@db[01,05,09].example.com' "$T/out")" 1 "--list-groups: the inventory's groups, folded, with their logins"
is "$RC" 0 "--list-groups exits 0"

# Two inventories: both sources' groups; shoal's groups file first for @NAME.
mkdir -p "$HOME/.config/shoal"
printf 'webservers: mine[1-2]\n' >"$HOME/.config/shoal/groups"
run_shoal --inventory "$T/hosts.ini" --list -w @webservers
is "$(tr '\n' ' ' <"$T/out")" "mine1 mine2 " "@NAME is shoal's own group first"
run_shoal --inventory "$T/hosts.ini" --list -w @ansible:webservers -x www02.example.com
is "$(names <"$T/out")" "bar.example.com foo.example.com www01.example.com www03.example.com" "@ansible:NAME is the inventory's; -x drops its hosts"
rm "$HOME/.config/shoal/groups"

# Bad inventories: exit 2, file:line, nothing run.
bad() { # NAME CONTENT WANT-ERE
    printf '%s\n' "$2" >"$T/$1"
    run_shoal --inventory "$T/$1" -w x -- true
    is "$RC" 2 "exit 2: $3"
    like "$(cat "$T/err")" "$3" "message: $3"
    is "$(cat "$T/out")" "" "nothing ran: $3"
}
bad b1.ini $'[web]\nw1\n[web:hostz]' "^shoal: --inventory: $T/b1.ini:3: section \\[web:hostz\\] has unknown type"
bad b2.ini $'[web]\nw1\n[db:vars]\nansible_user=x' "^shoal: --inventory: $T/b2.ini:3: \\[db:vars\\] for a group never defined"
bad b3.ini $'[web]\nw1 ansible_port=99999' "^shoal: --inventory: $T/b3.ini:2: ansible_port: bad port '99999'"
bad b4.ini $'[web]\nw1 ansible_user="{{ lookup(\'env\',\'USER\') }}"' "^shoal: --inventory: $T/b4.ini:2: ansible_user is a Jinja template"
bad b5.ini $'[web]\nw[5:1]' "^shoal: --inventory: $T/b5.ini:2: range 'w\\[5:1\\]' runs backwards"
bad b6.ini $'[web]\nw[01:100]' "^shoal: --inventory: $T/b6.ini:2: range 'w\\[01:100\\]' has a zero-padded start"
bad b7.yaml $'all:\n  children:\n    web:\n      hostz:\n        w1:' "^shoal: --inventory: $T/b7.yaml:4: unexpected key in a group"
bad b8.yaml $'all:\n  hosts:\n    w1: [\n' "^shoal: --inventory: $T/b8.yaml:[0-9]+: YAML: "
bad b10.ini $'[web]\nw1 ansible_host="x;touch /tmp/pwned"' "^shoal: --inventory: $T/b10.ini:2: ansible_host 'x;touch /tmp/pwned' holds characters ssh refuses in a host name"
bad b11.yaml $'all:\n  vars:\n    ansible_user: "$(id)"\n  hosts:\n    w1:' "^shoal: --inventory: $T/b11.yaml:3: ansible_user '\\\$\\(id\\)' holds characters ssh refuses in a user name"
bad b9.ini $'[a:children]\nb\n[b:children]\na' "^shoal: --inventory: .*children loop"
run_shoal --inventory "$T/nosuch.ini" -w x -- true
like "$(cat "$T/err")" "^shoal: --inventory: $T/nosuch.ini: No such file" "a missing inventory is an error"
run_shoal --inventory "yaml:$T/inv.yaml" -w x -- true
like "$(cat "$T/err")" "unknown format 'yaml'" "an unknown FORMAT: is an error"
done_testing
