#!/usr/bin/env bash
# t0320: host-key trust is decided by shoal's own known_hosts reader (issues
# 19 and 14).  A changed key next to an unparseable line, or next to a line
# of 600 names (10,000+ characters), is hostkey_changed under strict and
# accept-new and the file is not touched (libssh answered "unknown" for the
# whole file, and accept-new recorded the new key); the unparseable line is
# named file:line under -v; a key the file knows beside such lines passes
# under strict; CRLF and tabs read as OpenSSH reads them.  A key listed
# @revoked is hostkey_revoked under every policy, insecure too, and the
# command does not run; @cert-authority lines count neither as the host's
# key nor as another one.  accept-new records one line for ten aliases, in
# OpenSSH's form, and OpenSSH's own ssh then accepts the file under strict
# checking.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
P=$SSHD_PORT_MAIN
add_aliases "$T/ssh_config" a 10 "$P"
read -r type blob _ <"$T/main/hostkey.pub"
ssh-keygen -q -t ed25519 -N '' -f "$T/other" </dev/null || BAIL_OUT "ssh-keygen failed"
read -r otype oblob _ <"$T/other.pub"
name="[127.0.0.1]:$P"
long=$(for i in $(seq 1 600); do printf 'n%04d.example.net,' "$i"; done)
long=${long%,}

# runs: policy, then the checks of one refused run.  The command echoes RAN.
refused() {
    local policy=$1 kind=$2 what=$3
    cp "$T/known_hosts" "$T/kh.before"
    run_shoal -F "$T/ssh_config" -w a01 --host-key-policy "$policy" -v -- echo RAN
    is "$RC" 3 "$what, $policy: exit 3"
    like "$(cat "$T/err")" "a01: $kind \\(kex phase, attempt 1\\)" "$what, $policy: $kind"
    unlike "$(cat "$T/out")" RAN "$what, $policy: the command did not run"
    if cmp -s "$T/known_hosts" "$T/kh.before"; then
        pass "$what, $policy: known_hosts not modified"
    else
        fail "$what, $policy: known_hosts not modified"
        diag "$(diff "$T/kh.before" "$T/known_hosts")"
    fi
}

# A changed key next to a line libssh cannot parse.
printf '%s ssh-ed25519 !!!notbase64\n%s %s %s\n' "$name" "$name" "$otype" "$oblob" >"$T/known_hosts"
for policy in strict accept-new; do
    refused "$policy" hostkey_changed "changed key + unparseable line"
done
like "$(cat "$T/err")" "known_hosts $T/known_hosts:1: line skipped: key is not base64" \
    "-v names the unparseable line as file:line"
like "$(cat "$T/err")" "HOST KEY CHANGED: known_hosts holds another key \\($T/known_hosts:2\\)" \
    "the message names the line holding the other key"

# A changed key next to a legitimate line of 600 names.
printf '%s %s %s\n%s %s %s\n' "$long" "$type" "$blob" "$name" "$otype" "$oblob" >"$T/known_hosts"
cmp_ok "$(head -n 1 "$T/known_hosts" | wc -c)" -ge 10000 "the long line has 10,000 characters or more"
for policy in strict accept-new; do
    refused "$policy" hostkey_changed "changed key + a line of 600 names"
done

# The right key beside both kinds of line: known under strict.
printf '%s ssh-ed25519 !!!notbase64\n%s %s %s\n%s %s %s\n' "$name" "$long" "$otype" "$oblob" \
    "$name" "$type" "$blob" >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w a01 --host-key-policy strict -- echo RAN
is "$RC" 0 "the known key beside an unparseable and a long line passes under strict"

# CRLF line ends and tabs.
printf '# written elsewhere\r\n\t%s\t%s\t%s\r\n' "$name" "$type" "$blob" >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w a01 --host-key-policy strict -- echo RAN
is "$RC" 0 "a CRLF line with tabs between the fields is read"

# @revoked: refused under every policy, the known line beside it or not.
for policy in strict accept-new insecure; do
    printf '%s %s %s\n@revoked * %s %s\n' "$name" "$type" "$blob" "$type" "$blob" >"$T/known_hosts"
    refused "$policy" hostkey_revoked "@revoked key"
done
like "$(cat "$T/err")" "is revoked \\(@revoked at $T/known_hosts:2\\)" "the message names the @revoked line"
printf '@revoked %s %s %s\n' "$name" "$type" "$blob" >"$T/known_hosts"
refused accept-new hostkey_revoked "@revoked key alone"

# @cert-authority: neither the host's key nor another key for it.
printf '@cert-authority * %s %s\n' "$type" "$blob" >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w a01 --host-key-policy strict -- true
like "$(cat "$T/err")" "a01: hostkey_unknown" "@cert-authority with the host's key: still unknown"
printf '@cert-authority * %s %s\n' "$otype" "$oblob" >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w a01 --host-key-policy accept-new -- true
is "$RC" 0 "@cert-authority with another key: not a changed key, accept-new records"
is "$(grep -c "^\\[127\\.0\\.0\\.1\\]:$P $type $blob\$" "$T/known_hosts")" 1 "and the key is added"

# accept-new: ten aliases, one line, in the form OpenSSH reads.
printf '# no newline at the end' >"$T/known_hosts"
run_shoal -F "$T/ssh_config" -w 'a[01-10]' -f 10 --host-key-policy accept-new -- echo RAN
is "$RC" 0 "ten aliases of a new host under accept-new"
is "$(grep -c RAN "$T/out")" 10 "all ran the command"
is "$(cat "$T/known_hosts")" "# no newline at the end
$name $type $blob" "one line recorded, as OpenSSH writes it, after the unterminated last line"
run_shoal -F "$T/ssh_config" -w 'a[01-10]' --host-key-policy strict -- true
is "$RC" 0 "the recorded key passes under strict"
if ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o IdentitiesOnly=yes -i "$T/id_ed25519" -p "$P" "$LAB_USER@127.0.0.1" true \
    </dev/null >"$T/ssh.out" 2>&1; then
    pass "OpenSSH's ssh accepts the file shoal wrote under StrictHostKeyChecking=yes"
else
    fail "OpenSSH's ssh accepts the file shoal wrote under StrictHostKeyChecking=yes"
    diag "$(cat "$T/ssh.out")"
fi
done_testing
