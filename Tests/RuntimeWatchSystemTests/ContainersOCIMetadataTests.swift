// SPDX-License-Identifier: Apache-2.0
// OCIMetadataReader against fake node layouts built in a temp dir from the Fixtures/oci files: each
// runtime's paths are found, annotations become the expected ContainerInfo, and bad files give errors
// that name the file and the reason without stopping the search.

import Foundation
import RuntimeWatchCore
@testable import RuntimeWatchCapture
import XCTest

final class ContainersOCIMetadataTests: XCTestCase {
    private var host: TemporaryDirectory!
    private var reader: OCIMetadataReader!

    static let nginxID = "b1f831f4898d30f51f80074bddc740b0da277c0217aa5521f6ef86283c16ac33"
    static let sandboxID = "85b013213e803c7bc39ff8937f98c8b3b8ba3ee2cf22b5c7f08dfa7dd07f0fc4"
    static let webPodUID = "4bae4028-86ed-5dca-bb39-3347293f2e72"
    static let crioID = "b495dd2c99ff39b1eeca5565edf0281990ea9c7d80c082c785989225ecaf6ce3"
    static let apiPodUID = "967bf128-5c94-5c81-ab3d-89b0ba170eb6"
    static let runcID = "e5b60ca7dd14e0a976aae5bc1adbd7e5a750d7a0869c4b673db19bc00b78515a"
    static let podmanID = "81812f58631f588a9be929cce7738e0ab4637be140107b30a1b2f02d413f9562"

    override func setUpWithError() throws {
        host = try TemporaryDirectory(prefix: "rw-oci-host")
        reader = OCIMetadataReader(hostRoot: host.path)
    }

    override func tearDown() {
        host?.remove()
    }

    private func place(_ fixture: String, at relative: String) throws {
        try host.write(try OCIFixtures.data(fixture), to: relative)
    }

    private func match(_ cgroup: String, file: StaticString = #filePath, line: UInt = #line) throws -> CgroupMatch {
        try XCTUnwrap(CgroupParser.parse(cgroup), "CgroupParser did not parse \(cgroup)", file: file, line: line)
    }

    // MARK: - Each runtime's layout, parsed to the expected ContainerInfo

    func testContainerdCRIContainerInK8sNamespace() throws {
        let path = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.nginxID)/config.json"
        try place("containerd-cri-container.config.json", at: path)
        let m = try match("/kubepods/burstable/pod\(Self.webPodUID)/\(Self.nginxID)")

        let metadata = try reader.read(m)

        XCTAssertEqual(metadata.info, ContainerInfo(
            id: ContainerID(Self.nginxID), runtime: "containerd", podUID: Self.webPodUID, qosClass: m.qosClass,
            podName: "web-7d9f8b6c5-x2x4q", namespace: "shop", containerName: "nginx",
            image: "docker.io/library/nginx:1.25.3",
            entrypoint: ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"], bundle: host.at(path)))
        XCTAssertEqual(metadata.kind, .container)
        XCTAssertEqual(metadata.sandboxID, Self.sandboxID)
        XCTAssertNil(metadata.statePath)
    }

    func testContainerdSandboxIsRecognisedAndHasNoContainerName() throws {
        let path = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.sandboxID)/config.json"
        try place("containerd-cri-sandbox.config.json", at: path)

        let metadata = try reader.read(try match("/kubepods/burstable/pod\(Self.webPodUID)/\(Self.sandboxID)"))

        XCTAssertEqual(metadata.kind, .sandbox)
        XCTAssertEqual(metadata.info.podName, "web-7d9f8b6c5-x2x4q")
        XCTAssertEqual(metadata.info.namespace, "shop")
        XCTAssertNil(metadata.info.containerName)
        XCTAssertNil(metadata.info.image)
        XCTAssertEqual(metadata.info.entrypoint, ["/pause"])
    }

    func testContainerdOtherNamespaceIsSearchedAndMobyMeansDocker() throws {
        // dockerd ≥ 20 runs containers through containerd in the "moby" namespace, without annotations.
        let path = "/run/containerd/io.containerd.runtime.v2.task/moby/\(Self.runcID)/config.json"
        try place("runc-plain.config.json", at: path)
        try host.makeDirectory("/run/containerd/io.containerd.runtime.v2.task/default")

        let metadata = try reader.read(try match("/\(Self.runcID)"))

        XCTAssertEqual(metadata.info.runtime, "docker", "runtime comes from the moby namespace when cgroup and annotations are silent")
        XCTAssertEqual(metadata.info.entrypoint, ["sleep", "3600"])
        XCTAssertNil(metadata.info.podName)
        XCTAssertEqual(metadata.kind, .unknown)
        XCTAssertEqual(metadata.info.bundle, host.at(path))
    }

