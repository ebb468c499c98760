#!/usr/bin/env bash
# t0373: known_hosts lookups off port 22 as ssh makes them (issue 23).  A
# key recorded for the bare host (`127.0.0.1 KEY`, `::1 KEY`,
# `@cert-authority 127.0.0.1 CA`) is accepted when no `[host]:port` line
# names the host, as ssh accepts it ("found matching key w/out port");
# shoal refused it as unknown.  A bare line with another key leaves the
# host unknown in both (not changed), and accept-new records the
# `[host]:port` line, as ssh does; a bare key known is not recorded again.
# Numeric IPv4 forms (127.1, 2130706433) are written as ssh writes them
# (127.0.0.1) in -G and in the name looked up.  Every case is run with the
# installed ssh first, against the same sshd and the same file.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
ssh-keygen -q -t ed25519 -N '' -C ca -f "$T/ca" </dev/null || BAIL_OUT "ssh-keygen failed"
start_sshd main
P=$SSHD_PORT_MAIN
start_sshd six "ListenAddress 127.0.0.1" "ListenAddress ::1"
P6=$SSHD_PORT_SIX
mkdir -p "$T/cert"
ssh-keygen -q -t ed25519 -N '' -f "$T/cert/hostkey" </dev/null || BAIL_OUT "ssh-keygen failed"
ssh-keygen -q -s "$T/ca" -I cert -h -n 127.0.0.1 -V -5m:+1h "$T/cert/hostkey.pub" 2>/dev/null ||
    BAIL_OUT "ssh-keygen -s failed"
start_sshd cert "HostCertificate $T/cert/hostkey-cert.pub"
PC=$SSHD_PORT_CERT
add_alias "$T/ssh_config" v4 "$P"
add_alias "$T/ssh_config" v6 "$P6" ::1
add_alias "$T/ssh_config" short "$P" 127.1
add_alias "$T/ssh_config" decimal "$P" 2130706433
add_alias "$T/ssh_config" cert "$PC"
for a in v4 v6 short decimal cert; do
    printf 'Host %s\n    GlobalKnownHostsFile none\n' "$a" >>"$T/ssh_config"
done
read -r type blob _ <"$T/main/hostkey.pub"
read -r type6 blob6 _ <"$T/six/hostkey.pub"
read -r catype cablob _ <"$T/ca.pub"
ssh-keygen -q -t ed25519 -N '' -f "$T/other" </dev/null || BAIL_OUT "ssh-keygen failed"
read -r otype oblob _ <"$T/other.pub"

ssh_ok() { # alias [ssh options]: ssh's status
    ssh -F "$T/ssh_config" -o BatchMode=yes "${@:2}" "$1" true </dev/null >/dev/null 2>"$T/ssh.err"
}

# case ALIAS POLICY WANT_RC KH_LINE DESC: ssh and shoal against one file.
case_both() {
    local alias=$1 policy=$2 want=$3 line=$4 desc=$5 sshp=yes
    [ "$policy" = accept-new ] && sshp=accept-new
    printf '%s\n' "$line" >"$T/known_hosts"
    ssh_ok "$alias" -o StrictHostKeyChecking=$sshp
    ssh_rc=$?
    cp "$T/known_hosts" "$T/kh.ssh"
    printf '%s\n' "$line" >"$T/known_hosts"
    run_shoal -F "$T/ssh_config" -w "$alias" --host-key-policy "$policy" -- echo RAN
    if [ "$want" = 0 ]; then
        is "$ssh_rc" 0 "$desc: ssh logs in"
        is "$RC" 0 "$desc: shoal logs in too"
        is "$(cat "$T/out")" "$alias: RAN" "$desc: the command ran"
    else
        isnt "$ssh_rc" 0 "$desc: ssh refuses"
        is "$RC" 3 "$desc: shoal refuses too"
        like "$(cat "$T/err")" "$alias: hostkey_unknown" "$desc: as unknown, not changed"
    fi
}

case_both v4 strict 0 "127.0.0.1 $type $blob" "127.0.0.1 KEY, port $P, strict"
case_both v6 strict 0 "::1 $type6 $blob6" "::1 KEY, port $P6, strict"
case_both v4 strict 0 "127.0.0.1,other.example $type $blob" "a bare name in a list"
case_both cert strict 0 "@cert-authority 127.0.0.1 $catype $cablob" \
    "@cert-authority 127.0.0.1 CA, port $PC"
case_both v4 strict 3 "127.0.0.1 $otype $oblob" "a bare line with another key"

# accept-new: a bare line with another key: the [host]:port line recorded, as ssh does.
case_both v4 accept-new 0 "127.0.0.1 $otype $oblob" "accept-new past a bare line with another key"
is "$(grep -c "^\\[127.0.0.1\\]:$P " "$T/known_hosts")" 1 "shoal recorded [127.0.0.1]:$P"
is "$(grep -c "^\\[127.0.0.1\\]:$P " "$T/kh.ssh")" 1 "as ssh recorded it"
# accept-new: the bare key known: nothing recorded, by either.
case_both v4 accept-new 0 "127.0.0.1 $type $blob" "accept-new, the bare key known"
is "$(wc -l <"$T/known_hosts")" 1 "shoal recorded nothing"
is "$(wc -l <"$T/kh.ssh")" 1 "nor did ssh"

# A [host]:port line with another key: changed, the bare line does not help.
printf '[127.0.0.1]:%s %s %s\n127.0.0.1 %s %s\n' "$P" "$otype" "$oblob" "$type" "$blob" >"$T/known_hosts"
ssh_ok v4 -o StrictHostKeyChecking=yes
isnt $? 0 "a [host]:port line with another key: ssh refuses"
run_shoal -F "$T/ssh_config" -w v4 --host-key-policy strict -- echo RAN
like "$(cat "$T/err")" "v4: hostkey_changed" "shoal: hostkey_changed, the bare line not consulted"

# Numeric forms: normalised as ssh does, in -G and in the lookup.
for alias in short decimal; do
    is "$(run_shoal -G -F "$T/ssh_config" -w "$alias"; grep '^hostname ' "$T/out")" \
        "$(ssh -G -F "$T/ssh_config" "$alias" </dev/null 2>/dev/null | grep '^hostname ')" \
        "$alias: -G's hostname is ssh -G's"
    case_both "$alias" strict 0 "[127.0.0.1]:$P $type $blob" "$alias looked up as 127.0.0.1"
done
run_shoal -G -F /dev/null -w 127.000.000.001
is "$(grep '^hostname ' "$T/out")" "hostname 127.0.0.1" "-w 127.000.000.001: hostname 127.0.0.1"

done_testing
