#!/usr/bin/env bash
# tests/demo.sh - the README's first command: install what is missing, build
# shoal, bring up the demo lab (local sshd on loopback, 40 healthy aliases and
# a few flaky ones), and run shoal on it.
#   bash tests/demo.sh            build, start the lab, run the demo
#   bash tests/demo.sh down       stop the lab
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
lab=${SHOAL_LAB:-/tmp/shoal-lab}

if [ "${1:-}" = down ]; then
    exec bash tests/lab.sh down "$lab"
fi

step() { printf '\ndemo: %s\n' "$*"; }

step "installing what is missing (tests/deps.sh build test)"
bash tests/deps.sh build test
if [ ! -x build/src/shoal ] || [ ! -x build/tests/faultproxy ]; then
    step "configuring into build/"
    autoreconf -fi >/dev/null 2>&1
    mkdir -p build
    (cd build && "$top/configure" -q)
fi
step "building (make -C build)"
make -s -C build -j"$(nproc 2>/dev/null || echo 2)"
step "starting the lab in $lab (tests/lab.sh up; SHOAL_LAB picks the directory, SHOAL_LAB_PORT the first port)"
top_builddir=$top/build bash tests/lab.sh up "$lab"

cmd=("$top/build/src/shoal" -F "$lab/ssh_config" -H hosts/demo.hosts -H hosts/demo-flaky.hosts
    --banner-timeout 2 -- 'echo $(id -un) on $(uname -n)')
step "running:"
printf '$'
printf ' %q' "${cmd[@]}"
printf '\n'
set +e
"${cmd[@]}"
rc=$?
set -e
echo "(exit status $rc; the lab stays up: 'bash tests/demo.sh down' stops it)"
