// SPDX-License-Identifier: Apache-2.0
// Live capture of outbound connect(2) calls through netlink audit, without eBPF: one keyed
// syscall-exit rule, records read from the read-only multicast group (coexists with auditd), and
// everything it changed undone on stop. Sees every connect syscall, including ones that live for
// microseconds and non-blocking ones (result EINPROGRESS).
//
// Kernel behaviour to know (kernel/auditsc.c, audit_alloc): a task only gets an audit context if
// audit had ever been enabled when it was forked. Processes started before audit was first enabled
// since boot are NOT audited; boot with `audit=1` (or start runtime-watch before workloads) to cover
// them. Without auditd the kernel also prints records to the kernel log (rate-limited).

import Foundation
import RuntimeWatchCore
import RuntimeWatchSystem
import Synchronization

/// What the capture saw and lost so far.
public struct ConnectCaptureStatistics: Sendable, Hashable {
    public var events: UInt64 = 0
    /// Events the bounded stream had no room for (reported as `.drop` events).
    public var streamDrops: UInt64 = 0
    /// ENOBUFS on the netlink socket: the kernel dropped an unknown number of records for us.
    public var socketOverruns: UInt64 = 0
    /// Records that did not decode (each named in `lastError`).
    public var malformedRecords: UInt64 = 0
    public var lastError: String?
    /// Socket-type probes that found the descriptor gone (proto "unknown").
    public var protocolUnknown: UInt64 = 0
    public var assembler = AuditConnectAssembler.Counters()
}

/// Errors starting the capture.
public enum ConnectCaptureError: Error, Sendable, CustomStringConvertible {
    case alreadyStarted
    case auditLocked
    case unsupportedArchitecture
    case system(SystemError)

    public var description: String {
        switch self {
        case .alreadyStarted: "connect capture: already started"
        case .auditLocked: "connect capture: kernel audit configuration is locked (enabled=2); rules cannot be changed until reboot"
        case .unsupportedArchitecture: "connect capture: no audit connect rule for this architecture"
        case .system(let e): "connect capture: \(e)"
        }
    }
}

/// Captures outbound connects as `Event.connect` records.
///
///     let capture = ConnectCapture()
///     let events = try capture.start()
///     defer { capture.stop() }
///     for await record in events { … }
public final class ConnectCapture: Sendable {
    public struct Configuration: Sendable {
        /// The audit rule key; also marks our rule for cleanup after a crash.
        public var key = "runtime-watch"
        /// Where the leases shared by every instance on the host live (nil: assume we are alone).
        /// The audit flags are one kernel state for all instances, and so is the rule for all
        /// instances using the same key: the first one in saves what it found, and only the last
        /// one out deletes the rule (per key) and restores the flags (per host).
        public var leaseDirectory: String? = "/run/runtime-watch"
        /// Most events buffered in the stream before new ones are dropped (and counted).
        public var streamCapacity = 8192
        /// Netlink receive buffer (SO_RCVBUFFORCE).
        public var receiveBufferBytes = 16 << 20
        /// Raise the kernel backlog limit to at least this while capturing (restored on stop).
        public var minimumBacklogLimit: UInt32 = 8192
        /// Ask the kernel the socket type of `a0` (pidfd_getfd + SO_TYPE) to tell UDP from TCP.
        public var probeSocketType = true
        /// Open /proc/<pid> directories of connecting processes, shared with the other sources
        /// (nil: the capture keeps one of its own).
        public var directories: ProcDirectoryCache?
        /// Longest a connect waits in the capture queue before the drive loop is woken for it (zero:
        /// woken for every connect; see `DeferredHandOff`). Waking it per connect cost a connect storm
        /// more CPU than judging it (BENCHMARKS section 22); this adds at most this much to an alert.
        public var handOffWindow: Duration = .milliseconds(1)
        /// Shortest time between two wakes of the connect thread while connects keep coming faster
        /// than one per half of it (zero: a wake for whatever arrives; see `WakeSpacing`). One wake
        /// per connect cost a steady 4,000 connects a second more than reading them (BENCHMARKS
        /// section 24); this delays a connect's read from /proc, and its alert, by at most this
        /// much, and only under such a stream.
        public var wakeInterval: Duration = .milliseconds(1)
        public init() {}
    }

    private struct Running {
        var readlog: AuditReadlogSocket
        var restoreEnabled: UInt32?
        var restoreBacklog: UInt32?
        var leases: Leases?
    }

    /// This instance's leases: on the host-wide audit flags and on its rule key.
    private struct Leases: ExclusiveStep {
        var flags: SharedLease
        var rule: SharedLease

