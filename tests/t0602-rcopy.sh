#!/usr/bin/env bash
# t0602: --rcopy downloads over SFTP from every host into DEST_DIR/HOST/.  A
# file from 20 hosts lands in 20 folders, each with that host's own bytes and
# mode; -R brings a tree with its modes, -P its times; a file missing on one
# host is `transfer` (no such file) there only; a directory without -R is
# refused on the host; no temporary is left anywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

lab_user
lab_keys
sftp_hosts 20
json() { grep "\"host\":\"$1\"" "$T/out"; }
for d in "$T"/hosts/h*; do
    h=${d##*/}
    { printf 'from %s\n' "$h"; head -c 300000 /dev/urandom; } >"$d/data.bin"
    chmod 640 "$d/data.bin"
    chown "$LAB_USER" "$d/data.bin"
done

run_shoal -F "$T/ssh_config" -w 'h[01-20]' --json --rcopy data.bin "$T/got"
is "$RC" 0 "a file from 20 hosts: exit 0"
is "$(grep -c '"status":"ok"' "$T/out")" 20 "every host reports ok"
same=0
for d in "$T"/hosts/h*; do
    h=${d##*/}
    cmp -s "$d/data.bin" "$T/got/$h/data.bin" && same=$((same + 1))
done
is "$same" 20 "each host's file is in DEST_DIR/HOST/, byte for byte its own"
is "$(stat -c %a "$T/got/h07/data.bin")" 640 "the mode is kept"
like "$(json h07)" "\"bytes\":$(stat -c %s "$T/hosts/h07/data.bin")" "JSON gives the bytes fetched"
is "$(find "$T/got" -name '.*.shoal-*' | wc -l)" 0 "no temporary file is left"

rm "$T/hosts/h03/data.bin"
run_shoal -F "$T/ssh_config" -w 'h[01-04]' --json --rcopy data.bin "$T/got2"
is "$RC" 3 "missing on one host: exit 3"
like "$(json h03)" '"error_kind":"transfer","error":"no such file or directory: data.bin"' "that host: transfer, no such file, naming the path"
is "$(grep -c '"status":"ok"' "$T/out")" 3 "the others succeed"

mkdir -p "$T/hosts/h05/etc/conf.d"
printf 'a=1\n' >"$T/hosts/h05/etc/app.conf"
printf 'b=2\n' >"$T/hosts/h05/etc/conf.d/b.conf"
chmod 600 "$T/hosts/h05/etc/conf.d/b.conf"
chmod 750 "$T/hosts/h05/etc/conf.d"
touch -d '2021-05-06 07:08:09' "$T/hosts/h05/etc/app.conf"
chown -R "$LAB_USER" "$T/hosts/h05/etc"
modes() { (cd "$1" && find . -printf '%p %m %s\n' | sort); }
run_shoal -F "$T/ssh_config" -w h05 --json --rcopy etc "$T/got3"
like "$(json h05)" '"error_kind":"transfer","error":"is a directory \(add -R\): etc"' "a directory without -R is refused on the host"
run_shoal -F "$T/ssh_config" -w h05 -R -P --rcopy etc "$T/got3"
is "$RC" 0 "-R -P: a directory tree"
is "$(modes "$T/got3/h05/etc")" "$(modes "$T/hosts/h05/etc")" "every file and directory with its mode and size"
is "$(stat -c %Y "$T/got3/h05/etc/app.conf")" "$(stat -c %Y "$T/hosts/h05/etc/app.conf")" "-P keeps the modification time"

: >"$T/notadir"
run_shoal -F "$T/ssh_config" -w h01 --rcopy data.bin "$T/notadir"
is "$RC" 2 "DEST_DIR that is a file: exit 2"
like "$(cat "$T/err")" "is not a directory" "says so"
run_shoal -F "$T/ssh_config" -w h01 --rcopy data.bin
is "$RC" 2 "--rcopy without DEST_DIR: exit 2"
done_testing
