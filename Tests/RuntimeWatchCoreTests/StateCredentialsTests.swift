// SPDX-License-Identifier: Apache-2.0
// Credentials an exec read did not take (a brief read of a host program, or a process gone before
// its status was read) are the ones the process inherited at fork; a read that took them wins.

import XCTest
@testable import RuntimeWatchCore

final class StateCredentialsTests: XCTestCase {
    static let user = Credentials(uid: 1000, euid: 1000, gid: 1000, egid: 1000, capEff: 0)
    static let root = Credentials(uid: 1000, euid: 0, gid: 1000, egid: 0, capEff: 0x1ff)

    private func shell(_ b: inout TraceBuilder) -> SystemState {
        var state = SystemState()
        var info = ProcessInfo(pid: ProcessID(50), ppid: ProcessID(1), exe: "/usr/bin/bash", argv: ["bash"], cgroup: "/user.slice")
        info.credentials = Self.user
        state.apply(b.emit(.snapshot(info)))
        return state
    }

    func testExecWithoutCredentialsKeepsTheOnesInheritedAtFork() {
        var b = TraceBuilder()
        var state = shell(&b)
        state.apply(b.fork(parent: 50, child: 51))
        var brief = ProcessInfo(pid: ProcessID(51), exe: "/usr/bin/make", argv: ["make"], cgroup: "/user.slice")
        brief.source = "brief"
        state.apply(b.emit(.exec(brief)))
        let record = state.process(ProcessID(51))
        XCTAssertEqual(record?.info.credentials, Self.user)
        XCTAssertEqual(record?.ppid, ProcessID(50), "the parent comes from the fork")
        XCTAssertEqual(record?.info.exe, "/usr/bin/make")
    }

    func testExecThatReadCredentialsReplacesTheInheritedOnes() {
        var b = TraceBuilder()
        var state = shell(&b)
        state.apply(b.fork(parent: 50, child: 52))
        var setuid = ProcessInfo(pid: ProcessID(52), exe: "/usr/bin/sudo", argv: ["sudo", "id"], cgroup: "/user.slice")
        setuid.credentials = Self.root
        state.apply(b.emit(.exec(setuid)))
        XCTAssertEqual(state.process(ProcessID(52))?.info.credentials, Self.root)
    }

    func testANewProcessOnTheSamePidDoesNotInheritTheOldOnesCredentials() {
        var b = TraceBuilder()
        var state = shell(&b)
        state.apply(b.exit(50))
        b.advance(by: 5_000_000_000)
        // pid 50 reused by an unrelated process whose fork was not seen: nothing to inherit from.
        state.apply(b.emit(.exec(ProcessInfo(pid: ProcessID(50), exe: "/usr/bin/cron", argv: ["cron"], cgroup: "/system.slice"))))
        XCTAssertNil(state.process(ProcessID(50))?.info.credentials)
    }
}
