#!/usr/bin/env bash
# t0233: the % tokens, ${VAR} and ~ in every value ssh -G expands
# (RemoteCommand, ControlPath, IdentityAgent, ForwardAgent, and the socket
# paths of LocalForward/RemoteForward), and in Match exec, one at a time and
# all together, as OpenSSH's own percent-expansion regress checks them:
# written from what that check covers, compared with the installed ssh.
. "$(dirname "$0")/lib.sh"

command -v ssh >/dev/null || skip_all "no OpenSSH client to compare with"
export FOO=bar
all='%%/%C/%i/%h/%d/%L/%l/%n/%p/%r/%u'
n=0 bad=0
# G PROGRAM [-w]: what PROGRAM -G prints for $opt, set to $val for somehost
G() {
    printf 'Host somehost\n    HostName 127.0.0.1\n    Port 2222\n    %s %s\n' "$opt" "$val" >"$T/c.conf"
    "$1" -G -F "$T/c.conf" -l remuser ${2:-} somehost 2>&1 |
        awk -v k="$opt" '$1 == k { $1 = ""; print substr($0, 2) }'
}
for opt in remotecommand controlpath identityagent forwardagent localforward remoteforward; do
    vals=('%%' '%C' '%i' '%h' '%d' '%L' '%l' '%n' '%p' '%r' '%u' "$all")
    case $opt in
    remotecommand) ;;
    *) vals+=('${FOO}' '~' '~/.ssh') ;;
    esac
    for v in "${vals[@]}"; do
        case $opt in
        *forward) val="/$v /$v" ;;
        *) val=$v ;;
        esac
        want=$(G ssh)
        got=$(G "$SHOAL" -w)
        n=$((n + 1))
        if [ "$got" != "$want" ]; then
            bad=$((bad + 1))
            diag "$opt $val: shoal '$got', ssh '$want'"
        fi
    done
done
diag "compared $n values"
is "$bad" 0 "every token, \${VAR} and ~ as ssh -G expands them"
cmp_ok "$n" -ge 70 "all the cases were compared"

# Match exec: the command sees the tokens expanded as ssh's does.
for v in '%%' '%h' '%n' '%p' '%r' '%u' '%C' '%i' '%d' '%L' '%l'; do
    printf 'Match exec "echo %s >>%s"\n' "$v" "$T/ssh-exec" >"$T/exec-ssh.conf"
    printf 'Match exec "echo %s >>%s"\n' "$v" "$T/shoal-exec" >"$T/exec-shoal.conf"
    ssh -G -F "$T/exec-ssh.conf" -l remuser -p 2222 127.0.0.1 >/dev/null 2>&1
    "$SHOAL" -G -F "$T/exec-shoal.conf" -l remuser -p 2222 -w 127.0.0.1 >/dev/null 2>&1
done
is "$(cat "$T/shoal-exec")" "$(cat "$T/ssh-exec")" "Match exec: each token as ssh expands it"
done_testing
