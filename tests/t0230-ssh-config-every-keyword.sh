#!/usr/bin/env bash
# t0230: every keyword the installed OpenSSH client takes, shoal takes
# (EnableEscapeCommandline stopped it); ssh -G's own output, used as a
# config, gives the same shoal -G, keyword for keyword, and shoal -G
# prints every keyword ssh -G prints (ForwardAgent, Compression, IPQoS,
# forwards, RemoteCommand too).  A "not honoured" note only when a value
# asks for what shoal does not do.
. "$(dirname "$0")/lib.sh"

command -v ssh >/dev/null || skip_all "no OpenSSH client to compare with"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"

out=$(/usr/bin/python3 "$top_srcdir/tests/sshconf-keywords.py" "$SHOAL" "$T/kw" 2>&1)
rc=$?
diag "$out"
is "$rc" 0 "every keyword and every value ssh -G prints: shoal agrees"
like "$out" "keywords: [0-9]{3} that ssh takes" "over a hundred keywords compared"

printf 'Host *\n  ForwardAgent no\n  Compression no\n  EnableEscapeCommandline yes\n' >"$T/quiet.conf"
run_shoal -G -F "$T/quiet.conf" -w h1
is "$RC" 0 "ForwardAgent no, Compression no, EnableEscapeCommandline yes: accepted"
is "$(cat "$T/err")" "" "and nothing is said: they ask for nothing shoal lacks"

printf 'Host *\n  ForwardAgent yes\n  Compression yes\n' >"$T/loud.conf"
run_shoal -G -F "$T/loud.conf" -w h1
is "$RC" 0 "ForwardAgent yes: accepted"
unlike "$(cat "$T/err")" "ForwardAgent" "and not named: shoal forwards the agent"
like "$(cat "$T/err")" "line 3: Compression is not honoured" "Compression yes named too"
done_testing
