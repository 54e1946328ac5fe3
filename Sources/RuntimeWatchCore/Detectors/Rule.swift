// SPDX-License-Identifier: Apache-2.0
// Rule metadata: what `runtime-watch rules` lists, what alerts carry, what `--disable` and profiles name.

/// Falco's priority scale, most severe first.
public enum Priority: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case emergency = "Emergency", alert = "Alert", critical = "Critical", error = "Error"
    case warning = "Warning", notice = "Notice", informational = "Informational", debug = "Debug"

    /// 0 = Emergency … 7 = Debug (syslog numbering, as Falco uses).
    public var level: Int { Self.allCases.firstIndex(of: self)! }
    /// More severe compares greater.
    public static func < (a: Priority, b: Priority) -> Bool { a.level > b.level }

    /// Parses Falco's spellings case-insensitively, including "info" and "warn".
    public init?(name: String) {
        switch name.lowercased() {
        case "emergency": self = .emergency
        case "alert": self = .alert
        case "critical": self = .critical
        case "error": self = .error
        case "warning", "warn": self = .warning
        case "notice": self = .notice
        case "informational", "info": self = .informational
        case "debug": self = .debug
        default: return nil
        }
    }
}

/// Where an alert's evidence came from (Falco's `source`).
public enum AlertSource: String, Sendable, Hashable, Codable {
    case syscall
    case k8sAudit = "k8s_audit"
    case internal_ = "internal"
}

/// A detection rule's fixed description.
public struct Rule: Sendable, Hashable, Codable {
    /// Stable kebab-case id used in `--disable`, profiles and metrics (`service-account-token-read`).
    public var id: String
    /// Human rule name, Falco's `rule` field ("Service account token read").
    public var name: String
    /// Default priority; a detector may raise it for a given alert.
    public var priority: Priority
    public var source: AlertSource
    /// MITRE ATT&CK ids and tactic tags (`T1552.007`, `mitre_credential_access`).
    public var tags: [String]
    /// What the rule detects, one paragraph.
    public var description: String
    /// What an operator should do first.
    public var advice: String
    public init(id: String, name: String, priority: Priority, source: AlertSource = .syscall, tags: [String],
                description: String, advice: String) {
        self.id = id; self.name = name; self.priority = priority; self.source = source
        self.tags = tags; self.description = description; self.advice = advice
    }
}
