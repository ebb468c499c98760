#!/usr/bin/env bash
# t0302: host keys. Unknown under strict is refused (hostkey_unknown, not
# retried); accept-new records it and a strict run then passes; a changed key
# is refused under strict and accept-new (hostkey_changed), accepted loudly
# only under insecure.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
add_alias "$T/ssh_config" h1 "$SSHD_PORT_MAIN"
: > "$T/known_hosts"

run_shoal -F "$T/ssh_config" -w h1 -- true
is "$RC" 3 "unknown key under strict: exit 3"
like "$(cat "$T/err")" 'h1: hostkey_unknown \(kex phase, attempt 1\)' "hostkey_unknown, kex phase, not retried"
is "$(wc -l < "$T/known_hosts")" 0 "strict writes nothing to known_hosts"

run_shoal -F "$T/ssh_config" -w h1 --host-key-policy accept-new -- true
is "$RC" 0 "accept-new connects"
like "$(cat "$T/known_hosts")" "127.0.0.1\]:$SSHD_PORT_MAIN" "accept-new recorded the key"

run_shoal -F "$T/ssh_config" -w h1 --host-key-policy strict -- true
is "$RC" 0 "the recorded key then passes under strict"

# Twenty aliases of one new server under accept-new: one entry, not twenty.
: > "$T/known_hosts"
add_aliases "$T/ssh_config" m 20 "$SSHD_PORT_MAIN"
run_shoal -F "$T/ssh_config" -w 'm[01-20]' --host-key-policy accept-new -- true
is "$RC" 0 "twenty aliases under accept-new"
is "$(wc -l < "$T/known_hosts")" 1 "known_hosts writes are serialised: one entry"

# With no --host-key-policy, ssh_config's StrictHostKeyChecking decides.
: > "$T/known_hosts"
cat >> "$T/ssh_config" <<CFG
Host cfg-new cfg-no
    HostName 127.0.0.1
    Port $SSHD_PORT_MAIN
    User $LAB_USER
    IdentityFile $T/id_ed25519
    UserKnownHostsFile $T/known_hosts
Host cfg-new
    StrictHostKeyChecking accept-new
Host cfg-no
    StrictHostKeyChecking no
CFG
run_shoal -F "$T/ssh_config" -w h1 -- true
like "$(cat "$T/err")" 'h1: hostkey_unknown' "StrictHostKeyChecking yes in ssh_config: strict"
run_shoal -F "$T/ssh_config" -w cfg-new -- true
is "$RC" 0 "StrictHostKeyChecking accept-new in ssh_config: the key is recorded"
is "$(wc -l < "$T/known_hosts")" 1 "one entry written"

# Another key for the same [host]:port.
ssh-keygen -q -t ed25519 -N '' -f "$T/otherkey"
echo "[127.0.0.1]:$SSHD_PORT_MAIN $(cat "$T/otherkey.pub")" > "$T/known_hosts"
for policy in strict accept-new; do
    run_shoal -F "$T/ssh_config" -w h1 --host-key-policy $policy -- true
    is "$RC" 3 "changed key under $policy: exit 3"
    like "$(cat "$T/err")" 'h1: hostkey_changed \(kex phase, attempt 1\): HOST KEY CHANGED' "changed key under $policy is refused loudly"
done
run_shoal -F "$T/ssh_config" -w cfg-no -- true
like "$(cat "$T/err")" 'cfg-no: hostkey_changed' "StrictHostKeyChecking no in ssh_config still refuses a changed key (libssh would accept it)"
run_shoal -F "$T/ssh_config" -w h1 --host-key-policy insecure -- true
is "$RC" 0 "insecure accepts a changed key"
like "$(cat "$T/err")" 'WARNING: host key CHANGED' "and says so"
done_testing
