// SPDX-License-Identifier: Apache-2.0
// Profile YAML → model: the documented schema parses into what it says, files merge in order,
// host names go through the injected resolver.

import XCTest
@testable import RuntimeWatchCore

final class ProfileParsingTests: XCTestCase {
    let full = """
        version: 1
        disable: [reverse-shell]
        settings:
          fold_window_seconds: 30
          kubernetes_api:
            cidrs: [10.96.0.1/32, "fd00:10:96::1"]
            ports: "443,6443"
          production_namespaces: ["prod-*", payments]
        allow:
          - rules: [service-account-token-read, k8s-api-after-token-read]
            namespace: kube-system
            pod: "kube-proxy-*"
            container: kube-proxy
            image: "registry.k8s.io/kube-proxy*"
            executable: /usr/local/bin/kube-proxy
            paths: ["/var/run/secrets/**"]
            reason: "kube-proxy watches Services"
          - rules: unexpected-outbound-connection
            destinations:
              - {cidr: 10.96.0.0/12, ports: "443,6443,8000-9000"}
              - {host: api.example.com, ports: 443}
              - cidr: [192.0.2.0/24, "2001:db8::/32"]
          - rules: [service-account-token-read]
            host: true
            executable: "*/kubelet"

        """

    func resolver() -> HostResolver {
        { name in name == "api.example.com" ? ["198.51.100.10", "2001:db8::10"] : [] }
    }

    func testFullSchema() throws {
        let p = try ProfileLoader(resolver: resolver()).parse(full, file: "cluster.yaml")
        XCTAssertEqual(p.version, 1)
        XCTAssertEqual(p.disabledRules, ["reverse-shell"])
        XCTAssertEqual(p.sources, ["cluster.yaml"])
        XCTAssertEqual(p.warnings, [])
        XCTAssertEqual(p.settings.foldWindowSeconds, 30)
        let api = try XCTUnwrap(p.settings.kubernetesAPI)
        XCTAssertEqual(api.cidrs.map(\.description), ["10.96.0.1/32", "fd00:10:96::1/128"])
        XCTAssertEqual(api.ports.description, "443,6443")
        XCTAssertTrue(api.matches(address: IPAddress("10.96.0.1")!, port: 6443))
        XCTAssertFalse(api.matches(address: IPAddress("10.96.0.1")!, port: 80))
        XCTAssertTrue(p.settings.isProduction(namespace: "prod-eu"))
        XCTAssertTrue(p.settings.isProduction(namespace: "payments"))
        XCTAssertFalse(p.settings.isProduction(namespace: "dev"))

        XCTAssertEqual(p.allow.count, 3)
        let e = p.allow[0]
        XCTAssertEqual(e.rules, ["service-account-token-read", "k8s-api-after-token-read"])
        XCTAssertEqual(e.namespace?.pattern, "kube-system")
        XCTAssertEqual(e.pod?.pattern, "kube-proxy-*")
        XCTAssertEqual(e.container?.pattern, "kube-proxy")
        XCTAssertEqual(e.image?.pattern, "registry.k8s.io/kube-proxy*")
        XCTAssertEqual(e.executable?.pattern, "/usr/local/bin/kube-proxy")
        XCTAssertEqual(e.paths.map(\.pattern), ["/var/run/secrets/**"])
        XCTAssertFalse(e.host)
        XCTAssertEqual(e.reason, "kube-proxy watches Services")
        XCTAssertEqual(e.origin, ProfileLocation(file: "cluster.yaml", line: 10, column: 5))

        let d = p.allow[1]
        XCTAssertEqual(d.rules, ["unexpected-outbound-connection"], "a single id is accepted without brackets")
        XCTAssertEqual(d.destinations.count, 3)
        XCTAssertEqual(d.destinations[0].cidrs.map(\.description), ["10.96.0.0/12"])
        XCTAssertEqual(d.destinations[0].ports.description, "443,6443,8000-9000")
        XCTAssertEqual(d.destinations[1].host, "api.example.com")
        XCTAssertEqual(d.destinations[1].cidrs.map(\.description), ["198.51.100.10/32", "2001:db8::10/128"])
        XCTAssertEqual(d.destinations[1].ports.description, "443")
        XCTAssertEqual(d.destinations[2].cidrs.map(\.description), ["192.0.2.0/24", "2001:db8::/32"])
        XCTAssertEqual(d.destinations[2].ports, .any)

        XCTAssertTrue(p.allow[2].host)
    }

