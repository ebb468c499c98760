#!/usr/bin/env bash
# t0184: --persist with no ~/.ssh makes it (0700, as ssh does) and its
# keeper directory in it, and the sessions serve the next run; a keeper
# directory that cannot be made or is not the user's alone is named, with
# what is wrong, in the message (--persist, and a run at -v).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "LogLevel INFO"
add_aliases "$T/ssh_config" h 2 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
logins() { grep -c 'Accepted publickey' "$T/main/log"; }

# shoal takes the home directory from the password database, as ssh does:
# an empty one is a tmpfs over it in a mount namespace of the test's own.
home=$(getent passwd "$(id -u)" | cut -d: -f6)
if [ "$EUID" -eq 0 ] && [ -d "$home" ] && unshare --mount --propagation private -- true 2>/dev/null; then
    env -u XDG_RUNTIME_DIR -u SSH_AUTH_SOCK unshare --mount --propagation private -- bash -c '
        HOME_DIR=$1 T=$2
        mount -t tmpfs -o mode=755 none "$HOME_DIR" || exit 9
        shift 2
        [ -e "$HOME_DIR/.ssh" ] && exit 8
        "$@" --persist 60 -- true 2>"$T/err1" || exit 1
        stat -c "%a %U" "$HOME_DIR/.ssh" "$HOME_DIR/.ssh/shoal" >"$T/modes"
        ls "$HOME_DIR"/.ssh/shoal/*.sock >/dev/null 2>&1 || exit 2
        "$@" -- true 2>"$T/err2" || exit 3
        "$1" --persist 0
    ' sh "$home" "$T" "$SHOAL" -F "$T/ssh_config" -w 'h[01-02]'
    rc=$?
    is "$rc" 0 "--persist with no ~/.ssh: the runs succeed and the keeper listens in ~/.ssh/shoal"
    is "$(cat "$T/modes" 2>/dev/null | paste -sd' ')" "700 root 700 root" "~/.ssh and ~/.ssh/shoal are made 0700"
    is "$(logins)" 2 "the second run logged in nowhere: the first run's sessions were kept"
else
    skip "not root, or no mount namespace: the home directory cannot be emptied"
    skip "not root, or no mount namespace: the home directory cannot be emptied"
    skip "not root, or no mount namespace: the home directory cannot be emptied"
fi

export XDG_RUNTIME_DIR=$T/no-such-dir
run_shoal -F "$T/ssh_config" --persist 60 -w h01 -- true
is "$RC" 0 "the run itself succeeds"
like "$(cat "$T/err")" "--persist: cannot make the directory $T/no-such-dir/shoal: No such file or directory; sessions closed" \
    "a keeper directory that cannot be made is named, with the cause"

export XDG_RUNTIME_DIR=$T/run
mkdir -p -m 755 "$XDG_RUNTIME_DIR/shoal"
chmod 755 "$XDG_RUNTIME_DIR/shoal"
run_shoal -F "$T/ssh_config" --persist 60 -w h01 -- true
like "$(cat "$T/err")" "--persist: the keeper directory $T/run/shoal is not a 0700 directory of this user \\(mode 755" \
    "a keeper directory others may enter is named, with what is wrong"
run_shoal -F "$T/ssh_config" -v -w h01 -- true
like "$(cat "$T/err")" "warm runs: the keeper directory $T/run/shoal is not a 0700 directory" "a run at -v says it too"
ls "$XDG_RUNTIME_DIR"/shoal/*.sock >/dev/null 2>&1 && fail "a keeper listens in it" || pass "no keeper listens in it"
done_testing
