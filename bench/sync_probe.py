#!/usr/bin/env python3
"""sync_probe.py - the measuring half of bench/run-sync.sh

    sync_probe.py initial GO ROWS LOGIN HOSTDIR...
    sync_probe.py changes N PSQL-ARGV... -- HOSTDIR...

Each HOSTDIR is one simulated host of run-sync.sh: its saslauthd-lite
answers on HOSTDIR/sasl/mux (the password file feed, out/passwd) and its
tlsmap on HOSTDIR/tlsmap.sock (the TLS policy feed, out/tls_policy, map
name "postfix"). The daemons are asked through their real interfaces, as
testsaslauthd and Postfix's socketmap client ask them, never by looking
at the files.

initial: makes GO.ready once it runs (Python takes a while to start),
then waits for the file GO: the time the agents were started, in seconds
since the epoch, written by the caller before it starts them. Waits,
for every host, until out/passwd.state says ROWS rows (the file written)
and saslauthd-lite accepts LOGIN (the table's last row, password
"pw-initial"); prints one line per host with both times in seconds.

changes: runs psql (PSQL-ARGV, autocommit) as one long-lived client. 2N
times (N of each kind), alternately: a new password for the user "bench" (UPDATE
mail_users) or a new policy for "bench.example" (UPDATE tls_policy). The
clock starts when psql has answered the \\echo that follows the UPDATE,
so the COMMIT has returned; it stops, per host, at the first answer of
the new kind (the new password accepted; the new policy served). Polls
every host about once a millisecond for the first 100 ms, then every 10
ms (each poll of saslauthd-lite with the old password costs it a hash).
The same polls note when each host's output file was replaced (a new
inode: the agent's part done). Prints one machine line per kind, over
the changes, of the slowest host's delays in milliseconds: "kind=...
n=... p50_ms=... p99_ms=... max_ms=... file_p50_ms=... file_p99_ms=..."
(the answers' p50, p99, max; the file replaced, p50 and p99).
"""

import os
import socket
import struct
import subprocess
import sys
import time
import warnings

with warnings.catch_warnings():
    # deprecated since 3.11 and still there: a cheap, salted sha256crypt
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt


def mux_auth(path, login, password):
    """One saslauthd mux request on a fresh connection: the reply."""
    req = b"".join(struct.pack(">H", len(f)) + f for f in
                   (login.encode(), password.encode(), b"smtp", b""))
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(req)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H",
                                                             buf[:2])[0]:
            chunk = s.recv(512)
            if not chunk:
                break
            buf += chunk
        return buf[2:].decode()


