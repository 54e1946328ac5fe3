#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Measures ConnectCapture on a storm of short connections from a runc container to a TEST-NET
# listener in a test netns: captured, attributed to the right pid, CPU s of the capture thread.
# Root only. Usage: bench/connect-storm.sh [COUNT (default 1000, max 5000)]
set -eu
cd "$(dirname "$0")/.."
RW_CONNECT_BENCH=1 RW_CONNECT_COUNT="${1:-1000}" \
  swift test --filter ConnectStormBenchmark 2>&1 | grep -E "connect-storm:|error|Executed" 
