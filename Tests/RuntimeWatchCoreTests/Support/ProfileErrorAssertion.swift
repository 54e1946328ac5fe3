// SPDX-License-Identifier: Apache-2.0
// The one check of a refused profile that every profile-section test uses: loaded as "bad.yaml", it
// must be refused at exactly line:column, with a reason that contains `text`, in the
// `file:line:column: reason` form users read.

import XCTest
@testable import RuntimeWatchCore

extension XCTestCase {
    func assertProfileError(_ yaml: String, line: Int, column: Int, contains text: String,
                            file: StaticString = #filePath, testLine: UInt = #line) {
        do {
            _ = try ProfileLoader().parse(yaml, file: "bad.yaml")
            XCTFail("expected an error for:\n\(yaml)", file: file, line: testLine)
        } catch {
            XCTAssertEqual(error.file, "bad.yaml", file: file, line: testLine)
            XCTAssertEqual(error.line, line, "\(error)", file: file, line: testLine)
            XCTAssertEqual(error.column, column, "\(error)", file: file, line: testLine)
            XCTAssertTrue(error.reason.contains(text), "\(error)", file: file, line: testLine)
            XCTAssertTrue(error.description.hasPrefix("bad.yaml:\(line):\(column): "), error.description, file: file, line: testLine)
        }
    }
}
