// SPDX-License-Identifier: Apache-2.0
// Loss is reported, counted and survived (root only):
// - kernel side: the receive thread is held inside the container-metadata closure while a bounded
//   exec storm overflows a tiny socket buffer → ENOBUFS, a DropEvent("proc_connector") with the
//   count from the sequence gaps, a /proc resync, and capture keeps going;
// - stream side: a consumer that does not read lets the bounded stream fill → events counted as
//   "queue" drops, then reported by one DropEvent("queue") once there is room again.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchLive
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
        let capture = ProcessCapture(configuration: configuration, containerMetadata: { match in
            // Hold the receive thread (bounded) while the storm below overflows the socket.
            if match.id.rawValue == id {
                entered.add(match)
                _ = release.wait(timeout: .now() + 10)
            }
            return nil
        })
        let collector = EventCollector(capture.events)
        try capture.start()
        defer { capture.stop() }

        _ = try await collector.waitFor("capture blocked in the metadata closure", timeout: 20) { _ in
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

    func testFullStreamCountsQueueDropsThenReportsThem() async throws {
        try requireRoot()
        var configuration = ProcessCapture.Configuration()
        configuration.snapshotAtStart = true
        configuration.queueCapacity = 8
        let capture = ProcessCapture(configuration: configuration)
        try capture.start()
        defer { capture.stop() }
        // Nobody reads yet: the snapshot (every process on the host) overflows 8 slots.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (capture.counters.snapshot().dropsByCause["queue"] ?? 0) == 0 {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let dropped = capture.counters.snapshot().dropsByCause["queue"] ?? 0
        XCTAssertGreaterThan(dropped, 0, "a host has more than 8 processes")
        XCTAssertEqual(capture.counters.snapshot().eventsByKind.values.reduce(0, +), 8, "only what fit was emitted")

        let collector = EventCollector(capture.events)
        // Any new event now finds room and is preceded by the drop report.
        let pid = try Spawn.run(["/bin/true"])
        Spawn.reap(pid)
        let report = try await collector.waitFor("queue drop event") { records in
            records.compactMap { r -> DropEvent? in if case .drop(let d) = r.event, d.source == "queue" { d } else { nil } }.first
        }
        XCTAssertGreaterThanOrEqual(report.count, dropped)
        XCTAssertLessThanOrEqual(report.count, capture.counters.snapshot().dropsByCause["queue"] ?? 0)
        XCTAssertEqual(collector.all.prefix(8).count, 8)
    }
}
