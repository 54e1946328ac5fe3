// SPDX-License-Identifier: Apache-2.0
// The EventRecord JSON encoding itself (Events/Event.swift): hand-written lines as fixture authors
// write them decode to the right case, every case's `type` tag matches `Event.kind`, and payload
// fields never collide with the record's own `ts`/`type`.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class EventCodecTests: XCTestCase {
    func decode(_ line: String) throws -> EventRecord {
        try JSONDecoder().decode(EventRecord.self, from: Data(line.utf8))
    }

    func testHandWrittenLinesDecode() throws {
        XCTAssertEqual(try decode(#"{"ts":1,"type":"fork","parent":1,"child":2}"#),
                       EventRecord(timestamp: 1, event: .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(2)))))
        XCTAssertEqual(try decode(#"{"type":"exit","pid":2,"code":137,"signal":9,"ts":3}"#),
                       EventRecord(timestamp: 3, event: .exit(ExitEvent(pid: ProcessID(2), code: 137, signal: 9))), "key order is free")
        let exec = try decode(#"{"ts":4,"type":"exec","pid":5,"exe":"/bin/sh","argv":["sh","-i"],"cgroup":"/"}"#)
        guard case .exec(let info) = exec.event else { return XCTFail("\(exec)") }
        XCTAssertEqual(info.argv, ["sh", "-i"])
        XCTAssertNil(info.ppid, "optional fields may be left out")
        XCTAssertEqual(try decode(#"{"ts":5,"type":"open","pid":5,"path":"/t","write":false}"#).event.kind, "open")
        XCTAssertEqual(try decode(#"{"ts":6,"type":"fds","pid":5,"fds":[]}"#).event, .descriptors(DescriptorsEvent(pid: ProcessID(5), fds: [])))
    }

    func testEveryCaseEncodesItsKindAsTypeAndDecodesToTheSameCase() throws {
        for record in EventSamples.records {
            let line = try record.jsonLine()
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(object["type"] as? String, record.event.kind)
            XCTAssertEqual((object["ts"] as? NSNumber)?.uint64Value, record.timestamp)
            let back = try decode(line)
            XCTAssertEqual(EventSamples.caseIndex(back.event), EventSamples.caseIndex(record.event))
            XCTAssertEqual(back, record)
            // The standard Codable path (JSONEncoder on EventRecord) agrees with the trace line.
            XCTAssertEqual(try decode(String(decoding: JSONEncoder().encode(record), as: UTF8.self)), record)
        }
    }

    func testPayloadKeysNeverCollideWithRecordKeys() throws {
        for record in EventSamples.records {
            // A payload field named "ts" or "type" would appear twice in the raw line (a parsed
            // dictionary would hide it). Quotes inside strings are escaped, so they cannot match.
            let line = try record.jsonLine()
            XCTAssertEqual(line.components(separatedBy: #""ts":"#).count - 1, 1, record.event.kind)
            XCTAssertEqual(line.components(separatedBy: #""type":"#).count - 1, 1, record.event.kind)
        }
    }

    func testKindsAreTheDocumentedTypeTags() {
        XCTAssertEqual(EventSamples.all.map(\.kind),
                       ["snapshot", "fork", "exec", "exit", "uid", "gid", "sid", "comm", "ptrace", "coredump",
                        "container", "drop", "open", "connect", "fds", "k8s_audit"])
    }
}
