// SPDX-License-Identifier: Apache-2.0
// Request bodies are held in memory until their handler has answered, so their sum is bounded,
// not only each one: 16 clients posting 30 MB each must not make the monitor hold 480 MB. A
// request that would take the sum over the budget is refused with 503 and Retry-After (the API
// server's webhook backend retries it); one over its route's own limit gets 413.

import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// Why a request body was not read.
enum BodyRefusal: Error, Equatable {
    /// Larger than the route's `maxBodyBytes` (declared or counted).
    case tooLarge(limit: Int)
    /// Reading it would take the bodies in flight over the listener's budget.
    case overBudget(limit: Int)
}

/// Bytes of request bodies held across all connections of one listener.
final class BodyBudget: Sendable {
    let limit: Int
    private let used = NIOLockedValueBox(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Bytes currently held.
    var inUse: Int { used.withLockedValue { $0 } }

    /// Takes `bytes` from the budget; false (and nothing taken) if that would exceed it.
    func reserve(_ bytes: Int) -> Bool {
        used.withLockedValue { used in
            guard bytes <= limit - used else { return false }
            used += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        used.withLockedValue { $0 -= bytes }
    }

    /// Reads the whole body of `request` while holding budget for it, runs `use` on it, then
    /// gives the budget back. A declared Content-Length is checked (and reserved) before any byte
    /// is read, so an oversize or over-budget request is answered at once.
    /// - Throws: `BodyRefusal`, or the body stream's error (the client went away mid-body).
    func withBody<T>(of request: Request, maxBytes: Int, _ use: ([UInt8]) async -> T) async throws -> T {
        var reserved = 0
        defer { release(reserved) }
        var bytes: [UInt8] = []
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }) {
            guard declared <= maxBytes else { throw BodyRefusal.tooLarge(limit: maxBytes) }
            guard reserve(declared) else { throw BodyRefusal.overBudget(limit: limit) }
            reserved = declared
            bytes.reserveCapacity(declared)
        }
        for try await chunk in request.body {
            let total = bytes.count + chunk.readableBytes
            guard total <= maxBytes else { throw BodyRefusal.tooLarge(limit: maxBytes) }
            if total > reserved {
                guard reserve(total - reserved) else { throw BodyRefusal.overBudget(limit: limit) }
                reserved = total
            }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return await use(bytes)
    }
}
