// SPDX-License-Identifier: Apache-2.0
// Capture source for the service-account-token rule: marks every token file on the node with
// fanotify and turns each open into a `.fileOpen` record attributed to the opener.
//
// Attribution does not race: with FAN_OPEN_PERM the opener is held in open(2) until the monitor
// answers, so `cat token` cannot exit before its cmdline, exe, cgroup, parent and uid are read. The
// answer is ALWAYS FAN_ALLOW (this is a monitor, not an enforcer), and holding is kept short:
//  - a dedicated event thread that only reads /proc, answers and hands records to a bounded stream
//    (it never waits for the consumer);
//  - byte-bounded /proc reads by the shared ProcReader via one /proc/<tid> directory
//    descriptor; what attribution needs (status, cmdline, exe, cgroup) is always read, and only the
//    extras (open flags, mount namespace, root) are subject to a per-event and per-batch time budget;
//  - a watchdog thread that answers FAN_ALLOW for any permission event left unanswered past a
//    deadline, should the event thread stall;
//  - if the monitor dies, its fanotify fd is closed and the kernel allows every pending permission
//    event itself (fanotify_release), so a crashed monitor never blocks the node's token reads.
// One kernel behaviour to keep in mind: when the kernel cannot install an event fd in the monitor
// (EMFILE) it DENIES that permission event. Each event fd is closed right after its answer and at
// most 64 are open at once; the process's RLIMIT_NOFILE must leave room for that.
//
// Writes: the kubelet rotates a token by writing a NEW file in a new `..<timestamp>` directory and
// swapping the `..data` symlink; the new file is not marked until the next scan, and neither the
// write nor the rename is an open of a marked inode, so rotation produces no write event. The kubelet
// does READ the current token when it re-syncs the volume (to compare contents): that is a real
// read by the host `kubelet` binary and is reported; profiles allow it. Opens of a marked token
// with O_WRONLY (the held syscall's flags, from /proc/<tid>/syscall) are reported with `write: true`.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchSystem
import Synchronization

/// Watches service-account token files and reports who opens them.
///
/// ```swift
/// let watcher = TokenWatcher(configuration: .init())
/// try watcher.start()
/// for await record in watcher.events { … }   // .fileOpen and .drop records
/// watcher.stop()
/// ```
public final class TokenWatcher: Sendable {
    /// Records in capture order for a watcher used on its own (tests): `.fileOpen` for each open of
    /// a watched file, `.drop` when records were lost. Finishes after `stop()`. Read it once.
    public var events: AsyncStream<EventRecord> {
        precondition(ownsQueue, "TokenWatcher.events: this watcher feeds a shared queue")
        return outlet.queue.records()
    }

    private let configuration: Configuration
    private let outlet: CaptureOutlet
    /// True when the watcher created its queue (used on its own) and so ends it.
    private let ownsQueue: Bool
    private let shared = TokenWatchShared()
    private let pending = PendingAnswers()
    private let runtime = Mutex<Runtime?>(nil)

    /// What exists between start() and stop().
    private struct Runtime: Sendable {
        var group: FanotifyGroup
        var mode: Mode
        var rescanner: TokenRescanner
        var eventWakeup: WakeupSignal?
        var rescanWakeup: WakeupSignal?
        var watchdogWakeup: WakeupSignal?
        var eventDone: DispatchSemaphore
        var rescanDone: DispatchSemaphore
        var watchdogDone: DispatchSemaphore
        var stopped = false
    }

    /// - Parameter outlet: where records go (the monitor's shared capture queue); nil creates a
    ///   queue of `configuration.bufferCapacity`, read through `events`.
    public init(configuration: Configuration = Configuration(), outlet: CaptureOutlet? = nil) {
        self.configuration = configuration
        self.ownsQueue = outlet == nil
        self.outlet = outlet ?? CaptureOutlet(queue: CaptureQueue(capacity: configuration.bufferCapacity), source: TokenEventOutlet.source)
    }

    /// Ends a queue this watcher owns (no effect on a shared one).
    private func finishOwnQueue() {
        if ownsQueue { outlet.queue.finish() }
    }

    deinit { stop() }

    /// The mode in use after `start()`, nil before.
    public var mode: Mode? { runtime.withLock { $0?.mode } }

