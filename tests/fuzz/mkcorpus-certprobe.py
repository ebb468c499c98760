#!/usr/bin/env python3
# Write the seeds of tests/fuzz/corpus-certprobe: a byte of flags (bit 0:
# RSA), then what an OpenSSH server sends hostcert_fetch's probe (version
# line, KEXINIT, KEX_ECDH_REPLY with a host certificate from
# tests/fuzz/corpus-hostcert).
#   python3 tests/fuzz/mkcorpus-certprobe.py tests/fuzz
import os
import struct
import sys


def s(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b


def packet(payload):
    padn = 8 - (5 + len(payload)) % 8
    if padn < 4:
        padn += 8
    return struct.pack(">IB", 1 + len(payload) + padn, padn) + payload + b"\0" * padn


def kexinit(kex="curve25519-sha256,ecdh-sha2-nistp256",
            hk="ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,ssh-ed25519"):
    lists = [kex, hk, "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256",
             "none", "none", "", ""]
    return bytes([20]) + b"\x11" * 16 + b"".join(s(x) for x in lists) + b"\0" + b"\0\0\0\0"


def reply(blob):
    return bytes([31]) + s(blob) + s(b"\x22" * 32) + s(s("ssh-ed25519") + s(b"\x33" * 64))


def main():
    top = sys.argv[1]
    cert = open(os.path.join(top, "corpus-hostcert", "cert-host"), "rb").read()
    rsa = open(os.path.join(top, "corpus-hostcert", "cert-rsahost"), "rb").read()
    banner = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
    seeds = {
        "ed25519": b"\0" + banner + packet(kexinit()) + packet(reply(cert)),
        "rsa": b"\1" + banner + packet(kexinit()) + packet(reply(rsa)),
        "preamble": b"\0hello\r\nthere\n" + banner + packet(kexinit()) + packet(reply(cert)),
        "no-cert-type": b"\0" + banner + packet(kexinit(hk="ssh-ed25519")),
        "no-curve": b"\0" + banner + packet(kexinit(kex="diffie-hellman-group14-sha256")),
        "disconnect": b"\0" + banner + packet(bytes([1]) + struct.pack(">I", 2) + s("bye") + s("")),
        "ignore-then-reply": b"\0" + banner + packet(bytes([2]) + s("x")) + packet(reply(cert)),
    }
    d = os.path.join(top, "corpus-certprobe")
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


main()
