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
    private let continuation: AsyncStream<MonitorInput>.Continuation
    /// Events the merged queue refused because the pipeline fell behind; reported as a drop event.
    private let mergeDrops = Atomic<UInt64>(0)

    init(options: LiveSourceOptions, logger: Logger) {
        var configuration = ProcessCapture.Configuration()
        configuration.receiveBufferBytes = options.receiveBufferBytes
        configuration.queueCapacity = options.queueCapacity
        configuration.snapshotAtStart = options.snapshotAtStart
        let reader = OCIMetadataReader()
        processes = ProcessCapture(configuration: configuration, containerMetadata: { match in
            do { return try reader.read(match).info } catch {
                logger.debug("container metadata for \(match.id.short): \(error)")
                return nil
            }
        }, logger: logger)
        (inputs, continuation) = AsyncStream.makeStream(of: MonitorInput.self, bufferingPolicy: .bufferingOldest(options.queueCapacity))
    }

    /// Subscribes every source (each marked ready in `health` once subscribed) and starts merging.
    func start(health: HealthState?) throws {
        health?.register(source: "proc_connector")
        try processes.start()
        health?.markReady(source: "proc_connector")
        merge([processes.events])
    }

    /// Adds a control input (signal, timer) to the loop's stream.
    func inject(_ input: MonitorInput) { continuation.yield(input) }

    /// Unsubscribes every source; `inputs` ends once they have drained.
    func stop() {
        processes.stop()
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
