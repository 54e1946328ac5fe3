// SPDX-License-Identifier: Apache-2.0
// The one wait of the capture threads (`rw_wait_readable`, a ppoll(2)): its timeout is in
// nanoseconds, so a hand-off due in 300 µs does not sleep a whole millisecond.

internal import CShims
import SystemPackage

/// Which of the two descriptors given to `waitReadable` can be read without blocking.
public struct Readiness: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public static let first = Readiness(rawValue: 1)
    public static let second = Readiness(rawValue: 2)
}

/// Waits until `first` or `second` (-1: not watched) is readable, or has an error pending (a
/// netlink overflow: the receive reports it), for at most `timeoutNanoseconds` (nil: forever).
/// Returns what is readable: empty on timeout or EINTR.
public func waitReadable(_ first: Int32, _ second: Int32 = -1, timeoutNanoseconds: UInt64?) throws(SystemError) -> Readiness {
    let rc = rw_wait_readable(first, second, timeoutNanoseconds.map { Int64(clamping: $0) } ?? -1)
    if rc >= 0 { return Readiness(rawValue: rc) }
    if Errno(rawValue: -rc) == .interrupted { return [] }
    throw SystemError(operation: "ppoll", errno: Errno(rawValue: -rc))
}
