// SPDX-License-Identifier: Apache-2.0
// `runtime-watch replay FIXTURE` prints, byte for byte, the golden alert lines that the Core golden
// test (GoldenReplayTests, through the same TraceSource and DriveLoop) also has to produce: the
// command and the tests run one pipeline.

import Foundation
import XCTest

final class GoldenReplayCommandTests: CLITestCase {
    /// Tests/RuntimeWatchCoreTests/Fixtures in the source tree.
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("RuntimeWatchCoreTests/Fixtures")

    func testReplayCommandPrintsExactlyTheGoldenAlertLines() throws {
        let traces = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path)
            .filter { $0.hasSuffix(".jsonl") && !$0.hasSuffix(".expected.jsonl") }.sorted()
        XCTAssertFalse(traces.isEmpty, "no fixtures in \(Self.fixtures.path)")
        for trace in traces {
            let path = Self.fixtures.appendingPathComponent(trace).path
            let expected = try String(contentsOfFile: path.replacingOccurrences(of: ".jsonl", with: ".expected.jsonl"), encoding: .utf8)
            let result = try AssertExecuteCommand(["replay", path], expectedStderr: "")
            XCTAssertEqual(result.stdout, expected, "\(trace): `runtime-watch replay` differs from the golden alert lines")
        }
    }
}
