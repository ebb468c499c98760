#!/usr/bin/env bash
# t0605: --copy onto a remote path that is a symlink writes through it, as
# scp does: the link stays a link and the file it names gets the content
# (checked side by side with real scp); a link to a file in another
# directory is written there, with no temporary left; a dangling link gets
# its target made, as scp makes it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-sftp.sh"

lab_user
lab_keys
sftp_hosts 2
for h in h01 h02; do
    d=$T/hosts/$h
    install -d -o "$LAB_USER" "$d/etc" "$d/real"
    printf 'old\n' >"$d/real/app.conf"
    chown "$LAB_USER" "$d/real/app.conf"
    ln -s ../real/app.conf "$d/etc/app.conf"
    ln -s ../real/new.conf "$d/etc/dangling.conf"
    chown -h "$LAB_USER" "$d/etc/app.conf" "$d/etc/dangling.conf"
done
printf 'new\n' >"$T/app.conf"

run_shoal -F "$T/ssh_config" -w h01 --copy "$T/app.conf" etc/app.conf
is "$RC" 0 "--copy onto a symlink: exit 0"
ok "$([ -L "$T/hosts/h01/etc/app.conf" ]; echo $?)" "the link is still a link"
is "$(cat "$T/hosts/h01/real/app.conf")" "new" "the file it names has the new content"
is "$(find "$T/hosts/h01" -name '.*.shoal-*' | wc -l)" 0 "no temporary left"

run_shoal -F "$T/ssh_config" -w h01 --copy "$T/app.conf" etc/dangling.conf
is "$RC" 0 "--copy onto a dangling symlink: exit 0"
ok "$([ -L "$T/hosts/h01/etc/dangling.conf" ]; echo $?)" "the dangling link stays a link"
is "$(cat "$T/hosts/h01/real/new.conf" 2>&1)" "new" "and its target is made"

# The oracle: scp does the same on h02 (its sshd runs sftp only: scp -s).
if command -v scp >/dev/null; then
    env -u SSH_AUTH_SOCK scp -q -s -F "$T/ssh_config" "$T/app.conf" h02:etc/app.conf 2>"$T/scp.err"
    is "$?" 0 "scp onto the same link: exit 0 ($(cat "$T/scp.err"))"
    ok "$([ -L "$T/hosts/h02/etc/app.conf" ]; echo $?)" "scp too leaves the link a link"
    is "$(cat "$T/hosts/h02/real/app.conf")" "new" "scp too writes the file it names"
fi
done_testing
