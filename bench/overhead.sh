#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a monitor costs the node (issue 14): the same /bin/true exec storm with no monitor, with
# `runtime-watch run` (embedded default profile, every source on: proc connector, fanotify token
# watch, connect audit, metrics listener off) and with `forkstat -e exec,fork,exit`, interleaved
# (none, runtime-watch, forkstat, then again) for ROUNDS rounds and each worker count. For every run
# it prints the node's exec rate, the monitor's CPU seconds per 10,000 execs (utime+stime of
# the monitor's process from /proc/<pid>/stat, before and after the storm) and its thread switches
# per exec (every thread's voluntary and involuntary ctxt_switches in /proc/<pid>/task/*/status);
# then the medians, and the exec rate with each monitor as a share of the rate with none measured
# in the same rounds.
# The machine's load average is printed before and after: the machines are shared, read ratios.
# Bounded: N <= 100000 execs per run, every storm killed after 300 s, every monitor stopped.
# Usage: sudo bench/overhead.sh [ROUNDS=3] [N=10000] [WORKERS="1 2"]   RUNTIME_WATCH=path (default: release build)
#        BEFORE=path adds that runtime-watch binary (an earlier build) as a fourth monitor, "before",
#        interleaved with the others, for before/after figures measured side by side.
set -euo pipefail
ROUNDS=${1:-3}
N=${2:-10000}
WORKERS_LIST=${3:-"1 2"}
cd "$(dirname "$0")/.."
. bench/runtime-watch-lib.sh
[ "$(id -u)" = 0 ] || { echo "overhead.sh: needs root (proc connector, fanotify, audit)" >&2; exit 1; }
command -v forkstat >/dev/null || { echo "overhead.sh: forkstat not installed (apt-get install forkstat)" >&2; exit 1; }
[ "$N" -le 100000 ] || { echo "overhead.sh: N is capped at 100000" >&2; exit 1; }
rw_resolve_binary overhead.sh

WORK=$(mktemp -d)
MONITOR_PID=
cleanup() { rw_stop_pid "$MONITOR_PID"; rm -rf "$WORK"; }
trap cleanup EXIT
gcc -O2 -pthread -o "$WORK/execstorm" bench/execstorm.c

cpu_ticks() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
# Thread switches of every thread of $1 so far (voluntary: it slept; involuntary: it was preempted).
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
TICK=$(getconf CLK_TCK)

# One storm under monitor $1 with $2 workers: prints "mode workers rate cpu_per_10k switches_per_exec".
storm() {
    local mode=$1 workers=$2 before=0 after=0 switched0=0 switched1=0
    MONITOR_PID=
    case "$mode" in
        runtime-watch)
            rw_start_monitor "$WORK/rw.log" 600 --listen off
            ;;
        before)
            RUNTIME_WATCH=$BEFORE rw_start_monitor "$WORK/rw.log" 600 --listen off
            ;;
        forkstat)
            timeout 600 forkstat -e exec,fork,exit >/dev/null 2>"$WORK/forkstat.err" &
            MONITOR_PID=$!
            sleep 1   # forkstat has no ready line; its netlink socket is bound well within this
            ;;
    esac
    # The monitors run under timeout(1): measure the monitor itself, timeout's only child.
    local measured=
    [ -n "$MONITOR_PID" ] && { measured=$(pgrep -P "$MONITOR_PID" | head -1); before=$(cpu_ticks "$measured"); switched0=$(switches "$measured"); }
    read -r spawned seconds < <(timeout 300 "$WORK/execstorm" "$N" "$workers" 0 "rw-overhead-$$")
    # Let the monitor drain what is queued: its CPU for the storm includes finishing it.
    [ -n "$MONITOR_PID" ] && { sleep 2; after=$(cpu_ticks "$measured"); switched1=$(switches "$measured"); }
    rw_stop_pid "$MONITOR_PID"
    MONITOR_PID=
    awk -v m="$mode" -v w="$workers" -v n="$spawned" -v s="$seconds" -v b="$before" -v a="$after" -v t="$TICK" \
        -v x="$((switched1 - switched0))" 'BEGIN { printf "%s %d %.0f %.3f %.2f\n", m, w, n / s, (a - b) / t / n * 10000, x / n }'
}

echo "# runtime-watch: $RUNTIME_WATCH ($KIND); $N execs of /bin/true per run; rounds $ROUNDS; workers $WORKERS_LIST"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
printf "%-6s %-14s %7s %12s %14s %14s\n" round monitor workers "execs/s" "cpu s/10k" "switches/exec"
: >"$WORK/rows"
for round in $(seq "$ROUNDS"); do
    for workers in $WORKERS_LIST; do
        for mode in none ${BEFORE:+before} runtime-watch forkstat; do
            row=$(storm "$mode" "$workers")
            echo "$round $row" >>"$WORK/rows"
            read -r m w rate cpu switched <<<"$row"
            printf "%-6s %-14s %7s %12s %14s %14s\n" "$round" "$m" "$w" "$rate" "$([ "$m" = none ] && echo - || echo "$cpu")" \
                "$([ "$m" = none ] && echo - || echo "$switched")"
        done
    done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "# medians over $ROUNDS rounds (exec rate as a share of the no-monitor rate of the same rounds)"
printf "%-14s %7s %12s %14s %10s %14s\n" monitor workers "execs/s" "cpu s/10k" "rate/none" "switches/exec"
python3 - "$WORK/rows" "$WORKERS_LIST" "${BEFORE:+before}" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for w in sys.argv[2].split():
    base = statistics.median(float(r[3]) for r in rows if r[1] == "none" and r[2] == w)
    for mode in ["none"] + sys.argv[3].split() + ["runtime-watch", "forkstat"]:
        sel = [r for r in rows if r[1] == mode and r[2] == w]
        rate = statistics.median(float(r[3]) for r in sel)
        cpu = "-" if mode == "none" else "%.3f" % statistics.median(float(r[4]) for r in sel)
        switched = "-" if mode == "none" else "%.2f" % statistics.median(float(r[5]) for r in sel)
        print("%-14s %7s %12.0f %14s %9.0f%% %14s" % (mode, w, rate, cpu, 100 * rate / base, switched))
EOF
