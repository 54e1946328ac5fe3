#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What connect capture costs the node, and what it sees, under a storm from several processes: the
# same loopback storm (P processes of bench/connect-load.py, N connects each, side by side) with no
# monitor, with only a kernel audit connect rule (bench/audit-execve-rule.py with
# AUDIT_RULE_SYSCALLS=42: what the monitor's rule costs by itself, nobody reading the records), and
# with `runtime-watch run --no-token-watch --record`, in turn, for ROUNDS rounds. Prints each
# storm's connects per second (summed over the processes) and worst connect(2) p99, and for the
# monitor its CPU seconds per 10,000 connects (utime+stime of its process), the storm's connects
# found in the recorded trace, and its drop events.
# Bounded: N <= 200000, each storm process stops after 60 s, the monitor after 120 s; the rule is
# removed and audit's flags restored after each rule-only storm.
# Usage: sudo bench/connect-node-cost.sh [ROUNDS=3] [N=20000] [P=2]   RUNTIME_WATCH=path (default: release build)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; N=${2:-20000}; P=${3:-2}
(( ROUNDS >= 1 && ROUNDS <= 20 && N >= 1 && N <= 200000 && P >= 1 && P <= 8 )) \
    || { echo "connect-node-cost.sh: ROUNDS 1..20, N 1..200000, P 1..8" >&2; exit 1; }
. bench/runtime-watch-lib.sh
rw_resolve_binary connect-node-cost.sh
WORK=$(mktemp -d)
MONITOR=""
cleanup() {
    rw_stop_pid "$MONITOR"
    [ -f "$WORK/rule.state" ] && AUDIT_RULE_SYSCALLS=42 python3 bench/audit-execve-rule.py del "$WORK/rule.state" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
KEEP=${KEEP:-}

# P storm processes side by side; prints "<connects/s summed> <worst p99 ms>".
storm() {
    for i in $(seq "$P"); do python3 bench/connect-load.py "$N" >"$WORK/load.$i" & done
    wait
    cat "$WORK"/load.* | awk '{ rate += substr($6, 2) + 0; p99 = $12 + 0; if (p99 > worst) worst = p99 }
                              END { printf "%.0f %.3f\n", rate, worst }'
    rm -f "$WORK"/load.*
}

echo "# runtime-watch: $RUNTIME_WATCH ($KIND); $P processes x $N loopback connects; rounds $ROUNDS; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus"
echo "round  mode        connects/s  worst p99 ms  monitor cpu s/10k  storm connects recorded  drops"
for r in $(seq "$ROUNDS"); do
    read -r rate p99 < <(storm)
    printf "%-6s %-11s %10s %13s\n" "$r" none "$rate" "$p99"

    AUDIT_RULE_SYSCALLS=42 python3 bench/audit-execve-rule.py add "$WORK/rule.state"
    read -r rate p99 < <(storm)
    AUDIT_RULE_SYSCALLS=42 python3 bench/audit-execve-rule.py del "$WORK/rule.state"
    rm -f "$WORK/rule.state"
    printf "%-6s %-11s %10s %13s\n" "$r" "rule only" "$rate" "$p99"

    "$RUNTIME_WATCH" run --listen off --no-token-watch --duration 120 --record "$WORK/trace.jsonl" >/dev/null 2>"$WORK/rw.log" &
    MONITOR=$!
    for _ in $(seq 300); do grep -q monitoring "$WORK/rw.log" && break; sleep 0.1; done
    grep -q monitoring "$WORK/rw.log" || { echo "runtime-watch did not start:" >&2; cat "$WORK/rw.log" >&2; exit 1; }
    cpu0=$(awk '{ print $14 + $15 }' "/proc/$MONITOR/stat")
    read -r rate p99 < <(storm)
    sleep 2   # what is queued is drained before the CPU is read
    cpu1=$(awk '{ print $14 + $15 }' "/proc/$MONITOR/stat")
    rw_stop_pid "$MONITOR"; wait "$MONITOR" 2>/dev/null || true; MONITOR=""
    [ -n "$KEEP" ] && cp "$WORK/trace.jsonl" "$KEEP.$r.jsonl"
    read -r seen drops < <(python3 - "$WORK/trace.jsonl" <<'PY'
import json, sys
# A connect carries its process only when capture read it; the storm's processes are the pids that
# any record shows running bench/connect-load.py.
records = [json.loads(line) for line in open(sys.argv[1])]
storm = {r["pid"] for r in records if r.get("type") == "connect"
         and (r.get("process") or {}).get("argv", [""])[-2:-1] == ["bench/connect-load.py"]}
seen = sum(1 for r in records if r.get("type") == "connect" and r.get("pid") in storm and r.get("remoteAddress") == "127.0.0.1")
drops = sum(r.get("count", 0) for r in records if r.get("type") == "drop" and r.get("source") == "connect")
print(seen, drops)
PY
)
    cpu=$(awk -v c="$((cpu1 - cpu0))" -v t="$(getconf CLK_TCK)" -v n="$((N * P))" 'BEGIN { printf "%.2f", c / t / n * 10000 }')
    printf "%-6s %-11s %10s %13s %18s %24s %6s\n" "$r" monitor "$rate" "$p99" "$cpu" "$seen of $((N * P))" "$drops"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
