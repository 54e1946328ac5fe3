// SPDX-License-Identifier: Apache-2.0
// A tiny HTTP/1.1 receiver on 127.0.0.1 that records POST bodies and answers 200 with
// `Connection: close`. Runs on its own thread, bounded: it stops when told or after `lifetime`.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class WebhookReceiver: @unchecked Sendable {
    // @unchecked: `received` and `stopped` are guarded by `lock`; the thread owns `listener`.
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var received: [(requestLine: String, body: String)] = []
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    /// Starts listening and serving; the thread ends after `lifetime` seconds at the latest.
    init(lifetime: TimeInterval = 120) throws {
        let socket = try LoopbackSocket.listen()
        listener = socket.fd
        port = socket.port
        let deadline = Date().addingTimeInterval(lifetime)
        Thread.detachNewThread { [self] in
            while Date() < deadline && !isStopped {
                guard let client = LoopbackSocket.accept(listener, timeout: 0.2) else { continue }
                serve(client)
                close(client)
            }
            close(listener)
            finished.signal()
        }
    }

    deinit { stop() }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Every request received so far: request line and body.
    var requests: [(requestLine: String, body: String)] { lock.lock(); defer { lock.unlock() }; return received }

    /// Stops the thread (waits for it up to 2 s).
    func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        if !wasStopped { _ = finished.wait(timeout: .now() + 2) }
    }

    /// Reads one request (headers, then Content-Length bytes of body, 5 s bound) and answers 200.
    private func serve(_ client: Int32) {
        var data: [UInt8] = []
        let deadline = Date().addingTimeInterval(5)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        var contentLength = 0
        while Date() < deadline {
            guard let chunk = LoopbackSocket.receive(client, timeout: 0.5) else {
                if headerEnd == nil { continue } else { break }
            }
            data += chunk
            if headerEnd == nil, let range = data.firstRange(of: separator) {
                headerEnd = range.upperBound
                let head = String(decoding: data[..<range.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let end = headerEnd, data.count - end >= contentLength { break }
        }
        guard let end = headerEnd else { return }
        let requestLine = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
        let body = String(decoding: data[end...], as: UTF8.self)
        lock.lock()
        received.append((requestLine, body))
        lock.unlock()
        LoopbackSocket.send(client, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    }
}
