#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the committed seed corpus (Fuzz/corpus/<target>/) from the test fixtures and a few shapes the
# kernel produces. Each seed starts with the byte that picks the target's sub-decoder where it has
# several (see Fuzz/Sources/rw-fuzz/*Target.swift). Run from the repository root; rerun after the
# decoders' inputs change. Seeds are small (libFuzzer mutates them; it does not need whole files).
import json, os, struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Fuzz", "corpus")
FIX = os.path.join(ROOT, "Tests", "RuntimeWatchCoreTests", "Fixtures")

def put(target, name, data):
    os.makedirs(os.path.join(OUT, target), exist_ok=True)
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def lines(path, n):
    with open(path, encoding="utf-8") as f:
        return [next(f) for _ in range(n)]

# trace: the header and a few lines of each golden trace, then each event type on its own.
for name in ["runc-pod-attack.jsonl", "host-pipeline-lookalikes.jsonl"]:
    ls = lines(os.path.join(FIX, name), 12)
    put("trace", name.replace(".jsonl", "-head"), "".join(ls))
    seen = set()
    for line in open(os.path.join(FIX, name), encoding="utf-8"):
        kind = json.loads(line).get("type", "header")
        if kind not in seen:
            seen.add(kind)
            put("trace", "%s-%s" % (name.split("-")[0], kind), ls[0] + line)

# audit: 0 = a webhook body (EventList), 1 = log lines.
audit = os.path.join(FIX, "k8s-audit")
for name in ["attacks.jsonl", "benign.jsonl"]:
    events = [json.loads(l) for l in lines(os.path.join(audit, name), 4)]
    put("audit", name + "-body", b"\x00" + json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": events}).encode())
    put("audit", name + "-lines", b"\x01" + "".join(json.dumps(e) + "\n" for e in events).encode())

# profile: the embedded default and the fixtures' profiles.
put("profile", "default.yaml", open(os.path.join(ROOT, "profiles", "default.yaml")).read())
put("profile", "k8s-audit-profile.yaml", open(os.path.join(audit, "profile.yaml")).read())
put("profile", "small.yaml", "version: 1\nsettings: {fold_window_seconds: 0}\nallow:\n  - rules: [reverse-shell]\n    image: \"registry.example/*\"\n    executable: /usr/bin/nc*\nresponses:\n  rules: {service-account-token-read: {respond: freeze, respond_dry_run: true}}\n")

# netlink: 0 = proc connector datagram, 1 = fanotify buffer, 2 = audit records.
def cn_datagram(what, payload):
    ev = struct.pack("<IIQ", what, 0, 123456789) + payload          # proc_event header
    cn = struct.pack("<IIIIHH", 1, 1, 7, 0, len(ev), 0) + ev          # cb_id idx/val, seq, ack, len, flags
    nl = struct.pack("<IHHII", 16 + len(cn), 3, 0, 7, 0) + cn         # nlmsghdr (NLMSG_DONE)
    return nl
put("netlink", "proc-fork", b"\x00" + cn_datagram(0x1, struct.pack("<iiii", 100, 100, 101, 101)))
put("netlink", "proc-exec", b"\x00" + cn_datagram(0x2, struct.pack("<ii", 101, 101)))
put("netlink", "proc-exit", b"\x00" + cn_datagram(0x80000000, struct.pack("<iiIIii", 101, 101, 0, 17, 100, 100)))
put("netlink", "fanotify-open", b"\x01" + struct.pack("<IBBHQii", 24, 3, 0, 24, 0x10000, 5, 4242))
rec = lambda t, text: struct.pack("<H", t) + text.encode()
put("netlink", "audit-connect", b"\x02" + b"\x00".join([
    rec(1300, 'audit(1700000000.123:42): arch=c000003e syscall=42 success=no exit=-115 a0=3 a1=7ffc a2=10 a3=0 items=0 ppid=1 pid=4242 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="nc" exe="/usr/bin/nc.openbsd" key="runtime-watch-connect"'),
    rec(1306, 'audit(1700000000.123:42): saddr=0200115CC6336407 0000000000000000'),
    rec(1320, 'audit(1700000000.123:42): ')]))

# proc: 0 stat, 1 status, 2 cmdline, 3 cgroup, 4 net tables, 5 syscall, 6 audit EXECVE, 7 fd link, 8 cgroup path.
put("proc", "stat", b"\x00" + b"4242 (nc) S 4000 4242 4000 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0\n")
put("proc", "status", b"\x01" + b"Name:\tnc\nTgid:\t4242\nPPid:\t4000\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\n")
put("proc", "cmdline", b"\x02" + b"nc\x00198.51.100.7\x004444\x00")
put("proc", "cgroup", b"\x03" + b"12:pids:/kubepods/besteffort/pod0b6f/" + b"ab12" * 16 + b"\n0::/kubepods.slice/kubepods-besteffort.slice/cri-containerd-" + b"ab" * 32 + b".scope\n")
put("proc", "net-tcp", b"\x04" + b"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0200000A:D431 076433C6:115C 01 00000000:00000000 00:00000000 00000000     0        0 9001 1\n")
put("proc", "net-unix", b"\x04" + b"Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 9001 /run/x.sock\n")
put("proc", "syscall", b"\x05" + b"257 0xffffff9c 0x7ffc 0x80000 0x0 0x0 0x0 0x7ffc 0x7f00\n")
put("proc", "execve", b"\x06" + b'audit(1700000000.123:43): argc=3 a0="nc" a1="-e" a2=2F62696E2F7368')
put("proc", "fd-link", b"\x07" + b"socket:[9001]")
put("proc", "cgroup-path", b"\x08" + b"/system.slice/docker-" + b"0123456789abcdef" * 4 + b".scope")
