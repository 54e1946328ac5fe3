// SPDX-License-Identifier: Apache-2.0
// Table-driven tests of CgroupParser over the path formats the runtimes and the kubelet actually
// write (Docker, containerd/CRI, CRI-O, Podman, runc, nerdctl; cgroupfs and systemd drivers;
// cgroup v1 and v2; nested kind nodes), plus host paths and hex-looking non-containers.

import XCTest
@testable import RuntimeWatchCore

final class CgroupParserTests: XCTestCase {
    private static let id = "7dc6789645011e23b1cf8c9d98fc4f28860dbbbcef2e6f275437b537c42b6509"
    private static let outer = "2cfb055a47d0b641a965d91faee0b8d27461fef68276c3aac3a839108b0fb6dc"
    private static let other = "14b9c56a8c6290d1e143d713e23c2f1e66b4f3edaa4121e6f621a3c394c953f4"
    private static let uid = "70ef7566-0545-479b-acae-293598e45cdc"
    private static let uidSystemd = "70ef7566_0545_479b_acae_293598e45cdc"
    /// Static pods get the 32-hex config hash as UID (kubelet pkg/kubelet/config/common.go).
    private static let staticUID = "f19e310f4ad1b9a3ed6882ed9f60d3c9"

    private struct Case {
        var path: String
        var expected: CgroupMatch?
        var note: String
        var line: UInt
    }

    private func match(_ id: String, _ runtime: String, pod: String? = nil, qos: String? = nil) -> CgroupMatch {
        CgroupMatch(id: ContainerID(id), runtime: runtime, podUID: pod, qosClass: qos)
    }

    private func check(_ cases: [Case]) {
        for c in cases {
            XCTAssertEqual(CgroupParser.parse(c.path), c.expected, "\(c.note): \(c.path)", line: c.line)
        }
    }

    private func row(_ path: String, _ expected: CgroupMatch?, _ note: String, line: UInt = #line) -> Case {
        Case(path: path, expected: expected, note: note, line: line)
    }

    func testDocker() {
        let id = Self.id
        check([
            row("/docker/\(id)", match(id, "docker"), "cgroupfs driver, v1 or v2"),
            row("/system.slice/docker-\(id).scope", match(id, "docker"), "systemd driver"),
            row("4:memory:/docker/\(id)", match(id, "docker"), "raw v1 line of /proc/<pid>/cgroup"),
            row("0::/system.slice/docker-\(id).scope", match(id, "docker"), "raw v2 line"),
            row("/docker/\(id)/init.scope", match(id, "docker"), "systemd running inside the container"),
            row("/system.slice/docker-\(id).scope/system.slice/nginx.service", match(id, "docker"), "sub-cgroup inside a container"),
            row("/docker/\(Self.outer)/docker/\(id)", match(id, "docker"), "Docker-in-Docker: the inner container"),
            row("/actions_job/\(id)", match(id, "unknown"), "docker --cgroup-parent=/actions_job"),
        ])
    }

    func testContainerdCRICgroupfs() {
        let id = Self.id, uid = Self.uid
        check([
            row("/kubepods/burstable/pod\(uid)/\(id)", match(id, "containerd", pod: uid, qos: "burstable"), "burstable"),
            row("/kubepods/besteffort/pod\(uid)/\(id)", match(id, "containerd", pod: uid, qos: "besteffort"), "besteffort"),
            row("/kubepods/pod\(uid)/\(id)", match(id, "containerd", pod: uid, qos: "guaranteed"), "guaranteed sits under kubepods"),
            row("/kubepods/burstable/pod\(Self.staticUID)/\(id)", match(id, "containerd", pod: Self.staticUID, qos: "burstable"),
                "static pod (config-hash UID)"),
            row("/kubepods/burstable/pod\(uid)", nil, "the pod cgroup itself is not a container"),
        ])
    }

    func testContainerdCRISystemd() {
        let id = Self.id, uid = Self.uid, u = Self.uidSystemd
        check([
            row("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(u).slice/cri-containerd-\(id).scope",
                match(id, "containerd", pod: uid, qos: "burstable"), "systemd driver, burstable"),
            row("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod\(u).slice/cri-containerd-\(id).scope",
                match(id, "containerd", pod: uid, qos: "besteffort"), "systemd driver, besteffort"),
            row("/kubepods.slice/kubepods-pod\(u).slice/cri-containerd-\(id).scope",
                match(id, "containerd", pod: uid, qos: "guaranteed"), "systemd driver, guaranteed"),
            row("1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(u).slice/cri-containerd-\(id).scope",
                match(id, "containerd", pod: uid, qos: "burstable"), "v1 name=systemd line"),
            row("kubepods-burstable-pod\(u).slice:cri-containerd:\(id)",
                match(id, "containerd", pod: uid, qos: "burstable"), "OCI cgroupsPath colon form"),
            row("/../../kubepods-besteffort-pod\(u).slice/cri-containerd-\(id).scope",
                match(id, "containerd", pod: uid, qos: "besteffort"), "read through a cgroup namespace"),
            row("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(u).slice/docker-\(id).scope",
                match(id, "docker", pod: uid, qos: "burstable"), "dockershim / cri-dockerd, systemd driver"),
        ])
    }

