// SPDX-License-Identifier: Apache-2.0
// The event thread: wait for fanotify events, and for each one read the opener's /proc entries
// while the kernel holds it, answer FAN_ALLOW, then parse what was read into a fileOpen record.
// What attribution needs (status, cmdline, exe, cgroup) and, for a held open, its flags (whether it
// is a read at all) are ALWAYS read before the answer; the time budgets only skip the mount
// namespace and the root (the path as the opener sees it). Nothing here waits on the
// consumer: the capture queue is bounded and drops are counted.

import Glibc
import RuntimeWatchCore
import RuntimeWatchSystem

/// Created and run on the event thread; not shared.
struct TokenEventLoop {
    let group: FanotifyGroup
    let mode: TokenWatcher.Mode
    let shared: TokenWatchShared
    let pending: PendingAnswers
    let wakeup: WakeupSignal?
    var outlet: TokenEventOutlet
    let reader: ProcReader
    /// Openers' /proc directories, reused while the same process opens again.
    let directories: ProcDirectoryCache
    /// An opener that opens again within this time of its last complete read, with the same exe and
    /// argv, gets status, cgroup, mount namespace and root from that read
    /// (`ProcReader.readTask(…reuseWindow:)`).
    let identityReuseWindow: Duration?
    /// Time the extras of one opener may take, and the extras of one read batch (nanoseconds).
    let captureBudget: UInt64
    let batchBudget: UInt64
    /// The monitor's own mount namespace: openers in another one are in a container.
    let ownMountNamespace: String?
    /// When the drive loop is woken for the opens queued (Configuration.handOffWindow).
    var handOff: DeferredHandOff

    /// Most reads per wakeup, so the stop flag and drop reports are looked at even under a storm.
    static let readsPerWakeup = 64

    mutating func run() {
        while shared.isRunning {
            let ready: Readiness
            do {
                ready = try waitReadable(group.descriptor.rawValue, wakeup?.fd ?? -1,
                                         timeoutNanoseconds: handOff.sleepNanoseconds(idle: 200_000_000, now: WallClock.monotonicNanoseconds()))
            } catch {
                shared.count { $0.readErrors += 1; $0.lastError = "fanotify wait: \(error)" }
                ready = .first
            }
            if ready.contains(.second) { wakeup?.drain() }
            if ready.contains(.first) { drainGroup() }
            handOff.handOffIfDue(now: WallClock.monotonicNanoseconds(), idle: ready.isEmpty, to: outlet.outlet.queue)
        }
        // Answer whatever is still queued so no opener waits for the group to close.
        drainGroup()
        handOff.handOff(to: outlet.outlet.queue)
    }

    private mutating func drainGroup() {
        for _ in 0..<Self.readsPerWakeup {
            let batch: FanotifyDecodeResult?
            do {
                batch = try group.readEvents()
            } catch {
                shared.count { $0.readErrors += 1; $0.lastError = "fanotify read: \(error)" }
                return
            }
            guard let batch else { return }
            handle(batch)
        }
    }

    private mutating func handle(_ batch: FanotifyDecodeResult) {
        let readAt = WallClock.monotonicNanoseconds()
        pending.register(batch.events.filter(\.isPermissionRequest).compactMap { $0.fileDescriptor?.rawValue }, readAt: readAt)
        for event in batch.events {
            handle(event, readAt: readAt)
        }
        if let problem = batch.problem {
            // Records after a bad one cannot be located; their openers stay held until the group
            // closes. The kernel does not produce such buffers; this is an ABI mismatch.
            shared.count { $0.decodeErrors += 1; $0.lastError = problem.description }
            outlet.reportLoss(count: 1, cause: "decode_error", reason: problem.description)
        }
    }

