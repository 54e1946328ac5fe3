// SPDX-License-Identifier: Apache-2.0
// The k8s_audit rules over API-server audit events: secrets listed in all namespaces, a secret read
// by an unexpected identity, exec/attach into a pod, a workload that can escape to its node, and a
// service-account TokenRequest. Identities the profile's `audit:` section expects are quiet;
// requests the authorizer denied are reported at a lower priority as attempts.
// Exec and attach are reported once their decision is known (ResponseStarted or a final stage, with
// `ka.response.code`). Their RequestReceived, logged before the authorizer decided, is held for
// `undecidedWaitNanoseconds` of event time and reported as undecided only if no later stage comes.

public struct K8sAuditDetector: Detector {
    public var rules: [Rule] { Rule.k8sAuditRules }

    /// Workload kinds whose pod template the privileged-workload rule reads (objectRef.resource).
    public static let workloadResources: Set<String> = [
        "pods", "deployments", "daemonsets", "statefulsets", "replicasets", "jobs", "cronjobs", "replicationcontrollers",
    ]

    /// AuditIDs already evaluated, so the stages of one request alert once.
    private var evaluated = RecentAuditIDs(capacity: 8192)
    /// How long an exec/attach seen only at RequestReceived waits for its decided stage.
    public var undecidedWaitNanoseconds: UInt64 = 10_000_000_000
    /// An exec/attach request seen only at RequestReceived.
    private struct Held {
        var record: EventRecord
        var event: AuditEvent
        /// In audit-event time (the audit source's own clock).
        var deadline: UInt64
        /// The first heartbeat after it was held (wall clock), for a live source that goes quiet.
        var firstTick: UInt64?
    }
    /// Held requests, oldest first (bounded by `maxUndecided`).
    private var undecided: [Held] = []
    /// The latest audit event time seen: audit events may be old (a log read from its start) while
    /// other events are current, so the wait is measured on the audit events' own clock.
    private var auditClock: UInt64 = 0
    private let maxUndecided = 4096
    /// Workload writers and the risky templates already reported (k8s-privileged-workload).
    private var workloads = WorkloadTemplates()
    /// What identities normally do (`--audit-baseline`); nil: no history tuning, no rate rule.
    public var baseline: AuditBaseline?
    /// Requests per "identity|category" in the current hour (audit time), and those already raised.
    private var rateHour: UInt64 = 0
    private var rateCounts: [String: Int] = [:]
    private var rateRaised: Set<String> = []
    /// Below this many requests an hour, no rate is abnormal.
    public static let minimumAbnormalRate = 10

    public init(baseline: AuditBaseline? = nil) { self.baseline = baseline }

    /// Only Kubernetes audit events matter (they alone move the wait's clock).
    public func needsInspection(of record: EventRecord) -> Bool {
        if case .k8sAudit = record.event { return true }
        return false
    }

