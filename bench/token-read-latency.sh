#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Latency runtime-watch adds to a service-account token read: N open+read+close of a token in a
# kubelet-style projected volume (temp kubelet root), timed by a tiny C program, without the monitor,
# with `runtime-watch run` watching (fanotify permission events hold each open until it answers),
# and without again; ROUNDS times interleaved. Prints ns and us per read for each and the difference.
# Bounded: N <= 1000000, every timed run killed after 120 s, the monitor after 300 s.
# Usage: sudo bench/token-read-latency.sh [N=10000] [ROUNDS=3]
#   RUNTIME_WATCH=path/to/runtime-watch (default: build and use the release binary; BUILD=debug for debug)
set -euo pipefail
N=${1:-10000}
ROUNDS=${2:-3}
(( N > 0 && N <= 1000000 )) || { echo "token-read-latency.sh: N must be 1..1000000" >&2; exit 1; }
(( ROUNDS > 0 && ROUNDS <= 20 )) || { echo "token-read-latency.sh: ROUNDS must be 1..20" >&2; exit 1; }
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "token-read-latency.sh: needs root (fanotify)" >&2; exit 1; }
command -v gcc >/dev/null || { echo "token-read-latency.sh: gcc not installed (apt-get install gcc)" >&2; exit 1; }

. bench/runtime-watch-lib.sh
rw_resolve_binary token-read-latency.sh

OUT=$(mktemp -d /tmp/rw-token-bench-XXXXXX)
MONITOR_PID=
cleanup() {
    rw_stop_pid "$MONITOR_PID"
    rm -rf "$OUT"
}
trap cleanup EXIT

# A projected service-account volume as the kubelet's AtomicWriter lays it out.
POD_UID=0b5e7a1c-1111-4222-8333-944455556666
VOL="$OUT/kubelet/pods/$POD_UID/volumes/kubernetes.io~projected/kube-api-access-bench"
TS=..2026_11_22_10_00_00.000000001
mkdir -p "$VOL/$TS"
printf 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImJlbmNoIn0.%s.sig' "$(head -c 600 /dev/zero | tr '\0' 'x')" >"$VOL/$TS/token"
printf 'fake ca\n' >"$VOL/$TS/ca.crt"
printf 'default' >"$VOL/$TS/namespace"
ln -s "$TS" "$VOL/..data"
for f in token ca.crt namespace; do ln -s "..data/$f" "$VOL/$f"; done

cat >"$OUT/reads.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
/* reads PATH N: N x open+read+close of PATH; prints the mean ns per read. */
int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: reads PATH N\n"); return 2; }
    long n = atol(argv[2]);
    char buf[4096];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0) { perror("open"); return 1; }
        if (read(fd, buf, sizeof buf) <= 0) { perror("read"); return 1; }
        close(fd);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
    printf("%.0f\n", ns / (double)n);
    return 0;
}
EOF
gcc -O2 -o "$OUT/reads" "$OUT/reads.c"

timed_read() { timeout 120 "$OUT/reads" "$VOL/token" "$N"; }

start_monitor() {
    rw_start_monitor "$OUT/monitor.log" 300 --kubelet-root "$OUT/kubelet" --output "$OUT/alerts.jsonl" --listen off
    # Canary: the watcher must see this read, or the "with" figures would measure nothing.
    local before; before=$(wc -l <"$OUT/alerts.jsonl" 2>/dev/null || echo 0)
    cat "$VOL/token" >/dev/null
    for _ in $(seq 100); do
        [ "$(wc -l <"$OUT/alerts.jsonl" 2>/dev/null || echo 0)" -gt "$before" ] && return 0
        sleep 0.1
    done
    echo "runtime-watch raised no alert for the canary token read" >&2; cat "$OUT/monitor.log" >&2; exit 1
}

stop_monitor() {
    kill -TERM "$MONITOR_PID"
    wait "$MONITOR_PID" || true
    MONITOR_PID=
}

echo "runtime-watch: $RUNTIME_WATCH ($KIND); load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus"
echo "N=$N open+read+close of a $(stat -c %s "$VOL/$TS/token")-byte token per run, $ROUNDS rounds; ns per read"
printf '%-6s %12s %12s %12s\n' round without with without
WITHOUT=()
WITH=()
for r in $(seq "$ROUNDS"); do
    a=$(timed_read)
    start_monitor
    w=$(timed_read)
    stop_monitor
    b=$(timed_read)
    printf '%-6s %12s %12s %12s\n' "$r" "$a" "$w" "$b"
    WITHOUT+=("$a" "$b")
    WITH+=("$w")
done
ALERTS=$(wc -l <"$OUT/alerts.jsonl")
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
MW=$(median "${WITHOUT[@]}")
MM=$(median "${WITH[@]}")
awk -v a="$MW" -v w="$MM" 'BEGIN {
    printf "median per read: without %.2f us, with runtime-watch %.2f us, added %.2f us (x%.1f)\n", a/1000, w/1000, (w-a)/1000, w/a }'
echo "alert lines written by the monitor (folded per 60 s window by the default profile): $ALERTS"
