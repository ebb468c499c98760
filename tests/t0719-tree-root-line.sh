#!/usr/bin/env bash
# t0719: tree mode, hosts on the root's own topology line (issue 26).  In
#   admin: gw1,n05,n06 / gw1: n[01-04]
# n05 and n06 are run by the root itself, beside gw1, as a flat run would run
# them: the root's options and ssh_config, no "via", the same result and exit
# code; at the same time as the gateway's targets (each side waits for the
# other here: run one after the other, they would time out); --max-fail
# counts both sides together and a stop reaches both; --copy takes the flat
# path to them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 1 6
# The root reaches n05 and n06 itself: its own ssh_config names them.
add_alias "$T/ssh_config" n05 "$SSHD_PORT_TGT"
add_alias "$T/ssh_config" n06 "$SSHD_PORT_TGT"
trust_host_keys "$SSHD_PORT_TGT"
tree=(-F "$T/ssh_config" --gateway-shoal "$GW_SHOAL")
mkdir -m 777 "$T/ran"
cat >"$T/topo.conf" <<'TOPO'
[routes]
admin: gw1,n05,n06
gw1: n[01-04]
TOPO
# wait_file F: up to 60 s (gross) for F to exist, as the lab user's shell runs it.
wait_file() { echo "i=0; while [ ! -e $1 ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done; [ -e $1 ]"; }
# wait_err RE: likewise for the root's own stderr to say RE.
wait_err() { echo "i=0; while ! grep -q '$1' $T/err && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done; grep -q '$1' $T/err"; }

# ---- results, JSON and exit codes as flat --------------------------------------
run_shoal "${tree[@]}" --topology "$T/topo.conf" -w 'n[01-02],n05' --template --json -r 0 -- \
    'echo out-%h; touch '"$T"'/ran/%h.$$'
is "$RC" 0 "a host on the root's line beside two behind gw1: all run"
is "$(jq -c 'select(.host == "n05") | [.status, .stdout, .via]' "$T/out")" '["ok","out-n05\n",null]' \
    "n05 ok with its output, and no via: the root ran it"
is "$(jq -rs '[.[] | select(.host != "n05") | .via | join(">")] | unique | join(" ")' "$T/out")" "gw1" \
    "n01 and n02 came through gw1"
