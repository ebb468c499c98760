#!/usr/bin/env python3
# Write the seeds of tests/fuzz/corpus-sftp: the answers of an SFTP server to
# the requests fuzz-sftp.c makes, in order (ids from 1).  Each seed's first
# byte is the size of the pieces the channel hands over (0: a packet at a time).
#   python3 tests/fuzz/mkcorpus-sftp.py tests/fuzz/corpus-sftp
import os
import struct
import sys

VERSION, STATUS, HANDLE, DATA, NAME, ATTRS, EXT_REPLY = 2, 101, 102, 103, 104, 105, 201


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def s(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def pkt(t, id_, body=b""):
    p = bytes([t]) + u32(id_) + body
    return u32(len(p)) + p


def attrs(size=None, perm=None, times=None, ids=False, ext=()):
    flags = (1 if size is not None else 0) | (2 if ids else 0) | \
        (4 if perm is not None else 0) | (8 if times else 0) | (0x80000000 if ext else 0)
    b = u32(flags)
    if size is not None:
        b += u64(size)
    if ids:
        b += u32(1000) + u32(1000)
    if perm is not None:
        b += u32(perm)
    if times:
        b += u32(times[0]) + u32(times[1])
    if ext:
        b += u32(len(ext)) + b"".join(s(k) + s(v) for k, v in ext)
    return b


def status(id_, code, msg=""):
    return pkt(STATUS, id_, u32(code) + s(msg) + s("en"))


def version(exts=True):
    body = u32(3)
    if exts:
        body += s("posix-rename@openssh.com") + s("1") + s("statvfs@openssh.com") + s("2")
    return u32(len(body) + 1) + bytes([VERSION]) + body


def session(exts=True, fail=None, short=False, size=10, cut=False):
    out = version(exts)
    out += pkt(NAME, 1, u32(1) + s("/home/u") + s("") + attrs())
    out += pkt(ATTRS, 2, attrs(size, 0o100644, (1, 2), True, [("a@x", "b")]))
    out += pkt(HANDLE, 3, s("d1"))
    out += pkt(NAME, 4, u32(3) + b"".join(
        s(n) + s("-rw-r--r-- 1 u u 0 Jan 1 " + n) + attrs(0, 0o100644, (1, 2))
        for n in (".", "..", "file\x1b[31m")))
    if cut:  # the channel ends after a first batch of names
        return out
    out += status(5, 1, "End of file")
    out += status(6, 0)
    i = 7
    if exts:  # without statvfs@openssh.com no request is sent
        out += pkt(EXT_REPLY, i, b"".join(u64(v) for v in (4096, 4096, 100, 50, 40, 10, 9, 8, 7, 0, 255)))
        i += 1
    out += pkt(HANDLE, i, s("h1"))
    out += pkt(ATTRS, i + 1, attrs(size))
    if short:
        # half of the first READ's bytes, EOF for the second, the rest asked again
        out += pkt(DATA, i + 2, s(b"x" * (size // 2))) + status(i + 3, 1)
        out += pkt(DATA, i + 4, s(b"y" * (size - size // 2)))
        i += 5
    else:
        out += pkt(DATA, i + 2, s(b"x" * size)) + status(i + 3, 1)
        i += 4
    out += status(i, 0)  # CLOSE
    out += pkt(HANDLE, i + 1, s("h2"))
    # two WRITEs, FSETSTAT, CLOSE, SETSTAT, RENAME (and without posix-rename
    # REMOVE and RENAME again), MKDIR, REMOVE
    for j in range(i + 2, i + 12):
        out += status(j, 4, fail) if fail and j == i + 7 else status(j, 0)
    return out


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    seeds = {
        "happy": b"\0" + session(),
        "pieces": b"\x07" + session(),
        "bytewise": b"\x01" + session()[:200],
        "noext": b"\0" + session(exts=False, fail="exists"),
        "short-read": b"\0" + session(short=True),
        "errors": b"\0" + version() + status(1, 3, "denied \x1b]0;x\x07 \xff") +
        status(2, 2, "no") + status(3, 8) + status(7, 4, "\r\n") + status(8, 0),
        "bad-lengths": b"\0" + version() + u32(0xffffffff) + b"\x65",
        "all-at-once": b"\xff" + session(),
        "list-cut": b"\0" + session(cut=True),
        "big-name": b"\0" + version() + pkt(NAME, 1, u32(0x7fffffff) + s("a" * 300)),
    }
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


main()
