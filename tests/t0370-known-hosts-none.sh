#!/usr/bin/env bash
# t0370: `UserKnownHostsFile none` and `GlobalKnownHostsFile none` mean no
# file, as in ssh (issue 23): never a file called ./none.  Run from a
# directory where another user planted a ./none holding the server's key,
# strict checking refuses the host as OpenSSH's ssh does (it trusted the
# planted file: a MITM of every host); accept-new writes no ./none and, like
# ssh, cannot record the key; --known-hosts none is -o
# UserKnownHostsFile=none; -G prints "none" as ssh -G does; "none" beside
# another file is an error naming file:line, as in ssh.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
P=$SSHD_PORT_MAIN
add_alias "$T/ssh_config" none-both "$P" "" "UserKnownHostsFile none" "GlobalKnownHostsFile none"
add_alias "$T/ssh_config" none-user "$P" "" "UserKnownHostsFile none" \
    "GlobalKnownHostsFile $T/empty-global"
add_alias "$T/ssh_config" plain "$P" "" "GlobalKnownHostsFile $T/empty-global"
: >"$T/empty-global"
read -r type blob _ <"$T/main/hostkey.pub"

# The shared directory, with a ./none planted by someone else.
mkdir -p "$T/shared"
printf '[127.0.0.1]:%s %s %s\n' "$P" "$type" "$blob" >"$T/shared/none"
cp "$T/shared/none" "$T/planted"

ssh_run() { # alias, then ssh options: ssh's status
    (cd "$T/shared" && env -u SSH_AUTH_SOCK ssh -F "$T/ssh_config" -o BatchMode=yes \
        -o ConnectTimeout=10 "${@:2}" "$1" true </dev/null >/dev/null 2>"$T/ssh.err")
}

in_shared() { # run a command from the shared directory
    cd "$T/shared" || BAIL_OUT "no $T/shared"
    "$@"
    cd "$top_srcdir" || BAIL_OUT "no $top_srcdir"
}

for alias in none-both none-user; do
    ssh_run "$alias" -o StrictHostKeyChecking=yes
    ssh_rc=$?
    isnt "$ssh_rc" 0 "$alias, strict: ssh refuses the host (the planted ./none is no file)"
    in_shared run_shoal -F "$T/ssh_config" -w "$alias" --host-key-policy strict -- echo RAN
    is "$RC" 3 "$alias, strict: shoal refuses the host as ssh does"
    like "$(cat "$T/err")" "$alias: hostkey_unknown" "$alias, strict: hostkey_unknown"
    unlike "$(cat "$T/out")" RAN "$alias, strict: the command did not run"
done

# --known-hosts none: ssh's -o UserKnownHostsFile=none.
ssh_run plain -o UserKnownHostsFile=none -o StrictHostKeyChecking=yes
isnt "$?" 0 "ssh -o UserKnownHostsFile=none refuses the host"
in_shared run_shoal -F "$T/ssh_config" -w plain --known-hosts none \
    --host-key-policy strict -- echo RAN
is "$RC" 3 "--known-hosts none: the planted ./none is not read"
like "$(cat "$T/err")" "plain: hostkey_unknown" "--known-hosts none: hostkey_unknown"

# accept-new: nothing written anywhere, and no recording (ssh cannot either).
rm -f "$T/shared/none"
ssh_run none-both -o StrictHostKeyChecking=accept-new
ssh_rc=$?
isnt "$ssh_rc" 0 "accept-new, ssh: no user file to record the key in, refused"
in_shared run_shoal -F "$T/ssh_config" -w none-both --host-key-policy accept-new \
    -- echo RAN
is "$RC" 3 "accept-new, shoal: refused as ssh refuses"
like "$(cat "$T/err")" "UserKnownHostsFile is none: no file to record it in" \
    "accept-new: the message says why"
ok "$([ ! -e "$T/shared/none" ] && echo 0 || echo 1)" "accept-new wrote no ./none"
in_shared run_shoal -F "$T/ssh_config" -w plain --known-hosts none \
    --host-key-policy accept-new -- echo RAN
is "$RC" 3 "--known-hosts none, accept-new: refused"
ok "$([ ! -e "$T/shared/none" ] && echo 0 || echo 1)" "--known-hosts none wrote no ./none"

# -G prints what ssh -G prints.
for alias in none-both none-user; do
    want=$(ssh -G -F "$T/ssh_config" "$alias" </dev/null 2>/dev/null | grep -E '^(user|global)knownhostsfile ')
    run_shoal -G -F "$T/ssh_config" -w "$alias"
    is "$(grep -E '^(user|global)knownhostsfile ' "$T/out")" "$want" "$alias: -G as ssh -G"
done

# "none" with other files: an error in both, naming file:line.
for kw in UserKnownHostsFile GlobalKnownHostsFile; do
    printf 'Host x\n    %s %s/kh none\n' "$kw" "$T" >"$T/mixed"
    ssh -G -F "$T/mixed" x >/dev/null 2>"$T/ssh.err"
    isnt "$?" 0 "$kw with none and a file: ssh refuses the config"
    run_shoal -G -F "$T/mixed" -w x
    is "$RC" 2 "$kw with none and a file: exit 2"
    like "$(cat "$T/err")" "$T/mixed line 2: keyword ${kw,,} \"none\" argument must appear alone" \
        "$kw: the message names file:line, as ssh's"
done

done_testing
