#!/usr/bin/env bash
# tests/deps.sh - install the Debian packages shoal needs, only those missing.
#   bash tests/deps.sh build   compiler, autotools, libssh, PCRE2, ncurses
#   bash tests/deps.sh test    + OpenSSH server and client, tmux, jq, paramiko, sudo, bash-completion, zsh (the test suite, the demo lab)
#   bash tests/deps.sh bench   + pdsh, pssh, clustershell, hyperfine (tests/bench)
set -eu

pkgs=(build-essential autoconf automake autoconf-archive pkg-config libssh-dev libpcre2-dev
      libncurses-dev libyaml-dev libgenders0-dev)
for what in "$@"; do
    case $what in
    build) ;;
    test) pkgs+=(openssh-server openssh-client tmux jq procps iproute2 python3-paramiko sudo ansible-core genders clustershell pssh bash-completion zsh) ;;
    bench) pkgs+=(openssh-server openssh-client pdsh pssh clustershell hyperfine time) ;;
    *) echo "deps.sh: unknown set '$what' (build, test, bench)" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
