// SPDX-License-Identifier: Apache-2.0
// Loss is reported, counted and survived (root only):
// - kernel side: the receive thread is held in its read hook (`afterRead`) while a bounded
//   exec storm overflows a tiny socket buffer → ENOBUFS, a DropEvent("proc_connector") with the
//   count from the sequence gaps, a /proc resync, and capture keeps going;
// - queue side: a consumer that does not read lets the bounded capture queue fill → every refused
//   event counted, and reported by one DropEvent(cause "queue_full") carrying the exact count.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class CaptureLossTests: XCTestCase {
    func testKernelOverflowIsReportedResyncedAndSurvived() async throws {
        try requireRoot()
        guard let mount = CaptureContainerAnnouncementTests.cgroup2Mount() else { throw XCTSkip("no cgroup v2 hierarchy mounted") }
        let id = (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
        let dir = "\(mount)/docker-\(id).scope"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { rmdir(dir) }
        // A process in the container before capture starts: the startup snapshot will announce it.
        let (holdRead, holdWrite) = makePipe()
        let resident = try Spawn.run(["/bin/sh", "-c", "echo $$ > \(dir)/cgroup.procs && exec /bin/cat"], stdin: holdRead)
        close(holdRead)
        defer {
            close(holdWrite)
            Spawn.reap(resident)
        }
        // Wait until it is in the cgroup (it moves itself before exec).
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !((try? String(contentsOfFile: "\(dir)/cgroup.procs", encoding: .utf8)) ?? "").contains("\(resident)") {
            usleep(10_000)
        }

        let release = DispatchSemaphore(value: 0)
        let entered = CallCounter()
        var configuration = ProcessCapture.Configuration()
        configuration.snapshotAtStart = true
        configuration.receiveBufferBytes = 2048   // the kernel's minimum is a few KiB: a handful of events
        configuration.afterRead = { info in
            // Hold the receive thread (bounded) while the storm below overflows the socket, once: the
            // resident may be read twice (as `sh` in the snapshot, then at its exec of cat).
            guard let cgroup = info.cgroup, let match = CgroupParser.parse(cgroup), match.id.rawValue == id,
                  entered.matches(for: id).isEmpty else { return }
            entered.add(match)
            _ = release.wait(timeout: .now() + 10)
        }
        let capture = ProcessCapture(configuration: configuration)
        let collector = EventCollector(capture.events)
        try capture.start()
        defer { capture.stop() }

        _ = try await collector.waitFor("capture blocked in its read hook", timeout: 20) { _ in
            entered.matches(for: id).isEmpty ? nil : true
        }
        // Bounded storm: 200 short-lived processes, each reaped before the next.
        for _ in 0..<200 {
            let pid = try Spawn.run(["/bin/true"])
            Spawn.reap(pid)
        }
        release.signal()

        let drop = try await collector.waitFor("proc_connector drop event") { records in
            records.compactMap { r -> DropEvent? in if case .drop(let d) = r.event, d.source == "proc_connector" { d } else { nil } }.first
        }
        XCTAssertGreaterThan(drop.count, 0)
        XCTAssertTrue(drop.reason.contains("ENOBUFS"), drop.reason)
        let stats = capture.counters.snapshot()
        XCTAssertGreaterThan(stats.overflows, 0)
        // The tiny buffer may overflow again later (the host is busy): later drops add to the counter.
        XCTAssertGreaterThanOrEqual(stats.dropsByCause["proc_connector"] ?? 0, drop.count)
        _ = try await collector.waitFor("resync after the loss") { _ in capture.counters.snapshot().resyncs > 0 ? true : nil }

        // Still capturing: a new process after the loss is seen with its argv.
        let (readEnd, writeEnd) = makePipe()
        let after = try Spawn.run(["/bin/cat", "-"], stdin: readEnd)
        close(readEnd)
        defer {
            close(writeEnd)
            Spawn.reap(after)
        }
        let info = try await collector.waitFor("exec after the overflow") { $0.execs(of: after).first }
        XCTAssertEqual(info.argv, ["/bin/cat", "-"])
    }

    /// Nobody reads while the startup snapshot (every process on the host) goes into a queue of 8:
    /// exactly what did not fit is reported, in one drop event ahead of the rest, and in the counters.
    func testFullQueueCountsEveryLostEventExactly() async throws {
        try requireRoot()
        var configuration = ProcessCapture.Configuration()
        configuration.snapshotAtStart = true
        configuration.queueCapacity = 8
        let capture = ProcessCapture(configuration: configuration)
        try capture.start()
        // The snapshot is emitted before any live event: wait until it is done (it fills 8 slots,
        // the rest is dropped), then stop, so no later event can add to the count.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (capture.counters.snapshot().dropsByCause["queue"] ?? 0) == 0 {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        capture.stop()
        let stats = capture.counters.snapshot()
        let dropped = stats.dropsByCause["queue"] ?? 0
        XCTAssertGreaterThan(dropped, 0, "a host has more than 8 processes")
        var records: [EventRecord] = []
        for await r in capture.events { records.append(r) }
        let drops = records.compactMap { r -> DropEvent? in if case .drop(let d) = r.event { d } else { nil } }
        XCTAssertEqual(drops.map(\.source), ["proc_connector"], "one report")
        XCTAssertEqual(drops.first?.cause, "queue_full")
        XCTAssertEqual(drops.first?.count, dropped, "the report carries exactly what the queue refused")
        XCTAssertEqual(records.count - drops.count, 8, "what fit was delivered")
        XCTAssertEqual(stats.eventsByKind.values.reduce(0, +), 8, "the counters agree: 8 emitted")
    }
}
