#!/usr/bin/env bash
# t0606: --copy and --rcopy over a keeper's kept session (a warm run: an
# SFTP channel the keeper opens and relays) give what a fresh connection
# gives: one battery of transfers runs cold and then warm, and each case's
# exit status, stdout, stderr, JSON and the files it left (contents, modes,
# -P times) must be identical.  The battery: one file to three hosts, a -R -P
# tree, a remote permission error (transfer, same message), a symlink DEST
# (written through), --rcopy of a tree with -R -P, an --rcopy the server
# refuses, --template in DEST.  The warm battery logs in nowhere, and -v
# says each host copied over a kept session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

lab_user
lab_keys
sftp_hosts 3 "LogLevel INFO"
logins() { grep -c 'Accepted publickey' "$T/sftp0/log"; }

# The local sources.
mkdir -p "$T/src" "$T/tree/sub/deep" "$T/tree/ro"
printf 'a\n' >"$T/src/a.txt"
chmod 640 "$T/src/a.txt"
printf 'new\n' >"$T/src/app.conf"
printf '#!/bin/sh\n' >"$T/tree/sub/run.sh"
printf 'x\n' >"$T/tree/sub/deep/x"
printf 'keep\n' >"$T/tree/ro/keep"
chmod 755 "$T/tree/sub/run.sh"
chmod 600 "$T/tree/sub/deep/x"
chmod 750 "$T/tree/sub"
chmod 555 "$T/tree/ro"
touch -d '2020-01-02 03:04:05' "$T/tree/sub/run.sh" "$T/tree/sub/deep/x" "$T/tree/ro/keep"

# The hosts' folders as every battery starts from them.
reset_hosts() {
    local h d
    for h in h01 h02 h03; do
        d=$T/hosts/$h
        chmod -R u+w "$d"
        find "$d" -mindepth 1 -delete
        install -d -o "$LAB_USER" "$d/in" "$d/etc" "$d/real" "$d/data/sub"
        install -d -o "$LAB_USER" -m 555 "$d/ro"
        install -o "$LAB_USER" -m 644 /dev/null "$d/real/app.conf"
        ln -s ../real/app.conf "$d/etc/app.conf"
        chown -h "$LAB_USER" "$d/etc/app.conf"
        printf 'data of %s\n' "$h" >"$d/data/f"
        printf 'deep\n' >"$d/data/sub/g"
        chmod 604 "$d/data/sub/g"
        touch -d '2021-05-06 07:08:09' "$d/data/f" "$d/data/sub/g"
        install -o "$LAB_USER" -m 000 /dev/null "$d/secret"
        chown -R "$LAB_USER" "$d/data"
    done
    rm -rf "$T/dl"
}

# Every file the run left, remote and local: name, type, mode, size, content;
# the times only where -P keeps them.
state() {
    (cd "$T/hosts" && find . -path '*/ro' -prune -o -printf '%p %y %m %s\n' | sort)
    (cd "$T/hosts" && find . -type f -path '*/in/*' -exec sha256sum {} + | sort)
    cat "$T/hosts/h01/real/app.conf"
    [ -d "$T/dl" ] && (cd "$T/dl" && find . -printf '%p %y %m %s\n' | sort)
    [ -d "$T/dl" ] && (cd "$T/dl" && find . -type f -exec sha256sum {} + | sort)
    true
}
times() { (cd "$1" && find . -type f -printf '%p %TY-%Tm-%Td %TH:%TM:%.2TS\n' | sort); }

battery() {
    local d=$1 name
    mkdir -p "$d"
    one() { # NAME ARGS...: one case, plain then --json
        name=$1
        shift
        reset_hosts
        run_shoal -F "$T/ssh_config" "$@"
        { echo "rc=$RC"; sort "$T/out"; sed -E 's/[0-9]+\.[0-9]+ ?m?s/T/g' "$T/err" | sort; } >"$d/$name"
        state >>"$d/$name"
        reset_hosts
        run_shoal -F "$T/ssh_config" --json "$@"
        jq -cS 'del(.elapsed, .started, .finished, .phases_ms, .timing, .duration_ms)' "$T/out" \
            2>/dev/null | sort >>"$d/$name"
    }
    one file -w 'h[01-03]' --copy "$T/src/a.txt" in/
    one tree -w 'h[01-02]' -R -P --copy "$T/tree" in/
    times "$T/hosts/h02/in" >>"$d/tree"
    one denied -w 'h[01-02]' --copy "$T/src/a.txt" ro/
    one symlink -w h01 --copy "$T/src/app.conf" etc/app.conf
    one rcopy -w 'h[01-02]' -R -P --rcopy data "$T/dl"
    times "$T/dl" >>"$d/rcopy"
    one rdenied -w 'h[01-02]' --rcopy secret "$T/dl"
    one template -w 'h[01-02]' --template --copy "$T/src/a.txt" 'in/%h.txt'
}

cold_then_warm battery "$T/c"
reset_hosts
run_shoal -F "$T/ssh_config" --persist 60 -w 'h[01-03]' --copy "$T/src/a.txt" in/
is "$RC" 0 "a --persist copy keeps its sessions"
n=$(logins)
battery "$T/w"
is "$(logins)" "$n" "the warm battery logged in nowhere: every transfer used a kept session"
reset_hosts
run_shoal -F "$T/ssh_config" -v -w 'h[01-03]' --copy "$T/src/a.txt" in/
is "$RC" 0 "a warm copy at -v"
is "$(grep -c 'copying over a kept session' "$T/err")" 3 "-v names the kept session for each host"

warm_is_cold "$T/c" "$T/w"
# The cold results are the promised ones (so "identical" is not "equally broken").
like "$(cat "$T/c/file")" 'rc=0' "file: exit 0 (cold)"
like "$(cat "$T/c/tree")" './tree/sub/deep/x 2020-01-02 03:04:05' "tree: -P kept the time (cold)"
like "$(cat "$T/c/denied")" '"error":"permission denied: ro","error_kind":"transfer"' "denied: transfer, permission denied (cold)"
like "$(cat "$T/c/symlink")" $'\nnew\n' "symlink: the file the link names got the content (cold)"
like "$(cat "$T/c/symlink")" './h01/etc/app.conf l ' "symlink: the link stays a link (cold)"
like "$(cat "$T/c/rcopy")" './h02/data/sub/g 2021-05-06 07:08:09' "rcopy: -P kept the time (cold)"
like "$(cat "$T/c/rdenied")" '"error_kind":"transfer"' "rdenied: transfer (cold)"
like "$(cat "$T/c/template")" './h02/in/h02.txt f 640 2' "template: DEST per host (cold)"
done_testing
