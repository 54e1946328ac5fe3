// SPDX-License-Identifier: Apache-2.0
// The pure matching layer: IP/CIDR (v4, v6, v4-mapped), port sets, globs, allow entries and
// `Profile.allows`, plus ProfileSubject built from the state.

import XCTest
@testable import RuntimeWatchCore

final class ProfileMatchingTests: XCTestCase {
    func testIPv4Parsing() {
        XCTAssertEqual(IPAddress("10.96.0.1")?.description, "10.96.0.1")
        XCTAssertEqual(IPAddress("255.255.255.255")?.low, 0xffff_ffff)
        XCTAssertEqual(IPAddress("0.0.0.0")?.low, 0)
        XCTAssertEqual(IPAddress("001.02.3.004")?.description, "1.2.3.4", "leading zeros, up to three digits, as before")
        for bad in ["256.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "", "01234.1.1.1", " 1.2.3.4", "1.2.3.4/8",
                    "1.2.3.", ".1.2.3", "1.2.3.4.", "1.2.3.-4", "1.2.3.4 ", "1.2.3.2560"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    func testIPv6Parsing() {
        XCTAssertEqual(IPAddress("::")?.description, "::")
        XCTAssertEqual(IPAddress("::1")?.description, "::1")
        XCTAssertEqual(IPAddress("2001:db8::1")?.description, "2001:db8::1")
        XCTAssertEqual(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001")?.description, "2001:db8::1")
        XCTAssertEqual(IPAddress("fe80::1%eth0")?.description, "fe80::1")
        XCTAssertEqual(IPAddress("[2001:db8::2]")?.description, "2001:db8::2")
        XCTAssertEqual(IPAddress("1:2:3:4:5:6:7:8")?.description, "1:2:3:4:5:6:7:8")
        XCTAssertEqual(IPAddress("1:0:0:2:0:0:0:3")?.description, "1:0:0:2::3", "longest zero run is compressed")
        XCTAssertEqual(IPAddress("::ffff:192.0.2.1")?.low, 0x0000_ffff_c000_0201)
        XCTAssertEqual(IPAddress("64:ff9b::192.0.2.1")?.description, "64:ff9b::c000:201")
        for bad in [":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1:2:3:4:5:6:7", ":1::", "::1.2.3", "1::2:3:4:5:6:7:8"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
    }

    func testCIDRContainment() throws {
        let v4 = try XCTUnwrap(CIDR("10.96.0.0/12"))
        XCTAssertTrue(v4.contains(IPAddress("10.96.0.1")!))
        XCTAssertTrue(v4.contains(IPAddress("10.111.255.255")!))
        XCTAssertFalse(v4.contains(IPAddress("10.112.0.0")!))
        XCTAssertTrue(v4.contains(IPAddress("::ffff:10.100.1.1")!), "v4-mapped v6 peers match v4 blocks")
        XCTAssertFalse(v4.contains(IPAddress("2001:db8::1")!))
        XCTAssertEqual(CIDR("10.1.2.3/8")?.description, "10.0.0.0/8", "host bits are cleared")
        XCTAssertTrue(CIDR("0.0.0.0/0")!.contains(IPAddress("203.0.113.9")!))
        XCTAssertFalse(CIDR("0.0.0.0/0")!.contains(IPAddress("::1")!), "families never mix")
        XCTAssertEqual(CIDR("192.0.2.7")?.prefixLength, 32)

        let v6 = try XCTUnwrap(CIDR("2001:db8:abcd::/48"))
        XCTAssertTrue(v6.contains(IPAddress("2001:db8:abcd:1::5")!))
        XCTAssertFalse(v6.contains(IPAddress("2001:db8:abce::1")!))
        let v6Long = try XCTUnwrap(CIDR("2001:db8::/127"))
        XCTAssertTrue(v6Long.contains(IPAddress("2001:db8::1")!))
        XCTAssertFalse(v6Long.contains(IPAddress("2001:db8::2")!))
        XCTAssertTrue(CIDR("::/0")!.contains(IPAddress("2001:db8::1")!))
        XCTAssertEqual(CIDR("::1")?.prefixLength, 128)
        XCTAssertTrue(CIDR("fd00::/8")!.contains(IPAddress("fdff::1")!))
        XCTAssertFalse(CIDR("fd00::/8")!.contains(IPAddress("fe00::1")!))

        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "host/8", "10.0.0.0/a"] {
            XCTAssertNil(CIDR(bad), bad)
        }
    }

    func testPortSets() throws {
        let p = try PortSet.parse("443, 6443,8000-9000").get()
        XCTAssertTrue(p.contains(443))
        XCTAssertTrue(p.contains(8000))
        XCTAssertTrue(p.contains(9000))
        XCTAssertFalse(p.contains(9001))
        XCTAssertFalse(p.contains(80))
        XCTAssertTrue(PortSet.any.contains(1))
        XCTAssertEqual(p.description, "443,6443,8000-9000")
        for bad in ["", "0", "65536", "1-2-3", "a", "443,", "9-1", "-5"] {
            XCTAssertThrowsError(try PortSet.parse(bad).get(), bad)
        }
    }

    func testGlobs() {
        XCTAssertTrue(Glob("kube-system").matches("kube-system"))
        XCTAssertFalse(Glob("kube-system").matches("kube-system2"))
        XCTAssertTrue(Glob("kube-proxy-*").matches("kube-proxy-abc12"))
        XCTAssertTrue(Glob("*/kubelet").matches("/usr/bin/kubelet"))
        XCTAssertTrue(Glob("*").matches(""))
        XCTAssertTrue(Glob("*calico/*").matches("docker.io/calico/node"))
        XCTAssertFalse(Glob("*calico/*").matches("docker.io/calicoctl"))
        XCTAssertTrue(Glob("/var/run/secrets/**").matches("/var/run/secrets/kubernetes.io/serviceaccount/token"))
        XCTAssertTrue(Glob("pod-?").matches("pod-a"))
        XCTAssertFalse(Glob("pod-?").matches("pod-ab"))
        XCTAssertTrue(Glob("pod-?").matches("pod-é"), "? is one character, not one byte")
        XCTAssertTrue(Glob("a*b*c").matches("aXXbYYc"))
        XCTAssertFalse(Glob("a*b*c").matches("aXXbYY"))
        XCTAssertTrue(Glob("*a*a*a*a*a*a*b").matches(String(repeating: "a", count: 30) + "b"))
        XCTAssertFalse(Glob("*a*a*a*a*a*a*b").matches(String(repeating: "a", count: 3000)), "no exponential blow-up")
    }

    // MARK: - Entries

    let kubeProxy = ProfileSubject(namespace: "kube-system", podName: "kube-proxy-x1", containerName: "kube-proxy",
                                   image: "registry.k8s.io/kube-proxy:v1.30.0", executable: "/usr/local/bin/kube-proxy")

    func testScopeKeysAllMustMatch() {
        var e = AllowEntry(rules: ["service-account-token-read"], namespace: Glob("kube-system"), pod: Glob("kube-proxy-*"),
                           container: Glob("kube-proxy"), image: Glob("registry.k8s.io/kube-proxy"), executable: Glob("/usr/local/bin/kube-proxy"))
        XCTAssertTrue(e.matches(rule: "service-account-token-read", subject: kubeProxy, target: .none), "image glob matches the repository")
        XCTAssertFalse(e.matches(rule: "reverse-shell", subject: kubeProxy, target: .none))
        var other = kubeProxy
        other.executable = "/bin/sh"
        XCTAssertFalse(e.matches(rule: "service-account-token-read", subject: other, target: .none), "executable is the exe path")
        other = kubeProxy
        other.namespace = nil
        XCTAssertFalse(e.matches(rule: "service-account-token-read", subject: other, target: .none), "unknown value fails a given key")
        e.image = Glob("registry.k8s.io/kube-proxy:v1.30.0")
        XCTAssertTrue(e.matches(rule: "service-account-token-read", subject: kubeProxy, target: .none), "or the full reference")
        e.image = Glob("docker.io/*")
        XCTAssertFalse(e.matches(rule: "service-account-token-read", subject: kubeProxy, target: .none))
    }

    func testHostFlagSeparatesHostFromContainers() {
        let containerEntry = AllowEntry(rules: ["r"], executable: Glob("*/kubelet"))
        let hostEntry = AllowEntry(rules: ["r"], executable: Glob("*/kubelet"), host: true)
        let hostKubelet = ProfileSubject(executable: "/usr/bin/kubelet", isHost: true)
        let containerKubelet = ProfileSubject(namespace: "x", executable: "/usr/bin/kubelet", isHost: false)
        XCTAssertTrue(hostEntry.matches(rule: "r", subject: hostKubelet, target: .none))
        XCTAssertFalse(hostEntry.matches(rule: "r", subject: containerKubelet, target: .none))
        XCTAssertTrue(containerEntry.matches(rule: "r", subject: containerKubelet, target: .none))
        XCTAssertFalse(containerEntry.matches(rule: "r", subject: hostKubelet, target: .none))
    }

    /// `scopes` answers from the scoped entries alone: an unscoped entry that matches every
    /// container workload scopes none, a scoped one only its own, and other rules' entries none.
    func testScopesAsksOnlyTheRulesScopedEntries() throws {
        let everywhere = AllowEntry(rules: ["egress"], destinations: [Destination(cidrs: [CIDR("10.0.0.0/8")!])])
        let web = AllowEntry(rules: ["egress"], namespace: Glob("shop"), pod: Glob("web-*"))
        let otherRule = AllowEntry(rules: ["token"], namespace: Glob("batch"))
        let hostAgent = AllowEntry(rules: ["egress"], host: true)
        let profile = Profile(allow: [everywhere, web, otherRule, hostAgent])
        XCTAssertTrue(profile.scopes(rule: "egress", to: ProfileSubject(namespace: "shop", podName: "web-1")))
        XCTAssertFalse(profile.scopes(rule: "egress", to: ProfileSubject(namespace: "shop", podName: "db-0")),
                       "the unscoped entry matches this container, yet scopes nothing")
        XCTAssertFalse(profile.scopes(rule: "egress", to: ProfileSubject(namespace: "batch")), "token's entry is another rule's")
        XCTAssertTrue(profile.scopes(rule: "token", to: ProfileSubject(namespace: "batch")))
        XCTAssertTrue(profile.scopes(rule: "egress", to: ProfileSubject(executable: "/usr/bin/agent", isHost: true)),
                      "host: true is a scope")
        XCTAssertFalse(profile.scopes(rule: "unknown", to: ProfileSubject(namespace: "shop", podName: "web-1")))
        XCTAssertFalse(Profile(allow: [everywhere]).scopes(rule: "egress", to: ProfileSubject(namespace: "shop")))
    }

    func testTargets() throws {
        let dest = AllowEntry(rules: ["r"], destinations: [Destination(cidrs: [CIDR("10.96.0.0/12")!], ports: try PortSet.parse("443").get()),
                                                           Destination(cidrs: [CIDR("2001:db8::/32")!])])
        let s = ProfileSubject(namespace: "a")
        XCTAssertTrue(dest.matches(rule: "r", subject: s, target: .destination(address: "10.96.0.1", port: 443)))
        XCTAssertFalse(dest.matches(rule: "r", subject: s, target: .destination(address: "10.96.0.1", port: 80)))
        XCTAssertTrue(dest.matches(rule: "r", subject: s, target: .destination(address: "2001:db8::7", port: 80)))
        XCTAssertFalse(dest.matches(rule: "r", subject: s, target: .destination(address: "not-an-ip", port: 443)))
        XCTAssertFalse(dest.matches(rule: "r", subject: s, target: .path("/etc/passwd")), "a destination entry does not cover paths")
        XCTAssertFalse(dest.matches(rule: "r", subject: s, target: .none))

        let paths = AllowEntry(rules: ["r"], paths: [Glob("/var/run/secrets/*")])
        XCTAssertTrue(paths.matches(rule: "r", subject: s, target: .path("/var/run/secrets/kubernetes.io/serviceaccount/token")))
        XCTAssertFalse(paths.matches(rule: "r", subject: s, target: .path("/etc/shadow")))
        XCTAssertFalse(paths.matches(rule: "r", subject: s, target: .destination(address: "10.0.0.1", port: 1)))

        let any = AllowEntry(rules: ["r"])
        XCTAssertTrue(any.matches(rule: "r", subject: s, target: .path("/x")))
        XCTAssertTrue(any.matches(rule: "r", subject: s, target: .destination(address: "10.0.0.1", port: 1)))
        XCTAssertTrue(any.matches(rule: "r", subject: s, target: .none))
    }

    func testProfileAllowsReturnsTheFirstMatchingEntry() {
        let first = AllowEntry(rules: ["r"], namespace: Glob("kube-*"), reason: "first")
        let second = AllowEntry(rules: ["r", "q"], namespace: Glob("kube-system"), reason: "second")
        let p = Profile(allow: [first, second])
        XCTAssertEqual(p.allows(rule: "r", subject: kubeProxy)?.reason, "first")
        XCTAssertEqual(p.allows(rule: "q", subject: kubeProxy)?.reason, "second")
        XCTAssertNil(p.allows(rule: "z", subject: kubeProxy))
        XCTAssertNil(Profile().allows(rule: "r", subject: kubeProxy))
        // `expects` answers whether `allows` finds an entry, without the entry.
        XCTAssertTrue(p.expects(rule: "r", subject: kubeProxy))
        XCTAssertTrue(p.expects(rule: "q", subject: kubeProxy))
        XCTAssertFalse(p.expects(rule: "z", subject: kubeProxy))
        XCTAssertFalse(Profile().expects(rule: "r", subject: kubeProxy))
    }

    func testSubjectFromState() {
        let state = Fixture.state(inContainer: true)
        let s = ProfileSubject(state: state, pid: ProcessID(130))
        XCTAssertEqual(s, ProfileSubject(namespace: "shop", podName: "web-7d4b9c-x2x9z", containerName: "web",
                                         image: "registry.example.com/shop/web:1.4.2", executable: "/usr/bin/nc.openbsd", isHost: false))
        XCTAssertEqual(ProfileSubject(state: state, pid: ProcessID(50)),
                       ProfileSubject(executable: "/usr/bin/containerd-shim-runc-v2", isHost: true))
        XCTAssertEqual(ProfileSubject(state: state, pid: ProcessID(4242)), ProfileSubject(), "unknown: neither host nor scoped")
    }
}
