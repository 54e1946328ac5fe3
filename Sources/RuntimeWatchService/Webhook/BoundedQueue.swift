// SPDX-License-Identifier: Apache-2.0
// A fixed-capacity FIFO ring buffer: the webhook's backlog. Full means full: the caller decides
// to drop; nothing here grows, so a dead receiver can never exhaust memory.

/// FIFO with a hard capacity. Not thread-safe; the owner guards it with a lock.
struct BoundedQueue<Element> {
    private var storage: [Element?]
    private var head = 0
    private(set) var count = 0

    /// - Precondition: capacity >= 1.
    init(capacity: Int) {
        precondition(capacity >= 1, "queue capacity must be at least 1")
        storage = Array(repeating: nil, count: capacity)
    }

    var capacity: Int { storage.count }
    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == storage.count }

    /// Appends at the tail. Returns false (and keeps the queue unchanged) when full.
    mutating func append(_ element: Element) -> Bool {
        guard !isFull else { return false }
        storage[(head + count) % storage.count] = element
        count += 1
        return true
    }

    /// Removes and returns up to `limit` elements from the head, oldest first.
    mutating func removeFirst(upTo limit: Int) -> [Element] {
        let n = min(limit, count)
        var out: [Element] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            out.append(storage[head]!)
            storage[head] = nil
            head = (head + 1) % storage.count
            count -= 1
        }
        return out
    }

    /// Empties the queue, returning how many elements it held.
    mutating func removeAll() -> Int {
        let n = count
        _ = removeFirst(upTo: n)
        return n
    }
}

extension BoundedQueue: Sendable where Element: Sendable {}
