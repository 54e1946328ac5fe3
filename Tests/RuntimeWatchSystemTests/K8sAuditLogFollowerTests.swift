// SPDX-License-Identifier: Apache-2.0
// The audit log follower against a real file being written: appends (including a line split over
// two writes), a rename rotation with late writes to the old file, a new file, and a copytruncate;
// no event may be lost or read twice, and a malformed line is reported by number and skipped.

import Foundation
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class K8sAuditLogFollowerTests: XCTestCase {
    static func line(_ n: Int) -> String {
        let second = String(format: "%02d", n % 60), micro = String(format: "%06d", n)
        return #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"e-\#(n)","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/pods","verb":"list","user":{"username":"system:node:node-1","groups":["system:nodes"]},"objectRef":{"resource":"pods","namespace":"shop","apiVersion":"v1"},"responseStatus":{"code":200},"stageTimestamp":"2026-11-20T09:00:\#(second).\#(micro)Z"}"# + "\n"
    }

    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [String] = []
        private var problems: [String] = []
        func add(_ id: String) { lock.lock(); ids.append(id); lock.unlock() }
        func problem(_ text: String) { lock.lock(); problems.append(text); lock.unlock() }
        var snapshot: ([String], [String]) { lock.lock(); defer { lock.unlock() }; return (ids, problems) }
    }

    func append(_ text: String, to url: URL) throws {
        let h = try FileHandle(forWritingTo: url)
        try h.seekToEnd()
        try h.write(contentsOf: Data(text.utf8))
        try h.close()
    }

    func waitFor(_ count: Int, _ collected: Collected, timeout: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + timeout
        while collected.snapshot.0.count < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }

    func testAppendRotateAndTruncateLoseAndRepeatNothing() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-follow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log"), rotated = dir.appendingPathComponent("audit.log.1")
        try (0..<50).map(Self.line).joined().write(to: log, atomically: false, encoding: .utf8)

        var configuration = K8sAuditLogFollower.Configuration()
        configuration.pollInterval = .milliseconds(20)
        let follower = K8sAuditLogFollower(path: log.path, configuration: configuration)
        let collected = Collected()
        let stream = follower.events(onIssue: { collected.problem($0.description) })
        let reader = Task {
            for await record in stream { if case .k8sAudit(let e) = record.event { collected.add(e.auditID) } }
        }
        defer { follower.stop(); reader.cancel() }

        await waitFor(50, collected)
        // Growth, with one line split across two writes and a malformed line in between.
        for n in 50..<80 { try append(Self.line(n), to: log) }
        let split = Self.line(80)
        try append(String(split.prefix(40)), to: log)
        try await Task.sleep(for: .milliseconds(60))
        try append(String(split.dropFirst(40)) + "{not json\n", to: log)
        // Rotation: rename, the writer still appends to the old file, then a new file appears.
        try FileManager.default.moveItem(at: log, to: rotated)
        for n in 81..<90 { try append(Self.line(n), to: rotated) }
        try (90..<120).map(Self.line).joined().write(to: log, atomically: false, encoding: .utf8)
        await waitFor(120, collected)
        // copytruncate: the file is emptied in place and written from the start again.
        let h = try FileHandle(forWritingTo: log)
        try h.truncate(atOffset: 0)
        try h.close()
        try append(Self.line(120), to: log)
        await waitFor(121, collected)

        let (ids, problems) = collected.snapshot
        XCTAssertEqual(ids, (0...120).map { "e-\($0)" }, "every event exactly once, in order")
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems.first?.contains("line 82: not valid JSON") ?? false, "\(problems)")
        let counts = follower.counts
        XCTAssertEqual(counts.rotations, 1)
        XCTAssertEqual(counts.truncations, 1)
        XCTAssertEqual(counts.events, 121)
        XCTAssertEqual(counts.malformed, 1)
    }

    func testStopAtEndReadsAFinishedFileIncludingALastLineWithoutNewline() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-end-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("audit.log")
        try ((0..<3).map(Self.line).joined() + Self.line(3).dropLast()).write(to: log, atomically: false, encoding: .utf8)
        var configuration = K8sAuditLogFollower.Configuration()
        configuration.stopAtEnd = true
        var ids: [String] = []
        for await record in K8sAuditLogFollower(path: log.path, configuration: configuration).events(onIssue: { XCTFail("\($0)") }) {
            if case .k8sAudit(let e) = record.event { ids.append(e.auditID) }
        }
        XCTAssertEqual(ids, ["e-0", "e-1", "e-2", "e-3"])
    }
}
