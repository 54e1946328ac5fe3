// SPDX-License-Identifier: Apache-2.0
// What the kernel hands capture: proc connector datagrams (decoded in C), fanotify event buffers, and
// audit record text (SYSCALL/SOCKADDR/EOE records assembled into connects). The first byte picks one.

import RuntimeWatchCapture
import RuntimeWatchSystem

enum NetlinkTarget {
    static func run(_ bytes: [UInt8]) {
        let (selector, rest) = bytes.selectorAndRest
        switch selector % 3 {
        case 0:
            _ = ProcConnector.decode(rest)
        case 1:
            _ = rest.withUnsafeBytes { FanotifyEvent.decode($0) }
        default:
            audit(rest)
        }
    }

    /// Records separated by NUL bytes; each is a 2-byte type (little-endian) then its text.
    private static func audit(_ bytes: [UInt8]) {
        var assembler = AuditConnectAssembler(key: "runtime-watch-connect", connect: (arch: "c000003e", syscall: "42"), maxPending: 8)
        for record in bytes.split(separator: 0, omittingEmptySubsequences: false).prefix(64) {
            guard record.count >= 2 else { continue }
            let type = UInt16(record[record.startIndex]) | UInt16(record[record.startIndex + 1]) << 8
            let text = String(decoding: record.dropFirst(2), as: UTF8.self)
            _ = try? AuditRecordText(parsing: text)
            _ = try? assembler.consume(type: type, text: text)
        }
    }
}
