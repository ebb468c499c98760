#!/usr/bin/env bash
# t0321: accept-new with HashKnownHosts writes "|1|salt|hash" lines that
# OpenSSH reads (issue 14).  shoal's writer (kh_record with hash set, driven
# by the unit test program until ssh_config's HashKnownHosts reaches
# connect.c) records a real sshd's key under "[127.0.0.1]:port"; the file
# holds no host name; OpenSSH's ssh connects with StrictHostKeyChecking=yes
# against it, ssh-keygen -F finds the name in it, shoal accepts it under
# strict, and a second record finds the key known instead of adding a line.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
P=$SSHD_PORT_MAIN
add_aliases "$T/ssh_config" a 1 "$P"
read -r type blob _ <"$T/main/hostkey.pub"
rec="$top_builddir/tests/unit/test-knownhosts"
[ -x "$rec" ] || BAIL_OUT "build tests/unit/test-knownhosts first (make check builds it)"

: >"$T/known_hosts"
is "$("$rec" record-hashed "$T/known_hosts" 127.0.0.1 "$P" "$blob")" "1 " "the key is recorded"
is "$(wc -l <"$T/known_hosts")" 1 "one line"
like "$(cat "$T/known_hosts")" "^\\|1\\|[A-Za-z0-9+/]{27}=\\|[A-Za-z0-9+/]{27}= $type $blob\$" \
    "the line is |1|salt|hash type key"
unlike "$(cat "$T/known_hosts")" "127\\.0\\.0\\.1" "the host name is not in the file"

if ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o HashKnownHosts=yes \
    -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o IdentitiesOnly=yes -i "$T/id_ed25519" -p "$P" "$LAB_USER@127.0.0.1" true \
    </dev/null >"$T/ssh.out" 2>&1; then
    pass "OpenSSH's ssh accepts the hashed line under StrictHostKeyChecking=yes"
else
    fail "OpenSSH's ssh accepts the hashed line under StrictHostKeyChecking=yes"
    diag "$(cat "$T/ssh.out")"
fi
like "$(ssh-keygen -F "[127.0.0.1]:$P" -f "$T/known_hosts" 2>&1)" "Host \\[127\\.0\\.0\\.1\\]:$P found: line 1" \
    "ssh-keygen -F finds the name"

run_shoal -F "$T/ssh_config" -w a01 --host-key-policy strict -- echo RAN
is "$RC" 0 "shoal reads its hashed line under strict"
is "$("$rec" record-hashed "$T/known_hosts" 127.0.0.1 "$P" "$blob")" "0 known" \
    "recording again finds the hashed line"
is "$(wc -l <"$T/known_hosts")" 1 "still one line"
done_testing
