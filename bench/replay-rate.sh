#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replay throughput and memory: writes the deterministic synthetic trace (SyntheticTrace, N events,
# LIVE processes alive at once) with rw-capture-bench, then times `runtime-watch replay` (release)
# over it ROUNDS times: --decode-only (reader alone) and full (state + detectors + alerts to
# /dev/null), each also with --codable-decoder (Foundation's JSONDecoder for every line: the
# decoder replay used before the byte-level one, as the side-by-side "before"). Prints events/s (wall clock, one core: replay is single-threaded) and max RSS.
# TRACE=path replays a recorded trace instead (.jsonl, or .jsonl.xz such as
# bench/traces/busy-host.jsonl.xz); N and LIVE are then ignored. MODES="decode-only full" runs only
# those modes (default: all four). BEFORE=path-to-an-older-runtime-watch runs every mode with it too,
# interleaved (before, then this build, each round), for before/after figures from one run.
# Bounded: N <= 10,000,000; each replay killed after 300 s.
# Usage: [TRACE=FILE] [MODES="…"] bench/replay-rate.sh [N=1000000] [LIVE=1000] [ROUNDS=3]
set -euo pipefail
N=${1:-1000000}
LIVE=${2:-1000}
ROUNDS=${3:-3}
[ -n "${TRACE:-}" ] || (( N > 0 && N <= 10000000 )) || { echo "replay-rate.sh: N must be 1..10000000" >&2; exit 1; }
if [ -n "${TRACE:-}" ]; then
    # TRACE is named relative to where the caller stands; the script then moves to the repository.
    [ -f "$TRACE" ] || { echo "replay-rate.sh: TRACE=$TRACE: no such file" >&2; exit 1; }
    TRACE=$(realpath "$TRACE")
fi
cd "$(dirname "$0")/.."
swift build -c release --product runtime-watch >/dev/null
swift build -c release --product rw-capture-bench >/dev/null
BIN=$(swift build -c release --show-bin-path)
OUT=$(mktemp -d /tmp/rw-replay-bench-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
if [ -n "${TRACE:-}" ]; then
    case $TRACE in
        *.xz) xz -dc "$TRACE" > "$OUT/trace.jsonl" ;;
        *) cp "$TRACE" "$OUT/trace.jsonl" ;;
    esac
    N=$(( $(wc -l < "$OUT/trace.jsonl") - 1 ))   # less the header line
    echo "trace: $TRACE, $N events, $(du -m "$OUT/trace.jsonl" | cut -f1) MiB; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus"
else
    "$BIN/rw-capture-bench" synthesize "$N" "$LIVE" "$OUT/trace.jsonl"
    echo "trace: $N events, at most $LIVE live processes, $(du -m "$OUT/trace.jsonl" | cut -f1) MiB; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus"
fi
echo "| build | mode | round | seconds | events/s | max RSS MiB |"
echo "|---|---|---|---|---|---|"
BUILDS=("this=$BIN/runtime-watch")
[ -n "${BEFORE:-}" ] && BUILDS=("before=$BEFORE" "${BUILDS[@]}")
for r in $(seq "$ROUNDS"); do
    for mode in ${MODES:-decode-only full decode-only-jsondecoder full-jsondecoder}; do
      for build in "${BUILDS[@]}"; do
        flag=()
        case $mode in
            decode-only) flag=(--decode-only) ;;
            decode-only-jsondecoder) flag=(--decode-only --codable-decoder) ;;
            full-jsondecoder) flag=(--codable-decoder) ;;
        esac
        # GNU time is not installed everywhere: python measures wall time and the child's max RSS.
        python3 - "${build#*=}" "${build%%=*}" "$OUT/trace.jsonl" "$N" "$mode" "$r" "${flag[@]}" <<'PY'
import os, resource, subprocess, sys, time
binary, label, trace, n, mode, rnd, *flag = sys.argv[1:]
t0 = time.monotonic()
p = subprocess.Popen([binary, "replay", trace, "--summary", *flag], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
_, err = p.communicate(timeout=300)
seconds = time.monotonic() - t0
if p.returncode != 0:
    sys.exit(f"replay failed: {err}")
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"| {label} | {mode} | {rnd} | {seconds:.2f} | {int(n) / seconds:,.0f} | {rss:.1f} |")
print(err.strip().replace("\n", " "), file=sys.stderr)
PY
      done
    done
done
