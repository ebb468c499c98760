#!/usr/bin/env bash
# t0251: every folded host list shoal prints selects exactly its hosts when
# pasted back.  `--list --fold` folds as ClusterShell's `nodeset -f` does on
# generated lists (several numeric fields, suffixes, mixed padding), item
# for item; user@ and :port survive folding in the run summary, the -b and
# --diff headers, the live view's failure panel and --list-groups.
. "$(dirname "$0")/lib.sh"

command -v nodeset >/dev/null || skip_all "no nodeset (clustershell)"

# items S: the top-level items of a folded list (commas outside brackets), sorted.
items() { awk -v s="$1" 'BEGIN { d = 0; cur = ""
    for (i = 1; i <= length(s); i++) { c = substr(s, i, 1)
        if (c == "[") d++; else if (c == "]") d--
        if (c == "," && d == 0) { print cur; cur = "" } else cur = cur c }
    print cur }' | sort | tr '\n' ' '; }
# expand EXPR: shoal's expansion, sorted.
expand() { run_shoal -w "$1" --list; sort "$T/out" | tr '\n' ' '; }

# Generated lists, a seed per case so a failure can be replayed: patterns of
# one to three numeric fields with text, separators and a suffix around
# them; each field's numbers a range at some padding, at times with a few
# of another width.  DENSE=1: every pattern is a full product (or a random
# subset when it has one field), where the fold is unique and nodeset's
# text is the one to match; else random subsets of products, where only
# the hosts selected must match.
gen() {
    awk -v seed="$1" -v dense="$2" 'BEGIN { srand(seed)
        np = 1 + int(rand() * 3)
        for (p = 0; p < np; p++) {
            pre = substr("abcdefgh", 1 + int(rand() * 8), 1 + int(rand() * 3))
            nf = 1 + int(rand() * 3); keep = (dense && nf > 1) ? 1 : 0.3 + rand() * 0.7
            for (f = 0; f < nf; f++) { lo = int(rand() * 12); n[f] = 1 + int(rand() * 6)
                w = int(rand() * 4); sep[f] = substr(".-_x", 1 + int(rand() * 4), 1)
                for (i = 0; i < n[f]; i++) val[f, i] = sprintf("%0" w "d", lo + i)
                if (rand() < 0.3) val[f, n[f]++] = sprintf("%0" (w + 1) "d", lo + int(rand() * 12)) }
            suf = rand() < 0.5 ? "" : ".dc" int(rand() * 3)
            total = 1; for (f = 0; f < nf; f++) total *= n[f]
            for (k = 0; k < total; k++) { if (rand() > keep) continue
                name = pre; r = k
                for (f = 0; f < nf; f++) { name = name (f ? sep[f] : "") val[f, r % n[f]]; r = int(r / n[f]) }
                print name suf } } }' | sort -uR --random-source=<(yes "$1") | paste -sd,
}

for seed in $(seq 1 30); do
    list=$(gen "$seed" 1)
    run_shoal -w "$list" --list --fold
    got=$(cat "$T/out")
    is "$(items "$got")" "$(items "$(nodeset -f "$list")")" "seed $seed: --list --fold is nodeset -f"
    is "$(expand "$got")" "$(expand "$list")" "seed $seed: and selects the same hosts"
done
for seed in $(seq 31 50); do
    list=$(gen "$seed" 0)
    run_shoal -w "$list" --list --fold
    is "$(expand "$(cat "$T/out")")" "$(expand "$list")" "seed $seed (sparse): the fold selects the same hosts"
done

run_shoal -w 'web[01-05].dc1,n[1,03,05],u@n[1-3]:2222,u@n4' --list --fold
is "$(cat "$T/out")" "web[01-05].dc1,n[1,03,05],u@n[1-3]:2222,u@n4" "--list --fold keeps padding, user@ and :port"

# A run: the summary names failed hosts with their user and port.
lab_user
lab_keys
dead=$(free_port)
add_alias "$T/ssh_config" dead1 "$dead"
add_alias "$T/ssh_config" dead2 "$dead"
start_sshd main
add_alias "$T/ssh_config" w1 "$SSHD_PORT_MAIN"
add_alias "$T/ssh_config" w2 "$SSHD_PORT_MAIN"
trust_host_keys "$SSHD_PORT_MAIN"
run_shoal -F "$T/ssh_config" -w "rb1@dead1,dead2:$dead" --no-tui --retries 0 -- true
sum=$(tail -n 1 "$T/err")
like "$sum" "refused 2: rb1@dead1,dead2:$dead\)" "the summary keeps user@ and :port: $sum"
folded=$(sed -n 's/.*refused 2: \(.*\)).*/\1/p' <<<"$sum")
is "$(expand "$folded")" "$(expand "rb1@dead1,dead2:$dead")" "pasted back, it selects the same hosts"

run_shoal -F "$T/ssh_config" -w "$LAB_USER@w1,$LAB_USER@w2" --no-tui -b -- echo same
like "$(head -n 2 "$T/out")" "$LAB_USER@w\[1-2\]" "the -b header keeps user@"
run_shoal -F "$T/ssh_config" -w "$LAB_USER@w1,w2:$SSHD_PORT_MAIN" --no-tui --diff -- 'date +%N'
like "$(cat "$T/out")" "^--- $LAB_USER@w1 \(1\)" "the --diff headers keep user@"
like "$(cat "$T/out")" "\+\+\+ w2:$SSHD_PORT_MAIN \(1\)" "and :port"

# The live view's failure panel too.
term_start 120 30 "'$SHOAL' --tui -F '$T/ssh_config' -w 'rb1@dead1,dead2:$dead' --retries 0 -- true"
if term_wait 20 "refused 2: rb1@dead1,dead2:$dead"; then
    pass "the live view's failure panel keeps user@ and :port"
else
    fail "the live view's failure panel keeps user@ and :port"
fi
term_keys q
term_done 10

export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc
mkdir -p "$HOME/.config/shoal" "$SHOAL_SYSCONFDIR"
echo 'g: web[01-05].dc1, u@n[1-2]:2222, n3' >"$HOME/.config/shoal/groups"
run_shoal --list-groups
is "$(cat "$T/out")" "g: web[01-05].dc1,u@n[1-2]:2222,n3" "--list-groups folds every field and keeps user@ and :port"
done_testing
