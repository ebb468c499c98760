#!/usr/bin/env bash
# t0140: --batch runs hosts in batches in host-list order: no host of batch
# k+1 starts before the last host of batch k has ended (start and end times
# logged by the remote commands themselves), sizes N% are of all hosts,
# rounded up, the last size repeating; --pause holds the next batch back;
# JSON says each host's batch (null without --batch); --template fills %h.
. "$(dirname "$0")/lib.sh"

lab_fleet h 30
install -d -m 777 "$T/log"
# Each host logs "HOST start|end NANOSECONDS" (appends of one short line are atomic);
# under --template a literal % is written %%.
cmd="echo \"%h start \$(date +%%s%%N)\" >>$T/log/times; sleep 0.3; echo \"%h end \$(date +%%s%%N)\" >>$T/log/times"

# batch_gaps FILE BATCHES...: for each pair of batches (lists of host numbers),
# the nanoseconds from the last end of one to the first start of the next.
batch_gaps() {
    local file=$1
    shift
    awk -v spec="$*" '
        { sub(/^h0?/, "", $1); t[$1 " " $2] = $3 }
        END {
            n = split(spec, b, " ")
            for (k = 1; k < n; k++) {
                split(b[k], cur, ","); split(b[k + 1], nxt, ",")
                last = 0; first = 0
                for (i = cur[1]; i <= cur[2]; i++) if (t[i " end"] > last) last = t[i " end"]
                for (i = nxt[1]; i <= nxt[2]; i++) if (first == 0 || t[i " start"] < first) first = t[i " start"]
                printf "%d\n", first - last
            }
        }' "$file"
}

run_shoal -F "$T/ssh_config" -w 'h[01-30]' -f 30 --batch 10 --template --json -- "$cmd"
is "$RC" 0 "--batch 10 over 30 hosts: exit 0"
is "$(grep -c start "$T/log/times")" 30 "every host ran once"
gaps=$(batch_gaps "$T/log/times" 1,10 11,20 21,30)
neg=$(awk '$1 < 0' <<<"$gaps" | wc -l)
is "$neg" 0 "no host of a batch starts before the last of the one before ends (gaps ns: $(echo $gaps))"
is "$(jq -r '.batch' "$T/out" | sort -n | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" \
    "1:10 2:10 3:10 " "JSON: ten hosts in each of batches 1, 2, 3"
is "$(jq -r 'select(.host == "h11") | .batch' "$T/out")" 2 "h11 is in batch 2 (host-list order)"

rm -f "$T/log/times"
run_shoal -F "$T/ssh_config" -w 'h[01-30]' -f 30 --batch 1,10%,25% --json -- true
is "$RC" 0 "--batch 1,10%,25%: exit 0"
is "$(jq -r '.batch' "$T/out" | sort -n | uniq -c | awk '{print $2 ":" $1}' | tr '\n' ' ')" \
    "1:1 2:3 3:8 4:8 5:8 6:2 " "sizes: a canary, 10% of 30 = 3, then 25% of 30 rounded up = 8, repeating"
is "$(jq -r 'select(.host == "h01") | .batch' "$T/out"),$(jq -r 'select(.host == "h04") | .batch' "$T/out"),$(jq -r 'select(.host == "h05") | .batch' "$T/out")" \
    "1,2,3" "the canary is the first host; batch 2 is h02-h04"

run_shoal -F "$T/ssh_config" -w 'h[01-04]' --batch 2 --pause 1.5 --template -- "$cmd"
is "$RC" 0 "--pause: exit 0"
gap=$(batch_gaps "$T/log/times" 1,2 3,4)
cmp_ok "$gap" -ge 1500000000 "--pause 1.5: batch 2 starts at least 1.5 s after batch 1 ended (${gap} ns)"

run_shoal -F "$T/ssh_config" -w 'h[01-02]' --json -- true
is "$(jq -r '.batch' "$T/out" | sort -u)" "null" "without --batch, \"batch\" is null"

run_shoal -F "$T/ssh_config" -w 'h01' --batch 0 -- true
is "$RC" 2 "--batch 0 is a usage error"
like "$(cat "$T/err")" "--batch: '0' is not" "the message names --batch and the value"
run_shoal -F "$T/ssh_config" -w 'h01' --batch 10,101% -- true
is "$RC" 2 "--batch 101% is a usage error"
run_shoal -F "$T/ssh_config" -w 'h01' --pause 3 -- true
is "$RC" 2 "--pause without --batch is a usage error"
done_testing
