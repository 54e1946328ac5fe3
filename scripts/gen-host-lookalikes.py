#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes Tests/RuntimeWatchCoreTests/Fixtures/host-pipeline-lookalikes.jsonl (stdout): hand-made host
# events that look like reverse shells to a naive rule but are not. See that fixture's .md.
import json, datetime
start = int(datetime.datetime(2026, 11, 22, 10, 0, 0, tzinfo=datetime.timezone.utc).timestamp()) * 10**9
out = ['{"format":"runtime-watch-trace","version":1,"hostname":"node-lookalikes","kernel":"6.1.0-28-amd64","start":"2026-11-22T10:00:00.000000000Z"}']
t = [start]
def ev(type_, **kw):
    t[0] += 1_000_000  # 1 ms apart
    d = {"ts": t[0], "type": type_}
    d.update(dict(sorted(kw.items())))
    out.append(json.dumps(d, separators=(",", ":")))
root = dict(uid=0, euid=0, gid=0, egid=0)
user = dict(uid=1000, euid=1000, gid=1000, egid=1000)
SESSION = "/user.slice/user-1000.slice/session-4.scope"
def tty(fd, n=0): return dict(fd=fd, kind="tty", target=f"/dev/pts/{n}")
def pipe(fd, ino): return dict(fd=fd, kind="pipe", target=f"pipe:[{ino}]", inode=ino)
def file(fd, path): return dict(fd=fd, kind="file", target=path)
def null(fd): return dict(fd=fd, kind="devnull", target="/dev/null")
def unix(fd, ino): return dict(fd=fd, kind="socket", target=f"socket:[{ino}]", inode=ino,
                               socket=dict(family="unix", proto="stream"))
def inet(fd, ino, lport, raddr, rport): return dict(fd=fd, kind="socket", target=f"socket:[{ino}]", inode=ino,
                               socket=dict(family="inet", proto="tcp", localAddress="198.51.100.2", localPort=lport,
                                           remoteAddress=raddr, remotePort=rport, state="ESTABLISHED"))
def proc(type_, pid, ppid, exe, argv, fds, cgroup=SESSION, cred=user, cwd="/home/dev", ticks=None):
    ev(type_, pid=pid, ppid=ppid, comm=exe.split("/")[-1][:15], exe=exe, argv=argv, cwd=cwd, credentials=cred,
       cgroup=cgroup, fds=fds, startTicks=ticks or pid * 10, source="proc")
def fork(parent, child): ev("fork", parent=parent, child=child)
def exit_(pid, code=0): ev("exit", pid=pid, code=code)
def connect(pid, raddr, rport, lport):
    ev("connect", pid=pid, proto="tcp", localAddress="198.51.100.2", localPort=lport,
       remoteAddress=raddr, remotePort=rport, result=0)

# Startup snapshot: systemd, sshd, the login shell on /dev/pts/0 (interactive, sshd parent).
proc("snapshot", 1, 0, "/usr/lib/systemd/systemd", ["/sbin/init"], [null(0), null(1), null(2)], cgroup="/init.scope", cred=root, cwd="/")
proc("snapshot", 412, 1, "/usr/sbin/sshd", ["sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"],
     [null(0), null(1), null(2)], cgroup="/system.slice/ssh.service", cred=root, cwd="/")
proc("snapshot", 2001, 412, "/usr/sbin/sshd", ["sshd: dev@pts/0"], [null(0), null(1), null(2)], cgroup=SESSION, cred=root, cwd="/")
proc("snapshot", 2010, 2001, "/usr/bin/bash", ["-bash"], [tty(0), tty(1), tty(2)])

# 1. Port check: nc -z (no program on the socket, stdio the terminal).
fork(2010, 2100)
proc("exec", 2100, 2010, "/usr/bin/nc.openbsd", ["nc", "-z", "-w", "2", "198.51.100.7", "443"], [tty(0), tty(1), tty(2)])
connect(2100, "198.51.100.7", 443, 40100)
exit_(2100)

# 2. curl … | sh: the shell's stdin comes from a networked curl, its stdout is the terminal.
fork(2010, 2200); fork(2010, 2201)
proc("exec", 2200, 2010, "/usr/bin/curl", ["curl", "-fsSL", "https://get.example.test/install.sh"], [tty(0), pipe(1, 7001), tty(2)])
proc("exec", 2201, 2010, "/usr/bin/dash", ["sh"], [pipe(0, 7001), tty(1), tty(2)])
connect(2200, "198.51.100.8", 443, 40200)
fork(2201, 2202)
proc("exec", 2202, 2201, "/usr/bin/uname", ["uname", "-m"], [pipe(0, 7001), tty(1), tty(2)])
exit_(2202); exit_(2200); exit_(2201)
# … and the same with the shell's output going to a log file.
fork(2010, 2210); fork(2010, 2211)
proc("exec", 2210, 2010, "/usr/bin/curl", ["curl", "-fsSL", "https://get.example.test/install.sh"], [tty(0), pipe(1, 7002), tty(2)])
connect(2210, "198.51.100.8", 443, 40210)
proc("exec", 2211, 2010, "/usr/bin/bash", ["bash", "-s", "--", "--quiet"], [pipe(0, 7002), file(1, "/home/dev/install.log"), file(2, "/home/dev/install.log")])
exit_(2210); exit_(2211)

# 3. echo | nc host 80: a shell writes into nc's stdin; its own stdin is the terminal.
fork(2010, 2300); fork(2010, 2301)
proc("exec", 2300, 2010, "/usr/bin/dash", ["sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n'"], [tty(0), pipe(1, 7003), tty(2)])
proc("exec", 2301, 2010, "/usr/bin/nc.openbsd", ["nc", "198.51.100.9", "80"], [pipe(0, 7003), tty(1), tty(2)])
connect(2301, "198.51.100.9", 80, 40300)
ev("fds", pid=2301, fds=[pipe(0, 7003), tty(1), tty(2)])
exit_(2300); exit_(2301)

# 4. A shell whose stdin/stdout are a unix socket (a socket-activated service's helper).
proc("exec", 2400, 1, "/usr/bin/dash", ["/bin/sh", "/usr/libexec/backup-agent/handle-request"], [unix(0, 7100), unix(1, 7100), null(2)],
     cgroup="/system.slice/backup-agent@0.service", cred=root, cwd="/")
exit_(2400)

# 5. An interactive shell on a pty: sudo -i from the ssh session (sshd's stdio is /dev/null).
fork(2010, 2500)
proc("exec", 2500, 2010, "/usr/bin/sudo", ["sudo", "-i"], [tty(0), tty(1), tty(2)])
fork(2500, 2501)
proc("exec", 2501, 2500, "/usr/bin/bash", ["-bash"], [tty(0, 1), tty(1, 1), tty(2, 1)], cred=root, cwd="/root")
fork(2501, 2502)
proc("exec", 2502, 2501, "/usr/bin/ls", ["ls", "--color=auto"], [tty(0, 1), tty(1, 1), tty(2, 1)], cred=root, cwd="/root")
exit_(2502); exit_(2501); exit_(2500)
print("\n".join(out))
