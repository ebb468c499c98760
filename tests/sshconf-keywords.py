#!/usr/bin/python3
# tests/sshconf-keywords.py SHOAL DIR: every keyword the installed OpenSSH
# client knows, and every value `ssh -G` prints, against shoal -G.
#  1. The keywords: the lower-case words of the ssh binary that ssh -G
#     does not call a "Bad configuration option".  For each, the first of a
#     few plain values ssh takes; shoal must take the same line.
#  2. Round trip: ssh -G's output for a config that sets many keywords away
#     from their defaults, used as a config itself: shoal -G must print,
#     for every keyword, what ssh -G prints (algorithm lists compared after
#     dropping the names libssh lacks), and every keyword ssh -G prints.
# Prints the counts and each difference; exit 1 on any.
import os
import re
import subprocess
import sys

shoal, top = sys.argv[1], sys.argv[2]
os.makedirs(top, exist_ok=True)
# Values shoal keeps as written and does not use, where ssh -G respells them
# (0x01 for 1, [host]:port): shoal(1) names these; counted, not failed.
SPELLING = {"ipqos", "localforward", "remoteforward", "dynamicforward", "streamlocalbindmask",
            "tunneldevice", "rekeylimit"}
spelling = 0
ALGO_KW = {"kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms"}


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def write(name, text):
    path = os.path.join(top, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def parse(text):
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        out.setdefault(k.lower(), []).append(v)
    return out


diffs = 0
# 1. every keyword
ssh = subprocess.run(["sh", "-c", "command -v ssh"], stdout=subprocess.PIPE, text=True).stdout.strip()
words = sorted(set(re.findall(rb"\b[a-z][a-z0-9]{3,}\b", open(ssh, "rb").read())))
known = 0
for w in (x.decode() for x in words):
    if w in ("host", "match", "include"):
        continue
    ok_value = None
    for v in ("no", "yes", "1", "none", "any", "x", "ask", "1.2.3.4:22 127.0.0.1:22"):
        rc, _, err = run(["ssh", "-G", "-F", "/dev/null", "-o", f"{w} {v}", "x"])
        if "Bad configuration option" in err or "Unsupported option" in err:
            break
        if rc == 0:
            ok_value = v
            break
    if ok_value is None:
        continue
    known += 1
    cfg = write(f"kw-{w}.conf", f"{w} {ok_value}\n")
    rc, out, err = run([shoal, "-G", "-F", cfg, "-w", "x"])
    if rc != 0:
        diffs += 1
        print(f"# keyword {w} {ok_value}: ssh takes it, shoal: {err.strip()}")
        continue
    # and means by it what ssh means
    mine, theirs = parse(out), parse(run(["ssh", "-G", "-F", cfg, "x"])[1])
    for k, v in mine.items():
        want = theirs.get(k)
        if k in ALGO_KW and want:
            keep = set(v[0].split(","))
            want = [",".join(a for a in want[0].split(",") if a in keep)]
        if v != want and k in SPELLING:
            spelling += 1
            print(f"# (spelling) keyword {w} {ok_value}: {k}: shoal {v} ssh {want}")
        elif v != want:
            diffs += 1
            print(f"# keyword {w} {ok_value}: {k}: shoal {v} ssh {want}")
print(f"# keywords: {known} that ssh takes, compared; {spelling} values spelled otherwise")

# 2. round trip
rich = write("rich.conf", """Host x
  HostName target.example
  User deploy
  Port 2222
  ForwardAgent yes
  Compression yes
  IPQoS af21 cs1
  LocalForward 1234 [localhost]:22
  RemoteForward 2345 [localhost]:80
  DynamicForward 1080
  RemoteCommand echo %h %p
  ConnectTimeout 7
  ServerAliveInterval 1m
  ControlPersist 10m
  ControlMaster auto
  EnableEscapeCommandline yes
  StrictHostKeyChecking accept-new
  RequestTTY force
  SetEnv A=1 B=2
  SendEnv LANG LC_*
  IdentityFile ~/.ssh/id_test
  CertificateFile ~/.ssh/id_test-cert.pub
  ProxyCommand nc %h %p
  Tunnel ethernet
  VerifyHostKeyDNS ask
  EscapeChar none
  AddKeysToAgent confirm
  LogLevel VERBOSE
  CanonicalDomains a.example b.example
  UserKnownHostsFile ~/kh1 ~/kh2
""")
rc, sout, serr = run(["ssh", "-G", "-F", rich, "x"])
if rc != 0:
    print(f"# ssh -G of the rich config failed: {serr}")
    sys.exit(1)
values = 0
for name, text in (("rich", None), ("default", "")):
    if text is not None:
        rc, sout, serr = run(["ssh", "-G", "-F", "/dev/null", "x"])
    back = write(f"{name}-G.conf", sout)
    rc, out, err = run([shoal, "-G", "-F", back, "-w", "x"])
    rc2, sout2, _ = run(["ssh", "-G", "-F", back, "x"])
    if rc != 0:
        diffs += 1
        print(f"# {name}: shoal refuses ssh -G's output as a config: {err.strip()}")
        continue
    mine, theirs = parse(out), parse(sout2)
    for k, want in theirs.items():
        got = mine.get(k)
        if k in ALGO_KW and got is not None:
            keep = set(got[0].split(","))
            want = [",".join(a for a in want[0].split(",") if a in keep)]
        values += 1
        if got != want:
            diffs += 1
            print(f"# {name}: {k}: shoal {got} ssh {want}")
    for k in mine:
        if k not in theirs:
            diffs += 1
            print(f"# {name}: {k}: shoal prints it, ssh -G does not")
print(f"# round trip: {values} keyword values compared; {diffs} differences in all")
sys.exit(1 if diffs else 0)
