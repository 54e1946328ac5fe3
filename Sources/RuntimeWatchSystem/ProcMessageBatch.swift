// SPDX-License-Identifier: Apache-2.0
// What one proc connector datagram decoded to: the events, and where/why decoding stopped if a
// message was malformed. A bad message loses only itself and what follows it in that datagram.

import SystemPackage

/// Why decoding a proc connector datagram stopped early.
public struct ProcMessageFault: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// Fewer bytes left than a netlink header (`RW_PROCCONN_NLMSG_TRUNCATED`).
        case netlinkHeaderTruncated
        /// `nlmsg_len` smaller than its header or past the end of the datagram (`RW_PROCCONN_NLMSG_BAD_LENGTH`).
        case netlinkLengthInvalid
        /// Netlink payload shorter than a `cn_msg` header (`RW_PROCCONN_CNMSG_TRUNCATED`).
        case connectorHeaderTruncated
        /// `cn_msg.len` runs past the netlink message (`RW_PROCCONN_CNMSG_BAD_LENGTH`).
        case connectorLengthInvalid
        /// `cn_msg.len` too short for the `proc_event` kind it names (`RW_PROCCONN_EVENT_TRUNCATED`).
        case eventTruncated
        /// An `NLMSG_ERROR` with a non-zero error (`RW_PROCCONN_NETLINK_ERROR`).
        case netlinkError
        /// `NLMSG_OVERRUN` (`RW_PROCCONN_NETLINK_OVERRUN`).
        case netlinkOverrun
        /// The datagram did not come from the kernel and was ignored (`RW_PROCCONN_FOREIGN_SENDER`).
        case foreignSender
        /// More events than the receive array holds (`RW_PROCCONN_OUT_FULL`).
        case tooManyEvents
        case unknown(UInt32)
    }

    public var reason: Reason
    /// Byte offset in the datagram of the message that stopped decoding.
    public var offset: Int
    /// The length field involved (`nlmsg_len` or `cn_msg.len`), or 0.
    public var declaredLength: Int
    /// The bytes that were actually available for it.
    public var availableLength: Int
    /// The errno the shim reported (EBADMSG for malformed messages).
    public var errno: Errno
    /// For `.eventTruncated`: the kernel's `proc_event.what`.
    public var kernelWhat: UInt32

    public init(reason: Reason, offset: Int, declaredLength: Int, availableLength: Int, errno: Errno, kernelWhat: UInt32 = 0) {
        self.reason = reason; self.offset = offset; self.declaredLength = declaredLength
        self.availableLength = availableLength; self.errno = errno; self.kernelWhat = kernelWhat
    }

    public var description: String {
        let at = "proc connector datagram, byte \(offset)"
        switch reason {
        case .netlinkHeaderTruncated:
            return "\(at): truncated netlink header (\(availableLength) bytes left, 16 needed)"
        case .netlinkLengthInvalid:
            return "\(at): nlmsg_len \(declaredLength) is invalid with \(availableLength) bytes left"
        case .connectorHeaderTruncated:
            return "\(at): netlink payload of \(availableLength) bytes is shorter than a cn_msg header (20)"
        case .connectorLengthInvalid:
            return "\(at): cn_msg.len \(declaredLength) exceeds the \(availableLength) payload bytes"
        case .eventTruncated:
            return "\(at): proc_event (what 0x\(String(kernelWhat, radix: 16))) truncated to \(declaredLength) bytes"
        case .netlinkError:
            return "\(at): netlink error message: \(errno.description) (errno \(errno.rawValue))"
        case .netlinkOverrun:
            return "\(at): netlink overrun"
        case .foreignSender:
            return "proc connector datagram of \(declaredLength) bytes from a non-kernel sender ignored"
        case .tooManyEvents:
            return "\(at): more events than the receive array holds"
        case .unknown(let r):
            return "\(at): decoder fault \(r): \(errno.description)"
        }
    }
}

/// The events decoded from one datagram, and the fault that stopped decoding, if any.
public struct ProcMessageBatch: Sendable, Hashable {
    /// Every event decoded before the fault (all of them when `fault` is nil).
    public var events: [RawProcEvent]
    /// Where and why decoding stopped early; nil when the whole datagram decoded. For several
    /// datagrams (`ProcConnector.receiveQueued`), the first fault; each lost only its own datagram's rest.
    public var fault: ProcMessageFault?
    /// How many datagrams the events came from.
    public var datagrams: Int
    public init(events: [RawProcEvent], fault: ProcMessageFault? = nil, datagrams: Int = 1) {
        self.events = events; self.fault = fault; self.datagrams = datagrams
    }
}
