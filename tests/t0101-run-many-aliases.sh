#!/usr/bin/env bash
# t0101: 20 aliases of one real sshd all run the command; every host's stdout
# and stderr lines arrive whole, prefixed with its own name; exit status 0.
. "$(dirname "$0")/lib.sh"

lab_fleet h 20

run_shoal -F "$T/ssh_config" -w 'h[01-20]' -- 'echo "out $(id -un)"; echo "err line" >&2; printf "tail"'
is "$RC" 0 "exit status 0 when every host succeeds"
for i in $(seq -w 1 20); do
    grep -qx "h$i: out $LAB_USER" "$T/out" || fail "h$i: stdout line missing"
done
pass "each of the 20 hosts printed its stdout line as 'HOST: line'"
is "$(grep -c ': tail$' "$T/out")" 20 "a last line without newline is printed whole for every host"
is "$(grep -c ': err line$' "$T/err")" 20 "stderr lines go to stderr with the prefix"
is "$(grep -vcE '^h[0-2][0-9]: (out '"$LAB_USER"'|tail)$' "$T/out")" 0 "no mixed or split lines on stdout"
like "$(tail -n 1 "$T/err")" '^ok 20 · [0-9.]+ s$' "the summary counts 20 ok"

run_shoal -F "$T/ssh_config" -w 'h01' -- 'head -c 300000 /dev/zero | tr "\0" x; echo'
is "$RC" 0 "a 300 kB line runs"
# Past 64 KiB a line goes out in pieces, each a line with the prefix (shoal(1)).
is "$(wc -l < "$T/out") $(wc -c < "$T/out")" "5 300030" \
	"a 300 kB line goes out in 5 pieces of at most 64 KiB, each as 'h01: piece'"
is "$(grep -c '^h01: x*$' "$T/out") $(sed 's/^h01: //' "$T/out" | tr -d '\n' | wc -c)" "5 300000" \
	"the pieces hold every byte of the line"
done_testing
