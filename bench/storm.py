#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Whole-system storms against the real `runtime-watch run` (release build): exec, connect and
# token-open storms, and the memory figure with N live processes. Prints one table row per run:
# events generated vs captured, argv and container (cgroup) captured, drops, the monitor's CPU
# seconds per 10,000 events (utime+stime delta from /proc/<pid>/stat), its thread switches per event
# (every thread's ctxt_switches), its peak RSS (VmHWM), and for storms that raise alerts the
# p50/p99 latency from the event's time to the alert line arriving on the monitor's stdout (stamped
# here with time.time_ns()). The exec storm also runs forkstat side by side and reports its count,
# argv right and CPU per 10,000.
# Bounded: counts are capped, every child is killed after --time-limit seconds, and every process
# this script starts (monitor, forkstat, storm, sleepers) is killed on exit.
# Usage: sudo bench/storm.py MODE [--count N] [--workers W] [--rate R] [--fold-window S] [--nonblocking] [--header]
#   MODE: exec | connect | token | live     RUNTIME_WATCH=path (default: release build)
import argparse, json, os, signal, socket, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")
COLUMNS = ["mode", "workers", "rate/s", "generated", "captured", "argv ok", "cgroup ok", "drops",
           "cpu s/10k", "switches/event", "peak RSS MiB", "alerts", "p50 ms", "p99 ms", "forkstat seen", "fs argv ok", "fs cpu s/10k"]


def cpu_seconds(pid):
    """utime+stime of pid in seconds (fields 14 and 15 of /proc/<pid>/stat; comm may hold spaces)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def switches(pid):
    """Thread switches of every thread of pid so far (voluntary and involuntary ctxt_switches)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return total


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def rfc3339_ns(text):
    """'2026-11-22T13:45:01.123456789Z' → ns since the epoch."""
    import calendar
    date, frac = text.rstrip("Z").split(".") if "." in text else (text.rstrip("Z"), "0")
    seconds = calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1_000_000_000 + int(frac.ljust(9, "0")[:9])


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Monitor:
    """`runtime-watch run` with alerts on a pipe read by a thread that stamps each line."""

    def __init__(self, binary, workdir, extra, time_limit, fold_window=0):
        self.trace = os.path.join(workdir, "trace.jsonl")
        profile = os.path.join(workdir, "bench-profile.yaml")
        # Unfolded by default (--fold-window 0): every alert is written, so each event's latency
        # counts. With the default profile's window (60 s) repeats of one alert fold into one line,
        # which is what a node pays for a storm of the same alert.
        with open(profile, "w") as f:
            f.write(f"version: 1\nsettings:\n  fold_window_seconds: {fold_window:g}\n")
        self.stderr = open(os.path.join(workdir, "monitor.log"), "w+")
        self.proc = subprocess.Popen([binary, "run", "--listen", "off", "--record", self.trace, "--profile", profile,
                                      "--duration", str(time_limit)] + extra,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        deadline = time.time() + 30
        while time.time() < deadline:
            self.stderr.seek(0)
            if "monitoring" in self.stderr.read():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        self.stderr.seek(0)
        sys.exit("storm.py: runtime-watch did not start:\n" + self.stderr.read())

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.time_ns(), line))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)

    def latencies_ms(self):
        out = []
        for arrived, line in self.lines:
            try:
                out.append((arrived - rfc3339_ns(json.loads(line)["time"])) / 1e6)
            except (ValueError, KeyError):
                pass
        return out

    def records(self):
        with open(self.trace) as f:
            for line in f:
                record = json.loads(line)
                if "ts" in record:
                    yield record


