#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the hostile inputs of issue 19 (profiles and traces) into a directory, for re-measuring
# `runtime-watch profile check` and `runtime-watch replay` under /usr/bin/time -v.
# Every loop is bounded by its arguments; nothing touches the network.
#   python3 bench/hostile-inputs.py OUTDIR
import json, os, sys

CGROUP = ("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b.slice/cri-containerd-"
          + "ab" * 32 + ".scope")

def header():
    return json.dumps({"format": "runtime-watch-trace", "version": 1, "hostname": "bench", "kernel": "k",
                       "start": "2026-01-01T00:00:00Z"}, separators=(",", ":")) + "\n"

def alias_profile(path, paths, copies):
    with open(path, "w") as f:
        f.write("version: 1\nallow:\n  - &e\n    rules: [service-account-token-read]\n    paths: [")
        f.write(",".join("/p/%d" % i for i in range(paths)))
        f.write("]\n")
        f.write("  - *e\n" * copies)

def glob_profile(path, pattern):
    with open(path, "w") as f:
        f.write("version: 1\nallow:\n  - rules: [service-account-token-read]\n    executable: %s\n" % json.dumps(pattern))

def exec_trace(path, count, argv_bytes, exe_bytes=12, token_reads=False):
    """`count` execs of distinct pids, each with one argv string of `argv_bytes` bytes; with
    `token_reads`, each is followed by a token open, so the profile's executable glob is matched."""
    with open(path, "w") as f:
        f.write(header())
        arg = "a" * argv_bytes
        exe = "/" + "a" * (exe_bytes - 1)
        ts = 1_800_000_000_000_000_000
        for i in range(count):
            pid = 1000 + i
            ts += 1000
            f.write('{"ts":%d,"type":"exec","argv":["x","%s"],"cgroup":"%s","comm":"x","exe":"%s","pid":%d,"ppid":1}\n'
                    % (ts, arg, CGROUP, exe, pid))
            if token_reads:
                ts += 1000
                f.write('{"ts":%d,"type":"open","pid":%d,"path":"/var/run/secrets/kubernetes.io/serviceaccount/token","write":false}\n'
                        % (ts, pid))

def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    alias_profile(os.path.join(out, "alias-10000x10000.yaml"), 10_000, 10_000)
    alias_profile(os.path.join(out, "alias-3000x3000.yaml"), 3_000, 3_000)
    glob_profile(os.path.join(out, "glob-10000a.yaml"), "*" + "a" * 10_000 + "b*")
    glob_profile(os.path.join(out, "glob-4000a.yaml"), "*" + "a" * 4_000 + "b*")
    glob_profile(os.path.join(out, "glob-1000q.yaml"), "*" + "?" * 1_000 + "b")
    exec_trace(os.path.join(out, "glob-4095.jsonl"), 3_000, 10, exe_bytes=4_095, token_reads=True)
    exec_trace(os.path.join(out, "argv-900k.jsonl"), 5_000, 900_000)
    exec_trace(os.path.join(out, "argv-1k.jsonl"), 300_000, 1_000)

if __name__ == "__main__":
    main()
