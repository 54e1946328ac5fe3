#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# How completely runtime-watch attributes service-account token reads: a real runc container
# (busybox rootfs, host /usr bound read-only, kubepods cgroup, CRI annotations) with a kubelet-style
# projected token volume bound at the in-pod path, the real `runtime-watch run` watching, and
# N `/usr/bin/cat token` in a shell loop inside the container. Prints the share of the loop's
# token-read alerts that carry proc.ppid (= the loop shell), user.uid, a non-empty proc.ancestry,
# proc.exepath, proc.cmdline and the container/pod. Same setup as TokenReadEndToEndTests.
# Bounded: N <= 100000; the loop is killed after 20 ms per read + 120 s, the monitor after
# 15 ms per read + 300 s; the container, its cgroups and the scratch directory are removed on exit.
# Usage: sudo bench/token-attribution.sh [N=10000]
#   RUNTIME_WATCH=path/to/runtime-watch (default: build and use the release binary; BUILD=debug for debug)
set -euo pipefail
N=${1:-10000}
(( N > 0 && N <= 100000 )) || { echo "token-attribution.sh: N must be 1..100000" >&2; exit 1; }
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "token-attribution.sh: needs root (fanotify, runc)" >&2; exit 1; }
RUNC=/usr/sbin/runc
BUSYBOX=/bin/busybox
for tool in "$RUNC" "$BUSYBOX" python3; do
    command -v "$tool" >/dev/null || { echo "token-attribution.sh: $tool not installed (runc, busybox-static, python3)" >&2; exit 1; }
done

. bench/runtime-watch-lib.sh
rw_resolve_binary token-attribution.sh

OUT=$(mktemp -d /tmp/rw-token-attr-XXXXXX)
ID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
POD_UID=$(python3 -c 'import uuid; print(uuid.uuid4())')
POD_NAME=attr-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
NAMESPACE=rw-bench-token
CGROUPS_PATH=/kubepods/burstable/pod$POD_UID/$ID
SECRETS=/var/run/secrets/kubernetes.io/serviceaccount
MONITOR_PID=
CONTAINER_STARTED=
CGROUP_DIRS=()

cleanup() {
    rw_stop_pid "$MONITOR_PID"
    if [ -n "$CONTAINER_STARTED" ]; then
        timeout 5 "$RUNC" kill "$ID" KILL 2>/dev/null || true
        timeout 10 "$RUNC" delete --force "$ID" 2>/dev/null || true
        # Deepest first; a directory someone else still uses stays.
        for dir in "${CGROUP_DIRS[@]}"; do rmdir "$dir" 2>/dev/null || true; done
    fi
    rm -rf "$OUT"
}
trap cleanup EXIT

