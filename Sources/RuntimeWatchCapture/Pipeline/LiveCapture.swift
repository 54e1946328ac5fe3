// SPDX-License-Identifier: Apache-2.0
// The live host as one EventSource: every capture source (proc connector and /proc, fanotify token
// opens, audit connects, Kubernetes audit logs and webhook batches) writes into one bounded
// CaptureQueue from its own thread; the drive loop reads it here. On the way out, the one container
// announcer puts a `.container` event ahead of the first event from each container, and tells the
// token watcher about the container's root so it can mark the in-container token paths.

import Foundation
import Logging
import RuntimeWatchCore
import Synchronization

public final class LiveCapture: EventSource, @unchecked Sendable {
    // @unchecked: `announcer` is touched only by the single consumer (`next()`); everything else is
    // immutable or synchronised (queue, sources, `stopState`).

    public struct Options: Sendable {
        public var receiveBufferBytes = 8 << 20
        /// The capture queue's capacity (events between the sources and the drive loop).
        public var queueCapacity = 65_536
        /// After a stop, how long the drive loop may still take queued events; what is left then is
        /// dropped and counted (`<source>/unprocessed_at_stop`), so a stop under a flood is bounded.
        public var stopDrain: Duration = .seconds(5)
        /// Containers remembered by the announcer (the oldest is forgotten beyond it, and announced
        /// again if it shows up again).
        public var containerCapacity = 4096
        public var snapshotAtStart = true
        public var kubeletRoot = "/var/lib/kubelet"
        public var watchTokens = true
        public var watchConnects = true
        /// Kubernetes audit logs to follow (`--audit-log`), from their current end.
        public var auditLogs: [String] = []
        /// How a container's metadata is read; nil: the OCI runtime state on this host (tests
        /// inject their own).
        public var containerMetadata: (@Sendable (CgroupMatch) throws(OCIMetadataError) -> OCIMetadata)?
        public init() {}
    }

    public let name = "live capture"
    public let queue: CaptureQueue
    public let processes: ProcessCapture
    /// Service-account token opens (fanotify); nil with --no-token-watch.
    public let tokens: TokenWatcher?
    /// Outbound connects (netlink audit); nil with --no-connect-watch.
    public let connects: ConnectCapture?
    /// Followers of `--audit-log` files.
    public let auditFollowers: [K8sAuditLogFollower]
    private let logger: Logger
    private let stopDrain: Duration
    private var announcer: ContainerAnnouncer
    /// A record held back while its container's announcement goes out first.
    private var heldBack: SourceItem?
    private let stopState = Mutex<StopState>(.running)
    private enum StopState { case running, stopping, stopped }
    private let running = Mutex<[String: Bool]>([:])

    public init(options: Options, logger: Logger) {
        self.logger = logger
        // Webhook batches may fill a quarter of the queue; the rest is the kernel sources'.
        queue = CaptureQueue(capacity: options.queueCapacity, batchCapacity: options.queueCapacity / 4)
        stopDrain = options.stopDrain
        announcer = ContainerAnnouncer(capacity: options.containerCapacity, read: options.containerMetadata)
        // One set of open /proc/<pid> directories for the sources that read the same processes
        // again and again (connects, token opens); a pid is forgotten when its process exits.
        let directories = ProcDirectoryCache()
        var configuration = ProcessCapture.Configuration()
        configuration.exited = { directories.forget(pid: $0) }
        configuration.receiveBufferBytes = options.receiveBufferBytes
        configuration.snapshotAtStart = options.snapshotAtStart
        processes = ProcessCapture(configuration: configuration, outlet: CaptureOutlet(queue: queue, source: CaptureSource.procConnector),
                                   logger: logger)
        if options.watchTokens {
            var tokenConfiguration = TokenWatcher.Configuration()
            tokenConfiguration.kubeletRoot = options.kubeletRoot
            tokenConfiguration.directories = directories
            tokens = TokenWatcher(configuration: tokenConfiguration, outlet: CaptureOutlet(queue: queue, source: CaptureSource.fanotify))
        } else {
            tokens = nil
        }
        var connectConfiguration = ConnectCapture.Configuration()
        connectConfiguration.directories = directories
        connects = options.watchConnects ? ConnectCapture(configuration: connectConfiguration) : nil
        var auditConfiguration = K8sAuditLogFollower.Configuration()
        auditConfiguration.startAtEnd = true
        auditFollowers = options.auditLogs.map { K8sAuditLogFollower(path: $0, configuration: auditConfiguration) }
    }

