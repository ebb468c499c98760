#!/usr/bin/python3
# tests/paramiko-server.py MODE PORT HOSTKEY: an SSH server (paramiko) on
# 127.0.0.1:PORT that never lets anyone in, for what OpenSSH's sshd cannot
# be made to do.  MODE:
#   questions    allows only keyboard-interactive and asks two questions,
#                the second prompt holding a terminal escape;
#   no-rsa-sha2  allows only publickey and leaves rsa-sha2-256/512 out of
#                its server-sig-algs (as servers older than OpenSSH 7.2 do),
#                and prints "offered TYPE" on stdout for every key offered.
import socket
import sys
import threading

import paramiko

MODE = sys.argv[1]


class Server(paramiko.ServerInterface):
    def get_allowed_auths(self, username):
        return "keyboard-interactive" if MODE == "questions" else "publickey"

    def check_auth_interactive(self, username, submethods):
        q = paramiko.server.InteractiveQuery("", "")
        q.add_prompt("Password: ", False)
        q.add_prompt("Verification code\x1b[31m: ", False)
        return q

    def check_auth_interactive_response(self, responses):
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username, key):
        print("offered", key.get_name(), flush=True)
        return paramiko.AUTH_FAILED


def serve(conn, key):
    off = {}
    if MODE == "no-rsa-sha2":
        off = {"pubkeys": ["rsa-sha2-512", "rsa-sha2-256"]}
    t = paramiko.Transport(conn, disabled_algorithms=off)
    t.add_server_key(key)
    try:
        t.start_server(server=Server())
        t.join(30)
    except Exception:
        pass
    finally:
        t.close()


def main():
    key = paramiko.Ed25519Key.from_private_key_file(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[2])))
    s.listen(16)
    # Port 0 lets the kernel choose: no race with another test for a port.
    print("listening %d" % s.getsockname()[1], file=sys.stderr, flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, key), daemon=True).start()


main()
