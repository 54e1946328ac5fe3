// SPDX-License-Identifier: Apache-2.0
// The live process source: a dedicated thread blocks on the proc connector and turns kernel
// process events into Core events in the capture queue. Exec events get /proc read at once, on that
// same thread, before anything else is done — the process may be gone a millisecond later.

import Dispatch
import Foundation
import Logging
import RuntimeWatchCore
import RuntimeWatchSystem

/// Live capture of process events: startup snapshot, then fork/exec/exit/uid/gid/sid/comm/ptrace/
/// coredump from the kernel, with loss accounting. Containers are announced by `LiveCapture`.
///
/// Usage inside the monitor: `ProcessCapture(outlet: …)`, events go to the shared queue. On its own
/// (tests, benchmarks): `let capture = ProcessCapture(); try capture.start(); for await r in
/// capture.events { … }`; `stop()` ends the stream. One start per instance.
public final class ProcessCapture: @unchecked Sendable {
    // @unchecked: the mutable state below is guarded by `lock`; the receive loop's own state lives
    // in `CaptureLoop`, which only the receive thread touches.

    public struct Configuration: Sendable {
        /// Kernel receive buffer of each of the two connector sockets (exec events, the rest): absorbs
        /// bursts while the thread reads /proc.
        public var receiveBufferBytes = 8 << 20
        /// Capacity of the queue a capture used on its own creates (inside the monitor, the shared
        /// capture queue's capacity applies).
        public var queueCapacity = 65_536
        /// Live pids remembered (to tell new from known ones on resync).
        public var knownProcessCapacity = 1 << 18
        /// Emit every running process as `.snapshot` before live events.
        public var snapshotAtStart = true
        /// After a loss, wait this long (collecting the exact loss count) before the drop event and
        /// the /proc resync; also limits how often a storm can trigger resyncs.
        public var resyncDelay: Duration = .milliseconds(250)
        /// How often an idle receive thread wakes up to check for stop.
        public var receiveTimeout: Duration = .milliseconds(100)
        /// Longest a process event waits before the drive loop is woken for it (zero: woken for
        /// every event), and, while events keep coming, longest a fork, exit or other non-exec event
        /// waits in its socket (execs are read at once). Waking a thread per event cost more CPU
        /// than judging it (BENCHMARKS.md sections 5, 8): 10 ms instead of 2 cut the monitor's CPU
        /// per exec of a storm by 7-9% (section 8), and adds at most 10 ms to an alert about a
        /// process (token opens and connects wait at most 1 ms: their own `handOffWindow`).
        public var handOffWindow: Duration = .milliseconds(10)
        /// Nice value for the receive thread (nil: inherit). The default -10 matters: under load, a
        /// receive thread at nice 0 loses CFS wakeup preemption to the processes it races, and
        /// reads /proc too late (exec storm, 1 worker, busy host: argv for 39-70% of execs at nice 0 vs 88-89%
        /// at -10, see bench/exec-storm.sh; 2-worker storms: 73-76% at 0 vs 92% at -10, for up to a tenth
        /// more CPU per exec, BENCHMARKS section 19). Needs CAP_SYS_NICE; a refusal is logged, not fatal.
        public var receiveThreadNice: Int32? = -10
        /// How /proc is read (root and size caps).
        public var reader = ProcReader()
        /// Called on the receive thread after each exec or snapshot read, before it is queued. For
        /// tests and benchmarks that hold the thread (to overflow the kernel buffer on purpose).
        public var afterRead: (@Sendable (RuntimeWatchCore.ProcessInfo) -> Void)?
        /// Called on the receive thread for each process exit, after it is queued: the other
        /// sources forget what they hold open for the pid (`ProcDirectoryCache.forget`).
        public var exited: (@Sendable (Int32) -> Void)?
        public init() {}
    }

    /// Live counters (events by kind, drops by cause, /proc read outcomes).
    public let counters = CaptureCounters()

    private let outlet: CaptureOutlet
    /// True when this capture created its queue (used on its own) and so ends it.
    private let ownsQueue: Bool
    private let configuration: Configuration
    private let logger: Logger?
    private let lock = NSLock()
    private var started = false
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)
    private var threadRunning = false

    /// - Parameters:
    ///   - outlet: where events go (the monitor's shared capture queue); nil creates a queue of
    ///     `configuration.queueCapacity` read through `events`.
    ///   - logger: receives warnings (malformed datagrams, refused subscription) and debug notes
    ///     (odd /proc files). Counters are kept either way.
    public init(configuration: Configuration = Configuration(), outlet: CaptureOutlet? = nil, logger: Logger? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.ownsQueue = outlet == nil
        self.outlet = outlet ?? CaptureOutlet(queue: CaptureQueue(capacity: configuration.queueCapacity), source: CaptureSource.procConnector)
    }

    /// The captured events of a capture used on its own, in the order capture produced them (with
    /// `.drop` events for losses). Ends after `stop()`. Read it once.
    public var events: AsyncStream<EventRecord> {
        precondition(ownsQueue, "ProcessCapture.events: this capture feeds a shared queue")
        return outlet.queue.records()
    }

    /// Subscribes to the kernel and starts the receive thread (which first emits the snapshot).
    /// Subscribing comes before the snapshot, so nothing that happens during the scan is missed.
    /// - Throws: `SystemError` when the proc connector cannot be opened (EPERM: not privileged).
    public func start() throws(SystemError) {
        lock.lock()
        precondition(!started, "ProcessCapture.start() called twice")
        started = true
        lock.unlock()
        let connector: SplitProcConnector
        do {
            connector = try SplitProcConnector.open(receiveBuffer: configuration.receiveBufferBytes)
        } catch {
            // Nothing will ever be produced: end the stream so a waiting consumer is released.
            if ownsQueue { outlet.queue.finish() }
            throw error
        }
        let loop = CaptureLoop(connector: connector, configuration: configuration, clock: .measure(),
                               outlet: outlet, finishesQueue: ownsQueue, counters: counters, logger: logger,
                               shouldStop: { [weak self] in self?.isStopRequested ?? true })
        if let granted = try? connector.execs.grantedReceiveBuffer() {
            logger?.debug("proc connector subscribed", metadata: ["receive_buffer": "\(granted)"])
        }
        lock.lock()
        threadRunning = true
        lock.unlock()
        let nice = configuration.receiveThreadNice
        let logger = self.logger
        let thread = Thread { [finished] in
            if let nice {
                do {
                    try ThreadPriority.setCurrentThreadNice(nice)
                } catch {
                    logger?.warning("could not set the capture thread's priority", metadata: ["error": "\(error)"])
                }
            }
            loop.run()
            finished.signal()
        }
        thread.name = "rw-proc-capture"
        thread.start()
    }

    /// Stops capture: the thread unsubscribes, the stream finishes. Waits (at most ~2 s) for the
    /// thread to end. Safe to call more than once, and before `start()`.
    public func stop() {
        requestStop()
        lock.lock()
        let running = threadRunning
        threadRunning = false
        lock.unlock()
        if running {
            _ = finished.wait(timeout: .now() + .seconds(2))
        } else if ownsQueue {
            outlet.queue.finish()
        }
    }

    private func requestStop() {
        lock.lock(); defer { lock.unlock() }
        stopRequested = true
    }

    private var isStopRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return stopRequested
    }
}
