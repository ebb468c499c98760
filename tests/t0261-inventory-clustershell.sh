#!/usr/bin/env bash
# t0261: ClusterShell node groups loaded by --inventory clustershell[:PATH]
# as clush and nodeset find them: groups.conf at clush's locations
# ($CLUSTERSHELL_CFGDIR here), [Main] default/confdir/autodir, upcall
# sources (map, list; grouped sections a,b; $GROUP $SOURCE $CFGDIR), YAML
# sources in groups.d with groups naming groups, @SOURCE:GROUP.  Every
# group of every source expands to what nodeset itself expands it to.
# What shoal does not support fails loudly at file:line.
. "$(dirname "$0")/lib.sh"

command -v nodeset >/dev/null || skip_all "no nodeset (apt-get install clustershell)"
export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc CLUSTERSHELL_CFGDIR=$T/cs
unset XDG_CONFIG_HOME
mkdir -p "$HOME" "$SHOAL_SYSCONFDIR" "$T/cs/groups.d" "$T/cs/groups.conf.d"

cat >"$T/cs/groups.conf" <<'CONF'
# groups.conf as the ClusterShell documentation lays it out
[Main]
default: cluster
confdir: $CFGDIR/groups.conf.d
autodir: $CFGDIR/groups.d

[local]
map: sed -n 's/^$GROUP:\(.*\)/\1/p' $CFGDIR/local.cfg
list: sed -n 's/^\([0-9A-Za-z_-]*\):.*/\1/p' $CFGDIR/local.cfg
CONF
cat >"$T/cs/local.cfg" <<'CFG'
adm: mgmt[1-2]
io: io[01-04]
CFG
cat >"$T/cs/groups.d/cluster.yaml" <<'YAML'
# two sources in one file
cluster:
    compute: 'node[0001-0008]'
    gpu: 'gpu[1-4],node0008'
    login: login1 login2
    spaced: 'node0001 node0002   gpu1'
    everything: '@compute,@gpu,@login'
rack:
    r1: 'node[0001-0004]'
    r2: 'node[0005-0008],@cluster:gpu'
    mixed: 'n[1-2]-ib[0-1]'
YAML
cat >"$T/cs/groups.conf.d/site.conf" <<'CONF'
# a confdir file: group sources only; a grouped section is two sources
[site,site2]
map: echo "s-$SOURCE-$GROUP[1-2]"
list: echo alpha beta
CONF

expand() { tr ' ,' '\n\n' | sed '/^$/d' | sed 's/^.*@//; s/:[0-9]*$//' | sort -u | tr '\n' ' '; }

want= got=
for src in $(nodeset --groupsources | sed 's/ (default)//'); do
    for g in $(nodeset -s "$src" -l | sed 's/^@//; s/^[^:]*://'); do
        want+="@$src:$g: $(nodeset -s "$src" -e "@$g" | expand)"$'\n'
        run_shoal --inventory clustershell --list -w "@$src:$g"
        got+="@$src:$g: $(expand <"$T/out")"$'\n'
    done
done
[ -n "$want" ] || BAIL_OUT "nodeset listed no groups"
like "$want" "@rack:r2: " "nodeset sees the test's sources"
is "$got" "$want" "every group of every source expands as nodeset expands it"

run_shoal --inventory clustershell --list -w @everything,@local:adm
is "$(expand <"$T/out")" "$(nodeset -e @everything,@local:adm | expand)" "@GROUP alone is the default source's, as nodeset's"
run_shoal --inventory "clustershell:$T/cs" --list -w @r1
is "$RC" 2 "a group of another source needs @SOURCE:"
like "$(cat "$T/err")" "^shoal: -w: unknown group '@r1'" "...and says the group is unknown"
run_shoal --inventory "clustershell:$T/cs/groups.d/cluster.yaml" --list -g rack:mixed
is "$(expand <"$T/out")" "$(nodeset -s rack -e @mixed | expand)" "one groups.d YAML file alone; two ranges in a name"
run_shoal --inventory "$T/cs" --list-groups
like "$(cat "$T/out")" "site2:beta: s-site2-beta\\[1-2\\]" "--list-groups lists upcall sources through their list command"
is "$RC" 0 "--list-groups exits 0"

# clush's user location: ~/.config/clustershell
mkdir -p "$HOME/.config/clustershell"
printf '[Main]\ndefault: mine\n[mine]\nmap: echo u-$GROUP\n' >"$HOME/.config/clustershell/groups.conf"
unset CLUSTERSHELL_CFGDIR
run_shoal --inventory clustershell --list -w @x1
is "$(cat "$T/out")" "u-x1" "~/.config/clustershell/groups.conf is read as clush reads it"
is "$(nodeset -e @x1)" "u-x1" "...and nodeset agrees"
export CLUSTERSHELL_CFGDIR=$T/cs

bad() { # FILE CONTENT WANT-ERE ARGS
    mkdir -p "$T/bad"
    printf '%s\n' "$2" >"$T/bad/$1"
    local want=$3
    shift 3
    run_shoal "$@" -- true
    is "$RC" 2 "exit 2: $want"
    like "$(cat "$T/err")" "$want" "message: $want"
    is "$(cat "$T/out")" "" "nothing ran: $want"
}
bad ops.yaml $'src:\n  a: "n[1-4]"\n  b: "n[1-4]!n2"' "^shoal: --inventory: $T/bad/ops.yaml:3: 'n\\[1-4\\]!n2': the nodeset operator '!' is not supported" --inventory "clustershell:$T/bad/ops.yaml" -w x
bad step.yaml $'src:\n  a: "n[1-9/2]"' "^shoal: --inventory: $T/bad/step.yaml:2: .*operator '/' is not supported" --inventory "clustershell:$T/bad/step.yaml" -w x
bad groups.conf $'[Main]\ndefault: nosuch\n[s]\nmap: echo a' "^shoal: --inventory: $T/bad/groups.conf:2: default group source not found: 'nosuch'" --inventory "clustershell:$T/bad" -w x
bad groups.conf $'[Main]\n[s]\nlist: echo a' "^shoal: --inventory: $T/bad/groups.conf:3: group source \\[s\\] has no map command" --inventory "clustershell:$T/bad" -w x
bad groups.conf $'[Main]\n[s]\nmap: exit 4' "^shoal: $T/bad/groups.conf:3: group 's:g': the command exited with status 4" --inventory "clustershell:$T/bad" -w @s:g
bad groups.conf $'[Main]\n[s]\nmap: true' "^shoal: -w: unknown group '@s:g' \\(source 's': its map command printed no hosts\\)" --inventory "clustershell:$T/bad" -w @s:g
bad groups.conf $'[Main]\n[s;touch x]\nmap: echo a' "^shoal: --inventory: $T/bad/groups.conf:3: bad group source name 's;touch x'" --inventory "clustershell:$T/bad" -w x
mkdir -p "$T/bad dir"
printf '[Main]\n[s]\nmap: cat $CFGDIR/g\n' >"$T/bad dir/groups.conf"
run_shoal --inventory "clustershell:$T/bad dir" -w @s:g -- true
like "$(cat "$T/err")" "^shoal: --inventory: $T/bad dir/groups.conf:3: \\\$CFGDIR '$T/bad dir' holds characters a shell would read" "a \$CFGDIR a shell would split is refused, not run"
is "$RC" 2 "...exit 2"
run_shoal --inventory "clustershell:$T/cs" --list -w @nosrc:g
like "$(cat "$T/err")" "^shoal: -w: unknown group source in '@nosrc:g'" "an unknown source is named as such"
done_testing
