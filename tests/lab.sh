#!/usr/bin/env bash
# tests/lab.sh - the demo lab: a local fleet of real OpenSSH servers on
# loopback, for people trying shoal and for the README (tests/demo.sh uses it).
#
#   bash tests/lab.sh up [DIR]      start it (DIR defaults to $SHOAL_LAB, else
#                                   /tmp/shoal-lab); says so if it is up already
#   bash tests/lab.sh status [DIR]  what runs, on which ports (exit 0 when up)
#   bash tests/lab.sh down [DIR]    stop everything 'up' started, remove DIR
#
# 'up' writes DIR/ssh_config (with DIR/known_hosts already trusting the
# servers, and the client key DIR/id_ed25519) naming:
#   demo01..demo40   40 aliases of one healthy sshd
#   busy01..busy20   20 aliases of a second sshd with MaxStartups 4:50:10,
#                    which drops handshakes when more than 4 are in flight
# and, when tests/faultproxy is built, 4 flaky hosts in front of the first:
#   flaky-stall      accepts, never answers
#   flaky-reset      resets the lab's first two connections to it, then works
#   flaky-throttle   says "Exceeded MaxStartups" once, then works
#   flaky-slow       its banner comes 2 s late
# As root the servers log in the user 'shoaltest' (shell /bin/sh), otherwise
# the current user.  The servers are started by tests/lib.sh's start_sshd
# (a port another process takes first is retried; sshd's own pid file tells
# that the port is ours), in their own session, with their pid in DIR/*.pid:
# they outlive this script.  DIR/lab.env lists the ports: free ones, or with
# SHOAL_LAB_PORT=N the main sshd on N, the busy one on N+1 and the flaky
# hosts on N+2 to N+5.
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmd=${1:-}
dir=${2:-${SHOAL_LAB:-/tmp/shoal-lab}}
case $dir in
/*) ;;
*) dir=$PWD/$dir ;;
esac
while [ "${#dir}" -gt 1 ] && [ "${dir%/}" != "$dir" ]; do dir=${dir%/}; done

case $cmd in
up | down | status) ;;
*)
    echo "usage: bash tests/lab.sh up|status|down [DIR]   (DIR: /tmp/shoal-lab)" >&2
    exit 2
    ;;
esac
[ "$dir" != / ] || { echo "lab.sh: refusing to use / as the lab directory" >&2; exit 2; }

# The helpers of the tests, in lab mode: no TAP, no trap, servers detached.
T=$dir
SHOAL_LIB_MODE=lab
# shellcheck source=tests/lib.sh disable=SC1091
. "$top/tests/lib.sh"

flaky_names=(flaky-stall flaky-reset flaky-throttle flaky-slow)
flaky_plans=(stall 'reset,reset,relay' 'throttle,relay' delay:2)
flaky_notes=("accepts, never answers" "resets the first two connections, then works"
    "says 'Exceeded MaxStartups' once, then works" "banner 2 s late")

is_lab() { [ -f "$dir/.shoal-lab" ]; }

# lab_pid PIDFILE: prints the pid in PIDFILE if that process runs and is one
# of the lab's (its command line names the lab directory): a stale pidfile
# never gets an unrelated process killed.
lab_pid() {
    local pid
    read -r pid 2>/dev/null <"$1" || return 1
    [[ $pid =~ ^[0-9]+$ ]] && running "$pid" || return 1
    _lib_cmdline_has "$dir/"
    [[ " ${_lib_r[*]} " == *" $pid "* ]] || return 1
    echo "$pid"
}

# Sets up, down: the pidfiles whose process runs, and those whose does not.
survey() {
    local f
    up=()
    down=()
    for f in "$dir"/*.pid; do
        [ -f "$f" ] || continue
        if lab_pid "$f" >/dev/null; then up+=("$f"); else down+=("$f"); fi
    done
}

# Stops every lab process and what runs under it (sessions of the servers);
# sets stopped to how many processes that was.
stop_all() {
    local f pid roots=()
    for f in "$dir"/*.pid; do
        [ -f "$f" ] || continue
        pid=$(lab_pid "$f") && roots+=("$pid")
    done
    stopped=0
    [ "${#roots[@]}" -eq 0 ] && return 0
    _lib_descendants "${roots[@]}"
    stopped=${#_lib_r[@]}
    kill_procs "${_lib_r[@]}"
}

# here PATH: PATH relative to where the user stands, when it is below it.
here() {
    case $1 in
    "$PWD"/*) echo "${1#"$PWD"/}" ;;
    *) echo "$1" ;;
    esac
}

hints() {
    local shoal=shoal arg=
    [ -x "$SHOAL" ] && shoal=$(here "$SHOAL")
    [ "$dir" = /tmp/shoal-lab ] || arg=" $dir"
    echo "try:"
    echo "  $shoal -F $dir/ssh_config -H $(here "$top/hosts/demo.hosts") -- uname -n"
    if [ -f "$dir/faultproxy.pid" ]; then
        echo "  $shoal -F $dir/ssh_config -H $(here "$top/hosts/demo-flaky.hosts") --banner-timeout 3 -- uname -n"
    fi
    echo "  ssh -F $dir/ssh_config demo07 true     (OpenSSH's own client, same config)"
    echo "stop it with: bash $(here "$top/tests/lab.sh") down$arg"
}

status() {
    local k v f pid
    if ! is_lab; then
        echo "lab.sh: no lab in $dir"
        return 1
    fi
    survey
    if [ "${#up[@]}" -gt 0 ] && [ "${#down[@]}" -eq 0 ]; then
        echo "lab.sh: up in $dir"
    elif [ "${#up[@]}" -eq 0 ]; then
        echo "lab.sh: down: $dir is left from a lab that no longer runs ('up' restarts it)"
    else
        echo "lab.sh: partly up in $dir ('up' restarts it)"
    fi
    for f in "$dir"/*.pid; do
        [ -f "$f" ] || continue
        k=${f##*/}
        k=${k%.pid}
        if pid=$(lab_pid "$f"); then v="running, pid $pid"; else v="NOT running"; fi
        printf '  %-12s %s\n' "$k" "$v"
    done
    if [ -f "$dir/lab.env" ]; then
        while IFS='=' read -r k v; do
            case $k in
            LAB_USER | *_PORT | *_PORT_*) printf '  %-24s %s\n' "$k" "$v" ;;
            esac
        done <"$dir/lab.env"
    fi
    [ "${#down[@]}" -eq 0 ] && [ "${#up[@]}" -gt 0 ]
}

