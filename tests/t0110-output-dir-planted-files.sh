#!/usr/bin/env bash
# t0110: -o DIR never writes through what someone planted in it: a symbolic
# link HOST.out -> victim leaves the victim whole, a dangling HOST.json link
# does not create its target, a hard link to a file and a FIFO are refused
# (no hang); each is reported with host and file, the other files are written
# and the exit status is 3.  A DIR another user owns or can write (no sticky
# bit) is refused before anything runs (exit 2, naming DIR and why); a
# sticky one like /tmp is taken.
. "$(dirname "$0")/lib.sh"

[ "$EUID" -eq 0 ] || skip_all "needs root (chown to another user)"
lab_fleet h 3
# Where the remote command (run as $LAB_USER) leaves a mark: did anything run?
mkdir -m 1777 "$T/marks"
ran() { [ -e "$T/marks/ran" ]; }

printf 'precious\n' >"$T/victim"
printf 'also precious\n' >"$T/victim2"
mkdir -m 755 "$T/o"
ln -s "$T/victim" "$T/o/h01.out"
ln -s "$T/created" "$T/o/h01.json"
ln "$T/victim2" "$T/o/h02.err"
mkfifo "$T/o/h03.out"
SHOAL_TIMEOUT=30 run_shoal -F "$T/ssh_config" -w 'h[01-03]' -o "$T/o" -- 'echo OUT; echo ERR >&2'
is "$RC" 3 "files that could not be written: exit 3"
is "$(cat "$T/victim")" "precious" "a planted HOST.out symlink: the victim is not touched"
[ -e "$T/created" ] && fail "a dangling HOST.json link created its target" ||
    pass "a dangling HOST.json link does not create its target"
is "$(cat "$T/victim2")" "also precious" "a planted hard link: the other file is not touched"
[ -L "$T/o/h01.out" ] && pass "the symlink stays a symlink" || fail "the symlink was replaced"
like "$(cat "$T/err")" "h01: -o: cannot write '$T/o/h01.out': a symbolic link \(not followed\)" "the symlink is reported, host and file"
like "$(cat "$T/err")" "h01: -o: cannot write '$T/o/h01.json': a symbolic link" "so is the dangling one"
like "$(cat "$T/err")" "h02: -o: cannot write '$T/o/h02.err': a file with other hard links" "the hard link is reported"
like "$(cat "$T/err")" "h03: -o: cannot write '$T/o/h03.out': not a regular file" "the FIFO is reported"
is "$(cat "$T/o/h01.err")" "ERR" "the host's other files are written"
is "$(cat "$T/o/h02.out")" "OUT" "h02.out is written"
is "$(jq -r .status "$T/o/h03.json")" "ok" "h03.json is written"
like "$(tail -n 1 "$T/err")" "not written: output of h\[01-03\] \(first: $T/o/h01.out: a symbolic link" "the summary names the hosts and a file"

# An existing file of the user's, from a run before, is reused.
run_shoal -F "$T/ssh_config" -w 'h02' -o "$T/o2" -- 'echo first run output that is long'
run_shoal -F "$T/ssh_config" -w 'h02' -o "$T/o2" -- 'echo short'
is "$RC" 0 "a second run into the same DIR: exit 0"
is "$(cat "$T/o2/h02.out")" "short" "an existing file is truncated and rewritten"

# Directories others could plant files in: refused before anything runs.
refused() { # DIR WHY DESC
    rm -f "$T/marks/ran"
    run_shoal -F "$T/ssh_config" -w 'h01' -o "$1" -- "touch $T/marks/ran"
    is "$RC" 2 "$3: exit 2"
    like "$(cat "$T/err")" "^shoal: -o: refusing '$1': $2" "$3: the message names DIR and why"
    ran && fail "$3: the command ran" || pass "$3: nothing ran"
}
mkdir -m 755 "$T/theirs"
chown "$LAB_USER" "$T/theirs"
refused "$T/theirs" "owned by another user \(uid $(id -u "$LAB_USER")\)" "a DIR another user owns"
mkdir -m 777 "$T/open"
chmod 777 "$T/open"
refused "$T/open" "writable by every user \(mode 777\)" "a world-writable DIR"
mkdir "$T/grp"
chgrp users "$T/grp"
chmod 775 "$T/grp"
refused "$T/grp" "writable by its group \(mode 775\)" "a DIR writable by a shared group"

mkdir "$T/sticky"
chmod 1777 "$T/sticky"
rm -f "$T/marks/ran"
run_shoal -F "$T/ssh_config" -w 'h01' -o "$T/sticky" -- "touch $T/marks/ran; echo hi"
is "$RC" 0 "a sticky world-writable DIR (as /tmp) is taken"
is "$(cat "$T/sticky/h01.out")" "hi" "and written"
mkdir -m 775 "$T/mine"
chgrp root "$T/mine"
run_shoal -F "$T/ssh_config" -w 'h01' -o "$T/mine" -- "echo hi"
is "$RC" 0 "group-writable by the user's own private group: taken"

touch "$T/file"
run_shoal -F "$T/ssh_config" -w 'h01' -o "$T/file" -- true
is "$RC" 2 "a DIR that is a file: exit 2"
like "$(cat "$T/err")" "-o: '$T/file': not a directory" "named, with why"
done_testing
