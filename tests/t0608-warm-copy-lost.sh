#!/usr/bin/env bash
# t0608: a connection that breaks under a transfer is `lost`, with the same
# message, cold and warm (over a keeper's kept session, where the keeper
# sees the break and says so).  The host's SFTP server reads through a pipe
# that passes 2 MB/s, so a 20 MB upload takes a while; mid-upload the
# session's sshd process is killed.  The file never appears under its
# final name either way, and nothing is run again on a fresh session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

lab_user
lab_keys
slow_sftp_lab "LogLevel INFO"
dir=$SLOW_HOME
logins() { grep -c 'Accepted publickey' "$T/slow/log"; }
printf 'small\n' >"$T/small"
# The sshd process of the session serving the upload: the first sshd above
# the pipe's python (only this test's sshd runs this $T/slowpipe.py).
session_sshd() {
    local p
    p=$(pgrep -f "^/usr/bin/python3 $T/slowpipe.py" | head -1)
    while [ -n "$p" ] && [ "$p" -gt 1 ]; do
        [ "$(ps -o comm= -p "$p")" = sshd ] && { echo "$p"; return 0; }
        p=$(ps -o ppid= -p "$p" | tr -d ' ')
    done
    return 1
}

# break DIR: a --json upload whose connection is killed midway; its result in DIR.
break_upload() {
    local d=$1 pid s
    mkdir -p "$d"
    env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -v --json -w slow --copy "$T/big.bin" in/ \
        </dev/null >"$T/out" 2>"$T/err" &
    pid=$!
    wait_for 30 slow_partial || fail "${d##*/}: the upload did not start"
    s=$(session_sshd)
    [ -n "$s" ] && kill -KILL "$s"
    wait_for 60 eval '! running "$pid"' || fail "${d##*/}: the run did not end"
    wait "$pid"
    echo "rc=$?" >"$d/result"
    # Whether the killed sshd's socket ends in a reset or a close is the kernel's
    # choice (a reset when bytes were still unread in it): that word is not compared.
    jq -cS '{error_kind, error, status, attempts}' "$T/out" |
        sed -E 's/\(Socket error: (Connection reset by peer|disconnected)\)/(Socket error: ...)/' >>"$d/result"
    grep -c 'copying over a kept session' "$T/err" >"$d/warm"
    ok "$([ ! -e "$dir/in/big.bin" ]; echo $?)" "${d##*/}: no file under the final name"
    rm -f "$dir"/in/.big.bin.shoal-*
}

export XDG_RUNTIME_DIR=$T/cold
mkdir -m 700 "$XDG_RUNTIME_DIR"
break_upload "$T/c"
is "$(cat "$T/c/warm")" 0 "cold: no kept session"
like "$(cat "$T/c/result")" '"error_kind":"lost"' "cold: lost"

keeper_lab
run_shoal -F "$T/ssh_config" --persist 60 -w slow --copy "$T/small" in/
is "$RC" 0 "a --persist copy keeps the session"
n=$(logins)
break_upload "$T/w"
is "$(cat "$T/w/warm")" 1 "warm: over the kept session"
is "$(logins)" "$n" "warm: nothing connected afresh"
is "$(cat "$T/w/result")" "$(cat "$T/c/result")" "warm ends as cold: exit status, kind, message, attempts"
done_testing
