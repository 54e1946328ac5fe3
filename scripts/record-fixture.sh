#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Records Tests/RuntimeWatchCoreTests/Fixtures/runc-pod-attack.jsonl from a live run (root only):
# builds runtime-watch, runs the EndToEndFixtureRecording test (which starts `runtime-watch record`,
# a kubepods-shaped runc container, a token read and a busybox reverse shell to TEST-NET-2), trims
# the raw trace to the events of the container and its ancestors, then regenerates the expected alerts.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=Tests/RuntimeWatchCoreTests/Fixtures
raw=$(mktemp /tmp/rw-fixture-raw.XXXXXX.jsonl)
trap 'rm -f "$raw" "$raw.meta.json"' EXIT

swift build --product runtime-watch
RW_RECORD_FIXTURE="$raw" RW_BINARY="$PWD/.build/debug/runtime-watch" \
    swift test --filter EndToEndFixtureRecording
cat "$raw.meta.json"; echo
python3 scripts/trim-trace.py "$raw" > "$fixtures/runc-pod-attack.jsonl"
echo "raw trace $(wc -l < "$raw") lines; fixture $(wc -l < "$fixtures/runc-pod-attack.jsonl") lines"
RW_UPDATE_GOLDEN=1 swift test --filter GoldenReplayTests
echo "review: git diff $fixtures"
