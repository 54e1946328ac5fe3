// SPDX-License-Identifier: Apache-2.0
// Starts every live capture source and merges their events, plus signals and timers, into the one
// bounded stream the monitor loop reads. Capture is the only code that reads the host; everything
// downstream sees only EventRecords.

import Foundation
import Logging
import RuntimeWatchCore
import RuntimeWatchLive
import RuntimeWatchService
import Synchronization

struct LiveSourceOptions {
    var receiveBufferBytes = 8 << 20
    var queueCapacity = 65_536
    var snapshotAtStart = true
    var kubeletRoot = "/var/lib/kubelet"
    var watchTokens = true
    var watchConnects = true
    /// Kubernetes audit logs to follow (`--audit-log`), from their current end.
    var auditLogs: [String] = []
}

/// What the monitor loop reacts to, in arrival order.
enum MonitorInput: Sendable {
    case event(EventRecord)
    case reload
    case stop
    /// Periodic wake-up (progress lines in `record`).
    case tick
}

final class LiveSources: Sendable {
    let inputs: AsyncStream<MonitorInput>
    let processes: ProcessCapture
    /// Service-account token opens (fanotify); nil with --no-token-watch.
    let tokens: TokenWatcher?
    /// Outbound connects (netlink audit); nil with --no-connect-watch.
    let connects: ConnectCapture?
    /// Followers of `--audit-log` files (API-server audit events join the same stream).
    let auditFollowers: [K8sAuditLogFollower]
    private let logger: Logger
    private let containerMetadata: @Sendable (CgroupMatch) -> ContainerInfo?
    private let continuation: AsyncStream<MonitorInput>.Continuation
    /// Events the merged queue refused because the pipeline fell behind; reported as a drop event.
    private let mergeDrops = Atomic<UInt64>(0)

    init(options: LiveSourceOptions, logger: Logger) {
        var configuration = ProcessCapture.Configuration()
        configuration.receiveBufferBytes = options.receiveBufferBytes
        configuration.queueCapacity = options.queueCapacity
        configuration.snapshotAtStart = options.snapshotAtStart
        let reader = OCIMetadataReader()
        let metadata: @Sendable (CgroupMatch) -> ContainerInfo? = { match in
            do { return try reader.read(match).info } catch {
                logger.debug("container metadata for \(match.id.short): \(error)")
                return nil
            }
        }
        containerMetadata = metadata
        processes = ProcessCapture(configuration: configuration, containerMetadata: metadata, logger: logger)
        if options.watchTokens {
            var tokenConfiguration = TokenWatcher.Configuration()
            tokenConfiguration.kubeletRoot = options.kubeletRoot
            tokens = TokenWatcher(configuration: tokenConfiguration)
        } else {
            tokens = nil
        }
        connects = options.watchConnects ? ConnectCapture() : nil
        var auditConfiguration = K8sAuditLogFollower.Configuration()
        auditConfiguration.startAtEnd = true
        auditFollowers = options.auditLogs.map { K8sAuditLogFollower(path: $0, configuration: auditConfiguration) }
        self.logger = logger
        (inputs, continuation) = AsyncStream.makeStream(of: MonitorInput.self, bufferingPolicy: .bufferingOldest(options.queueCapacity))
    }

    /// Subscribes every source (each marked ready in `health` once subscribed) and starts merging.
    func start(health: HealthState?) throws {
        health?.register(source: "proc_connector")
        try processes.start()
        health?.markReady(source: "proc_connector")
        var streams = [watchingContainerRoots(processes.events)]
        if let tokens {
            health?.register(source: "fanotify")
            do { _ = try tokens.start() } catch {
                processes.stop()
                throw error
            }
            health?.markReady(source: "fanotify")
            streams.append(announcingContainers(tokens.events))
        }
        if let connects {
            health?.register(source: "audit")
            let stream: AsyncStream<EventRecord>
            do { stream = try connects.start() } catch {
                stop()
                throw error
            }
            if let problem = connects.leaseProblem { logger.warning("connect capture: \(problem)") }
            health?.markReady(source: "audit")
            streams.append(announcingContainers(ConnectEnrichment().enrich(stream)))
        }
        for follower in auditFollowers {
            let logger = self.logger
            let metrics = K8sAuditIngestMetrics(source: "file")
            let events = follower.events(onIssue: { issue in
                logger.warning("audit log \(issue)")
                metrics.countMalformed(1)
            })
            streams.append(countingAudit(events, metrics: metrics))
            logger.info("following audit log \(follower.path)")
        }
        merge(streams)
    }

