// SPDX-License-Identifier: Apache-2.0
// Builds proc connector datagrams byte by byte (nlmsghdr + cn_msg + proc_event, little-endian as
// on the test hosts) so the decoder can be fed well-formed, truncated and corrupt input.

/// Kernel `proc_event.what` values (linux/cn_proc.h).
enum KernelWhat: UInt32 {
    case none = 0, fork = 0x1, exec = 0x2, uid = 0x4, gid = 0x40, sid = 0x80, ptrace = 0x100,
         comm = 0x200, coredump = 0x4000_0000, exit = 0x8000_0000
}

struct ProcConnectorDatagram {
    static let nlmsgDone: UInt16 = 3
    static let nlmsgError: UInt16 = 2
    private(set) var bytes: [UInt8] = []

    /// proc_event header (what, cpu, timestamp) followed by the event payload words.
    static func event(what: UInt32, cpu: UInt32 = 1, timestamp: UInt64 = 123_456_789, payload: [UInt8]) -> [UInt8] {
        var b: [UInt8] = []
        b.append(le: what); b.append(le: cpu); b.append(le: timestamp)
        return b + payload
    }

    static func words(_ values: [Int32]) -> [UInt8] {
        var b: [UInt8] = []
        for v in values { b.append(le: UInt32(bitPattern: v)) }
        return b
    }

    /// Appends one netlink message carrying a cn_msg with `data`. `cnLen`/`nlLen` override the
    /// length fields to lie about the size; `idx`/`val` pick the connector id (proc = 1/1).
    mutating func message(data: [UInt8], seq: UInt32 = 0, idx: UInt32 = 1, val: UInt32 = 1,
                          cnLen: UInt16? = nil, nlLen: UInt32? = nil, type: UInt16 = nlmsgDone) {
        var cn: [UInt8] = []
        cn.append(le: idx); cn.append(le: val); cn.append(le: seq); cn.append(le: UInt32(0))
        cn.append(le: cnLen ?? UInt16(data.count)); cn.append(le: UInt16(0))
        let payload = cn + data
        rawMessage(payload: payload, nlLen: nlLen, type: type)
    }

    mutating func rawMessage(payload: [UInt8], nlLen: UInt32? = nil, type: UInt16 = nlmsgDone) {
        var nh: [UInt8] = []
        nh.append(le: nlLen ?? UInt32(16 + payload.count)); nh.append(le: type)
        nh.append(le: UInt16(0)); nh.append(le: UInt32(1)); nh.append(le: UInt32(0))
        bytes += nh + payload
        while bytes.count % 4 != 0 { bytes.append(0) }
    }
}

extension Array where Element == UInt8 {
    mutating func append<T: FixedWidthInteger>(le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
