// SPDX-License-Identifier: Apache-2.0
// The receive thread's work: snapshot, then receive → map → (read /proc for exec) → emit, with
// loss handling: a gap or ENOBUFS leads, after `resyncDelay`, to one DropEvent carrying the exact
// count from the sequence gaps, then a /proc rescan that snapshots processes not yet known.

import Logging
import RuntimeWatchCore
import RuntimeWatchSystem

/// State confined to the receive thread.
final class CaptureLoop: @unchecked Sendable {
    // @unchecked: created by `start()` and from then on used only by the receive thread.
    private let connector: SplitProcConnector
    private let configuration: ProcessCapture.Configuration
    private let reader: ProcReader
    /// File capabilities of the executables seen, for brief reads (this thread's only).
    private let executables = ExecutableCredentials()
    /// Which cgroups name a container, the last one remembered (this thread's only).
    private let containers = ContainerCgroups()
    private let clock: WallClock
    private let outlet: CaptureOutlet
    /// True when the loop owns its queue (a ProcessCapture used on its own) and ends it.
    private let finishesQueue: Bool
    private let counters: CaptureCounters
    private let logger: Logger?
    private let shouldStop: @Sendable () -> Bool

    private let buffers = ProcReceiveBuffers()

    /// What handling an event reads and changes. As stored properties of this class, each use was a
    /// run-time exclusivity check (`swift_beginAccess`, about 2% of the monitor's CPU in exec storms:
    /// BENCHMARKS section 29); behind a pointer it is not checked. What the checks guard against
    /// cannot happen here: only the receive thread touches this, and no access to a field is held
    /// while another access to it begins.
    private struct LoopState {
        /// Live processes capture has reported (to find the unknown ones on resync), each with
        /// whether its children get full /proc reads (ReadDepthPolicy); a forked child holds its
        /// parent's value until its own exec is read.
        var known: [Int32: Bool] = [:]
        var gaps = SequenceGapTracker()
        /// When the drive loop is woken for the events queued (ProcessCapture Configuration.handOffWindow).
        var handOff: DeferredHandOff
        var loss: LossAccounting
        /// One wake-up's events from each socket, merged, and the exec reads begun ahead: kept
        /// between wake-ups (emptied, storage kept), so receiving allocates nothing per event.
        var execs: [RawProcEvent] = []
        var others: [RawProcEvent] = []
        var merged: [RawProcEvent] = []
        var started: [ProcReadInProgress?] = []
    }
    private let state: UnsafeMutablePointer<LoopState>

