#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Trims a raw `runtime-watch record` trace to one container's story so it can be committed as a
# fixture: the header, the container's announcement, every event of its processes (by cgroup, then
# by fork/exec descent), and the snapshot/exec events of their ancestors so ancestry still resolves.
# Unrelated host activity (other builds on the machine) is dropped, and the command lines of host
# ancestors other than runc are cut to their program name: the recording machine's supervisors may
# carry configuration on their command lines that has no place in a committed file. Usage:
#   trim-trace.py RAW.jsonl [CONTAINER_ID]   (default id: from RAW.jsonl.meta.json)
import json, os, sys

raw = sys.argv[1]
if len(sys.argv) > 2:
    cid = sys.argv[2]
else:
    with open(raw + ".meta.json") as f:
        cid = json.load(f)["container"]

with open(raw) as f:
    lines = f.read().splitlines()
header, events = lines[0], [json.loads(l) for l in lines[1:] if l.strip()]

def pid_of(e):
    return e.get("pid", e.get("child"))

# Processes of the container: in its cgroup, or descended from one that is (forks before exec).
members = set()
parent_of = {}
for e in events:
    t = e["type"]
    if t in ("snapshot", "exec") and e.get("ppid") is not None:
        parent_of[e["pid"]] = e["ppid"]
    if t == "fork":
        parent_of.setdefault(e["child"], e["parent"])
    if t in ("snapshot", "exec") and cid in (e.get("cgroup") or ""):
        members.add(e["pid"])
    elif t == "fork" and e["parent"] in members:
        members.add(e["child"])
    elif t in ("open", "connect", "fds") and cid in ((e.get("process") or {}).get("cgroup") or ""):
        members.add(e["pid"])

# Their ancestors, for ancestry (runc exec on the host, the test runner, …).
ancestors = set()
for pid in list(members):
    p, hops = parent_of.get(pid), 0
    while p is not None and p not in members and p not in ancestors and hops < 64:
        ancestors.add(p)
        p, hops = parent_of.get(p), hops + 1

def redacted(e):
    argv = e.get("argv") or []
    if argv and os.path.basename(argv[0]) != "runc":
        e = dict(e, argv=[os.path.basename(argv[0].split(" ")[0])])
    head = {"ts": e["ts"], "type": e["type"]}
    rest = {k: v for k, v in sorted(e.items()) if k not in head}
    return json.dumps({**head, **rest}, separators=(",", ":"), ensure_ascii=False)

keep = [header]
for line, e in zip(lines[1:], events):
    t, pid = e["type"], pid_of(e)
    if t == "container":
        if e.get("id") == cid:
            keep.append(line)
    elif t == "drop":
        keep.append(line)
    elif pid in members:
        keep.append(line)
    elif pid in ancestors and t in ("snapshot", "exec", "exit"):
        keep.append(redacted(e) if t != "exit" else line)
print("\n".join(keep))
print(f"trim-trace: kept {len(keep) - 1} of {len(events)} events; {len(members)} container processes, "
      f"{len(ancestors)} ancestors", file=sys.stderr)
