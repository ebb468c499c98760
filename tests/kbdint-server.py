#!/usr/bin/python3
# tests/kbdint-server.py PORT HOSTKEY: an SSH server (paramiko) on
# 127.0.0.1:PORT that allows only keyboard-interactive and asks two
# questions, the second prompt holding a terminal escape; it never lets
# anyone in.  For t0352: what a client does with questions it cannot answer.
import socket
import sys
import threading

import paramiko


class Server(paramiko.ServerInterface):
    def get_allowed_auths(self, username):
        return "keyboard-interactive"

    def check_auth_interactive(self, username, submethods):
        q = paramiko.server.InteractiveQuery("", "")
        q.add_prompt("Password: ", False)
        q.add_prompt("Verification code\x1b[31m: ", False)
        return q

    def check_auth_interactive_response(self, responses):
        return paramiko.AUTH_FAILED


def serve(conn, key):
    t = paramiko.Transport(conn)
    t.add_server_key(key)
    try:
        t.start_server(server=Server())
        t.join(30)
    except Exception:
        pass
    finally:
        t.close()


def main():
    key = paramiko.Ed25519Key.from_private_key_file(sys.argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, key), daemon=True).start()


main()
