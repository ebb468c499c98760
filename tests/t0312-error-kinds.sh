#!/usr/bin/env bash
# t0312: the error kinds of SPEC section 3, one host each, as one table: the
# kind (JSON error_kind), the phase it is reported in, the attempts made with
# --retries 1 (2 for a transient kind, 1 for a permanent one) and the exit
# status (SPEC section 4).  Deeper tests of each: t0301 (resolve, refused),
# t0306 (connect_timeout), t0303 (banner and kex faults), t0302 (host keys),
# t0305 and t0307 (auth), t0308 (channel), t0103 (command_timeout), t0102
# (exit_nonzero, signal), t0106 (cancelled), t0133 (lost), t0362
# (proxy_failed), t0361 (every kind through a jump host).  Not here:
# cancelled needs a signal (t0106); transfer needs --copy (t0601, t0602,
# t0603); lost needs a host frozen mid-command (t0133); local needs this
# machine out of descriptors, which the fanout cap prevents (t0132).
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
start_sshd nokex "KexAlgorithms sntrup761x25519-sha512@openssh.com"
start_sshd nosess "MaxSessions 0"
trust_host_keys "$SSHD_PORT_MAIN" "$SSHD_PORT_NOKEX" "$SSHD_PORT_NOSESS"
m=127.0.0.1:$SSHD_PORT_MAIN
start_faultproxy "0:$m:blackhole" "0:$m:stall" "0:$m:close" "0:$m:throttle" "0:$m:http" \
    "0:$m:kexstall" "0:$m:authstall"
names=(hole stall closed full http kexstall authstall)
for i in "${!names[@]}"; do
    port_var=FP_PORT_$((i + 1))
    add_alias "$T/ssh_config" "${names[$i]}" "${!port_var}"
    trust_host_keys "${!port_var}"
done
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
: >"$T/known_hosts.empty"
read -r type blob _ <"$T/nokex/hostkey.pub"
echo "[127.0.0.1]:$SSHD_PORT_MAIN $type $blob" >"$T/known_hosts.wrong"
read -r type blob _ <"$T/main/hostkey.pub"
echo "@revoked * $type $blob" >"$T/known_hosts.revoked"
add_alias "$T/ssh_config" good "$SSHD_PORT_MAIN"
add_alias "$T/ssh_config" refused "$(free_port)"
add_alias "$T/ssh_config" nokex "$SSHD_PORT_NOKEX"
add_alias "$T/ssh_config" unknown "$SSHD_PORT_MAIN" "" "UserKnownHostsFile $T/known_hosts.empty"
add_alias "$T/ssh_config" changed "$SSHD_PORT_MAIN" "" "UserKnownHostsFile $T/known_hosts.wrong"
add_alias "$T/ssh_config" revoked "$SSHD_PORT_MAIN" "" "UserKnownHostsFile $T/known_hosts.revoked"
add_alias "$T/ssh_config" denied "$SSHD_PORT_MAIN" "" "IdentityFile $T/stranger"
add_alias "$T/ssh_config" nosess "$SSHD_PORT_NOSESS"
add_alias "$T/ssh_config" proxyfail "$SSHD_PORT_MAIN" "" "ProxyCommand sh -c 'echo no route >&2; exit 1'"

# host | command | kind | phase in the report ("-": none) | attempts | exit status
table='
nosuch.invalid | true       | resolve         | connecting | 1 | 3
refused        | true       | refused         | connecting | 2 | 3
hole           | true       | connect_timeout | connecting | 2 | 3
stall          | true       | banner_timeout  | banner     | 2 | 3
closed         | true       | banner_closed   | banner     | 2 | 3
full           | true       | throttled       | banner     | 2 | 3
proxyfail      | true       | proxy_failed    | connecting | 2 | 3
http           | true       | not_ssh         | banner     | 1 | 3
nokex          | true       | kex_failed      | kex        | 1 | 3
kexstall       | true       | kex_timeout     | kex        | 2 | 3
unknown        | true       | hostkey_unknown | kex        | 1 | 3
changed        | true       | hostkey_changed | kex        | 1 | 3
revoked        | true       | hostkey_revoked | kex        | 1 | 3
denied         | true       | auth_denied     | auth       | 1 | 3
authstall      | true       | auth_timeout    | auth       | 2 | 3
nosess         | true       | channel         | running    | 1 | 3
good           | sleep 30   | command_timeout | running    | 1 | 3
good           | exit 7     | exit_nonzero    | -          | 1 | 1
good           | kill -9 $$ | signal          | -          | 1 | 1
'
# Short deadlines for the stalls, long enough for a loaded machine.
timeouts=(-t 1 --banner-timeout 1 --kex-timeout 1 --auth-timeout 1 -u 1)
while IFS='|' read -r host cmd kind phase attempts want_rc; do
    read -r host <<<"$host"
    [ -n "$host" ] || continue
    read -r cmd <<<"$cmd"
    read -r kind <<<"$kind"
    read -r phase <<<"$phase"
    read -r attempts <<<"$attempts"
    read -r want_rc <<<"$want_rc"
    # A name lookup would ask a resolver off this machine: no network for it.
    offline=0
    if [ "$kind" = resolve ]; then
        if ! offline_ok; then
            skip "resolve: no network namespace for a lookup without network"
            skip "resolve: its phase"
            continue
        fi
        offline=1
    fi
    SHOAL_OFFLINE=$offline run_shoal -F "$T/ssh_config" -w "$host" --retries 1 \
        --backoff 0.01,0.02 "${timeouts[@]}" --json -- "$cmd"
    j=$(cat "$T/out")
    if [[ $RC == "$want_rc" && $j == *"\"error_kind\":\"$kind\""* &&
        $j == *"\"attempts\":$attempts,"* ]]; then
        pass "$kind: $host, $attempts attempt(s), exit $want_rc"
    else
        fail "$kind: $host, $attempts attempt(s), exit $want_rc"
        diag "exit $RC; $j"
    fi
    if [ "$phase" = - ]; then
        like "$(cat "$T/err")" "^shoal: $host: $kind: " "$kind: reported as a result of the command"
        like "$j" '"auth":[0-9]+,"run":[1-9]' "$kind: after the command ran"
    else
        # "n/2" only when a retried kind used both attempts; a kind never retried says "1".
        shown=$attempts
        [ "$attempts" = 2 ] && shown=2/2
        like "$(cat "$T/err")" "^shoal: $host: $kind \\($phase phase, attempt $shown\\)" "$kind: in the $phase phase, attempt $shown"
    fi
done <<<"$table"
done_testing
