#!/usr/bin/env bash
# t0374: a differential check of host-key trust against the installed ssh,
# built from what OpenSSH's own regress cases for known_hosts and host
# certificates check (regress/knownhosts.sh, cert-hostkey.sh; the cases are
# written afresh here, against real sshds on loopback ports, not through a
# proxy).  For each host key type, each case is one sshd and one
# known_hosts / RevokedHostKeys set-up, and `ssh` and shoal must agree on
# whether the host is trusted: CA lines naming the bare 127.0.0.1 (found
# off port 22 as ssh finds them), KRLs and plain lists revoking the key,
# the certificate or the CA, @revoked lines, certificates with the wrong
# principals, out of their validity, of a user, with critical options, or
# self-signed, a certificate from an unknown CA with its raw key known, in
# the first or second user file; then hashed names learnt under accept-new
# and a file without a final newline.  The last lines say how many cases
# were compared and how many differ; a difference fails the test unless it
# is one shoal keeps on purpose (known_difference: named in shoal(1)).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
HOSTS='localhost-with-alias,127.0.0.1,::1'
ssh-keygen -q -N '' -t ed25519 -f "$T/ca" </dev/null || BAIL_OUT "ssh-keygen ca"
ssh-keygen -q -N '' -t rsa -b 2048 -f "$T/ca2" </dev/null || BAIL_OUT "ssh-keygen ca2"
ssh-keygen -q -kf "$T/krl_empty" || BAIL_OUT "KRL"
ssh-keygen -q -kf "$T/krl_ca" "$T/ca.pub" "$T/ca2.pub" 2>/dev/null || BAIL_OUT "KRL ca"
: >"$T/rev_empty"
cat "$T/ca.pub" "$T/ca2.pub" >"$T/rev_ca"
ca_lines() {
    printf '@cert-authority %s %s' "$HOSTS" "$(cat "$T/ca.pub")"
    printf '\n@cert-authority %s %s\n' "$HOSTS" "$(cat "$T/ca2.pub")"
}

compared=0
differ=0
known=0
diffs=()
n=0

# The differences shoal keeps on purpose, each named in shoal(1) (HOST
# KEYS): shoal follows OpenSSH releases after the installed 9.2 there.
known_difference() {
    case $1 in
    *": empty principals") echo "a host certificate naming no principal is refused, as OpenSSH 10.3 refuses it (9.2 takes it for any host)" ;;
    "accept-new with HashKnownHosts, file something") echo "a file whose last line has no newline gets one before the new line, as OpenSSH 9.3 does (9.2 glues the new line to it)" ;;
    *) return 1 ;;
    esac
}

# verdict DESC SAME SSH_TEXT SHOAL_TEXT: one case compared.
verdict() {
    local why
    compared=$((compared + 1))
    if [ "$2" = yes ]; then
        pass "$1: $3 by both"
    elif why=$(known_difference "$1"); then
        known=$((known + 1))
        pass "$1: ssh $3, shoal $4: a known difference: $why"
    else
        differ=$((differ + 1))
        diffs+=("$1 (ssh: $3, shoal: $4)")
        fail "$1: ssh $3, shoal $4"
        return 1
    fi
}

# server KT CERT_ARGS...: a fresh host key of type KT signed by CERT_ARGS
# (ssh-keygen -s ...; "" for none), served by a new sshd; sets PORT, HK.
server() {
    local kt=$1 name
    shift
    n=$((n + 1))
    name=s$n
    mkdir -p "$T/$name"
    HK=$T/$name/hostkey
    case $kt in
    rsa) ssh-keygen -q -N '' -t rsa -b 2048 -f "$HK" </dev/null ;;
    ecdsa) ssh-keygen -q -N '' -t ecdsa -b 256 -f "$HK" </dev/null ;;
    *) ssh-keygen -q -N '' -t "$kt" -f "$HK" </dev/null ;;
    esac || BAIL_OUT "ssh-keygen $kt"
    if [ "$#" -gt 0 ]; then
        ssh-keygen -q "$@" -I "host key $n" "$HK.pub" 2>/dev/null || BAIL_OUT "sign: $*"
        start_sshd "$name" "HostCertificate $HK-cert.pub"
    else
        start_sshd "$name"
    fi
    local var=SSHD_PORT_${name^^}
    PORT=${!var}
}

