// SPDX-License-Identifier: Apache-2.0
// What the API server's users normally do (issue 16 item 4, "inventory and history" and "abnormal
// rate"), learned from audit logs with `runtime-watch learn --audit-log … --audit-baseline FILE`
// and loaded by `run` and `replay` with `--audit-baseline FILE`:
// - every (identity, verb, resource, namespace) seen: a k8s_audit alert about a combination in the
//   baseline is expected (not written; exec and workload risk excepted), one never seen is marked
//   `rw.first_seen: true` and raised one priority level;
// - per identity, the most secret reads, secret lists, exec/attach and TokenRequests it made in any
//   hour: `k8s-abnormal-rate` fires when an hour holds more than `rate_factor` times that.
// The file is JSON, bounded (`maxCombinations`, `maxFileBytes`); a file that cannot be read or parsed
// is reported with its path and reason and the monitor starts with an empty baseline.

import Foundation

public struct AuditBaseline: Sendable, Hashable, Codable {
    public static let formatName = "runtime-watch-audit-baseline"
    public static let maxCombinations = 200_000
    public static let maxFileBytes = 32 << 20

    /// The rate categories: what an identity may do in volume.
    public enum Category: String, Sendable, CaseIterable, Codable {
        case secretRead = "secret-read", secretList = "secret-list", exec, tokenRequest = "token-request"

        public init?(_ e: AuditEvent) {
            guard let resource = e.objectRef?.resource else { return nil }
            let sub = e.objectRef?.subresource.flatMap { $0.isEmpty ? nil : $0 }
            switch (resource, sub, e.verb) {
            case ("secrets", nil, "get"): self = .secretRead
            case ("secrets", nil, "list"), ("secrets", nil, "watch"): self = .secretList
            case ("pods", "exec"?, _), ("pods", "attach"?, _): self = .exec
            case ("serviceaccounts", "token"?, "create"): self = .tokenRequest
            default: return nil
            }
        }
    }

    public var format = AuditBaseline.formatName
    public var version = 1
    /// "identity|verb|resource|namespace" (resource with its subresource, `pods/exec`).
    public private(set) var combinations: Set<String> = []
    /// "identity|category" → the most requests of that category in one hour while learning.
    public private(set) var hourlyMaximum: [String: Int] = [:]
    /// Combinations not stored because the bound was reached.
    public private(set) var combinationsDropped = 0

    // Learning state (not saved): the current hour's counts.
    private var hour: UInt64 = 0
    private var hourCounts: [String: Int] = [:]

    private enum CodingKeys: String, CodingKey { case format, version, combinations, hourlyMaximum = "hourly_maximum", combinationsDropped = "combinations_dropped" }

    public init() {}

    public static func combination(_ e: AuditEvent) -> String {
        let resource = [e.objectRef?.resource, e.objectRef?.subresource.flatMap { $0.isEmpty ? nil : $0 }].compactMap { $0 }.joined(separator: "/")
        return "\(e.user.username ?? "")|\(e.verb)|\(resource)|\(e.objectRef?.namespace ?? "")"
    }

    static func rateKey(_ identity: String, _ category: Category) -> String { "\(identity)|\(category.rawValue)" }

    public func contains(_ e: AuditEvent) -> Bool { combinations.contains(Self.combination(e)) }

    public func hourlyMaximum(of identity: String, _ category: Category) -> Int { hourlyMaximum[Self.rateKey(identity, category)] ?? 0 }

    /// Learns one audit event at `time` (its own clock). Only stages that are judged count.
    public mutating func learn(_ e: AuditEvent, at time: UInt64) {
        guard AuditStagePolicy.shouldEvaluate(e) else { return }
        let combo = Self.combination(e)
        if !combinations.contains(combo) {
            if combinations.count < Self.maxCombinations { combinations.insert(combo) } else { combinationsDropped += 1 }
        }
        guard let category = Category(e) else { return }
        let thisHour = time / 3_600_000_000_000
        if thisHour != hour { closeHour(); hour = thisHour }
        hourCounts[Self.rateKey(e.user.username ?? "", category), default: 0] += 1
    }

    /// Ends learning: the last hour counts too.
    public mutating func finishLearning() { closeHour() }

    private mutating func closeHour() {
        for (key, n) in hourCounts where n > hourlyMaximum[key] ?? 0 { hourlyMaximum[key] = n }
        hourCounts.removeAll()
    }

    /// Reads a baseline file. Throws a reason that names the path.
    public static func load(path: String) throws(AuditBaselineError) -> AuditBaseline {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw AuditBaselineError(path: path, reason: "cannot read it (\((error as NSError).localizedDescription))")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else { throw AuditBaselineError(path: path, reason: "not a regular file") }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxFileBytes else { throw AuditBaselineError(path: path, reason: "\(size) bytes, over the \(maxFileBytes)-byte limit") }
        guard let data = FileManager.default.contents(atPath: path) else { throw AuditBaselineError(path: path, reason: "cannot read it") }
        let baseline: AuditBaseline
        do { baseline = try JSONDecoder().decode(AuditBaseline.self, from: data) } catch {
            throw AuditBaselineError(path: path, reason: "not a baseline (truncated or corrupted?): \(Self.describe(error))")
        }
        guard baseline.format == formatName, baseline.version == 1 else {
            throw AuditBaselineError(path: path, reason: "format \"\(baseline.format)\" version \(baseline.version); expected \"\(formatName)\" version 1")
        }
        guard baseline.combinations.count <= maxCombinations else {
            throw AuditBaselineError(path: path, reason: "\(baseline.combinations.count) combinations, over the \(maxCombinations) limit")
        }
        return baseline
    }

    /// Writes the baseline (to a temporary file renamed over `path`, so a crash never leaves half a file).
    public func save(path: String) throws(AuditBaselineError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw AuditBaselineError(path: path, reason: "cannot write it (\((error as NSError).localizedDescription))")
        }
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let c): return "field \"\(c.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        default: return "\(error)"
        }
    }
}

public struct AuditBaselineError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
