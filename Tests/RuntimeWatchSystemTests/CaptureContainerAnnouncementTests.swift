// SPDX-License-Identifier: Apache-2.0
// A process moved into a docker-style cgroup before it execs: the live capture announces the
// container (from the injected metadata reader, called once per id) BEFORE the exec event, and not
// again for a second process in the same container. Root only; the test cgroup is removed afterwards.

import Foundation
import Glibc
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class CaptureContainerAnnouncementTests: XCTestCase {
    /// Mount point of the cgroup v2 hierarchy (unified or hybrid), from /proc/self/mountinfo.
    static func cgroup2Mount() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count > 4 { return String(fields[4]) }
        }
        return nil
    }

    func testContainerAnnouncedOnceBeforeTheFirstExec() async throws {
        try requireRoot()
        guard let mount = Self.cgroup2Mount() else { throw XCTSkip("no cgroup v2 hierarchy mounted") }
        let id = (0..<4).map { _ in String(format: "%016llx", UInt64.random(in: 0...UInt64.max)) }.joined()
        let dir = "\(mount)/docker-\(id).scope"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { rmdir(dir) }

        let calls = CallCounter()
        let capture = LiveCapture.processesOnly(snapshot: false, containerMetadata: { match throws(OCIMetadataError) in
            calls.add(match)
            guard match.id.rawValue == id else { throw OCIMetadataError(containerID: match.id, path: nil, reason: .notFound(searched: 0)) }
            return OCIMetadata(info: ContainerInfo(id: match.id, runtime: match.runtime, podName: "web-0", namespace: "shop", image: "nginx:1.27"))
        })
        let collector = EventCollector(capture.records())
        try capture.start()
        defer { capture.stop() }

        // Each child joins the cgroup, then execs cat, which blocks on a pipe we hold open.
        let (readEnd, writeEnd) = makePipe()
        let script = "echo $$ > \(dir)/cgroup.procs && exec /bin/cat"
        let first = try Spawn.run(["/bin/sh", "-c", script], stdin: readEnd)
        let second = try Spawn.run(["/bin/sh", "-c", script], stdin: readEnd)
        close(readEnd)
        defer {
            close(writeEnd)
            Spawn.reap(first)
            Spawn.reap(second)
        }
        for pid in [first, second] {
            _ = try await collector.waitFor("exec of cat in the container (pid \(pid))") { records in
                records.execs(of: pid).first(where: { $0.argv == ["/bin/cat"] })
            }
        }
        let records = collector.all
        let announcements = records.enumerated().compactMap { i, r -> (Int, ContainerInfo)? in
            if case .container(let c) = r.event, c.id.rawValue == id { (i, c) } else { nil }
        }
        XCTAssertEqual(announcements.count, 1, "one announcement per container id")
        let (announcedAt, info) = try XCTUnwrap(announcements.first)
        XCTAssertEqual(info, ContainerInfo(id: ContainerID(id), runtime: "docker", podName: "web-0", namespace: "shop", image: "nginx:1.27"))
        let firstExec = try XCTUnwrap(records.firstIndex { r in
            if case .exec(let p) = r.event, p.cgroup == "/docker-\(id).scope" { true } else { false }
        })
        XCTAssertLessThan(announcedAt, firstExec, "the container event comes before the process event")
        XCTAssertEqual(calls.matches(for: id).count, 1, "the metadata closure is called once per id")
        XCTAssertEqual(calls.matches(for: id).first?.runtime, "docker")

        // Processes must leave the cgroup before it can be removed.
        close(writeEnd)
        Spawn.reap(first)
        Spawn.reap(second)
    }
}

/// Records the closure's calls (thread-safe: the closure runs on the capture thread).
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [CgroupMatch] = []
    func add(_ m: CgroupMatch) { lock.withLock { seen.append(m) } }
    func matches(for id: String) -> [CgroupMatch] { lock.withLock { seen.filter { $0.id.rawValue == id } } }
}
