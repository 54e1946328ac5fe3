// SPDX-License-Identifier: Apache-2.0
// Turns (rule, audit event, optional pod link) into a Falco-shaped k8s_audit alert: Falco's `ka.*`
// output fields, plus the standard fields every alert carries (null process fields: an audit event
// has no process), with the pod's container and k8s fields filled when the event was linked to a
// pod on this node.

/// How an audit event was tied to a pod known to the runtime side.
public struct AuditPodLink: Sendable, Hashable {
    public var container: ContainerID
    /// `token-pod-uid` (exact: the request was made with the pod's bound token), `source-ip` (exact:
    /// the request came from the pod's address) or `service-account-namespace`
    /// (the requester is a service account of the only pod known in that namespace).
    public var method: String
    public init(container: ContainerID, method: String) { self.container = container; self.method = method }
}

public enum AuditAlertBuilder {
    /// The `ka.*` fields of `event` (Falco's names; null where the event does not say).
    /// Always present: `ka.auditid`, `ka.stage`, `ka.user.name`, `ka.user.groups`, `ka.impuser.name`,
    /// `ka.verb`, `ka.uri`, `ka.useragent`, `ka.sourceips`, `ka.target.resource`,
    /// `ka.target.subresource`, `ka.target.namespace`, `ka.target.name`, `ka.response.code`,
    /// `ka.auth.decision`, `ka.auth.reason`, `ka.user.extra.arn`, `ka.user.extra.canonicalArn`,
    /// `ka.user.extra.sessionName`, `ka.correlation`, and `rw.actor` (human, workload, control-plane).
    public static func auditFields(_ e: AuditEvent) -> AlertFields {
        var f: AlertFields = [:]
        f["ka.auditid"] = .string(e.auditID)
        f["ka.stage"] = .string(e.stage)
        f["ka.user.name"] = FieldValue(e.user.username)
        f["ka.user.groups"] = .list(e.user.groups ?? [])
        f["ka.impuser.name"] = FieldValue(e.impersonatedUser?.username)
        f["ka.verb"] = .string(e.verb)
        f["ka.uri"] = .string(e.requestURI)
        f["ka.useragent"] = FieldValue(e.userAgent)
        f["ka.sourceips"] = .list(e.sourceIPs ?? [])
        f["ka.target.resource"] = FieldValue(e.objectRef?.resource)
        f["ka.target.subresource"] = FieldValue(e.objectRef?.subresource)
        f["ka.target.namespace"] = FieldValue(e.objectRef?.namespace.flatMap { $0.isEmpty ? nil : $0 })
        f["ka.target.name"] = FieldValue(e.objectRef?.name)
        f["ka.response.code"] = FieldValue(e.responseStatus?.code)
        f["ka.auth.decision"] = FieldValue(e.authorizationDecision)
        f["ka.auth.reason"] = FieldValue(e.annotations?["authorization.k8s.io/reason"])
        f["ka.user.extra.arn"] = FieldValue(e.user.extraValue("arn"))
        f["ka.user.extra.canonicalArn"] = FieldValue(e.user.extraValue("canonicalArn"))
        f["ka.user.extra.sessionName"] = FieldValue(e.user.extraValue("sessionName"))
        f["ka.correlation"] = .null
        f["rw.actor"] = .string(AuditActor(e).rawValue)
        return f
    }

    /// Builds the alert.
    /// - Parameters:
    ///   - template: output sentence with `%field` placeholders (see `AlertBuilder.render`).
    ///   - link: the pod the event was tied to, if any; its container/k8s fields are filled.
    ///   - extra: rule-specific fields, added last.
    /// - Returns: an alert with `source` k8s_audit, the standard fields (process fields null,
    ///   `container.id` null unless linked) and every `ka.*` field of `auditFields`.
    public static func build(rule: Rule, output template: String, record: EventRecord, event: AuditEvent,
                             link: AuditPodLink?, state: SystemState, hostname: String, priority: Priority? = nil,
                             extra: AlertFields = [:]) -> Alert {
        var fields = AlertBuilder.standardFields(record: record, pid: nil, state: state)
        for (k, v) in auditFields(event) { fields[k] = v }
        if let link {
            fields["ka.correlation"] = .string(link.method)
            fields["container.id"] = .string(link.container.short)
            if let c = state.container(link.container) {
                fields["container.name"] = FieldValue(c.containerName)
                fields["container.image"] = FieldValue(c.image)
                fields["container.image.repository"] = FieldValue(c.imageRepository)
                fields["container.image.tag"] = FieldValue(AlertBuilder.imageTag(c))
                fields["k8s.pod.name"] = FieldValue(c.podName)
                fields["k8s.ns.name"] = FieldValue(c.namespace)
                fields["k8s.pod.uid"] = FieldValue(c.podUID)
            }
        }
        for (k, v) in extra { fields[k] = v }
        return Alert(timestamp: record.timestamp, ruleID: rule.id, ruleName: rule.name,
                     priority: priority ?? rule.priority, source: rule.source, hostname: hostname,
                     output: AlertBuilder.render(template, fields: fields), tags: rule.tags, fields: fields,
                     advice: rule.advice)
    }
}
