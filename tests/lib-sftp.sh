#!/usr/bin/env bash
# tests/lib-sftp.sh - sourced after lib.sh by the file transfer tests (06xx).
#
#   sftp_hosts N [sshd_config lines]
#       sshd on 127.0.0.1 to 127.0.0.N (one sshd per 10 addresses: sshd
#       listens on at most 16 sockets); SFTP sessions that come in on
#       127.0.0.K start in $T/hosts/hKK (owned by the login user), so the
#       aliases h01..hNN in $T/ssh_config are N distinct targets, and what
#       each received can be read straight from its folder.  Sessions on
#       those addresses are SFTP only (ForceCommand).
#
#   slow_sftp_sshd NAME DIR RATE [sshd_config lines]
#       sshd NAME (alias NAME in $T/ssh_config, its host key trusted) whose
#       sessions are SFTP only, rooted at DIR, the server reading its input
#       through a pipe that passes RATE bytes a second: an upload that takes
#       a while, to be interrupted.

sftp_hosts() {
    local n=$1 g i k d port var conf
    shift
    for ((g = 0; g * 10 < n; g++)); do
        # 127.0.0.1 too: the test library checks that address for "up".
        conf=("ListenAddress 127.0.0.1")
        for ((i = g * 10 + 1; i <= n && i <= g * 10 + 10; i++)); do
            [ "$i" -gt 1 ] && conf+=("ListenAddress 127.0.0.$i")
        done
        conf+=("$@")
        for ((i = g * 10 + 1; i <= n && i <= g * 10 + 10; i++)); do
            printf -v k %02d "$i"
            d=$T/hosts/h$k
            install -d -o "$LAB_USER" -m 755 "$d"
            conf+=("Match LocalAddress 127.0.0.$i" "    ForceCommand internal-sftp -d $d")
        done
        start_sshd "sftp$g" "${conf[@]}"
        var=SSHD_PORT_SFTP$g
        port=${!var}
        for ((i = g * 10 + 1; i <= n && i <= g * 10 + 10; i++)); do
            printf -v k %02d "$i"
            add_alias "$T/ssh_config" "h$k" "$port" "127.0.0.$i"
            trust_host_keys "127.0.0.$i:$port"
        done
    done
}

slow_sftp_sshd() {
    local name=$1 dir=$2 rate=$3 var
    shift 3
    cat >"$T/slowpipe.py" <<'PY'
import os, sys, time
rate = int(sys.argv[1])
start = time.monotonic()
sent = 0
while True:
    data = os.read(0, 65536)
    if not data:
        break
    os.write(1, data)
    sent += len(data)
    ahead = sent / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
PY
    start_sshd "$name" "$@" "ForceCommand /bin/sh -c 'exec /usr/bin/python3 $T/slowpipe.py $rate | exec /usr/lib/openssh/sftp-server -d $dir'"
    var=SSHD_PORT_${name^^}
    add_alias "$T/ssh_config" "$name" "${!var}"
    trust_host_keys "${!var}"
}