    init(connector: SplitProcConnector, configuration: ProcessCapture.Configuration, clock: WallClock,
         outlet: CaptureOutlet, finishesQueue: Bool,
         counters: CaptureCounters, logger: Logger?, shouldStop: @escaping @Sendable () -> Bool) {
        self.connector = connector
        self.configuration = configuration
        self.reader = configuration.reader
        self.clock = clock
        self.outlet = outlet
        self.finishesQueue = finishesQueue
        self.counters = counters
        self.logger = logger
        self.shouldStop = shouldStop
        // Not at once after a quiet spell: a process's fork is often read apart from its exec, and
        // would take a wake of its own.
        state = .allocate(capacity: 1)
        state.initialize(to: LoopState(handOff: DeferredHandOff(window: configuration.handOffWindow, wakesAfterQuiet: false),
                                       loss: LossAccounting(delayNanoseconds: configuration.resyncDelay.wholeNanoseconds)))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    func run() {
        if configuration.snapshotAtStart { scan(onlyUnknown: false) }
        var lastActivity: UInt64 = 0
        var moreQueued = false
        while !shouldStop() {
            // Busy (something arrived within the hand-off window): sleep on the exec socket only,
            // until the window ends; forks, exits and the rest are collected on that wake-up. Idle:
            // sleep on both, so the first event of any kind is seen at once.
            let now = WallClock.monotonicNanoseconds()
            let busy = now &- lastActivity < state.pointee.handOff.window
            if !moreQueued {
                // Wake by the end of the busy window and of the hand-off window, whichever is first.
                var deadline = now &+ configuration.receiveTimeout.wholeNanoseconds
                if busy { deadline = min(deadline, lastActivity &+ state.pointee.handOff.window) }
                deadline = state.pointee.handOff.deadline(deadline)
                let timeout = deadline > now ? deadline - now : 0
                do {
                    _ = try connector.wait(execsOnly: busy, timeoutNanoseconds: timeout)
                } catch {
                    receiveFailed(error)
                    continue
                }
            }
            state.pointee.execs.removeAll(keepingCapacity: true)
            state.pointee.others.removeAll(keepingCapacity: true)
            // Others first: a process's fork is queued before it can exec, so it is taken with it.
            let fromOthers = drain(connector.others, into: &state.pointee.others)
            let fromExecs = drain(connector.execs, into: &state.pointee.execs)
            moreQueued = fromOthers.full || fromExecs.full
            let received = fromOthers.datagrams + fromExecs.datagrams
            if received > 0 {
                SplitProcConnector.mergeInKernelOrder(state.pointee.others, state.pointee.execs, into: &state.pointee.merged)
                process(state.pointee.merged)
            }
            // Taken after processing: the events it emitted are not older than this.
            let after = WallClock.monotonicNanoseconds()
            if received > 0 { lastActivity = after }
            state.pointee.handOff.handOffIfDue(now: after, idle: received == 0, to: outlet.queue)
            if state.pointee.loss.isDue(now: after, idle: received == 0 && state.pointee.handOff.waitingSince == nil) {
                reportLossAndResync()
            }
        }
        reportLossAndResync(scan: false)
        state.pointee.handOff.handOff(to: outlet.queue)
        try? connector.close()
        if finishesQueue { outlet.queue.finish() }
    }

    // MARK: Events

    /// Most datagrams taken from one socket per wake-up; bounds the time before the first of them is
    /// emitted. A drain that stops at the limit is followed at once by another, without waiting.
    private static let drainLimit = 256

    /// Takes the datagrams already queued on `socket` (without waiting), up to `drainLimit`, many
    /// per system call.
    private func drain(_ socket: ProcConnector, into events: inout [RawProcEvent]) -> (datagrams: Int, full: Bool) {
        var datagrams = 0
        while datagrams < Self.drainLimit {
            let receipt: ProcConnectorReceipt
            do {
                receipt = try socket.receiveQueued(into: buffers, appendingTo: &events)
            } catch {
                receiveFailed(error)
                return (datagrams, false)
            }
            switch receipt {
            case .timeout:
                return (datagrams, false)
            case .overflow:
                overflowed()
                datagrams += 1
            case .batch(let batch):
                accept(batch)
                datagrams += batch.datagrams
                // Fewer than a full receive: the socket's queue was empty.
                if batch.datagrams < ProcReceiveBuffers.datagramSlots { return (datagrams, false) }
            }
        }
        return (datagrams, true)
    }

    private func receiveFailed(_ error: SystemError) {
        counters.update { $0.receiveErrors += 1 }
        logger?.error("proc connector receive failed; retrying", metadata: ["error": "\(error)"])
        WallClock.sleep(nanoseconds: 50_000_000)
    }

    /// Counts a batch's fault (its events are already in the caller's array).
    private func accept(_ batch: ProcMessageBatch) {
        if let fault = batch.fault, fault.reason == .netlinkOverrun {
            overflowed()
        } else if let fault = batch.fault {
            counters.update { $0.malformedDatagrams += 1 }
            logger?.warning("malformed proc connector datagram", metadata: ["fault": "\(fault)"])
        }
    }

    /// Handles a burst in order, but reads the first, most important /proc fields of EVERY exec in
    /// it before finishing any one read: with a backlog, the last exec of the burst no longer
    /// waits for all the full reads before it, only for their cmdline/exe/cgroup.
    private func process(_ events: [RawProcEvent]) {
        state.pointee.started.removeAll(keepingCapacity: true)
        if events.count > 1 {
            for e in events { state.pointee.started.append(e.kind == .exec ? reader.begin(pid: e.tgid) : nil) }
        }
        for i in events.indices { handle(events[i], started: state.pointee.started.isEmpty ? nil : state.pointee.started[i]) }
    }

    private func handle(_ raw: RawProcEvent, started: ProcReadInProgress? = nil) {
        let step = state.pointee.gaps.record(raw)
        if step.skipped > 0 {
            counters.update { $0.sequenceGapEvents += step.skipped }
            state.pointee.loss.gap(step.skipped, now: WallClock.monotonicNanoseconds())
        }
        if step.arrivedLate {
            let takenBack = state.pointee.loss.arrivedLate()
            counters.update {
                $0.lateEvents += 1
                if takenBack { $0.sequenceGapEvents -= 1 }
            }
        }
        let time = clock.wall(fromMonotonic: raw.timestampNanoseconds)
        switch ProcEventMapper.map(raw) {
        case .exec(let pid):
            let first = started ?? reader.begin(pid: pid.rawValue)
            let depth = ReadDepthPolicy.depth(first: first.info, parentWantsFull: state.pointee.known[pid.rawValue], containers: containers)
            let result = reader.finish(first, depth: depth, executables: executables)
            record(result)
            let info = result.info ?? ProcessInfo(pid: pid, source: "inherited")
            remember(pid.rawValue, childrenWantFull: result.info.map { ReadDepthPolicy.childrenWantFull($0, containers: containers) } ?? true)
            configuration.afterRead?(info)
            emit(.exec(info), at: time)
            if let parent = ptyHolderDescriptors(of: info) { emit(.descriptors(parent), at: time) }
        case .event(let event):
            switch event {
            case .fork(let f): remember(f.child.rawValue, childrenWantFull: state.pointee.known[f.parent.rawValue] ?? true)
            case .exit(let e): state.pointee.known.removeValue(forKey: e.pid.rawValue)
            default: break
            }
            emit(event, at: time)
            if case .exit(let e) = event { configuration.exited?(e.pid.rawValue) }
        case .thread:
            counters.update { $0.threadEventsFiltered += 1 }
        case .ack(let error):
            if error != 0 {
                logger?.error("kernel refused the proc connector subscription", metadata: ["errno": "\(error)"])
            }
        case .unknown(let what):
            logger?.debug("unknown proc connector event", metadata: ["what": "0x\(String(what, radix: 16))"])
        }
    }

    /// A shell started on a pty slave: its parent holds the master and relays it. When that parent's
    /// own stdio are sockets (python `dup2` then `pty.spawn`), they changed after the parent's exec
    /// read, and only an outbound-connect event would have triggered a re-read (audit misses
    /// processes forked before audit was enabled). So re-read the parent here; the descriptors
    /// event is emitted only when it shows a socket. Costs one /proc read per shell exec'd on a pty.
    private func ptyHolderDescriptors(of info: ProcessInfo) -> DescriptorsEvent? {
        guard let ppid = info.ppid, ppid.rawValue > 1,
              info.fds?.contains(where: { $0.fd == 0 && $0.kind == .tty && $0.target.hasPrefix("/dev/pts/") }) == true,
              ProgramClassifier.isShellOrInterpreter(info),
              let fds = reader.read(pid: ppid.rawValue).info?.fds,
              fds.contains(where: { $0.kind == .socket }) else { return nil }
        return DescriptorsEvent(pid: ppid, fds: fds)
    }

    private func record(_ result: ProcReadResult) {
        counters.read(result.outcome, issues: result.issues.count)
        if let logger {
            for issue in result.issues { logger.debug("odd /proc file", metadata: ["issue": "\(issue)"]) }
        }
    }

    /// Bounded: past capacity new pids are not remembered (a later resync re-reports them, and
    /// their children are read fully).
    private func remember(_ pid: Int32, childrenWantFull: Bool) {
        if state.pointee.known.count >= configuration.knownProcessCapacity && state.pointee.known[pid] == nil { return }
        state.pointee.known[pid] = childrenWantFull
    }

    // MARK: Loss and resync

    private func overflowed() {
        counters.update { $0.overflows += 1 }
        state.pointee.loss.overflow(now: WallClock.monotonicNanoseconds())
    }

    /// Emits the pending drop report, if any, then rescans /proc for processes not yet known.
    private func reportLossAndResync(scan doScan: Bool = true) {
        guard let drop = state.pointee.loss.takeReport() else { return }
        counters.dropped("proc_connector", drop.count)
        outlet.lose(drop.count, cause: drop.cause ?? "kernel_overflow", reason: drop.reason, time: WallClock.nowNanoseconds())
        if doScan {
            counters.update { $0.resyncs += 1 }
            scan(onlyUnknown: true)
        }
    }

    /// Reads /proc and emits `.snapshot` for every process (or, on resync, those not yet known,
    /// after forgetting known pids that are gone), parents first.
    private func scan(onlyUnknown: Bool) {
        let pids = ProcSnapshot.listPIDs(root: reader.root)
        if onlyUnknown {
            let current = Set(pids)
            state.pointee.known = state.pointee.known.filter { current.contains($0.key) }
        }
        let tables = NetTableCache()
        var infos: [ProcessInfo] = []
        for pid in pids where !(onlyUnknown && state.pointee.known[pid] != nil) {
            if shouldStop() { break }
            let result = reader.read(pid: pid, netTables: tables)
            record(result)
            if let info = result.info { infos.append(info) }
        }
        for info in ProcSnapshot.orderParentsFirst(infos) {
            let time = WallClock.nowNanoseconds()
            remember(info.pid.rawValue, childrenWantFull: ReadDepthPolicy.childrenWantFull(info, containers: containers))
            configuration.afterRead?(info)
            emit(.snapshot(info), at: time)
        }
    }

    // MARK: Output

    /// Hands one event to the capture queue; a full queue drops it there (counted and reported).
    /// The drive loop is not woken per event (an exec storm is three datagrams per process): see
    /// `DeferredHandOff`. The wait for the next datagram ends by the hand-off's due time, so a quiet
    /// connector does not hold them.
    private func emit(_ event: Event, at time: UInt64) {
        if outlet.emit(EventRecord(timestamp: time, event: event), wake: state.pointee.handOff.wakesFor(recordAt: WallClock.monotonicNanoseconds())) {
            counters.emitted(event.kind)
        } else {
            counters.dropped("queue")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
