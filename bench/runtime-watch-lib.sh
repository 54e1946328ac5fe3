# SPDX-License-Identifier: Apache-2.0
# Shared by the benches that run the real `runtime-watch run`: sourced, not run.

# Sets RUNTIME_WATCH (the binary) and KIND (how it was chosen): $RUNTIME_WATCH when given, else the
# `swift build -c $BUILD` product (BUILD defaults to release). $1 names the calling script in errors.
rw_resolve_binary() {
    BUILD=${BUILD:-release}
    KIND="$BUILD build"
    if [ -n "${RUNTIME_WATCH:-}" ]; then
        KIND="given by RUNTIME_WATCH"
    else
        swift build -c "$BUILD" --product runtime-watch >/dev/null
        RUNTIME_WATCH=$(swift build -c "$BUILD" --show-bin-path)/runtime-watch
    fi
    [ -x "$RUNTIME_WATCH" ] || { echo "$1: $RUNTIME_WATCH is not executable" >&2; exit 1; }
}

# SIGTERM to pid $1 (when it runs), up to 10 s for it to flush and exit, then SIGKILL.
rw_stop_pid() {
    [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}

# Starts `timeout $2 $RUNTIME_WATCH run ${@:3}` in the background with its output in $1, sets
# MONITOR_PID, and waits (at most 30 s) until it logs "monitoring"; exits with the log otherwise.
rw_start_monitor() {
    local log=$1 seconds=$2
    shift 2
    : >"$log"
    timeout "$seconds" "$RUNTIME_WATCH" run "$@" >"$log" 2>&1 &
    MONITOR_PID=$!
    for _ in $(seq 300); do
        grep -q monitoring "$log" && return 0
        kill -0 "$MONITOR_PID" 2>/dev/null || { echo "runtime-watch exited:" >&2; cat "$log" >&2; exit 1; }
        sleep 0.1
    done
    echo "runtime-watch not ready after 30 s:" >&2; cat "$log" >&2; exit 1
}
