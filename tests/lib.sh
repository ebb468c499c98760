#!/usr/bin/env bash
# tests/lib.sh - sourced by every tests/tNNNN-what-it-proves.sh.
#
# Gives a test TAP output, a private temp dir $T, real OpenSSH servers on
# free loopback ports, the fault proxy, ssh_config and known_hosts writers,
# and a cleanup that ends every process the test started, whatever way the
# test ends (done, failed, bailed out, interrupted).
#
#   TAP      plan N, done_testing, ok STATUS DESC, pass DESC, fail DESC,
#            skip DESC, is GOT WANT DESC, isnt GOT NOTWANT DESC,
#            like GOT ERE DESC, unlike GOT ERE DESC, cmp_ok GOT OP WANT DESC,
#            diag MSG, skip_all REASON, BAIL_OUT REASON
#   running  run_shoal ARGS...   -> $T/out, $T/err, $RC (stdin: $SHOAL_STDIN
#            or /dev/null; hard deadline $SHOAL_TIMEOUT, default 60 s;
#            SHOAL_OFFLINE=1: no network), offline_ok
#            wait_for SECS CMD...   (polls every 50 ms; status 1 at the deadline)
#            at_exit CMD...         (run at cleanup, before processes are ended)
#   procs    running PID..., procs_with STRING, kill_procs PID...
#   lab      lab_user, lab_keys, lab_password PW, free_port,
#            start_sshd NAME [sshd_config lines], start_hostile_sshd NAME [--banner],
#            write_ssh_config FILE, add_alias FILE ALIAS PORT [HOSTNAME] [lines],
#            add_aliases FILE PREFIX COUNT PORT [lines],
#            trust_host_keys [HOST:]PORT..., start_faultproxy SPEC...
#   keepers  keeper_lab, keeper_pids, cold_then_warm CMD..., warm_is_cold COLD_DIR WARM_DIR
#
# Environment: top_srcdir, top_builddir, srcdir and SHOAL default from where
# this file is; SHOAL_TIMEOUT; SHOAL_KEEP_T=1 keeps $T for a look afterwards.
#
# tests/lab.sh sources this file with SHOAL_LIB_MODE=lab and T set to the lab
# directory: then nothing is printed as TAP, no trap is set, and servers are
# started in their own session with DIR/NAME.pid so they outlive the script.
set -u

[ -n "${_shoal_lib_loaded:-}" ] && return 0
_shoal_lib_loaded=1

# Tests read shoal's summary with its UTF-8 middle dots: under a machine's C
# locale shoal writes ASCII, so a test runs in C.UTF-8 unless it sets its own.
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
*UTF-8* | *utf8* | *UTF8* | *utf-8*) ;;
*) export LC_ALL=C.UTF-8 ;;
esac

# ---- where things are -------------------------------------------------------

_lib_is_builddir() {
    [ -f "$1/config.status" ] && grep -q shoal "$1/config.status" 2>/dev/null
}

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${srcdir:=$top_srcdir}"
if [ -z "${top_builddir:-}" ]; then
    for _d in "$PWD" "$PWD/.." "$top_srcdir/build" "$top_srcdir"; do
        if _lib_is_builddir "$_d"; then
            top_builddir=$(cd "$_d" && pwd)
            break
        fi
    done
    : "${top_builddir:=$top_srcdir/build}"
    unset _d
fi
: "${SHOAL:=$top_builddir/src/shoal}"
export top_srcdir top_builddir srcdir SHOAL

_lib_mode=${SHOAL_LIB_MODE:-test}
_lib_pids=()        # processes started through _lib_spawn (test mode)
_lib_at_exit=()     # commands for at_exit, run as strings by eval
declare -A _lib_port_key=()  # port -> host public key file, for trust_host_keys
_lib_fp_count=0
_lib_fp_ports=0
_lib_hung=0

if [ "$_lib_mode" = lab ]; then
    : "${T:?tests/lib.sh: SHOAL_LIB_MODE=lab needs T set to the lab directory}"
else
    # When root, sshd reads authorized_keys as the login user: $T must be
    # reachable by it, so it lives in /tmp whatever TMPDIR says.
    _lib_tmp=${TMPDIR:-/tmp}
    [ "$EUID" -eq 0 ] && _lib_tmp=/tmp
    T=$(mktemp -d "$_lib_tmp/shoal-$(basename "$0" .sh).XXXXXX") || {
        echo "Bail out! mktemp failed"
        exit 1
    }
    chmod 755 "$T"
    unset _lib_tmp
fi
# TAP lines go to the test's stdout even from inside $(...).
exec {_lib_out}>&1

# ---- TAP --------------------------------------------------------------------

_tap_n=0
_tap_failed=0
_tap_planned=
_tap_done=

plan() {
    [ -n "$_tap_planned" ] && BAIL_OUT "plan called twice"
    _tap_planned=$1
    echo "1..$1" >&"$_lib_out"
}

diag() {
    local l
    while IFS= read -r l; do
        printf '# %s\n' "$l"
    done <<<"$*" >&2
}

pass() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $*" >&"$_lib_out"
}

