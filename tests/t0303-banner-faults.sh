#!/usr/bin/env bash
# t0303: every fault before and during the handshake gets its error kind,
# phase and attempt count, through the fault proxy in front of a real sshd:
# reset twice then relay succeeds on attempt 3; a stalled banner fails as
# banner_timeout within its deadline while healthy hosts finish; an HTTP
# answer is not_ssh (never retried, shown escaped); "Exceeded MaxStartups" is
# throttled; a bare close is banner_closed; silence after the banner is
# kex_timeout.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
t=127.0.0.1:$SSHD_PORT_MAIN
start_faultproxy "0:$t:reset,reset,relay" "0:$t:stall" "0:$t:http" "0:$t:throttle" \
    "0:$t:close" "0:$t:kexstall" "0:$t:garbage" "0:$t:text:hello%20there,relay"
names=(flaky stall http full closed kexstall garbage pretext)
for i in "${!names[@]}"; do
    port_var=FP_PORT_$((i + 1))
    add_alias "$T/ssh_config" "${names[$i]}" "${!port_var}"
    trust_host_keys "${!port_var}"
done
add_aliases "$T/ssh_config" ok 5 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
json() { grep "\"host\":\"$1\"" "$T/out"; }

run_shoal -F "$T/ssh_config" -w flaky --backoff 0.05,0.1 --json -- 'echo made-it'
is "$RC" 0 "a host that resets its first two connections succeeds"
like "$(json flaky)" '"attempts":3' "on the third attempt"
like "$(json flaky)" '"stdout":"made-it\\n"' "and runs the command once"
like "$(json flaky)" '"attempt_errors":\[\{"error_kind":"banner_closed","phase":"banner","error":"[^"]*connection (reset|closed)[^"]*","ms":[0-9]+\},\{"error_kind":"banner_closed"' "JSON keeps each failed attempt with its kind, phase and error"

start=$(date +%s%N)
run_shoal -F "$T/ssh_config" -w 'stall,ok[01-05]' --banner-timeout 2 --retries 1 --backoff 0.1,0.2 --json -- true
took=$((($(date +%s%N) - start) / 1000000))
is "$RC" 3 "a stalled banner gives exit 3"
like "$(json stall)" '"error_kind":"banner_timeout"' "stalled banner: banner_timeout"
like "$(json stall)" '"attempts":2' "retried once (--retries 1)"
like "$(json stall)" '"phases_ms":\{"connect":[0-9]+,"banner":[34][0-9]{3},' "about 2 x 2 s spent in the banner phase"
if [ "$took" -lt 8000 ]; then pass "the run ends within the deadlines ($took ms)"; else fail "the run took $took ms (deadlines 2 x 2 s)"; fi
is "$(grep -c '"status":"ok"' "$T/out")" 5 "the healthy hosts in the same run finish normally"

run_shoal -F "$T/ssh_config" -w http --json -- true
like "$(json http)" '"error_kind":"not_ssh"' "an HTTP answer is not_ssh"
like "$(json http)" '"attempts":1' "not_ssh is never retried"
like "$(json http)" 'HTTP/1.1 400 Bad Request' "the answer is shown"

run_shoal -F "$T/ssh_config" -w garbage -- true
like "$(cat "$T/err")" 'garbage: not_ssh' "binary garbage is not_ssh"
unlike "$(cat "$T/err")" $'\x1b' "the escape sequence in it reaches stderr escaped"

run_shoal -F "$T/ssh_config" -w full --retries 0 --json -- true
like "$(json full)" '"error_kind":"throttled"' "'Exceeded MaxStartups' is throttled"

run_shoal -F "$T/ssh_config" -w closed --retries 1 --backoff 0.01,0.02 --json -- true
like "$(json closed)" '"error_kind":"banner_closed"' "a close before the banner is banner_closed"
like "$(json closed)" '"attempts":2' "banner_closed is retried"

run_shoal -F "$T/ssh_config" -w kexstall --kex-timeout 1 --retries 0 --json -- true
like "$(json kexstall)" '"error_kind":"kex_timeout"' "silence after the banner is kex_timeout"

run_shoal -F "$T/ssh_config" -w pretext -- 'echo fine'
is "$RC" 0 "lines before the SSH- banner are allowed (RFC 4253 4.2)"
done_testing
