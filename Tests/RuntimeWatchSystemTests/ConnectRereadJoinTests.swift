// SPDX-License-Identifier: Apache-2.0
// A connect storm from one shell: every connect is enriched and delivered, the descriptor re-reads
// of all of them are joined into one series of looks (nothing is skipped: no `reread_limit` loss,
// even with room for a single pending process), and a change of the shell's stdio after the storm
// is still seen by a look, and reported once. Reads our own child's /proc: no root needed.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class ConnectRereadJoinTests: XCTestCase {
    func testStormOfOneShellJoinsRereadsAndLosesNothing() async throws {
        // The shell waits on our pipe, then moves its stdout (as a reverse shell moves its stdio onto
        // a socket, with no exec after it) and waits again.
        let (readEnd, writeEnd) = makePipe()
        let shell = try Spawn.runUntilExecuted(["/bin/sh", "-c", "read x; exec 1>/dev/zero; read y"], stdin: readEnd)
        close(readEnd)
        var writeOpen = true
        defer {
            if writeOpen { close(writeEnd) }
            Spawn.reap(shell)
        }
        var enrichment = ConnectEnrichment()
        enrichment.maxPendingRereads = 1
        enrichment.rereadDelays = [.milliseconds(50), .milliseconds(200)]
        let count = 500
        let queue = CaptureQueue(capacity: 4 * count)
        let outlet = CaptureOutlet(queue: queue, source: "connect")
        for i in 0..<count {
            let connect = ConnectEvent(pid: ProcessID(shell), proto: "tcp", localAddress: nil, localPort: nil,
                                       remoteAddress: "198.51.100.1", remotePort: 4444, result: 0, process: nil)
            XCTAssertTrue(enrichment.deliver(EventRecord(timestamp: UInt64(i + 1), event: .connect(connect)), to: outlet))
        }
        XCTAssertEqual(write(writeEnd, "go\n", 3), 3)
        // The last connect's looks are due 50 and 200 ms after it, joined ones at most half a delay
        // later: all done well within a second.
        try await Task.sleep(for: .seconds(1))
        close(writeEnd)
        writeOpen = false
        queue.finish()
        var connects = 0, moved = 0
        var losses: [String: UInt64] = [:]
        while let item = await queue.next() {
            guard case .event(let record) = item else { continue }
            if case .connect = record.event { connects += 1 }
            if Self.isMoved(record) { moved += 1 }
            if case .drop(let d) = record.event { losses[d.key, default: 0] += d.count }
        }
        XCTAssertEqual(connects, count)
        XCTAssertEqual(losses, [:], "no connect's re-reads were skipped")
        XCTAssertEqual(queue.losses, [:])
        XCTAssertEqual(moved, 1, "the joined looks saw the moved stdout and reported it once")
    }

    static func isMoved(_ record: EventRecord) -> Bool {
        guard case .descriptors(let d) = record.event else { return false }
        return d.fds.contains { $0.fd == 1 && $0.target == "/dev/zero" }
    }
}