    func testCRIOContainerInRunStorage() throws {
        let path = "/run/containers/storage/overlay-containers/\(Self.crioID)/userdata/config.json"
        try place("crio-container.config.json", at: path)
        let cgroup = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod967bf128_5c94_5c81_ab3d_89b0ba170eb6.slice/crio-\(Self.crioID).scope"

        let metadata = try reader.read(try match(cgroup))

        XCTAssertEqual(metadata.info, ContainerInfo(
            id: ContainerID(Self.crioID), runtime: "cri-o", podUID: Self.apiPodUID, qosClass: "besteffort",
            podName: "api-0", namespace: "payments", containerName: "api",
            image: "registry.example.com/payments/api:2.4.1",
            entrypoint: ["/app/api-server", "--listen=:8080"], bundle: host.at(path)))
        XCTAssertEqual(metadata.kind, .container)
        XCTAssertEqual(metadata.sandboxID, "0a5e6f7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f")
    }

    func testCRIOLabelsJSONFillsMissingFlatKeysAndImageFallsBackToImageAnnotation() throws {
        let id = String(repeating: "c0", count: 32)
        let path = "/var/lib/containers/storage/overlay-containers/\(id)/userdata/config.json"
        try place("crio-labels-only.config.json", at: path)

        // A cgroup path with no pod: the pod UID can only come from the annotations.
        let metadata = try reader.read(try match("/machine.slice/crio-\(id).scope"))

        XCTAssertEqual(metadata.info.runtime, "cri-o")
        XCTAssertEqual(metadata.info.podName, "batch-x7k2p")
        XCTAssertEqual(metadata.info.namespace, "jobs")
        XCTAssertEqual(metadata.info.containerName, "worker")
        XCTAssertEqual(metadata.info.podUID, "2f0c1d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")
        XCTAssertNil(metadata.info.qosClass)
        XCTAssertEqual(metadata.info.image, "quay.io/example/worker@sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d2c1b0a")
        XCTAssertEqual(metadata.info.imageRepository, "quay.io/example/worker")
    }

    func testCgroupPodUIDWinsOverAnnotation() throws {
        let path = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.nginxID)/config.json"
        try place("containerd-cri-container.config.json", at: path)
        let cgroupPod = "11111111-2222-4333-8444-555555555555"

        let metadata = try reader.read(try match("/kubepods/besteffort/pod\(cgroupPod)/\(Self.nginxID)"))

