#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Measures the syscalls the running monitor makes in its steady state (the input of SeccompPolicy):
# starts `runtime-watch run --no-harden`, attaches `strace -f -c` once it is monitoring, drives
# activity (exec storm, token reads, a new token volume for the rescan, loopback connects, SIGHUP,
# /metrics scrapes, webhook deliveries), stops it with SIGTERM (so exit-time cleanup is counted) and
# prints the syscall table. HARDEN=1 runs the same activity against the hardened monitor instead and
# prints any refusal it logged (there should be none). Root only; bounded (~30 s); loopback traffic only. Dev tool (needs strace).
set -euo pipefail
bin=${1:-.build/debug/runtime-watch}
out=${2:-/tmp/rw-strace}
rm -rf "$out"; mkdir -p "$out/kubelet/pods/0000-pod/volumes/kubernetes.io~projected/kube-api-access-x"
vol="$out/kubelet/pods/0000-pod/volumes/kubernetes.io~projected/kube-api-access-x"
echo token > "$vol/token"
# A webhook receiver on loopback that answers 200 to every POST (bounded lifetime).
python3 - "$out/hook.port" <<'PY' &
import http.server, socketserver, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0))); self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
s = socketserver.TCPServer(('127.0.0.1', 0), H); open(sys.argv[1], 'w').write(str(s.server_address[1]))
threading.Timer(60, s.shutdown).start(); s.serve_forever()
PY
hook=$!
for _ in $(seq 50); do [ -s "$out/hook.port" ] && break; sleep 0.1; done
printf 'version: 1\nsettings:\n  fold_window_seconds: 0\n' > "$out/profile.yaml"
if [ -n "${HARDEN:-}" ]; then mode=(--seccomp-action errno); else mode=(--no-harden); fi
"$bin" run "${mode[@]}" --kubelet-root "$out/kubelet" --output "$out/alerts.jsonl" --listen 127.0.0.1:18765 \
  --webhook "http://127.0.0.1:$(cat "$out/hook.port")/" --profile "$out/profile.yaml" --duration 60 2> "$out/monitor.log" &
mon=$!
for _ in $(seq 200); do grep -q monitoring "$out/monitor.log" && break; sleep 0.1; done
if [ -z "${HARDEN:-}" ]; then strace -f -c -S calls -o "$out/strace.txt" -p "$mon" & tracer=$!; else tracer=; : > "$out/strace.txt"; fi
sleep 2
for i in $(seq 300); do /bin/true; done                               # exec storm
for i in $(seq 20); do cat "$vol/token" > /dev/null; done             # token reads (fanotify permission events)
mkdir -p "$out/kubelet/pods/1111-pod/volumes/kubernetes.io~projected/kube-api-access-y"
echo token2 > "$out/kubelet/pods/1111-pod/volumes/kubernetes.io~projected/kube-api-access-y/token"
sleep 3                                                                # 2 s rescan adds the new mark
cat "$out/kubelet/pods/1111-pod/volumes/kubernetes.io~projected/kube-api-access-y/token" > /dev/null
for i in $(seq 10); do curl -s -o /dev/null http://127.0.0.1:18765/metrics; curl -s -o /dev/null http://127.0.0.1:18765/healthz; done
for i in $(seq 10); do python3 -c 'import socket; s=socket.socket(); s.settimeout(0.2)
try: s.connect(("127.0.0.1", 9))
except Exception: pass' ; done                                        # connects (audit)
kill -HUP "$mon"; sleep 1                                              # reload profile, reopen output
rm -rf "$out/kubelet/pods/1111-pod"; sleep 3                           # rescan removes the mark
kill -TERM "$mon"; wait "$mon" || true
sleep 1; if [ -n "$tracer" ]; then kill "$tracer" 2>/dev/null || true; wait "$tracer" 2>/dev/null || true; fi
kill "$hook" 2>/dev/null || true
echo "alerts: $(wc -l < "$out/alerts.jsonl"); refusals logged: $(grep -c 'seccomp refused' "$out/monitor.log" || true)"
grep -E 'hardened|seccomp refused|profile reloaded' "$out/monitor.log" || true
cat "$out/strace.txt"