    func testCRIO() {
        let id = Self.id, uid = Self.uid, u = Self.uidSystemd
        check([
            row("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(u).slice/crio-\(id).scope",
                match(id, "cri-o", pod: uid, qos: "burstable"), "systemd driver"),
            row("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(u).slice/crio-\(id).scope/container",
                match(id, "cri-o", pod: uid, qos: "burstable"), "crun's container sub-cgroup"),
            row("/kubepods/burstable/pod\(uid)/crio-\(id)", match(id, "cri-o", pod: uid, qos: "burstable"), "cgroupfs driver"),
            row("/crio-\(id)", match(id, "cri-o"), "cgroupfs, no pod parent"),
            row("kubepods-pod\(u).slice:crio:\(id)", match(id, "cri-o", pod: uid, qos: "guaranteed"), "colon form"),
            // conmon is CRI-O's host-side monitor, not the container (see CgroupParser's doc).
            row("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod\(u).slice/crio-conmon-\(id).scope", nil,
                "conmon under the pod"),
            row("/system.slice/crio-conmon-\(id).scope", nil, "conmon_cgroup=system.slice"),
            row("kubepods-pod\(u).slice:crio-conmon:\(id)", nil, "conmon, colon form"),
        ])
    }

    func testPodman() {
        let id = Self.id
        check([
            row("/machine.slice/libpod-\(id).scope", match(id, "podman"), "rootful, systemd"),
            row("/machine.slice/libpod-\(id).scope/container", match(id, "podman"), "container sub-cgroup"),
            row("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id).scope", match(id, "podman"), "rootless"),
            row("/libpod_parent/libpod-\(id)", match(id, "podman"), "cgroupfs manager"),
            row("/libpod_parent/\(id)", match(id, "podman"), "cgroupfs, bare id"),
            row("/system.slice/container-web.service/libpod-payload-\(id)", match(id, "podman"), "--cgroups=split"),
            row("/machine.slice/machine-libpod_pod_\(Self.other).slice/libpod-\(id).scope", match(id, "podman"),
                "a container in a pod: the container id, not the pod id"),
            row("/machine.slice/libpod-conmon-\(id).scope", nil, "conmon"),
            row("/libpod_parent/libpod-\(id)/conmon", nil, "old cgroupfs layout: conmon beside ctr"),
            row("/libpod_parent/libpod-\(id)/ctr", match(id, "podman"), "old cgroupfs layout: the container"),
        ])
    }

    func testRuncAndOthers() {
        let id = Self.id
        check([
            row("/\(id)", match(id, "unknown"), "plain runc, default cgroupfs path"),
            row("/system.slice/runc-\(id).scope", match(id, "runc"), "plain runc, systemd driver"),
            row("/system.slice/nerdctl-\(id).scope", match(id, "containerd"), "nerdctl, systemd driver"),
            row("/default/\(id)", match(id, "unknown"), "ctr/nerdctl cgroupfs (namespace directory)"),
            row(":runc:\(id)", match(id, "runc"), "colon form with empty slice"),
        ])
    }

    func testNestedKind() {
        let id = Self.id, outer = Self.outer, uid = Self.uid, u = Self.uidSystemd
        let kindPod = "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod\(u).slice"
        check([
            row("/docker/\(outer)\(kindPod)/cri-containerd-\(id).scope", match(id, "containerd", pod: uid, qos: "besteffort"),
                "kind node (v1, docker cgroupfs): the inner container"),
            row("/system.slice/docker-\(outer).scope\(kindPod)/cri-containerd-\(id).scope",
                match(id, "containerd", pod: uid, qos: "besteffort"), "kind node (v2, docker systemd)"),
            row("/docker/\(outer)/kubelet/kubepods/burstable/pod\(uid)/\(id)", match(id, "containerd", pod: uid, qos: "burstable"),
                "kind node, kubelet cgroupfs"),
            row("/docker/\(outer)/system.slice/containerd.service", match(outer, "docker"), "kind node's own containerd: the node"),
            row("/docker/\(outer)\(kindPod)/crio-conmon-\(id).scope", match(outer, "docker"), "conmon inside a node is the node's"),
            row("/kubepods/burstable/pod\(uid)/\(outer)/docker/\(id)", match(id, "docker"),
                "Docker-in-Docker inside a pod: inner container, pod not inherited"),
        ])
    }

