// SPDX-License-Identifier: Apache-2.0
// A per-test scratch directory, removed in tearDown (also when the test fails).

import Foundation
import XCTest

class TemporaryDirectoryTestCase: XCTestCase {
    private(set) var directory: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rw-\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
        try super.tearDownWithError()
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `text` to a file in the scratch directory and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
}

/// Collects what a TraceReader reports.
final class IssueLog: @unchecked Sendable {
    private(set) var issues: [TraceError] = []
    func record(_ issue: TraceError) { issues.append(issue) }
    var malformed: [(number: Int, reason: String)] {
        issues.compactMap { if case .malformedLine(let n, let r) = $0 { (n, r) } else { nil } }
    }
}

@testable import RuntimeWatchCore

extension TraceReader {
    /// Every remaining record.
    func readAll() throws -> [EventRecord] {
        var out: [EventRecord] = []
        try forEach { out.append($0) }
        return out
    }
}
