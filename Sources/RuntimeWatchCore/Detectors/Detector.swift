// SPDX-License-Identifier: Apache-2.0
// The detector seam. A detector is a pure rule over (event, state, profile): no I/O, no clocks.
// The engine applies the event to the state first, then asks every enabled detector.

/// What a detector may look at besides the event. Read-only for detectors.
///
/// A class, and one per engine: the engine keeps its state and profile in it and hands the same
/// object to every detector for every event, and every helper a detector builds shares it. As a
/// struct it was copied at each hand-over (the state and the profile with it, ~500 bytes and a
/// dozen reference counts each time: ten copies per event, measured with a probe on memmove); as a
/// class built per inspected event it cost one allocation per event.
public final class DetectionContext: @unchecked Sendable {
    // @unchecked: the engine changes `state` and `profile` only after making sure it holds the one
    // reference (`Engine.ownedContext`), so a context that is shared is never changed.
    public internal(set) var state: SystemState
    public internal(set) var profile: Profile
    public let hostname: String
    /// The node's own DNS resolvers (see `EngineConfiguration.nodeResolvers`).
    public let nodeResolvers: [IPAddress]
    public init(state: SystemState, profile: Profile, hostname: String, nodeResolvers: [IPAddress] = []) {
        self.state = state; self.profile = profile; self.hostname = hostname; self.nodeResolvers = nodeResolvers
    }

    /// An independent copy (what a copied engine gets before its first change).
    func copy() -> DetectionContext {
        DetectionContext(state: state, profile: profile, hostname: hostname, nodeResolvers: nodeResolvers)
    }
}

public protocol Detector: Sendable {
    /// The rules this detector can raise (listed by `runtime-watch rules`).
    var rules: [Rule] { get }
    /// Looks at one event (already applied to `context.state`) and returns alerts. May keep
    /// its own bounded state (for correlations), hence `mutating`.
    mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert]
    /// Whether `inspect(record, …)` could return an alert or change this detector's own state.
    /// False lets the engine skip the call (and building the context when no detector needs it),
    /// so it must only be false when `inspect` would return `[]` and change nothing.
    /// The default is true (always inspected).
    func needsInspection(of record: EventRecord) -> Bool
    /// Alerts this detector holds that are due by `now` when no event arrives (a live heartbeat at
    /// wall-clock time `now`; `UInt64.max` at the end of input). The default holds nothing.
    mutating func due(now: UInt64, context: DetectionContext) -> [Alert]
}

extension Detector {
    public func needsInspection(of record: EventRecord) -> Bool { true }
    public mutating func due(now: UInt64, context: DetectionContext) -> [Alert] { [] }

    /// `inspect(record, …)` when `needsInspection(of: record)`, else nil. The engine asks both in
    /// one mutating call on the detector where it is stored: asking `needsInspection` of an array
    /// element on its own copied the detector out of its existential box and destroyed the copy,
    /// for every detector and every event (about 2% of a replay: BENCHMARKS section 29).
    mutating func inspectIfNeeded(_ record: EventRecord, context: DetectionContext) -> [Alert]? {
        needsInspection(of: record) ? inspect(record, context: context) : nil
    }
}

// Conveniences detectors use so every alert and every allowlist check is made the same way.
// A detector must not keep `context` (or its `state`) beyond `inspect`: the engine's next state
// update would then copy the whole process table.
extension DetectionContext {
    /// The profile subject for `pid` (namespace, pod, container, image, executable, host or not).
    public func subject(of pid: ProcessID) -> ProfileSubject {
        ProfileSubject(state: state, pid: pid)
    }

    /// Whether an allowlist entry expects `rule` for `pid` acting on `target` (if not, alert).
    public func expects(_ rule: Rule, pid: ProcessID, target: ProfileTarget = .none) -> Bool {
        profile.expects(rule: rule.id, subject: subject(of: pid), target: target)
    }

    /// An alert for `rule` about `pid` at `record`, built by `AlertBuilder` with this context's state
    /// and host name.
    public func alert(_ rule: Rule, output template: String, record: EventRecord, pid: ProcessID?,
                      priority: Priority? = nil, extra: AlertFields = [:]) -> Alert {
        AlertBuilder.build(rule: rule, output: template, record: record, pid: pid, state: state,
                           hostname: hostname, priority: priority, extra: extra)
    }
}
