#!/usr/bin/env bash
# t0704: --copy in tree mode (issue 26).  The root sends each file once, in
# the job, to each gateway, which stages it in a private directory and fans
# it out to its targets with its own --copy; the files arrive whole with
# their modes (and times with -P), JSON counts the bytes, and the staging
# directory is gone afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

tree_lab 2 4
tree=(-F "$T/ssh_config" --gateways 'gw[1-2]' --gateway-shoal "$GW_SHOAL")
mkdir -p "$T/src/d/sub" "$T/dst"
head -c 300000 /dev/urandom >"$T/src/big"
printf 'x\n' >"$T/src/d/a"
printf 'y\n' >"$T/src/d/sub/b"
chmod 751 "$T/src/big"
touch -d '2001-02-03 04:05:06' "$T/src/d/a"
for h in n01 n02 n03 n04; do mkdir -p "$T/dst/$h"; done
chown -R "$LAB_USER" "$T/dst"
staged() { ls -d "$T"/gw/tmp/shoal-gateway.* 2>/dev/null | wc -l; }
before=$(staged)

run_shoal "${tree[@]}" -w 'n[01-04]' --json --template -R -P --copy "$T/src/big" "$T/src/d" "$T/dst/%h/"
is "$RC" 0 "--copy of a file and a directory to four targets through two gateways"
is "$(jq -rs '[.[].via[0]] | unique | join(",")' "$T/out")" "gw1,gw2" "both gateways fanned out"
same=0
for h in n01 n02 n03 n04; do
    cmp -s "$T/src/big" "$T/dst/$h/big" && cmp -s "$T/src/d/sub/b" "$T/dst/$h/d/sub/b" && same=$((same + 1))
done
is "$same" 4 "every target has the files whole"
is "$(stat -c %a "$T/dst/n03/big")" 751 "with their modes"
is "$(stat -c %Y "$T/dst/n02/d/a")" "$(stat -c %Y "$T/src/d/a")" "and, with -P, their times"
is "$(jq -s '[.[] | select(.bytes == 300004)] | length' "$T/out")" 4 '"bytes" counts what each target got'
is "$(staged)" "$before" "the gateways removed their staging directories"
# --rcopy through gateways: t0710-t0712.
done_testing
