// SPDX-License-Identifier: Apache-2.0
// The JSON line shape falcosidekick reads: exact top-level keys, RFC 3339 time with nanoseconds,
// nulls kept in output_fields, `count` only for folded alerts, and a lossless round trip.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class AlertJSONTests: XCTestCase {
    func alert(count: Int = 1) -> Alert {
        var a = AlertBuilder.build(rule: .serviceAccountTokenRead, output: "read by %proc.name", record: Fixture.tokenOpen(1.000000123),
                                   pid: ProcessID(130), state: Fixture.state(inContainer: true), hostname: "node-1")
        a.count = count
        return a
    }

    func object(_ line: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    func testExactKeysAndTime() throws {
        let line = alert().jsonLine()
        XCTAssertFalse(line.contains("\n"))
        let o = try object(line)
        XCTAssertEqual(Set(o.keys), ["time", "rule", "priority", "source", "hostname", "output", "tags", "output_fields", "rule_id", "advice"])
        XCTAssertEqual(o["time"] as? String, "2024-05-01T12:00:01.000000123Z")
        XCTAssertEqual(o["rule"] as? String, "Service account token read")
        XCTAssertEqual(o["priority"] as? String, "Warning")
        XCTAssertEqual(o["source"] as? String, "syscall")
        XCTAssertEqual(o["hostname"] as? String, "node-1")
        XCTAssertEqual(o["output"] as? String, "read by nc")
        XCTAssertEqual(o["rule_id"] as? String, "service-account-token-read")
        let fields = try XCTUnwrap(o["output_fields"] as? [String: Any])
        XCTAssertEqual(fields["container.id"] as? String, "0123456789ab")
        XCTAssertEqual((fields["evt.time"] as? NSNumber)?.int64Value, Int64(Fixture.at(1.000000123)))
        XCTAssertTrue(fields["fd.rip"] is NSNull, "unknown values are JSON null, not missing")
        XCTAssertEqual(fields["proc.ancestry"] as? [String], ["sh(100)", "containerd-shim(50)", "systemd(1)"])
        XCTAssertTrue(line.contains("\"/var/run/secrets/kubernetes.io/serviceaccount/token\""), "slashes unescaped")
    }

    func testCountOnlyWhenFolded() throws {
        XCTAssertNil(try object(alert().jsonLine())["count"])
        XCTAssertEqual(try object(alert(count: 3).jsonLine())["count"] as? Int, 3)
    }

    func testRoundTrip() throws {
        let a = alert(count: 2)
        let decoded = try JSONDecoder().decode(Alert.self, from: Data(a.jsonLine().utf8))
        XCTAssertEqual(decoded, a)
    }

    func testInternalSourceEncoding() throws {
        var a = alert()
        a.source = .internal_
        XCTAssertEqual(try object(a.jsonLine())["source"] as? String, "internal")
    }
}
