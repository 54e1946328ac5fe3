// SPDX-License-Identifier: Apache-2.0
// Audit record text → exec pid and argv (stretch: completing argv of processes that exited before
// /proc was read). Pure; fixtures are records as the kernel writes them.

import RuntimeWatchCapture
import XCTest

final class AuditExecveParserTests: XCTestCase {
    static let syscall = "audit(1795346698.703:5): arch=c000003e syscall=59 success=yes exit=0 a0=563517c8c110 a1=563517ca63b0 a2=563517c8cca0 a3=8 items=2 ppid=16522 pid=16568 auid=4294967295 uid=0 gid=0 comm=\"a\" exe=\"/tmp/a\" key=(null)"

    func testSyscallRecordGivesThePidNotThePpid() {
        XCTAssertEqual(AuditExecveParser.serial(Self.syscall), 5)
        XCTAssertEqual(AuditExecveParser.execPID(syscallRecord: Self.syscall), 16568)
        XCTAssertNil(AuditExecveParser.execPID(syscallRecord: Self.syscall.replacingOccurrences(of: "success=yes", with: "success=no")))
        XCTAssertNil(AuditExecveParser.execPID(syscallRecord: Self.syscall.replacingOccurrences(of: "syscall=59", with: "syscall=2")))
    }

    func testQuotedHexAndChunkedArguments() throws {
        // a1 = "nc -e /bin/sh" (has spaces → hex); a2 split into chunks.
        let text = "audit(1.2:9): argc=3 a0=\"/bin/sh\" a1=6E63202D65202F62696E2F7368 a2_len=6 a2[0]=\"abc\" a2[1]=646566"
        XCTAssertEqual(try AuditExecveParser.arguments(execveRecord: text), ["/bin/sh", "nc -e /bin/sh", "abcdef"])
    }

    func testBadRecordsNameTheProblem() {
        XCTAssertThrowsError(try AuditExecveParser.arguments(execveRecord: "audit(1.2:9): argc=2 a0=\"x\"")) {
            XCTAssertEqual("\($0)", "audit EXECVE: a1 missing (argc 2)")
        }
        XCTAssertThrowsError(try AuditExecveParser.arguments(execveRecord: "audit(1.2:9): a0=\"x\"")) {
            XCTAssertEqual("\($0)", "audit EXECVE: no valid argc")
        }
        XCTAssertThrowsError(try AuditExecveParser.arguments(execveRecord: "audit(1.2:9): argc=1 a0=XYZ")) {
            XCTAssertEqual("\($0)", "audit EXECVE: a0 is neither quoted nor hex")
        }
    }

    /// The fuzzer's input (CI, `Fuzz/crashes/proc-crash-608eea1d…`): an even number of UTF-8 bytes
    /// but an odd number of characters ("ȸ" is two bytes) split the hex by characters past the end.
    func testHexWithAMultiByteCharacterIsRefusedNotSplit() {
        XCTAssertThrowsError(try AuditExecveParser.arguments(execveRecord: "audit(1.2:9): argc=1 a0=FE7326\u{238}")) {
            XCTAssertEqual("\($0)", "audit EXECVE: a0 is neither quoted nor hex")
        }
        XCTAssertThrowsError(try AuditExecveParser.arguments(execveRecord: "audit(1.2:9): argc=1 a0=+f"), "a sign is not a hex digit")
        // The fuzzer's exact line has no stamp: refused for that before any argument is looked at.
        XCTAssertThrowsError(try AuditExecveParser.arguments(execveRecord: ": argc=3 a0=\"nc\"2F62696 a0=FE7326\u{238}")) {
            XCTAssertEqual("\($0)", "audit EXECVE: does not start with \"audit(\"")
        }
    }

    /// The record is split by `AuditRecordText`: a repeated key keeps its first value, quotes are
    /// kept so a quoted argument is never taken for hex, and an unterminated quote is named.
    func testQuotingDecidesTheDecodingAndRepeatsKeepTheFirst() {
        XCTAssertEqual(try AuditExecveParser.arguments(execveRecord: "audit(1.2:9): argc=1 a0=\"4142\" a0=4344"), ["4142"])
        XCTAssertEqual(try AuditExecveParser.arguments(execveRecord: "audit(1.2:9): argc=1 a0=4142"), ["AB"])
        XCTAssertThrowsError(try AuditExecveParser.arguments(execveRecord: "audit(1.2:9): argc=1 a0=\"abc")) {
            XCTAssertEqual("\($0)", "audit EXECVE: a0 has an unterminated quote")
        }
        XCTAssertNil(AuditExecveParser.serial("argc=1 a0=\"x\""), "no stamp, no serial")
        XCTAssertNil(AuditExecveParser.execPID(syscallRecord: "arch=c000003e syscall=59 success=yes pid=1"), "no stamp, no pid")
    }

    func testJoinerPairsRecordsBySerialInEitherOrder() {
        var joiner = AuditExecveJoiner(capacity: 2)
        XCTAssertNil(joiner.add(type: 1309, text: "audit(1.0:7): argc=1 a0=\"/bin/true\""))
        let joined = joiner.add(type: 1300, text: Self.syscall.replacingOccurrences(of: ":5)", with: ":7)"))
        XCTAssertEqual(joined?.pid, 16568)
        XCTAssertEqual(joined?.argv, ["/bin/true"])
        XCTAssertNil(joiner.add(type: 1307, text: "audit(1.0:7): cwd=\"/\""), "other record types are ignored")
        // Bounded: serial 8 is forgotten after 2 newer incomplete ones.
        _ = joiner.add(type: 1309, text: "audit(1.0:8): argc=1 a0=\"old\"")
        _ = joiner.add(type: 1309, text: "audit(1.0:9): argc=1 a0=\"b\"")
        _ = joiner.add(type: 1309, text: "audit(1.0:10): argc=1 a0=\"c\"")
        XCTAssertNil(joiner.add(type: 1300, text: Self.syscall.replacingOccurrences(of: ":5)", with: ":8)")))
        // Still in arrival order after the forgotten front is dropped: 10 goes, 11 (newest) stays.
        _ = joiner.add(type: 1309, text: "audit(1.0:11): argc=1 a0=\"d\"")
        XCTAssertNil(joiner.add(type: 1300, text: Self.syscall.replacingOccurrences(of: ":5)", with: ":10)")))
        XCTAssertEqual(joiner.add(type: 1300, text: Self.syscall.replacingOccurrences(of: ":5)", with: ":11)"))?.argv, ["d"])
    }
}