fail() {
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    echo "not ok $_tap_n - $*" >&"$_lib_out"
    # Name the test's line, not this file's.
    local i=1
    while [ "$i" -lt "${#BASH_SOURCE[@]}" ] && [ "${BASH_SOURCE[$i]}" = "${BASH_SOURCE[0]}" ]; do
        i=$((i + 1))
    done
    diag "Failed test '$*' at ${BASH_SOURCE[$i]:-?} line ${BASH_LINENO[$((i - 1))]}"
    return 1
}

# skip DESC: one test point that did not run.
skip() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n # skip $*" >&"$_lib_out"
}

# ok STATUS DESC: passes when STATUS (an exit status) is 0.
ok() {
    if [ "$1" = 0 ]; then pass "$2"; else
        fail "$2"
        diag "exit status: $1"
        return 1
    fi
}

is() {
    if [ "$1" = "$2" ]; then pass "$3"; else
        fail "$3"
        diag "got:  '$1'"$'\n'"want: '$2'"
        return 1
    fi
}

isnt() {
    if [ "$1" != "$2" ]; then pass "$3"; else
        fail "$3"
        diag "got:  '$1'"$'\n'"want: anything else"
        return 1
    fi
}

like() {
    if grep -qE -- "$2" <<<"$1"; then pass "$3"; else
        fail "$3"
        diag "got:  '$1'"$'\n'"want: /$2/"
        return 1
    fi
}

unlike() {
    if ! grep -qE -- "$2" <<<"$1"; then pass "$3"; else
        fail "$3"
        diag "got:  '$1'"$'\n'"want no match for /$2/"
        return 1
    fi
}

# cmp_ok GOT OP WANT DESC: numeric comparison (decimals allowed); OP is one
# of == != < <= > >= or -eq -ne -lt -le -gt -ge.
cmp_ok() {
    local got=$1 op=$2 want=$3 num='^-?[0-9]+([.][0-9]+)?$'
    case $op in
    -eq) op='==' ;; -ne) op='!=' ;; -lt) op='<' ;;
    -le) op='<=' ;; -gt) op='>' ;; -ge) op='>=' ;;
    '==' | '!=' | '<' | '<=' | '>' | '>=') ;;
    *) BAIL_OUT "cmp_ok: unknown operator '$op'" ;;
    esac
    if [[ $got =~ $num && $want =~ $num ]] &&
        awk -v a="$got" -v b="$want" "BEGIN { exit !(a $op b) }"; then
        pass "$4"
    else
        fail "$4"
        diag "    '$got'"$'\n'"        $op"$'\n'"    '$want'"
        return 1
    fi
}

skip_all() {
    if [ "$_lib_mode" = lab ]; then
        echo "lab.sh: $*" >&2
        exit 1
    fi
    [ "$_tap_n" -gt 0 ] && BAIL_OUT "skip_all after $_tap_n tests ran: $*"
    _tap_done=1
    echo "1..0 # SKIP $*" >&"$_lib_out"
    exit 0
}

BAIL_OUT() {
    if [ "$_lib_mode" = lab ]; then
        echo "lab.sh: $*" >&2
    else
        echo "Bail out! $*" >&"$_lib_out"
    fi
    # From inside $(...) end the test itself, not just the subshell.
    [ "$BASHPID" != "$$" ] && kill -TERM "$$"
    exit 1
}

done_testing() {
    _tap_done=1
    if [ -z "$_tap_planned" ]; then
        echo "1..$_tap_n" >&"$_lib_out"
    elif [ "$_tap_planned" != "$_tap_n" ]; then
        diag "planned $_tap_planned tests but ran $_tap_n"
        exit 1
    fi
    [ "$_tap_failed" -eq 0 ] && [ "$_lib_hung" -eq 0 ] && exit 0
    [ "$_tap_failed" -gt 0 ] && diag "failed $_tap_failed of $_tap_n tests"
    exit 1
}

# ---- time and waiting -------------------------------------------------------

