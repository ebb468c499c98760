#!/usr/bin/env bash
# t0603: an upload that does not finish never leaves a file under its final
# name, nor its temporary.  The host's SFTP server reads its input through a
# pipe that passes 2 MB/s, so a 20 MB upload takes a while: SIGINT in the
# middle ends shoal with 130, and --command-timeout ends it as `transfer`
# (timed out), exit 3; either way the partial file is removed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

lab_user
lab_keys
slow_sftp_lab
dir=$SLOW_HOME
leftovers() { find "$dir/in" -mindepth 1 | wc -l; }

env -u SSH_AUTH_SOCK "$SHOAL" -F "$T/ssh_config" -w slow --copy "$T/big.bin" in/ \
    </dev/null >"$T/out" 2>"$T/err" &
pid=$!
if wait_for 30 slow_partial; then pass "the upload is under way under a temporary name"; else fail "no partial temporary file appeared"; fi
kill -INT "$pid"
wait_for 15 eval '! running "$pid"'
wait "$pid"
is "$?" 130 "SIGINT mid-upload: exit 130"
like "$(cat "$T/err")" 'slow: cancelled.*interrupted during the transfer of in/big.bin' "the host is cancelled, naming the file"
ok "$([ ! -e "$dir/in/big.bin" ]; echo $?)" "no file under the final name"
is "$(leftovers)" 0 "and the temporary is removed"

run_shoal -F "$T/ssh_config" -w slow --json --command-timeout 3 --copy "$T/big.bin" in/
is "$RC" 3 "past --command-timeout: exit 3"
like "$(cat "$T/out")" '"error_kind":"transfer","error":"timed out after 3.0 s \(--command-timeout\): in/big.bin"' "transfer: timed out, naming the file"
is "$(leftovers)" 0 "nothing is left, under either name"
done_testing
