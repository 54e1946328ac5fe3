// SPDX-License-Identifier: Apache-2.0
// The one bounded queue between the capture threads (proc connector, fanotify, audit, audit-log
// followers, the audit webhook) and the drive loop. It is the only hand-off between threads an event
// makes, and the only place losses are accounted: a producer never blocks (a full queue drops the
// record and counts it under its source and cause), and every loss, whether the queue's own or one a
// source reports (kernel buffer overflow, sequence gap), reaches the consumer as a `.drop` event
// carrying the exact count, delivered ahead of the next item. A drop report needs no queue slot, so
// it is never lost itself.

import DequeModule
import RuntimeWatchCore
import Synchronization

public final class CaptureQueue: Sendable {
    /// Most events queued at once (the consumer's batch in hand counts too).
    public let capacity: Int
    /// Most bytes queued at once (`EventRecord.queuedBytes`, the batch in hand counts too): 65,536
    /// execs with 16 KiB command lines would hold over a gigabyte; past the budget an event is
    /// dropped and counted like one that found the queue full.
    public let byteBudget: Int
    public static let defaultByteBudget = 64 << 20
    /// Most items the consumer takes per lock acquisition.
    static let batch = 256

    private struct LossKey: Hashable { var source: String; var cause: String }
    private struct PendingLoss { var count: UInt64; var reason: String; var time: UInt64 }

    private struct State {
        var items = Deque<SourceItem>()
        /// Events in `items` (control items are not counted against the capacity).
        var queuedEvents = 0
        /// Events the consumer took with its last batch (still counted against the capacity).
        var inHand = 0
        /// `queuedBytes` of the events in `items`, and of those in hand.
        var queuedBytes = 0
        var inHandBytes = 0
        var waiter: CheckedContinuation<Void, Never>?
        var pending: [LossKey: PendingLoss] = [:]
        /// Order in which pending losses were first seen, so reports come out in a stable order.
        var pendingOrder: [LossKey] = []
        /// Every loss so far, by "source/cause".
        var totals: [String: UInt64] = [:]
        var finished = false
        /// Set when the monitor begins to stop: batches (webhook posts) are refused from then on.
        var refusesBatches = false
    }

    private let state: Mutex<State>
    /// The consumer's batch; only `next()` touches it (single consumer).
    private let hand = Mutex<Deque<SourceItem>>(Deque())

    /// Most events queued at once for `pushAll` to still take a batch (webhook posts).
    public let batchCapacity: Int

    /// - Parameter batchCapacity: how full the queue may be after a batch (default: `capacity`). The
    ///   monitor keeps the rest for the kernel sources, so a webhook flood cannot make them drop
    ///   events, and a stop does not leave a large acknowledged backlog to drop.
    public init(capacity: Int, batchCapacity: Int? = nil, byteBudget: Int = CaptureQueue.defaultByteBudget) {
        self.capacity = max(1, capacity)
        self.byteBudget = max(1, byteBudget)
        self.batchCapacity = min(self.capacity, max(1, batchCapacity ?? capacity))
        state = Mutex(State())
    }

    // MARK: - Producers (any thread, never block)

