// SPDX-License-Identifier: Apache-2.0
// Benchmark driver for live capture (bench/exec-storm.sh): runs ProcessCapture while it spawns an
// exec storm of /bin/true from 1..N worker threads, then reports how many of the storm's execs
// capture saw, how many carried argv and cgroup (the /proc race), and what was lost where.
// Not a test: numbers depend on the machine; run it by hand and record the command with them.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import RuntimeWatchSystem

struct Options {
    var count = 10_000
    var workers = 1
    var settleMilliseconds = 1000
    var receiveBuffer = 8 << 20
    var marker = "rw-storm-\(getpid())"
    var nice: Int32?
    var audit = false

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 1
        func value() -> String {
            i += 1
            guard i < args.count else { fatalError("missing value for \(args[i - 1])") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--count": o.count = min(100_000, max(1, Int(value()) ?? o.count))
            case "--workers": o.workers = min(8, max(1, Int(value()) ?? o.workers))
            case "--settle-ms": o.settleMilliseconds = min(10_000, max(0, Int(value()) ?? o.settleMilliseconds))
            case "--receive-buffer": o.receiveBuffer = max(0, Int(value()) ?? o.receiveBuffer)
            case "--marker": o.marker = value()
            case "--nice": o.nice = Int32(value())
            case "--audit": o.audit = true
            default:
                FileHandle.standardError.write(Data("usage: rw-capture-bench [--count N<=100000] [--workers 1..8] [--settle-ms MS] [--receive-buffer BYTES] [--marker STR] [--nice N] [--audit]\n".utf8))
                exit(2)
            }
            i += 1
        }
        return o
    }
}

/// Exec events seen during the run, by pid (thread-safe).
final class ExecLog: @unchecked Sendable {
    private let lock = NSLock()
    private var execs: [Int32: RuntimeWatchCore.ProcessInfo] = [:]
    func add(_ p: RuntimeWatchCore.ProcessInfo) { lock.withLock { execs[p.pid.rawValue] = p } }
    var all: [Int32: RuntimeWatchCore.ProcessInfo] { lock.withLock { execs } }
}

/// Spawns `count` /bin/true from `workers` threads, each waiting for its child before the next.
/// Returns the child pids and the elapsed seconds.
/// Pids spawned by the storm workers (thread-safe).
final class PIDList: @unchecked Sendable {
    private let lock = NSLock()
    private var pids: [Int32] = []
    func add(_ more: [Int32]) { lock.withLock { pids.append(contentsOf: more) } }
    var all: [Int32] { lock.withLock { pids } }
}

func storm(count: Int, workers: Int, marker: String) -> (pids: [Int32], seconds: Double) {
    let pids = PIDList()
    let group = DispatchGroup()
    let start = Date()
    for w in 0..<workers {
        let share = count / workers + (w < count % workers ? 1 : 0)
        group.enter()
        Thread {
            var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), strdup(marker), nil]
            defer { for p in argv { free(p) } }
            var mine: [Int32] = []
            mine.reserveCapacity(share)
            for _ in 0..<share {
                var pid: pid_t = 0
                guard posix_spawn(&pid, "/bin/true", nil, nil, &argv, environ) == 0 else { continue }
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                mine.append(pid)
            }
            pids.add(mine)
            group.leave()
        }.start()
    }
    group.wait()
    return (pids.all, Date().timeIntervalSince(start))
}

/// Stretch evaluation: argv of execs from kernel audit EXECVE records (read-only listener; the
/// script enables audit and an execve rule for the run). pid → argv, thread-safe.
final class AuditArgv: @unchecked Sendable {
    private let lock = NSLock()
    private var argv: [Int32: [String]] = [:]
    private var stop = false
    private(set) var overflows = 0
    private(set) var records = 0
    private let done = DispatchSemaphore(value: 0)

    func start() throws {
        let log = try AuditReadlogSocket(receiveBufferBytes: 32 << 20)
        Thread { [self] in
            _ = try? ThreadPriority.setCurrentThreadNice(-10)
            var joiner = AuditExecveJoiner()
            while !lock.withLock({ stop }) {
                guard log.waitReadable(timeoutNanoseconds: 100_000_000) else { continue }
                switch try? log.receive() {
                case .record(let record)?:
                    lock.withLock { records += 1 }
                    if let (pid, args) = joiner.add(type: record.type, text: record.text) { lock.withLock { argv[pid] = args } }
                case .overrun?: lock.withLock { overflows += 1 }
                default: break
                }
            }
            log.close()
            done.signal()
        }.start()
    }

    func finish() -> [Int32: [String]] {
        lock.withLock { stop = true }
        done.wait()
        return lock.withLock { argv }
    }
}

func percent(_ n: Int, _ of: Int) -> String { of == 0 ? "-" : String(format: "%.1f%%", 100 * Double(n) / Double(of)) }

