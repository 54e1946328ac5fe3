#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every whole-system benchmark with small defaults (each run bounded, about 2 minutes at most),
# printing one table per benchmark. Root (proc connector, fanotify, audit).
# Usage: sudo bench/run-all.sh [N=5000]
set -euo pipefail
N=${1:-5000}
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
echo "start: $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Replay (1,000,000 synthetic events)"
bench/replay-rate.sh 1000000 1000 1
echo
echo "## Replay (the recorded busy-host trace, 143,468 real events)"
TRACE=bench/traces/busy-host.jsonl.xz MODES="decode-only full" bench/replay-rate.sh 0 0 1
echo
echo "## Storms (runtime-watch run, release; forkstat side by side on the exec storm)"
python3 bench/storm.py exec --count "$N" --workers 1 --header
python3 bench/storm.py exec --count "$N" --workers 2
python3 bench/storm.py exec --count "$N" --workers 1 --rate 500
python3 bench/storm.py exec --count "$N" --workers 1 --rate 1000
python3 bench/storm.py exec --count "$N" --workers 2 --rate 1000
python3 bench/storm.py exec --count "$N" --workers 1 --lifetime-ms 1   # children live >= 1 ms (argv target)
python3 bench/storm.py connect --count "$N" --rate 1000
python3 bench/storm.py token --count "$N" --rate 1000
python3 bench/storm.py live --count 10000
echo
echo "## A connect storm from two processes: none, the audit rule alone, the monitor"
bench/connect-node-cost.sh 1 "$N" 2
echo
echo "## Replay memory with 10,000 live processes (200,000 events)"
bench/replay-rate.sh 200000 10000 1
echo "end: $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