# _lib_usecs SECS: sets _lib_r to SECS (5, 0.5, 2.25) in microseconds.
_lib_usecs() {
    local s=$1 i f=
    [[ $s =~ ^[0-9]*([.][0-9]*)?$ ]] || BAIL_OUT "not a number of seconds: '$s'"
    i=${s%%.*}
    [[ $s == *.* ]] && f=${s#*.}
    f=${f}000000
    _lib_r=$((10#${i:-0} * 1000000 + 10#${f:0:6}))
}

# _lib_now: sets _lib_r to the wall clock in microseconds.
_lib_now() {
    _lib_r=${EPOCHREALTIME/[.,]/}
    [ -n "$_lib_r" ] || _lib_r=$(date +%s%6N)
}

# wait_for SECS CMD...: run CMD every 50 ms until it succeeds (0) or SECS
# have passed (1).  The only place the tests sleep.
wait_for() {
    local end
    _lib_usecs "$1"
    end=$_lib_r
    shift
    _lib_now
    end=$((end + _lib_r))
    while :; do
        "$@" && return 0
        _lib_now
        [ "$_lib_r" -ge "$end" ] && return 1
        sleep 0.05
    done
}

# ---- processes --------------------------------------------------------------

# _lib_spawn NAME OUT ERR CMD...: start CMD in the background; sets _lib_pid.
# In a test it is ended at cleanup; in the lab it gets its own session (no
# hangup from the terminal) and $T/NAME.pid, and outlives the script.
_lib_spawn() {
    local name=$1 out=$2 err=$3
    shift 3
    # The copy of the test's stdout is not theirs to hold: a server keeping
    # it open would keep a reader of the output, like $(lab.sh up), waiting.
    if [ "$_lib_mode" = lab ]; then
        setsid "$@" </dev/null >"$out" 2>"$err" {_lib_out}>&- &
        _lib_pid=$!
        disown "$_lib_pid"
        echo "$_lib_pid" >"$T/$name.pid"
    else
        "$@" </dev/null >"$out" 2>"$err" {_lib_out}>&- &
        _lib_pid=$!
        _lib_pids+=("$_lib_pid")
    fi
}

# _lib_alive PID: the process exists and is not a zombie.
_lib_alive() {
    local st
    read -r st 2>/dev/null <"/proc/$1/stat" || return 1
    st=${st##*) }
    [ "${st:0:1}" != Z ]
}

# _lib_descendants PID...: sets _lib_r to the PIDs and all their descendants.
_lib_descendants() {
    local f st pid ppid q=("$@") i=0
    local -A kids=()
    for f in /proc/[0-9]*/stat; do
        read -r st 2>/dev/null <"$f" || continue
        pid=${st%% *}
        st=${st##*) }
        st=${st#* }
        ppid=${st%% *}
        kids[$ppid]+=" $pid"
    done
    while [ "$i" -lt "${#q[@]}" ]; do
        # shellcheck disable=SC2206 # a space-separated list of numbers
        q+=(${kids[${q[$i]}]:-})
        i=$((i + 1))
    done
    _lib_r=("${q[@]}")
}

# _lib_cmdline_has STRING: sets _lib_r to the processes whose command line
# (or process title) holds STRING.
_lib_cmdline_has() {
    local f words pid found=()
    for f in /proc/[0-9]*/cmdline; do
        mapfile -d '' -t words 2>/dev/null <"$f" || continue
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        [[ " ${words[*]} " == *"$1"* ]] && found+=("$pid")
    done
    _lib_r=("${found[@]}")
}

# running PID...: true when one of the PIDs still runs (a zombie does not:
# here PID 1 may never reap the orphans).
running() {
    local p
    for p in "$@"; do _lib_alive "$p" && return 0; done
    return 1
}

# procs_with STRING: prints the running processes whose command line holds
# STRING (e.g. a marker put in a remote command).
procs_with() {
    local p
    _lib_cmdline_has "$1"
    for p in "${_lib_r[@]}"; do
        [ "$p" != "$BASHPID" ] && _lib_alive "$p" && echo "$p"
    done
    return 0
}

_lib_left=()
_lib_all_gone() {
    local p left=()
    for p in "${_lib_left[@]}"; do
        _lib_alive "$p" && left+=("$p")
    done
    _lib_left=("${left[@]}")
    [ "${#left[@]}" -eq 0 ]
}

# kill_procs PID...: SIGTERM, up to 3 s to go, then SIGKILL for the rest.
kill_procs() {
    [ "$#" -eq 0 ] && return 0
    kill -TERM "$@" 2>/dev/null
    _lib_left=("$@")
    wait_for 3 _lib_all_gone && return 0
    kill -KILL "${_lib_left[@]}" 2>/dev/null
    wait_for 2 _lib_all_gone
}

# at_exit CMD...: run CMD (as one eval'd string) at cleanup, last first.
at_exit() {
    _lib_at_exit=("$*" "${_lib_at_exit[@]}")
}

# Ends what the test started: every descendant of the test shell (sshd and
# its sessions, proxies, background shoal runs, ssh clients), whatever was
# spawned through this file, and anything whose command line names $T (a
# daemon that left the tree, like a lab started inside $T).
_lib_cleanup() {
    local c p me=" $$ $BASHPID " victims=()
    local -A seen=()
    for c in "${_lib_at_exit[@]}"; do
        eval "$c" >/dev/null 2>&1 </dev/null
    done
    _lib_cmdline_has "$T/"
    _lib_descendants "$$" "${_lib_pids[@]}" "${_lib_r[@]}"
    p=$PPID
    while [ "$p" -gt 1 ] 2>/dev/null; do
        me+="$p "
        read -r c 2>/dev/null <"/proc/$p/stat" || break
        c=${c##*) }
        c=${c#* }
        p=${c%% *}
    done
    for p in "${_lib_r[@]}"; do
        [[ $me == *" $p "* || -n ${seen[$p]:-} ]] && continue
        seen[$p]=1
        victims+=("$p")
    done
    kill_procs "${victims[@]}"
    for p in "${_lib_pids[@]}"; do
        wait "$p"
    done
}

_lib_exit() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -z "$_tap_done" ]; then
        [ -z "$_tap_planned" ] && [ "$_tap_n" -gt 0 ] && echo "1..$_tap_n" >&"$_lib_out"
        [ "$_tap_failed" -gt 0 ] && [ "$rc" -eq 0 ] && rc=1
    fi
    _lib_cleanup 2>/dev/null
    if [ "${SHOAL_KEEP_T:-0}" = 1 ]; then
        diag "kept $T"
    else
        rm -rf "$T"
    fi
    exit "$rc"
}

if [ "$_lib_mode" != lab ]; then
    trap _lib_exit EXIT
    trap 'diag "interrupted"; exit 130' INT
    trap 'diag "terminated"; exit 143' TERM
    trap 'exit 129' HUP
fi

# ---- running shoal ----------------------------------------------------------

# run_shoal ARGS...: $SHOAL ARGS with stdin from $SHOAL_STDIN (or /dev/null),
# no ssh-agent, stdout in $T/out, stderr in $T/err, status in $RC.  After
# $SHOAL_TIMEOUT (60) s it is ended (TERM, then KILL 2 s later), RC is 124 or
# 137 and the test will fail.  SHOAL_OFFLINE=1 runs it with no network at
# all, not even loopback (see offline_ok): a name lookup then sends nothing.
run_shoal() {
    local in=${SHOAL_STDIN:-/dev/null} secs=${SHOAL_TIMEOUT:-60} pre=()
    [ -x "$SHOAL" ] || BAIL_OUT "no shoal binary at $SHOAL (build it first)"
    [ "${SHOAL_OFFLINE:-0}" = 1 ] && pre=(unshare --net --)
    env -u SSH_AUTH_SOCK timeout --foreground -k 2 "$secs" "${pre[@]}" "$SHOAL" "$@" \
        <"$in" >"$T/out" 2>"$T/err"
    RC=$?
    if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
        _lib_hung=$((_lib_hung + 1))
        diag "shoal did not finish within $secs s and was killed: shoal $*"
    fi
    return 0
}

# offline_ok: true when SHOAL_OFFLINE=1 can work (a network namespace of our
# own: root, and a kernel and container that allow it).
offline_ok() {
    unshare --net -- true 2>/dev/null
}

# ---- the lab: user, keys, ports ---------------------------------------------

# lab_user: sets and exports LAB_USER, the login user of every lab server.
# As root it is 'shoaltest' (created if missing: shell /bin/sh, home
# /var/lib/shoaltest with no shell startup files, so a login costs no shell
# rc time); otherwise the current user, the only one an unprivileged sshd
# can log in.
lab_user() {
    if [ "$EUID" -ne 0 ]; then
        LAB_USER=$(id -un)
        export LAB_USER
        return 0
    fi
    LAB_USER=shoaltest
    export LAB_USER
    _lib_lab_user_ok && return 0
    local lock=/run/lock
    [ -w "$lock" ] || lock=/tmp
    # Tests run in parallel: one at a time edits /etc/passwd.
    (
        flock -w 30 9 || exit 1
        if ! getent passwd "$LAB_USER" >/dev/null; then
            useradd -r -m -d /var/lib/shoaltest -s /bin/sh -c "shoal test logins" "$LAB_USER" ||
                exit 1
        fi
        [ "$(getent passwd "$LAB_USER" | cut -d: -f7)" = /bin/sh ] ||
            usermod -s /bin/sh "$LAB_USER" || exit 1
        # Without PAM, sshd refuses an account whose password is locked ('!').
        if grep -q "^$LAB_USER:!" /etc/shadow 2>/dev/null; then
            usermod -p '*' "$LAB_USER" || exit 1
        fi
        local home f
        home=$(getent passwd "$LAB_USER" | cut -d: -f6)
        [ -d "$home" ] || install -d -o "$LAB_USER" -m 755 "$home" || exit 1
        for f in "${_lib_rc_files[@]}"; do
            rm -f "$home/$f"
        done
    ) 9>"$lock/shoal-lab-user.lock" || BAIL_OUT "cannot set up the user $LAB_USER"
}

# sudoers_lock: for the rest of this test, no other test (of this suite or
# another on this machine) changes the lab user's sudo rules: each writes its
# own drop-in in /etc/sudoers.d, and sudo reads them all, so one test's
# NOPASSWD let another's wrong password through.  Call before the drop-in.
# The lock is held by a child of the test (flock -o: the command does not
# get the lock's descriptor, so nothing the test starts, a keeper say, can
# keep it), which the test's cleanup ends with every other descendant.
sudoers_lock() {
    local lock=/run/lock line
    [ -w "$lock" ] || lock=/tmp
    mkfifo "$T/.sudoers-lock"
    flock -w 900 -o "$lock/shoal-lab-sudoers.lock" sh -c 'echo held; exec sleep 3600' \
        >"$T/.sudoers-lock" &
    read -r line <"$T/.sudoers-lock"
    [ "$line" = held ] || BAIL_OUT "another test held the lab user's sudo rules for 15 minutes"
}

_lib_rc_files=(.profile .bashrc .bash_profile .bash_login .bash_logout .shrc .kshrc
    .zshrc .zshenv .zprofile .login .cshrc .tcshrc)

# _lib_lab_user_ok: the lab user is as lab_user wants it, without a fork
# more than needed (every test calls lab_user).
_lib_lab_user_ok() {
    local line home shell f
    line=$(getent passwd "$LAB_USER") || return 1
    IFS=: read -r _ _ _ _ _ home shell <<<"$line"
    [ "$shell" = /bin/sh ] && [ -d "$home" ] || return 1
    for f in "${_lib_rc_files[@]}"; do
        [ -e "$home/$f" ] && return 1
    done
    ! grep -q "^$LAB_USER:!" /etc/shadow 2>/dev/null
}

# lab_keys: once per $T, the client key $T/id_ed25519 (no passphrase),
# $T/id_enc (passphrase "secret"), $T/authorized_keys holding both, and empty
# $T/known_hosts and $T/ssh_config if missing.
lab_keys() {
    [ -f "$T/id_ed25519" ] && return 0
    if ! ssh-keygen -q -t ed25519 -N '' -C shoal-lab-client -f "$T/id_ed25519" </dev/null ||
        ! ssh-keygen -q -t ed25519 -N secret -C shoal-lab-client-enc -f "$T/id_enc" </dev/null; then
        BAIL_OUT "ssh-keygen failed"
    fi
    cat "$T/id_ed25519.pub" "$T/id_enc.pub" >"$T/authorized_keys"
    chmod 644 "$T/authorized_keys"
    [ -e "$T/known_hosts" ] || : >"$T/known_hosts"
    [ -e "$T/ssh_config" ] || : >"$T/ssh_config"
}

# lab_password PW: $LAB_USER logs in with password PW until the test ends,
# then has none again ('*').  Root only.  The password is the machine's, not
# $T's: tests that set one take turns (a lock held until the test exits).
lab_password() {
    local lock=/run/lock
    [ "$EUID" -eq 0 ] || BAIL_OUT "lab_password needs root"
    [ -n "${LAB_USER:-}" ] || lab_user
    [ -w "$lock" ] || lock=/tmp
    if [ -z "${_lib_pw_lock:-}" ]; then
        exec {_lib_pw_lock}>"$lock/shoal-lab-password.lock"
        flock -w 120 "$_lib_pw_lock" || BAIL_OUT "the lab password stayed taken for 120 s"
        at_exit "usermod -p '*' '$LAB_USER'"
    fi
    echo "$LAB_USER:$1" | chpasswd || BAIL_OUT "chpasswd failed"
}

# free_port: prints a port of 127.0.0.1 in 20000-59999 that nothing listens
# on right now.  Another process may take it before we do: callers that bind
# it retry (start_sshd does).
free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$((20000 + ${SRANDOM:-$RANDOM$i} % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    BAIL_OUT "no free port on 127.0.0.1"
}

# ---- sshd -------------------------------------------------------------------

# _lib_sshd_config DIR PORT LINES...: the caller's lines first (sshd keeps
# the first value of a keyword, and a second Subsystem of one name is an
# error), so a default is left out when the caller sets its keyword; the
# caller's Match blocks go last, where they must be.
_lib_sshd_config() {
    local dir=$1 port=$2 line kw d in_match=0 tail=()
    local -A set=()
    shift 2
    for line in "$@"; do
        kw=${line#"${line%%[![:space:]]*}"}
        kw=${kw%%[[:space:]=]*}
        kw=${kw,,}
        [ "$kw" = match ] && in_match=1
        if [ "$in_match" -eq 1 ]; then
            tail+=("$line")
        else
            echo "$line"
            set[$kw]=1
        fi
    done
    for d in \
        "Port $port" \
        "ListenAddress 127.0.0.1" \
        "PidFile $dir/pid" \
        "AuthorizedKeysFile $T/authorized_keys" \
        "StrictModes no" \
        "UsePAM no" \
        "AllowUsers $LAB_USER" \
        "PasswordAuthentication no" \
        "KbdInteractiveAuthentication no" \
        "MaxStartups 1000:30:1000" \
        "MaxSessions 100" \
        "PrintMotd no" \
        "PrintLastLog no" \
        "Subsystem sftp internal-sftp" \
        "LogLevel ERROR"; do
        kw=${d%% *}
        [ -n "${set[${kw,,}]:-}" ] || echo "$d"
    done
    # HostKey adds up rather than overrides: the lab key is always there.
    echo "HostKey $dir/hostkey"
    for line in "${tail[@]}"; do echo "$line"; done
}

# Polled by start_sshd: 0 once sshd is up (it writes its PidFile only after
# its listening socket is bound, and the port answers) or gone; _lib_sshd_up
# says which.
_lib_sshd_settled() {
    local port=$1 pid=$2 dir=$3 got=
    _lib_sshd_up=0
    _lib_alive "$pid" || return 0
    read -r got 2>/dev/null <"$dir/pid"
    [ "$got" = "$pid" ] || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || return 1
    _lib_sshd_up=1
}

# start_sshd NAME [sshd_config lines...]: a real OpenSSH sshd on a free
# loopback port, in $T/NAME/ (sshd_config, hostkey, pid, log = its stderr).
# Exports SSHD_PORT_<NAME> and SSHD_PID_<NAME> (NAME upper-cased, - as _).
# Lines given override the defaults (see _lib_sshd_config); a Port line
# pins the port.  As root sshd runs as root, else as the current user.
start_sshd() {
    local name=$1 dir=$T/$1 port var pid try fixed='' line kw
    shift
    [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || BAIL_OUT "start_sshd: bad name '$name'"
    [ -x /usr/sbin/sshd ] || skip_all "no /usr/sbin/sshd (apt-get install openssh-server)"
    [ -n "${LAB_USER:-}" ] || lab_user
    [ -f "$T/authorized_keys" ] || lab_keys
    mkdir -p "$dir"
    if [ ! -f "$dir/hostkey" ]; then
        ssh-keygen -q -t ed25519 -N '' -C "shoal-lab-$name" -f "$dir/hostkey" </dev/null ||
            BAIL_OUT "ssh-keygen failed"
    fi
    if [ "$EUID" -eq 0 ] && [ ! -d /run/sshd ]; then
        mkdir -p /run/sshd && chmod 755 /run/sshd
    fi
    for line in "$@"; do
        read -r kw fixed <<<"$line"
        [ "${kw,,}" = port ] && break
        fixed=
    done
    for try in $(seq 1 25); do
        port=${fixed:-$(free_port)}
        _lib_sshd_config "$dir" "$port" "$@" >"$dir/sshd_config"
        if [ "$try" -eq 1 ] && ! /usr/sbin/sshd -t -f "$dir/sshd_config" >"$dir/log" 2>&1; then
            BAIL_OUT "sshd $name: bad sshd_config: $(cat "$dir/log")"
        fi
        rm -f "$dir/pid"
        _lib_spawn "sshd-$name" /dev/null "$dir/log" /usr/sbin/sshd -D -e -f "$dir/sshd_config"
        pid=$_lib_pid
        wait_for 10 _lib_sshd_settled "$port" "$pid" "$dir"
        if [ "$_lib_sshd_up" -eq 1 ]; then
            var=${name^^}
            var=${var//-/_}
            printf -v "SSHD_PORT_$var" '%s' "$port"
            printf -v "SSHD_PID_$var" '%s' "$pid"
            export "SSHD_PORT_$var" "SSHD_PID_$var"
            _lib_port_key[$port]=$dir/hostkey.pub
            return 0
        fi
        kill_procs "$pid"
        [ "$_lib_mode" = lab ] || wait "$pid" 2>/dev/null
        # Someone took the port between free_port and bind: try another.
        grep -qE 'Address already in use|Cannot bind' "$dir/log" && [ -z "$fixed" ] && continue
        break
    done
    BAIL_OUT "sshd $name did not start: $(cat "$dir/log")"
}

_lib_hostile_settled() {
    grep -q '^listening ' "$2" 2>/dev/null || ! _lib_alive "$1"
}

# start_hostile_sshd NAME [--banner]: tests/hostile-sshd.py (paramiko under
# /usr/bin/python3) on a free loopback port, in $T/NAME/: a server that puts
# terminal escapes in the strings it chooses; the login user picks which
# (see the script).  Exports HOSTILE_PORT_<NAME>; trust_host_keys knows its
# key.  Skips the whole test without python3-paramiko.
start_hostile_sshd() {
    local name=$1 dir=$T/$1 var port
    shift
    /usr/bin/python3 -c 'import paramiko' 2>/dev/null ||
        skip_all "no python3-paramiko for /usr/bin/python3 (bash tests/deps.sh test)"
    mkdir -p "$dir"
    ssh-keygen -q -t ed25519 -N '' -C "shoal-lab-$name" -f "$dir/hostkey" </dev/null ||
        BAIL_OUT "ssh-keygen failed"
    _lib_spawn "hostile-$name" "$dir/out" "$dir/log" \
        /usr/bin/python3 "$top_srcdir/tests/hostile-sshd.py" "$dir/hostkey" "$@"
    wait_for 20 _lib_hostile_settled "$_lib_pid" "$dir/out"
    port=$(sed -n 's/^listening //p' "$dir/out")
    [ -n "$port" ] || BAIL_OUT "hostile-sshd $name did not start: $(cat "$dir/log")"
    var=${name^^}
    var=${var//-/_}
    printf -v "HOSTILE_PORT_$var" '%s' "$port"
    export "HOSTILE_PORT_$var"
    _lib_port_key[$port]=$dir/hostkey.pub
}

# ---- ssh_config and known_hosts --------------------------------------------

# write_ssh_config FILE: starts FILE afresh; fill it with add_alias(es).
write_ssh_config() {
    printf '# ssh_config of a shoal test lab; login user %s\n' "${LAB_USER:-?}" >"$1"
}

# add_alias FILE ALIAS PORT [HOSTNAME] [LINES...]: appends a Host block for a
# lab server: HostName (default 127.0.0.1), Port, User $LAB_USER, IdentityFile
# $T/id_ed25519, UserKnownHostsFile $T/known_hosts, StrictHostKeyChecking yes.
# LINES ("Keyword value") come first and replace the default of their keyword.
add_alias() {
    local file=$1 alias=$2 port=$3 host=${4:-127.0.0.1} l kw d out
    local -A set=()
    shift 3
    [ "$#" -gt 0 ] && shift
    out="Host $alias"$'\n'
    for l in "$@"; do
        kw=${l%%[[:space:]=]*}
        set[${kw,,}]=1
        out+="    $l"$'\n'
    done
    for d in "HostName $host" "Port $port" "User ${LAB_USER:?lab_user first}" \
        "IdentityFile $T/id_ed25519" "UserKnownHostsFile $T/known_hosts" \
        "StrictHostKeyChecking yes"; do
        kw=${d%% *}
        [ -n "${set[${kw,,}]:-}" ] || out+="    $d"$'\n'
    done
    printf '%s' "$out" >>"$file"
}

# add_aliases FILE PREFIX COUNT PORT [LINES...]: PREFIX01..PREFIXnn, with 3
# digits when COUNT > 99, all on PORT.
add_aliases() {
    local file=$1 prefix=$2 count=$3 port=$4 width=2 i n
    shift 4
    [ "$count" -gt 99 ] && width=3
    for ((i = 1; i <= count; i++)); do
        printf -v n "%0${width}d" "$i"
        add_alias "$file" "$prefix$n" "$port" "" "$@"
    done
}

# trust_host_keys [HOST:]PORT...: adds to $T/known_hosts the host key of the
# lab server that answers on PORT (an sshd, or a fault proxy in front of
# one) as [HOST]:PORT, HOST 127.0.0.1 by default.  For a port the lab does
# not know, every lab host key is added.
trust_host_keys() {
    local arg host port key keys type blob entry
    for arg in "$@"; do
        host=127.0.0.1
        port=$arg
        if [[ $arg == *:* ]]; then
            host=${arg%:*}
            port=${arg##*:}
        fi
        if [ -n "${_lib_port_key[$port]:-}" ]; then
            keys=("${_lib_port_key[$port]}")
        else
            keys=("$T"/*/hostkey.pub)
        fi
        for key in "${keys[@]}"; do
            [ -f "$key" ] || BAIL_OUT "trust_host_keys: no lab host key for port $port"
            read -r type blob _ <"$key"
            if [ "$port" = 22 ]; then entry="$host $type $blob"; else entry="[$host]:$port $type $blob"; fi
            grep -qxF -- "$entry" "$T/known_hosts" 2>/dev/null || echo "$entry" >>"$T/known_hosts"
        done
    done
}

# lab_fleet PREFIX COUNT: the usual start of a test: the lab user and keys,
# one sshd ("main"), COUNT aliases PREFIX01.. of it in $T/ssh_config, its
# host key trusted.
lab_fleet() {
    lab_user
    lab_keys
    start_sshd main
    add_aliases "$T/ssh_config" "$1" "$2" "$SSHD_PORT_MAIN"
    trust_host_keys "$SSHD_PORT_MAIN"
}

# ---- warm runs (--persist) --------------------------------------------------

# keeper_lab: the test's keepers get their own directory ($XDG_RUNTIME_DIR is
# $T/run) and are told to close, then ended, at cleanup.
keeper_lab() {
    export XDG_RUNTIME_DIR=$T/run
    mkdir -p -m 700 "$XDG_RUNTIME_DIR"
    at_exit 'kill -CONT $(keeper_pids); "$SHOAL" --persist 0; kill_procs $(keeper_pids)'
}

# keeper_pids: the keeper processes of this test (shoal with its $XDG_RUNTIME_DIR).
keeper_pids() {
    local p
    for p in /proc/[0-9]*; do
        { tr "\0" "\n" <"$p/environ"; } 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR" &&
            [ "$(cat "$p/comm" 2>/dev/null)" = shoal ] && echo "${p#/proc/}"
    done
    return 0
}

# cold_then_warm CMD...: run CMD (a battery) with no keeper ($XDG_RUNTIME_DIR
# is $T/cold), then make $T/warm the keepers' directory for the warm half
# (its keepers closed at cleanup).
cold_then_warm() {
    export XDG_RUNTIME_DIR=$T/cold
    mkdir -m 700 "$XDG_RUNTIME_DIR"
    "$@"
    export XDG_RUNTIME_DIR=$T/warm
    mkdir -m 700 "$XDG_RUNTIME_DIR"
    at_exit '"$SHOAL" --persist 0 >/dev/null 2>&1'
}

# warm_is_cold COLD_DIR WARM_DIR: a TAP line per case file of a battery run
# cold into COLD_DIR: the warm run's file of that name is identical.
warm_is_cold() {
    local f c
    for f in "$1"/*; do
        c=$(basename "$f")
        if diff -u "$f" "$2/$c" >"$T/diff-$c"; then pass "$c: warm is cold"; else
            fail "$c: warm differs from cold: $(cat "$T/diff-$c")"
        fi
    done
}

# ---- the fault proxy --------------------------------------------------------

_lib_fp_settled() {
    grep -qx ready "$2" 2>/dev/null || ! _lib_alive "$1"
}

# start_faultproxy SPEC...: $top_builddir/tests/faultproxy with one listener
# per SPEC (LISTENPORT:TARGETHOST:TARGETPORT:PLAN; LISTENPORT 0 picks one);
# waits for "ready" and exports FP_PORT_1, FP_PORT_2, ... in SPEC order (each
# call numbers its own listeners from 1) and FP_PID.  Skips the whole test
# when the proxy is not built.  Its output is in $T/faultproxy[-N]/; with
# FP_VERBOSE=1 its log there has a line per connection accepted.
start_faultproxy() {
    local bin=$top_builddir/tests/faultproxy args=() s i=0 line dir name target
    [ -x "$bin" ] || skip_all "tests/faultproxy is not built ($bin)"
    _lib_fp_count=$((_lib_fp_count + 1))
    name=faultproxy
    [ "$_lib_fp_count" -gt 1 ] && name=faultproxy-$_lib_fp_count
    dir=$T/$name
    mkdir -p "$dir"
    [ -n "${FP_VERBOSE:-}" ] && args+=(-v)
    for s in "$@"; do args+=(-L "$s"); done
    # -p puts $T in its command line too: cleanup finds it even if orphaned.
    _lib_spawn "$name" "$dir/out" "$dir/log" "$bin" -p "$dir/pid" "${args[@]}"
    FP_PID=$_lib_pid
    export FP_PID
    wait_for 10 _lib_fp_settled "$FP_PID" "$dir/out"
    grep -qx ready "$dir/out" || BAIL_OUT "faultproxy did not start: $(cat "$dir/log")"
    for ((i = 1; i <= _lib_fp_ports; i++)); do unset "FP_PORT_$i"; done
    i=0
    while IFS= read -r line; do
        [[ $line == listening* ]] || continue
        i=$((i + 1))
        printf -v "FP_PORT_$i" '%s' "${line##*:}"
        export "FP_PORT_$i"
        # The proxied server's host key is the key of this listener.
        s=${!i}
        target=${s#*:*:}
        target=${target%%:*}
        [ -n "${_lib_port_key[$target]:-}" ] && _lib_port_key[${line##*:}]=${_lib_port_key[$target]}
    done <"$dir/out"
    _lib_fp_ports=$i
    [ "$i" -eq "$#" ] || BAIL_OUT "faultproxy announced $i listeners for $# specs"
}

# ---- a real terminal: tmux ----------------------------------------------------

# term_start COLS ROWS CMD: run the shell command CMD in a new tmux server of
# the test's own (a fresh socket, $TERM_SOCK; no user config) in a COLSxROWS
# window; when CMD ends, its exit status goes to $T/term.rc and the pane stays.
term_start() {
    command -v tmux >/dev/null || skip_all "tmux is not installed"
    printf '%s\n' "$3" >"$T/term.cmd"
    rm -f "$T/term.rc"
    # A server of its own each time: one just killed may still be going
    # away on the old socket, and a new session there would fail.
    local try
    for try in 1 2 3; do
        _lib_term_n=$((${_lib_term_n:-0} + 1))
        TERM_SOCK=$T/tmux.$_lib_term_n.sock
        if tmux -S "$TERM_SOCK" -f /dev/null new-session -d -s t -x "$1" -y "$2" \
            "env -u SSH_AUTH_SOCK TERM=screen bash $T/term.cmd; echo \$? >$T/term.rc.tmp; mv $T/term.rc.tmp $T/term.rc; sleep 3600" \
            2>"$T/tmux.err"; then
            at_exit "tmux -S '$TERM_SOCK' kill-server 2>/dev/null"
            return 0
        fi
        diag "tmux new-session, try $try: $(cat "$T/tmux.err")"
    done
    BAIL_OUT "tmux cannot start: $(cat "$T/tmux.err")"
}

# term: tmux on the test's server.  term_keys KEY...: send-keys (tmux key
# names: Enter Escape Up Down...).  term_type TEXT: type TEXT literally.
term() { tmux -S "$TERM_SOCK" "$@"; }
term_keys() { term send-keys -t t "$@"; }
term_type() { term send-keys -t t -l -- "$1"; }

# term_screen: the text on the screen now (term_screen -e: with attributes).
term_screen() { term capture-pane -p -t t "$@"; }

# term_has ERE: whether the screen shows a line matching ERE.
term_has() { term_screen | grep -Eq -- "$1"; }

# term_wait SECS ERE: wait until the screen shows ERE; fail() with the
# screen in the diagnostics if it does not.
term_wait() {
    wait_for "$1" term_has "$2" && return 0
    diag "screen after $1 s without /$2/:"
    term_screen | sed 's/^/    | /' >&2
    return 1
}

# term_done SECS: wait for the command in the terminal to end; sets TERM_RC.
term_done() {
    TERM_RC=
    wait_for "$1" test -f "$T/term.rc" || return 1
    TERM_RC=$(cat "$T/term.rc")
}