    public mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert] {
        // A decided stage takes its request out of the wait first: stamped after the deadline (a
        // slow API server), it is still that request's answer, not a second alert.
        if case .k8sAudit(let e) = record.event, AuditStagePolicy.isLongRunning(e), e.stage != "RequestReceived",
           AuditStagePolicy.shouldEvaluate(e) {
            undecided.removeAll { $0.event.auditID == e.auditID }
        }
        guard case .k8sAudit(let e) = record.event else { return [] }
        auditClock = max(auditClock, record.timestamp)
        let clock = auditClock
        var alerts = expire(context: context) { $0.deadline <= clock }
        guard AuditStagePolicy.shouldEvaluate(e) else { return alerts }
        if AuditStagePolicy.isLongRunning(e) {
            if e.stage == "RequestReceived" {
                // Not decided yet: wait for ResponseStarted (once per auditID).
                if !evaluated.contains(e.auditID), !undecided.contains(where: { $0.event.auditID == e.auditID }) {
                    if undecided.count >= maxUndecided { alerts += report(undecided.removeFirst(), context: context) }
                    undecided.append(Held(record: record, event: e, deadline: record.timestamp &+ undecidedWaitNanoseconds))
                }
                return alerts
            }
            undecided.removeAll { $0.event.auditID == e.auditID }
        }
        return alerts + evaluate(e, record: record, context: context, undecided: false)
    }

    /// A heartbeat at wall-clock `now` (or the end of input, `UInt64.max`): a held request is
    /// reported undecided once heartbeats span the wait after it was held (the audit source went
    /// quiet), or at the end of input.
    public mutating func due(now: UInt64, context: DetectionContext) -> [Alert] {
        guard !undecided.isEmpty else { return [] }
        for i in undecided.indices where undecided[i].firstTick == nil { undecided[i].firstTick = now }
        let wait = undecidedWaitNanoseconds
        return expire(context: context) { now == .max || ($0.firstTick.map { now >= $0 &+ wait } ?? false) }
    }

    /// Reports, as undecided and in the order they were held, the held requests `isDue` accepts.
    private mutating func expire(context: DetectionContext, _ isDue: (Held) -> Bool) -> [Alert] {
        guard undecided.contains(where: isDue) else { return [] }
        let due = undecided.filter(isDue)
        undecided.removeAll(where: isDue)
        return due.flatMap { evaluate($0.event, record: $0.record, context: context, undecided: true) }
    }

    private mutating func report(_ held: Held, context: DetectionContext) -> [Alert] {
        evaluate(held.event, record: held.record, context: context, undecided: true)
    }

    /// The alert for `e` (once per auditID), or none. `undecided`: an exec/attach whose decided
    /// stage never came; it says so (`ka.auth.decision` unknown, `rw.decision` undecided).
    private mutating func evaluate(_ e: AuditEvent, record: EventRecord, context: DetectionContext, undecided: Bool) -> [Alert] {
        guard evaluated.insert(e.auditID) else { return [] }
        if Self.workloadResources.contains(e.objectRef?.resource ?? ""), ["create", "update", "patch"].contains(e.verb) {
            workloads.noteWrite(e)
        }
        let rateAlerts = abnormalRate(e, record: record, context: context)
        guard let (rule, matchedTemplate, matchedExtra, priority) = match(e, profile: context.profile) else { return rateAlerts }
        var template = matchedTemplate, extra = matchedExtra
        if undecided {
            template = "Undecided: " + template
            extra["rw.decision"] = .string("undecided")
        }
        // Workload risk is allowed, and deduplicated, by the workload: the object and its owner chain.
        let object = rule == .k8sPrivilegedWorkload ? WorkloadTemplates.object(of: e) : nil
        let owners = rule == .k8sPrivilegedWorkload ? workloads.owners(of: e) : []
        let chain = (object.map { [$0] } ?? []) + owners
        if context.profile.audit.allows(rule: rule.id, event: e, workloads: chain.map(\.description)) != nil { return rateAlerts }
        if rule == .k8sPrivilegedWorkload {
            let namespace = e.objectRef?.namespace
            guard let spec = e.requestObject?.podSpec,
                  workloads.isNew(WorkloadTemplates.hash(PodSpecRisk.analyse(spec), images: spec.allContainers.map { $0.image ?? "" }),
                                  chain: chain, namespace: namespace, at: record.timestamp) else { return rateAlerts }
            extra["ka.req.owner"] = FieldValue((owners.first ?? object)?.description)
            extra["ka.req.owner.last_writer"] = FieldValue(workloads.lastWriter(of: owners, namespace: namespace))
            if !owners.isEmpty { template += " owner=%ka.req.owner owner_written_by=%ka.req.owner.last_writer" }
        }

        let denied = e.isDenied
        var effective = priority ?? rule.priority
        if let baseline {
            // History: what this identity has done before is expected; exec and workload risk are
            // judged every time.
            let seen = baseline.contains(e)
            if seen, rule != .k8sPodExec, rule != .k8sPrivilegedWorkload { return rateAlerts }
            extra["rw.first_seen"] = .string(seen ? "false" : "true")
            if !seen { effective = Priority.allCases[max(effective.level - 1, 0)] }
        }
        if denied { effective = Self.lowered(effective) }
        let link = AuditPodCorrelation.link(e, state: context.state)
        var text = (denied ? "Attempt (denied): " : "") + template
        if e.user.extraValue("arn") != nil { text += " arn=%ka.user.extra.arn" }
        text += " sourceips=%ka.sourceips useragent=%ka.useragent decision=%ka.auth.decision code=%ka.response.code"
        if link != nil { text += " linked_pod=%k8s.ns.name/%k8s.pod.name via=%ka.correlation" }
        text += ")"
        return rateAlerts + [AuditAlertBuilder.build(rule: rule, output: text, record: record, event: e, link: link,
                                                     state: context.state, hostname: context.hostname, priority: effective, extra: extra)]
    }

    /// k8s-abnormal-rate: once an hour (audit time) per identity and category, when the identity's
    /// requests of the category exceed `rate_factor` × its busiest learned hour (at least 10).
    private mutating func abnormalRate(_ e: AuditEvent, record: EventRecord, context: DetectionContext) -> [Alert] {
        guard let baseline, let category = AuditBaseline.Category(e) else { return [] }
        let hour = record.timestamp / 3_600_000_000_000
        if hour != rateHour { rateHour = hour; rateCounts.removeAll(); rateRaised.removeAll() }
        let identity = e.user.username ?? ""
        let key = "\(identity)|\(category.rawValue)"
        if rateCounts[key] == nil, rateCounts.count >= 65_536 { return [] }
        let count = (rateCounts[key] ?? 0) + 1
        rateCounts[key] = count
        let learned = baseline.hourlyMaximum(of: identity, category)
        let factor = context.profile.audit.rateFactor ?? 3
        let limit = max(Int((Double(learned) * factor).rounded(.up)), Self.minimumAbnormalRate)
        guard count > limit, !rateRaised.contains(key) else { return [] }
        let rule = Rule.k8sAbnormalRate
        if context.profile.audit.allows(rule: rule.id, event: e) != nil { return [] }
        rateRaised.insert(key)
        let extra: AlertFields = [
            "rw.rate.category": .string(category.rawValue), "rw.rate.count": .int(Int64(count)),
            "rw.rate.learned_max": .int(Int64(learned)), "rw.rate.limit": .int(Int64(limit)),
        ]
        let text = "Abnormal request rate (user=%ka.user.name category=%rw.rate.category count=%rw.rate.count in this hour, "
            + "learned busiest hour %rw.rate.learned_max, limit %rw.rate.limit; latest uri=%ka.uri)"
        return [AuditAlertBuilder.build(rule: rule, output: text, record: record, event: e, link: AuditPodCorrelation.link(e, state: context.state),
                                        state: context.state, hostname: context.hostname, extra: extra)]
    }

    /// Two steps less severe, never below Informational.
    static func lowered(_ p: Priority) -> Priority {
        Priority.allCases[min(p.level + 2, Priority.informational.level)]
    }

    /// The rule `e` falls under, with its output template (without the closing parenthesis and the
    /// common tail), rule-specific fields and a priority override; nil when no rule applies.
    func match(_ e: AuditEvent, profile: Profile) -> (Rule, String, AlertFields, Priority?)? {
        guard let ref = e.objectRef, let resource = ref.resource else { return nil }
        let namespace = ref.namespace.flatMap { $0.isEmpty ? nil : $0 }
        let sub = ref.subresource.flatMap { $0.isEmpty ? nil : $0 }
        switch (resource, sub) {
        case ("secrets", nil) where (e.verb == "list" || e.verb == "watch") && namespace == nil:
            return (.k8sSecretsListedAllNamespaces,
                    "Secrets listed in all namespaces (user=%ka.user.name verb=%ka.verb uri=%ka.uri", [:], nil)
        case ("secrets", nil) where e.verb == "get" && ref.name != nil:
            return (.k8sSecretRead,
                    "Secret read (user=%ka.user.name secret=%ka.target.name ns=%ka.target.namespace verb=%ka.verb", [:], nil)
        case ("pods", "exec"?), ("pods", "attach"?):
            let command = ExecCommandDecoder.command(fromURI: e.requestURI)
            let extra: AlertFields = [
                "ka.exec.command": command.isEmpty ? .null : .string(command.joined(separator: " ")),
                "ka.uri.param[command]": FieldValue(command.first),
                "ka.exec.container": FieldValue(ExecCommandDecoder.container(fromURI: e.requestURI)),
                "ka.target.production": .string(profile.isAuditProduction(namespace: namespace) ? "true" : "false"),
            ]
            let production = profile.isAuditProduction(namespace: namespace)
            return (.k8sPodExec,
                    "\(sub == "attach" ? "Attach to" : "Exec into") \(production ? "production " : "")pod (user=%ka.user.name pod=%ka.target.name ns=%ka.target.namespace container=%ka.exec.container command=%ka.exec.command",
                    extra, production ? .critical : nil)
        case ("serviceaccounts", "token"?) where e.verb == "create":
            return (.k8sTokenRequest,
                    "Service account token requested (user=%ka.user.name serviceaccount=%ka.target.namespace/%ka.target.name", [:], nil)
        // A patch body (merge, strategic-merge, or a JSON patch folded into the object it writes)
        // is the partial object it sets: anything risky in it is being switched on.
        case (_, nil) where Self.workloadResources.contains(resource) && (e.verb == "create" || e.verb == "update" || e.verb == "patch"),
             // `kubectl debug` adds an ephemeral container through this subresource; its patch body
             // is a partial Pod (`{"spec":{"ephemeralContainers":[…]}}`), which reads as a pod spec.
             ("pods", "ephemeralcontainers"?) where e.verb == "update" || e.verb == "patch":
            guard let spec = e.requestObject?.podSpec else { return nil }
            let risk = PodSpecRisk.analyse(spec)
            guard !risk.isEmpty else { return nil }
            let extra: AlertFields = [
                "ka.req.pod.risks": .list(risk.findings),
                "ka.req.pod.containers.privileged": .list(risk.privilegedContainers),
                "ka.req.pod.host_pid": .string(risk.hostPID ? "true" : "false"),
                "ka.req.pod.host_network": .string(risk.hostNetwork ? "true" : "false"),
                "ka.req.pod.host_ipc": .string(risk.hostIPC ? "true" : "false"),
                "ka.req.pod.volumes.hostpath": .list(risk.hostPaths),
                "ka.req.pod.containers.add_capabilities": .list(risk.addedCapabilities),
            ]
            return (.k8sPrivilegedWorkload,
                    "Privileged workload \(e.verb == "create" ? "created" : e.verb == "patch" ? "patched" : "updated") (user=%ka.user.name \(resource)=%ka.target.namespace/%ka.req.name risks=%ka.req.pod.risks",
                    extra.merging(["ka.req.name": FieldValue(ref.name ?? e.requestObject?.metadata?.name ?? e.requestObject?.metadata?.generateName)]) { a, _ in a },
                    nil)
        default:
            return nil
        }
    }
}

/// A bounded set of recently seen auditIDs (oldest forgotten first).
struct RecentAuditIDs: Sendable {
    let capacity: Int
    private var members: Set<String> = []
    private var order: [String] = []
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ id: String) -> Bool { members.contains(id) }

    /// Adds `id`. Returns false if it was already present.
    mutating func insert(_ id: String) -> Bool {
        guard members.insert(id).inserted else { return false }
        order.append(id)
        if members.count > capacity {
            members.remove(order[head])
            head += 1
            if head > 1024, head * 2 > order.count { order.removeFirst(head); head = 0 }
        }
        return true
    }
}
