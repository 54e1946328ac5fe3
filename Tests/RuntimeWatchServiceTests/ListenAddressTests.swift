// SPDX-License-Identifier: Apache-2.0
// `--listen` parsing: the accepted forms and a clear error for each kind of bad value.

import RuntimeWatchService
import XCTest

final class ListenAddressTests: XCTestCase {
    func testAcceptedForms() throws {
        XCTAssertEqual(try ListenAddress(parsing: "127.0.0.1:8765"), ListenAddress(host: "127.0.0.1", port: 8765))
        XCTAssertEqual(try ListenAddress(parsing: "[::1]:9000"), ListenAddress(host: "::1", port: 9000))
        XCTAssertEqual(try ListenAddress(parsing: ":8080"), ListenAddress(host: "0.0.0.0", port: 8080))
        XCTAssertEqual(try ListenAddress(parsing: "localhost:0"), ListenAddress(host: "localhost", port: 0))
        XCTAssertEqual(try ListenAddress(parsing: "node-1.example:65535").port, 65535)
        XCTAssertEqual(ListenAddress.defaultValue.description, "127.0.0.1:8765")
        XCTAssertEqual(ListenAddress(host: "::1", port: 1).description, "[::1]:1")
        XCTAssertEqual(try ListenAddress(parsing: ListenAddress(host: "fe80::1", port: 5).description).host, "fe80::1")
    }

    func testRejectedValuesNameTheProblem() {
        let cases: [(String, String)] = [
            ("", "empty value"),
            ("8765", "missing ':port'"),
            ("127.0.0.1:", "missing port number"),
            ("127.0.0.1:http", "is not a number"),
            ("127.0.0.1:65536", "out of range"),
            ("127.0.0.1:-1", "is not a number"),
            ("127.0.0.1:99999999999999999999", "is not a number"),
            ("::1:8765", "must be written in brackets"),
            ("[::1]8765", "missing ':port' after ']'"),
            ("[::1:8765", "missing ']'"),
            ("[127.0.0.1]:80", "is not an IPv6 address"),
            ("300.1.1.1:80", "neither an IPv4 address nor a hostname"),
            ("bad_host:80", "neither an IPv4 address nor a hostname"),
            ("host name:80", "whitespace"),
        ]
        for (value, expected) in cases {
            XCTAssertThrowsError(try ListenAddress(parsing: value), "\(value) should be refused") { error in
                let text = String(describing: error)
                XCTAssertTrue(text.contains(expected), "\(value): \(text) should mention \(expected)")
                XCTAssertTrue(text.contains("\"\(value)\""), "\(value): \(text) should quote the value")
            }
        }
    }
}
