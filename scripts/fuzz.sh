#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Coverage-guided fuzzing of every decoder of untrusted input (issue 19 item 6): builds Fuzz/ with
# libFuzzer and AddressSanitizer (the C shim also with UndefinedBehaviorSanitizer; Swift has no UBSan,
# its own checks trap), then runs each target for SECONDS over a copy of its committed seed corpus
# (Fuzz/corpus/<target>), so a run never grows what is committed. Every committed input is run first:
# a crash that was fixed stays fixed (its input is committed there as a regression seed).
# Prints, per target: executions, coverage, corpus size. Exits non-zero at the first crash, sanitizer
# report, out-of-memory or slow input, with the input saved as Fuzz/crashes/<target>-crash-*.
# Leak detection is off: the Swift runtime's lazily built metadata is allocated inside inputs.
# Usage: scripts/fuzz.sh [SECONDS=20] [TARGET...]   (targets: trace audit profile netlink proc)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
shift || true
TARGETS=${*:-"trace audit profile netlink proc"}
case "$SECONDS_PER_TARGET" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$SECONDS_PER_TARGET'" >&2; exit 2;; esac

# lld: gold fails on the fuzzer's debug info ("internal error in format_file_lineno").
swift build --package-path Fuzz --scratch-path .build-fuzz -c debug \
    -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address,undefined \
    -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld --product rw-fuzz 2>&1 | grep -v "warning: Cannot export local symbol" | tail -3
FUZZER=.build-fuzz/debug/rw-fuzz

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p Fuzz/crashes
printf "%-8s %10s %8s %9s %12s\n" target execs "exec/s" coverage "corpus"
for target in $TARGETS; do
    [ -d "Fuzz/corpus/$target" ] || { echo "fuzz.sh: no corpus for target '$target'" >&2; exit 2; }
    cp -r "Fuzz/corpus/$target" "$WORK/$target"
    log="$WORK/$target.log"
    status=0
    # halt_on_error: UBSan reports in the C shim and continues by default, which libFuzzer never sees.
    RW_FUZZ_TARGET=$target UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$FUZZER" "$WORK/$target" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len=16384 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="Fuzz/crashes/$target-" >"$log" 2>&1 || status=$?
    if [ "$status" != 0 ]; then
        echo "fuzz.sh: target $target failed (exit $status); the input is in Fuzz/crashes/:" >&2
        grep -E "ERROR|SUMMARY|panic|Fatal error|crash-|timeout-|oom-|slow-unit" "$log" | head -20 >&2
        tail -40 "$log" >&2
        exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    done_line=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$done_line")
    printf "%-8s %10s %8s %9s %12s\n" "$target" "$execs" "$rate" "${cov:--}" "${corp:--}"
done
rmdir Fuzz/crashes 2>/dev/null || true
