#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Records a real trace of a busy host for the replay benchmark (issue 17): `runtime-watch record`
# (release build, every default source) while this host compiles C code, installs and removes
# Debian packages, starts and stops runc containers shaped like Kubernetes pods, and runs shell
# pipelines, python one-liners and curl against a loopback server. See bench/traces/busy-host.md.
# Every part is bounded in time; every container, cgroup and server it starts is removed on exit.
# Network: loopback only, plus apt's Debian mirror for the package installs (skipped with --no-apt).
# Usage: sudo bench/record-busy-host.sh OUTPUT.jsonl [SECONDS=150] [--no-apt]
set -euo pipefail
OUT=${1:?usage: record-busy-host.sh OUTPUT.jsonl [SECONDS] [--no-apt]}
SECONDS_TOTAL=${2:-150}
APT=1
[ "${3:-}" = "--no-apt" ] && APT=0
(( SECONDS_TOTAL >= 20 && SECONDS_TOTAL <= 900 )) || { echo "record-busy-host.sh: SECONDS must be 20..900" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "record-busy-host.sh: needs root (runtime-watch record, runc, apt)" >&2; exit 1; }
cd "$(dirname "$0")/.."
swift build -c release --product runtime-watch >/dev/null
RW="$(swift build -c release --show-bin-path)/runtime-watch"
WORK=$(mktemp -d /tmp/rw-busy-host-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$WORK/containers" ] && while read -r c uid; do
        runc delete --force "$c" >/dev/null 2>&1 || true
        rmdir "/sys/fs/cgroup/kubepods/besteffort/pod$uid/$c" "/sys/fs/cgroup/kubepods/besteffort/pod$uid" 2>/dev/null || true
    done < "$WORK/containers"
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The recorder starts first and stops last, so every part's whole life is in the trace.
"$RW" record --output "$OUT" --duration "$SECONDS_TOTAL" --log-level warning &
RECORDER=$!
sleep 3
END=$(( $(date +%s) + SECONDS_TOTAL - 8 ))
until_end() { [ "$(date +%s)" -lt "$END" ]; }

# 1. Builds: the repository's C files compiled again and again, two at a time (gcc → cc1, as, ld).
(
    mkdir -p "$WORK/build"
    cp CShims/*.c CShims/include/*.h bench/*.c "$WORK/build/" 2>/dev/null || true
    cd "$WORK/build"
    while until_end; do
        for f in *.c; do
            until_end || break
            gcc -O2 -I. -c "$f" -o "${f%.c}.o" 2>/dev/null &
            gcc -O0 -I. -c "$f" -o "${f%.c}.O0.o" 2>/dev/null
            wait
        done
        make -s -f /dev/null 2>/dev/null || true
    done
) &
PIDS+=($!)

# 2. Package installs: small Debian packages installed and removed (dpkg, maintainer scripts,
#    man-db and other triggers).
if [ "$APT" = 1 ]; then
    (
        apt-get update -qq >/dev/null 2>&1 || true
        while until_end; do
            for pkg in figlet sl tree bc cowsay; do
                until_end || break
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 || true
                DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$pkg" >/dev/null 2>&1 || true
            done
        done
    ) &
    PIDS+=($!)
fi

# 3. Containers: busybox pods (kubepods cgroup path, CRI annotations) started, run a short shell
#    workload, and are deleted; a new one every couple of seconds.
ROOTFS="$WORK/rootfs"
mkdir -p "$ROOTFS"/{bin,etc,proc,sys,dev,tmp,root}
cp /usr/bin/busybox "$ROOTFS/bin/busybox"
for applet in $("$ROOTFS/bin/busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$ROOTFS/bin/$applet"; done
echo "root:x:0:0:root:/root:/bin/sh" > "$ROOTFS/etc/passwd"
start_container() {
    local n=$1 id uid bundle
    id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    uid=$(cat /proc/sys/kernel/random/uuid)
    bundle="$WORK/bundle-$n"
    mkdir -p "$bundle"
    python3 - "$bundle/config.json" "$id" "$uid" "$n" "$ROOTFS" <<'PY'
import json, sys
path, cid, uid, n, rootfs = sys.argv[1:]
spec = {
    "ociVersion": "1.0.2",
    "process": {"user": {"uid": 0, "gid": 0}, "cwd": "/", "env": ["PATH=/bin"],
                "args": ["sh", "-c", "for i in 1 2 3 4 5 6; do ls / >/dev/null; cat /etc/passwd | wc -l >/dev/null; date >/dev/null; "
                         "echo $i | md5sum >/dev/null; ps >/dev/null; sleep 0.1; done"],
                "capabilities": {k: ["CAP_KILL", "CAP_CHOWN"] for k in ("bounding", "effective", "permitted")},
                "noNewPrivileges": True},
    "root": {"path": rootfs, "readonly": True},   # one read-only rootfs shared by all
    "hostname": f"busy-{n}",
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
               {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}],
    "annotations": {"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": "busy",
                    "io.kubernetes.cri.sandbox-name": f"busy-{n}", "io.kubernetes.cri.sandbox-namespace": "rw-busy",
                    "io.kubernetes.cri.sandbox-uid": uid, "io.kubernetes.cri.image-name": "docker.io/library/busybox:1.36"},
    "linux": {"cgroupsPath": f"/kubepods/besteffort/pod{uid}/{cid}",
              "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]},
}
json.dump(spec, open(path, "w"))
PY
    echo "$id $uid" >> "$WORK/containers"   # the subshell's ids, for cleanup
    timeout 20 runc run --bundle "$bundle" "$id" >/dev/null 2>&1 || true
    runc delete --force "$id" >/dev/null 2>&1 || true
    rmdir "/sys/fs/cgroup/kubepods/besteffort/pod$uid/$id" "/sys/fs/cgroup/kubepods/besteffort/pod$uid" 2>/dev/null || true
}
(
    n=0
    while until_end; do
        n=$((n + 1))
        start_container "$n"
    done
) &
PIDS+=($!)

# 4. Scripts: pipelines, python one-liners and curl to a loopback server, two loops at once.
python3 -m http.server 18080 --bind 127.0.0.1 --directory "$WORK" >/dev/null 2>&1 &
PIDS+=($!)
sleep 1
for loop in 1 2; do
    (
        while until_end; do
            for i in $(seq 20); do
                ls /usr/bin | grep -c a >/dev/null
                ps aux | sort -k3 | head -3 >/dev/null
                python3 -c "import json,sys; json.dumps({'i': $i})"
                curl -fsS -o /dev/null http://127.0.0.1:18080/ || true
                find /etc -maxdepth 1 -name "*.conf" | xargs -r wc -l >/dev/null
                for f in /etc/hostname /etc/os-release; do sha256sum "$f" | cut -c1-8 >/dev/null; done
                date +%s | tr 0-9 a-j | rev >/dev/null
            done
        done
    ) &
    PIDS+=($!)
done

wait "$RECORDER"
echo "recorded $(($(wc -l < "$OUT") - 1)) events to $OUT"
