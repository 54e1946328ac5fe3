// SPDX-License-Identifier: Apache-2.0
// The permission events read but not yet answered, shared by the event thread and the watchdog.
// Whoever removes an event fd from this set answers it; the event thread closes an fd only after
// removing it, so the watchdog never writes an answer for a closed (and possibly reused) fd number.

import Synchronization
import RuntimeWatchSystem
import SystemPackage

final class PendingAnswers: Sendable {
    private struct State {
        var descriptors: Set<Int32> = []
        /// Monotonic ns when the current batch was read.
        var since: UInt64 = 0
    }
    private let state = Mutex(State())

    /// Records the permission events of a batch just read.
    func register(_ descriptors: [Int32], readAt: UInt64) {
        state.withLock {
            $0.descriptors.formUnion(descriptors)
            $0.since = readAt
        }
    }

    /// Takes `fd` out of the set. Returns true when the caller must answer it, false when the
    /// watchdog already did.
    func claim(_ fd: Int32) -> Bool {
        state.withLock { $0.descriptors.remove(fd) != nil }
    }

    /// Answers FAN_ALLOW for every event pending longer than `deadline` nanoseconds. Returns how
    /// many were answered and how many answers the kernel refused.
    func answerOverdue(now: UInt64, deadline: UInt64, group: FanotifyGroup) -> (answered: Int, failed: Int) {
        state.withLock { s in
            guard !s.descriptors.isEmpty, now &- s.since > deadline else { return (0, 0) }
            var answered = 0
            var failed = 0
            for fd in s.descriptors {
                do {
                    try group.respond(to: FileDescriptor(rawValue: fd), allow: true)
                    answered += 1
                } catch {
                    failed += 1
                }
            }
            s.descriptors.removeAll()
            return (answered, failed)
        }
    }
}
