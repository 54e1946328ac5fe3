// SPDX-License-Identifier: Apache-2.0
// The detector seam. A detector is a pure rule over (event, state, profile): no I/O, no clocks.
// The engine applies the event to the state first, then asks every enabled detector.

/// What a detector may look at besides the event. Read-only.
public struct DetectionContext: Sendable {
    public var state: SystemState
    public var profile: Profile
    public var hostname: String
    public init(state: SystemState, profile: Profile, hostname: String) {
        self.state = state; self.profile = profile; self.hostname = hostname
    }
}

public protocol Detector: Sendable {
    /// The rules this detector can raise (listed by `runtime-watch rules`).
    var rules: [Rule] { get }
    /// Looks at one event (already applied to `context.state`) and returns alerts. May keep
    /// its own bounded state (for correlations), hence `mutating`.
    mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert]
}
