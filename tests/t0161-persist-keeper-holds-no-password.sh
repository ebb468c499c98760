#!/usr/bin/env bash
# t0161: a keeper started after a password login holds no copy of the
# password: its whole memory is searched for it (as root, who can read a
# process that is not dumpable), and it still serves the next run.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "reading another process's memory needs root"
lab_user
lab_keys
pw="kpw-$RANDOM$RANDOM-shoal"
lab_password "$pw"
start_sshd pw "PasswordAuthentication yes" "PubkeyAuthentication no" "LogLevel INFO"
add_aliases "$T/ssh_config" p 3 "$SSHD_PORT_PW"
trust_host_keys "$SSHD_PORT_PW"
export XDG_RUNTIME_DIR=$T/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
at_exit '"$SHOAL" --persist 0 >/dev/null 2>&1'

SHOAL_PW=$pw run_shoal -F "$T/ssh_config" -w 'p[01-03]' --password-env SHOAL_PW --persist 30 -- 'echo in'
is "$RC" 0 "a password login with --persist"
keeper=$(pgrep -f -- "--persist 30 -- echo in")
isnt "$keeper" "" "a keeper runs"
grep -q 'State' "/proc/$keeper/status" && pass "its memory can be read" || fail "no keeper process"
found=$(/usr/bin/python3 - "$keeper" "$pw" <<'PY'
import re, sys
pid, pw = sys.argv[1], sys.argv[2].encode()
hits = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        if m is None or m.group(3)[0] != "r" or "[vvar]" in line or "[vsyscall]" in line:
            continue
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        # A sanitizer's shadow memory is terabytes of reserved zeroes: not the heap.
        if end - start > (1 << 32):
            continue
        prev = b""
        for off in range(start, end, 1 << 24):
            try:
                mem.seek(off)
                d = prev + mem.read(min(1 << 24, end - off))
            except OSError:
                break
            hits += d.count(pw)
            prev = d[-(len(pw) - 1):]
print(hits)
PY
)
if grep -q __asan_init "$SHOAL" 2>/dev/null; then
    # ASan's runtime keeps its own copy of the environment it started with
    # (--password-env's variable among it), out of shoal's reach.
    skip "an ASan build: its runtime holds the starting environment"
else
    is "$found" 0 "the password is nowhere in the keeper's memory"
fi
run_shoal -F "$T/ssh_config" -w 'p[01-03]' -- 'echo again'
is "$RC" 0 "the keeper serves the next run, without a password"
is "$(grep -c 'Accepted password' "$T/pw/log")" 3 "one password login per host for both runs"
done_testing