is "$(ls "$T/ran" | wc -l)" 3 "each command ran once"
rm -f "$T/ran"/*

cmd='echo to-err >&2; exit 3'
run_shoal "${tree[@]}" --topology "$T/topo.conf" -w 'n01,n05' --json -r 0 -- "$cmd"
tree_rc=$RC
jq -c 'select(.host == "n05") | [.status, .error_kind, .exit_code, .stderr, .via, .attempts]' "$T/out" >"$T/tree.n05"
run_shoal -F "$T/ssh_config" -w n05 --json -r 0 -- "$cmd"
flat_rc=$RC
jq -c 'select(.host == "n05") | [.status, .error_kind, .exit_code, .stderr, .via, .attempts]' "$T/out" >"$T/flat.n05"
is "$tree_rc" "$flat_rc" "a failed command on both sides: the exit code of a flat run ($flat_rc)"
is "$(cat "$T/tree.n05")" "$(cat "$T/flat.n05")" "n05's JSON record is the flat run's"
like "$(cat "$T/tree.n05")" '"failed"' "(and says failed)"

# ---- concurrency: each side waits for the other ----------------------------------
run_shoal "${tree[@]}" --topology "$T/topo.conf" -w 'n01,n05' --template --json -r 0 -- \
    "touch $T/ran/%h; case %h in n05) $(wait_file "$T/ran/n01");; *) $(wait_file "$T/ran/n05");; esac"
is "$RC" 0 "n05 (from the root) and n01 (through gw1) ran at the same time"
is "$(jq -s '[.[] | select(.status == "ok")] | length' "$T/out")" 2 "both ok"
rm -f "$T/ran"/*

# ---- --max-fail across both sides ----------------------------------------------
# One failure on each side (n01, then n05 once the root has said n01's):
# together past --max-fail 1.  n02
# is in flight on gw1 until the root says it stopped, and finishes; n03,
# behind it on gw1 (-f 1), and n06, behind n05 on the root, never start.
run_shoal "${tree[@]}" --topology "$T/topo.conf" -w 'n[01-03],n05,n06' -f 1 --max-fail 1 \
    --template --json -r 0 -- \
    "case %h in n01) exit 1;; n05) $(wait_err 'n01: exit_nonzero'); exit 1;; n02) $(wait_err 'stopped:') && sleep 1;; esac"
is "$RC" 4 "--max-fail passed across the root's hosts and gw1's: exit 4"
like "$(cat "$T/err")" "stopped: 2 hosts failed, more than --max-fail 1" "both failures counted together"
is "$(jq -rs '[.[] | select(.status == "failed") | .host] | sort | join(",")' "$T/out")" "n01,n05" \
    "one failure on each side"
is "$(jq -r 'select(.host == "n02") | .status' "$T/out")" ok "n02, in flight on gw1, finished"
is "$(jq -rs '[.[] | select(.status == "skipped") | .host] | sort | join(",")' "$T/out")" "n03,n06" \
    "n03 (gw1) and n06 (the root's) never started" || cat "$T/out" "$T/err" >&2
is "$(jq -r 'select(.host == "n06") | .via' "$T/out")" null "n06 skipped by the root itself"
rm -f "$T/ran"/*

# ---- --batch: the root's hosts in the tree's batches ------------------------------
run_shoal "${tree[@]}" --topology "$T/topo.conf" -w 'n01,n05,n02,n06' --batch 2 --template --json -r 0 -- \
    'date +%%s%%N >'"$T"'/ran/%h.s; sleep 0.3; date +%%s%%N >'"$T"'/ran/%h.e; case %h in n01|n05) exit 1;; esac'
is "$(jq -rs '[.[] | select(.batch == 1) | .host] | sort | join(",")' "$T/out")" "n01,n05" \
    "batch 1: one host behind gw1, one of the root's"
is "$RC" 4 "every host of batch 1 failed, both sides: exit 4"
like "$(cat "$T/err")" "stopped: every host of batch 1 of 2 failed" "the root says which batch"
is "$(jq -rs '[.[] | select(.status == "skipped") | .host] | sort | join(",")' "$T/out")" "n02,n06" \
    "batch 2 never started, on either side"
run_shoal "${tree[@]}" --topology "$T/topo.conf" -w 'n01,n05,n02,n06' --batch 2 --template --json -r 0 -- \
    'date +%%s%%N >'"$T"'/ran/%h.s; sleep 0.3; date +%%s%%N >'"$T"'/ran/%h.e'
is "$RC" 0 "--batch 2 over both sides: all ok"
b1_end=$(cat "$T"/ran/n0[15].e | sort -n | tail -1)
b2_start=$(cat "$T"/ran/n0[26].s | sort -n | head -1)
cmp_ok "$b1_end" -lt "$b2_start" "batch 2 started after every host of batch 1 ended, on both sides"
rm -f "$T/ran"/*

# ---- --copy ------------------------------------------------------------------------
mkdir -p "$T/src" "$T/dst/n01" "$T/dst/n05"
chown -R "$LAB_USER" "$T/dst"
head -c 100000 /dev/urandom >"$T/src/f"
chmod 640 "$T/src/f"
run_shoal "${tree[@]}" --topology "$T/topo.conf" -w 'n01,n05' --template --json --copy "$T/src/f" "$T/dst/%h/"
is "$RC" 0 "--copy to a host on the root's line and one behind gw1"
cmp -s "$T/src/f" "$T/dst/n05/f" && cmp -s "$T/src/f" "$T/dst/n01/f"
ok $? "both got the file whole"
is "$(stat -c %a "$T/dst/n05/f")" 640 "with its mode"
is "$(jq -c 'select(.host == "n05") | [.bytes, .via]' "$T/out")" '[100000,null]' "n05's bytes, no via"
# ---- the live view: r and : ---------------------------------------------------------
# n07, on the root's line, fails its login first: the root does not know its
# host key yet.  Once it does, `r` runs it again from the root; `:` runs the
# next command on it from the root and on n01 through gw1.
: >"$T/kh7"
add_alias "$T/ssh_config" n07 "$SSHD_PORT_TGT" "" "UserKnownHostsFile $T/kh7"
printf '[routes]\nadmin: gw1,n07\ngw1: n[01-04]\n' >"$T/view.conf"
term_start 150 30 "'$SHOAL' --tui --hold -r 0 ${tree[*]} --topology '$T/view.conf' \
    -w 'n01,n07' -- 'touch $T/ran/x-\$\$; echo first' >'$T/out' 2>'$T/err'"
term_wait 30 'ok 1  failed 1' && pass "n01 ok through gw1, n07 failed: its host key is not known"
cp "$T/known_hosts" "$T/kh7"
term_keys r
term_wait 30 'ok 2  failed 0' && pass "r: n07 ends ok, from the root"
is "$(ls "$T/ran" | wc -l)" 2 "two commands ran: none twice"
term_keys :
term_type 'echo second $((6*7))'
term_keys Enter
term_wait 30 'n07 +ok .*second 42' && pass ": ran on n07 from the root"
term_wait 30 'ok 2  failed 0' && pass "both ok again"
term_keys q
term_done 10
is "$TERM_RC" 0 "q: exit 0"
is "$(grep -Ec '^(n01|n07)#2: second 42$' "$T/out")" 2 "run 2's lines, on both"
rm -f "$T/ran"/*

# ---- Ctrl-C ---------------------------------------------------------------------
mark="rootline-int-$$"
env -u SSH_AUTH_SOCK "$SHOAL" "${tree[@]}" --topology "$T/topo.conf" -w 'n[01-02],n[05-06]' \
    --template -- "sleep 30 # $mark-%h" >"$T/int.out" 2>"$T/int.err" &
root=$!
four() { [ "$(procs_with "$mark" | wc -l)" -ge 4 ]; }
wait_for 30 four
ok $? "all four commands run, two from the root, two through gw1"
kill -INT "$root"
wait "$root"
is "$?" 130 "Ctrl-C: exit 130"
like "$(cat "$T/int.err")" "cancelled 4" "every target is cancelled, on both sides"
# The root kills its own hosts' commands, as a flat run does, and the
# gateway its hosts' (t0701).
none() { [ -z "$(procs_with "$mark")" ]; }
wait_for 10 none
ok $? "no command is left running, the root's own hosts' or gw1's"

done_testing
