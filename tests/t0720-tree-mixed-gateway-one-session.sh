#!/usr/bin/env bash
# t0720: tree mode, a gateway with hosts right below it and a gateway below
# it too (issue 26) is one share over one session:
#   admin: gw1 / gw1: h[01-02],gw2 / gw2: h[03-04]
# gw1's shoal runs h01-h02 itself and routes h03-h04 through gw2.  The root
# reaches gw1 through a ProxyCommand that counts the sessions and the bytes
# the root sends: one session a run, and --copy's file goes up once (the old
# build opened two sessions and sent it twice).  --copy and --rcopy reach
# both depths and leave what a flat run leaves; no private folder is left.
# With -A the agent reaches gw2 as gw1's gateway, never gw1's own hosts.
# A gateway on two lines (gw1: h01 / gw1,gw2: h[02-04]) is one share over
# one session too, with the targets of both lines (the old build opened a
# session a line).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-tree.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the counting proxy"
tree_lab 2 1
tree_sftp_targets 4
tree_gateway_tmp tmp-shoal "$T/gwtmp"
tree_gateway_below gw2
cat >"$T/mixed.conf" <<'TOPO'
[routes]
admin: gw1
gw1: h[01-02],gw2
gw2: h[03-04]
TOPO

# A ProxyCommand to gw1 that keeps, a file a session, the bytes sent up so far.
cat >"$T/count.py" <<'PY'
import os, socket, sys, threading
port, folder = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
fd = os.open(os.path.join(folder, "s.%d" % os.getpid()), os.O_WRONLY | os.O_CREAT, 0o644)
def up():
    n = 0
    while True:
        b = os.read(0, 65536)
        if not b:
            break
        s.sendall(b)
        n += len(b)
        os.pwrite(fd, b"%12d\n" % n, 0)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=up, daemon=True).start()
while True:
    b = s.recv(65536)
    if not b:
        break
    os.write(1, b)
PY
mkdir -p "$T/px"
write_ssh_config "$T/root_config"
add_alias "$T/root_config" gw1 "$SSHD_PORT_GW1" "" "ProxyCommand python3 $T/count.py %p $T/px"
tree=(-F "$T/root_config" --gateway-shoal "$T/gw/tmp-shoal" --topology "$T/mixed.conf")
sessions() { find "$T/px" -name 's.*' | wc -l; }
sent() { cat "$T"/px/s.* 2>/dev/null | awk '{ n += $1 } END { print n + 0 }'; }
fresh() { find "$T/px" -name 's.*' -delete; }

# ---- a command: one session --------------------------------------------------------
run_shoal "${tree[@]}" -w 'gw2,h[01-04]' --json -- true
# h01-h04 are SFTP only: what counts here is the way each took.
is "$(jq -c 'select(.host == "gw2") | [.status, .via]' "$T/out")" '["ok",["gw1"]]' "gw2 as a host, through gw1"
is "$(jq -rs '[.[] | select(.host != "gw2") | .via | join(">")] | sort | join(" ")' "$T/out")" \
    "gw1 gw1 gw1>gw2 gw1>gw2" "h01-h02 via gw1, h03-h04 via gw1 then gw2"
is "$(sessions)" 1 "one session to gw1 for hosts at two depths"

# ---- --copy: once to gw1 ---------------------------------------------------------
fresh
head -c 1048576 /dev/urandom >"$T/payload"
run_shoal "${tree[@]}" -w 'h[01-04]' --json --copy "$T/payload" .
is "$RC" 0 "--copy to hosts at two depths behind gw1"
same=0
for k in 01 02 03 04; do cmp -s "$T/payload" "$T/hosts/h$k/payload" && same=$((same + 1)); done
is "$same" 4 "every target has the file whole"
is "$(jq -rs '[.[] | .via | join(">")] | sort | join(" ")' "$T/out")" "gw1 gw1 gw1>gw2 gw1>gw2" "each by its way"
is "$(sessions)" 1 "one session to gw1"
up=$(sent)
diag "bytes the root sent to gw1 for a 1 MiB --copy: $up"
cmp_ok "$up" -lt $((1048576 * 3 / 2)) "the file went up to gw1 once, not once a share"
cmp_ok "$up" -gt 1048576 "(the count saw it go)"
is "$(find "$T/gwtmp" -mindepth 1 | wc -l)" 0 "the gateways removed their private folders"

