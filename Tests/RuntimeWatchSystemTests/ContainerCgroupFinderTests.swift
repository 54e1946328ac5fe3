// SPDX-License-Identifier: Apache-2.0
// ContainerCgroupFinder over a fake cgroup tree in a temporary directory (no root): the shallowest
// directory naming the container, by its 12-hex short id or its full id, in kubepods cgroupfs and
// systemd layouts; nil for an unknown id; and the container of a /proc/<pid>/cgroup file.

import Foundation
import RuntimeWatchCapture
import XCTest

final class ContainerCgroupFinderTests: XCTestCase {
    let full = "1da6cb684f73" + String(repeating: "ab", count: 26)
    let other = "99aa" + String(repeating: "cd", count: 30)

    func testFindsTheContainerDirectoryByShortOrFullID() throws {
        let root = try TemporaryDirectory(prefix: "rw-cgroup-tree")
        defer { root.remove() }
        let pod = "/kubepods/burstable/pod0a1b2c3d-0000-4000-8000-000000000001"
        for dir in ["\(pod)/\(full)/nested", "\(pod)/\(other)", "/system.slice/docker-\(other).scope", "/user.slice"] {
            try FileManager.default.createDirectory(atPath: root.path + dir, withIntermediateDirectories: true)
        }
        // A file named like the container must not be taken for its cgroup.
        FileManager.default.createFile(atPath: root.path + "/" + full, contents: Data())

        XCTAssertEqual(ContainerCgroupFinder.find(id: String(full.prefix(12)), under: root.path), "\(pod)/\(full)",
                       "the container's own directory, not the nested one below it")
        XCTAssertEqual(ContainerCgroupFinder.find(id: full, under: root.path), "\(pod)/\(full)")
        XCTAssertEqual(ContainerCgroupFinder.find(id: String(other.prefix(12)), under: root.path), "/system.slice/docker-\(other).scope",
                       "breadth first: the shallower of two directories naming the same container")
        XCTAssertNil(ContainerCgroupFinder.find(id: "0123456789ab", under: root.path))
        XCTAssertNil(ContainerCgroupFinder.find(id: "", under: root.path))
    }

    func testContainerOfAProcCgroupFile() throws {
        let dir = try TemporaryDirectory(prefix: "rw-proc-cgroup")
        defer { dir.remove() }
        let inPod = dir.at("pod"), onHost = dir.at("host")
        try Data("6:freezer:/kubepods/burstable/pod0a1b2c3d-0000-4000-8000-000000000001/\(full)\n0::/\n".utf8).write(to: URL(fileURLWithPath: inPod))
        try Data("6:freezer:/\n0::/user.slice/session-1.scope\n".utf8).write(to: URL(fileURLWithPath: onHost))
        XCTAssertEqual(ContainerCgroupFinder.containerID(procCgroup: inPod)?.rawValue, full)
        XCTAssertNil(ContainerCgroupFinder.containerID(procCgroup: onHost))
        XCTAssertNil(ContainerCgroupFinder.containerID(procCgroup: dir.at("missing")))
    }
}
