// SPDX-License-Identifier: Apache-2.0
// The process table's pid → slot map must answer exactly what a Dictionary does through inserts,
// updates, removals (whose backward shift moves entries of a probe run) and growth.

import XCTest
@testable import RuntimeWatchCore

final class PIDSlotMapTests: XCTestCase {
    func testRandomOperationsMatchADictionary() {
        var generator = SplitMix64(seed: 23)
        // Small pid ranges make long probe runs and many shifts; the large one makes the map grow.
        for range: UInt64 in [7, 40, 300, 5_000] {
            var map = PIDSlotMap()
            var reference: [ProcessID: Int] = [:]
            for step in 0..<6_000 {
                let pid = ProcessID(Int32(truncatingIfNeeded: generator.next() % range) - 3)   // negative and zero pids too
                if generator.next() % 3 == 0 {
                    XCTAssertEqual(map.removeValue(for: pid), reference.removeValue(forKey: pid), "remove \(pid) at step \(step)")
                } else {
                    let slot = Int(generator.next() % 1_000_000)
                    map.set(slot, for: pid)
                    reference[pid] = slot
                }
                XCTAssertEqual(map.count, reference.count)
                if step % 97 == 0 {
                    for probe in -3..<Int32(range) { XCTAssertEqual(map[ProcessID(probe)], reference[ProcessID(probe)], "pid \(probe), range \(range)") }
                }
            }
            for probe in -3..<Int32(range) { XCTAssertEqual(map[ProcessID(probe)], reference[ProcessID(probe)], "pid \(probe), range \(range)") }
        }
    }

    func testExtremePidsAndSlots() {
        var map = PIDSlotMap()
        for pid in [Int32.min, -1, 0, 1, Int32.max] { map.set(Int(Int32.max), for: ProcessID(pid)) }
        for pid in [Int32.min, -1, 0, 1, Int32.max] { XCTAssertEqual(map[ProcessID(pid)], Int(Int32.max)) }
        map.set(0, for: ProcessID(0))
        XCTAssertEqual(map[ProcessID(0)], 0, "an update replaces the slot")
        XCTAssertEqual(map.count, 5)
        XCTAssertNil(map.removeValue(for: ProcessID(2)), "removing an absent pid changes nothing")
        XCTAssertEqual(map.count, 5)
    }
}