    /// Queues one record from `source`.
    /// - Parameter wake: false leaves a waiting consumer asleep: the record is taken with the next
    ///   one that wakes it, or by `signal()`. A source uses it for records nothing waits on (the
    ///   proc connector's forks and exits, taken with the exec that follows): a consumer woken once
    ///   per record costs the node a thread switch per event.
    /// - Returns: false when the queue was full: the record is dropped and counted
    ///   (cause `queue_full`), and reported to the consumer as a `.drop` event.
    @discardableResult
    public func push(_ record: EventRecord, from source: String, wake: Bool = true) -> Bool {
        let bytes = record.queuedBytes
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !s.finished else { return (false, nil) }
            guard s.queuedEvents + s.inHand < capacity else {
                Self.lose(&s, source: source, cause: "queue_full", count: 1, time: record.timestamp,
                          reason: "capture queue full (capacity \(capacity)): the pipeline fell behind")
                return (false, Self.takeWaiter(&s))
            }
            guard s.queuedBytes + s.inHandBytes + bytes <= byteBudget else {
                Self.lose(&s, source: source, cause: "queue_full", count: 1, time: record.timestamp,
                          reason: "capture queue full (\(byteBudget >> 20) MiB of events): the pipeline fell behind")
                return (false, Self.takeWaiter(&s))
            }
            s.items.append(.event(record))
            s.queuedEvents += 1
            s.queuedBytes += bytes
            return (true, wake || s.queuedEvents >= Self.batch ? Self.takeWaiter(&s) : nil)
        }
        waiter?.resume()
        return accepted
    }

    /// Wakes a waiting consumer for records pushed with `wake: false`.
    public func signal() {
        let waiter = state.withLock { s in Self.takeWaiter(&s) }
        waiter?.resume()
    }

    /// Queues all of `records` or none (a webhook batch the sender can retry as a whole).
    /// - Returns: false, queuing nothing and counting nothing, when they do not all fit.
    public func pushAll(_ records: [EventRecord]) -> Bool {
        let bytes = records.reduce(0) { $0 + $1.queuedBytes }
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            // Bounded by count only: a batch's bytes are bounded by the request body it came from.
            // They are counted, so the kernel sources see the room they take.
            guard !s.finished, !s.refusesBatches, s.queuedEvents + s.inHand + records.count <= batchCapacity else { return (false, nil) }
            s.items.append(contentsOf: records.map(SourceItem.event))
            s.queuedEvents += records.count
            s.queuedBytes += bytes
            return (true, Self.takeWaiter(&s))
        }
        waiter?.resume()
        return accepted
    }

    /// Refuses every later `pushAll` (the monitor is stopping: a batch acknowledged now might never
    /// be judged). Single records from the capture threads are still queued until `finish()`.
    public func refuseBatches() { state.withLock { $0.refusesBatches = true } }

    /// True when `pushAll` would refuse any batch now (stopping, finished, or the batch share is
    /// full): lets a webhook answer 503 before it spends memory and time decoding the body.
    public var isFullForBatches: Bool {
        state.withLock { s in s.finished || s.refusesBatches || s.queuedEvents + s.inHand >= batchCapacity }
    }

    /// True once `refuseBatches()` was called.
    public var isRefusingBatches: Bool { state.withLock { $0.refusesBatches } }

    /// Events queued and not yet taken by the consumer.
    public var queuedEventCount: Int { state.withLock { $0.queuedEvents } }

    /// True while the consumer sleeps in `next()` until it is woken.
    var hasWaitingConsumer: Bool { state.withLock { $0.waiter != nil } }

    /// Drops every queued event (control items stay) and counts them as losses of `cause`, under
    /// the source each event came from (`source(of:)`), reported to the consumer ahead of what
    /// follows, like any loss. For a bounded stop.
    /// - Returns: how many events were dropped.
    @discardableResult
    public func dropQueued(cause: String, reason: String, time: UInt64) -> Int {
        let (dropped, waiter) = state.withLock { s -> (Int, CheckedContinuation<Void, Never>?) in
            var bySource: [String: UInt64] = [:]
            s.items.removeAll { item in
                guard case .event(let record) = item else { return false }
                bySource[Self.source(of: record.event), default: 0] += 1
                return true
            }
            s.queuedBytes = 0
            let dropped = Int(bySource.values.reduce(0, +))
            s.queuedEvents -= dropped
            for (source, count) in bySource.sorted(by: { $0.key < $1.key }) {
                Self.lose(&s, source: source, cause: cause, count: count, time: time, reason: reason)
            }
            return (dropped, Self.takeWaiter(&s))
        }
        waiter?.resume()
        return dropped
    }

    /// True while a record pushed now would be queued (followers of files wait for room rather than
    /// drop: the file keeps what they have not read yet).
    public var hasRoom: Bool {
        state.withLock { $0.queuedEvents + $0.inHand < capacity && $0.queuedBytes + $0.inHandBytes < byteBudget }
    }

    /// Records a loss that happened before the queue (the kernel's buffer overflowed, a sequence gap,
    /// a fanotify overflow): it is counted and reported like the queue's own.
    public func reportLoss(source: String, cause: String, count: UInt64, reason: String, time: UInt64) {
        guard count > 0 else { return }
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            Self.lose(&s, source: source, cause: cause, count: count, time: time, reason: reason)
            return Self.takeWaiter(&s)
        }
        waiter?.resume()
    }

    /// Queues a control item (reload, tick); never dropped, not counted against the capacity.
    public func pushControl(_ item: SourceItem) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.finished else { return nil }
            s.items.append(item)
            return Self.takeWaiter(&s)
        }
        waiter?.resume()
    }

    /// No more items will come: the consumer gets what is queued, then the pending loss reports,
    /// then nil. Later pushes are refused (and not counted: nothing is running to produce them).
    public func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            return Self.takeWaiter(&s)
        }
        waiter?.resume()
    }

    /// Every loss so far, by "source/cause".
    public var losses: [String: UInt64] { state.withLock { $0.totals } }

    // MARK: - Consumer (one at a time)

    /// The next item: pending loss reports first, then queued items in order; nil once finished
    /// and drained.
    public func next() async -> SourceItem? {
        while true {
            if let item = hand.withLock({ $0.popFirst() }) { return item }
            switch refill() {
            case .ready: continue
            case .ended: return nil
            case .empty:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if !s.items.isEmpty || !s.pending.isEmpty || s.finished { return true }
                        s.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    private enum Refill { case ready, empty, ended }

    /// Moves the pending loss reports and up to `batch` items into the consumer's hand.
    private func refill() -> Refill {
        let taken = state.withLock { s -> [SourceItem]? in
            var out: [SourceItem] = []
            for key in s.pendingOrder {
                guard let loss = s.pending[key] else { continue }
                out.append(.event(EventRecord(timestamp: loss.time, event: .drop(
                    DropEvent(source: key.source, count: loss.count, reason: loss.reason, cause: key.cause)))))
            }
            s.pending.removeAll(keepingCapacity: true)
            s.pendingOrder.removeAll(keepingCapacity: true)
            let n = min(Self.batch, s.items.count)
            var events = 0, bytes = 0
            for item in s.items.prefix(n) {
                if case .event(let record) = item { events += 1; bytes += record.queuedBytes }
                out.append(item)
            }
            s.items.removeFirst(n)
            s.queuedEvents -= events
            s.inHand = events
            s.queuedBytes -= bytes
            s.inHandBytes = bytes
            if out.isEmpty { return s.finished ? nil : [] }
            return out
        }
        guard let taken else { return .ended }
        if taken.isEmpty { return .empty }
        hand.withLock { $0.append(contentsOf: taken) }
        return .ready
    }

    // MARK: - Internals

    private static func lose(_ s: inout State, source: String, cause: String, count: UInt64, time: UInt64, reason: String) {
        let key = LossKey(source: source, cause: cause)
        if var loss = s.pending[key] {
            loss.count &+= count
            loss.time = max(loss.time, time)
            s.pending[key] = loss
        } else {
            s.pending[key] = PendingLoss(count: count, reason: reason, time: time)
            s.pendingOrder.append(key)
        }
        s.totals[source + "/" + cause, default: 0] &+= count
    }

    /// The source an event was queued by: each source queues one kind of event.
    static func source(of event: Event) -> String {
        switch event {
        case .k8sAudit: CaptureSource.k8sAudit
        case .fileOpen: CaptureSource.fanotify
        case .connect: CaptureSource.connect
        default: CaptureSource.procConnector
        }
    }

    private static func takeWaiter(_ s: inout State) -> CheckedContinuation<Void, Never>? {
        defer { s.waiter = nil }
        return s.waiter
    }
}

/// The capture sources' names: the `source` of their outlets, drop events and loss counters.
public enum CaptureSource {
    public static let procConnector = "proc_connector"
    public static let fanotify = "fanotify"
    public static let connect = "connect"
    public static let k8sAudit = "k8s_audit"
}

/// One source's handle on the queue: its records and its losses go in under its name.
public struct CaptureOutlet: Sendable {
    public let queue: CaptureQueue
    /// "proc_connector", "fanotify", "connect", "k8s_audit": the `source` of its drop events.
    public let source: String

    public init(queue: CaptureQueue, source: String) {
        self.queue = queue
        self.source = source
    }

    /// Queues a record; false when the queue was full (the loss is counted and reported).
    /// `wake: false`: see `CaptureQueue.push(_:from:wake:)`.
    @discardableResult
    public func emit(_ record: EventRecord, wake: Bool = true) -> Bool { queue.push(record, from: source, wake: wake) }

    /// Reports events this source lost before they reached the queue.
    public func lose(_ count: UInt64, cause: String, reason: String, time: UInt64) {
        queue.reportLoss(source: source, cause: cause, count: count, reason: reason, time: time)
    }
}

extension CaptureQueue {
    /// The queue's events as a stream, for a source used on its own (tests, benchmarks): loss
    /// reports come through as `.drop` events like in the drive loop; control items are left out.
    public func records() -> AsyncStream<EventRecord> { recordStream { await self.next() } }
}

/// Turns a single-consumer `next()` into a stream of its events (control items left out).
func recordStream(_ next: @escaping @Sendable () async -> SourceItem?) -> AsyncStream<EventRecord> {
    AsyncStream { continuation in
        let task = Task.detached {
            while let item = await next() {
                if case .event(let record) = item { continuation.yield(record) }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}
