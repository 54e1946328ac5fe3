// SPDX-License-Identifier: Apache-2.0
// One real happy path per FanotifyGroup call, plus the errno mapping and the kernel behaviour the
// token watcher relies on (a closed group allows whatever was pending). Needs root.

import Foundation
import Glibc
import SystemPackage
import XCTest
@testable import RuntimeWatchSystem

final class FanotifyGroupLiveTests: XCTestCase {
    private var dir: TemporaryDirectory!
    private var file: String { dir.path + "/watched" }

    override func setUpWithError() throws {
        try requireRoot()
        dir = try TemporaryDirectory(prefix: "rw-fangroup")
        try Data("secret".utf8).write(to: URL(fileURLWithPath: file))
    }

    override func tearDown() {
        dir?.remove()
    }

    /// Starts `cat file` in the background; the caller waits on it.
    private func startCat() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/cat")
        process.arguments = [file]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Reads events until one arrives (bounded: 5 s).
    private func nextEvents(_ group: FanotifyGroup) throws -> [FanotifyEvent] {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let batch = try group.readEvents(), !batch.events.isEmpty {
                XCTAssertNil(batch.problem)
                return batch.events
            }
            usleep(1_000)
        }
        XCTFail("no fanotify event within 5 s")
        return []
    }

    func testPermissionEventHoldsOpenerUntilAllowed() throws {
        let group = try FanotifyGroup(class: .content)
        defer { try? group.close() }
        try group.mark(path: file, mask: .openPermission)
        let cat = try startCat()
        let events = try nextEvents(group)
        XCTAssertEqual(events.count, 1)
        let event = try XCTUnwrap(events.first)
        XCTAssertEqual(event.pid, cat.processIdentifier)
        XCTAssertEqual(event.mask, .openPermission)
        XCTAssertEqual(try event.path(), realPath(file))
        var st = stat()
        XCTAssertEqual(stat(file, &st), 0)
        XCTAssertEqual(try event.fileID(), FanotifyFileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
        // Held: cat cannot have finished its open, so it is still running.
        usleep(50_000)
        XCTAssertTrue(cat.isRunning, "the opener should be held until answered")
        try group.respond(to: event, allow: true)
        event.close()
        cat.waitUntilExit()
        XCTAssertEqual(cat.terminationStatus, 0)
        // A second answer for the same event is refused by the kernel.
        XCTAssertThrowsError(try group.respond(to: FileDescriptor(rawValue: 999), allow: true))
    }

    func testDenyFailsTheOpen() throws {
        let group = try FanotifyGroup(class: .content)
        defer { try? group.close() }
        try group.mark(path: file, mask: .openPermission)
        let cat = try startCat()
        let event = try XCTUnwrap(try nextEvents(group).first)
        try group.respond(to: event, allow: false)
        event.close()
        cat.waitUntilExit()
        XCTAssertNotEqual(cat.terminationStatus, 0, "cat must fail with EPERM when denied")
    }

    func testClosingTheGroupReleasesPendingOpeners() throws {
        let group = try FanotifyGroup(class: .content)
        try group.mark(path: file, mask: .openPermission)
        let cat = try startCat()
        let event = try XCTUnwrap(try nextEvents(group).first)
        event.close()  // never answered
        try group.close()
        cat.waitUntilExit()
        XCTAssertEqual(cat.terminationStatus, 0, "closing the group must allow the pending open")
    }

    func testMarkingAMissingPathThrowsNamedErrno() throws {
        let group = try FanotifyGroup(class: .content)
        defer { try? group.close() }
        XCTAssertThrowsError(try group.mark(path: dir.path + "/absent", mask: .openPermission)) { error in
            let error = error as? SystemError
            XCTAssertEqual(error?.errno, .noSuchFileOrDirectory)
            XCTAssertEqual(error?.description, "fanotify_mark: No such file or directory (errno 2)")
        }
    }

    func testMarkFileResolvesAbsoluteSymlinksInsideTheRoot() throws {
        // rootfs/var/run -> /run (absolute, as in most images); only rootfs/run/secret exists.
        let root = dir.path + "/rootfs"
        try FileManager.default.createDirectory(atPath: root + "/run", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/var", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/var/run", withDestinationPath: "/run")
        try Data("in-root".utf8).write(to: URL(fileURLWithPath: root + "/run/rw-secret-\(getpid())"))
        let group = try FanotifyGroup(class: .content)
        defer { try? group.close() }
        let marked = try group.markFile(at: "/var/run/rw-secret-\(getpid())", inRoot: root, mask: .openPermission)
        XCTAssertEqual(marked.resolvedPath, realPath(root) + "/run/rw-secret-\(getpid())")
        // Without the root the same path means the host's /run, where no such file exists.
        XCTAssertThrowsError(try group.markFile(at: "/var/run/rw-secret-\(getpid())", mask: .openPermission)) { error in
            XCTAssertEqual((error as? SystemError)?.errno, .noSuchFileOrDirectory)
        }
    }
}
