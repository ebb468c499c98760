#!/usr/bin/python3
# tests/sshconf-diff.py SHOAL DIR SEED COUNT: writes COUNT random ssh_config
# files into DIR (Host and Match blocks, Include, % tokens, negation,
# canonicalisation, first-value-wins repeats, algorithm list edits) and, for
# every config, several hosts given as ssh would get them (-l, -p, user@,
# :port).  For each host and each keyword that `shoal -G` prints, the value
# must be the one `ssh -G` prints (OpenSSH is the oracle); algorithm lists
# are compared after dropping the names libssh does not support.  Prints the
# number of hosts and values compared and the first differences; exit 1 on
# any difference.
import os
import random
import subprocess
import sys

shoal, top, seed, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
os.makedirs(top, exist_ok=True)

NAMES = ["web1", "web2", "db1", "db-2", "cache7", "app.prod", "app.dev", "x", "Mixed", "10.0.0.5",
         "localhost", "a.b.c.d", "localhost."]
USERS = ["alice", "bob", "deploy", "root"]
KEX = ["curve25519-sha256", "diffie-hellman-group14-sha1", "diffie-hellman-group14-sha256",
       "ecdh-sha2-nistp256", "diffie-hellman-group16-sha512", "sntrup761x25519-sha512"]
CIPH = ["aes128-ctr", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-cbc",
        "3des-cbc"]
MACS = ["hmac-sha2-256", "hmac-sha1", "umac-64@openssh.com", "hmac-sha2-512-etm@openssh.com"]
KEYS = ["ssh-ed25519", "ssh-rsa", "rsa-sha2-256", "ecdsa-sha2-nistp256",
        "ssh-ed25519-cert-v01@openssh.com", "ssh-dss"]
TOKENS_ALL = ["%h", "%p", "%r", "%n", "%u", "%d", "%l", "%L", "%i", "%C", "%k", "%%"]


def pick(seq):
    return rng.choice(seq)


def pattern():
    n = pick(NAMES).lower() if rng.random() < 0.8 else pick(NAMES)
    r = rng.random()
    if r < 0.3:
        return n[: rng.randint(1, len(n))] + "*"
    if r < 0.4:
        return n[:-1] + "?"
    if r < 0.45:
        return "*"
    if r < 0.5:
        return n + "[12]"
    return n


def token_path(prefix):
    return prefix + "".join(pick(TOKENS_ALL) for _ in range(rng.randint(0, 3)))


def algo(names):
    k = rng.random()
    chosen = ",".join(rng.sample(names, rng.randint(1, 3)))
    if k < 0.25:
        return "+" + chosen
    if k < 0.5:
        one = pick(names)
        return "-" + (one[:5] + "*" if rng.random() < 0.5 else one)
    if k < 0.7:
        return "^" + chosen
    return chosen


