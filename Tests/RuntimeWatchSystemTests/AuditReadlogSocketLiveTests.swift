// SPDX-License-Identifier: Apache-2.0
// Live: AuditReadlogSocket's batched receive against the real kernel. Records are made on demand
// with user audit messages (AUDIT_USER_AUTH sent to the kernel, which logs each as one record to
// every AUDIT_NLGRP_READLOG listener): more than one batch of them come out whole and in order, and
// so do records logged after the socket was drained. A datagram unicast to the socket by a user-space process
// (anyone may open a NETLINK_AUDIT socket and send to a port id) is refused, never taken for a
// record. Root only (CAP_AUDIT_READ, CAP_AUDIT_WRITE, CAP_AUDIT_CONTROL to enable audit for the run).

import Foundation
import Glibc
import RuntimeWatchSystem
import XCTest

final class AuditReadlogSocketLiveTests: XCTestCase {
    /// AUDIT_USER_AUTH: a user-space message the kernel logs as a record of that type.
    static let userMessageType: UInt16 = 1100

    override func setUpWithError() throws {
        try requireRoot("netlink audit readlog")
    }

    func testRecordsOfSeveralBatchesComeOutWholeAndInOrder() throws {
        let control = try AuditNetlinkControl()
        defer { control.close() }
        // The kernel logs user messages only while audit is enabled.
        try withAuditEnabled(control, needs: "user messages cannot be turned on for the test") {
            let readlog = try AuditReadlogSocket(receiveBufferBytes: 4 << 20)
            defer { readlog.close() }
            let tag = "rw-batch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let sender = try NetlinkAuditSender()
            defer { sender.close() }
            // Round one spans several batches and ends with a short one; round two is logged after the
            // socket said `.empty` and must still wake `waitReadable` and come out whole.
            var next = 0
            for count in [2 * AuditReadlogSocket.batchSlots + 5, 3] {
                let first = next
                for _ in 0..<count {
                    try sender.send(type: Self.userMessageType, text: "\(tag) n=\(next)", toPort: 0)
                    next += 1
                }
                let seen = try collect(tag: tag, count: count, from: readlog)
                XCTAssertEqual(seen, Array(first..<next), "every record once, in the order logged, across batches")
            }
        }
    }

    /// The numbers of the next `count` records carrying `tag`, waiting at most 10 s.
    private func collect(tag: String, count: Int, from readlog: AuditReadlogSocket) throws -> [Int] {
        var seen: [Int] = []
        let deadline = Date().addingTimeInterval(10)
        while seen.count < count, Date() < deadline {
            guard readlog.waitReadable(timeoutNanoseconds: 200_000_000) else { continue }
            while case .record(let record) = try readlog.receive() {
                // Other audit records of the node may come in between; ours carry the tag.
                guard let marker = record.text.range(of: "\(tag) n=") else { continue }
                guard let n = Int(record.text[marker.upperBound...].prefix { $0.isNumber }) else {
                    XCTFail("no number after the tag: \(record.text)")
                    continue
                }
                XCTAssertEqual(record.type, Self.userMessageType)
                XCTAssertTrue(record.text.hasPrefix("audit("), "text starts at the record: \(record.text.prefix(40))")
                seen.append(n)
            }
        }
        return seen
    }

    func testDatagramFromAUserSpaceSenderIsRefused() throws {
        let readlog = try AuditReadlogSocket(receiveBufferBytes: 1 << 20)
        defer { readlog.close() }
        var address = NetlinkAddress()
        var length = socklen_t(MemoryLayout<NetlinkAddress>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(readlog.descriptor.rawValue, $0, &length) }
        }
        XCTAssertEqual(rc, 0, "getsockname: \(errno)")
        let forged = "audit(1700000000.000:42): arch=c000003e syscall=42 success=yes exit=0 a0=3 pid=4242 key=\"rw-forged\""
        let sender = try NetlinkAuditSender()
        defer { sender.close() }
        try sender.send(type: 1300, text: forged, toPort: address.nl_pid)

        var refused: SystemError?
        let deadline = Date().addingTimeInterval(5)
        while refused == nil, Date() < deadline {
            guard readlog.waitReadable(timeoutNanoseconds: 200_000_000) else { continue }
            do {
                while case .record(let record) = try readlog.receive() {
                    XCTAssertFalse(record.text.contains("rw-forged"), "a forged record was handed out")
                }
            } catch {
                refused = error
            }
        }
        XCTAssertEqual(refused?.errno, .notPermitted, "the forged datagram is refused with a reason")
        XCTAssertTrue(refused?.description.contains("user-space port \(sender.port)") ?? false, "\(String(describing: refused))")
        // What else is queued (the node's own audit records, if audit is on) is never the forged one.
        for _ in 0..<1000 {
            guard case .record(let record) = try readlog.receive() else { break }
            XCTAssertFalse(record.text.contains("rw-forged"), "a forged record was handed out")
        }
    }
}

/// A NETLINK_AUDIT socket that sends one message per call: to the kernel (port 0) or, as a forger
/// would, to another socket's port id.
private final class NetlinkAuditSender {
    /// NETLINK_AUDIT (linux/netlink.h; not in Glibc's module).
    static let netlinkAudit: Int32 = 9
    let fd: Int32
    let port: UInt32

    init() throws {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Self.netlinkAudit)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var local = NetlinkAddress()
        local.nl_family = sa_family_t(AF_NETLINK)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<NetlinkAddress>.size)) }
        }
        var length = socklen_t(MemoryLayout<NetlinkAddress>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0 else { Glibc.close(fd); throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        self.fd = fd
        port = local.nl_pid
    }

    func send(type: UInt16, text: String, toPort port: UInt32) throws {
        var message = [UInt8](repeating: 0, count: 16)
        message += Array(text.utf8) + [0]   // the kernel prints a user message's text up to its last byte, a NUL
        let length = UInt32(message.count)
        withUnsafeBytes(of: length.littleEndian) { message.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: type.littleEndian) { message.replaceSubrange(4..<6, with: $0) }
        withUnsafeBytes(of: UInt16(1).littleEndian) { message.replaceSubrange(6..<8, with: $0) }   // NLM_F_REQUEST
        var destination = NetlinkAddress()
        destination.nl_family = sa_family_t(AF_NETLINK)
        destination.nl_pid = port
        let sent = message.withUnsafeBytes { bytes in
            withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<NetlinkAddress>.size))
                }
            }
        }
        guard sent == message.count else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    func close() { Glibc.close(fd) }
}

/// struct sockaddr_nl (linux/netlink.h): family, padding, port id, groups.
private struct NetlinkAddress {
    var nl_family: sa_family_t = 0
    var nl_pad: UInt16 = 0
    var nl_pid: UInt32 = 0
    var nl_groups: UInt32 = 0
}
