// SPDX-License-Identifier: Apache-2.0
// The fds a connecting shell has at its connect go out as a descriptors event, once while they stay
// the same and its re-reads are pending (a storm of connects is not a storm of identical descriptors
// events), and again as soon as they change. A connect that reuses the last read while a look at the
// shell's fds is due does not read them: the look reports the change. Reads our own child's /proc:
// no root needed.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class ConnectEnrichmentDescriptorsTests: XCTestCase {
    /// A shell that moves its stderr onto its stdin pipe when it reads a line, then waits; the
    /// descriptor it writes the line to, and a way to deliver its connects.
    private struct Shell {
        let pid: pid_t
        let writeEnd: Int32

        init() throws {
            let (readEnd, writeEnd) = makePipe()
            let devnull = open("/dev/null", O_WRONLY)
            pid = try Spawn.runUntilExecuted(["/bin/sh", "-c", "read x; exec 2<&0; read y"], stdin: readEnd, stdout: devnull, stderr: devnull)
            close(readEnd)
            close(devnull)
            self.writeEnd = writeEnd
        }

        func stop() {
            close(writeEnd)
            Spawn.reap(pid)
        }

        /// Makes the shell move fd 2 and waits (at most 5 s) until /proc shows it.
        func moveStderr() throws {
            XCTAssertEqual(write(writeEnd, "x\n", 2), 2)
            let fd0 = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/0")
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline, (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/2")) != fd0 {
                usleep(5_000)
            }
            XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/2"), fd0)
        }

        func connect(_ i: Int, through enrichment: ConnectEnrichment, to outlet: CaptureOutlet) {
            let event = ConnectEvent(pid: ProcessID(pid), proto: "tcp", localAddress: nil, localPort: nil,
                                     remoteAddress: "198.51.100.1", remotePort: 4444, result: 0, process: nil)
            XCTAssertTrue(enrichment.deliver(EventRecord(timestamp: UInt64(i), event: .connect(event)), to: outlet))
        }
    }

    /// What came out of the queue: each connect's fds (nil: not read), and the descriptors reports.
    private struct Delivered {
        var connectFds: [[DescriptorInfo]?] = []
        var reports: [[DescriptorInfo]] = []
        var stderrKinds: [DescriptorInfo.Kind?] { reports.map { $0.first { $0.fd == 2 }?.kind } }
    }

    /// Takes records until `queue` is finished; bounded by a watchdog that finishes it after 10 s.
    private func collect(_ queue: CaptureQueue, shell: pid_t) async -> Delivered {
        let watchdog = Task { try await Task.sleep(for: .seconds(10)); queue.finish() }
        defer { watchdog.cancel() }
        var out = Delivered()
        while let item = await queue.next() {
            guard case .event(let record) = item else { continue }
            if case .connect(let c) = record.event { out.connectFds.append(c.process?.fds) }
            if case .descriptors(let d) = record.event {
                XCTAssertEqual(d.pid.rawValue, shell)
                out.reports.append(d.fds)
            }
        }
        return out
    }

    func testAShellsUnchangedFdsAreSentOnceWhileItsLooksArePendingAndAChangeAtOnce() async throws {
        let shell = try Shell()
        defer { shell.stop() }
        var enrichment = ConnectEnrichment()
        enrichment.identityReuseWindow = nil     // every connect reads the fds
        enrichment.rereadDelays = [.seconds(5)]  // the look comes after the test
        let queue = CaptureQueue(capacity: 64)
        let outlet = CaptureOutlet(queue: queue, source: "connect")
        for i in 1...3 { shell.connect(i, through: enrichment, to: outlet) }
        try shell.moveStderr()
        for i in 4...5 { shell.connect(i, through: enrichment, to: outlet) }
        queue.finish()

        let out = await collect(queue, shell: shell.pid)
        XCTAssertEqual(out.connectFds.count, 5)
        XCTAssertTrue(out.connectFds.allSatisfy { $0 != nil }, "every connect read its fds")
        XCTAssertEqual(out.reports.count, 2, "one report for the first three connects, one for the change")
        XCTAssertEqual(out.stderrKinds, [.devnull, .pipe], "before and after the shell moved its stderr")
    }

    func testAConnectWhileALookIsDueLeavesTheChangeToTheLook() async throws {
        let shell = try Shell()
        defer { shell.stop() }
        var enrichment = ConnectEnrichment()
        enrichment.identityReuseWindow = .seconds(30)  // every connect after the first reuses its read
        // The look is due 3-4.5 s after the first connect: well after the five connects (the stderr
        // move between them takes milliseconds), and before the queue is finished at 6 s.
        enrichment.rereadDelays = [.seconds(3)]
        let queue = CaptureQueue(capacity: 64)
        let outlet = CaptureOutlet(queue: queue, source: "connect")
        let started = ContinuousClock.now
        for i in 1...3 { shell.connect(i, through: enrichment, to: outlet) }
        try shell.moveStderr()
        for i in 4...5 { shell.connect(i, through: enrichment, to: outlet) }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3), "the connects came after the look")
        try await Task.sleep(until: started + .seconds(6), clock: .continuous)
        queue.finish()

        let out = await collect(queue, shell: shell.pid)
        XCTAssertEqual(out.connectFds.count, 5)
        let connectStderr = out.connectFds.map { $0?.first { $0.fd == 2 }?.kind }
        XCTAssertEqual(connectStderr, [.devnull, .devnull, .devnull, .devnull, .devnull],
                       "connects 2-5 carry the fds last reported, not read: a look was due")
        XCTAssertEqual(out.stderrKinds, [.devnull, .pipe], "the first connect's fds, then the look's report of the change")
    }
}
