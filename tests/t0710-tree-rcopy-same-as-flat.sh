#!/usr/bin/env bash
# t0710: --rcopy in tree mode leaves exactly what a flat --rcopy leaves (issue
# 26).  Six targets each hold their own tree (a file with spaces in its name,
# one with a newline, an empty file, a 1 MB file sent up in many frames, a
# directory with its own mode, a read-only one); -R -P --template fetches
# SRC data-%h flat and through two gateways: the two DEST_DIRs hold the same
# names, types, modes, sizes, times and bytes, a target whose SRC is missing
# fails the same way in both, the results (plain and JSON) are the same, and
# neither the gateways' private folders nor any temporary is left.  What a
# gateway left out (a FIFO) is said on stderr as flat says it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 1
tree_sftp_targets 6
# The gateways' private folders go to a TMPDIR of this test's, to be counted.
tree_gateway_tmp tmp-shoal "$T/gwtmp"
tree=(--gateways 'gw[1-2]' --gateway-shoal "$T/gw/tmp-shoal")
nl=$'\n'
for d in "$T"/hosts/h*; do
    h=${d##*/}
    s=$d/data-$h
    mkdir -p "$s/sub/deeper" "$s/ro"
    printf 'from %s\n' "$h" >"$s/a file with spaces.txt"
    printf 'newline\n' >"$s/line${nl}break"
    : >"$s/empty"
    head -c 1048577 /dev/urandom >"$s/sub/big.bin"
    printf 'deep %s\n' "$h" >"$s/sub/deeper/x=1,2;#%"
    printf 'ro\n' >"$s/ro/r"
    chmod 640 "$s/a file with spaces.txt"
    chmod 600 "$s/sub/big.bin"
    chmod 750 "$s/sub"
    chmod 711 "$s/sub/deeper"
    touch -d '2020-01-02 03:04:05' "$s/empty" "$s/sub/deeper"
    chown -R "$LAB_USER" "$s"
    chmod 555 "$s/ro"
done
rm -r "$T/hosts/h03/data-h03"
# What --rcopy leaves out it names on stderr: said by the root for the host, as flat.
mkfifo "$T/hosts/h02/data-h02/sub/a fifo"
chown "$LAB_USER" "$T/hosts/h02/data-h02/sub/a fifo"
staged() { find "$T/gwtmp" -mindepth 1 | wc -l; }
# Every name, type, mode, size and modification time below a DEST_DIR (the
# hosts' folders are this run's: their times are not compared).
listing() {
    (cd "$1" && { find . -mindepth 1 -maxdepth 1 -printf '%P|%y|%m\0' &&
        find . -mindepth 2 -printf '%P|%y|%m|%s|%T@\0'; } | sort -z | tr '\0' '\n')
}
# stderr but for the time; hosts' lines come in the order the hosts ended.
summary() { sed -E 's/ · [0-9.]+ m?s$//' "$T/err" | sort; }
results() { jq -c '{host, status, error_kind, error, exit_code, bytes}' "$1" | sort; }

run_shoal -F "$T/ssh_config" -w 'h[01-06]' --json -R -P --template --rcopy 'data-%h' "$T/flat"
flat_rc=$RC
cp "$T/out" "$T/flat.json"
run_shoal -F "$T/ssh_config" "${tree[@]}" -w 'h[01-06]' --json -R -P --template --rcopy 'data-%h' "$T/tree"
is "$RC" "$flat_rc" "tree and flat: the same exit status ($flat_rc)"
is "$(jq -rs '[.[].via[0]] | unique | join(",")' "$T/out")" "gw1,gw2" "both gateways served targets"
is "$(results "$T/out")" "$(results "$T/flat.json")" "the same results, kinds, errors and bytes for each host"
like "$(grep '"host":"h03"' "$T/out")" '"error_kind":"transfer","error":"no such file or directory: data-h03"' \
    "the target whose SRC is missing fails as flat says it"
is "$(listing "$T/tree")" "$(listing "$T/flat")" "the same names, types, modes, sizes and times"
ok "$(diff -r "$T/flat" "$T/tree" >/dev/null && echo 0 || echo 1)" "the same bytes in every file"
isnt "$(listing "$T/tree" | grep -c .)" 0 "(there is something to compare)"
is "$(stat -c %a "$T/tree/h05/data-h05/ro")" 555 "a read-only directory arrives with its mode, filled"
cmp -s "$T/hosts/h06/data-h06/sub/big.bin" "$T/tree/h06/data-h06/sub/big.bin"
ok $? "a 1 MB file arrives whole"
ok "$([ ! -e "$T/tree/h03" ] && echo 0 || echo 1)" "no folder for the host that sent nothing (as flat)"
is "$(find "$T/tree" -name '.*.shoal-*' | wc -l)" 0 "no temporary is left"
is "$(staged)" 0 "the gateways removed their private folders"

# Plain output: the same lines, the same summary but for the time.
run_shoal -F "$T/ssh_config" -w 'h[01-06]' -R --template --rcopy 'data-%h' "$T/flat2"
summary >"$T/flat2.err"
flat_rc=$RC
run_shoal -F "$T/ssh_config" "${tree[@]}" -w 'h[01-06]' -R --template --rcopy 'data-%h' "$T/tree2"
is "$RC" "$flat_rc" "without -P, plain output: the same exit status"
is "$(summary)" "$(cat "$T/flat2.err")" "the same messages and summary"
like "$(cat "$T/err")" "shoal: h02: --rcopy: skipped FIFO [^ ]*/data-h02/sub/a fifo" \
    "a gateway's note on a target is said for the target, as flat says it"
ok "$(diff -r "$T/flat2" "$T/tree2" >/dev/null && echo 0 || echo 1)" "the same files"
done_testing
