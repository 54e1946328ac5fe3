// SPDX-License-Identifier: Apache-2.0
// `run`'s bounds on HTTP clients of the --listen listener (README: "Listener bounds").

import ArgumentParser
import RuntimeWatchService

struct ListenerOptions: ParsableArguments {
    private static let defaults = ListenerLimits()

    @Option(name: .long, help: ArgumentHelp("Close a connection whose request header is not complete this long after its first byte.", valueName: "SECONDS"))
    var listenHeaderTimeout: Double = Self.defaults.headerTimeout.seconds

    @Option(name: .long, help: ArgumentHelp("Close a keep-alive connection idle this long.", valueName: "SECONDS"))
    var listenIdleTimeout: Double = Self.defaults.idleTimeout.seconds

    @Option(name: .long, help: ArgumentHelp("Close a connection whose request body is not complete this long after its header.", valueName: "SECONDS"))
    var listenBodyTimeout: Double = Self.defaults.bodyTimeout.seconds

    @Option(name: .long, help: ArgumentHelp("Connections served at once; more wait in the accept backlog.", valueName: "N"))
    var listenMaxConnections: Int = Self.defaults.maxConnections

    @Option(name: .long, help: ArgumentHelp("Largest request header; larger gets 400 and the connection is closed.", valueName: "BYTES"))
    var listenMaxHeaderBytes: Int = Self.defaults.maxHeaderBytes

    @Option(name: .long, help: ArgumentHelp("Largest POST /k8s-audit body; larger gets 413.", valueName: "BYTES"))
    var listenMaxBodyBytes: Int = K8sAuditRoute.defaultMaxBodyBytes

    @Option(name: .long, help: ArgumentHelp("Request bodies held at once over all connections; a request over it gets 503 with Retry-After.", valueName: "BYTES"))
    var listenBodyBudgetBytes: Int = Self.defaults.bodyBudgetBytes

    func validate() throws {
        for (name, value) in [("--listen-header-timeout", listenHeaderTimeout), ("--listen-idle-timeout", listenIdleTimeout),
                              ("--listen-body-timeout", listenBodyTimeout)] {
            guard value.isFinite, value > 0, value <= 86_400 else { throw ValidationError("\(name) \(value): expected 0 < seconds <= 86400") }
        }
        guard listenMaxConnections >= 1 else { throw ValidationError("--listen-max-connections \(listenMaxConnections): expected at least 1") }
        guard listenMaxHeaderBytes >= 1024 else { throw ValidationError("--listen-max-header-bytes \(listenMaxHeaderBytes): expected at least 1024") }
        guard listenMaxBodyBytes >= 1 else { throw ValidationError("--listen-max-body-bytes \(listenMaxBodyBytes): expected at least 1") }
        guard listenBodyBudgetBytes >= listenMaxBodyBytes else {
            throw ValidationError("--listen-body-budget-bytes \(listenBodyBudgetBytes): must be at least --listen-max-body-bytes (\(listenMaxBodyBytes)), or no body of the largest size could ever be read")
        }
    }

    var limits: ListenerLimits {
        ListenerLimits(headerTimeout: .milliseconds(Int64(listenHeaderTimeout * 1000)),
                       idleTimeout: .milliseconds(Int64(listenIdleTimeout * 1000)),
                       bodyTimeout: .milliseconds(Int64(listenBodyTimeout * 1000)),
                       maxConnections: listenMaxConnections, maxHeaderBytes: listenMaxHeaderBytes,
                       bodyBudgetBytes: listenBodyBudgetBytes)
    }
}

private extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
