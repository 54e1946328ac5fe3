#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Why connect capture uses netlink audit: measures what polling misses. N (default 1000) loopback
# TCP connections, each open for HOLD_MS (default 10 ms), one after another, while a separate
# poller process reads the socket table every INTERVAL_MS (default 100 ms), once via /proc/net/tcp
# and once via NETLINK_SOCK_DIAG. Reports connections seen at all (including TIME_WAIT, which has no
# owner and so no pid) and seen while still owned (inode != 0: a pid could be resolved), plus the
# poller's CPU seconds. Loopback only; bounded (60 s per poller).
# Usage: bench/connect-poll-compare.sh [N] [HOLD_MS] [INTERVAL_MS]
set -eu
exec python3 - "${1:-1000}" "${2:-10}" "${3:-100}" <<'PY'
import os, socket, struct, subprocess, sys, tempfile, time
count, hold, interval = int(sys.argv[1]), int(sys.argv[2]) / 1000, int(sys.argv[3]) / 1000
assert 0 < count <= 5000

POLLER = r'''
import os, socket, struct, sys, time
mode, port, interval, stop = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
seen, owned = set(), set()
def proc():
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(path) as f:
            next(f)
            for line in f:
                p = line.split()
                lport = int(p[1].split(":")[1], 16); rport = int(p[2].split(":")[1], 16)
                if rport == port:
                    seen.add(lport)
                    if p[9] != "0": owned.add(lport)
def diag():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)  # NETLINK_SOCK_DIAG
    # inet_diag_req_v2: family, protocol, ext, pad, states, then inet_diag_sockid (48 bytes)
    req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 0xffffffff) + b"\0" * 48
    hdr = struct.pack("=IHHII", 16 + len(req), 20, 0x301, 1, 0)  # SOCK_DIAG_BY_FAMILY, REQUEST|DUMP
    s.send(hdr + req)
    done = False
    while not done:
        data = s.recv(65536)
        off = 0
        while off < len(data):
            ln, typ = struct.unpack_from("=IH", data, off)
            if typ == 3 or typ == 2: done = True; break
            body = off + 16
            sport, dport = struct.unpack_from(">HH", data, body + 4)
            inode = struct.unpack_from("=I", data, body + 4 + 48 + 16)[0]
            if dport == port:
                seen.add(sport)
                if inode: owned.add(sport)
            off += (ln + 3) & ~3
    s.close()
deadline = time.monotonic() + 60
while not os.path.exists(stop) and time.monotonic() < deadline:
    (proc if mode == "proc" else diag)()
    time.sleep(interval)
t = os.times()
print(len(seen), len(owned), round(t.user + t.system, 3))
'''

for mode in ("proc", "diag"):
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(512)
    port = server.getsockname()[1]
    stop = tempfile.mktemp(prefix="rw-poll-stop-")
    poller = subprocess.Popen([sys.executable, "-c", POLLER, mode, str(port), str(interval), stop], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    start = time.monotonic()
    for i in range(count):
        c = socket.socket(); c.connect(("127.0.0.1", port))
        a, _ = server.accept()
        time.sleep(hold)
        c.close(); a.close()
    elapsed = time.monotonic() - start
    time.sleep(interval * 2)
    open(stop, "w").close()
    out, _ = poller.communicate(timeout=70)
    os.unlink(stop)
    seen, owned, cpu = out.split()
    print(f"poll-{mode}: connections={count} hold_ms={int(hold*1000)} interval_ms={int(interval*1000)} "
          f"seen_any={seen} seen_owned={owned} missed_owned={count - int(owned)} poller_cpu_s={cpu} workload_s={elapsed:.1f}")
    server.close()
PY
