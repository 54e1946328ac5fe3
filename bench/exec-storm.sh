#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exec storm: N short-lived /bin/true execs from W workers, observed at the same time by
# runtime-watch's capture (rw-capture-bench) and by forkstat, to measure how many execs each sees
# and how many carry their argv (the /proc race). Bounded: N <= 100000, each run killed after 300 s.
# (bench/storm.py exec runs the same storm against the full `runtime-watch run` with CPU, RSS and
# forkstat side by side; this script measures the capture layer alone.)
# Usage: sudo [AUDIT=1] bench/exec-storm.sh [N=10000] [WORKERS=1] [extra rw-capture-bench args...]
# AUDIT=1 (stretch evaluation) also enables kernel audit with an execve rule for the run (restored
# afterwards) and reports how many argv the audit EXECVE records would complete.
set -euo pipefail
N=${1:-10000}
W=${2:-1}
shift $(( $# > 2 ? 2 : $# ))
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "exec-storm.sh: needs root (proc connector)" >&2; exit 1; }
command -v forkstat >/dev/null || { echo "exec-storm.sh: forkstat not installed (apt-get install forkstat)" >&2; exit 1; }

swift build -c release --product rw-capture-bench >/dev/null
BENCH=$(swift build -c release --show-bin-path)/rw-capture-bench
MARKER="rw-storm-$$"
OUT=$(mktemp -d)
FORKSTAT_PID=
AUDIT_ARGS=()
cleanup() {
    [ -n "$FORKSTAT_PID" ] && kill "$FORKSTAT_PID" 2>/dev/null || true
    [ -f "$OUT/audit-state.json" ] && python3 bench/audit-execve-rule.py del "$OUT/audit-state.json" || true
    rm -rf "$OUT"
}
trap cleanup EXIT
if [ "${AUDIT:-0}" = 1 ]; then
    python3 bench/audit-execve-rule.py add "$OUT/audit-state.json"
    AUDIT_ARGS=(--audit)
fi

# forkstat reads /proc/<pid>/cmdline for each exec, like capture does; "<unknown>" when it lost the race.
timeout 300 forkstat -e exec >"$OUT/forkstat.txt" 2>"$OUT/forkstat.err" &
FORKSTAT_PID=$!
sleep 1
timeout 300 "$BENCH" --count "$N" --workers "$W" --marker "$MARKER" "${AUDIT_ARGS[@]}" "$@" | tee "$OUT/bench.txt"
sleep 1
kill -INT "$FORKSTAT_PID" 2>/dev/null || true
wait "$FORKSTAT_PID" 2>/dev/null || true

with_argv=$(grep -c " exec .*/bin/true $MARKER" "$OUT/forkstat.txt" || true)
unknown=$(grep -c " exec .*<unknown>" "$OUT/forkstat.txt" || true)
total=$(grep -c " exec " "$OUT/forkstat.txt" || true)
echo "forkstat: exec lines with argv of the storm $with_argv/$N; <unknown> (argv lost, any process) $unknown; all exec lines $total"
