#!/usr/bin/env bash
# t0210: shoal evaluates ssh_config as OpenSSH does.  tests/sshconf-diff.py
# writes random configs (Host, Match with every criterion, Include, % tokens,
# negation, canonicalisation, first-wins repeats, algorithm list edits,
# errors), asks for hosts with -l, -p, user@ and :port, and compares every
# keyword `shoal -G` prints with what `ssh -G` prints: OpenSSH is the oracle.
# A bigger run by hand: SHOAL_SSHCONF_SEED=7 SHOAL_SSHCONF_COUNT=2000.
. "$(dirname "$0")/lib.sh"

command -v ssh >/dev/null || skip_all "no OpenSSH client to compare with"
[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
# Without a network of its own, canonicalisation looks names up the same
# way for both, and fast.
pre=()
offline_ok && pre=(unshare --net --)
out=$("${pre[@]}" /usr/bin/python3 "$top_srcdir/tests/sshconf-diff.py" "$SHOAL" "$T/cfg" \
    "${SHOAL_SSHCONF_SEED:-1}" "${SHOAL_SSHCONF_COUNT:-100}" 2>&1)
rc=$?
diag "$out"
is "$rc" 0 "for every host and every keyword shoal uses, shoal -G prints what ssh -G prints"
like "$out" "compared [0-9]{3,} hosts, [0-9]{4,} keyword values" "hundreds of hosts were compared"
done_testing
