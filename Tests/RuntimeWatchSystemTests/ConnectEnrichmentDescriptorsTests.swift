// SPDX-License-Identifier: Apache-2.0
// The fds a connecting shell has at its connect go out as a descriptors event, once while they stay
// the same and its re-reads are pending (a storm of connects is not a storm of identical descriptors
// events), and again as soon as they change. Reads our own child's /proc: no root needed.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class ConnectEnrichmentDescriptorsTests: XCTestCase {
    func testAShellsUnchangedFdsAreSentOnceAndAChangeAtOnce() async throws {
        // A shell that moves its stderr onto its stdin pipe when it reads a line, then waits.
        let (readEnd, writeEnd) = makePipe()
        let devnull = open("/dev/null", O_WRONLY)
        let shell = try Spawn.run(["/bin/sh", "-c", "read x; exec 2<&0; read y"], stdin: readEnd, stdout: devnull, stderr: devnull)
        close(readEnd)
        close(devnull)
        defer {
            close(writeEnd)
            Spawn.reap(shell)
        }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !(ProcReader().read(pid: shell).info.map(ProgramClassifier.isShellOrInterpreter) ?? false) {
            usleep(5_000)
        }
        var enrichment = ConnectEnrichment()
        // The looks would report a change too; far off, so only the connects' own reports are seen.
        enrichment.rereadDelays = [.seconds(5)]
        let queue = CaptureQueue(capacity: 64)
        let outlet = CaptureOutlet(queue: queue, source: "connect")
        func connect(_ i: Int) {
            let event = ConnectEvent(pid: ProcessID(shell), proto: "tcp", localAddress: nil, localPort: nil,
                                     remoteAddress: "198.51.100.1", remotePort: 4444, result: 0, process: nil)
            XCTAssertTrue(enrichment.deliver(EventRecord(timestamp: UInt64(i), event: .connect(event)), to: outlet))
        }
        for i in 1...3 { connect(i) }

        // The shell moves fd 2; wait until /proc shows it.
        XCTAssertEqual(write(writeEnd, "x\n", 2), 2)
        let fd0 = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(shell)/fd/0")
        let moved = Date().addingTimeInterval(5)
        while Date() < moved, (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(shell)/fd/2")) != fd0 {
            usleep(5_000)
        }
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(shell)/fd/2"), fd0)
        for i in 4...5 { connect(i) }
        queue.finish()

        var connects = 0
        var reports: [[DescriptorInfo]] = []
        while let item = await queue.next() {
            guard case .event(let record) = item else { continue }
            if case .connect = record.event { connects += 1 }
            if case .descriptors(let d) = record.event {
                XCTAssertEqual(d.pid.rawValue, shell)
                reports.append(d.fds)
            }
        }
        XCTAssertEqual(connects, 5)
        XCTAssertEqual(reports.count, 2, "one report for the first three connects, one for the change")
        let stderrKinds = reports.map { $0.first { $0.fd == 2 }?.kind }
        XCTAssertEqual(stderrKinds, [.devnull, .pipe], "before and after the shell moved its stderr")
    }
}
