#!/usr/bin/env bash
# t0132: with few file descriptors (ulimit -n 64, soft and hard) and -f 200,
# shoal keeps the hosts in flight within what the limit allows, says so, and
# every host succeeds (hosts used to fail with "resolve: Too many open
# files").  With a soft limit below the hard one, the soft one is raised.
. "$(dirname "$0")/lib.sh"

lab_fleet h 60

limited() {
    # $1: the limit as "SOFT HARD"; run_shoal in a subshell, so keep RC in a file.
    (
        ulimit -S -n "${1% *}" && ulimit -H -n "${1#* }" || exit 99
        shift
        run_shoal "$@"
        echo "$RC" >"$T/rc"
    )
    RC=$(cat "$T/rc")
}

limited "64 64" -F "$T/ssh_config" -w 'h[01-60]' -f 200 --json -- 'echo hi'
is "$RC" 0 "60 hosts at -f 200 under ulimit -n 64 all run"
is "$(grep -c '"status":"ok"' "$T/out")" 60 "every host is ok"
like "$(cat "$T/err")" 'fanout 200 lowered to [0-9]+: the open file limit \(ulimit -n\)' \
    "a message names the cap and why"

limited "64 4096" -F "$T/ssh_config" -w 'h[01-60]' -f 200 -- 'echo hi'
is "$RC" 0 "with a hard limit of 4096 too"
unlike "$(cat "$T/err")" 'lowered' "the soft limit is raised to the hard one: no cap needed"
done_testing
