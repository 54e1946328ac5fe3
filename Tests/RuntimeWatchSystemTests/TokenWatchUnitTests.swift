// SPDX-License-Identifier: Apache-2.0
// The token watcher's own parts: token locations, table merging, and the watchdog's answer
// bookkeeping (live, root). Its /proc parsing is the shared one (ProcParserTests,
// ProcReaderFixtureTests).

import Foundation
import Glibc
import RuntimeWatchCore
import XCTest
@testable import RuntimeWatchCapture
@testable import RuntimeWatchSystem

final class TokenWatchUnitTests: XCTestCase {
    func testTableMergeKeepsHostPathAndContainerPath() {
        let kubelet = WatchedToken(path: "/var/lib/kubelet/pods/u/volumes/kubernetes.io~projected/v/token", podUID: "u", volume: "v")
        let container = WatchedToken(path: "/proc/9/root/var/run/secrets/kubernetes.io/serviceaccount/token",
                                     containerPath: "/var/run/secrets/kubernetes.io/serviceaccount/token")
        for merged in [TokenRescanner.merge(kubelet, container), TokenRescanner.merge(container, kubelet)] {
            XCTAssertEqual(merged.path, kubelet.path)
            XCTAssertEqual(merged.containerPath, container.containerPath)
            XCTAssertEqual(merged.podUID, "u")
        }
    }

    func testKubeletLocationsAreEnumerated() throws {
        let dir = try TemporaryDirectory(prefix: "rw-tokenlocations")
        defer { dir.remove() }
        let root = dir.path + "/kubelet"
        for (pod, plugin, volume) in [("p1", "kubernetes.io~projected", "kube-api-access-a"), ("p1", "kubernetes.io~secret", "legacy"),
                                      ("p2", "kubernetes.io~projected", "kube-api-access-b"), ("p2", "kubernetes.io~configmap", "cm")] {
            try FileManager.default.createDirectory(atPath: "\(root)/pods/\(pod)/volumes/\(plugin)/\(volume)", withIntermediateDirectories: true)
        }
        let locations = TokenLocations(kubeletRoot: root, tokenFileNames: ["token"], hostTokenPaths: ["/h/token"],
                                       containerTokenPaths: ["/c/token"], maxPods: 10, maxVolumesPerPod: 10)
        let (candidates, truncated) = locations.candidates(containerRoots: [ProcessID(77)])
        XCTAssertFalse(truncated)
        XCTAssertEqual(Set(candidates.map(\.path)), [
            "\(root)/pods/p1/volumes/kubernetes.io~projected/kube-api-access-a/token",
            "\(root)/pods/p1/volumes/kubernetes.io~secret/legacy/token",
            "\(root)/pods/p2/volumes/kubernetes.io~projected/kube-api-access-b/token",
            "/h/token", "/c/token",
        ])
        XCTAssertEqual(candidates.first { $0.path == "/c/token" }?.root, "/proc/77/root")
        XCTAssertEqual(candidates.first { $0.path == "/c/token" }?.watched.path, "/proc/77/root/c/token")
        let capped = TokenLocations(kubeletRoot: root, tokenFileNames: ["token"], hostTokenPaths: [], containerTokenPaths: [],
                                    maxPods: 1, maxVolumesPerPod: 10)
        XCTAssertTrue(capped.candidates(containerRoots: []).truncated)
    }

    func testWatchdogAnswersAnEventTheEventThreadNeverReached() throws {
        try requireRoot()
        let dir = try TemporaryDirectory(prefix: "rw-watchdog")
        defer { dir.remove() }
        let file = dir.path + "/token"
        try Data("t".utf8).write(to: URL(fileURLWithPath: file))
        let group = try FanotifyGroup(class: .content)
        defer { try? group.close() }
        try group.mark(path: file, mask: .openPermission)
        let cat = Process()
        cat.executableURL = URL(fileURLWithPath: "/usr/bin/cat")
        cat.arguments = [file]
        cat.standardOutput = FileHandle.nullDevice
        try cat.run()
        var events: [FanotifyEvent] = []
        let deadline = Date().addingTimeInterval(5)
        while events.isEmpty, Date() < deadline {
            events = try group.readEvents()?.events ?? []
            if events.isEmpty { usleep(1_000) }
        }
        let event = try XCTUnwrap(events.first)
        let fd = try XCTUnwrap(event.fileDescriptor)
        let pending = PendingAnswers()
        pending.register([fd.rawValue], readAt: 1_000)
        XCTAssertEqual(pending.answerOverdue(now: 1_500, deadline: 1_000, group: group).answered, 0, "not overdue yet")
        XCTAssertEqual(pending.answerOverdue(now: 3_000, deadline: 1_000, group: group).answered, 1)
        XCTAssertFalse(pending.claim(fd.rawValue), "the event thread must not answer twice")
        cat.waitUntilExit()
        XCTAssertEqual(cat.terminationStatus, 0, "the watchdog's allow released the opener")
        event.close()
    }
}
