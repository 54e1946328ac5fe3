// SPDX-License-Identifier: Apache-2.0
// Readiness of the capture sources and the pipeline, as `/healthz` reports it. Written by the
// pipeline (any thread), read by the HTTP listener.

import NIOConcurrencyHelpers

/// What `/healthz` answers: healthy only when the pipeline runs and every registered source is ready.
public struct HealthReport: Sendable, Equatable {
    /// One line per reason the node is not ready, sorted by source name; empty when healthy.
    public var problems: [String]
    public var isHealthy: Bool { problems.isEmpty }
    /// 200 when healthy, 503 otherwise.
    public var httpStatus: Int { isHealthy ? 200 : 503 }
    /// `ok` when healthy, else the problems, one per line.
    public var body: String { isHealthy ? "ok\n" : problems.joined(separator: "\n") + "\n" }
}

/// Thread-safe readiness registry. Sources are free-form names ("proc_connector", "fanotify").
public final class HealthState: Sendable {
    private enum SourceStatus: Equatable {
        case pending
        case ready
        case notReady(reason: String)
    }

    private struct State {
        var sources: [String: SourceStatus] = [:]
        var pipelineRunning = false
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Declares a source that must report ready before the node is healthy. Registering a source
    /// that already reported keeps its status.
    public func register(source: String) {
        state.withLockedValue { s in
            if s.sources[source] == nil { s.sources[source] = .pending }
        }
    }

    /// Marks a source ready (registering it if needed), e.g. once the proc connector subscribed.
    public func markReady(source: String) {
        state.withLockedValue { $0.sources[source] = .ready }
    }

    /// Marks a source not ready with a human reason shown in `/healthz`.
    public func markNotReady(source: String, reason: String) {
        state.withLockedValue { $0.sources[source] = .notReady(reason: reason) }
    }

    /// Records whether the pipeline loop is running (events flow from capture to outputs).
    public func setPipelineRunning(_ running: Bool) {
        state.withLockedValue { $0.pipelineRunning = running }
    }

    /// The current verdict with every reason it is not healthy.
    public func report() -> HealthReport {
        state.withLockedValue { s in
            var problems: [String] = []
            if !s.pipelineRunning { problems.append("pipeline: not running") }
            for (name, status) in s.sources.sorted(by: { $0.key < $1.key }) {
                switch status {
                case .ready: continue
                case .pending: problems.append("\(name): not ready yet")
                case .notReady(let reason): problems.append("\(name): \(reason)")
                }
            }
            return HealthReport(problems: problems)
        }
    }
}
