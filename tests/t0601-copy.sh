#!/usr/bin/env bash
# t0601: --copy uploads over SFTP to every host.  A 50 MB file reaches 20
# hosts whole (checksums equal) with no temporary left beside it; a second
# upload replaces the file, also where the server has no posix-rename;
# several SRCs go into a directory; a tree with -R keeps every mode, and
# with -P the times; a read-only target directory is
# `transfer` (permission denied) on that host only, exit 3; bad usage is
# exit 2 before anything connects.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

lab_user
lab_keys
sftp_hosts 20
for d in "$T"/hosts/h*; do install -d -o "$LAB_USER" "$d/in"; done
json() { grep "\"host\":\"$1\"" "$T/out"; }

head -c $((50 * 1024 * 1024)) /dev/urandom >"$T/big.bin"
want=$(sha256sum <"$T/big.bin")
run_shoal -F "$T/ssh_config" -w 'h[01-20]' --json --copy "$T/big.bin" in/
is "$RC" 0 "50 MB to 20 hosts: exit 0"
is "$(grep -c '"status":"ok"' "$T/out")" 20 "every host reports ok"
is "$(grep -c '"bytes":52428800' "$T/out")" 20 "JSON says 52428800 bytes for each"
same=0
for d in "$T"/hosts/h*; do [ "$(sha256sum <"$d/in/big.bin")" = "$want" ] && same=$((same + 1)); done
is "$same" 20 "all 20 copies have the checksum of the source"
temps() { find "$T/hosts" -name '.*.shoal-*' | wc -l; }
is "$(temps)" 0 "no temporary file is left"

printf 'version 2\n' >"$T/big.bin"
run_shoal -F "$T/ssh_config" -w 'h[01-02]' --copy "$T/big.bin" in/big.bin
is "$RC" 0 "a second upload over an existing file"
is "$(cat "$T/hosts/h02/in/big.bin")" "version 2" "replaces it"

printf 'a\n' >"$T/a.txt"
printf 'b\n' >"$T/b.txt"
chmod 640 "$T/a.txt"
run_shoal -F "$T/ssh_config" -w h03 --copy "$T/a.txt" "$T/b.txt" in
is "$RC" 0 "two SRCs into a directory"
is "$(cat "$T/hosts/h03/in/a.txt" "$T/hosts/h03/in/b.txt")" $'a\nb' "both arrive"
is "$(stat -c %a "$T/hosts/h03/in/a.txt")" 640 "a file keeps its mode"

# A tree: modes everywhere, a read-only directory that still gets filled.
mkdir -p "$T/tree/sub/deep" "$T/tree/ro"
printf '#!/bin/sh\n' >"$T/tree/sub/run.sh"
printf 'x\n' >"$T/tree/sub/deep/x"
printf 'secret\n' >"$T/tree/ro/keep"
: >"$T/tree/empty"
chmod 755 "$T/tree/sub/run.sh"
chmod 600 "$T/tree/sub/deep/x"
chmod 444 "$T/tree/ro/keep"
chmod 750 "$T/tree/sub"
chmod 700 "$T/tree/sub/deep"
chmod 555 "$T/tree/ro"
touch -d '2020-01-02 03:04:05' "$T/tree/sub/run.sh" "$T/tree/sub/deep/x"
modes() { (cd "$1" && find . -printf '%p %m %s\n' | sort); }
run_shoal -F "$T/ssh_config" -w 'h[04-05]' -R -P --copy "$T/tree" in/
is "$RC" 0 "-R -P: a directory tree to two hosts"
is "$(modes "$T/hosts/h04/in/tree")" "$(modes "$T/tree")" "every file and directory, with its mode and size"
is "$(stat -c %Y "$T/hosts/h05/in/tree/sub/deep/x")" "$(stat -c %Y "$T/tree/sub/deep/x")" "-P keeps the modification time"
run_shoal -F "$T/ssh_config" -w h06 -R --copy "$T/tree" newname
is "$RC" 0 "-R to a DEST that does not exist"
is "$(modes "$T/hosts/h06/newname")" "$(modes "$T/tree")" "creates it as the copy of the tree"