        init(directory: String, key: String) throws(SystemError) {
            flags = try SharedLease(path: directory + "/" + SavedAuditFlags.leaseFile)
            do { rule = try SharedLease(path: ConnectCapture.ruleLeasePath(directory: directory, key: key)) }
            catch { flags.release(); throw error }
        }

        /// Runs `body` with both leases held exclusively, always in the same order (no deadlock).
        func exclusively<T>(_ body: () throws -> T) throws -> T {
            try flags.exclusively { try rule.exclusively(body) }
        }

        func release() { rule.release(); flags.release() }
    }

    /// The lease file instances using rule key `key` hold, in `directory`.
    static func ruleLeasePath(directory: String, key: String) -> String {
        directory + "/connect-rule-" + key.filter { $0.isLetter || $0.isNumber || $0 == "-" } + ".lease"
    }

    private struct State {
        var running: Running?
        var leaseProblem: String?
        var stopRequested = false
        var statistics = ConnectCaptureStatistics()
    }

    public let configuration: Configuration
    private let state = Mutex(State())
    private let finished = Mutex<Bool>(false)

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    deinit { stop() }

    public var statistics: ConnectCaptureStatistics { state.withLock { $0.statistics } }

    /// Why this capture could not take its shared leases (then it acts as the only instance), or nil.
    public var leaseProblem: String? { state.withLock { $0.leaseProblem } }

    /// Starts capture used on its own (tests, benchmarks): the events come through the returned
    /// stream (enriched, with `.drop` events for losses), which ends after `stop()`.
    public func start() throws(ConnectCaptureError) -> AsyncStream<EventRecord> {
        let queue = CaptureQueue(capacity: configuration.streamCapacity)
        do throws(ConnectCaptureError) { try start(outlet: CaptureOutlet(queue: queue, source: CaptureSource.connect), ownsQueue: true) } catch {
            queue.finish()
            throw error
        }
        return queue.records()
    }

    /// Installs the rule (deleting a stale one of ours first), enables audit if it was off, and
    /// starts reading; each connect goes to `outlet` with what /proc says of its process
    /// (`ConnectEnrichment`).
    /// - Parameter ownsQueue: end the outlet's queue when the reader stops (capture used on its own).
    /// - Throws: `ConnectCaptureError` (nothing stays installed when it throws).
    public func start(outlet: CaptureOutlet, ownsQueue: Bool = false) throws(ConnectCaptureError) {
        guard AuditNetlinkControl.connectSyscallNumber != nil else { throw .unsupportedArchitecture }
        guard state.withLock({ $0.running == nil }) else { throw .alreadyStarted }
        let key = configuration.key
        let readlog: AuditReadlogSocket
        let control: AuditNetlinkControl
        do {
            // Join the group before the rule exists, so the first audited connect is not missed.
            readlog = try AuditReadlogSocket(receiveBufferBytes: configuration.receiveBufferBytes)
            control = try AuditNetlinkControl()
        } catch { throw .system(error) }
        defer { control.close() }

        // Without a writable lease directory (a read-only root in a pod, which is alone on its node
        // anyway) capture runs as if it were the only instance, and says so.
        var leases: Leases?
        if let directory = configuration.leaseDirectory {
            do { leases = try Leases(directory: directory, key: key) } catch {
                state.withLock { $0.leaseProblem = "\(directory): \(error); assuming no other runtime-watch shares kernel audit" }
            }
        }
        var restoreEnabled: UInt32?, restoreBacklog: UInt32?
        var sharedRule = false
        do {
            try leases.exclusivelyIfHeld {
                let status = try control.status()
                if status.enabled == 2 { throw ConnectCaptureError.auditLocked }
                if try leases?.rule.othersHold() == true {
                    sharedRule = true
                    try control.addConnectRule(key: key)   // another instance's rule, shared as it is
                } else {
                    try control.deleteConnectRule(key: key)   // left over from a crashed run
                    try control.addConnectRule(key: key)
                }
                // Another instance already enabled audit and saved what it found: leave the flags.
                guard try leases?.flags.othersHold() != true else { return }
                let changed = try SavedAuditFlags.turnOn(control, found: status, minimumBacklog: configuration.minimumBacklogLimit,
                                                         savingIn: leases?.flags)
                restoreEnabled = changed.enabled
                restoreBacklog = changed.backlog
            }
        } catch {
            Self.undo(control: control, key: sharedRule ? nil : key, restoreEnabled: restoreEnabled, restoreBacklog: restoreBacklog)
            leases?.release()
            readlog.close()
            if let e = error as? ConnectCaptureError { throw e }
            throw .system(error as! SystemError)
        }

        let thread = Thread { [self] in readLoop(readlog: readlog, outlet: outlet, ownsQueue: ownsQueue) }
        thread.name = "connect-capture"
        state.withLock {
            $0.running = Running(readlog: readlog, restoreEnabled: restoreEnabled, restoreBacklog: restoreBacklog, leases: leases)
            $0.stopRequested = false
        }
        finished.withLock { $0 = false }
        thread.start()
    }