    /// A snapshot of the counters.
    public var counters: TokenWatchCounters { shared.counters.withLock { $0 } }

    /// Creates the fanotify group, marks every token file found, and starts the event, rescan and
    /// watchdog threads. When it returns, the files found by the first scan are watched.
    ///
    /// Returns the mode in use. Throws when no fanotify group can be created (not root, or no
    /// fanotify in the kernel) or when called twice.
    @discardableResult
    public func start() throws(TokenWatcherError) -> Mode {
        let (group, mode) = try Self.makeGroup(configuration)
        let mask: FanotifyMask = mode == .permission ? .openPermission : .open
        let locations = TokenLocations(
            kubeletRoot: configuration.kubeletRoot, tokenFileNames: configuration.tokenFileNames,
            hostTokenPaths: configuration.hostTokenPaths, containerTokenPaths: configuration.containerTokenPaths,
            maxPods: configuration.maxPods, maxVolumesPerPod: configuration.maxVolumesPerPod)
        let rescanner = TokenRescanner(group: group, mask: mask, locations: locations,
                                       maxMarks: configuration.maxMarks, shared: shared)
        var state = Runtime(group: group, mode: mode, rescanner: rescanner,
                            eventWakeup: WakeupSignal(), rescanWakeup: WakeupSignal(), watchdogWakeup: WakeupSignal(),
                            eventDone: DispatchSemaphore(value: 0), rescanDone: DispatchSemaphore(value: 0),
                            watchdogDone: DispatchSemaphore(value: 0))
        let installed = runtime.withLock { current -> Bool in
            guard current == nil else { return false }
            current = state
            return true
        }
        guard installed else {
            try? group.close()
            for wakeup in [state.eventWakeup, state.rescanWakeup, state.watchdogWakeup] { wakeup?.close() }
            throw .alreadyStarted
        }
        shared.running.store(true, ordering: .releasing)
        shared.scanning.store(true, ordering: .releasing)
        state = runtime.withLock { $0! }
        startEventThread(state)
        startWatchdogThread(state)
        rescanner.scan()
        startRescanThread(state)
        return mode
    }

    /// Stops the threads, closes the group (the kernel allows anything still pending and drops the
    /// marks) and finishes `events`. Idempotent.
    public func stop() {
        guard let state = runtime.withLock({ current -> Runtime? in
            guard var s = current, !s.stopped else { return nil }
            s.stopped = true
            current = s
            return s
        }) else { return }
        // Rescan first: once it has stopped nothing else marks files, and the event thread can stop
        // too. Should a thread not stop, the group stays open and the threads that still answer
        // keep running: closing the fd under a running thread could hand its number to another file.
        shared.scanning.store(false, ordering: .releasing)
        state.rescanWakeup?.signal()
        guard state.rescanDone.wait(timeout: .now() + 5) == .success else {
            shared.count { $0.lastError = "stop: rescan thread did not finish within 5 s; fanotify group left open, events still answered" }
            finishOwnQueue()
            return
        }
        shared.running.store(false, ordering: .releasing)
        state.eventWakeup?.signal()
        guard state.eventDone.wait(timeout: .now() + 5) == .success else {
            shared.count { $0.lastError = "stop: event thread did not finish within 5 s; fanotify group left open, watchdog still answering" }
            finishOwnQueue()
            return
        }
        state.watchdogWakeup?.signal()
        _ = state.watchdogDone.wait(timeout: .now() + 5)
        try? state.group.close()
        for wakeup in [state.eventWakeup, state.rescanWakeup, state.watchdogWakeup] { wakeup?.close() }
        finishOwnQueue()
    }

    /// Also watch the token paths inside the root filesystem of container init `rootPID`
    /// (`/proc/<pid>/root/var/run/secrets/kubernetes.io/serviceaccount/token`, …). Triggers a scan
    /// now, so a container that reads its token right away is covered as early as possible. The pid is
    /// forgotten once it exits.
    public func watchContainer(rootPID: ProcessID) {
        _ = shared.containerRoots.withLock { $0.insert(rootPID) }
        rescanNow()
    }

    /// Stops looking into `rootPID`'s root at the next scan.
    public func forgetContainer(rootPID: ProcessID) {
        _ = shared.containerRoots.withLock { $0.remove(rootPID) }
        rescanNow()
    }

