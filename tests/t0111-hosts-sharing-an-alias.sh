#!/usr/bin/env bash
# t0111: hosts that differ only by user or port (127.0.0.1, 127.0.0.1:PORT,
# USER@127.0.0.1:PORT) keep distinct names everywhere: prefixed lines, JSON
# "host", -o files, --rcopy folders, the summary; --failed still reads back as
# -H.  IPv6 names ([::1]:PORT) make valid file names.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main
add_alias "$T/ssh_config" 127.0.0.1 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
P=$SSHD_PORT_MAIN
U=$LAB_USER
hosts="127.0.0.1,127.0.0.1:$P,$U@127.0.0.1:$P"
names=("127.0.0.1" "127.0.0.1:$P" "$U@127.0.0.1:$P")

run_shoal -F "$T/ssh_config" -w "$hosts" -- 'echo same'
is "$RC" 0 "three specs of one server: exit 0"
is "$(sort "$T/out")" "$(printf '%s: same\n' "${names[@]}" | sort)" "three distinct prefixes, user and port as written"

run_shoal -F "$T/ssh_config" -w "$hosts" --json -- 'echo same'
is "$(jq -r .host "$T/out" | sort)" "$(printf '%s\n' "${names[@]}" | sort)" "three distinct JSON hosts"

run_shoal -F "$T/ssh_config" -w "$hosts" -o "$T/o" -- 'echo same; exit 3'
is "$RC" 1 "exit 1 for non-zero exits"
for n in "${names[@]}"; do
    is "$(cat "$T/o/$n.out" 2>/dev/null)" "same" "-o: $n.out holds its host's output"
    is "$(jq -r .host "$T/o/$n.json" 2>/dev/null)" "$n" "-o: $n.json names its host"
done
is "$(find "$T/o" -type f | wc -l)" 9 "-o: nine files, none overwritten"
for n in "${names[@]}"; do
    like "$(tail -n 1 "$T/err")" "exit_nonzero 3: .*$n(,|\))" "the summary names $n"
done

run_shoal -F "$T/ssh_config" -w "$hosts" --failed "$T/failed" -- 'exit 1'
is "$(sort "$T/failed")" "$(printf '%s\n' "${names[@]}" | sort)" "--failed lists the three specs"
run_shoal -F "$T/ssh_config" -H "$T/failed" --list
is "$(sort "$T/out")" "$(sort "$T/failed")" "--failed reads back as -H"

printf 'remote data\n' >"$T/data.txt"
chmod 644 "$T/data.txt"
run_shoal -F "$T/ssh_config" -w "$hosts" --rcopy "$T/data.txt" "$T/got"
is "$RC" 0 "--rcopy from the three: exit 0"
for n in "${names[@]}"; do
    is "$(cat "$T/got/$n/data.txt" 2>/dev/null)" "remote data" "--rcopy: folder $n"
done

# IPv6 literals (never reached: ports nothing listens on).
p1=$(free_port)
p2=$(free_port)
run_shoal -F none -w "[::1]:$p1,u@[::1]:$p1,[::1]:$p2" -r 0 --connect-timeout 5 -o "$T/v6" -- true
is "$RC" 3 "IPv6 hosts not reached: exit 3"
for n in "[::1]:$p1" "u@[::1]:$p1" "[::1]:$p2"; do
    is "$(jq -r .host "$T/v6/$n.json" 2>/dev/null)" "$n" "-o: $n.json"
done
done_testing