    /// Stops reading, deletes the rule and restores the audit flags this capture changed.
    /// Idempotent; waits at most ~2 s for the reader thread.
    public func stop() {
        guard let running = state.withLock({ s -> Running? in
            s.stopRequested = true
            defer { s.running = nil }
            return s.running
        }) else { return }
        let deadline = ContinuousClock.now + .seconds(2)
        while !finished.withLock({ $0 }), ContinuousClock.now < deadline { usleep(5_000) }
        if let control = try? AuditNetlinkControl() {
            if let leases = running.leases {
                // The last holder of the key deletes the rule; the last instance restores the flags
                // the first one found. Others leave both in place.
                _ = try? leases.exclusively {
                    if try !leases.rule.othersHold() { _ = try? control.deleteConnectRule(key: configuration.key) }
                    try SavedAuditFlags.restoreIfLast(leases.flags, using: control)
                }
                leases.release()
            } else {
                Self.undo(control: control, key: configuration.key,
                          restoreEnabled: running.restoreEnabled, restoreBacklog: running.restoreBacklog)
            }
            control.close()
        } else {
            running.leases?.release()
        }
        if finished.withLock({ $0 }) { running.readlog.close() }
    }

    private static func undo(control: AuditNetlinkControl, key: String?, restoreEnabled: UInt32?, restoreBacklog: UInt32?) {
        if let key { _ = try? control.deleteConnectRule(key: key) }
        SavedAuditFlags(enabled: restoreEnabled, backlog: restoreBacklog).restore(using: control)
    }

    // MARK: - Reader

    private func readLoop(readlog: AuditReadlogSocket, outlet: CaptureOutlet, ownsQueue: Bool) {
        // Named so its CPU time can be read from /proc/self/task/*/comm (benchmarks, top -H).
        setCurrentThreadName("connect-capture")
        let nativeConnect = AuditNetlinkControl.nativeArchHex.flatMap { arch in
            AuditNetlinkControl.connectSyscallNumber.map { (arch: arch, syscall: String($0)) }
        }
        var assembler = AuditConnectAssembler(key: configuration.key, connect: nativeConnect)
        var enrichment = ConnectEnrichment()
        let socketTypes = SocketTypeProbe()
        if let directories = configuration.directories { enrichment.directories = directories }
        defer {
            if ownsQueue { outlet.queue.finish() }
            finished.withLock { $0 = true }
        }
        // Losses: an overrun (ENOBUFS) says records were lost but not how many; the audit serials
        // say how many events: every audit event of the node is multicast to this socket, numbered
        // by one counter, so a serial that never came is an event lost to us (a connect, or any
        // other audit event the node logged at the time). Reported as one drop per burst of loss.
        var serials = SequenceGapTracker()
        var loss = LossAccounting(delayNanoseconds: Self.lossReportDelay.wholeNanoseconds, source: CaptureSource.connect,
                                  numbering: "audit event serial numbers (connects, or other audit events the node logged)")
        defer { Self.report(&loss, to: outlet) }
        var handOff = DeferredHandOff(window: configuration.handOffWindow, wakesAfterQuiet: true)
        defer { handOff.handOff(to: outlet.queue) }
        var spacing = WakeSpacing(interval: configuration.wakeInterval)
        while !state.withLock({ $0.stopRequested }) {
            let pause = spacing.pauseNanoseconds(now: WallClock.monotonicNanoseconds())
            if pause > 0 { WallClock.sleep(nanoseconds: pause) }
            let connectsWaited = handOff.waitingSince != nil
            guard readlog.waitReadable(timeoutNanoseconds: handOff.sleepNanoseconds(idle: 100_000_000, now: WallClock.monotonicNanoseconds())) else {
                let now = WallClock.monotonicNanoseconds()
                handOff.handOffIfDue(now: now, idle: true, to: outlet.queue)
                // Idle only after a whole idle wait, not a hand-off's short one: a loss report waits
                // that long for the serials that say how many events it took.
                if loss.isDue(now: now, idle: !connectsWaited) { Self.report(&loss, to: outlet) }
                spacing.woke(at: now, events: 0)
                continue
            }
            let wokeAt = WallClock.monotonicNanoseconds()
            var local = ConnectCaptureStatistics()
            var recordsRead = 0
            for _ in 0..<4096 {
                let received: AuditReceiveResult
                do { received = try readlog.receive() } catch {
                    local.malformedRecords += 1
                    local.lastError = "\(error)"
                    break
                }
                switch received {
                case .empty:
                    break
                case .overrun:
                    local.socketOverruns += 1
                    loss.overflow(now: WallClock.monotonicNanoseconds())
                    continue
                case .record(let raw):
                    recordsRead += 1
                    let step: AuditConnectAssembler.Step
                    do { step = try assembler.consume(type: raw.type, text: raw.text) } catch {
                        local.malformedRecords += 1
                        local.lastError = error.description
                        continue
                    }
                    // The serial is the kernel's 32-bit counter (printed %u): it wraps, as the tracker expects.
                    let serialStep = serials.record(cpu: 0, sequence: UInt32(truncatingIfNeeded: step.serial))
                    if serialStep.skipped > 0 { loss.gap(serialStep.skipped, now: WallClock.monotonicNanoseconds()) }
                    if serialStep.arrivedLate { _ = loss.arrivedLate() }
                    if let error = step.error {
                        local.malformedRecords += 1
                        local.lastError = error.description
                    }
                    guard let observation = step.observation else { continue }
                    let record = EventRecord(timestamp: observation.timestampNanoseconds,
                                             event: .connect(makeEvent(observation, socketTypes: socketTypes, statistics: &local)))
                    let wake = handOff.wakesFor(recordAt: WallClock.monotonicNanoseconds())
                    if enrichment.deliver(record, to: outlet, wake: wake, reportedExe: observation.executable) { local.events += 1 } else { local.streamDrops += 1 }
                    continue
                }
                break
            }
            let now = WallClock.monotonicNanoseconds()
            handOff.handOffIfDue(now: now, idle: false, to: outlet.queue)
            if loss.isDue(now: now, idle: recordsRead == 0) { Self.report(&loss, to: outlet) }
            spacing.woke(at: wokeAt, events: Int(local.events))
            let counters = assembler.counters
            state.withLock { s in
                s.statistics.events += local.events
                s.statistics.streamDrops += local.streamDrops
                s.statistics.socketOverruns += local.socketOverruns
                s.statistics.malformedRecords += local.malformedRecords
                s.statistics.protocolUnknown += local.protocolUnknown
                if let e = local.lastError { s.statistics.lastError = e }
                s.statistics.assembler = counters
            }
        }
    }