# compare DESC KH [config lines...]: ssh and shoal against the server at
# $PORT with known_hosts KH (user and global file, as the regress cases).
compare() {
    local desc=$1 kh=$2 l
    shift 2
    {
        printf 'Host h\n    HostName 127.0.0.1\n    Port %s\n    User %s\n' "$PORT" "$LAB_USER"
        printf '    IdentityFile %s\n    IdentitiesOnly yes\n    StrictHostKeyChecking yes\n' \
            "$T/id_ed25519"
        for l in "$@"; do printf '    %s\n' "$l"; done
        printf '    UserKnownHostsFile %s\n    GlobalKnownHostsFile %s\n' "$T/kh" "$T/kh"
    } >"$T/cfg"
    printf '%s' "$kh" >"$T/kh"
    env -u SSH_AUTH_SOCK ssh -F "$T/cfg" -o BatchMode=yes h true </dev/null >/dev/null 2>"$T/ssh.err"
    local s=$?
    printf '%s' "$kh" >"$T/kh"
    run_shoal -F "$T/cfg" -w h -- true
    local sv=trusted hv=trusted same=no
    [ "$s" -eq 0 ] || sv=refused
    [ "$RC" -eq 0 ] || hv=refused
    [ "$sv" = "$hv" ] && same=yes
    if ! verdict "$desc" "$same" "$sv" "$hv"; then
        diag "ssh: $(tail -n 2 "$T/ssh.err")"
        diag "shoal: $(cat "$T/err")"
    fi
}

for kt in ed25519 ecdsa rsa; do
    ca=$T/ca
    # Basic connect and revocation (cert-hostkey.sh "host cert connect").
    server "$kt" -s "$ca" -h -z 1 -n "$HOSTS"
    ssh-keygen -q -kf "$T/krl_plain_$kt" "$HK.pub" 2>/dev/null || BAIL_OUT "KRL plain"
    ssh-keygen -q -kf "$T/krl_cert_$kt" "$HK-cert.pub" 2>/dev/null || BAIL_OUT "KRL cert"
    cp "$HK.pub" "$T/rev_plain_$kt"
    cp "$HK-cert.pub" "$T/rev_cert_$kt"
    kh=$(ca_lines)
    compare "$kt: basic connect" "$kh"
    compare "$kt: empty KRL" "$kh" "RevokedHostKeys $T/krl_empty"
    compare "$kt: KRL revoking the key" "$kh" "RevokedHostKeys $T/krl_plain_$kt"
    compare "$kt: KRL revoking the certificate" "$kh" "RevokedHostKeys $T/krl_cert_$kt"
    compare "$kt: KRL revoking the CA" "$kh" "RevokedHostKeys $T/krl_ca"
    compare "$kt: empty revocation list" "$kh" "RevokedHostKeys $T/rev_empty"
    compare "$kt: list revoking the key" "$kh" "RevokedHostKeys $T/rev_plain_$kt"
    compare "$kt: list revoking the certificate" "$kh" "RevokedHostKeys $T/rev_cert_$kt"
    compare "$kt: list revoking the CA" "$kh" "RevokedHostKeys $T/rev_ca"
    compare "$kt: @revoked host key beside the CA" "$kh"$'\n'"@revoked * $(cat "$HK.pub")"$'\n'
    compare "$kt: @revoked CA" "$kh"$'\n'"@revoked * $(cat "$T/ca.pub")"$'\n'

    # Principals, validity, kind (cert-hostkey.sh test_one).
    server "$kt" -s "$ca" -h -n "$HOSTS"
    compare "$kt: simple" "$kh"
    server "$kt" -s "$ca" -h -n '127.*'
    compare "$kt: wildcard principal" "$kh"
    server "$kt" -s "$ca" -n "$HOSTS"
    compare "$kt: a user certificate" "$kh"
    server "$kt" -s "$ca" -h
    compare "$kt: empty principals" "$kh"
    server "$kt" -s "$ca" -h -n foo
    compare "$kt: wrong principals" "$kh"
    server "$kt" -s "$ca" -h -n "$HOSTS" -V 20300101:20320101
    compare "$kt: not yet valid" "$kh"
    server "$kt" -s "$ca" -h -n "$HOSTS" -V 19800101:19900101
    compare "$kt: expired" "$kh"
    server "$kt" -s "$ca" -h -n "$HOSTS" -V -1w:+2w
    compare "$kt: valid interval" "$kh"
    server "$kt" -s "$ca" -h -n "$HOSTS" -O force-command=false
    compare "$kt: critical options" "$kh"

    # A certificate from an unknown CA, its raw key known (downgrade).
    server "$kt" -s "$T/ca2" -h -n "$HOSTS"
    plain="$HOSTS $(cat "$HK.pub")"$'\n'
    compare "$kt: unknown CA, raw key known" "$plain"
    compare "$kt: unknown CA, raw key known in the 2nd user file" "$plain" \
        "UserKnownHostsFile /dev/null $T/kh" "GlobalKnownHostsFile none"

    # Self-signed certificate (cert-hostkey.sh "wrong certificate").
    n=$((n + 1))
    mkdir -p "$T/s$n"
    HK=$T/s$n/hostkey
    case $kt in
    rsa) ssh-keygen -q -N '' -t rsa -b 2048 -f "$HK" </dev/null ;;
    ecdsa) ssh-keygen -q -N '' -t ecdsa -b 256 -f "$HK" </dev/null ;;
    *) ssh-keygen -q -N '' -t "$kt" -f "$HK" </dev/null ;;
    esac || BAIL_OUT "ssh-keygen"
    ssh-keygen -q -s "$HK" -h -I self -n "$HOSTS" "$HK.pub" 2>/dev/null || BAIL_OUT "self-sign"
    start_sshd "s$n" "HostCertificate $HK-cert.pub"
    var=SSHD_PORT_S$n
    PORT=${!var}
    compare "$kt: self-signed certificate" "$kh"
