#!/usr/bin/env bash
# t0141: --max-fail: once more than N hosts failed no new host starts, the
# rest are `skipped` (JSON, summary, --failed), exit 4, and -H of the --failed
# file resumes exactly the hosts that did not succeed; a canary batch that
# fails whole stops the run (unless --max-fail 100%); SPEC 4's precedence;
# --template's tokens (COMMAND, --copy and --rcopy paths), and no template
# without --template.
. "$(dirname "$0")/lib.sh"

lab_fleet h 30
add_alias "$T/ssh_config" down "$(free_port)"

# Hosts h01-h08 (index 0-7) fail; the budget is 2, fanout 3.
run_shoal -F "$T/ssh_config" -w 'h[01-30]' -f 3 --max-fail 2 --template --json \
    --failed "$T/failed" -- '[ %i -ge 8 ]'
is "$RC" 4 "budget spent: exit 4"
nfail=$(jq -r 'select(.status == "failed") | .host' "$T/out" | wc -l)
nskip=$(jq -r 'select(.status == "skipped") | .host' "$T/out" | wc -l)
nok=$(jq -r 'select(.status == "ok") | .host' "$T/out" | wc -l)
cmp_ok "$nfail" -ge 3 "more than 2 hosts failed ($nfail)"
cmp_ok "$nfail" -le 5 "at most 2 + fanout failures ($nfail)"
cmp_ok "$nskip" -ge 20 "the rest are skipped ($nskip)"
is "$((nfail + nskip + nok))" 30 "one JSON line for every host"
is "$(jq -r 'select(.status == "skipped") | [.error_kind, .exit_code, .attempts, .batch] | map(tostring) | join(" ")' "$T/out" | sort -u)" \
    "null null 0 null" "a skipped line: no error kind, no exit code, no attempt, batch null"
like "$(tail -1 "$T/err")" "skipped $nskip: h\[.*\] \(stopped: 3 hosts failed, more than --max-fail 2\)" \
    "the summary folds the skipped hosts and says why the run stopped"
jq -r 'select(.status != "ok") | .host' "$T/out" | sort >"$T/notok"
sort "$T/failed" >"$T/failed.sorted"
cmp -s "$T/notok" "$T/failed.sorted"; ok $? "--failed lists the failed and the skipped hosts"
cp "$T/failed" "$T/resume"
run_shoal -F "$T/ssh_config" -H "$T/resume" --json -- true
is "$RC" 0 "-H of the --failed file: the resumed run succeeds"
jq -r '.host' "$T/out" | sort >"$T/resumed"
cmp -s "$T/notok" "$T/resumed"; ok $? "and runs exactly the hosts that did not succeed"

# Percent: more than 10% of 30 = 3.
run_shoal -F "$T/ssh_config" -w 'h[01-30]' -f 1 --max-fail 10% --template -- '[ %i -ge 8 ]'
is "$RC" 4 "--max-fail 10%: exit 4"
like "$(tail -1 "$T/err")" "failed 4 .*skipped 26: h\[05-30\]" "with fanout 1: the fourth failure stops it, h05-h30 skipped"

# A canary that fails stops everything; --max-fail 100% lets the run go on.
run_shoal -F "$T/ssh_config" -w 'h[01-30]' --batch 1,50% --template --json -- '[ %i -ne 0 ]'
is "$RC" 4 "a failed canary: exit 4"
is "$(jq -r 'select(.status == "skipped") | .host' "$T/out" | wc -l)" 29 "the other 29 hosts are skipped"
is "$(jq -r 'select(.status == "skipped") | .batch' "$T/out" | sort -u | tr '\n' ' ')" "2 3 " "skipped lines name their batch"
like "$(tail -1 "$T/err")" "stopped: every host of batch 1 of 3 failed" "the summary says why"
run_shoal -F "$T/ssh_config" -w 'h[01-30]' --batch 1,50% --max-fail 100% --template -- '[ %i -ne 0 ]'
is "$RC" 1 "--max-fail 100%: a failed canary does not stop the run (exit 1)"

# Precedence 130 > 4 > 3 > 1: an unreachable host and skipped ones give 4.
run_shoal -F "$T/ssh_config" -w 'down,h[01-05]' -f 1 -r 0 --max-fail 0 -- true
is "$RC" 4 "unreachable (3) and skipped (4): exit 4"
like "$(tail -1 "$T/err")" "failed 1 \(refused 1: down\) .* skipped 5: h\[01-05\]" "summary: the failure and the skipped hosts"

# --template tokens; without it % is left alone.
run_shoal -F "$T/ssh_config" -w 'h07' --template -- 'echo %h %H %u %p %i %%'
is "$(cat "$T/out")" "h07: h07 127.0.0.1 $LAB_USER $SSHD_PORT_MAIN 0 %" "--template: %h %H %u %p %i %%"
run_shoal -F "$T/ssh_config" -w 'h07' -- 'date +%F; echo %h %%'
like "$(cat "$T/out")" "^h07: [0-9]{4}-[0-9]{2}-[0-9]{2}
h07: %h %%$" "without --template, % is never touched"
run_shoal -F "$T/ssh_config" -w 'h07' --template -- 'date +%F'
is "$RC" 2 "--template: an unknown token is a usage error"
like "$(cat "$T/err")" "unknown token '%F' in COMMAND" "the message names the token"

# --template in the remote paths of --copy (DEST) and --rcopy (SRC).
install -d -m 777 "$T/remote"
echo conf >"$T/app.conf"
chmod 644 "$T/app.conf"
run_shoal -F "$T/ssh_config" -w 'h[01-02]' --template --copy "$T/app.conf" "$T/remote/%h-%i.conf"
is "$RC" 0 "--copy with --template: exit 0"
is "$(cd "$T/remote" && ls | tr '\n' ' ')" "h01-0.conf h02-1.conf " "--copy: DEST per host"
run_shoal -F "$T/ssh_config" -w 'h[01-02]' --template --rcopy "$T/remote/%h-%i.conf" "$T/back"
is "$RC" 0 "--rcopy with --template: exit 0"
is "$(cat "$T/back/h01/h01-0.conf" "$T/back/h02/h02-1.conf" 2>&1 | tr '\n' ' ')" "conf conf " "--rcopy: SRC per host"
done_testing
