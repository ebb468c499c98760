#!/usr/bin/env bash
# t0392: messages that used to hide the cause say what is wrong and where.
# An identity file shoal cannot take is named with the reason: a directory
# ("cannot read it: Is a directory"), a file that is no key; and, run as
# the lab user, a file it may not read ("Permission denied").
# `password-env` in shoal.conf naming an unset variable names the file and
# line, exit 2 before anything connects.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
trust_host_keys "$SSHD_PORT_MAIN"
mkdir "$T/keydir"
printf 'this is no key\n' >"$T/garbage"
add_alias "$T/ssh_config" dir "$SSHD_PORT_MAIN" "" "IdentityFile $T/keydir" "IdentitiesOnly yes"
add_alias "$T/ssh_config" junk "$SSHD_PORT_MAIN" "" "IdentityFile $T/garbage" "IdentitiesOnly yes"

run_shoal -F "$T/ssh_config" -w dir --json -- true
is "$(jq -r .error_kind "$T/out")" auth_denied "a directory as the only key: auth_denied"
like "$(jq -r .error "$T/out")" "$T/keydir: cannot read it: Is a directory, skipped" \
    "the error names the file and the reason"
run_shoal -F "$T/ssh_config" -w junk --json -- true
like "$(jq -r .error "$T/out")" "$T/garbage: not a private key libssh can read, skipped" \
    "a file that is no key is named as such"

if [ "$EUID" -eq 0 ] && command -v setpriv >/dev/null && [ "$LAB_USER" != root ]; then
    cp "$T/id_ed25519" "$T/locked"
    chmod 600 "$T/locked"
    add_alias "$T/ssh_config" locked "$SSHD_PORT_MAIN" "" "IdentityFile $T/locked" "IdentitiesOnly yes"
    chmod 644 "$T/ssh_config" "$T/known_hosts"
    # The lab user's own HOME: shoal reads no root files.
    home=$(getent passwd "$LAB_USER" | cut -d: -f6)
    env -u SSH_AUTH_SOCK HOME="$home" timeout 30 setpriv --reuid="$LAB_USER" --regid="$(id -g "$LAB_USER")" \
        --clear-groups "$SHOAL" -F "$T/ssh_config" -w locked --json -- true >"$T/out" 2>"$T/err"
    like "$(jq -r .error "$T/out")" "$T/locked: cannot read it: Permission denied, skipped" \
        "a key file the user may not read: Permission denied, and where"
else
    skip "a key file the user may not read: needs root and setpriv"
fi

export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc
mkdir -p "$HOME/.config/shoal" "$SHOAL_SYSCONFDIR"
printf '# the team default\nfanout = 8\npassword-env = SHOAL_T0392_UNSET\n' >"$HOME/.config/shoal/shoal.conf"
unset SHOAL_T0392_UNSET
run_shoal -F "$T/ssh_config" -w junk -- true
is "$RC" 2 "password-env of an unset variable in shoal.conf: exit 2"
is "$(cat "$T/err")" "shoal: $HOME/.config/shoal/shoal.conf:3: password-env: environment variable SHOAL_T0392_UNSET is not set" \
    "the message names shoal.conf and its line"
run_shoal -F "$T/ssh_config" -w junk --password-env SHOAL_T0392_UNSET -- true
is "$(cat "$T/err")" "shoal: --password-env: environment variable SHOAL_T0392_UNSET is not set" \
    "on the command line it names the option"
done_testing