def build(args):
    binary = os.environ.get("RUNTIME_WATCH")
    if not binary:
        subprocess.run(["swift", "build", "-c", "release", "--product", "runtime-watch"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        out = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
        binary = os.path.join(out, "runtime-watch")
    return binary


def compile_execstorm(workdir):
    exe = os.path.join(workdir, "execstorm")
    subprocess.run(["gcc", "-O2", "-pthread", "-o", exe, os.path.join(ROOT, "bench", "execstorm.c")], check=True)
    return exe


def compile_linger(workdir, lifetime_ms):
    exe = os.path.join(workdir, f"linger{lifetime_ms}ms")
    subprocess.run(["gcc", "-O2", f"-DLIFETIME_US={lifetime_ms * 1000}", "-o", exe, os.path.join(ROOT, "bench", "linger.c")], check=True)
    return exe


def run_exec(args, binary, workdir, row):
    storm = compile_execstorm(workdir)
    marker = f"rw-storm-{os.getpid()}"
    # --lifetime-ms: children live at least that long (bench/linger.c) instead of /bin/true's < 1 ms.
    program = compile_linger(workdir, args.lifetime_ms) if args.lifetime_ms else "/bin/true"
    program_args = ["--program", program] if args.lifetime_ms else []
    monitor = Monitor(binary, workdir, ["--no-token-watch", "--no-connect-watch"], args.time_limit)
    forkstat_out = open(os.path.join(workdir, "forkstat.txt"), "w")
    forkstat = subprocess.Popen(["forkstat", "-e", "exec"], stdout=forkstat_out, stderr=subprocess.DEVNULL)
    time.sleep(1)
    cpu0, fcpu0, sw0 = cpu_seconds(monitor.proc.pid), cpu_seconds(forkstat.pid), switches(monitor.proc.pid)
    storm_proc = subprocess.Popen([storm, str(args.count), str(args.workers), str(args.rate), marker] + program_args,
                                  stdout=subprocess.PIPE, text=True)
    try:
        result = storm_proc.communicate(timeout=args.time_limit)[0].split()
    finally:
        if storm_proc.poll() is None:
            storm_proc.kill()
    time.sleep(2)  # let both drain
    cpu1, fcpu1, sw1 = cpu_seconds(monitor.proc.pid), cpu_seconds(forkstat.pid), switches(monitor.proc.pid)
    row["peak RSS MiB"] = f"{status_kib(monitor.proc.pid, 'VmHWM') / 1024:.1f}"
    forkstat.send_signal(signal.SIGINT)
    forkstat.wait(10)
    forkstat_out.close()
    monitor.stop()
    spawned, seconds = int(result[0]), float(result[1])
    # The storm's children are the processes its pid forked: their exec events are the storm's.
    execs, argv_ok, cgroup_ok, drops, reasons = 0, 0, 0, 0, set()
    # A child's cgroup is right when it is the storm's own (inherited at fork): a cgroup read that
    # came back as something else (an exiting task shows "/" in cgroup v1 lines) is not counted.
    storm_cgroup = next((r.get("cgroup") for r in monitor.records() if r["type"] == "exec" and r["pid"] == storm_proc.pid), None)
    # Two passes: the two proc connector sockets may deliver a child's exec before its fork.
    children = {r["child"] for r in monitor.records() if r["type"] == "fork" and r["parent"] == storm_proc.pid}
    for r in monitor.records():
        if r["type"] == "exec" and r["pid"] in children:
            execs += 1
            argv_ok += r.get("argv") == [program, marker]
            cgroup_ok += r.get("cgroup") is not None and r.get("cgroup") == storm_cgroup
        elif r["type"] == "drop":
            drops += r["count"]
            reasons.add(f'{r["source"]}: {r["reason"]}')
    with open(os.path.join(workdir, "forkstat.txt"), errors="replace") as f:
        fs_lines = [l for l in f if " exec " in l]
    fs_argv = sum(1 for l in fs_lines if f"{program} {marker}" in l)
    fs_true = sum(1 for l in fs_lines if f"{program} {marker}" in l or "<unknown>" in l)
    mode = f"exec {args.lifetime_ms} ms" if args.lifetime_ms else "exec"
    row.update({"mode": mode, "rate/s": f"{args.rate or 'top'} ({spawned / seconds:.0f})", "generated": spawned, "captured": f"{execs} (forks {len(children)})",
                "argv ok": f"{argv_ok} ({100 * argv_ok / spawned:.1f}%)", "cgroup ok": f"{cgroup_ok} ({100 * cgroup_ok / spawned:.1f}%)",
                "drops": with_reasons(drops, reasons),
                "cpu s/10k": f"{(cpu1 - cpu0) / spawned * 10000:.2f}", "switches/event": f"{(sw1 - sw0) / spawned:.2f}",
                "forkstat seen": f"{fs_true} (all exec lines {len(fs_lines)})",
                "fs argv ok": f"{fs_argv} ({100 * fs_argv / spawned:.1f}%)", "fs cpu s/10k": f"{(fcpu1 - fcpu0) / spawned * 10000:.2f}"})


def paced(count, rate, body):
    start = time.monotonic()
    for i in range(count):
        if rate:
            wait = start + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        body(i)


def loopback_listener(backlog=1024):
    """A listener on 127.0.0.1 that accepts and closes every connection on a thread of its own until
    the returned event is set (a slow connect never ends it). Returns (port, stop event)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                conn.close()
            except OSError:
                pass
        listener.close()
    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1], stop


def run_connect(args, binary, workdir, row):
    port, stop = loopback_listener()
    monitor = Monitor(binary, workdir, ["--no-token-watch"], args.time_limit, args.fold_window)

    def connect(_):
        s = socket.socket()
        if args.nonblocking:
            # What most clients do (curl, Go, Java NIO, nginx): the connect returns EINPROGRESS.
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
        else:
            s.connect(("127.0.0.1", port))
        s.close()
    measure_storm(args, monitor, row, connect, lambda r: r["type"] == "connect" and r.get("remotePort") == port)
    stop.set()


def run_token(args, binary, workdir, row):
    pod = "0b5e7a1c-1111-4222-8333-944455556666"
    vol = os.path.join(workdir, "kubelet/pods", pod, "volumes/kubernetes.io~projected/kube-api-access-bench")
    ts = "..2026_11_22_10_00_00.000000001"
    os.makedirs(os.path.join(vol, ts))
    with open(os.path.join(vol, ts, "token"), "w") as f:
        f.write("eyJhbGciOiJSUzI1NiJ9." + "x" * 600 + ".sig")
    os.symlink(ts, os.path.join(vol, "..data"))
    os.symlink("..data/token", os.path.join(vol, "token"))
    token = os.path.join(vol, "token")
    monitor = Monitor(binary, workdir, ["--no-connect-watch", "--kubelet-root", os.path.join(workdir, "kubelet")], args.time_limit,
                      args.fold_window)

    def read(_):
        with open(token) as f:
            f.read()
    measure_storm(args, monitor, row, read, lambda r: r["type"] == "open" and r.get("path", "").endswith("/token"))


def measure_storm(args, monitor, row, action, is_captured):
    """Runs `action` args.count times (paced) under the started monitor, then stops it and fills
    the row: rate, events captured (`is_captured` picks them from the trace), drops with their
    reasons, the monitor's CPU and thread switches per event, peak RSS and alert latencies."""
    time.sleep(1)
    cpu0, sw0 = cpu_seconds(monitor.proc.pid), switches(monitor.proc.pid)
    t0 = time.monotonic()
    paced(args.count, args.rate, action)
    elapsed = time.monotonic() - t0
    time.sleep(2)   # the monitor's CPU for the storm includes draining what is queued
    cpu1, sw1 = cpu_seconds(monitor.proc.pid), switches(monitor.proc.pid)
    row["peak RSS MiB"] = f"{status_kib(monitor.proc.pid, 'VmHWM') / 1024:.1f}"
    monitor.stop()
    captured = drops = 0
    reasons = set()
    for r in monitor.records():
        if is_captured(r):
            captured += 1
        elif r["type"] == "drop":
            drops += r["count"]
            reasons.add(f'{r["source"]}: {r["reason"]}')
    fill_alerts(monitor, row)
    row.update({"rate/s": f"{args.rate or 'top'} ({args.count / elapsed:.0f})", "generated": args.count, "captured": captured,
                "drops": with_reasons(drops, reasons), "cpu s/10k": f"{(cpu1 - cpu0) / args.count * 10000:.2f}",
                "switches/event": f"{(sw1 - sw0) / args.count:.2f}"})


def run_live(args, binary, workdir, row):
    storm = compile_execstorm(workdir)
    monitor = Monitor(binary, workdir, ["--no-token-watch", "--no-connect-watch"], args.time_limit)
    time.sleep(1)
    rss0 = status_kib(monitor.proc.pid, "VmRSS")
    # The sleepers live 60 s at most and are killed with their session below in any case.
    storm_proc = subprocess.Popen([storm, str(args.count), "1", "0", "live", "--live", "60"],
                                  stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        spawned = int(storm_proc.communicate(timeout=args.time_limit)[0].split()[0])
        time.sleep(3)
        rss = status_kib(monitor.proc.pid, "VmRSS")
        hwm = status_kib(monitor.proc.pid, "VmHWM")
    finally:
        try:
            os.killpg(storm_proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    monitor.stop()
    row.update({"rate/s": "top", "generated": spawned, "captured": sum(1 for r in monitor.records() if r["type"] == "exec"),
                "peak RSS MiB": f"{hwm / 1024:.1f} (RSS {rss / 1024:.1f}, idle {rss0 / 1024:.1f})"})


def with_reasons(drops, reasons):
    """The drop count, and the sources and reasons of the drop events when there were any."""
    return f"{drops} ({'; '.join(sorted(reasons))})" if drops else drops


def fill_alerts(monitor, row):
    latencies = monitor.latencies_ms()
    row["alerts"] = len(monitor.lines)
    if latencies:
        row["p50 ms"] = f"{percentile(latencies, 50):.2f}"
        row["p99 ms"] = f"{percentile(latencies, 99):.2f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["exec", "connect", "token", "live"])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0, help="events per second in all; 0 = as fast as possible")
    parser.add_argument("--time-limit", type=int, default=120)
    parser.add_argument("--lifetime-ms", type=int, default=0,
                        help="exec mode: children live at least this long (bench/linger.c) instead of /bin/true")
    parser.add_argument("--fold-window", type=float, default=0,
                        help="the profile's fold_window_seconds for the connect and token storms (0: every alert written; 60: the default profile's)")
    parser.add_argument("--nonblocking", action="store_true",
                        help="connect mode: non-blocking connects, closed as soon as connect returns (EINPROGRESS)")
    parser.add_argument("--header", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("storm.py: needs root (proc connector, fanotify, audit)")
    if not 1 <= args.count <= 200000:
        sys.exit("storm.py: --count must be 1..200000")
    if args.rate:
        args.rate = int(args.rate)
    binary = build(args)
    row = {c: "-" for c in COLUMNS}
    row.update({"mode": args.mode, "workers": args.workers})
    with tempfile.TemporaryDirectory(prefix="rw-storm-") as workdir:
        {"exec": run_exec, "connect": run_connect, "token": run_token, "live": run_live}[args.mode](args, binary, workdir, row)
    if args.header:
        print("| " + " | ".join(COLUMNS) + " |")
        print("|" + "---|" * len(COLUMNS))
    print("| " + " | ".join(str(row[c]) for c in COLUMNS) + " |", flush=True)


if __name__ == "__main__":
    main()