# Rootfs: static busybox and its applets; /usr (and lib dirs) come from the host, read-only.
ROOTFS=$OUT/bundle/rootfs
mkdir -p "$ROOTFS"/{bin,etc,proc,sys,dev,tmp,root,var/run,usr}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    case $applet in busybox|*/*) ;; *) ln -s busybox "$ROOTFS/bin/$applet" ;; esac
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOTFS/etc/passwd"
printf 'root:x:0:\n' >"$ROOTFS/etc/group"
LIB_BINDS=()
for lib in lib lib64 lib32 libx32; do
    if [ -L "/$lib" ]; then ln -s "$(readlink "/$lib")" "$ROOTFS/$lib"
    elif [ -d "/$lib" ]; then mkdir -p "$ROOTFS/$lib"; LIB_BINDS+=("/$lib"); fi
done

# A projected service-account volume as the kubelet's AtomicWriter lays it out.
VOL=$OUT/kubelet/pods/$POD_UID/volumes/kubernetes.io~projected/kube-api-access-bench
TS=..2026_11_22_10_00_00.000000001
mkdir -p "$VOL/$TS"
printf 'eyJhbGciOiJSUzI1NiJ9.bench.sig' >"$VOL/$TS/token"
printf 'fake ca\n' >"$VOL/$TS/ca.crt"
printf 'default' >"$VOL/$TS/namespace"
ln -s "$TS" "$VOL/..data"
for f in token ca.crt namespace; do ln -s "..data/$f" "$VOL/$f"; done

# config.json shaped like what containerd's CRI plugin hands runc for a pod container.
python3 - "$OUT/bundle/config.json" "$POD_NAME" "$NAMESPACE" "$POD_UID" "$CGROUPS_PATH" "$VOL" "$SECRETS" "${LIB_BINDS[@]}" <<'EOF'
import json, sys
path, pod, ns, uid, cgroups, vol, secrets, *libs = sys.argv[1:]
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
bind = lambda src, dst: {"destination": dst, "type": "bind", "source": src, "options": ["rbind", "rprivate", "ro"]}
mounts = [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777", "size=16m"]},
    bind("/usr", "/usr"), *[bind(l, l) for l in libs], bind(vol, secrets),
]
spec = {
    "ociVersion": "1.0.2-dev",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["sleep", "3600"],
                "env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"], "cwd": "/",
                "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}], "noNewPrivileges": True},
    "root": {"path": "rootfs", "readonly": False},
    "hostname": pod,
    "mounts": mounts,
    "annotations": {"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-name": pod,
                    "io.kubernetes.cri.sandbox-namespace": ns, "io.kubernetes.cri.sandbox-uid": uid,
                    "io.kubernetes.cri.container-name": "reader", "io.kubernetes.cri.image-name": "docker.io/library/busybox:1.36"},
    "linux": {"cgroupsPath": cgroups, "resources": {"devices": [{"allow": False, "access": "rwm"}]},
              "namespaces": [{"type": t} for t in ["pid", "ipc", "uts", "mount", "network"]]},
}
json.dump(spec, open(path, "w"), indent=1)
EOF

# The cgroup directories runc will create (to remove them afterwards), deepest first.
while read -r mp; do
    d=$mp
    for part in $(echo "$CGROUPS_PATH" | tr '/' ' '); do
        d=$d/$part
        [ -e "$d" ] || CGROUP_DIRS=("$d" "${CGROUP_DIRS[@]}")
    done
done < <(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts)

CONTAINER_STARTED=1
timeout 30 "$RUNC" run --detach --bundle "$OUT/bundle" "$ID" >"$OUT/init.out" 2>&1 \
    || { echo "runc run failed:" >&2; cat "$OUT/init.out" >&2; exit 1; }

printf 'version: 1\nsettings:\n  fold_window_seconds: 0\n' >"$OUT/profile.yaml"
rw_start_monitor "$OUT/monitor.log" $(( N * 15 / 1000 + 300 )) --kubelet-root "$OUT/kubelet" \
    --output "$OUT/alerts.jsonl" --listen off --profile "$OUT/profile.yaml"

alerts_for_pid() { grep -c "\"proc.pid\":$1[,}]" "$OUT/alerts.jsonl" 2>/dev/null || true; }
# Canaries until one's alert carries the pod (the container announcement can trail the first open).
CANARIES=()
for try in $(seq 20); do
    timeout 20 "$RUNC" exec --detach --pid-file "$OUT/canary.pid" "$ID" /bin/head -c 1 "$SECRETS/token" >/dev/null
    pid=$(cat "$OUT/canary.pid"); CANARIES+=("$pid")
    for _ in $(seq 150); do [ "$(alerts_for_pid "$pid")" -gt 0 ] && break; sleep 0.1; done
    grep "\"proc.pid\":$pid[,}]" "$OUT/alerts.jsonl" | grep -q "\"k8s.pod.name\":\"$POD_NAME\"" && break
    [ "$try" = 20 ] && { echo "20 canary reads never carried the pod; monitor log:" >&2; cat "$OUT/monitor.log" >&2; exit 1; }
    sleep 0.2
done

START=$(date +%s.%N)
timeout 20 "$RUNC" exec --detach --pid-file "$OUT/loop.pid" "$ID" /bin/sh -c \
    "for i in \$(seq $N); do /usr/bin/cat $SECRETS/token >/dev/null; done; echo finished >/tmp/loop.done"
LOOP_PID=$(cat "$OUT/loop.pid")
LIMIT=$(( N / 50 + 120 ))
for _ in $(seq $(( LIMIT * 10 ))); do kill -0 "$LOOP_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$LOOP_PID" 2>/dev/null && { kill -KILL "$LOOP_PID"; echo "the read loop did not finish within $LIMIT s" >&2; exit 1; }
LOOP_SECONDS=$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
# Let the monitor write out what it has (bounded: 120 s past the loop's end, then 1 s of quiet).
EXPECTED=$(( ${#CANARIES[@]} + N ))
for _ in $(seq 1200); do [ "$(wc -l <"$OUT/alerts.jsonl")" -ge "$EXPECTED" ] && break; sleep 0.1; done
sleep 1

echo "runtime-watch: $RUNTIME_WATCH ($KIND); load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus"
echo "N=$N /usr/bin/cat of the token in a runc container's shell loop, $LOOP_SECONDS s"
python3 - "$OUT/alerts.jsonl" "$N" "$LOOP_PID" "${ID:0:12}" "$POD_NAME" "$NAMESPACE" "${CANARIES[@]}" <<'EOF'
import json, sys
path, n, loop_pid, cid, pod, ns, *canaries = sys.argv[1:]
n, loop_pid, canaries = int(n), int(loop_pid), {int(c) for c in canaries}
alerts = []
for line in open(path):
    a = json.loads(line)
    f = a.get("output_fields", {})
    if a.get("rule_id") == "service-account-token-read" and f.get("proc.pid") not in canaries:
        alerts.append(f)
def share(name, pred):
    k = sum(1 for f in alerts if pred(f))
    print(f"  {name:<44} {k:>7} / {n}  ({100.0 * k / n:.2f} %)")
    return k
print(f"token-read alerts for the loop: {len(alerts)} (distinct pids {len({f.get('proc.pid') for f in alerts})}) for {n} reads")
share("proc.ppid = the loop shell", lambda f: f.get("proc.ppid") == loop_pid)
share("user.uid present", lambda f: f.get("user.uid") is not None)
share("proc.ancestry non-empty", lambda f: bool(f.get("proc.ancestry")))
share("proc.exepath present", lambda f: bool(f.get("proc.exepath")))
share("proc.cmdline present", lambda f: bool(f.get("proc.cmdline")))
share("container.id + k8s pod + namespace right", lambda f: f.get("container.id") == cid and f.get("k8s.pod.name") == pod and f.get("k8s.ns.name") == ns)
k = share("ALL of the above", lambda f: f.get("proc.ppid") == loop_pid and f.get("user.uid") is not None and bool(f.get("proc.ancestry"))
          and bool(f.get("proc.exepath")) and bool(f.get("proc.cmdline")) and f.get("container.id") == cid
          and f.get("k8s.pod.name") == pod and f.get("k8s.ns.name") == ns)
bad = [f for f in alerts if not (f.get("proc.ppid") == loop_pid and f.get("user.uid") is not None and f.get("proc.ancestry"))]
for f in bad[:3]:
    print("  incomplete:", {key: f.get(key) for key in ["proc.pid", "proc.ppid", "user.uid", "proc.ancestry", "proc.exepath", "container.id"]})
EOF
grep -iE "token|drop|lost" "$OUT/monitor.log" | tail -5 || true
