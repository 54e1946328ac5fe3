// SPDX-License-Identifier: Apache-2.0
// SystemError's printed form and the procfs directory reads' errno mapping, without privileges.

import Foundation
import RuntimeWatchSystem
import SystemPackage
import XCTest

final class SystemErrorTests: XCTestCase {
    func testPrintsOperationStrerrorAndNumber() {
        let error = SystemError(operation: "fanotify_mark", errno: .notPermitted)
        XCTAssertEqual("\(error)", "fanotify_mark: Operation not permitted (errno 1)")
    }

    func testProcessGoneIsESRCHOrENOENT() {
        XCTAssertTrue(SystemError(operation: "x", errno: .noSuchProcess).isProcessGone)
        XCTAssertTrue(SystemError(operation: "x", errno: .noSuchFileOrDirectory).isProcessGone)
        XCTAssertFalse(SystemError(operation: "x", errno: .permissionDenied).isProcessGone)
    }

    func testMissingDirectoryThrowsENOENTNamingTheShimFunction() {
        XCTAssertThrowsError(try ProcDirectory.open("/nonexistent-rw-\(getpid())")) { error in
            let e = error as? SystemError
            XCTAssertEqual(e?.operation, "rw_proc_open")
            XCTAssertEqual(e?.isProcessGone, true)
        }
    }

    func testReadIsCappedAndSaysSo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rw-cap-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(repeating: 0x41, count: 100).write(to: dir.appendingPathComponent("big"))
        try Data(repeating: 0x42, count: 10).write(to: dir.appendingPathComponent("small"))
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link").path, withDestinationPath: "pipe:[99]")
        let proc = try ProcDirectory.open(dir.path)
        defer { proc.close() }
        let big = try proc.read("big", limit: 64)
        XCTAssertEqual(big.bytes.count, 64)
        XCTAssertTrue(big.truncated)
        let small = try proc.read("small", limit: 10)
        XCTAssertEqual(small.bytes, Array(repeating: 0x42, count: 10))
        XCTAssertFalse(small.truncated)
        XCTAssertEqual(try proc.readLink("link"), "pipe:[99]")
        XCTAssertThrowsError(try proc.read("absent", limit: 10)) { XCTAssertEqual(($0 as? SystemError)?.errno, .noSuchFileOrDirectory) }
    }
}
