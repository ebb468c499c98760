#!/usr/bin/env bash
# t0604: --rcopy reads every file to the server's EOF, not to the size stat
# gave: /proc files (size 0) arrive whole, even one of megabytes.  -R follows
# symbolic links to files and directories (as scp -r does), skips FIFOs and
# links back into the tree naming each on stderr, and a dangling link fails
# that entry only: the rest of the tree still arrives, then the host is
# `transfer` failed naming the link.  A link given as SRC keeps its own name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

lab_user
lab_keys
sftp_hosts 2
json() { grep "\"host\":\"$1\"" "$T/out"; }

# ---- procfs: stat says 0 bytes ----------------------------------------------
run_shoal -F "$T/ssh_config" -w h01 --rcopy /proc/version "$T/proc"
is "$RC" 0 "/proc/version: exit 0"
cat /proc/version | cmp -s - "$T/proc/h01/version" # cmp alone trusts the size 0
ok $? "/proc/version arrives whole, equal to cat of it (its stat size is 0)"
run_shoal -F "$T/ssh_config" -w h01 --rcopy /proc/cpuinfo "$T/proc"
cmp_ok "$(stat -c %s "$T/proc/h01/cpuinfo")" -gt 0 "/proc/cpuinfo is not empty"
is "$(grep -c '^processor' "$T/proc/h01/cpuinfo")" "$(grep -c '^processor' /proc/cpuinfo)" "and lists every processor"
# Megabytes past a size of 0: read on, one request after the other.
runuser -u "$LAB_USER" -- cat /proc/kallsyms >"$T/kallsyms.want" 2>/dev/null
run_shoal -F "$T/ssh_config" -w h01 --json --rcopy /proc/kallsyms "$T/proc"
is "$RC" 0 "/proc/kallsyms: exit 0"
cmp -s "$T/kallsyms.want" "$T/proc/h01/kallsyms"
ok $? "all $(stat -c %s "$T/kallsyms.want") bytes of /proc/kallsyms arrive, equal to cat of it"
like "$(json h01)" "\"bytes\":$(stat -c %s "$T/kallsyms.want")" "JSON counts the bytes read, not the size stat gave"

# ---- a tree with links and a FIFO -------------------------------------------
t1=$T/hosts/h01/tree
mkdir -p "$t1/sub" "$T/hosts/h01/elsewhere"
printf 'file\n' >"$t1/file.txt"
printf 'a\n' >"$t1/sub/a.txt"
printf 'z\n' >"$t1/zzz.txt"
printf 'far\n' >"$T/hosts/h01/elsewhere/far.txt"
ln -s file.txt "$t1/to-file"
ln -s sub "$t1/to-sub"
ln -s ../elsewhere "$t1/to-elsewhere"
ln -s /nonexistent/shoal-t0604 "$t1/dangling"
ln -s .. "$t1/sub/up"
mkfifo "$t1/fifo"
cp -a "$t1" "$T/hosts/h02/tree"
cp -a "$T/hosts/h01/elsewhere" "$T/hosts/h02/"
rm "$T/hosts/h02/tree/dangling"
chown -R "$LAB_USER" "$T/hosts"

run_shoal -F "$T/ssh_config" -w 'h[01-02]' --json -R --rcopy tree "$T/got"
is "$RC" 3 "a dangling link on one host: exit 3"
like "$(json h01)" "\"error_kind\":\"transfer\",\"error\":\"dangling symbolic link: no such file or directory: $t1/dangling\"" "that host is transfer failed, naming the link"
like "$(json h02)" '"status":"ok"' "the host without one is ok, though it skipped entries"
for h in h01 h02; do
    g=$T/got/$h/tree
    is "$(cat "$g/file.txt" "$g/sub/a.txt" "$g/zzz.txt" 2>&1)" $'file\na\nz' "$h: the plain files arrive"
    is "$(cat "$g/to-file" 2>&1)" "file" "$h: a link to a file arrives as the file's bytes"
    ok "$([ -f "$g/to-file" ] && [ ! -L "$g/to-file" ]; echo $?)" "$h: as a plain file"
    is "$(cat "$g/to-sub/a.txt" 2>&1)" "a" "$h: a link to a directory is followed"
    is "$(cat "$g/to-elsewhere/far.txt" 2>&1)" "far" "$h: also out of the tree"
    ok "$([ ! -e "$g/fifo" ] && [ ! -e "$g/sub/up" ] && [ ! -e "$g/to-sub/up" ]; echo $?)" "$h: no FIFO, no link back into the tree"
done
ok "$([ ! -e "$T/got/h01/tree/dangling" ]; echo $?)" "nothing under the dangling link's name"
err=$(cat "$T/err")
like "$err" "h01: --rcopy: skipped FIFO $t1/fifo" "the FIFO is named as skipped"
like "$err" "h02: --rcopy: skipped FIFO $T/hosts/h02/tree/fifo" "on each host"
like "$err" "h01: --rcopy: skipped link back into the tree $t1/sub/up" "and the link back into the tree"
like "$err" "h01: --rcopy: dangling symbolic link: no such file or directory: $t1/dangling" "the dangling link is named on stderr"
is "$(find "$T/got" -name '.*.shoal-*' | wc -l)" 0 "no temporary file is left"

# ---- a link as SRC ----------------------------------------------------------
run_shoal -F "$T/ssh_config" -w h02 --rcopy tree/to-file "$T/got2"
is "$RC" 0 "a link to a file as SRC"
is "$(cat "$T/got2/h02/to-file" 2>&1)" "file" "arrives under the link's name, not its target's"
run_shoal -F "$T/ssh_config" -w h02 -R --rcopy tree/to-sub "$T/got2"
is "$(cat "$T/got2/h02/to-sub/a.txt" 2>&1)" "a" "a link to a directory as SRC: its name too"
done_testing
