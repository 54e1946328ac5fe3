// SPDX-License-Identifier: Apache-2.0
// SmallSet must behave exactly as a Set across the inline → spilled boundary and back, and the
// cgroup cache must answer exactly what the parser does.

import XCTest
@testable import RuntimeWatchCore

final class SmallSetTests: XCTestCase {
    func testRandomOperationsMatchASet() {
        var generator = SplitMix64(seed: 17)
        for _ in 0..<200 {
            var small = SmallSet<ProcessID>()
            var reference = Set<ProcessID>()
            for _ in 0..<60 {
                let member = ProcessID(Int32(generator.next() % 9))
                if generator.next() % 3 == 0 {
                    small.remove(member); reference.remove(member)
                } else {
                    small.insert(member); reference.insert(member)
                }
                XCTAssertEqual(Set(small), reference)
                XCTAssertEqual(small.count, reference.count)
                XCTAssertEqual(small.isEmpty, reference.isEmpty)
                XCTAssertEqual(Array(small).count, reference.count, "an iteration yields each member once")
                for probe in 0..<9 { XCTAssertEqual(small.contains(ProcessID(Int32(probe))), reference.contains(ProcessID(Int32(probe)))) }
            }
        }
    }

    func testInlineMembersKeepInsertionOrderAndRemovalRefillsTheSlot() {
        var set = SmallSet<UInt64>()
        for i: UInt64 in [5, 3, 9] { set.insert(i) }
        XCTAssertEqual(Array(set), [5, 3, 9])
        set.remove(5)
        XCTAssertEqual(Set(set), [3, 9])
        set.insert(7); set.insert(1)
        XCTAssertEqual(Set(set), [3, 9, 7, 1])
        set.insert(2)   // a fifth member spills
        XCTAssertEqual(Set(set), [3, 9, 7, 1, 2])
    }

    func testCgroupCacheAnswersWhatTheParserDoesAndStaysBounded() {
        var cache = CgroupMatchCache(capacity: 4)
        let paths = (0..<10).map { i in "/kubepods/besteffort/pod0123456\(i)-89ab-cdef-0123-456789abcdef/\(String(repeating: String(i), count: 64))" }
            + ["/user.slice/user-0.slice/session-1.scope", "/"]
        for _ in 0..<3 {
            for path in paths { XCTAssertEqual(cache.match(path), CgroupParser.parse(path), path) }
        }
        XCTAssertNotNil(cache.match(paths[0]), "a container path names its container")
        XCTAssertNil(cache.match("/user.slice/user-0.slice/session-1.scope"), "a host path names none, cached or not")
    }
}
