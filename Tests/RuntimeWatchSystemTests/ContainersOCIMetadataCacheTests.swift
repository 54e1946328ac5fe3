// SPDX-License-Identifier: Apache-2.0
// OCIMetadataCache: each container's state is read once, failures are retried only after the pause,
// the size stays bounded, and `changed` tells capture exactly when to emit a `container` event.

import Foundation
import RuntimeWatchCore
import RuntimeWatchCapture
import XCTest

final class ContainersOCIMetadataCacheTests: XCTestCase {
    private var host: TemporaryDirectory!
    private var reader: OCIMetadataReader!
    private let podUID = "4bae4028-86ed-5dca-bb39-3347293f2e72"

    override func setUpWithError() throws {
        host = try TemporaryDirectory(prefix: "rw-oci-cache")
        reader = OCIMetadataReader(hostRoot: host.path)
    }

    override func tearDown() {
        host?.remove()
    }

    private func id(_ n: Int) -> String { String(format: "%064x", n) }

    private func match(_ n: Int) throws -> CgroupMatch {
        try XCTUnwrap(CgroupParser.parse("/kubepods/pod\(podUID)/\(id(n))"))
    }

    private func configPath(_ n: Int) -> String {
        "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(id(n))/config.json"
    }

    private func writeConfig(_ n: Int, container: String) throws {
        try host.write(#"{"process":{"args":["/bin/app"]},"annotations":{"io.kubernetes.cri.container-name":"\#(container)"}}"#,
                       to: configPath(n))
    }

    func testSecondLookupIsServedFromCacheWithoutRereading() throws {
        var cache = OCIMetadataCache()
        try writeConfig(1, container: "first")

        let first = cache.lookup(try match(1), reader: reader)
        XCTAssertTrue(first.changed)
        XCTAssertNil(first.error)
        XCTAssertEqual(first.info.containerName, "first")

        // Rewrite the file: a cached lookup must not see it.
        try writeConfig(1, container: "rewritten")
        let second = cache.lookup(try match(1), reader: reader)
        XCTAssertFalse(second.changed)
        XCTAssertEqual(second.info.containerName, "first")
        XCTAssertEqual(second.metadata, first.metadata)
    }

    func testFailureIsReportedOnceAndRetriedOnlyAfterThePause() throws {
        var cache = OCIMetadataCache(retryFailuresAfter: .seconds(5))
        let start = ContinuousClock.now

        let missing = cache.lookup(try match(2), reader: reader, now: start)
        XCTAssertTrue(missing.changed, "a new id is news even without OCI state")
        XCTAssertEqual(missing.error?.kind, "not_found")
        XCTAssertNil(missing.metadata)
        XCTAssertEqual(missing.info, ContainerInfo(id: ContainerID(id(2)), runtime: "containerd", podUID: podUID, qosClass: "guaranteed"))

        try writeConfig(2, container: "late")
        let tooSoon = cache.lookup(try match(2), reader: reader, now: start + .seconds(1))
        XCTAssertNil(tooSoon.error, "the failure was already reported")
        XCTAssertFalse(tooSoon.changed)
        XCTAssertNil(tooSoon.info.containerName)

        let retried = cache.lookup(try match(2), reader: reader, now: start + .seconds(6))
        XCTAssertNil(retried.error)
        XCTAssertTrue(retried.changed)
        XCTAssertEqual(retried.info.containerName, "late")
    }

    /// A container's first processes come before its runtime state: within the eager window every
    /// lookup reads again, so the state written a millisecond later is on the next event.
    func testFailuresAreRetriedAtOnceWithinTheEagerWindowOnly() throws {
        var cache = OCIMetadataCache(retryFailuresAfter: .seconds(5), eagerRetryWindow: .seconds(2))
        let start = ContinuousClock.now
        XCTAssertEqual(cache.lookup(try match(3), reader: reader, now: start).error?.kind, "not_found")
        try writeConfig(3, container: "early")
        let next = cache.lookup(try match(3), reader: reader, now: start + .milliseconds(1))
        XCTAssertTrue(next.changed, "read again at once inside the window")
        XCTAssertEqual(next.info.containerName, "early")

        XCTAssertEqual(cache.lookup(try match(4), reader: reader, now: start).error?.kind, "not_found")
        _ = cache.lookup(try match(4), reader: reader, now: start + .seconds(3))   // outside the window: fails again, at 3 s
        try writeConfig(4, container: "late")
        XCTAssertFalse(cache.lookup(try match(4), reader: reader, now: start + .seconds(4)).changed, "past the window the pause applies")
        XCTAssertTrue(cache.lookup(try match(4), reader: reader, now: start + .seconds(9)).changed)
    }

    func testRetryThatFailsTheSameWayIsNotAChange() throws {
        var cache = OCIMetadataCache(retryFailuresAfter: .seconds(1))
        let start = ContinuousClock.now
        _ = cache.lookup(try match(3), reader: reader, now: start)

        let again = cache.lookup(try match(3), reader: reader, now: start + .seconds(2))
        XCTAssertEqual(again.error?.kind, "not_found", "the retry read again and reports its own failure")
        XCTAssertFalse(again.changed)
    }

    func testOldestEntryIsEvictedAtCapacity() throws {
        var cache = OCIMetadataCache(capacity: 2)
        for n in 10...12 { try writeConfig(n, container: "c\(n)") }

        for n in 10...12 { _ = cache.lookup(try match(n), reader: reader) }
        XCTAssertEqual(cache.count, 2)

        // 11 and 12 are still cached (not changed); 10 was evicted and is read as new.
        XCTAssertFalse(cache.lookup(try match(12), reader: reader).changed)
        XCTAssertFalse(cache.lookup(try match(11), reader: reader).changed)
        XCTAssertTrue(cache.lookup(try match(10), reader: reader).changed)
        XCTAssertEqual(cache.count, 2)
    }

    func testForgetMakesTheNextLookupReadAgain() throws {
        var cache = OCIMetadataCache()
        try writeConfig(20, container: "before")
        _ = cache.lookup(try match(20), reader: reader)
        try writeConfig(20, container: "after")

        cache.forget(ContainerID(id(20)))
        let lookup = cache.lookup(try match(20), reader: reader)

        XCTAssertTrue(lookup.changed)
        XCTAssertEqual(lookup.info.containerName, "after")
        XCTAssertEqual(cache.count, 1)
    }
}
