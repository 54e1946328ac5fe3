// SPDX-License-Identifier: Apache-2.0
// One blocking loopback TCP connection that a test drives byte by byte, the way a hostile client
// would: half a header, a body that stops, a body sent slowly. Every wait is bounded.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class RawConnection: @unchecked Sendable {
    private var fd: Int32
    private var received: [UInt8] = []

    /// Connects to 127.0.0.1:`port` (the connect itself succeeds even if the server has not
    /// accepted yet: the kernel queues it in the listen backlog).
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError(description: "socket: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw RawHTTPError(description: "connect to port \(port): errno \(errno)")
        }
    }

    deinit { closeNow() }

    /// Closes our end (the server sees EOF); later sends fail.
    func closeNow() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Sends all of `text`; false if the peer has closed or reset the connection.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// Reads until the peer closes (EOF or reset) or `timeout` passes.
    /// - Returns: true if the peer closed within `timeout`; everything read is in `text`.
    func waitForClose(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, left * 1000)))
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return true }
            received.append(contentsOf: buffer[0..<n])
        }
    }

    /// Reads until `marker` has been received or `timeout` passes; true if it was.
    func waitFor(_ marker: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !text.contains(marker) {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(max(1, left * 1000))) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return text.contains(marker) }
            received.append(contentsOf: buffer[0..<n])
        }
        return true
    }

    /// Everything received so far.
    var text: String { String(decoding: received, as: UTF8.self) }
}
