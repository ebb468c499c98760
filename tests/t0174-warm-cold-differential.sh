#!/usr/bin/env bash
# t0174: one battery of behaviours, run cold and then warm (--persist: over
# a keeper's sessions), must give identical results: exit status, stdout,
# stderr with the summary, and the JSON of each host (kind, error, exit
# code, signal, attempts).  The battery: exit codes, stderr, a signal,
# SetEnv/SendEnv, RequestTTY and -T, -I, a command timeout, --template,
# --sudo (NOPASSWD: no password, which never goes to a keeper), --copy and
# --rcopy (with -P: the files, modes and times left), and a connection lost
# under the command.  The warm runs must log in nowhere
# but where the battery broke a session.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "LogLevel INFO" "AcceptEnv SHOALT_*"
add_aliases "$T/ssh_config" h 2 "$SSHD_PORT_MAIN" "SendEnv SHOALT_A" 'SetEnv SHOALT_B="b b"'
add_alias "$T/ssh_config" tty "$SSHD_PORT_MAIN" "" "RequestTTY yes"
trust_host_keys "$SSHD_PORT_MAIN"
logins() { grep -c 'Accepted publickey' "$T/main/log"; }
export SHOALT_A=one
have_sudo=
if [ "$EUID" -eq 0 ] && command -v sudo >/dev/null; then
    # Last in the directory: its rule wins over another test's for the same lab user.
    sudoers_lock
    drop=/etc/sudoers.d/zz-shoal-t0174-$$
    at_exit "rm -f '$drop'"
    printf 'Defaults:%s lecture=never\n%s ALL=(ALL) NOPASSWD: ALL\n' "$LAB_USER" "$LAB_USER" >"$drop.tmp"
    chmod 440 "$drop.tmp"
    visudo -cq -f "$drop.tmp" && mv "$drop.tmp" "$drop" && have_sudo=1
fi
printf 'line1\nline2\n' >"$T/in"
printf 'payload\n' >"$T/xsrc"
chmod 604 "$T/xsrc"
touch -d '2020-01-02 03:04:05' "$T/xsrc"
install -d -o "$LAB_USER" "$T/xfer"

# battery DIR: each case's exit status, stdout, stderr and JSON under DIR.
battery() {
    local d=$1 name
    mkdir -p "$d"
    one() { # NAME ARGS...: one case
        name=$1
        shift
        SHOAL_STDIN=$T/in run_shoal -F "$T/ssh_config" "$@"
        # Times differ from run to run: only they are taken out.
        { echo "rc=$RC"; sort "$T/out"; sed -E 's/[0-9]+\.[0-9]+ ?m?s/T/g' "$T/err" | sort; } >"$d/$name"
        SHOAL_STDIN=$T/in run_shoal -F "$T/ssh_config" --json "$@"
        jq -cS 'del(.elapsed, .started, .finished, .phases_ms, .timing, .duration_ms)' "$T/out" \
            2>/dev/null | sort >>"$d/$name"
    }
    one exit -w 'h[01-02]' -- 'echo out; echo err >&2; exit 3'
    one ok -w 'h[01-02]' -- 'echo fine'
    one signal -w h01 -- 'kill -TERM $$'
    one env -w 'h[01-02]' -- 'printf "A=%s B=%s\n" "$SHOALT_A" "$SHOALT_B"'
    one tty -w tty,h01 -- 'test -t 0 && echo has-tty || echo no-tty'
    one dash-T -w h01 -T -- 'test -t 0 && echo has-tty || echo no-tty; echo e >&2'
    one stdin -w 'h[01-02]' -I -- 'cat; echo end'
    one timeout -w h01 -u 1 -- 'echo before; exec sleep 30'
    one template -w 'h[01-02]' --template -- 'echo %h %u %p'
    [ -n "$have_sudo" ] && one sudo -w 'h[01-02]' --sudo -- 'id -un; echo e >&2'
    # A transfer each way (SFTP over the kept session, warm): the files with their modes and -P times.
    one copy -w 'h[01-02]' -P --template --copy "$T/xsrc" "$T/xfer/%h"
    (cd "$T/xfer" && find . -type f -printf '%p %y %m %s %T@\n' | sort) >>"$d/copy"
    one rcopy -w 'h[01-02]' -P --rcopy "$T/xsrc" "$T/rdl"
    (cd "$T/rdl" && find . -type f -printf '%p %y %m %s %T@\n' | sort) >>"$d/rcopy"
    # Last: it breaks the session it runs on (the command kills its own sshd).
    one lost -w h02 -- 'echo going; sleep 1; kill -KILL $PPID; sleep 5'
}

cold_then_warm battery "$T/c"
run_shoal -F "$T/ssh_config" --persist 60 -w 'h[01-02],tty' -- true
is "$RC" 0 "sessions kept for the warm battery"
n=$(logins)
battery "$T/w"
# The lost case ends the kept session of h02 twice (plain and --json): two fresh logins,
# the second run of the pair and the next case's first run.
[ "$(logins)" -le $((n + 2)) ] && pass "the warm battery ran over kept sessions ($(($(logins) - n)) new logins)" ||
    fail "the warm battery logged in $(($(logins) - n)) times"

warm_is_cold "$T/c" "$T/w"
like "$(cat "$T/c/lost")" 'h02: lost' "the lost case is lost (cold)"
like "$(cat "$T/c/copy")" "./h02 f 604 8 1577934245" "the copy case leaves the file with its mode and -P time (cold)"
like "$(cat "$T/c/rcopy")" "./h01/xsrc f 604 8 1577934245" "the rcopy case fetches it with its mode and -P time (cold)"
like "$(cat "$T/c/timeout")" 'command_timeout' "the timeout case times out (cold)"
like "$(cat "$T/c/env")" 'A=one B=b b' "the env case sends the variables (cold)"
done_testing