done

# knownhosts.sh: hashed names learnt under accept-new, then strict; a file
# without a final newline gets one before the new line.
server ed25519
for start in '' 'something' $'something\n'; do
    for who in ssh shoal; do
        printf '%s' "$start" >"$T/kh"
        {
            printf 'Host h\n    HostName 127.0.0.1\n    Port %s\n    User %s\n' "$PORT" "$LAB_USER"
            printf '    IdentityFile %s\n    IdentitiesOnly yes\n    HashKnownHosts yes\n' "$T/id_ed25519"
            printf '    UserKnownHostsFile %s\n    GlobalKnownHostsFile none\n' "$T/kh"
        } >"$T/cfg"
        if [ "$who" = ssh ]; then
            env -u SSH_AUTH_SOCK ssh -F "$T/cfg" -o BatchMode=yes -o StrictHostKeyChecking=accept-new \
                h true </dev/null >/dev/null 2>&1
        else
            run_shoal -F "$T/cfg" -w h --host-key-policy accept-new -- true
        fi
        env -u SSH_AUTH_SOCK ssh -F "$T/cfg" -o BatchMode=yes -o StrictHostKeyChecking=yes \
            h true </dev/null >/dev/null 2>&1
        s=$?
        run_shoal -F "$T/cfg" -w h --host-key-policy strict -- true
        printf -v "res_$who" '%s %s %s' "$s" "$RC" "$(wc -l <"$T/kh")"
    done
    same=no
    [ "$res_ssh" = "$res_shoal" ] && same=yes
    # ssh's rc, then shoal's, under strict, and the lines, after each one learnt
    verdict "accept-new with HashKnownHosts, file $(printf '%q' "$start")" "$same" \
        "learnt ($res_ssh)" "learnt ($res_shoal)"
done

diag "compared $compared cases with the installed ssh: $((differ + known)) differences," \
    "$known of them known and named in shoal(1)"
for d in "${diffs[@]}"; do diag "differs: $d"; done
cmp_ok "$compared" -ge 60 "at least 60 cases compared"
done_testing
