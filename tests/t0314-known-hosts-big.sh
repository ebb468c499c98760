#!/usr/bin/env bash
# t0314: a big hashed known_hosts (as HashKnownHosts writes it, 5,000 other
# hosts) works as a small one: each session is handed only the lines that
# can name its host (-vv says how many), hosts whose hashed entry matches log
# in, a hashed entry with another key is hostkey_changed, an unknown host is
# hostkey_unknown under strict, and accept-new records one new host once for
# several aliases, in the real file, which then passes under strict.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
add_aliases "$T/ssh_config" k 6 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"

# 5,000 other hosts, one throwaway key, then the lab's entry; all hashed by
# OpenSSH's own ssh-keygen -H.
ssh-keygen -q -t ed25519 -N '' -f "$T/other" </dev/null || BAIL_OUT "ssh-keygen failed"
read -r otype oblob _ <"$T/other.pub"
{
    for i in $(seq 1 5000); do echo "node$i.example.net $otype $oblob"; done
    cat "$T/known_hosts"
} >"$T/kh"
ssh-keygen -q -H -f "$T/kh" >/dev/null 2>&1 || BAIL_OUT "ssh-keygen -H failed"
rm -f "$T/kh.old"
lines=$(wc -l <"$T/kh")
is "$(grep -c '^|1|' "$T/kh")" "$lines" "every line of the file is hashed ($lines lines)"
sed -i "s|UserKnownHostsFile $T/known_hosts|UserKnownHostsFile $T/kh|" "$T/ssh_config"

run_shoal -F "$T/ssh_config" -w 'k[01-06]' -vv -- 'echo in'
is "$RC" 0 "six hosts with a matching hashed entry log in"
is "$(grep -c ': in$' "$T/out")" 6 "and run the command"
like "$(cat "$T/err")" "known_hosts $T/kh: 1 of $lines lines can name \[127\.0\.0\.1\]:$SSHD_PORT_MAIN" \
    "libssh is handed the one line that can name the host"

# The same name, hashed, with another key: a changed key.
{
    for i in $(seq 1 5000); do echo "node$i.example.net $otype $oblob"; done
    echo "[127.0.0.1]:$SSHD_PORT_MAIN $otype $oblob"
} >"$T/kh"
ssh-keygen -q -H -f "$T/kh" >/dev/null 2>&1 || BAIL_OUT "ssh-keygen -H failed"
run_shoal -F "$T/ssh_config" -w k01 --json -- true
is "$RC" 3 "a hashed entry with another key: exit 3"
like "$(cat "$T/out")" '"error_kind":"hostkey_changed"' "hostkey_changed"

# Not in the file: unknown under strict; accept-new records it once for
# three aliases, in the real file, hashed or not as ssh would see it.
for i in $(seq 1 5000); do echo "node$i.example.net $otype $oblob"; done >"$T/kh"
ssh-keygen -q -H -f "$T/kh" >/dev/null 2>&1 || BAIL_OUT "ssh-keygen -H failed"
rm -f "$T/kh.old"
before=$(wc -l <"$T/kh")
run_shoal -F "$T/ssh_config" -w k01 --json -- true
like "$(cat "$T/out")" '"error_kind":"hostkey_unknown"' "not in the file: hostkey_unknown under strict"
is "$(wc -l <"$T/kh")" "$before" "strict writes nothing"
run_shoal -F "$T/ssh_config" -w 'k[01-03]' -f 3 --host-key-policy accept-new -- true
is "$RC" 0 "accept-new: three aliases of the new host connect"
is "$(($(wc -l <"$T/kh") - before))" 1 "and the file gains one entry, not three"
like "$(tail -n 1 "$T/kh")" "^\[127\.0\.0\.1\]:$SSHD_PORT_MAIN " "appended to the real file"
run_shoal -F "$T/ssh_config" -w 'k[01-06]' -- true
is "$RC" 0 "the recorded key then passes under strict"
done_testing
