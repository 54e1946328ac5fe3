#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The 10-minute soak (issue 19 item 7); see bench/soak.py for what it runs and reports.
# Usage: sudo bench/soak.sh [MINUTES=10] [EXECS/s=50] [CONNECTS/s=20] [TOKENS/s=20] [AUDIT POSTS/s=5]
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "soak.sh: needs root (proc connector, fanotify, audit)" >&2; exit 1; }
exec python3 "$(dirname "$0")/soak.py" "$@"