/// `rw-capture-bench synthesize N LIVE PATH`: writes the deterministic synthetic trace
/// (SyntheticTrace: N events, at most LIVE processes alive at once) for replay measurements.
func synthesize(_ args: [String]) -> Never {
    guard args.count == 5, let count = Int(args[2]), let live = Int(args[3]), (1...10_000_000).contains(count) else {
        FileHandle.standardError.write(Data("usage: rw-capture-bench synthesize N(<=10000000) LIVE PATH\n".utf8))
        exit(2)
    }
    do {
        let writer = try TraceWriter(path: args[4], header: TraceHeader(hostname: "synthetic", kernel: "synthetic", start: 1_714_564_800_000_000_000))
        for record in SyntheticTrace(count: count, liveProcesses: live) { try writer.write(record) }
        try writer.close()
    } catch {
        FileHandle.standardError.write(Data("rw-capture-bench: \(error)\n".utf8))
        exit(1)
    }
    exit(0)
}

/// `rw-capture-bench audit-listen MARKER`: listens to kernel audit (read-only multicast) until its
/// stdin closes, joining SYSCALL and EXECVE records into argv as the monitor would if it took argv
/// from audit, then prints the records read, the execs joined and how many were `/bin/true MARKER`
/// (the storm's; bench/audit-execve-cost.py measures its CPU and the node's).
func auditListen(_ args: [String]) -> Never {
    guard args.count == 3 else {
        FileHandle.standardError.write(Data("usage: rw-capture-bench audit-listen MARKER (stops when stdin closes)\n".utf8))
        exit(2)
    }
    let audit = AuditArgv()
    do {
        try audit.start()
    } catch {
        FileHandle.standardError.write(Data("rw-capture-bench: cannot listen to audit: \(error)\n".utf8))
        exit(1)
    }
    FileHandle.standardOutput.write(Data("listening\n".utf8))   // unbuffered: the caller waits for it
    while readLine() != nil {}
    let argv = audit.finish()
    let marked = argv.values.filter { $0 == ["/bin/true", args[2]] }.count
    print("audit-listen: records \(audit.records), execs joined \(argv.count), with the marker \(marked), overflows \(audit.overflows)")
    exit(0)
}

if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "synthesize" { synthesize(CommandLine.arguments) }
if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "audit-listen" { auditListen(CommandLine.arguments) }
let options = Options.parse(CommandLine.arguments)
var configuration = ProcessCapture.Configuration()
configuration.snapshotAtStart = false
configuration.receiveBufferBytes = options.receiveBuffer
if let nice = options.nice { configuration.receiveThreadNice = nice }
let capture = ProcessCapture(configuration: configuration)
let log = ExecLog()
let consumer = Task.detached {
    for await record in capture.events {
        if case .exec(let p) = record.event { log.add(p) }
    }
}
do {
    try capture.start()
} catch {
    FileHandle.standardError.write(Data("rw-capture-bench: cannot start capture: \(error)\n".utf8))
    exit(1)
}
let audit = options.audit ? AuditArgv() : nil
do {
    try audit?.start()
} catch {
    FileHandle.standardError.write(Data("rw-capture-bench: cannot listen to audit: \(error)\n".utf8))
    exit(1)
}
usleep(300_000)
let (pids, seconds) = storm(count: options.count, workers: options.workers, marker: options.marker)
usleep(useconds_t(options.settleMilliseconds) * 1000)
capture.stop()
_ = await consumer.value
let auditArgv = audit?.finish()

let seen = log.all
let stormExecs = pids.compactMap { seen[$0] }
let withArgv = stormExecs.filter { $0.argv == ["/bin/true", options.marker] }.count
let withCgroup = stormExecs.filter { $0.cgroup != nil }.count
let withExe = stormExecs.filter { $0.exe != nil }.count
let complete = stormExecs.filter { $0.source == "proc" }.count
let partial = stormExecs.filter { $0.source == "partial" }.count
let inherited = stormExecs.filter { $0.source == "inherited" }.count
let stats = capture.counters.snapshot()
print("storm: \(pids.count) execs of /bin/true by \(options.workers) worker(s), capture thread nice \(configuration.receiveThreadNice.map(String.init) ?? "inherited") in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", Double(pids.count) / seconds)) exec/s (marker \(options.marker))")
print("capture: exec events for storm pids \(stormExecs.count)/\(pids.count) (\(percent(stormExecs.count, pids.count)))")
print("  with argv \(withArgv) (\(percent(withArgv, pids.count))), cgroup \(withCgroup) (\(percent(withCgroup, pids.count))), exe \(withExe) (\(percent(withExe, pids.count)))")
print("  /proc read of storm execs: complete \(complete), partial \(partial), vanished \(inherited)")
print("loss: overflows(ENOBUFS) \(stats.overflows), events lost by sequence gap \(stats.sequenceGapEvents) (arrived late after all: \(stats.lateEvents)), drops \(stats.dropsByCause), resyncs \(stats.resyncs), malformed \(stats.malformedDatagrams)")
print("all events: \(stats.eventsByKind.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); thread events filtered \(stats.threadEventsFiltered)")
if let auditArgv, let audit {
    let expected = ["/bin/true", options.marker]
    let fromAudit = pids.filter { auditArgv[$0] == expected }.count
    let either = pids.filter { auditArgv[$0] == expected || seen[$0]?.argv == expected }.count
    print("audit (stretch): EXECVE argv for storm pids \(fromAudit) (\(percent(fromAudit, pids.count))); capture argv alone \(withArgv) (\(percent(withArgv, pids.count))); capture or audit \(either) (\(percent(either, pids.count))); audit records \(audit.records), audit overflows \(audit.overflows)")
}
