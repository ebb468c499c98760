#!/usr/bin/env bash
# t0264: hosts of an inventory are connected as the inventory says: two
# real sshds reached through an Ansible inventory's ansible_host,
# ansible_port and ansible_user (host and group vars), over -l and -p,
# ssh_config evaluated for ansible_host as ssh is when Ansible runs it, the
# output named by the inventory's names.  A host whose ansible_user is
# wrong fails alone, so the user really is the inventory's.
. "$(dirname "$0")/lib.sh"

export HOME=$T/home SHOAL_SYSCONFDIR=$T/etc
mkdir -p "$HOME" "$SHOAL_SYSCONFDIR"
lab_user
lab_keys
start_sshd a
start_sshd b
trust_host_keys "$SSHD_PORT_A" "$SSHD_PORT_B"
cat >"$T/ssh_config" <<EOF
Host 127.0.0.1
    IdentityFile $T/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $T/known_hosts
    StrictHostKeyChecking yes
    PasswordAuthentication no
    KbdInteractiveAuthentication no
EOF

cat >"$T/hosts.ini" <<EOF
[web]
web1 ansible_host=127.0.0.1 ansible_port=$SSHD_PORT_A
web2 ansible_host=127.0.0.1
badlogin ansible_host=127.0.0.1 ansible_user=nosuchuser-t0264

[web:vars]
ansible_user=$LAB_USER
ansible_port=$SSHD_PORT_B
EOF

run_shoal -F "$T/ssh_config" --inventory "$T/hosts.ini" -g web -x badlogin -l nobody -p 1 -- 'echo "$(id -un) $SSH_CONNECTION"'
is "$RC" 0 "a run through the inventory's logins succeeds"
is "$(sed 's/ 127.0.0.1 [0-9]* 127.0.0.1 / /' "$T/out" | sort | tr '\n' ' ')" "web1: $LAB_USER $SSHD_PORT_A web2: $LAB_USER $SSHD_PORT_B " "each host reached at ansible_host:ansible_port as ansible_user (host var over group var, both over -l/-p), named by the inventory"

run_shoal -F "$T/ssh_config" --inventory "$T/hosts.ini" -g web -- true
is "$RC" 3 "a host with a wrong ansible_user fails to connect (exit 3)"
like "$(cat "$T/err")" "badlogin: auth" "...in auth, alone"
unlike "$(cat "$T/err")" "web[12]:" "...the others connect"

# The same through YAML, and a host named by -w gets the inventory's login.
cat >"$T/inv.yaml" <<EOF
all:
  vars:
    ansible_host: 127.0.0.1
    ansible_user: $LAB_USER
  children:
    db:
      hosts:
        db[1:2]:
      vars:
        ansible_port: $SSHD_PORT_A
EOF
run_shoal -F "$T/ssh_config" --inventory "$T/inv.yaml" -w db2 -- 'echo $SSH_CONNECTION'
is "$RC" 0 "a host named by -w connects with the inventory's values"
is "$(sed 's/^\(db2:\) 127.0.0.1 [0-9]* 127.0.0.1 /\1 /' "$T/out")" "db2: $SSHD_PORT_A" "...its ansible_port (group var) and ansible_host (all's var)"
done_testing