    /// Asks the rescan thread for a scan now instead of at the next interval.
    public func rescanNow() {
        runtime.withLock { $0?.rescanWakeup }?.signal()
    }

    // MARK: - Threads

    private func startEventThread(_ state: Runtime) {
        let shared = self.shared
        let pending = self.pending
        let outlet = self.outlet
        let configuration = self.configuration
        let thread = Thread {
            var loop = TokenEventLoop(
                group: state.group, mode: state.mode, shared: shared, pending: pending, wakeup: state.eventWakeup,
                outlet: TokenEventOutlet(outlet: outlet),
                reader: ProcReader(),
                directories: configuration.directories ?? ProcDirectoryCache(capacity: 16),
                identityReuseWindow: configuration.identityReuseWindow,
                captureBudget: configuration.captureBudget.wholeNanoseconds,
                batchBudget: configuration.batchBudget.wholeNanoseconds,
                ownMountNamespace: ProcReader().readTask(getpid(), extras: .mountNamespace).extras.mountNamespace,
                handOff: DeferredHandOff(window: configuration.handOffWindow, wakesAfterQuiet: true))
            loop.run()
            state.eventDone.signal()
        }
        thread.name = "rw-fanotify-events"
        thread.start()
    }

    private func startRescanThread(_ state: Runtime) {
        let shared = self.shared
        let interval = Int32(clamping: configuration.rescanInterval.wholeNanoseconds / 1_000_000)
        let thread = Thread {
            while shared.isScanning {
                state.rescanWakeup?.wait(timeoutMilliseconds: max(1, interval))
                guard shared.isScanning else { break }
                state.rescanner.scan()
            }
            state.rescanDone.signal()
        }
        thread.name = "rw-fanotify-rescan"
        thread.start()
    }

    private func startWatchdogThread(_ state: Runtime) {
        let shared = self.shared
        let pending = self.pending
        let deadline = configuration.answerDeadline.wholeNanoseconds
        let tick = Int32(clamping: max(1, deadline / 5_000_000))
        let thread = Thread {
            while shared.isRunning {
                state.watchdogWakeup?.wait(timeoutMilliseconds: tick)
                let (answered, failed) = pending.answerOverdue(now: WallClock.monotonicNanoseconds(), deadline: deadline, group: state.group)
                if answered > 0 || failed > 0 {
                    shared.count {
                        $0.allowed += UInt64(answered)
                        $0.watchdogAnswers += UInt64(answered)
                        $0.answerFailures += UInt64(failed)
                    }
                }
            }
            state.watchdogDone.signal()
        }
        thread.name = "rw-fanotify-watchdog"
        thread.start()
    }

    // MARK: - Group

    /// A content-class group with FAN_REPORT_TID when possible (so the held thread's syscall is the
    /// one read), else without it, else a notification group when fallback is allowed.
    private static func makeGroup(_ configuration: Configuration) throws(TokenWatcherError) -> (FanotifyGroup, Mode) {
        var firstError: SystemError?
        if configuration.mode == .permission {
            for options: FanotifyGroup.Options in [[.closeOnExec, .nonBlocking, .reportThreadID], [.closeOnExec, .nonBlocking]] {
                do {
                    return (try FanotifyGroup(class: .content, options: options), .permission)
                } catch {
                    firstError = firstError ?? error
                    if error.errno != .invalidArgument { throw .cannotCreateGroup(error) }
                }
            }
            if !configuration.allowNotificationFallback { throw .cannotCreateGroup(firstError!) }
        }
        do {
            return (try FanotifyGroup(class: .notification, options: [.closeOnExec, .nonBlocking, .reportThreadID]), .notification)
        } catch {
            throw .cannotCreateGroup(firstError ?? error)
        }
    }
}

/// Why the token watcher could not start.
public enum TokenWatcherError: Error, Sendable, Hashable, CustomStringConvertible {
    /// fanotify_init failed (EPERM without CAP_SYS_ADMIN, ENOSYS/EINVAL without fanotify).
    case cannotCreateGroup(SystemError)
    /// `start()` was called on a watcher that was already started.
    case alreadyStarted

    public var description: String {
        switch self {
        case .cannotCreateGroup(let error): "token watcher: cannot create fanotify group: \(error)"
        case .alreadyStarted: "token watcher: already started"
        }
    }
}