down() {
    if ! is_lab; then
        if [ -e "$dir" ]; then
            echo "lab.sh: $dir is not a lab (no .shoal-lab in it): not touching it" >&2
            return 1
        fi
        echo "lab.sh: no lab in $dir: nothing to stop"
        return 0
    fi
    stop_all
    rm -rf "$dir"
    echo "lab.sh: down: stopped $stopped processes, removed $dir"
}

# If 'up' stops half way, take down what it started.
up_failed() {
    stop_all
    rm -rf "$dir"
    echo "lab.sh: the lab did not come up; nothing of it is left running" >&2
}

up() {
    local i port names=() line specs=()
    if is_lab; then
        survey
        if [ "${#up[@]}" -gt 0 ] && [ "${#down[@]}" -eq 0 ]; then
            echo "lab.sh: the lab in $dir is already up"
            hints
            return 0
        fi
        echo "lab.sh: the lab in $dir is not (all) running: starting it afresh"
        stop_all
        rm -rf "$dir"
    elif [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
        echo "lab.sh: $dir exists and is not a lab: choose another directory" >&2
        return 1
    fi
    if [ ! -x /usr/sbin/sshd ]; then
        echo "lab.sh: needs OpenSSH's sshd (bash tests/deps.sh test, or apt-get install openssh-server)" >&2
        return 1
    fi
    mkdir -p "$dir" || return 1
    chmod 755 "$dir"
    : >"$dir/.shoal-lab"
    trap up_failed EXIT
    trap 'exit 1' INT TERM HUP

    lab_user
    if [ "$(id -u)" -eq 0 ] && ! runuser -u "$LAB_USER" -- test -r "$dir/.shoal-lab" 2>/dev/null; then
        echo "lab.sh: $LAB_USER cannot read $dir (sshd reads authorized_keys as that user); use a directory under /tmp" >&2
        exit 1
    fi
    lab_keys
    local base=${SHOAL_LAB_PORT:-}
    if [ -n "$base" ] && { [[ ! $base =~ ^[0-9]+$ ]] || ((base < 1024 || base > 65530)); }; then
        echo "lab.sh: SHOAL_LAB_PORT=$base: want a port from 1024 to 65530 (the lab takes 6 from it)" >&2
        exit 1
    fi
    start_sshd main ${base:+"Port $base"}
    start_sshd busy "MaxStartups 4:50:10" ${base:+"Port $((base + 1))"}
    write_ssh_config "$dir/ssh_config"
    add_aliases "$dir/ssh_config" demo 40 "$SSHD_PORT_MAIN"
    add_aliases "$dir/ssh_config" busy 20 "$SSHD_PORT_BUSY"
    trust_host_keys "$SSHD_PORT_MAIN" "$SSHD_PORT_BUSY"
    {
        echo "SHOAL_LAB=$dir"
        echo "LAB_USER=$LAB_USER"
        echo "SSHD_PORT_MAIN=$SSHD_PORT_MAIN"
        echo "SSHD_PORT_BUSY=$SSHD_PORT_BUSY"
    } >"$dir/lab.env"

    if [ -x "$top_builddir/tests/faultproxy" ]; then
        for i in "${!flaky_plans[@]}"; do
            port=0
            [ -n "$base" ] && port=$((base + 2 + i))
            specs+=("$port:127.0.0.1:$SSHD_PORT_MAIN:${flaky_plans[$i]}")
        done
        start_faultproxy "${specs[@]}"
        for i in "${!flaky_names[@]}"; do
            port=FP_PORT_$((i + 1))
            port=${!port}
            add_alias "$dir/ssh_config" "${flaky_names[$i]}" "$port"
            trust_host_keys "$port"
            names+=("$(printf '  %-16s faultproxy 127.0.0.1:%s: %s' "${flaky_names[$i]}" "$port" "${flaky_notes[$i]}")")
            line=${flaky_names[$i]^^}
            echo "${line//-/_}_PORT=$port" >>"$dir/lab.env"
        done
    fi
    trap - EXIT INT TERM HUP

    echo "lab.sh: up in $dir (login user $LAB_USER)"
    echo "  demo01..demo40   sshd 127.0.0.1:$SSHD_PORT_MAIN"
    echo "  busy01..busy20   sshd 127.0.0.1:$SSHD_PORT_BUSY with MaxStartups 4:50:10"
    if [ "${#names[@]}" -gt 0 ]; then
        printf '%s\n' "${names[@]}"
    else
        echo "  (no flaky hosts: tests/faultproxy is not built; 'make', then 'down' and 'up')"
    fi
    hints
}

"$cmd"