    /// Starts every source. `register` is called with each source's name before it starts and
    /// `ready` once it is subscribed (for /healthz).
    /// - Throws: when a source cannot start; the ones already started are stopped again.
    public func start(register: (String) -> Void = { _ in }, ready: (String) -> Void = { _ in }) throws {
        // With connect capture, audit is on: the threads started here are spared its per-syscall work.
        let exemption = connects.flatMap { AuditSelfExemption.begin(recordDirectory: $0.configuration.leaseDirectory, logger: logger) }
        defer { exemption?.end(logger: logger) }
        register("proc_connector")
        try processes.start()
        markRunning("proc_connector", ready)
        if let tokens {
            register("fanotify")
            do { _ = try tokens.start() } catch {
                processes.stop()
                throw error
            }
            markRunning("fanotify", ready)
        }
        if let connects {
            register("audit")
            do { try connects.start(outlet: CaptureOutlet(queue: queue, source: CaptureSource.connect)) } catch {
                processes.stop()
                tokens?.stop()
                throw error
            }
            if let problem = connects.leaseProblem { logger.warning("connect capture: \(problem)") }
            markRunning("audit", ready)
        }
        for follower in auditFollowers {
            let logger = self.logger
            let metrics = K8sAuditIngestMetrics(source: "file")
            follower.start(outlet: CaptureOutlet(queue: queue, source: CaptureSource.k8sAudit), metrics: metrics, onIssue: { issue in
                logger.warning("audit log \(issue)")
                metrics.countMalformed(1)
            })
            markRunning("audit_log:\(follower.path)", { _ in })
            logger.info("following audit log \(follower.path)")
        }
    }

    /// The input for audit batches posted to the webhook route.
    public func auditInput(metrics: K8sAuditIngestMetrics) -> K8sAuditInput {
        K8sAuditInput(queue: queue, logger: logger, metrics: metrics)
    }

    // MARK: - EventSource

    /// The next item; containers are announced ahead of their first event.
    public func next() async -> SourceItem? {
        if let held = heldBack {
            heldBack = nil
            return held
        }
        guard let item = await queue.next() else { return nil }
        guard case .event(let record) = item, let (info, failure) = announcer.announcement(for: record) else { return item }
        if let failure { logger.debug("container metadata for \(info.id.short): \(failure)") }
        if case .exec(let process) = record.event { tokens?.watchContainer(rootPID: process.pid) }
        if case .snapshot(let process) = record.event { tokens?.watchContainer(rootPID: process.pid) }
        heldBack = item
        return .event(EventRecord(timestamp: record.timestamp, event: .container(info)))
    }

    /// Stops every source (on a thread of its own: stopping waits for the capture threads), then
    /// ends the queue; `next()` returns nil once what was queued is delivered. Idempotent.
    public func stop() {
        let first = stopState.withLock { s -> Bool in
            guard s == .running else { return false }
            s = .stopping
            return true
        }
        guard first else { return }
        logger.info("stopping")
        // New webhook batches are refused (503) from now on: an acknowledged batch must be judged.
        queue.refuseBatches()
        let drain = stopDrain
        let thread = Thread { [self] in
            processes.stop()
            tokens?.stop()
            connects?.stop()
            for follower in auditFollowers { follower.stop() }
            running.withLock { for key in $0.keys { $0[key] = false } }
            queue.finish()
            stopState.withLock { $0 = .stopped }
            // Bounded: what the drive loop has not taken within the drain is dropped and counted.
            let deadline = ContinuousClock.now + drain
            while queue.queuedEventCount > 0 && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
            let left = queue.dropQueued(cause: "unprocessed_at_stop",
                                        reason: "still queued \(drain) after the stop began", time: WallClock.nowNanoseconds())
            if left > 0 { logger.warning("stopping: \(left) queued events not judged within \(drain); dropped and counted (<source>/unprocessed_at_stop)") }
        }
        thread.name = "rw-capture-stop"
        thread.start()
    }

    /// What the drive loop would get, as a stream of records (tests, benchmarks). Read it once,
    /// and not together with `next()`.
    public func records() -> AsyncStream<EventRecord> { recordStream { await self.next() } }

    /// Adds a control item (SIGHUP reload, timer tick) to the stream.
    public func inject(_ item: SourceItem) { queue.pushControl(item) }

    public var health: SourceHealth {
        SourceHealth(running: running.withLock { $0 }, losses: queue.losses)
    }

    private func markRunning(_ source: String, _ ready: (String) -> Void) {
        running.withLock { $0[source] = true }
        ready(source)
    }
}
