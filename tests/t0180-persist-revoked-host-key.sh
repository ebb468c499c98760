#!/usr/bin/env bash
# t0180: a kept session is reused only when its host key passes the trust
# decision a fresh connection makes now, against the files the host's
# ssh_config names: an @revoked line in its UserKnownHostsFile, its
# RevokedHostKeys list, an @revoked line in its GlobalKnownHostsFile, and
# another key recorded in place of its own.  The warm run then runs nothing:
# each host is refused as a fresh connection is (hostkey_revoked,
# hostkey_changed); the untrusted sessions are dropped from the keeper, and
# once the files are mended the hosts log in afresh and are kept again.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "LogLevel INFO"
P=$SSHD_PORT_MAIN
keeper_lab
read -r type blob _ <"$T/main/hostkey.pub"
name="[127.0.0.1]:$P"
ssh-keygen -q -t ed25519 -N '' -f "$T/other" </dev/null || BAIL_OUT "ssh-keygen failed"
read -r otype oblob _ <"$T/other.pub"
for f in kh1 kh2 kh3 kh4; do echo "$name $type $blob" >"$T/$f"; done
: >"$T/revoked"
: >"$T/global"
add_alias "$T/ssh_config" user-file "$P" "" "UserKnownHostsFile $T/kh1"
add_alias "$T/ssh_config" revoked-list "$P" "" "UserKnownHostsFile $T/kh2" "RevokedHostKeys $T/revoked"
add_alias "$T/ssh_config" global-file "$P" "" "UserKnownHostsFile $T/kh3" "GlobalKnownHostsFile $T/global"
add_alias "$T/ssh_config" changed "$P" "" "UserKnownHostsFile $T/kh4"
hosts=user-file,revoked-list,global-file,changed
logins() { grep -c 'Accepted publickey' "$T/main/log"; }

run_shoal -F "$T/ssh_config" --persist 60 -w "$hosts" -- echo RAN
is "$RC" 0 "the first run succeeds and keeps its sessions"
run_shoal -F "$T/ssh_config" -w "$hosts" -- echo RAN
is "$RC" 0 "a warm run succeeds"
is "$(logins)" 4 "it logged in nowhere: the kept sessions served it"

cp "$T/kh1" "$T/kh1.good"
cp "$T/kh4" "$T/kh4.good"
echo "@revoked * $type $blob" >>"$T/kh1"
echo "$type $blob" >"$T/revoked"
echo "@revoked $name $type $blob" >"$T/global"
echo "$name $otype $oblob" >"$T/kh4"

run_shoal -F "$T/ssh_config" -v -w "$hosts" -- echo RAN
is "$RC" 3 "the warm run after the revocations: exit 3"
unlike "$(cat "$T/out")" RAN "the command ran on no host"
like "$(cat "$T/err")" "user-file: hostkey_revoked \\(kex phase" "@revoked in ssh_config's UserKnownHostsFile: hostkey_revoked"
like "$(cat "$T/err")" "@revoked at $T/kh1:2" "the message names the line, as a fresh connection's does"
like "$(cat "$T/err")" "revoked-list: hostkey_revoked \\(kex phase" "RevokedHostKeys: hostkey_revoked"
like "$(cat "$T/err")" "global-file: hostkey_revoked \\(kex phase" "@revoked in ssh_config's GlobalKnownHostsFile: hostkey_revoked"
like "$(cat "$T/err")" "changed: hostkey_changed \\(kex phase" "another key recorded: hostkey_changed"
like "$(cat "$T/err")" "user-file: warm run: the kept session's host key is not trusted now" "-v says why the kept session was not used"

# The same files read by OpenSSH's own client: it refuses them too.
for h in user-file revoked-list global-file changed; do
    ssh -F "$T/ssh_config" -o BatchMode=yes "$h" true 2>/dev/null
    isnt "$?" 0 "ssh refuses $h as well"
done

cp "$T/kh1.good" "$T/kh1"
cp "$T/kh4.good" "$T/kh4"
: >"$T/revoked"
: >"$T/global"
ssh -F "$T/ssh_config" -o BatchMode=yes user-file true 2>/dev/null
is "$?" 0 "ssh accepts the mended files"
run_shoal -F "$T/ssh_config" -w "$hosts" -- echo RAN
is "$RC" 0 "with the files mended the hosts run again"
is "$(logins)" 9 "they logged in afresh (8 and ssh's): the untrusted sessions were dropped, not reused"
run_shoal -F "$T/ssh_config" -w "$hosts" -- echo RAN
is "$(logins)" 9 "the new sessions are kept in their place"
done_testing
