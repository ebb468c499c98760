#!/usr/bin/env bash
# t0270: peers' output letters, checked against the peers themselves on the
# same lab hosts: -N drops the host prefix as pdsh -N does; -S exits with
# the largest remote exit status as pdsh -S does (255 for a host not
# reached); -L writes every host's lines in host order at the end, as
# clush -L does, while the default writes them as they come; -L and -N are
# refused, naming why, where they mean nothing (-b, --json).
. "$(dirname "$0")/lib.sh"

lab_fleet h 2
# A second server tells hosts apart: a01 (on it) is slow and exits 7.
start_sshd other
add_alias "$T/ssh_config" a01 "$SSHD_PORT_OTHER"
trust_host_keys "$SSHD_PORT_OTHER"
add_alias "$T/ssh_config" dead "$(free_port)"
cmd='case "$SSH_CONNECTION" in *" '"$SSHD_PORT_OTHER"'") sleep 1; echo slow; echo two; exit 7;; esac; echo fast; exit 3'

# pdsh and clush run ssh with the lab's ssh_config.
export PDSH_SSH_ARGS="-F $T/ssh_config -oBatchMode=yes %h"
export PDSH_RCMD_TYPE=ssh
peer() { env -u SSH_AUTH_SOCK timeout 60 "$@" </dev/null; }

# ---- -N -----------------------------------------------------------------------
run_shoal -F "$T/ssh_config" -N -w 'a01,h01,h02' -- "$cmd"
sort "$T/out" >"$T/shoal.N"
peer pdsh -N -w 'a01,h01,h02' "$cmd" 2>/dev/null | sort >"$T/pdsh.N"
is "$(cat "$T/shoal.N")" "$(printf 'fast\nfast\nslow\ntwo')" "-N: the lines without 'HOST: '"
is "$(cat "$T/shoal.N")" "$(cat "$T/pdsh.N")" "-N: the same lines as pdsh -N"

# ---- -S -----------------------------------------------------------------------
run_shoal -F "$T/ssh_config" -w 'a01,h01,h02' -- "$cmd"
is "$RC" 1 "without -S: 1 (a command failed)"
run_shoal -F "$T/ssh_config" -S -w 'a01,h01,h02' -- "$cmd"
is "$RC" 7 "-S: the largest remote exit status, 7"
peer pdsh -S -w 'a01,h01,h02' "$cmd" >/dev/null 2>&1
is "$RC" "$?" "-S: as pdsh -S"
run_shoal -F "$T/ssh_config" -S -w 'h01,h02' -- true
is "$RC" 0 "-S: 0 when every command exits 0"
run_shoal -F "$T/ssh_config" -S -r 0 -w 'h01,dead' -- 'exit 4'
is "$RC" 255 "-S: a host not reached counts as 255, what ssh exits with"
peer pdsh -S -w 'h01,dead' 'exit 4' >/dev/null 2>&1
is "$RC" "$?" "-S: as pdsh -S with a host not reached"

# ---- -L -----------------------------------------------------------------------
run_shoal -F "$T/ssh_config" -w 'a01,h01,h02' -- "$cmd"
like "$(head -n 1 "$T/out")" "^h0[12]: fast$" "by default lines come as they are written: a fast host first"
run_shoal -F "$T/ssh_config" -L -w 'a01,h01,h02' -- "$cmd"
is "$(cat "$T/out")" "$(printf 'a01: slow\na01: two\nh01: fast\nh02: fast')" \
    "-L: every host's lines in host order, the slow a01 first"
# clush -L gathers hosts of the same exit status and output: here each host
# exits 0 and prints its own client port, so none are gathered (the ports
# are then made N to compare).
uniq='set -- $SSH_CONNECTION; { '"$cmd"'; } | sed "s/^/$2 /"; true'
run_shoal -F "$T/ssh_config" -L -w 'a01,h01,h02' -- "$uniq"
peer clush -L -o "-F $T/ssh_config" -w 'a01,h01,h02' "$uniq" >"$T/clush.L" 2>/dev/null
is "$(sed 's/: [0-9]* /: N /' "$T/out")" "$(sed 's/: [0-9]* /: N /' "$T/clush.L")" \
    "-L: the same lines in the same order as clush -L"
run_shoal -F "$T/ssh_config" -L -N -w 'a01,h01,h02' -- "$cmd"
is "$(cat "$T/out")" "$(printf 'slow\ntwo\nfast\nfast')" "-L -N: in host order, without prefixes"

# ---- refused where meaningless --------------------------------------------------
run_shoal -F "$T/ssh_config" -L -b -w h01 -- true
is "$RC" 2 "-L -b: a usage error"
like "$(cat "$T/err")" 'choose one output mode \(-L is prefixed lines in host order, without -b.s headers\)' \
    "-L -b: says -L is lines in host order"
run_shoal -F "$T/ssh_config" -L --json -w h01 -- true
is "$RC" 2 "-L --json: a usage error"
run_shoal -F "$T/ssh_config" -N --json -w h01 -- true
is "$RC" 2 "-N --json: a usage error"
like "$(cat "$T/err")" '^shoal: -N: only with prefixed lines .*--json has no prefix to drop' "-N --json: says why"
run_shoal -F "$T/ssh_config" -N -b -w h01 -- true
like "$(cat "$T/err")" '^shoal: -N: .*-b has no prefix to drop' "-N -b: says why"
done_testing
