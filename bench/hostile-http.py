#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Re-runs the live rows of issue 19's table against the release build, one `runtime-watch run` per
# row (listener on loopback, --no-connect-watch so this host's own connects stay out of the counts):
#   posts    16 concurrent 30 MB POSTs to /k8s-audit: answers, the monitor's peak RSS, /healthz after
#   flood    10 clients posting distinct secret gets under `run --duration D`: time from D to exit,
#            items acknowledged vs judged (alert counts summed) + counted dropped; drop alerts, summary
#            line and the last /metrics scrape; alert lines written
#   slow     a webhook receiver answering in 0.2 s while ALERTS alerts are made (distinct users): the
#            monitor's webhook counters (totals line) against what the receiver got
#   slowloris 20 connections that send half a header and never finish: closed by the header timeout,
#            /healthz answering meanwhile
#   full     `run --output /dev/full`: exit status and message
# Bounded: every client loop ends by count and time, every monitor runs with --duration, temp files
# are removed. Loopback only. Usage: sudo python3 bench/hostile-http.py [ROW...] (default: all)
import json, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time, http.server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from storm import build, status_kib  # the same release binary and /proc readings as the storms

BINARY = build(None)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    return port


class Monitor:
    """One `runtime-watch run` with its listener on loopback; waits for "monitoring"."""
    def __init__(self, work, extra, duration):
        self.port = free_port()
        self.log_path = os.path.join(work, "monitor.log")
        self.log = open(self.log_path, "w+")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([BINARY, "run", "--listen", f"127.0.0.1:{self.port}", "--no-connect-watch",
                                      "--no-token-watch", "--duration", str(duration)] + extra,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 30
        while "monitoring" not in self.text():
            if time.time() > deadline or self.proc.poll() is not None:
                sys.exit("hostile-http: runtime-watch did not start:\n" + self.text())
            time.sleep(0.1)
        self.started = time.monotonic()

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill(); self.proc.wait()
            return None


def request(port, method, path, body=b"", timeout=10.0, headers=()):
    """One HTTP/1.1 request on a fresh connection; returns (status, body) or (None, error)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
            s.sendall(head.encode())
            view = memoryview(body)
            while view:
                sent = s.send(view[:1 << 20]); view = view[sent:]
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else None
        return status, data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
    except OSError as e:
        return None, str(e)


def secret_get(name, user="mallory"):
    return ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"%s","stage":"ResponseComplete",'
            '"requestURI":"/api/v1/namespaces/shop/secrets/%s","verb":"get","user":{"username":"%s"},"sourceIPs":["192.0.2.1"],'
            '"objectRef":{"resource":"secrets","namespace":"shop","name":"%s"},"responseStatus":{"code":200},'
            '"stageTimestamp":"2026-12-05T01:00:00.000001Z"}' % (name, name, user, name))


def event_list(items):
    return ('{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' + ",".join(items) + "]}").encode()


def alerts_in(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def row_posts(work):
    mon = Monitor(work, ["--output", os.path.join(work, "alerts.jsonl")], 120)
    # Valid JSON, ~30 MB, of items of ~2 KB: fewer than the 16,384 events one batch may queue, so
    # every body is decoded (the worst case for memory), and the ones that fit are taken.
    pad = "x" * 600
    item = len(secret_get("s%07d-" % 0 + pad)) + 1
    body = event_list([secret_get("s%07d-" % i + pad) for i in range(30_000_000 // item)])
    results = []
    threads = [threading.Thread(target=lambda: results.append(request(mon.port, "POST", "/k8s-audit", body, timeout=60)[0]))
               for _ in range(16)]
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], status_kib(mon.proc.pid, "VmHWM"))
            except OSError:
                return
            time.sleep(0.05)
    threading.Thread(target=sample, daemon=True).start()
    for t in threads: t.start()
    for t in threads: t.join(120)
    done.set()
    t0 = time.monotonic(); health = request(mon.port, "GET", "/healthz", timeout=5)[0]; health_ms = (time.monotonic() - t0) * 1000
    mon.proc.send_signal(signal.SIGTERM); mon.wait(30)
    codes = {c: results.count(c) for c in sorted(set(results), key=str)}
    print(f"posts: 16 x {len(body) / 1e6:.1f} MB POSTs answered {codes}; peak RSS {peak[0] / 1024:.0f} MiB; "
          f"/healthz after: {health} in {health_ms:.1f} ms")


def row_flood(work, duration=30, clients=10):
    alerts = os.path.join(work, "alerts.jsonl")
    mon = Monitor(work, ["--output", alerts], duration)
    counts = {"accepted": 0, "refused": 0, "posts": 0, "other": 0}
    lock = threading.Lock()
    metrics = [""]
    stop_at = time.monotonic() + duration + 30

    def client(worker):
        for batch in range(100_000):
            if time.monotonic() > stop_at or mon.proc.poll() is not None:
                return
            body = event_list([secret_get(f"s-{worker}-{batch}-{i}") for i in range(100)])
            status, answer = request(mon.port, "POST", "/k8s-audit", body)
            with lock:
                counts["posts"] += 1
                if status == 200:
                    counts["accepted"] += json.loads(answer)["accepted"]
                elif status == 503:
                    counts["refused"] += 1
                elif status is not None:
                    counts["other"] += 1

    def scrape():
        while mon.proc.poll() is None:
            status, text = request(mon.port, "GET", "/metrics", timeout=2)
            if status == 200:
                metrics[0] = text
            time.sleep(0.5)
    threads = [threading.Thread(target=client, args=(w,), daemon=True) for w in range(clients)]
    threading.Thread(target=scrape, daemon=True).start()
    for t in threads: t.start()
    code = mon.wait(duration + 60)
    took = time.monotonic() - mon.started
    for t in threads: t.join(5)
    log = mon.text()
    objs = alerts_in(alerts)
    reads = [a for a in objs if a.get("rule_id") == "k8s-secret-read"]
    judged = sum(a.get("count", 1) for a in reads)
    cause = "k8s_audit/unprocessed_at_stop="
    in_alerts = sum(int(c[len(cause):]) for a in objs if a.get("rule_id") == "internal-event-drop"
                    for c in a.get("output_fields", {}).get("drop.causes", []) if c.startswith(cause))
    summary = next((l for l in log.splitlines() if "stopped:" in l), "")
    m = re.search(re.escape(cause) + r"(\d+)", summary)
    in_summary = int(m.group(1)) if m else 0
    metric = [int(v) for labels, v in re.findall(r'runtime_watch_drops_total\{([^}]*)\} (\d+)', metrics[0])
              if 'unprocessed_at_stop' in labels and 'k8s_audit' in labels]
    print(f"flood: {clients} clients, run --duration {duration}: exit {code} {took - duration:.1f} s after the duration; "
          f"{counts['posts']} posts, {counts['accepted']} items acknowledged, {counts['refused']} batches refused (503), "
          f"{counts['other']} other answers; judged {judged} (in {len(reads)} alert lines), dropped at stop {in_summary} "
          f"(drop alerts {in_alerts}); judged + dropped = acknowledged: {judged + in_summary == counts['accepted']}; "
          f"alert file {os.path.getsize(alerts) / 1e6:.2f} MB; last /metrics scrape (before the stop): "
          f"unprocessed_at_stop {metric or 'not yet counted'}")
    print(f"flood: summary: {summary.strip()}")


def row_slow(work, total=20_000):
    got = [0]
    lock = threading.Lock()

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(0.2)
            with lock:
                got[0] += 1
            self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()

        def log_message(self, *a):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    alerts = os.path.join(work, "alerts.jsonl")
    mon = Monitor(work, ["--output", alerts, "--webhook", f"http://127.0.0.1:{server.server_address[1]}/",
                         "--webhook-drain-seconds", "10"], 40)
    # Distinct users: every item is its own alert (no folding, no flood summary).
    answers = [request(mon.port, "POST", "/k8s-audit", event_list([secret_get(f"n{b}-{i}", user=f"u{b}-{i}") for i in range(500)]))[0]
               for b in range(total // 500)]
    print(f"slow: {total} items posted in batches of 500: answers {dict((c, answers.count(c)) for c in set(answers))}")
    status, metrics = request(mon.port, "GET", "/metrics", timeout=5)
    hung = {k: v for k, v in re.findall(r'(runtime_watch_output_[a-z_]+(?:\{[^}]*\})?) (\d+)', metrics or "")}
    t0 = time.monotonic()
    code = mon.wait(120)
    server.shutdown()
    totals = [l for l in mon.text().splitlines() if "webhook" in l and ("sent" in l or "dropped" in l)]
    print(f"slow: {len(alerts_in(alerts))} alerts written; receiver got {got[0]} POSTs; exit {code} {time.monotonic() - t0:.1f} s after "
          f"the posts; /metrics while the receiver was slow: {hung}")
    for line in totals[-3:]:
        print(f"slow: log: {line.strip()}")


def row_slowloris(work, count=20):
    mon = Monitor(work, ["--output", os.path.join(work, "alerts.jsonl")], 60)
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", mon.port), timeout=30)
        s.sendall(b"POST /k8s-audit HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    t0 = time.monotonic()
    health = [request(mon.port, "GET", "/healthz", timeout=5)[0] for _ in range(5)]
    closed = []
    for s in socks:
        try:
            s.settimeout(max(0.1, 30 - (time.monotonic() - t0)))
            s.recv(1)  # returns b"" (or raises) when the monitor closes it
            closed.append(time.monotonic() - t0)
        except OSError:
            closed.append(time.monotonic() - t0)
        s.close()
    mon.proc.send_signal(signal.SIGTERM); mon.wait(30)
    print(f"slowloris: {count} half-sent headers closed by the monitor after {min(closed):.1f}-{max(closed):.1f} s; "
          f"/healthz meanwhile: {health}")


def row_full(work):
    mon = Monitor(work, ["--output", "/dev/full"], 5)
    status, _ = request(mon.port, "POST", "/k8s-audit", event_list([secret_get(f"full-{i}", user=f"full-{i}") for i in range(5)]))
    code = mon.wait(60)
    err = [l.strip() for l in mon.text().splitlines() if "full" in l.lower() or "failed" in l.lower() or "stopped:" in l]
    print(f"full: run --output /dev/full, 5 alerts posted ({status}): exit {code}; log: {err[-3:]}")


ROWS = {"posts": row_posts, "flood": row_flood, "slow": row_slow, "slowloris": row_slowloris, "full": row_full}


def main():
    if os.geteuid() != 0:
        sys.exit("hostile-http: run as root (runtime-watch run needs it)")
    names = sys.argv[1:] or list(ROWS)
    for name in names:
        if name not in ROWS:
            sys.exit(f"hostile-http: unknown row {name}; rows: {', '.join(ROWS)}")
    for name in names:
        work = tempfile.mkdtemp(prefix=f"rw-hostile-{name}-")
        try:
            ROWS[name](work)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
