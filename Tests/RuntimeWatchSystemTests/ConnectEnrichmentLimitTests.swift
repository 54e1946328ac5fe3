// SPDX-License-Identifier: Apache-2.0
// The connect enrichment's bound on pending descriptor re-reads: a connect by a shell whose re-read
// cannot be scheduled is still delivered, and the skipped re-read is counted exactly, as a loss of
// source `connect`, cause `reread_limit`. Reads our own child's /proc: no root needed.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class ConnectEnrichmentLimitTests: XCTestCase {
    func testSkippedRereadsAreCountedOneByOne() async throws {
        // A shell that stays a shell (`sh -c 'read x'` waits on our pipe).
        let (readEnd, writeEnd) = makePipe()
        let shell = try Spawn.runUntilExecuted(["/bin/sh", "-c", "read x"], stdin: readEnd)
        close(readEnd)
        defer {
            close(writeEnd)
            Spawn.reap(shell)
        }
        var enrichment = ConnectEnrichment()
        enrichment.maxPendingRereads = 0
        let queue = CaptureQueue(capacity: 64)
        let outlet = CaptureOutlet(queue: queue, source: "connect")
        for i in 0..<3 {
            let connect = ConnectEvent(pid: ProcessID(shell), proto: "tcp", localAddress: nil, localPort: nil,
                                       remoteAddress: "198.51.100.1", remotePort: 4444, result: 0, process: nil)
            XCTAssertTrue(enrichment.deliver(EventRecord(timestamp: UInt64(i + 1), event: .connect(connect)), to: outlet))
        }
        queue.finish()
        var connects = 0
        var skipped: UInt64 = 0
        while let item = await queue.next() {
            guard case .event(let record) = item else { continue }
            if case .connect(let c) = record.event {
                connects += 1
                XCTAssertEqual(c.process?.pid.rawValue, shell, "the connect carries what /proc said of its process")
            }
            if case .drop(let d) = record.event, d.key == "connect/reread_limit" { skipped += d.count }
        }
        XCTAssertEqual(connects, 3)
        XCTAssertEqual(skipped, 3)
        XCTAssertEqual(queue.losses, ["connect/reread_limit": 3])
    }
}
