#!/usr/bin/env bash
# t0321: accept-new with HashKnownHosts writes "|1|salt|hash" lines that
# OpenSSH reads (issue 14).  shoal's writer (kh_record with hash set, driven
# first by the unit test program, then by a real run with ssh_config's
# HashKnownHosts yes) records a real sshd's key under "[127.0.0.1]:port"; the file
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
# (the key's base64 may hold '+': compared as a string, not in the pattern)
read -r hashed rtype rblob <"$T/known_hosts"
like "$hashed" "^\\|1\\|[A-Za-z0-9+/]{27}=\\|[A-Za-z0-9+/]{27}=\$" "the name is |1|salt|hash"
is "$rtype $rblob" "$type $blob" "then the key's type and base64"
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

# A real run: ssh_config's HashKnownHosts yes and UserKnownHostsFile, accept-new.
: >"$T/kh2"
cat >>"$T/ssh_config" <<EOF
Host b01
    HostName 127.0.0.1
    Port $P
    User $LAB_USER
    IdentityFile $T/id_ed25519
    HashKnownHosts yes
    UserKnownHostsFile $T/kh2
EOF
run_shoal -F "$T/ssh_config" -w b01 --host-key-policy accept-new -- echo RAN
is "$RC" 0 "accept-new under HashKnownHosts yes: the command ran"
read -r hashed rtype rblob <"$T/kh2"
like "$hashed" "^\\|1\\|[A-Za-z0-9+/]{27}=\\|[A-Za-z0-9+/]{27}=\$" "shoal wrote a hashed name"
is "$rtype $rblob" "$type $blob" "with the server's key"
unlike "$(cat "$T/kh2")" "127\\.0\\.0\\.1" "and no host name"
if ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$T/kh2" -o GlobalKnownHostsFile=/dev/null \
    -o IdentitiesOnly=yes -i "$T/id_ed25519" -p "$P" "$LAB_USER@127.0.0.1" true \
    </dev/null >"$T/ssh2.out" 2>&1; then
    pass "OpenSSH's ssh accepts the line shoal's run wrote"
else
    fail "OpenSSH's ssh accepts the line shoal's run wrote"
    diag "$(cat "$T/ssh2.out")"
fi

# RevokedHostKeys from ssh_config: the known key listed there is refused.
cp "$T/main/hostkey.pub" "$T/revoked"
printf 'Host b01\n    RevokedHostKeys %s\n' "$T/revoked" >"$T/ssh_config.rev"
cat "$T/ssh_config" >>"$T/ssh_config.rev"
run_shoal -F "$T/ssh_config.rev" -w b01 --host-key-policy insecure -- echo RAN
is "$RC" 3 "RevokedHostKeys lists the key: refused, insecure or not"
like "$(cat "$T/err")" "b01: hostkey_revoked" "as hostkey_revoked"
unlike "$(cat "$T/out")" RAN "the command did not run"
done_testing
