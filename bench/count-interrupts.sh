#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs a command and prints how many rescheduling (RES) and function-call (CAL) interrupts, summed
# over every CPU from /proc/interrupts, and how many context switches (/proc/stat ctxt) the whole node
# made meanwhile: whether a storm's wake-ups cross CPUs (BENCHMARKS section 19).
# Usage: bench/count-interrupts.sh LABEL COMMAND [ARG ...]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench/count-interrupts.sh LABEL COMMAND [ARG ...]" >&2; exit 2; }
totals() {
    awk '$1 == "RES:" || $1 == "CAL:" { n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i; t[$1] = n }
         END { print t["RES:"] + 0, t["CAL:"] + 0 }' /proc/interrupts
}
label=$1; shift
read -r res0 cal0 < <(totals); ctxt0=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
"$@"
read -r res1 cal1 < <(totals); ctxt1=$(awk '$1 == "ctxt" { print $2 }' /proc/stat)
echo "$label: RES $((res1 - res0)) CAL $((cal1 - cal0)) context switches $((ctxt1 - ctxt0))"
