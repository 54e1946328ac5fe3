// SPDX-License-Identifier: Apache-2.0
// The decoders of untrusted input, one fuzz target each (issue 19 item 6): recorded traces, Kubernetes
// audit events (webhook bodies and log lines), profiles, the netlink decoders (proc connector
// datagrams, fanotify event buffers, audit record text) and the /proc parsers.

#if canImport(Glibc)
import Glibc
#endif

enum FuzzTarget: String, CaseIterable {
    case trace, audit, profile, netlink, proc

    /// The target RW_FUZZ_TARGET names, read once.
    static let selected: FuzzTarget? = getenv("RW_FUZZ_TARGET").flatMap { FuzzTarget(rawValue: String(cString: $0)) }

    func run(_ bytes: [UInt8]) {
        switch self {
        case .trace: TraceTarget.run(bytes)
        case .audit: AuditTarget.run(bytes)
        case .profile: ProfileTarget.run(bytes)
        case .netlink: NetlinkTarget.run(bytes)
        case .proc: ProcTarget.run(bytes)
        }
    }
}

extension Array where Element == UInt8 {
    /// The first byte (which sub-decoder of a target), and the rest (its input).
    var selectorAndRest: (UInt8, [UInt8]) { (first ?? 0, Array(dropFirst())) }
}