# ---- --rcopy: both depths, as flat ------------------------------------------------
for k in 01 02 03 04; do
    mkdir -p "$T/hosts/h$k/tree/sub"
    printf 'h%s\n' "$k" >"$T/hosts/h$k/tree/name"
    head -c 300000 /dev/urandom >"$T/hosts/h$k/tree/sub/bin"
    chmod 640 "$T/hosts/h$k/tree/sub/bin"
    chown -R "$LAB_USER" "$T/hosts/h$k/tree"
done
run_shoal -F "$T/ssh_config" -w 'h[01-04]' --json -R -P --rcopy tree "$T/flat"
is "$RC" 0 "flat --rcopy"
fresh
run_shoal "${tree[@]}" -w 'h[01-04]' --json -R -P --rcopy tree "$T/tree"
is "$RC" 0 "--rcopy from hosts at two depths behind gw1"
is "$(sessions)" 1 "one session to gw1"
ok "$(diff -r "$T/flat" "$T/tree" >/dev/null && echo 0 || echo 1)" "the same files as flat"
# Below DEST_DIR/HOST (made by the run, as flat makes it): modes, sizes, times.
listing() { (cd "$1" && find . -mindepth 2 -printf '%P|%y|%m|%s|%T@\n' | sort); }
is "$(listing "$T/tree")" "$(listing "$T/flat")" "the same modes, sizes and times"
is "$(find "$T/gwtmp" -mindepth 1 | wc -l)" 0 "the gateways removed their private folders"

# ---- -A: for the gateways below gw1, never for its own hosts ------------------------
# gw2 as a target is one of gw1's own hosts; h03 makes gw1 route through gw2
# too, so gw1 is told -A for gw2 (its flat hosts never were).
if command -v ssh-agent >/dev/null; then
    eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null || BAIL_OUT "ssh-agent did not start"
    at_exit kill "$SSH_AGENT_PID"
    chmod 711 "$T"
    # run_shoal drops SSH_AUTH_SOCK: this run has the operator's agent.
    SSH_AUTH_SOCK=$T/agent.sock timeout -k 2 60 "$SHOAL" "${tree[@]}" -A -w 'gw2,h03' --json -- \
        'echo "sock=${SSH_AUTH_SOCK:-none}"' </dev/null >"$T/out" 2>"$T/err"
    is "$(jq -c 'select(.host == "h03") | .via' "$T/out")" '["gw1","gw2"]' "h03 through gw1, then gw2"
    is "$(jq -c 'select(.host == "gw2") | [.status, .stdout, .via]' "$T/out")" '["ok","sock=none\n",["gw1"]]' \
        "gw1 runs its own host gw2 with no agent forwarded to it"
    unset SSH_AUTH_SOCK SSH_AGENT_PID
else
    skip "no ssh-agent"
fi

# ---- a gateway on two lines: one share --------------------------------------------
cat >"$T/twolines.conf" <<'TOPO'
[routes]
gw1: h01
gw1,gw2: h[02-04]
TOPO
add_alias "$T/root_config" gw2 "$SSHD_PORT_GW2"
two=(-F "$T/root_config" --gateway-shoal "$T/gw/tmp-shoal" --topology "$T/twolines.conf")
fresh
run_shoal "${two[@]}" -w 'h[01-04]' --json --copy "$T/payload" .
is "$RC" 0 "--copy through a gateway on two lines"
# The shares even by machine: gw1 has h01 of its own line, so h02 and h04 go to gw2.
is "$(jq -rs '[.[] | "\(.host):\(.via | join(">"))"] | sort | join(" ")' "$T/out")" \
    "h01:gw1 h02:gw2 h03:gw1 h04:gw2" "each line's hosts spread over its gateways, by machine"
is "$(sessions)" 1 "one session to gw1 for its hosts of both lines"
up=$(sent)
cmp_ok "$up" -lt $((1048576 * 3 / 2)) "the file went up to gw1 once, not once a line"
done_testing
