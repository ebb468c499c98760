#!/usr/bin/env bash
# t0232: more ssh_config corners of issue 23, each against ssh -G or a real
# ssh: a % token on a line no host uses is no error (only the host that uses
# it fails, as ssh); ~, ~/ and ~user expand as ssh expands them (an unknown
# user fails as in ssh); StrictHostKeyChecking from a Match block or an
# Included file is honoured, on a real sshd, as ssh honours it.
. "$(dirname "$0")/lib.sh"

command -v ssh >/dev/null || skip_all "no OpenSSH client to compare with"
lab_user
lab_keys
start_sshd target
P=$SSHD_PORT_TARGET
me=$(id -un)
home=$(getent passwd "$me" | cut -d: -f6)

# % tokens: checked where the value is used.
printf 'Host other\n    HostName %%z.example\n    IdentityFile ~/k-%%Z\n' >"$T/tok.conf"
ssh -G -F "$T/tok.conf" used >/dev/null 2>&1
is "$?" 0 "ssh -G: an unknown token on a line this host does not use is no error"
run_shoal -G -F "$T/tok.conf" -w used
is "$RC" 0 "shoal -G: nor for shoal"
ssh -G -F "$T/tok.conf" other >/dev/null 2>&1
isnt "$?" 0 "ssh -G: the host whose HostName has it fails"
run_shoal -G -F "$T/tok.conf" -w other
is "$RC" 2 "shoal -G: so does shoal's, exit 2"
like "$(cat "$T/err")" "HostName %z.example: unknown token %z" "naming the keyword, value and token"

# ~ as ssh's tilde expansion (UserKnownHostsFile is expanded by ssh -G).
printf 'UserKnownHostsFile ~ ~/ ~/kh ~%s ~%s/kh ~root/x\nControlPath ~/cp-%%%%\n' "$me" "$me" >"$T/tilde.conf"
want=$(ssh -G -F "$T/tilde.conf" h 2>/dev/null | grep -E '^(userknownhostsfile|controlpath) ' | sort)
run_shoal -G -F "$T/tilde.conf" -w h
is "$(grep -E '^(userknownhostsfile|controlpath) ' "$T/out" | sort)" "$want" \
    "~, ~/, ~user and ~user/ expand as ssh -G expands them"
like "$want" "userknownhostsfile $home/ $home/ $home/kh" "(ssh gives the home with a slash)"
printf 'UserKnownHostsFile ~nosuchuser-t0232/kh\n' >"$T/nouser.conf"
ssh -G -F "$T/nouser.conf" h >/dev/null 2>&1
isnt "$?" 0 "ssh -G: ~ of an unknown user fails"
run_shoal -G -F "$T/nouser.conf" -w h
is "$RC" 2 "shoal -G too, exit 2"
like "$(cat "$T/err")" "~nosuchuser-t0232: no such user" "naming the user"

# StrictHostKeyChecking accept-new from a Match block, and from an Included
# file: the server's key is not known; ssh connects and records it; so must
# shoal (strict would refuse: hostkey_unknown).
inc=$T/included.conf
printf 'StrictHostKeyChecking accept-new\n' >"$inc"
chmod 600 "$inc"
cfg=$T/ssh_config
write_ssh_config "$cfg"
add_alias "$cfg" bymatch "$P" "" "UserKnownHostsFile $T/kh-match"
add_alias "$cfg" byinclude "$P" "" "UserKnownHostsFile $T/kh-include" "Include $inc"
printf 'Match originalhost bymatch\n    StrictHostKeyChecking accept-new\n' >>"$cfg"
# add_alias puts StrictHostKeyChecking yes last: drop it, so Match and Include decide.
sed -i '/StrictHostKeyChecking yes/d' "$cfg"
chmod 600 "$cfg"

# accept_new ALIAS KH WHERE: ssh connects to the unknown key; so must shoal, recording it
accept_new() {
    ssh -F "$cfg" -o BatchMode=yes "$1" true </dev/null >/dev/null 2>&1
    is "$?" 0 "ssh: accept-new from $3 connects to an unknown key"
    rm -f "$2"
    run_shoal -F "$cfg" -w "$1" -- echo in
    is "$RC" 0 "shoal: accept-new from $3 is honoured"
    like "$(cat "$2" 2>/dev/null)" "127.0.0.1\]:$P" "and the key is recorded"
}
accept_new bymatch "$T/kh-match" "a Match block"
accept_new byinclude "$T/kh-include" "an Included file"

# and strict stays strict: the same host, with the key unknown, under yes
printf 'Host strict\n    HostName 127.0.0.1\n    Port %s\n    User %s\n    IdentityFile %s\n    UserKnownHostsFile %s\n    Include %s\n' \
    "$P" "$LAB_USER" "$T/id_ed25519" "$T/kh-strict" "$T/yes.conf" >"$T/strict.conf"
printf 'StrictHostKeyChecking yes\n' >"$T/yes.conf"
chmod 600 "$T/strict.conf" "$T/yes.conf"
run_shoal -F "$T/strict.conf" -w strict --json -- true
is "$RC" 3 "StrictHostKeyChecking yes from an Included file refuses an unknown key"
like "$(cat "$T/out")" '"error_kind":"hostkey_unknown"' "as hostkey_unknown"
done_testing