    /// How long a loss waits for the serials after it to show how many events it took.
    static let lossReportDelay: Duration = .milliseconds(250)

    /// Sends what `loss` has pending as one drop event.
    private static func report(_ loss: inout LossAccounting, to outlet: CaptureOutlet) {
        guard let drop = loss.takeReport() else { return }
        outlet.lose(drop.count, cause: drop.cause ?? "sequence_gap", reason: drop.reason, time: WallClock.nowNanoseconds())
    }

    /// Whether connect(2) returning `result` (an errno, 0 for success) already says the socket is a
    /// stream: a datagram socket's connect only records the peer, so it never waits for a handshake
    /// (EINPROGRESS, EALREADY), is never refused or timed out (the ICMP errors reach a later send) and
    /// is never "already connected". Such a connect needs no probe of the socket (three system calls,
    /// and the last close of a socket its process had already closed); a probe of a blocking
    /// client that exited at once said "unknown", where its result says "tcp".
    static func onlyStreamsReturn(_ result: Int32) -> Bool {
        switch result {
        case EINPROGRESS, EALREADY, ECONNREFUSED, ETIMEDOUT, EISCONN: true
        default: false
        }
    }

    private func makeEvent(_ o: AuditConnectObservation, socketTypes: SocketTypeProbe,
                           statistics: inout ConnectCaptureStatistics) -> ConnectEvent {
        // Audit's connect record does not say the socket's type: it is asked of the socket itself,
        // which a short-lived UDP sender (connect, send, close) may have closed already.
        var proto = "tcp"
        if configuration.probeSocketType, !Self.onlyStreamsReturn(o.result), let fd = o.descriptor {
            switch socketTypes.type(pid: o.pid, descriptor: fd) {
            case 2?: proto = "udp"       // SOCK_DGRAM
            case 1?: proto = "tcp"       // SOCK_STREAM
            case nil:
                proto = "unknown"
                statistics.protocolUnknown += 1
            default: break               // SOCK_RAW/SEQPACKET: report as tcp, the documented default
            }
        }
        return ConnectEvent(pid: ProcessID(o.pid), proto: proto, localAddress: nil, localPort: nil,
                            remoteAddress: o.address, remotePort: o.port, result: o.result, process: nil)
    }
}
