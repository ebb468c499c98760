#!/usr/bin/python3
# tests/hostile-sshd.py - an SSH server (paramiko) that puts terminal escape
# sequences into every string the protocol lets a server choose, to prove
# shoal never passes them to a terminal.
#
#   hostile-sshd.py HOSTKEY [--banner]
#
# Listens on a free port of 127.0.0.1 and prints "listening PORT".  Any user
# and any authentication are accepted; the login user picks what the server
# does with a command:
#   ok        prints "ok-out", exit status 0
#   sig       prints "sig-out", then exit-signal with the hostile text as the
#             signal name and as its error message
#   openfail  refuses the session channel, the hostile text as the reason
#   disc      prints "disc-out", then disconnects with the hostile text
#   nostatus  prints "nostatus-out", then closes the channel without an exit
#             status or signal (the command started and its end is unknown);
#             the server prints "exec nostatus" on its stdout for each one
#   bigexit   prints "big-out", exit status 4294967295 (the protocol's uint32 max)
# and every user's SFTP subsystem fails each request (SSH_FX_FAILURE) with
# the hostile text as the status message.
# --banner also puts the hostile text in the SSH version line and in the
# authentication banner.
#
# The hostile text sets the window title, writes the clipboard (OSC 52) and
# clears the screen: ESC ] 0 ; title BEL  ESC ] 52 ; c ; aGk= BEL  ESC [ 2 J
import socket
import sys
import threading

import paramiko
from paramiko.common import (
    AUTH_SUCCESSFUL,
    OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED,
    OPEN_SUCCEEDED,
    cMSG_CHANNEL_OPEN_FAILURE,
    cMSG_CHANNEL_REQUEST,
    cMSG_CHANNEL_SUCCESS,
    cMSG_DISCONNECT,
)

HOSTILE = "\x1b]0;title\x07\x1b]52;c;aGk=\x07\x1b[2J"


class Transport(paramiko.Transport):
    """Rewrites a channel refusal to carry the hostile reason (paramiko
    sends an empty one) and says when an exec request has been answered."""

    def __init__(self, sock):
        super().__init__(sock)
        self.answered = threading.Event()

    def _send_message(self, data):
        raw = data.asbytes()
        if raw[:1] == cMSG_CHANNEL_OPEN_FAILURE:
            m = paramiko.Message(raw[1:])
            chanid, reason = m.get_int(), m.get_int()
            data = paramiko.Message()
            data.add_byte(cMSG_CHANNEL_OPEN_FAILURE)
            data.add_int(chanid)
            data.add_int(reason)
            data.add_string(HOSTILE)
            data.add_string("en")
        super()._send_message(data)
        if raw[:1] == cMSG_CHANNEL_SUCCESS:
            self.answered.set()


class Server(paramiko.ServerInterface):
    def __init__(self, banner):
        self.user = None
        self.banner = banner
        self.command = threading.Event()

    def get_allowed_auths(self, username):
        return "none,publickey,password"

    def check_auth_none(self, username):
        self.user = username
        return AUTH_SUCCESSFUL

    def check_auth_publickey(self, username, key):
        self.user = username
        return AUTH_SUCCESSFUL

    def check_auth_password(self, username, password):
        self.user = username
        return AUTH_SUCCESSFUL

    def get_banner(self):
        return (HOSTILE + "\n", "en") if self.banner else (None, None)

    def check_channel_request(self, kind, chanid):
        if self.user == "openfail":
            return OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        return OPEN_SUCCEEDED

    def check_channel_pty_request(self, *args):
        return True

    def check_channel_exec_request(self, channel, command):
        self.command.set()
        return True


class SFTPServer(paramiko.SFTPServer):
    def _send_status(self, request_number, code, desc=None):
        super()._send_status(request_number, code, HOSTILE)


class FailingSFTP(paramiko.SFTPServerInterface):
    def stat(self, path):
        return paramiko.SFTP_FAILURE

    lstat = stat

    def open(self, path, flags, attr):
        return paramiko.SFTP_FAILURE

    def list_folder(self, path):
        return paramiko.SFTP_FAILURE


def exit_signal(chan, name, errmsg):
    m = paramiko.Message()
    m.add_byte(cMSG_CHANNEL_REQUEST)
    m.add_int(chan.remote_chanid)
    m.add_string("exit-signal")
    m.add_boolean(False)
    m.add_string(name)
    m.add_boolean(False)
    m.add_string(errmsg)
    m.add_string("en")
    chan.transport._send_user_message(m)


def disconnect(t, text):
    m = paramiko.Message()
    m.add_byte(cMSG_DISCONNECT)
    m.add_int(11)
    m.add_string(text)
    m.add_string("en")
    t._send_user_message(m)


def serve(conn, key, banner):
    t = Transport(conn)
    if banner:
        t.local_version = "SSH-2.0-hostile" + HOSTILE
    t.add_server_key(key)
    t.set_subsystem_handler("sftp", SFTPServer, FailingSFTP)
    server = Server(banner)
    try:
        t.start_server(server=server)
        chan = t.accept(30)
        if chan is None:
            return
        if not server.command.wait(30) or not t.answered.wait(30):
            t.join(30)  # an SFTP session runs on in its own thread
            return
        if server.user == "sig":
            chan.sendall(b"sig-out\n")
            exit_signal(chan, HOSTILE, HOSTILE)
            chan.shutdown_write()
            chan.close()
        elif server.user == "nostatus":
            print("exec nostatus", flush=True)
            chan.sendall(b"nostatus-out\n")
            chan.shutdown_write()
            chan.close()
        elif server.user == "disc":
            chan.sendall(b"disc-out\n")
            # Once the client has nothing more to send (its EOF, as it has
            # no stdin): data still unread here when the socket closes would
            # make it a reset, and the client would lose what it had not read.
            while chan.recv(1024):
                pass
            disconnect(t, HOSTILE)
        elif server.user == "bigexit":
            chan.sendall(b"big-out\n")
            chan.send_exit_status(4294967295)
            chan.shutdown_write()
            chan.close()
        else:
            chan.sendall(b"ok-out\n")
            chan.send_exit_status(0)
            chan.shutdown_write()
            chan.close()
        # Let the client hang up first, as it would with a real server.
        t.join(30)
    except Exception as e:  # a client that went away: the next one is served
        print("hostile-sshd: %s" % e, file=sys.stderr, flush=True)
    finally:
        t.close()


def main():
    key = paramiko.Ed25519Key.from_private_key_file(sys.argv[1])
    banner = "--banner" in sys.argv[2:]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    print("listening %d" % ls.getsockname()[1], flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, key, banner), daemon=True).start()


if __name__ == "__main__":
    main()
