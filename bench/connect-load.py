#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A loopback connect storm from one process: N connects to a listener of its own on 127.0.0.1, one
# after another as fast as they go, then the rate and the latency of connect(2) (p50, p99, max).
# Several run side by side make a node-wide storm (bench/connect-node-cost.sh). Bounded: N <= 200000
# and 60 s; the listener is closed on exit. Usage: bench/connect-load.py [N=20000]
import os, socket, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from storm import loopback_listener  # noqa: E402  (the storms' listener, shared)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
if not 1 <= n <= 200000:
    sys.exit("connect-load.py: N must be 1..200000")
port, stop = loopback_listener(backlog=4096)
start = time.monotonic()
latencies = []
for _ in range(n):
    if time.monotonic() - start > 60:
        break
    s = socket.socket()
    t = time.perf_counter()
    s.connect(("127.0.0.1", port))
    latencies.append(time.perf_counter() - t)
    s.close()
elapsed = time.monotonic() - start
stop.set()
latencies.sort()
print(f"{len(latencies)} connects in {elapsed:.2f} s ({len(latencies) / elapsed:.0f}/s); connect() p50 "
      f"{latencies[len(latencies) // 2] * 1e3:.3f} ms p99 {latencies[int(len(latencies) * 0.99)] * 1e3:.3f} ms "
      f"max {latencies[-1] * 1e3:.1f} ms")