def value_line():
    kw = pick([
        "HostName", "User", "Port", "IdentityFile", "CertificateFile", "IdentitiesOnly",
        "PubkeyAuthentication", "PasswordAuthentication", "KbdInteractiveAuthentication",
        "PreferredAuthentications", "ProxyCommand", "ProxyJump", "ConnectTimeout",
        "ServerAliveInterval", "ServerAliveCountMax", "TCPKeepAlive", "StrictHostKeyChecking",
        "UserKnownHostsFile", "GlobalKnownHostsFile", "HashKnownHosts", "HostKeyAlias",
        "KexAlgorithms", "Ciphers", "MACs", "HostKeyAlgorithms", "PubkeyAcceptedAlgorithms",
        "AddressFamily", "BindAddress", "RequestTTY", "SetEnv", "SendEnv", "LogLevel",
        "ControlMaster", "ControlPath", "ControlPersist", "CanonicalizeHostname",
        "CanonicalDomains", "CanonicalizeMaxDots", "CanonicalizeFallbackLocal", "IdentityAgent",
        "ChallengeResponseAuthentication", "PubkeyAcceptedKeyTypes", "BatchMode",
        "ForwardAgent", "Compression", "IPQoS", "LocalForward", "RemoteCommand",
        "EnableEscapeCommandline", "UpdateHostKeys"])
    v = {
        "HostName": lambda: pick(["%h.example.com", "real-%h", "10.1.2.3", "Upper.Case",
                                  "%h", "target"]),
        "User": lambda: pick(USERS),
        "Port": lambda: str(rng.randint(1, 65535)),
        "IdentityFile": lambda: token_path(pick(["~/.ssh/id_", "/keys/", "%d/k-"])),
        "CertificateFile": lambda: token_path("~/cert-"),
        "IdentitiesOnly": lambda: pick(["yes", "no"]),
        "PubkeyAuthentication": lambda: pick(["yes", "no", "unbound", "host-bound"]),
        "PasswordAuthentication": lambda: pick(["yes", "no", "true", "false"]),
        "KbdInteractiveAuthentication": lambda: pick(["yes", "no"]),
        "ChallengeResponseAuthentication": lambda: pick(["yes", "no"]),
        "PreferredAuthentications": lambda: pick(["publickey", "password,publickey"]),
        "ProxyCommand": lambda: pick(["nc %h %p", "ssh -W %h:%p gw -l %r", "none",
                                      "connect %n 100%%"]),
        "ProxyJump": lambda: pick(["gw", "u@gw:2222", "gw1,u@gw2", "none", "[::1]:22"]),
        "ConnectTimeout": lambda: pick(["5", "1m", "0", "90s", "none"]),
        "ServerAliveInterval": lambda: pick(["15", "1m30s", "0"]),
        "ServerAliveCountMax": lambda: str(rng.randint(0, 9)),
        "TCPKeepAlive": lambda: pick(["yes", "no"]),
        "StrictHostKeyChecking": lambda: pick(["yes", "no", "ask", "accept-new", "off"]),
        "UserKnownHostsFile": lambda: " ".join(token_path(pick(["~/kh", "/tmp/kh-", "%d/x"]))
                                               for _ in range(rng.randint(1, 3))),
        "GlobalKnownHostsFile": lambda: " ".join(pick(["/etc/a", "/etc/b", "/g"])
                                                 for _ in range(rng.randint(1, 2))),
        "HashKnownHosts": lambda: pick(["yes", "no"]),
        "HostKeyAlias": lambda: pick(["alias1", "shared", "Mixed-Case"]),
        "KexAlgorithms": lambda: algo(KEX),
        "Ciphers": lambda: algo(CIPH),
        "MACs": lambda: algo(MACS),
        "HostKeyAlgorithms": lambda: algo(KEYS),
        "PubkeyAcceptedAlgorithms": lambda: algo(KEYS),
        "PubkeyAcceptedKeyTypes": lambda: algo(KEYS),
        "AddressFamily": lambda: pick(["any", "inet", "inet6"]),
        "BindAddress": lambda: pick(["127.0.0.2", "::1"]),
        "RequestTTY": lambda: pick(["yes", "no", "force", "auto"]),
        "SetEnv": lambda: " ".join(pick(["A=1", "B=two", '"C=x y"']) for _ in range(rng.randint(1, 2))),
        "SendEnv": lambda: " ".join(pick(["LANG", "LC_*", "-LC_*", "FOO"]) for _ in range(rng.randint(1, 2))),
        "LogLevel": lambda: pick(["QUIET", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG2", "debug3"]),
        "ControlMaster": lambda: pick(["yes", "no", "auto", "ask", "autoask"]),
        "ControlPath": lambda: token_path("~/.ssh/cm-"),
        "ControlPersist": lambda: pick(["yes", "no", "10m", "30"]),
        "CanonicalizeHostname": lambda: pick(["yes", "no", "always"]),
        "CanonicalDomains": lambda: " ".join(pick(["example.invalid", "corp.invalid"]) for _ in range(rng.randint(1, 2))),
        "CanonicalizeMaxDots": lambda: str(rng.randint(0, 3)),
        "CanonicalizeFallbackLocal": lambda: pick(["yes", "yes", "no"]),
        "IdentityAgent": lambda: pick(["~/agent-%r", "SSH_AUTH_SOCK", "none", "/run/a-%C"]),
        "BatchMode": lambda: pick(["yes", "no"]),
        "ForwardAgent": lambda: pick(["yes", "no", "true", "/tmp/agent.sock"]),
        "Compression": lambda: pick(["yes", "no"]),
        "IPQoS": lambda: pick(["lowdelay throughput", "af21 cs1", "none none"]),
        "LocalForward": lambda: pick(["1234 [localhost]:22", "2000 [10.0.0.1]:80"]),
        "RemoteCommand": lambda: pick(["uptime", "echo %h %p %r", "none"]),
        "EnableEscapeCommandline": lambda: pick(["yes", "no"]),
        "UpdateHostKeys": lambda: pick(["yes", "no", "ask"]),
    }[kw]()
    kwtext = kw if rng.random() < 0.8 else kw.lower()
    sep = pick([" ", " ", "=", " = ", "\t"])
    tail = pick(["", "", "", "", " # a comment", "   "])
    return f"{kwtext}{sep}{v}{tail}"


def match_line():
    crit = []
    for _ in range(rng.randint(1, 2)):
        c = pick(["host", "originalhost", "user", "localuser", "exec", "canonical", "final", "all"])
        neg = "!" if rng.random() < 0.2 else ""
        if c in ("canonical", "final"):
            crit.append(neg + c)
        elif c == "all":
            return "Match all" if rng.random() < 0.5 else "Match canonical all"
        elif c == "exec":
            crit.append(neg + "exec " + pick(['true', 'false', '"test %h = web1"',
                                             '"test %r = alice"', '"test %p = 22"']))
        elif c in ("user", "localuser"):
            crit.append(neg + c + " " + ",".join(pick(USERS + ["!bob", "a*"]) for _ in range(rng.randint(1, 2))))
        else:
            # ssh takes "host=NAME" as "host NAME"
            sep = "=" if rng.random() < 0.2 else " "
            crit.append(neg + c + sep + ",".join(pattern() for _ in range(rng.randint(1, 2))))
    return "Match " + " ".join(crit)


def block_text(depth=0):
    lines = []
    if rng.random() < 0.5:
        lines.append("Host " + " ".join(("!" if rng.random() < 0.15 else "") + pattern()
                                       for _ in range(rng.randint(1, 3))))
    else:
        lines.append(match_line())
    for _ in range(rng.randint(1, 5)):
        lines.append("    " + value_line())
    return lines


def write_config(d, i):
    path = os.path.join(d, f"c{i}.conf")
    lines = ["# generated, seed %d case %d" % (seed, i)]
    if rng.random() < 0.2:
        lines.append("IgnoreUnknown Frob*,UseKeychain")
        lines.append("UseKeychain yes")
    for _ in range(rng.randint(0, 2)):
        lines.append(value_line())
    include = None
    if rng.random() < 0.4:
        for part in "ab"[: rng.randint(1, 2)]:
            with open(os.path.join(d, f"inc{i}-{part}.conf"), "w") as f:
                f.write("\n".join([value_line()] + sum((block_text() for _ in range(rng.randint(1, 3))), [])) + "\n")
        include = f"Include {d}/inc{i}-*.conf {d}/nonexistent-{i}"
        if rng.random() < 0.5:
            lines.append(include)
            include = None
    for _ in range(rng.randint(1, 7)):
        lines += block_text()
        if include is not None and rng.random() < 0.5:
            # inside a Host or Match block: read only when that block applies
            lines.append("    " + include)
            include = None
    if rng.random() < 0.1:
        # IgnoreUnknown counts only where it applies: some hosts refuse, some not
        lines += block_text() + ["    IgnoreUnknown Frob*"] + block_text() + ["    Frobnicate 1"]
    if rng.random() < 0.04:
        # both must refuse these, whichever host is asked for
        lines.insert(rng.randint(1, len(lines)), pick(["Frobnicate yes", "Port notanumber",
                                                        "Match nosuch x", "Ciphers nosuch",
                                                        "StrictHostKeyChecking maybe"]))
    if rng.random() < 0.5:
        lines += ["Host *"] + ["    " + value_line() for _ in range(rng.randint(1, 4))]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout, p.stderr


def parse(text):
    out = {}
    for line in text.splitlines():
        if " " not in line:
            continue
        k, v = line.split(" ", 1)
        out.setdefault(k.lower(), []).append(v)
    return out


ALGO_KW = {"kexalgorithms", "ciphers", "macs", "hostkeyalgorithms", "pubkeyacceptedalgorithms"}

# Which names libssh supports: shoal's answer to lists naming every OpenSSH name.
probe = os.path.join(top, "probe.conf")
with open(probe, "w") as f:
    for kw, q in (("KexAlgorithms", "kex"), ("Ciphers", "cipher"), ("MACs", "mac"),
                  ("HostKeyAlgorithms", "HostKeyAlgorithms"),
                  ("PubkeyAcceptedAlgorithms", "PubkeyAcceptedAlgorithms")):
        names = run(["ssh", "-Q", q])[1].split()
        f.write(f"{kw} {','.join(names)}\n")
rc, out, err = run([shoal, "-G", "-F", probe, "-w", "probe"])
if rc != 0:
    print(f"# probe failed: {err}")
    sys.exit(1)
supported = {k: set(v[0].split(",")) for k, v in parse(out).items() if k in ALGO_KW}

hosts = values = diffs = refused = 0
shown = 0
for i in range(count):
    cfg = write_config(top, i)
    g_user = pick(USERS) if rng.random() < 0.3 else None
    g_port = rng.randint(1000, 3000) if rng.random() < 0.3 else None
    items = []
    for _ in range(rng.randint(1, 4)):
        name = pick(NAMES)
        u = pick(USERS) if rng.random() < 0.25 else None
        p = rng.randint(3001, 9000) if rng.random() < 0.25 and ":" not in name else None
        items.append((name, u, p))
    for name, u, p in items:
        user, port = u or g_user, p or g_port
        cmd = [shoal, "-G", "-F", cfg]
        scmd = ["ssh", "-G", "-F", cfg]
        if g_user:
            cmd += ["-l", g_user]
        if g_port:
            cmd += ["-p", str(g_port)]
        cmd += ["-w", (u + "@" if u else "") + name + (f":{p}" if p else "")]
        if user:
            scmd += ["-l", user]
        if port:
            scmd += ["-p", str(port)]
        rc, out, err = run(cmd)
        src, sout, serr = run(scmd + [name])
        if rc != 0 and src == 0 and "supported by libssh" in err:
            # shoal refuses a list that leaves libssh nothing: so must ssh's, filtered.
            kw = err.split("ssh_config: ")[1].split(" ")[0].lower()
            kw = {"pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms"}.get(kw, kw)
            left = [a for a in parse(sout)[kw][0].split(",") if a in supported[kw]]
            values += 1
            hosts += 1
            if left:
                diffs += 1
                print(f"# {cfg} host {name}: shoal: {err.strip()}; ssh's list keeps {left}")
            continue
        if rc != 0 or src != 0:
            refused += 1
            # Both must refuse the same configs.
            if (rc != 0) != (src != 0):
                diffs += 1
                if shown < 10:
                    shown += 1
                    print(f"# {cfg} host {name}: shoal rc {rc} ({err.strip()[:200]}), "
                          f"ssh rc {src} ({serr.strip()[:200]})")
            continue
        mine, theirs = parse(out), parse(sout)
        hosts += 1
        for k, v in mine.items():
            want = theirs.get(k, [])
            if k in ALGO_KW and want:
                want = [",".join(a for a in want[0].split(",") if a in supported[k])]
            values += 1
            if v != want:
                diffs += 1
                if shown < 10:
                    shown += 1
                    print(f"# {cfg} host {name} user {u} port {p} (-l {g_user} -p {g_port}): "
                          f"{k}: shoal {v} ssh {want}")

print(f"# compared {hosts} hosts, {values} keyword values, {count} configs "
      f"(and {refused} hosts both refused): {diffs} differences")
sys.exit(1 if diffs else 0)
