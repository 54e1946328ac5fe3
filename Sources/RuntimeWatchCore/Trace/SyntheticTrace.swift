// SPDX-License-Identifier: Apache-2.0
// A deterministic synthetic event stream shaped like a busy Kubernetes node (fork/exec/exit-heavy,
// with token opens and connects), for benchmarks and the replay throughput measurement. The same
// seed gives the same events on every machine, so numbers from different runs compare.

/// Generates `EventRecord`s: containers first, then process lifecycles (fork, exec, sometimes
/// comm, a token open or a connect, exit) over a bounded pool of live processes.
///
/// Mix of `SyntheticTrace(count: 1_000_000, liveProcesses: 1000)`, counted from its trace:
/// 29.7% fork, 29.7% exec, 29.6% exit, 5.9% connect, 3.0% comm, 2.1% open, 8 container events.
/// Exec events carry full `ProcessInfo` (argv, cwd, credentials, cgroup, fds 0-2), as live
/// capture writes them.
public struct SyntheticTrace: Sequence, IteratorProtocol {
    /// Events to produce in all.
    public let count: Int
    /// Processes kept alive at once; once reached, each new process makes the oldest exit. With
    /// `count` ≤ 3 × `liveProcesses`, nothing exits (the "N live processes" memory figure).
    public let liveProcesses: Int

    private var rng: SplitMix64
    private var produced = 0
    private var clock: UInt64 = 1_714_564_800_000_000_000
    private var nextPID: Int32 = 1000
    private var live: [Int32] = []
    private var liveHead = 0
    private var pending: [Event] = []
    private var pendingIndex = 0
    private let containers: [ContainerInfo]

    /// - Parameters:
    ///   - count: events in all (the stream stops there, mid-lifecycle if need be).
    ///   - liveProcesses: bound on processes alive at once (at least 1).
    ///   - seed: the stream is a pure function of the three parameters.
    public init(count: Int, liveProcesses: Int = 1000, seed: UInt64 = 0x5EED) {
        self.count = Swift.max(0, count)
        self.liveProcesses = Swift.max(1, liveProcesses)
        self.rng = SplitMix64(seed: seed)
        var containers: [ContainerInfo] = []
        let workloads: [(ns: String, pod: String, name: String, image: String)] = [
            ("kube-system", "coredns-5d78c9869d-x2x7k", "coredns", "registry.k8s.io/coredns/coredns:v1.10.1"),
            ("kube-system", "kube-proxy-7xk2p", "kube-proxy", "registry.k8s.io/kube-proxy:v1.29.2"),
            ("shop", "web-0", "nginx", "docker.io/library/nginx:1.25"),
            ("shop", "web-1", "nginx", "docker.io/library/nginx:1.25"),
            ("shop", "api-6f9c7b5d4-abcde", "api", "ghcr.io/example/api:2.3.1"),
            ("shop", "worker-0", "worker", "ghcr.io/example/worker:2.3.1"),
            ("batch", "report-28461230-q9z8r", "report", "python:3.12-slim"),
            ("monitoring", "node-exporter-4hj2k", "node-exporter", "quay.io/prometheus/node-exporter:v1.7.0"),
        ]
        for (i, w) in workloads.enumerated() {
            let id = String(repeating: String(i, radix: 16), count: 8) + "a7024af7788335df24fc997c9029d29fc820445c40ec3628c9c4a3"
            let podUID = "70ef7566-0545-479b-acae-29359800000\(i)"
            containers.append(ContainerInfo(id: ContainerID(id), runtime: "containerd", podUID: podUID, qosClass: "burstable",
                                            podName: w.pod, namespace: w.ns, containerName: w.name, image: w.image,
                                            entrypoint: ["/entrypoint.sh", w.name], bundle: "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(id)/config.json"))
        }
        self.containers = containers
        pending = containers.map(Event.container)
    }

