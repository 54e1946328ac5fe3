// SPDX-License-Identifier: Apache-2.0
// Core decides, the live `run` acts: for each delivered alert, what the profile's `responses:` say
// to do, to which container and process, or why nothing may be done. Pure, so every refusal
// (host process, the monitor itself, a protected namespace, no container) is unit-tested; replay
// computes no plan at all because it has no executor.

/// Who the monitor is, so no response ever targets it.
public struct MonitorIdentity: Sendable, Hashable {
    /// The monitor's own pid (host pid namespace).
    public var pid: Int32
    /// The monitor's container (12 hex) when it runs in one (a DaemonSet pod): freezing it would
    /// blind the node.
    public var containerID: String?
    public init(pid: Int32, containerID: String? = nil) { self.pid = pid; self.containerID = containerID.map { String($0.prefix(12)) } }
}

/// Why a configured response was not carried out.
public enum ResponseRefusal: String, Sendable, Hashable {
    case hostProcess = "host process: responses only act on containers"
    case monitor = "the monitor itself"
    case protectedNamespace = "protected namespace not named in responses.namespaces_allowed"
    case noContainer = "the alert names no container"
    case noProcess = "the alert names no process to kill"
}

public struct ResponsePlan: Sendable, Hashable {
    public var action: ResponseAction
    public var dryRun: Bool
    /// The container to act on (`container.id`, 12 hex), nil when unknown.
    public var containerID: String?
    /// The process to kill (`proc.pid`).
    public var pid: Int32?
    public var namespace: String?
    public var pod: String?
    /// Set when nothing may be done, with the reason.
    public var refusal: ResponseRefusal?

    /// The plan for `alert` under `settings`, or nil when its rule has no `respond:` or the alert
    /// is a folded summary of repeats (`count` > 1): the first occurrence already acted, and a
    /// summary emitted when its fold window closes must not re-freeze a container an operator thawed.
    public static func make(for alert: Alert, settings: ResponseSettings, monitor: MonitorIdentity) -> ResponsePlan? {
        guard alert.count == 1, let configured = settings.rules[alert.ruleID] else { return nil }
        func text(_ name: String) -> String? {
            guard case .string(let s)? = alert.fields[name], !s.isEmpty else { return nil }
            return s
        }
        var pid: Int32?
        if case .int(let raw)? = alert.fields["proc.pid"] { pid = Int32(exactly: raw) }
        var plan = ResponsePlan(action: configured.action, dryRun: configured.dryRun, containerID: text("container.id"),
                                pid: pid, namespace: text("k8s.ns.name"), pod: text("k8s.pod.name"))
        plan.refusal = plan.refusal(monitor: monitor, settings: settings)
        if plan.containerID == "host" { plan.containerID = nil }
        return plan
    }

    /// The first reason this plan must not be carried out, checked from the most fundamental.
    private func refusal(monitor: MonitorIdentity, settings: ResponseSettings) -> ResponseRefusal? {
        if pid == monitor.pid || (monitor.containerID != nil && containerID == monitor.containerID) { return .monitor }
        guard let containerID else { return .noContainer }
        if containerID == "host" { return .hostProcess }
        if !settings.mayTouch(namespace: namespace) { return .protectedNamespace }
        if action == .kill, pid == nil { return .noProcess }
        return nil
    }

    /// "freeze container 0123456789ab (pod shop/web-0)", "kill pid 42 in container …": what and where.
    public var summary: String {
        var where_ = "container \(containerID ?? "<NA>")"
        if let pod { where_ += " (pod \(namespace ?? "<NA>")/\(pod))" }
        switch action {
        case .freeze: return "freeze " + where_
        case .kill: return "kill pid \(pid.map(String.init) ?? "<NA>") in " + where_
        }
    }
}
