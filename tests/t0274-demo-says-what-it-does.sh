#!/usr/bin/env bash
# t0274: the demo says what it does: tests/demo.sh shows each step while it
# builds and prints the exact command it runs (printed, then run: the printed
# line run again gives the same result); tests/lab.sh takes its ports from
# SHOAL_LAB_PORT (main sshd, busy sshd, then the 4 flaky hosts) and lists
# them, with the login user, in DIR/lab.env and on 'up'.
. "$(dirname "$0")/lib.sh"

# Six free ports in a row for the lab.  Another test may take one between
# the look and the lab's bind: the lab then comes up nowhere, and a new row is tried.
six_free() {
    local try b i
    for try in $(seq 1 50); do
        b=$(free_port)
        ((b <= 65530)) || continue
        for ((i = 0; i < 6; i++)); do
            (exec 3<>"/dev/tcp/127.0.0.1/$((b + i))") 2>/dev/null && continue 2
        done
        echo "$b"
        return 0
    done
    return 1
}

lab=$T/lab
at_exit "bash '$top_srcdir/tests/lab.sh' down '$lab' >/dev/null 2>&1"
for try in 1 2 3 4 5; do
    base=$(six_free) || BAIL_OUT "no six free ports in a row"
    out=$(SHOAL_LAB_PORT=$base bash "$top_srcdir/tests/lab.sh" up "$lab" 2>&1) && break
    case $out in
    *"Address already in use"*) diag "a port of $base was taken meanwhile; another row" ;;
    *) break ;;
    esac
done
like "$out" "demo01\.\.demo40 +sshd 127\.0\.0\.1:$base" "SHOAL_LAB_PORT: the demo hosts' sshd on it"
like "$out" "busy01\.\.busy20 +sshd 127\.0\.0\.1:$((base + 1))" "the busy sshd on the next"
like "$out" "flaky-stall +faultproxy 127\.0\.0\.1:$((base + 2))" "the flaky hosts after them"
like "$out" "login user $(id -un | sed 's/^root$/shoaltest/')" "'up' names the login user"
like "$(cat "$lab/lab.env")" "SSHD_PORT_MAIN=$base" "lab.env lists the ports"
run_shoal -F "$lab/ssh_config" -w demo01 -- true
is "$RC" 0 "the lab answers on those ports"
bash "$top_srcdir/tests/lab.sh" down "$lab" >/dev/null 2>&1
out=$(SHOAL_LAB_PORT=80 bash "$top_srcdir/tests/lab.sh" up "$T/lab2" 2>&1)
like "$out" 'SHOAL_LAB_PORT=80: want a port from 1024 to 65530' "a bad SHOAL_LAB_PORT is refused, saying why"

# The demo itself: only where its build directory is the one under test.
if [ "$(cd "$top_builddir" && pwd)" = "$(cd "$top_srcdir" && pwd)/build" ]; then
    SHOAL_LAB=$T/demo bash "$top_srcdir/tests/demo.sh" </dev/null >"$T/demo.out" 2>&1
    at_exit "bash '$top_srcdir/tests/lab.sh' down '$T/demo' >/dev/null 2>&1"
    demo=$(cat "$T/demo.out")
    like "$demo" 'demo: installing what is missing' "demo.sh: says it installs"
    like "$demo" 'demo: building \(make -C build\)' "demo.sh: says it builds"
    like "$demo" "demo: starting the lab in $T/demo" "demo.sh: says where the lab lives"
    like "$demo" 'demo01\.\.demo40 +sshd' "demo.sh: shows what the lab starts"
    line=$(grep '^\$ ' "$T/demo.out" | tail -n 1)
    like "$line" "^\\\$ $(cd "$top_srcdir" && pwd)/build/src/shoal -F $T/demo/ssh_config -H hosts/demo.hosts -H hosts/demo-flaky.hosts --banner-timeout 2 -- " \
        "demo.sh: prints the exact command"
    want=$(grep -c '^demo[0-9]*: .* on ' "$T/demo.out")
    got=$(cd "$top_srcdir" && eval "${line#\$ }" 2>/dev/null </dev/null | grep -c '^demo[0-9]*: .* on ')
    is "$got" "$want" "the printed command, run again, does the same ($want demo hosts answer)"
else
    skip "demo.sh builds in $top_srcdir/build, not the tree under test"
fi
done_testing