    public mutating func next() -> EventRecord? {
        guard produced < count else { return nil }
        if pendingIndex == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            makeLifecycle()
        }
        let event = pending[pendingIndex]
        pendingIndex += 1
        produced += 1
        clock += 1000 + rng.next() % 50_000
        return EventRecord(timestamp: clock, event: event)
    }

    /// Queues one process's events: fork from a live parent, exec, extras, and the exit of the
    /// oldest live process when the pool is full.
    private mutating func makeLifecycle() {
        let containerIndex = Int(rng.next() % UInt64(containers.count))
        let container = containers[containerIndex]
        let cgroup = "/kubepods/burstable/pod\(container.podUID ?? "")/\(container.id.rawValue)"
        let parent = live.isEmpty ? 1 : live[liveHead + Int(rng.next() % UInt64(live.count - liveHead))]
        let pid = nextPID
        nextPID = nextPID >= 4_000_000 ? 1000 : nextPID + 1
        pending.append(.fork(ForkEvent(parent: ProcessID(parent), child: ProcessID(pid))))
        let program = Self.programs[Int(rng.next() % UInt64(Self.programs.count))]
        let info = ProcessInfo(
            pid: ProcessID(pid), ppid: ProcessID(parent), comm: String(program.exe.split(separator: "/").last!.prefix(15)),
            exe: program.exe, argv: program.argv + ["--request=\(rng.next() % 100_000)"], cwd: "/srv/app",
            credentials: Credentials(uid: 1000, euid: 1000, gid: 1000, egid: 1000, capEff: 0),
            cgroup: cgroup,
            fds: [DescriptorInfo(fd: 0, kind: .devnull, target: "/dev/null"),
                  DescriptorInfo(fd: 1, kind: .pipe, target: "pipe:[\(40_000 + pid)]", inode: UInt64(40_000 + pid)),
                  DescriptorInfo(fd: 2, kind: .pipe, target: "pipe:[\(40_000 + pid)]", inode: UInt64(40_000 + pid))],
            startTicks: 1_000_000 + UInt64(produced), source: "proc")
        pending.append(.exec(info))
        let roll = rng.next() % 100
        if roll < 10 {
            pending.append(.comm(CommEvent(pid: ProcessID(pid), comm: "worker-\(roll)")))
        } else if roll < 17 {
            let token = "/var/lib/kubelet/pods/\(container.podUID ?? "")/volumes/kubernetes.io~projected/kube-api-access-x/..data/token"
            pending.append(.fileOpen(FileOpenEvent(pid: ProcessID(pid), path: token,
                                                   containerPath: "/var/run/secrets/kubernetes.io/serviceaccount/token")))
        } else if roll < 37 {
            let port: UInt16 = containerIndex < 2 ? 443 : [5432, 6379, 8080, 53][Int(rng.next() % 4)]
            pending.append(.connect(ConnectEvent(pid: ProcessID(pid), proto: "tcp", localAddress: "10.244.1.\(containerIndex + 2)",
                                                 localPort: UInt16(32768 + rng.next() % 28000),
                                                 remoteAddress: "10.96.\(containerIndex).\(1 + rng.next() % 20)", remotePort: port)))
        }
        live.append(pid)
        if live.count - liveHead > liveProcesses {
            let oldest = live[liveHead]
            liveHead += 1
            pending.append(.exit(ExitEvent(pid: ProcessID(oldest), code: 0)))
            // Compact now and then so the pool's storage stays bounded.
            if liveHead > 4096 {
                live.removeFirst(liveHead)
                liveHead = 0
            }
        }
    }

    private static let programs: [(exe: String, argv: [String])] = [
        ("/bin/sh", ["sh", "-c", "/usr/local/bin/healthcheck --quiet"]),
        ("/usr/local/bin/healthcheck", ["healthcheck", "--quiet"]),
        ("/usr/bin/curl", ["curl", "-fsS", "http://localhost:8080/healthz"]),
        ("/usr/sbin/nginx", ["nginx", "-g", "daemon off;"]),
        ("/usr/local/bin/python3.12", ["python3", "/app/report.py", "--since", "1h"]),
        ("/bin/date", ["date", "+%s"]),
        ("/usr/bin/find", ["find", "/tmp", "-mmin", "+60", "-delete"]),
        ("/coredns", ["/coredns", "-conf", "/etc/coredns/Corefile"]),
    ]
}

/// A small, fast, deterministic PRNG (SplitMix64); not for anything secret.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
