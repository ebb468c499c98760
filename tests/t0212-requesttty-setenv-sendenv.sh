#!/usr/bin/env bash
# t0212: ssh_config's RequestTTY, SetEnv and SendEnv reach a real sshd.
# RequestTTY yes and force give the command a pty, no and auto do not, and
# -T (ssh's -t) gives one whatever RequestTTY says.  SendEnv sends the
# variables of shoal's environment its patterns match (a -PATTERN line
# takes earlier patterns back), SetEnv its pairs, and an sshd that accepts
# none of them (no AcceptEnv) fails no host: as in ssh, the refusal is only
# a -vv line.  The --password-env variable is never sent, even when a
# SendEnv pattern covers it.
. "$(dirname "$0")/lib.sh"

lab_user
lab_keys
start_sshd main "AcceptEnv SHOALT_*"
start_sshd plain
trust_host_keys "$SSHD_PORT_MAIN" "$SSHD_PORT_PLAIN"

write_ssh_config "$T/ssh_config"
for v in yes force no auto; do
    add_alias "$T/ssh_config" "tty-$v" "$SSHD_PORT_MAIN" "" "RequestTTY $v"
done
add_alias "$T/ssh_config" env "$SSHD_PORT_MAIN" "" "SendEnv SHOALT_A SHOALT_P* SHOALT_C" \
    'SetEnv SHOALT_B="two words" SHOALT_D=d'
add_alias "$T/ssh_config" refused "$SSHD_PORT_PLAIN" "" "SendEnv SHOALT_*" "SetEnv SHOALT_B=b"
cat >>"$T/ssh_config" <<'CFG'
Host *
    SendEnv -SHOALT_C
CFG

tty_cmd='test -t 0 && echo has-tty || echo no-tty'
run_shoal -F "$T/ssh_config" -w 'tty-yes,tty-force,tty-no,tty-auto' -- "$tty_cmd"
is "$RC" 0 "RequestTTY: every host runs"
is "$(tr -d '\r' <"$T/out" | sort)" "$(printf '%s\n' 'tty-auto: no-tty' 'tty-force: has-tty' 'tty-no: no-tty' \
    'tty-yes: has-tty')" "RequestTTY yes and force give a pty, no and auto do not"
run_shoal -F "$T/ssh_config" -w 'tty-yes' -- 'echo to-stderr >&2'
is "$(tr -d '\r' <"$T/out")" "tty-yes: to-stderr" "with RequestTTY's pty stderr is merged into stdout, as with -T"
run_shoal -F "$T/ssh_config" -w 'tty-no,tty-auto' -T -- "$tty_cmd"
is "$(tr -d '\r' <"$T/out" | sort)" "$(printf '%s\n' 'tty-auto: has-tty' 'tty-no: has-tty')" \
    "-T gives a pty whatever RequestTTY says (ssh's -t overrides it)"

env_cmd='printf "A=%s B=%s C=%s D=%s PW=%s\n" "$SHOALT_A" "$SHOALT_B" "${SHOALT_C-unset}" "$SHOALT_D" "${SHOALT_PW-unset}"'
export SHOALT_A=one SHOALT_C=three SHOALT_PW=secret-pw SHOALT_B=local-b
run_shoal -F "$T/ssh_config" -w env --password-env SHOALT_PW -- "$env_cmd"
is "$RC" 0 "SetEnv/SendEnv: the host runs"
is "$(cat "$T/out")" "env: A=one B=two words C=unset D=d PW=unset" \
    "SendEnv's variables and SetEnv's pairs arrive (SetEnv last, as in ssh); -SHOALT_C took C back; the password variable is not sent"
unset SHOALT_PW
run_shoal -F "$T/ssh_config" -w env -- "$env_cmd"
is "$(cat "$T/out")" "env: A=one B=two words C=unset D=d PW=unset" "a variable not set locally is not sent"

run_shoal -F "$T/ssh_config" -w refused -- "$env_cmd"
is "$RC" 0 "an sshd without AcceptEnv refuses the variables: the host still runs"
is "$(cat "$T/out")" "refused: A= B= C=unset D= PW=unset" "and none arrives"
unlike "$(cat "$T/err")" "refus|environment|SHOALT" "nothing said at the normal level (ssh ignores refusals too)"
run_shoal -F "$T/ssh_config" -w refused -vv -- true
like "$(cat "$T/err")" "refused: the server did not take environment variable SHOALT_A" "-vv names each refusal"
unset SHOALT_A SHOALT_B SHOALT_C
done_testing
