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
#   slow_sftp_lab [sshd_config lines]
#       sshd `slow` (alias slow in $T/ssh_config, its host key trusted)
#       whose sessions are SFTP only, rooted at $SLOW_HOME ($T/slowhome, and
#       in/ there, the login user's), the server reading its input through a
#       pipe that passes 2 MB/s; $T/big.bin is 20 MB of random bytes, an
#       upload that takes a while, to be interrupted.  slow_partial: the
#       upload of big.bin to in/ is under way (its temporary passed 100 kB).
#
#   slowpipe_script
#       writes $T/slowpipe.py: `python3 $T/slowpipe.py RATE` copies its stdin
#       to its stdout at RATE bytes a second (slow_sftp_lab, tree_slow_target).

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

slow_partial() { [ -n "$(find "$SLOW_HOME/in" -name '.big.bin.shoal-*' -size +100k)" ]; }

slowpipe_script() {
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
}

slow_sftp_lab() {
    SLOW_HOME=$T/slowhome
    install -d -o "$LAB_USER" "$SLOW_HOME" "$SLOW_HOME/in"
    head -c $((20 * 1024 * 1024)) /dev/urandom >"$T/big.bin"
    slowpipe_script
    start_sshd slow "$@" "ForceCommand /bin/sh -c 'exec /usr/bin/python3 $T/slowpipe.py 2000000 | exec /usr/lib/openssh/sftp-server -d $SLOW_HOME'"
    add_alias "$T/ssh_config" slow "$SSHD_PORT_SLOW"
    trust_host_keys "$SSHD_PORT_SLOW"
}