        XCTAssertEqual(metadata.info.podUID, cgroupPod)
        XCTAssertEqual(metadata.info.qosClass, try match("/kubepods/besteffort/pod\(cgroupPod)/\(Self.nginxID)").qosClass,
                       "QoS is the cgroup's, passed through")
    }

    func testRuncStateNamesBundleAndItsLabelsFillAnnotations() throws {
        let statePath = "/run/runc/\(Self.runcID)/state.json"
        try place("runc-state.json", at: statePath)
        try place("runc-plain.config.json", at: "/srv/bundles/e5b60ca7dd14/config.json")
        let m = try match("/kubepods/besteffort/pod0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b/\(Self.runcID)")

        let metadata = try reader.read(m)

        XCTAssertEqual(metadata.info, ContainerInfo(
            id: ContainerID(Self.runcID), runtime: "containerd", podUID: "0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b",
            qosClass: m.qosClass, podName: "probe-5c8d", namespace: "default", containerName: "probe",
            image: "docker.io/library/busybox:1.36", entrypoint: ["sleep", "3600"],
            bundle: host.at("/srv/bundles/e5b60ca7dd14/config.json")))
        XCTAssertEqual(metadata.statePath, host.at(statePath))
    }

    func testRuncStateWithBundleGoneStillGivesLabels() throws {
        let statePath = "/run/runc/\(Self.runcID)/state.json"
        try place("runc-state.json", at: statePath)

        let metadata = try reader.read(containerID: ContainerID(Self.runcID))

        XCTAssertEqual(metadata.info.podName, "probe-5c8d")
        XCTAssertEqual(metadata.info.podUID, "0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b", "no cgroup: pod UID from labels")
        XCTAssertNil(metadata.info.entrypoint, "process.args lives only in config.json")
        XCTAssertEqual(metadata.info.bundle, host.at(statePath))
        XCTAssertEqual(metadata.info.runtime, "containerd", "CRI keys name the runtime when no cgroup says")
    }

    func testDockerRuntimeRuncMobyState() throws {
        try place("runc-state.json", at: "/run/docker/runtime-runc/moby/\(Self.runcID)/state.json")
        try place("runc-plain.config.json", at: "/srv/bundles/e5b60ca7dd14/config.json")

        let metadata = try reader.read(containerID: ContainerID(Self.runcID))

        XCTAssertEqual(metadata.statePath, host.at("/run/docker/runtime-runc/moby/\(Self.runcID)/state.json"))
        XCTAssertEqual(metadata.info.entrypoint, ["sleep", "3600"])
    }

    func testCrunStatusInRootlessUserRoot() throws {
        try place("crun-status.json", at: "/run/user/1000/crun/\(Self.podmanID)/status")
        try place("podman-libpod.config.json", at: "/srv/podman/81812f58631f/userdata/config.json")

        let metadata = try reader.read(try match("/machine.slice/libpod-\(Self.podmanID).scope/container"))

        XCTAssertEqual(metadata.info.runtime, "podman")
        XCTAssertEqual(metadata.info.entrypoint, ["redis-server"])
        XCTAssertNil(metadata.info.podName)
        XCTAssertEqual(metadata.info.bundle, host.at("/srv/podman/81812f58631f/userdata/config.json"))
    }

    func testPodmanAnnotationNamesRuntimeWhenCgroupDoesNot() throws {
        try place("podman-libpod.config.json", at: "/var/lib/containers/storage/overlay-containers/\(Self.podmanID)/userdata/config.json")

        let metadata = try reader.read(try match("/\(Self.podmanID)"))

        XCTAssertEqual(metadata.info.runtime, "podman")
    }

    func testEarlierRootWinsWhenTwoHoldTheSameID() throws {
        try place("containerd-cri-container.config.json",
                  at: "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.nginxID)/config.json")
        try place("runc-state.json", at: "/run/runc/\(Self.nginxID)/state.json")

        let metadata = try reader.read(containerID: ContainerID(Self.nginxID))

        XCTAssertEqual(metadata.info.containerName, "nginx", "the containerd bundle, searched first, wins over runc's state (\"probe\")")
        XCTAssertNil(metadata.statePath)
    }

    // MARK: - Bad input: a clear error naming the file and the reason

    func testTruncatedConfigIsMalformedAndNamesTheFile() throws {
        let path = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.nginxID)/config.json"
        try place("truncated.config.json", at: path)

        XCTAssertThrowsError(try reader.read(containerID: ContainerID(Self.nginxID))) { error in
            guard let e = error as? OCIMetadataError, case .malformed = e.reason else {
                return XCTFail("expected malformed, got \(error)")
            }
            XCTAssertEqual(e.path, host.at(path))
            XCTAssertEqual(e.kind, "malformed")
            XCTAssertTrue(e.description.contains(host.at(path)), e.description)
        }
    }

    func testWrongTypeNamesTheKey() throws {
        try place("wrong-type.config.json", at: "/run/containers/storage/overlay-containers/\(Self.crioID)/userdata/config.json")

        XCTAssertThrowsError(try reader.read(containerID: ContainerID(Self.crioID))) { error in
            guard let e = error as? OCIMetadataError, case .malformed(let detail) = e.reason else {
                return XCTFail("expected malformed, got \(error)")
            }
            XCTAssertTrue(detail.contains("annotations.io.kubernetes.cri.sandbox-cpu-quota"), detail)
        }
    }

    func testMalformedEarlierFileDoesNotHideAValidLaterOne() throws {
        try place("truncated.config.json", at: "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.nginxID)/config.json")
        try place("containerd-cri-container.config.json", at: "/run/containerd/io.containerd.runtime.v2.task/z-other/\(Self.nginxID)/config.json")

        let metadata = try reader.read(containerID: ContainerID(Self.nginxID))

        XCTAssertEqual(metadata.info.podName, "web-7d9f8b6c5-x2x4q")
    }

    func testOversizedFileIsRefusedUnparsed() throws {
        let path = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/\(Self.nginxID)/config.json"
        try place("containerd-cri-container.config.json", at: path)
        let small = OCIMetadataReader(hostRoot: host.path, maxFileBytes: 512)

        XCTAssertThrowsError(try small.read(containerID: ContainerID(Self.nginxID))) { error in
            guard let e = error as? OCIMetadataError, case .tooLarge(let bytes, let limit) = e.reason else {
                return XCTFail("expected tooLarge, got \(error)")
            }
            XCTAssertGreaterThan(bytes, 512)
            XCTAssertEqual(limit, 512)
        }
    }

    func testFIFOAtConfigPathIsRefusedWithoutBlocking() throws {
        let dir = "/run/containers/storage/overlay-containers/\(Self.crioID)/userdata"
        try host.makeDirectory(dir)
        XCTAssertEqual(mkfifo(host.at(dir + "/config.json"), 0o600), 0)

        XCTAssertThrowsError(try reader.read(containerID: ContainerID(Self.crioID))) { error in
            XCTAssertEqual((error as? OCIMetadataError)?.reason, .notRegularFile)
        }
    }

    func testRelativeBundleInStateIsMalformed() throws {
        try host.write(#"{"bundle":"srv/bundle","config":{"labels":[]}}"#, to: "/run/crun/\(Self.runcID)/status")

        XCTAssertThrowsError(try reader.read(containerID: ContainerID(Self.runcID))) { error in
            guard let e = error as? OCIMetadataError, case .malformed(let detail) = e.reason else {
                return XCTFail("expected malformed, got \(error)")
            }
            XCTAssertTrue(detail.contains("not absolute"), detail)
        }
    }

    func testStateWithoutBundleOrLabelsIsNoBundle() throws {
        try host.write(#"{"id":"x","config":{"labels":["bundle="]}}"#, to: "/run/runc/\(Self.runcID)/state.json")

        XCTAssertThrowsError(try reader.read(containerID: ContainerID(Self.runcID))) { error in
            XCTAssertEqual((error as? OCIMetadataError)?.reason, .noBundle)
        }
    }

    func testUnknownContainerIsNotFoundAfterSearchingEveryRoot() throws {
        try host.makeDirectory("/run/containerd/io.containerd.runtime.v2.task/k8s.io")

        XCTAssertThrowsError(try reader.read(containerID: ContainerID(Self.nginxID))) { error in
            guard let e = error as? OCIMetadataError, case .notFound(let searched) = e.reason else {
                return XCTFail("expected notFound, got \(error)")
            }
            // k8s.io task dir + 2 storage roots + runc/crun state and status (2 each) = 7 paths.
            XCTAssertEqual(searched, 7)
            XCTAssertNil(e.path)
        }
    }

    func testUnsafeContainerIDIsRefusedBeforeAnyPathIsBuilt() {
        for bad in ["", ".", "..", "../../etc", "a/b"] {
            XCTAssertThrowsError(try reader.read(containerID: ContainerID(bad)), "id \(bad)") { error in
                XCTAssertEqual((error as? OCIMetadataError)?.reason, .invalidContainerID)
            }
        }
    }

    // MARK: - Pure helpers

    func testRootExpansionMatchesEveryUserDirectory() throws {
        try host.makeDirectory("/run/user/0/runc")
        try host.makeDirectory("/run/user/1000/runc")

        XCTAssertEqual(reader.expand("/run/user/*/runc"), [host.at("/run/user/0/runc"), host.at("/run/user/1000/runc")])
        XCTAssertEqual(OCIMetadataReader(hostRoot: "").expand("/run/runc"), ["/run/runc"])
    }

    func testAnnotationsWithoutCRIKeysSayNothing() {
        let identity = OCIAnnotations.identity(from: ["org.opencontainers.image.stopSignal": "15", "io.kubernetes.pod.name": ""])
        XCTAssertEqual(identity, OCIAnnotatedIdentity())
    }

    func testMalformedCRIOLabelsJSONIsIgnored() {
        let identity = OCIAnnotations.identity(from: ["io.kubernetes.cri-o.Labels": "{not json", "io.kubernetes.cri-o.ContainerType": "sandbox"])
        XCTAssertNil(identity.podName)
        XCTAssertEqual(identity.kind, .sandbox)
        XCTAssertEqual(identity.runtime, "cri-o")
    }

    func testRuncLabelsSplitAtFirstEquals() {
        XCTAssertEqual(OCIAnnotations.fromRuncLabels(["a=b=c", "noequals", "bundle=/x"]), ["a": "b=c", "bundle": "/x"])
    }
}
