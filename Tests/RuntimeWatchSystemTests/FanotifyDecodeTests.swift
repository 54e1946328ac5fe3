// SPDX-License-Identifier: Apache-2.0
// The fanotify record decoder against crafted buffers: well-formed, truncated, wrong version, bad
// lengths, too many records, unaligned. Pure: runs anywhere, no root.

import XCTest
@testable import RuntimeWatchSystem

final class FanotifyDecodeTests: XCTestCase {
    /// One fanotify_event_metadata record as the kernel lays it out (little-endian, 24 bytes), with
    /// `extra` bytes of info records after it.
    private func record(mask: UInt64, fd: Int32, pid: Int32, version: UInt8 = 3, eventLength: UInt32? = nil,
                        metadataLength: UInt16 = 24, extra: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        put(eventLength ?? UInt32(24 + extra))
        put(version)
        put(UInt8(0))
        put(metadataLength)
        put(mask)
        put(fd)
        put(pid)
        bytes.append(contentsOf: [UInt8](repeating: 0xAB, count: extra))
        return bytes
    }

    private func decode(_ bytes: [UInt8], max: Int = 64) -> FanotifyDecodeResult {
        bytes.withUnsafeBytes { FanotifyEvent.decode($0, maxEvents: max) }
    }

    func testWellFormedRecordsDecodeInOrder() {
        let bytes = record(mask: 0x10000, fd: 7, pid: 1234) + record(mask: 0x20, fd: 9, pid: 42)
        let result = decode(bytes)
        XCTAssertNil(result.problem)
        XCTAssertEqual(result.events.count, 2)
        XCTAssertEqual(result.events[0].mask, .openPermission)
        XCTAssertTrue(result.events[0].isPermissionRequest)
        XCTAssertEqual(result.events[0].pid, 1234)
        XCTAssertEqual(result.events[0].fileDescriptor?.rawValue, 7)
        XCTAssertEqual(result.events[1].mask, .open)
        XCTAssertFalse(result.events[1].isPermissionRequest)
        XCTAssertEqual(result.events[1].pid, 42)
        XCTAssertEqual(result.events[1].fileDescriptor?.rawValue, 9)
    }

    func testOverflowRecordHasNoDescriptor() {
        let result = decode(record(mask: 0x4000, fd: -1, pid: 0))
        XCTAssertNil(result.problem)
        XCTAssertEqual(result.events.count, 1)
        XCTAssertTrue(result.events[0].isQueueOverflow)
        XCTAssertNil(result.events[0].fileDescriptor)
    }

    func testEmptyBufferDecodesToNothing() {
        let result = decode([])
        XCTAssertTrue(result.events.isEmpty)
        XCTAssertNil(result.problem)
    }

    func testTruncatedHeaderKeepsEarlierRecords() {
        let bytes = record(mask: 0x10000, fd: 5, pid: 10) + Array(record(mask: 0x10000, fd: 6, pid: 11).prefix(10))
        let result = decode(bytes)
        XCTAssertEqual(result.events.map(\.pid), [10])
        XCTAssertEqual(result.problem, FanotifyDecodeError(offset: 24, reason: .truncatedHeader))
        XCTAssertEqual(result.problem?.description, "fanotify event at byte 24: truncated header (fewer than 24 bytes left)")
    }

    func testVersionMismatchStopsThere() {
        let bytes = record(mask: 0x10000, fd: 5, pid: 10) + record(mask: 0x10000, fd: 6, pid: 11, version: 2)
        let result = decode(bytes)
        XCTAssertEqual(result.events.map(\.pid), [10])
        XCTAssertEqual(result.problem, FanotifyDecodeError(offset: 24, reason: .versionMismatch(found: 2)))
        XCTAssertEqual(result.problem?.description, "fanotify event at byte 24: metadata version 2, expected 3")
    }

    func testEventLengthPastTheBufferIsRejected() {
        let result = decode(record(mask: 0x10000, fd: 5, pid: 10, eventLength: 48))
        XCTAssertTrue(result.events.isEmpty)
        XCTAssertEqual(result.problem, FanotifyDecodeError(offset: 0, reason: .badLength(eventLength: 48)))
    }

    func testEventLengthShorterThanAHeaderIsRejected() {
        // event_len 8 would make the decoder step into the middle of this record forever.
        let result = decode(record(mask: 0x10000, fd: 5, pid: 10, eventLength: 8) + record(mask: 0x20, fd: 6, pid: 11))
        XCTAssertTrue(result.events.isEmpty)
        XCTAssertEqual(result.problem, FanotifyDecodeError(offset: 0, reason: .badLength(eventLength: 8)))
    }

    func testMetadataLengthLongerThanEventIsRejected() {
        let result = decode(record(mask: 0x10000, fd: 5, pid: 10, metadataLength: 32))
        XCTAssertTrue(result.events.isEmpty)
        XCTAssertEqual(result.problem?.reason, .badLength(eventLength: 24))
    }

    func testMoreRecordsThanRoomStopsWithoutLosingTheDecodedOnes() {
        let bytes = (0..<3).flatMap { record(mask: 0x10000, fd: 10 + $0, pid: 100 + $0) }
        let result = decode(bytes, max: 2)
        XCTAssertEqual(result.events.map(\.pid), [100, 101])
        XCTAssertEqual(result.problem, FanotifyDecodeError(offset: 48, reason: .tooManyRecords))
    }

    func testInfoRecordsAfterTheMetadataAreSkipped() {
        let bytes = record(mask: 0x20, fd: 3, pid: 1, extra: 16) + record(mask: 0x20, fd: 4, pid: 2)
        let result = decode(bytes)
        XCTAssertNil(result.problem)
        XCTAssertEqual(result.events.map(\.pid), [1, 2])
        XCTAssertEqual(result.events.map { $0.fileDescriptor?.rawValue }, [3, 4])
    }

    func testUnalignedBufferDecodes() {
        let bytes = [0xFF] + record(mask: 0x10000, fd: 8, pid: 77) + record(mask: 0x10000, fd: 9, pid: 78)
        let result = bytes.withUnsafeBytes { FanotifyEvent.decode(UnsafeRawBufferPointer(rebasing: $0[1...])) }
        XCTAssertNil(result.problem)
        XCTAssertEqual(result.events.map(\.pid), [77, 78])
    }

    func testMaskValuesAreTheKernelABI() {
        // fanotify(7) values; fanotify.c also _Static_asserts them against <sys/fanotify.h>.
        XCTAssertEqual(FanotifyMask.access.rawValue, 0x1)
        XCTAssertEqual(FanotifyMask.closeNoWrite.rawValue, 0x10)
        XCTAssertEqual(FanotifyMask.open.rawValue, 0x20)
        XCTAssertEqual(FanotifyMask.openPermission.rawValue, 0x10000)
        XCTAssertEqual(FanotifyMask.accessPermission.rawValue, 0x20000)
        XCTAssertEqual(FanotifyMask([.open, .openPermission]).description, "[open, openPermission]")
        XCTAssertEqual(FanotifyMask(rawValue: 0x20 | 0x1_0000_0000).description, "[open, 0x100000000]")
    }
}