class Socketmap:
    """A kept-open socketmap connection, as Postfix keeps it."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(5)
        self.s.connect(path)
        self.buf = b""

    def lookup(self, key):
        q = ("postfix " + key).encode()
        self.s.sendall(b"%d:%s," % (len(q), q))
        while True:
            i = self.buf.find(b":")
            if i > 0:
                n = int(self.buf[:i])
                if len(self.buf) >= i + n + 2:
                    v = self.buf[i + 1:i + 1 + n]
                    self.buf = self.buf[i + n + 2:]
                    return v.decode()
            chunk = self.s.recv(4096)
            if not chunk:
                raise OSError("socketmap closed")
            self.buf += chunk


def inode(hostdir, name):
    try:
        return os.stat(os.path.join(hostdir, "out", name)).st_ino
    except OSError:
        return None


def state_rows(hostdir):
    try:
        with open(os.path.join(hostdir, "out", "passwd.state")) as f:
            for line in f:
                if line.startswith("rows = "):
                    return int(line.split("=", 1)[1])
    except (OSError, ValueError):
        pass
    return -1


def initial(go, rows, last, hosts):
    open(go + ".ready", "w").close()
    while not os.path.exists(go):
        time.sleep(0.001)
    with open(go) as f:
        t0 = float(f.read())
    written = {}
    answered = {}
    deadline = time.time() + 600
    while len(answered) < len(hosts) and time.time() < deadline:
        for h in hosts:
            if h not in written and state_rows(h) == rows:
                written[h] = time.time() - t0
            if h in written and h not in answered:
                try:
                    ok = mux_auth(os.path.join(h, "sasl", "mux"), last,
                                  "pw-initial").startswith("OK")
                except OSError:
                    ok = False
                if ok:
                    answered[h] = time.time() - t0
        time.sleep(0.005)
    for h in hosts:
        print("initial host=%s rows=%d written_s=%s answered_s=%s"
              % (os.path.basename(h), rows,
                 "%.2f" % written[h] if h in written else "-",
                 "%.2f" % answered[h] if h in answered else "-"))
    return 0 if len(answered) == len(hosts) else 1


def pct(sorted_ms, p):
    """Nearest rank."""
    k = max(0, min(len(sorted_ms) - 1,
                   int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[k]


def changes(n, psql_argv, hosts):
    psql = subprocess.Popen(psql_argv, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    maps = {h: Socketmap(os.path.join(h, "tlsmap.sock")) for h in hosts}
    delays = {"pwfile": [], "policy": []}
    files = {"pwfile": [], "policy": []}
    out = {"pwfile": "passwd", "policy": "tls_policy"}
    for i in range(2 * n):
        kind = "pwfile" if i % 2 == 0 else "policy"
        if kind == "pwfile":
            pw = "pw-%d-%s" % (i, os.urandom(4).hex())
            h = crypt.crypt(pw, "$5$rounds=1000$%s" % os.urandom(6).hex())
            sql = ("UPDATE mail_users SET hash = '%s' WHERE login = "
                   "'bench';" % h)
            want = "OK"
        else:
            pol = "secure match=mx%d.bench.example" % i
            sql = ("UPDATE tls_policy SET policy = '%s' WHERE nexthop = "
                   "'bench.example';" % pol)
            want = "OK " + pol
        psql.stdin.write("%s\n\\echo done %d\n" % (sql, i))
        psql.stdin.flush()
        while psql.stdout.readline().strip() != "done %d" % i:
            pass
        t0 = time.monotonic()
        pending = set(hosts)
        seen = {}
        ino = {h: inode(h, out[kind]) for h in hosts}
        replaced = {}
        while pending and time.monotonic() - t0 < 30:
            for h in list(pending):
                if h not in replaced and inode(h, out[kind]) != ino[h]:
                    replaced[h] = time.monotonic() - t0
                if kind == "pwfile":
                    got = mux_auth(os.path.join(h, "sasl", "mux"), "bench",
                                   pw)
                else:
                    got = maps[h].lookup("bench.example")
                if got.startswith(want) if kind == "pwfile" else got == want:
                    seen[h] = time.monotonic() - t0
                    replaced.setdefault(h, seen[h])
                    pending.discard(h)
            # fine-grained while a fast answer is likely; then coarser,
            # so the probe does not take the CPU the hosts need
            time.sleep(0.001 if time.monotonic() - t0 < 0.1 else 0.01)
        if pending:
            print("change %d (%s): hosts %s never answered the new way"
                  % (i, kind, " ".join(sorted(pending))), file=sys.stderr)
            return 1
        delays[kind].append(max(seen.values()) * 1000)
        files[kind].append(max(replaced.values()) * 1000)
        # let the readers' reload settle before the next commit
        time.sleep(0.2)
    psql.stdin.close()
    psql.wait()
    for kind, v in delays.items():
        v.sort()
        f = sorted(files[kind])
        print("kind=%s n=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
              "file_p50_ms=%.1f file_p99_ms=%.1f"
              % (kind, len(v), pct(v, 50), pct(v, 99), v[-1], pct(f, 50),
                 pct(f, 99)))
    return 0


def main(argv):
    if argv[1] == "initial":
        return initial(argv[2], int(argv[3]), argv[4], argv[5:])
    if argv[1] == "changes":
        sep = argv.index("--")
        return changes(int(argv[2]), argv[3:sep], argv[sep + 1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