    /// Counts audit events by stage as they pass.
    private func countingAudit(_ stream: AsyncStream<EventRecord>, metrics: K8sAuditIngestMetrics) -> AsyncStream<EventRecord> {
        AsyncStream { continuation in
            let task = Task.detached {
                for await record in stream {
                    if case .k8sAudit(let e) = record.event { metrics.count([e]) }
                    continuation.yield(record)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Queues audit events received by the webhook (POST /k8s-audit) on the merged stream.
    /// - Returns: how many were queued; the rest were dropped because the queue was full (counted
    ///   like any other merge drop and reported as a drop event).
    func ingestAudit(_ records: [EventRecord]) -> Int {
        var queued = 0
        for record in records {
            if case .dropped = continuation.yield(.event(record)) {
                mergeDrops.add(1, ordering: .relaxed)
            } else {
                queued += 1
            }
        }
        return queued
    }

    /// Token opens and connects can reach the pipeline before process capture has announced the
    /// opener's container (they come from other threads, and the first thing a new container does
    /// may be to read its token). So these streams announce the containers they see themselves: a
    /// `container` event goes ahead of the first event from each container. A second announcement
    /// of the same container is harmless (the state keeps the newer metadata).
    private func announcingContainers(_ stream: AsyncStream<EventRecord>) -> AsyncStream<EventRecord> {
        let metadata = containerMetadata
        return AsyncStream { continuation in
            let task = Task.detached {
                var seen: Set<ContainerID> = []
                for await record in stream {
                    let process: RuntimeWatchCore.ProcessInfo?
                    switch record.event {
                    case .fileOpen(let o): process = o.process
                    case .connect(let c): process = c.process
                    default: process = nil
                    }
                    if let cgroup = process?.cgroup, let match = CgroupParser.parse(cgroup), !seen.contains(match.id) {
                        if seen.count >= 4096 { seen.removeAll() }
                        seen.insert(match.id)
                        let info = metadata(match) ?? ContainerInfo(id: match.id, runtime: match.runtime, podUID: match.podUID, qosClass: match.qosClass)
                        continuation.yield(EventRecord(timestamp: record.timestamp, event: .container(info)))
                    }
                    continuation.yield(record)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Passes process events through, telling the token watcher about the first process seen in each
    /// container so it can mark the in-container token paths under /proc/<pid>/root.
    private func watchingContainerRoots(_ stream: AsyncStream<EventRecord>) -> AsyncStream<EventRecord> {
        guard let tokens else { return stream }
        return AsyncStream { continuation in
            let task = Task.detached {
                var seen: Set<ContainerID> = []
                for await record in stream {
                    switch record.event {
                    case .exec(let info), .snapshot(let info):
                        if let path = info.cgroup, let id = CgroupParser.parse(path)?.id, !seen.contains(id) {
                            if seen.count >= 4096 { seen.removeAll() }
                            seen.insert(id)
                            tokens.watchContainer(rootPID: info.pid)
                        }
                    default:
                        break
                    }
                    continuation.yield(record)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Adds a control input (signal, timer) to the loop's stream.
    func inject(_ input: MonitorInput) { continuation.yield(input) }

    /// Feeds SIGHUP as `.reload` (or as `.stop` when `hangupStops`) and SIGINT/SIGTERM as `.stop`.
    func deliverSignals(hangupStops: Bool = false) {
        let signals = SignalStream()
        Task.detached { [self] in
            for await s in signals.signals { inject(s == .reload && !hangupStops ? .reload : .stop) }
        }
    }

    /// Injects `.stop` after `seconds` (nil: never).
    func stop(after seconds: Double?) {
        guard let seconds else { return }
        Task.detached { [self] in
            try? await Task.sleep(for: .seconds(seconds))
            inject(.stop)
        }
    }

    /// Injects `.tick` every `interval` until the process ends.
    func tick(every interval: Duration) {
        Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                inject(.tick)
            }
        }
    }

    /// Unsubscribes every source; `inputs` ends once they have drained.
    func stop() {
        processes.stop()
        tokens?.stop()
        connects?.stop()
        for follower in auditFollowers { follower.stop() }
    }

    /// Copies every source into the merged stream; it ends when all sources have ended.
    private func merge(_ streams: [AsyncStream<EventRecord>]) {
        let continuation = self.continuation
        let tasks = streams.map { stream in
            Task.detached { [self] in
                for await record in stream {
                    if case .dropped = continuation.yield(.event(record)) {
                        mergeDrops.add(1, ordering: .relaxed)
                    } else if mergeDrops.load(ordering: .relaxed) > 0 {
                        let lost = mergeDrops.exchange(0, ordering: .relaxed)
                        let drop = DropEvent(source: "queue", count: lost, reason: "pipeline fell behind; merged input queue full")
                        continuation.yield(.event(EventRecord(timestamp: record.timestamp, event: .drop(drop))))
                    }
                }
            }
        }
        Task.detached {
            for t in tasks { await t.value }
            continuation.finish()
        }
    }
}