# One host's target directory is read-only for the login user.
chmod 555 "$T/hosts/h08/in"
run_shoal -F "$T/ssh_config" -w 'h[07-09]' --json --copy "$T/a.txt" in/
is "$RC" 3 "a read-only target on one host: exit 3"
like "$(json h08)" '"error_kind":"transfer","error":"permission denied: in/?"' "that host fails as transfer: permission denied, naming the directory"
is "$(grep -c '"status":"ok"' "$T/out")" 2 "the other hosts succeed"
is "$(ls "$T/hosts/h08/in")" "big.bin" "the read-only directory is as it was"
run_shoal -F "$T/ssh_config" -w 'h[07-09]' --copy "$T/a.txt" in/
like "$(tail -1 "$T/err")" '^ok 2 . failed 1 \(transfer 1: h08\)' "the summary counts it under transfer"

install -o "$LAB_USER" /dev/null "$T/hosts/h10/afile"
run_shoal -F "$T/ssh_config" -w h10 --json --copy "$T/a.txt" "$T/b.txt" afile
like "$(json h10)" '"error_kind":"transfer","error":"not a directory: afile"' "several SRCs need DEST to be a directory"

# A full disk: OpenSSH answers a plain "Failure"; shoal asks for the free space and says so.
if mkdir -p "$T/hosts/h11/small" && mount -t tmpfs -o size=1m tmpfs "$T/hosts/h11/small" 2>/dev/null; then
    at_exit umount -l "$T/hosts/h11/small"
    chown "$LAB_USER" "$T/hosts/h11/small"
    head -c $((3 * 1024 * 1024)) /dev/urandom >"$T/three.bin"
    run_shoal -F "$T/ssh_config" -w 'h1[1-2]' --json --copy "$T/three.bin" small/
    like "$(json h11)" '"error_kind":"transfer","error":"disk full: failure \(Failure\): small/three.bin"' "a full disk: transfer, disk full, naming the file"
    like "$(json h12)" '"error_kind":"transfer","error":"no such file or directory: small/?"' "a missing directory: no such file, naming it"
    is "$(ls -A "$T/hosts/h11/small")" "" "the partial file is removed, which frees the disk"
else
    skip "no tmpfs mount here (not root?): disk full"
    skip "no tmpfs mount here: missing directory"
    skip "no tmpfs mount here: partial file removed"
fi

# A server without posix-rename (sftp-server -P denies it and then does not
# offer it): plain RENAME, the old file removed first, the new one whole.
install -d -o "$LAB_USER" "$T/nr"
start_sshd norename "ForceCommand internal-sftp -d $T/nr -P posix-rename"
add_alias "$T/ssh_config" norename "$SSHD_PORT_NORENAME"
trust_host_keys "$SSHD_PORT_NORENAME"
printf 'first\n' >"$T/nr.txt"
run_shoal -F "$T/ssh_config" -w norename --copy "$T/nr.txt" nr.txt
is "$RC" 0 "no posix-rename: a new file still lands"
printf 'second\n' >"$T/nr.txt"
run_shoal -F "$T/ssh_config" -w norename --copy "$T/nr.txt" nr.txt
is "$RC" 0 "and replaces an existing one"
is "$(cat "$T/nr/nr.txt")" "second" "with the new bytes"
is "$(find "$T/nr" -name '.*.shoal-*' | wc -l)" 0 "no temporary file is left"

# Usage errors: exit 2 and a message, before anything connects.
run_shoal -w 'h[01-20]' -F "$T/ssh_config" --copy "$T/a.txt"
is "$RC" 2 "--copy without DEST: exit 2"
like "$(cat "$T/err")" '--copy: needs SRC... DEST' "says what is missing"
run_shoal -w h01 -F "$T/ssh_config" --copy "$T/nothere" in/
is "$RC" 2 "a missing local SRC: exit 2"
like "$(cat "$T/err")" "cannot read '.*nothere': No such file" "names it"
run_shoal -w h01 -F "$T/ssh_config" --copy "$T/tree" in/
is "$RC" 2 "a directory without -R: exit 2"
like "$(cat "$T/err")" "is a directory \(add -R\)" "says to add -R"
run_shoal -w h01 -F "$T/ssh_config" --copy --rcopy "$T/a.txt" in/
is "$RC" 2 "--copy with --rcopy: exit 2"
run_shoal -w h01 -F "$T/ssh_config" -R -- true
is "$RC" 2 "-R without --copy: exit 2"
done_testing
