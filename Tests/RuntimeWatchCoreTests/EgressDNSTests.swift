// SPDX-License-Identifier: Apache-2.0
// DNS under the embedded default profile: port 53 is expected to the resolvers the container is
// configured with (its resolv.conf, carried by its container event) and to the node's own; to any
// other address it alerts, Warning over UDP and Critical over TCP. Unknown resolvers are not judged.

import XCTest
import Metrics
@testable import RuntimeWatchCore

final class EgressDNSTests: XCTestCase {
    private let clusterDNS = "10.96.0.10"
    private let nodeDNS = "10.0.0.2"

    /// The default profile, the container of `Fixture` with `resolvers`, then one connect from its
    /// nc (pid 130) to `address:53`. Returns the egress alerts.
    private func dns(to address: String, proto: String = "udp", resolvers: [String]?, nodeResolvers: [String] = ["10.0.0.2"],
                     inContainer: Bool = true, profileExtra: String = "") throws -> [Alert] {
        var profile = try ProfileLoader().embeddedDefault()
        if !profileExtra.isEmpty {
            profile = try ProfileLoader().load([ProfileSource(name: ProfileLoader.embeddedDefaultName, text: DefaultProfile.yaml),
                                                ProfileSource(name: "extra.yaml", text: profileExtra)])
        }
        var configuration = EngineConfiguration(hostname: "node-1")
        configuration.nodeResolvers = nodeResolvers
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: configuration, detectors: [EgressDetector()], profile: profile, sink: sink,
                            metrics: NOOPMetricsHandler.instance)
        for var r in Fixture.processTree(inContainer: inContainer) {
            if case .container(var info) = r.event {
                info.resolvers = resolvers
                r = EventRecord(timestamp: r.timestamp, event: .container(info))
            }
            engine.process(r)
        }
        engine.process(Fixture.record(1, .connect(ConnectEvent(pid: ProcessID(130), proto: proto, remoteAddress: address, remotePort: 53))))
        engine.finish()
        return sink.alerts.filter { $0.ruleID == Rule.unexpectedOutboundConnection.id }
    }

    func testQueriesToTheContainersOwnResolverAreExpected() throws {
        XCTAssertEqual(try dns(to: clusterDNS, resolvers: [clusterDNS]).map(\.output), [])
        XCTAssertEqual(try dns(to: clusterDNS, proto: "tcp", resolvers: [clusterDNS]).map(\.output), [], "TCP to the resolver is normal DNS too")
        XCTAssertEqual(try dns(to: "::ffff:10.96.0.10", resolvers: [clusterDNS]).map(\.output), [], "a dual-stack socket names the same resolver")
    }

    func testQueriesToTheNodesResolverAreExpected() throws {
        XCTAssertEqual(try dns(to: nodeDNS, resolvers: [clusterDNS]).map(\.output), [])
    }

    func testQueryToAnyOtherAddressAlertsWarningOverUDPAndCriticalOverTCP() throws {
        let udp = try dns(to: "198.51.100.53", resolvers: [clusterDNS])
        XCTAssertEqual(udp.count, 1)
        XCTAssertEqual(udp.first?.priority, .warning)
        XCTAssertEqual(udp.first?.fields["fd.rip"], .string("198.51.100.53"))
        XCTAssertTrue(udp.first?.output.contains("not a configured resolver (expected: 10.96.0.10, 10.0.0.2)") == true, udp.first?.output ?? "")

        let tcp = try dns(to: "198.51.100.53", proto: "tcp", resolvers: [clusterDNS])
        XCTAssertEqual(tcp.count, 1)
        XCTAssertEqual(tcp.first?.priority, .critical)

        // A private address that is not a resolver is no more expected than a public one.
        XCTAssertEqual(try dns(to: "10.1.2.3", resolvers: [clusterDNS]).count, 1)
        // A container whose resolv.conf names none: anything but the node's resolvers alerts.
        XCTAssertEqual(try dns(to: clusterDNS, resolvers: []).count, 1)
    }

    func testUnknownResolversAreNotJudged() throws {
        XCTAssertEqual(try dns(to: "198.51.100.53", resolvers: nil).map(\.output), [])
    }

    func testLoopbackAndHostProcessesAreNotJudged() throws {
        XCTAssertEqual(try dns(to: "127.0.0.53", resolvers: [clusterDNS]).map(\.output), [], "a local stub resolver is not outbound")
        XCTAssertEqual(try dns(to: "198.51.100.53", resolvers: nil, inContainer: false).map(\.output), [], "unprofiled host processes are not judged")
    }

    func testAnAllowEntryForAnotherResolverSilencesIt() throws {
        let extra = """
        version: 1
        allow:
          - rules: [unexpected-outbound-connection]
            namespace: shop
            destinations:
              - {cidr: 198.51.100.53/32, ports: "53"}
            reason: "the shop's own resolver"
        """
        XCTAssertEqual(try dns(to: "198.51.100.53", resolvers: [clusterDNS], profileExtra: extra).map(\.output), [])
        XCTAssertEqual(try dns(to: "198.51.100.54", resolvers: [clusterDNS], profileExtra: extra).count, 1)
    }
}