    func testHostPaths() {
        check([
            row("", nil, "empty"),
            row("/", nil, "root"),
            row("0::/", nil, "raw v2 root line"),
            row("/init.scope", nil, "systemd itself"),
            row("/system.slice/sshd.service", nil, "a service"),
            row("/system.slice/docker.service", nil, "dockerd"),
            row("/system.slice/containerd.service", nil, "containerd and shims"),
            row("/user.slice/user-1000.slice/session-3.scope", nil, "login session"),
            row("/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-1.scope", nil, "desktop"),
            row("/kubepods.slice/kubepods-burstable.slice", nil, "QoS slice"),
            row("/kubepods", nil, "kubepods root"),
        ])
    }

    /// Strings that look like container ids but are not (see "No false positives" in CgroupParser).
    func testHexLookingNonContainers() {
        let id = Self.id
        check([
            row("/\(id.uppercased())", nil, "upper-case hex"),
            row("/\(id.dropLast())", nil, "63 digits"),
            row("/\(id)0", nil, "65 digits"),
            row("/\(id)g", nil, "non-hex character"),
            row("/system.slice/\(id).service", nil, "a unit named by a hash"),
            row("/system.slice/\(id).scope", nil, "bare-hex scope: no runtime prefix"),
            row("/\(id).slice", nil, "a slice"),
            row("/system.slice/var-lib-docker-containers-\(id)-mounts-shm.mount", nil, "mount unit embedding an id"),
            row("/machine.slice/machine-libpod_pod_\(id).slice", nil, "Podman pod slice"),
            row("/system.slice/run-r\(id).scope", nil, "transient unit of another tool"),
            row("/system.slice/docker-\(id)-extra.scope", nil, "prefix but trailing text"),
            row("/system.slice/docker-\(id).service", nil, "prefix with a service suffix"),
            row("sha256:\(id)", nil, "image digest"),
            row("foo.slice:unknown-prefix:\(id)", nil, "colon form, unknown prefix"),
            row("foo:docker:\(id)", nil, "colon form, first field not a slice"),
            row("/kubepods/burstable/pod\(Self.uid.uppercased())/\(id)", match(id, "unknown"),
                "upper-case pod uid is not a pod: no pod, no CRI runtime guess"),
        ])
    }

    func testPodUIDValidation() {
        XCTAssertEqual(CgroupParser.podUID(Substring(Self.uidSystemd)), Self.uid)
        XCTAssertEqual(CgroupParser.podUID(Substring(Self.staticUID)), Self.staticUID)
        XCTAssertNil(CgroupParser.podUID("70ef7566-0545-479b-acae-293598e45cd"), "35 characters")
        XCTAssertNil(CgroupParser.podUID("70ef7566x0545-479b-acae-293598e45cdc"), "bad separator")
        XCTAssertNil(CgroupParser.podUID("70ef7566-0545-479b-acae-293598e45cdZ"), "non-hex")
        // A pod<uid> component outside kubepods is just a name.
        XCTAssertEqual(CgroupParser.parse("/pod\(Self.uid)/\(Self.id)"), match(Self.id, "unknown"))
    }

    func testSelectPathFromProcCgroupFile() {
        let id = Self.id
        let v1 = """
            12:pids:/docker/\(id)
            11:memory:/docker/\(id)
            1:name=systemd:/docker/\(id)
            0::/system.slice/containerd.service
            """
        XCTAssertEqual(CgroupParser.selectPath(fromProcCgroup: v1), "/docker/\(id)",
                       "hybrid host: the unified line does not name the container, name=systemd does")
        XCTAssertEqual(CgroupParser.selectPath(fromProcCgroup: "0::/system.slice/docker-\(id).scope\n"),
                       "/system.slice/docker-\(id).scope")
        XCTAssertEqual(CgroupParser.selectPath(fromProcCgroup: "0::/user.slice/user-0.slice/session-1.scope\n"),
                       "/user.slice/user-0.slice/session-1.scope", "host process: the unified path")
        XCTAssertEqual(CgroupParser.selectPath(fromProcCgroup: "3:cpu:/\n1:name=systemd:/init.scope\n"), "/init.scope")
        XCTAssertNil(CgroupParser.selectPath(fromProcCgroup: ""))
        XCTAssertNil(CgroupParser.selectPath(fromProcCgroup: "garbage without fields"))
    }
}
