#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Soak (issue 19 item 7): one `runtime-watch run` (release build, every source on, the listener on
# loopback) under a fixed mix for MINUTES: execs of /bin/true, loopback connects, service-account
# token opens (a fake kubelet volume under a temp dir) and /k8s-audit POSTs of distinct secret reads.
# Every minute it prints the monitor's RSS and CPU; at the end, drops (from /metrics), and alerts by
# rule against what was generated: every token open and every audit item must alert (folding is off),
# execs and loopback connects raise nothing. RSS must stay flat within 5% from minute 2 on (minute 1
# includes start-up and the first fill of the process table).
# Bounded: rates are fixed, every loop ends with MINUTES, the monitor runs with --duration, and every
# process and temp file it made is removed on exit. Loopback only.
# Usage: sudo bench/soak.sh [MINUTES=10] [EXECS/s=50] [CONNECTS/s=20] [TOKENS/s=20] [AUDIT POSTS/s=5]
import json, os, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request

from storm import build, cpu_seconds, status_kib  # the same monitor binary and /proc readings as the storms

def binary():
    return build(None)


def paced(rate, until, body):
    """Calls body(i) `rate` times a second until `until` (monotonic); returns the count."""
    start, i = time.monotonic(), 0
    while True:
        due = start + i / rate
        if due >= until:
            return i
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        body(i)
        i += 1


