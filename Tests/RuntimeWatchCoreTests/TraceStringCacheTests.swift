// SPDX-License-Identifier: Apache-2.0
// The fast decoder's string cache: it hands back a String with exactly the bytes asked for, whatever
// collides in its slots, and holds no more than its bound.

import XCTest
@testable import RuntimeWatchCore

final class TraceStringCacheTests: XCTestCase {
    private func lookup(_ cache: inout TraceStringCache, _ text: String) -> String? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { cache.string($0) { String(decoding: $0, as: UTF8.self) } }
    }

    func testARepeatedStringIsAHitWithTheSameValue() {
        var cache = TraceStringCache()
        let path = "/kubepods/burstable/pod70ef7566-0545-479b-acae-293598000001/0000000a7024af77"
        XCTAssertEqual(lookup(&cache, path), path)
        XCTAssertEqual(lookup(&cache, path), path)
        XCTAssertEqual(cache.hits, 1)
        XCTAssertEqual(cache.misses, 1)
        XCTAssertEqual(cache.count, 1)
    }

    func testShortAndOverlongStringsAreNotCached() {
        var cache = TraceStringCache(slotCount: 16, maxBytes: 64)
        let short = String(repeating: "s", count: TraceStringCache.inlineBytes)
        let long = String(repeating: "l", count: 65)
        for _ in 0..<3 {
            XCTAssertEqual(lookup(&cache, short), short)
            XCTAssertEqual(lookup(&cache, long), long)
        }
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(cache.hits + cache.misses, 0)
    }

    func testCollidingStringsEvictEachOtherAndStayCorrect() {
        // One slot: every string collides with every other.
        var cache = TraceStringCache(slotCount: 1)
        let a = "/usr/local/bin/healthcheck-aaaa", b = "/usr/local/bin/healthcheck-aaab"
        for _ in 0..<5 {
            XCTAssertEqual(lookup(&cache, a), a)
            XCTAssertEqual(lookup(&cache, b), b)
        }
        XCTAssertEqual(cache.count, 1)
        XCTAssertEqual(cache.hits, 0, "each lookup evicted the other string")
    }

    func testStringsThatDifferOnlyInTheMiddleOrInLengthAreTold() {
        var cache = TraceStringCache(slotCount: 4)
        let base = String(repeating: "x", count: 40)
        var variants = [base, base + "x", String(base.dropLast()), "/" + base.dropFirst()]
        var middle = Array(base.utf8)
        middle[20] = UInt8(ascii: "y")
        variants.append(String(decoding: middle, as: UTF8.self))
        for _ in 0..<3 {
            for v in variants { XCTAssertEqual(lookup(&cache, v), v) }
        }
    }

    func testMemoryStaysWithinTheSlotBound() {
        var cache = TraceStringCache(slotCount: 64)
        for i in 0..<10_000 {
            let s = "/proc/self/fd/\(i)/some/long/path"
            XCTAssertEqual(lookup(&cache, s), s)
        }
        XCTAssertLessThanOrEqual(cache.count, 64)
        XCTAssertEqual(cache.hits, 0)
    }

    func testBytesThatAreNotAStringAreNotCached() {
        var cache = TraceStringCache()
        let bytes = Array("not valid, says the maker: cached nothing".utf8)
        let rejected = bytes.withUnsafeBufferPointer { cache.string($0) { _ in nil } }
        XCTAssertNil(rejected)
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(lookup(&cache, String(decoding: bytes, as: UTF8.self)), String(decoding: bytes, as: UTF8.self))
    }

    func testMultiByteUTF8RoundTrips() {
        var cache = TraceStringCache()
        let s = "/home/zoë/プロジェクト/🚀/bin"
        XCTAssertEqual(lookup(&cache, s), s)
        XCTAssertEqual(lookup(&cache, s), s)
        XCTAssertEqual(cache.hits, 1)
    }
}
