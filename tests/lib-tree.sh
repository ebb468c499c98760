# tests/lib-tree.sh - sourced after lib.sh by the tree mode tests (t07xx) and
# tests/bench/tree.sh: gateways that run this build of shoal.
#
#   tree_lab NGW NTARGETS [START]
#                           the lab user and keys; sshds gw1..gwNGW (the
#                           gateways) and tgt (every target); $T/ssh_config
#                           names gw1..gwN for the root; $T/gw/ssh_config names
#                           n01..nNN (all on tgt) for the gateways' shoal, with
#                           a key and known_hosts the lab user owns; the
#                           gateways run $T/gw/shoal, which is this build with
#                           -F $T/gw/ssh_config (the lab user's ~/.ssh is not
#                           touched).  Exports GW_SHOAL.  START (default
#                           start_sshd) starts the targets' server: called
#                           as `START tgt`, it leaves its host key in
#                           $T/tgt/hostkey.pub and exports SSHD_PORT_TGT,
#                           as start_sshd does (tests/bench/tree.sh gives
#                           start_lightsshd, of tests/bench/lib-bench.sh).
#   tree_gateway_below GW...  the gateways' shoal reaches these gateways too.
#   tree_sftp_targets N     after tree_lab: lib-sftp.sh's sftp_hosts N (h01..hNN,
#                           each SFTP only, in its own folder $T/hosts/hKK),
#                           named in $T/gw/ssh_config too with the gateways'
#                           key and known_hosts, so one file tree per target
#                           can be fetched flat and through the gateways.
#   tree_gateway_tmp NAME DIR  $T/gw/NAME: the gateways' shoal with its private
#                           folders in DIR (made, the lab user's, 0700), to be
#                           counted, or kept apart from a gateway a test kills.
#   tree_gateway_shoal [SHARE]  the pids of this test's gateway shoals serving
#                           share SHARE (default 0), to kill one.
#   tree_slow_target NAME DIR RATE
#                           after tree_lab: sshd NAME (alias NAME for the root
#                           and the gateways' shoal), SFTP only, rooted at DIR,
#                           what its server sends passing through a pipe of
#                           RATE bytes/s: a --rcopy that takes a while.  Its
#                           pipe's command line holds $T/slowpipe.py.

tree_lab() {
    local ngw=$1 nt=$2 start=${3:-start_sshd} i gw=$T/gw
    lab_user
    lab_keys
    "$start" tgt
    mkdir -p "$gw"
    write_ssh_config "$T/ssh_config"
    for ((i = 1; i <= ngw; i++)); do
        start_sshd "gw$i"
        local var=SSHD_PORT_GW$i
        add_alias "$T/ssh_config" "gw$i" "${!var}"
        trust_host_keys "${!var}"
    done
    # The gateways' side: the lab user's own key and known_hosts.
    cp "$T/id_ed25519" "$gw/id"
    local type blob
    read -r type blob _ <"$T/tgt/hostkey.pub"
    echo "[127.0.0.1]:$SSHD_PORT_TGT $type $blob" >"$gw/known_hosts"
    write_ssh_config "$gw/ssh_config"
    add_aliases "$gw/ssh_config" n "$nt" "$SSHD_PORT_TGT" \
        "IdentityFile $gw/id" "UserKnownHostsFile $gw/known_hosts"
    # Its private folders (--copy's staging) in $T/gw/tmp unless a test's
    # own wrapper chose: a gateway a test kills leaves its own behind, and
    # the test's end removes $T.
    mkdir -p "$gw/tmp"
    printf '#!/bin/sh\nTMPDIR=${TMPDIR:-%s} exec %s "$@" -F %s\n' "$gw/tmp" "$SHOAL" "$gw/ssh_config" >"$gw/shoal"
    chmod 755 "$gw/shoal"
    chown -R "$LAB_USER" "$gw"
    chmod 600 "$gw/id"
    GW_SHOAL=$gw/shoal
    export GW_SHOAL
}

# tree_gateway_below GW...: after tree_lab, the gateways' shoal reaches these
# gateways too (gw2..gwN of tree_lab, for a topology of several levels, or a
# gateway named as a target), with the gateways' key and known_hosts.
tree_gateway_below() {
    local g var type blob
    for g in "$@"; do
        var=SSHD_PORT_${g^^}
        read -r type blob _ <"$T/$g/hostkey.pub"
        echo "[127.0.0.1]:${!var} $type $blob" >>"$T/gw/known_hosts"
        add_alias "$T/gw/ssh_config" "$g" "${!var}" "" "IdentityFile $T/gw/id" \
            "UserKnownHostsFile $T/gw/known_hosts"
    done
}

tree_sftp_targets() {
    local n=$1 i k var port gw=$T/gw
    . "$(dirname "${BASH_SOURCE[0]}")/lib-sftp.sh"
    sftp_hosts "$n"
    for ((i = 1; i <= n; i++)); do
        printf -v k %02d "$i"
        var=SSHD_PORT_SFTP$(((i - 1) / 10))
        port=${!var}
        add_alias "$gw/ssh_config" "h$k" "$port" "127.0.0.$i" \
            "IdentityFile $gw/id" "UserKnownHostsFile $gw/known_hosts"
    done
    grep -F '[127.0.0.' "$T/known_hosts" >>"$gw/known_hosts"
    chown "$LAB_USER" "$gw/known_hosts" "$gw/ssh_config"
}

tree_gateway_tmp() {
    install -d -o "$LAB_USER" -m 700 "$2"
    printf '#!/bin/sh\nTMPDIR=%s exec %s "$@"\n' "$2" "$GW_SHOAL" >"$T/gw/$1"
    chmod 755 "$T/gw/$1"
}

tree_gateway_shoal() {
    procs_with "--gateway-serve ${1:-0}" | while read -r p; do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "$T/gw/ssh_config" && echo "$p"
    done
}

tree_slow_target() {
    local name=$1 dir=$2 rate=$3 var type blob
    . "$(dirname "${BASH_SOURCE[0]}")/lib-sftp.sh"
    slowpipe_script
    start_sshd "$name" "ForceCommand /usr/lib/openssh/sftp-server -d $dir | /usr/bin/python3 $T/slowpipe.py $rate"
    var=SSHD_PORT_${name^^}
    add_alias "$T/ssh_config" "$name" "${!var}"
    trust_host_keys "${!var}"
    read -r type blob _ <"$T/$name/hostkey.pub"
    echo "[127.0.0.1]:${!var} $type $blob" >>"$T/gw/known_hosts"
    add_alias "$T/gw/ssh_config" "$name" "${!var}" "" "IdentityFile $T/gw/id" \
        "UserKnownHostsFile $T/gw/known_hosts"
}
