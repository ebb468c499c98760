#!/usr/bin/env bash
# tests/lab.sh - the demo lab: a local fleet of real OpenSSH servers on
# loopback, for people trying shoal (bash tests/demo.sh uses it).
#
#   bash tests/lab.sh up [DIR]      start it (default DIR /tmp/shoal-lab)
#   bash tests/lab.sh status [DIR]  say what runs
#   bash tests/lab.sh down [DIR]    stop everything 'up' started, remove DIR
#
# 'up' writes DIR/ssh_config with 40 healthy aliases demo01..demo40 (one
# sshd), busy01..busy20 behind a second sshd with MaxStartups 4:50:10, and,
# when tests/faultproxy is built, flaky hosts in front of the first sshd:
# flaky-stall (never answers), flaky-reset (resets twice, then works),
# flaky-throttle ("Exceeded MaxStartups" once, then works), flaky-slow (2 s
# late banner).  Root logs in as the user 'shoaltest' (shell /bin/sh).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top/build}"
cmd=${1:-}
dir=${2:-${SHOAL_LAB:-/tmp/shoal-lab}}

pids() { cat "$dir"/*.pid 2>/dev/null || true; }
alive() { local p; for p in $(pids); do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }

free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    echo "lab.sh: no free port" >&2
    exit 1
}

wait_port() {
    local i
    for i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "lab.sh: nothing answers on port $1" >&2
    return 1
}

start_sshd() { # NAME [extra config lines]; prints the port it listens on
    local name=$1 port line
    shift
    # A free port can be taken by someone else before sshd binds it: try again.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        port=$(free_port)
        {
            for line in "$@"; do echo "$line"; done
            cat <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $dir/hostkey
PidFile $dir/sshd-$name.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
AllowUsers $user
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxStartups 1000:30:1000
LogLevel ERROR
CFG
        } >"$dir/sshd-$name.conf"
        if /usr/sbin/sshd -f "$dir/sshd-$name.conf" -E "$dir/sshd-$name.log" && wait_port "$port"; then
            echo "$port"
            return 0
        fi
    done
    echo "lab.sh: sshd $name would not start: $(tail -3 "$dir/sshd-$name.log")" >&2
    exit 1
}

alias_block() { # ALIAS PORT
    printf 'Host %s\n    HostName 127.0.0.1\n    Port %s\n    User %s\n    IdentityFile %s\n    UserKnownHostsFile %s\n    StrictHostKeyChecking yes\n' \
        "$1" "$2" "$user" "$dir/id_ed25519" "$dir/known_hosts"
}

up() {
    if alive; then
        echo "lab.sh: the lab in $dir is already up"
        return 0
    fi
    command -v /usr/sbin/sshd >/dev/null || { echo "lab.sh: needs openssh-server (bash tests/deps.sh test)" >&2; exit 1; }
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        user=shoaltest
        id "$user" >/dev/null 2>&1 || useradd -r -m -d /var/lib/shoaltest -s /bin/sh "$user"
        grep -q "^$user:!" /etc/shadow && usermod -p '*' "$user"
        mkdir -p /run/sshd
    else
        user=$(id -un)
    fi
    ssh-keygen -q -t ed25519 -N '' -C shoal-lab-host -f "$dir/hostkey"
    ssh-keygen -q -t ed25519 -N '' -C shoal-lab -f "$dir/id_ed25519"
    cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
    chmod 644 "$dir/authorized_keys"

    main=$(start_sshd main)
    busy=$(start_sshd busy "MaxStartups 4:50:10")
    ports=("$main" "$busy")

    : >"$dir/ssh_config"
    for i in $(seq -f '%02g' 1 40); do alias_block "demo$i" "$main" >>"$dir/ssh_config"; done
    for i in $(seq -f '%02g' 1 20); do alias_block "busy$i" "$busy" >>"$dir/ssh_config"; done

    if [ -x "$top_builddir/tests/faultproxy" ]; then
        local t=127.0.0.1:$main names=(flaky-stall flaky-reset flaky-throttle flaky-slow) i=0 line
        "$top_builddir/tests/faultproxy" -p "$dir/faultproxy.pid" \
            -L "0:$t:stall" -L "0:$t:reset,reset,relay" -L "0:$t:throttle,relay" -L "0:$t:delay:2" \
            >"$dir/faultproxy.out" 2>"$dir/faultproxy.log" </dev/null &
        disown
        for _ in $(seq 1 100); do grep -q '^ready' "$dir/faultproxy.out" 2>/dev/null && break; sleep 0.05; done
        while read -r line; do
            case $line in
            listening*)
                alias_block "${names[$i]}" "${line##*:}" >>"$dir/ssh_config"
                ports+=("${line##*:}")
                i=$((i + 1))
                ;;
            esac
        done <"$dir/faultproxy.out"
    fi
    for p in "${ports[@]}"; do
        echo "[127.0.0.1]:$p $(cut -d' ' -f1,2 "$dir/hostkey.pub")" >>"$dir/known_hosts"
    done
    echo "lab.sh: up in $dir: demo01..demo40 and busy01..busy20 ($user@127.0.0.1:$main, :$busy)"
    echo "try: shoal -F $dir/ssh_config -H hosts/demo.hosts -H hosts/demo-flaky.hosts -- uname -n"
}

down() {
    local p
    for p in $(pids); do kill "$p" 2>/dev/null || true; done
    for _ in $(seq 1 40); do alive || break; sleep 0.05; done
    rm -rf "$dir"
    echo "lab.sh: down"
}

case $cmd in
up) up ;;
down) down ;;
status)
    if alive; then echo "lab.sh: up in $dir (pids $(pids | tr '\n' ' '))"; else echo "lab.sh: down"; exit 1; fi
    ;;
*) echo "usage: bash tests/lab.sh up|status|down [DIR]" >&2; exit 2 ;;
esac