    private mutating func handle(_ event: FanotifyEvent, readAt: UInt64) {
        if event.isQueueOverflow {
            shared.count { $0.kernelOverflows += 1 }
            outlet.reportLoss(count: 1, cause: "kernel_overflow", reason: "fanotify queue overflow (FAN_Q_OVERFLOW): events lost, count unknown")
            return
        }
        guard let fd = event.fileDescriptor else { return }
        let timestamp = WallClock.nowNanoseconds()
        let held = event.isPermissionRequest

        // The held syscall's flags mean something only while the opener is held.
        let extras: ProcReader.TaskExtras = held ? [.openAccess, .mountNamespace, .root] : [.mountNamespace, .root]
        // The namespace and root get what is left of this event's budget and of its batch's; none
        // once the batch is over its budget. The essentials and the open flags are read regardless.
        let now = WallClock.monotonicNanoseconds()
        let batchEnd = readAt &+ batchBudget
        let overBatch = now >= batchEnd
        let read = reader.readTask(event.pid, extras: overBatch ? extras.intersection(.openAccess) : extras,
                                   extrasDeadline: .now + .nanoseconds(overBatch ? 0 : min(captureBudget, batchEnd - now)),
                                   directories: directories, reuseWindow: identityReuseWindow)
        if held, pending.claim(fd.rawValue) {
            do {
                try group.respond(to: fd, allow: true)
                let latency = WallClock.monotonicNanoseconds() &- readAt
                shared.count {
                    $0.allowed += 1
                    $0.answerLatencyTotalNanoseconds &+= latency
                    $0.answerLatencyMaxNanoseconds = max($0.answerLatencyMaxNanoseconds, latency)
                }
            } catch {
                shared.count { $0.answerFailures += 1; $0.lastError = "answer for pid \(event.pid): \(error)" }
            }
        }

        // The opener runs again from here on; what follows only parses and reads our own event fd.
        let process = read.process()
        let fileID = try? event.fileID()
        let watched = fileID.flatMap { shared.watchedToken(for: $0) }
        // The kernel's name for the file (a readlink through /proc/self/fd, a whole path walk) is
        // read only where it says more than the watched entry: a file the scans do not know, or an
        // opener that sees the file system from another mount namespace or root.
        let openerPath = watched == nil || seesOtherFileSystem(read.extras) ? (try? event.path()) : nil
        event.close()

        let open = FileOpenEvent(
            pid: process.info?.pid ?? ProcessID(event.pid),
            path: watched?.path ?? openerPath ?? "<unknown>",
            containerPath: containerPath(openerPath: openerPath, extras: read.extras, watched: watched),
            write: read.extras.openAccess?.isWriteOnly ?? false,
            process: process.info)
        let queued = outlet.emit(EventRecord(timestamp: timestamp, event: .fileOpen(open)),
                                 wake: handOff.wakesFor(recordAt: WallClock.monotonicNanoseconds()))
        // Counted after the hand-off and in one step with its fate, so whoever sees an event counted
        // also sees whether it was dropped.
        shared.count {
            $0.events += 1
            if !queued { $0.dropped += 1 }
            if process.outcome != .complete { $0.captureIncomplete += 1 }
            if overBatch { $0.captureSkipped += 1 }
            if read.extras.cutShort { $0.captureOutOfBudget += 1 }
        }
    }

    /// The path as the opener sees it, when the opener is in a container (another mount namespace
    /// or another root). `openerPath` is the event fd's path as the kernel prints it for us: for a
    /// mount of another namespace that is already the in-namespace path; for a chroot it is the
    /// host path, from which the opener's root is removed.
    func containerPath(openerPath: String?, extras: TaskExtrasRead, watched: WatchedToken?) -> String? {
        guard extras.mountNamespace != nil || extras.root != nil else {
            return watched?.containerPath
        }
        guard seesOtherFileSystem(extras) else { return nil }
        guard let openerPath else { return watched?.containerPath }
        if isInOtherRoot(extras), let root = extras.root, openerPath.hasPrefix(root + "/") {
            return String(openerPath.dropFirst(root.count))
        }
        return openerPath
    }

    /// True when the opener is in another mount namespace than the monitor or under another root.
    func seesOtherFileSystem(_ extras: TaskExtrasRead) -> Bool {
        (extras.mountNamespace != nil && extras.mountNamespace != ownMountNamespace) || isInOtherRoot(extras)
    }

    private func isInOtherRoot(_ extras: TaskExtrasRead) -> Bool {
        extras.root != nil && extras.root != "/"
    }
}
