#!/usr/bin/env bash
# t0105: --json objects follow SPEC section 5; -o DIR holds the exact bytes
# (checked by checksum, binary and a line without newline included) and
# HOST.json; --failed FILE lists the failed hosts and works as -H FILE.
. "$(dirname "$0")/lib.sh"

lab_fleet h 3
add_alias "$T/ssh_config" down "$(free_port)"

run_shoal -F "$T/ssh_config" -w 'h[01-03]' --json -- 'printf "a\tb\n\"q\"\\\\ \001 \377"; echo E >&2; exit 2'
is "$RC" 1 "exit 1 for non-zero exits"
is "$(wc -l < "$T/out")" 3 "one JSON line per host"
if jq -e . "$T/out" >/dev/null; then pass "every line is valid JSON"; else fail "invalid JSON: $(cat "$T/out")"; fi
line=$(grep '"host":"h02"' "$T/out")
is "$(jq -r '.status + " " + .error_kind + " " + (.exit_code|tostring)' <<<"$line")" "failed exit_nonzero 2" "status, kind and exit code"
is "$(jq -r '.stdout' <<<"$line" | od -An -c | tr -s ' ')" "$(printf 'a\tb\n"q"\\ \001 \357\277\275\n' | od -An -c | tr -s ' ')" "stdout escaped; an invalid byte becomes U+FFFD"
is "$(jq -r '.stderr' <<<"$line")" "E" "stderr"
is "$(jq -r '[.attempts, (.phases_ms|keys|join(",")), (.duration_ms|type)]|map(tostring)|join(" ")' <<<"$line")" \
    "1 auth,banner,connect,kex,run number" "attempts, phases_ms and duration_ms"
is "$(jq -r '.user + ":" + (.port|tostring)' <<<"$line")" "$LAB_USER:$SSHD_PORT_MAIN" "user and port"

head -c 3000000 /dev/urandom > "$T/blob"
sum=$(md5sum < "$T/blob" | cut -d' ' -f1)
chmod 644 "$T/blob"
cp "$T/blob" /tmp/shoal-t0105-blob.$$
chmod 644 /tmp/shoal-t0105-blob.$$
run_shoal -F "$T/ssh_config" -w 'h[01-03],down' -r 0 -o "$T/o" --failed "$T/failed" -- "cat /tmp/shoal-t0105-blob.$$; printf 'err-no-newline' >&2"
rm -f /tmp/shoal-t0105-blob.$$
is "$RC" 3 "exit 3 with an unreachable host"
for h in h01 h02 h03; do
    is "$(md5sum < "$T/o/$h.out" | cut -d' ' -f1)" "$sum" "$h.out holds the exact 3 MB of binary stdout"
    is "$(cat "$T/o/$h.err")" "err-no-newline" "$h.err holds the exact stderr"
    is "$(jq -r '.status' "$T/o/$h.json")" "ok" "$h.json says ok"
    is "$(jq -r 'has("stdout")' "$T/o/$h.json")" "false" "$h.json leaves the streams to the files"
done
is "$(jq -r '.error_kind' "$T/o/down.json")" "refused" "a host that never ran still gets its json"
is "$(cat "$T/failed")" "down" "--failed lists the failed host"
run_shoal -F "$T/ssh_config" -H "$T/failed" --list
is "$(cat "$T/out")" "down" "the --failed file works as -H"
done_testing