    func testUnresolvedHostIsAWarningNotAnError() throws {
        let p = try ProfileLoader().parse(full, file: "cluster.yaml")
        XCTAssertEqual(p.allow[1].destinations[1].cidrs, [])
        XCTAssertEqual(p.warnings.count, 1)
        XCTAssertEqual(p.warnings[0].location, ProfileLocation(file: "cluster.yaml", line: 21, column: 16))
        XCTAssertTrue(p.warnings[0].message.contains("api.example.com"), p.warnings[0].message)
        struct Boom: Error {}
        let failing = try ProfileLoader(resolver: { _ in throw Boom() }).parse(full, file: "c.yaml")
        XCTAssertEqual(failing.warnings.count, 1)
    }

    func testHostThatIsAnAddressNeedsNoResolver() throws {
        let p = try ProfileLoader().parse("""
            version: 1
            allow:
              - rules: [unexpected-outbound-connection]
                destinations: [{host: "2001:db8::1", ports: "443"}, {host: 192.0.2.1}]
            """, file: "p.yaml")
        XCTAssertEqual(p.allow[0].destinations.flatMap(\.cidrs).map(\.description), ["2001:db8::1/128", "192.0.2.1/32"])
        XCTAssertEqual(p.warnings, [])
    }

    func testEmptyDocumentIsTheEmptyProfile() throws {
        let p = try ProfileLoader().parse("# nothing here\n", file: "empty.yaml")
        XCTAssertEqual(p.allow.count, 0)
        XCTAssertEqual(p.disabledRules, [])
        XCTAssertEqual(p.sources, ["empty.yaml"])
    }

    func testMergeOfTwoFiles() throws {
        let first = ProfileSource(name: "a.yaml", text: """
            version: 1
            disable: [reverse-shell]
            settings: {fold_window_seconds: 10, production_namespaces: [prod]}
            allow:
              - {rules: [service-account-token-read], namespace: a}
            """)
        let second = ProfileSource(name: "b.yaml", text: """
            version: 1
            disable: [unexpected-outbound-connection]
            settings: {fold_window_seconds: 20}
            allow:
              - {rules: [service-account-token-read], namespace: b}
            """)
        let p = try ProfileLoader().load([first, second])
        XCTAssertEqual(p.sources, ["a.yaml", "b.yaml"])
        XCTAssertEqual(p.disabledRules, ["reverse-shell", "unexpected-outbound-connection"])
        XCTAssertEqual(p.settings.foldWindowSeconds, 20, "later file overrides the key it sets")
        XCTAssertEqual(p.settings.productionNamespaces?.map(\.pattern), ["prod"], "and keeps keys it does not set")
        XCTAssertEqual(p.allow.map { $0.namespace?.pattern }, ["a", "b"])
        XCTAssertEqual(p.allow.map(\.origin.file), ["a.yaml", "b.yaml"])
        // Entries of both files are in force.
        let rule = "service-account-token-read"
        XCTAssertNotNil(p.allows(rule: rule, subject: ProfileSubject(namespace: "a")))
        XCTAssertNotNil(p.allows(rule: rule, subject: ProfileSubject(namespace: "b")))
        XCTAssertNil(p.allows(rule: rule, subject: ProfileSubject(namespace: "c")))
    }

    func testLoadFilesWithEmbeddedDefault() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rw-profile-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("extra.yaml").path
        try "version: 1\nallow:\n  - {rules: [reverse-shell], namespace: lab}\n".write(toFile: file, atomically: true, encoding: .utf8)

        let loader = ProfileLoader()
        let withDefault = try loader.load(files: [file])
        let defaultOnly = try loader.embeddedDefault()
        XCTAssertEqual(withDefault.sources, [ProfileLoader.embeddedDefaultName, file])
        XCTAssertEqual(withDefault.allow.count, defaultOnly.allow.count + 1)
        let bare = try loader.load(files: [file], includeEmbeddedDefault: false)
        XCTAssertEqual(bare.allow.count, 1)

        XCTAssertThrowsError(try loader.load(files: [dir.appendingPathComponent("missing.yaml").path])) { error in
            let e = error as! ProfileError
            XCTAssertTrue(e.file.hasSuffix("missing.yaml"))
            XCTAssertNil(e.line)
            XCTAssertEqual(e.reason, "no such file")
        }
        let binary = dir.appendingPathComponent("bin.yaml").path
        XCTAssertTrue(FileManager.default.createFile(atPath: binary, contents: Data([0xff, 0xfe, 0x00, 0xc3])))
        XCTAssertThrowsError(try loader.load(files: [binary])) { error in
            XCTAssertEqual((error as! ProfileError).reason, "the file is not UTF-8 text")
        }
    }
}