def main():
    args = [int(a) for a in sys.argv[1:]]
    minutes, exec_rate, connect_rate, token_rate, post_rate = (args + [10, 50, 20, 20, 5][len(args):])[:5]
    if minutes < 1 or minutes > 120:
        sys.exit("soak: MINUTES must be 1 to 120")
    work = tempfile.mkdtemp(prefix="rw-soak-")
    procs = []
    try:
        # A fake kubelet volume with one token, as the kubelet lays it out.
        vol = os.path.join(work, "kubelet/pods/0b5e7a1c-1111-4222-8333-944455556666/volumes/kubernetes.io~projected/kube-api-access-soak")
        ts = "..2026_12_05_00_00_00.000000001"
        os.makedirs(os.path.join(vol, ts))
        with open(os.path.join(vol, ts, "token"), "w") as f:
            f.write("eyJhbGciOiJSUzI1NiJ9." + "x" * 600 + ".sig")
        os.symlink(ts, os.path.join(vol, "..data"))
        os.symlink("..data/token", os.path.join(vol, "token"))
        token = os.path.join(vol, "token")
        profile = os.path.join(work, "soak.yaml")
        with open(profile, "w") as f:
            f.write("version: 1\nsettings:\n  fold_window_seconds: 0\n")
        listen = socket.socket(); listen.bind(("127.0.0.1", 0)); port = listen.getsockname()[1]; listen.close()
        alerts = os.path.join(work, "alerts.jsonl")
        log = open(os.path.join(work, "monitor.log"), "w+")
        monitor = subprocess.Popen([binary(), "run", "--listen", f"127.0.0.1:{port}", "--profile", profile, "--output", alerts,
                                    "--kubelet-root", os.path.join(work, "kubelet"), "--duration", str(minutes * 60 + 60)],
                                   stdout=subprocess.DEVNULL, stderr=log)
        procs.append(monitor)
        deadline = time.time() + 30
        while "monitoring" not in open(log.name).read():
            if time.time() > deadline or monitor.poll() is not None:
                sys.exit("soak: runtime-watch did not start:\n" + open(log.name).read())
            time.sleep(0.2)

        sink = socket.socket(); sink.bind(("127.0.0.1", 0)); sink.listen(1024); sink_port = sink.getsockname()[1]
        stop = threading.Event()

        def accept():
            sink.settimeout(0.2)
            while not stop.is_set():
                try:
                    c, _ = sink.accept(); c.close()
                except OSError:
                    pass
        threading.Thread(target=accept, daemon=True).start()

        end = time.monotonic() + minutes * 60
        counts = {}

        def do_exec(_):
            subprocess.run(["/bin/true"])

        def do_connect(_):
            s = socket.socket(); s.connect(("127.0.0.1", sink_port)); s.close()

        def do_token(_):
            with open(token) as f:
                f.read()

        def do_post(i):
            items = [{"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata", "auditID": f"soak-{i}-{k}",
                      "stage": "ResponseComplete", "requestURI": f"/api/v1/namespaces/shop/secrets/s-{i}-{k}", "verb": "get",
                      "user": {"username": "mallory"}, "sourceIPs": ["192.0.2.1"],
                      "objectRef": {"resource": "secrets", "namespace": "shop", "name": f"s-{i}-{k}"},
                      "responseStatus": {"code": 200}, "stageTimestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000001Z", time.gmtime())}
                     for k in range(10)]
            body = json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items}).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{port}/k8s-audit", body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                counts["audit items"] = counts.get("audit items", 0) + json.loads(r.read())["accepted"]

        loops = {"execs": (exec_rate, do_exec), "connects": (connect_rate, do_connect), "token opens": (token_rate, do_token),
                 "audit posts": (post_rate, do_post)}
        threads = []
        for name, (rate, body) in loops.items():
            if rate > 0:
                t = threading.Thread(target=lambda n=name, r=rate, b=body: counts.__setitem__(n, paced(r, end, b)), daemon=True)
                t.start(); threads.append(t)
        print(f"# soak: {minutes} min; rates/s: execs {exec_rate}, connects {connect_rate}, token opens {token_rate}, "
              f"audit posts {post_rate} (10 items each); monitor pid {monitor.pid}; {os.cpu_count()} cores; "
              f"load {open('/proc/loadavg').read().split()[:3]}")
        print("minute  VmRSS MiB  CPU s (that minute)")
        rss = []
        cpu_before = cpu_seconds(monitor.pid)
        for minute in range(1, minutes + 1):
            time.sleep(max(0, end - (minutes - minute) * 60 - time.monotonic()))
            r, c = status_kib(monitor.pid, "VmRSS") / 1024, cpu_seconds(monitor.pid)
            rss.append(r)
            print(f"{minute:6d}  {r:9.1f}  {c - cpu_before:8.1f}", flush=True)
            cpu_before = c
        for t in threads:
            t.join(10)
        time.sleep(3)  # let the engine judge what is queued
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        drops = sum(float(l.rsplit(" ", 1)[1]) for l in metrics.splitlines() if l.startswith("runtime_watch_drops_total"))
        hwm = status_kib(monitor.pid, "VmHWM") / 1024
        monitor.send_signal(signal.SIGTERM)
        monitor.wait(60)
        stop.set()
        by_rule = {}
        unexpected = []
        for line in open(alerts):
            alert = json.loads(line)
            rule = alert["rule_id"]
            by_rule[rule] = by_rule.get(rule, 0) + 1
            if rule not in ("service-account-token-read", "k8s-secret-read", "incident"):
                unexpected.append(alert["output"])
        steady = rss[1:] or rss
        spread = (max(steady) - min(steady)) / min(steady) * 100
        print(f"RSS from minute 2: {min(steady):.1f}-{max(steady):.1f} MiB ({spread:.1f}% spread; target within 5%); peak VmHWM {hwm:.1f} MiB")
        print(f"drops (runtime_watch_drops_total): {drops:.0f}")
        print(f"generated: {json.dumps(counts)}")
        print(f"alerts by rule: {json.dumps(by_rule)}")
        expected = {"service-account-token-read": counts.get("token opens", 0), "k8s-secret-read": counts.get("audit items", 0)}
        for rule, n in expected.items():
            print(f"  {rule}: {by_rule.get(rule, 0)} of {n} expected ({'ok' if by_rule.get(rule, 0) == n else 'MISMATCH'})")
        # Other alerts come from whatever else ran on the machine meanwhile: shown, to be judged.
        for output in unexpected[:20]:
            print(f"  other alert: {output}")
        print("last monitor lines:\n" + "".join(open(log.name).readlines()[-2:]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill(); p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
