// SPDX-License-Identifier: Apache-2.0
// The part of a Kubernetes API-server audit event (`audit.k8s.io/v1` Event) the k8s_audit rules
// read. Keys are the API server's own, so a decoded event re-encodes (inside a trace line) in the
// same shape. Unknown fields are ignored; everything a `Metadata`-level event may lack is optional.

/// Who made (or was impersonated in) a request: `user` / `impersonatedUser` of the audit event.
public struct AuditUser: Sendable, Hashable, Codable {
    public var username: String?
    public var uid: String?
    public var groups: [String]?
    /// Authenticator extras. EKS puts `arn`, `canonicalArn`, `sessionName`, `accessKeyId` here.
    public var extra: [String: [String]]?
    public init(username: String? = nil, uid: String? = nil, groups: [String]? = nil, extra: [String: [String]]? = nil) {
        self.username = username; self.uid = uid; self.groups = groups; self.extra = extra
    }

    /// The first value of `extra[key]`, or nil.
    public func extraValue(_ key: String) -> String? { extra?[key]?.first }
}

/// `objectRef`: what the request is about.
public struct AuditObjectReference: Sendable, Hashable, Codable {
    public var resource: String?
    public var subresource: String?
    public var namespace: String?
    public var name: String?
    public var apiGroup: String?
    public var apiVersion: String?
    public init(resource: String? = nil, subresource: String? = nil, namespace: String? = nil, name: String? = nil,
                apiGroup: String? = nil, apiVersion: String? = nil) {
        self.resource = resource; self.subresource = subresource; self.namespace = namespace; self.name = name
        self.apiGroup = apiGroup; self.apiVersion = apiVersion
    }
}

/// `responseStatus` (a metav1.Status subset).
public struct AuditResponseStatus: Sendable, Hashable, Codable {
    public var code: Int?
    public var status: String?
    public var reason: String?
    public init(code: Int? = nil, status: String? = nil, reason: String? = nil) {
        self.code = code; self.status = status; self.reason = reason
    }
}

/// One audit event. `stageTimestamp` (else `requestReceivedTimestamp`) is RFC 3339 with
/// microseconds, as the API server writes it; `RFC3339.parse` turns it into nanoseconds. Early
/// `audit.k8s.io/v1beta1` events (Kubernetes 1.7–1.9) carry neither, only `timestamp`, to the second.
public struct AuditEvent: Sendable, Hashable, Codable {
    /// `Metadata`, `Request` or `RequestResponse` (`None` events are never written).
    public var level: String?
    public var auditID: String
    /// `RequestReceived`, `ResponseStarted`, `ResponseComplete` or `Panic`.
    public var stage: String
    public var requestURI: String
    public var verb: String
    public var user: AuditUser
    public var impersonatedUser: AuditUser?
    public var sourceIPs: [String]?
    public var userAgent: String?
    public var objectRef: AuditObjectReference?
    public var responseStatus: AuditResponseStatus?
    /// Present at `Request` and `RequestResponse` levels for requests with a body.
    public var requestObject: AuditRequestObject?
    /// `authorization.k8s.io/decision` (`allow`/`forbid`), `authorization.k8s.io/reason`, …
    public var annotations: [String: String]?
    public var requestReceivedTimestamp: String?
    public var stageTimestamp: String?
    /// `audit.k8s.io/v1beta1`'s event time (whole seconds; dropped in v1): the only time an API
    /// server before 1.10 wrote, e.g. `liggitt/audit2rbac`'s `testdata/demo.log`.
    public var timestamp: String?

    public init(level: String? = nil, auditID: String, stage: String, requestURI: String, verb: String,
                user: AuditUser, impersonatedUser: AuditUser? = nil, sourceIPs: [String]? = nil,
                userAgent: String? = nil, objectRef: AuditObjectReference? = nil,
                responseStatus: AuditResponseStatus? = nil, requestObject: AuditRequestObject? = nil,
                annotations: [String: String]? = nil, requestReceivedTimestamp: String? = nil,
                stageTimestamp: String? = nil, timestamp: String? = nil) {
        self.level = level; self.auditID = auditID; self.stage = stage; self.requestURI = requestURI
        self.verb = verb; self.user = user; self.impersonatedUser = impersonatedUser; self.sourceIPs = sourceIPs
        self.userAgent = userAgent; self.objectRef = objectRef; self.responseStatus = responseStatus
        self.requestObject = requestObject; self.annotations = annotations
        self.requestReceivedTimestamp = requestReceivedTimestamp; self.stageTimestamp = stageTimestamp
        self.timestamp = timestamp
    }

    /// The annotation key the authorizer writes its decision under.
    public static let decisionAnnotation = "authorization.k8s.io/decision"

    /// `allow`, `forbid`, or nil when the event does not say.
    public var authorizationDecision: String? { annotations?[Self.decisionAnnotation] }

    /// True when the authorizer refused the request (decision `forbid`, or HTTP 403).
    public var isDenied: Bool { authorizationDecision == "forbid" || responseStatus?.code == 403 }

    /// The event's time in nanoseconds since the epoch (`stageTimestamp`, else
    /// `requestReceivedTimestamp`, else v1beta1's `timestamp`), or nil when none is present and valid.
    public var timestampNanoseconds: UInt64? {
        if let s = stageTimestamp, let t = RFC3339.parse(s) { return t }
        if let s = requestReceivedTimestamp, let t = RFC3339.parse(s) { return t }
        if let s = timestamp, let t = RFC3339.parse(s) { return t }
        return nil
    }
}

extension AuditEvent {
    /// Decodes an event; only the envelope can make it malformed. `requestObject` is whatever JSON
    /// the client sent (any kind, any shape): a body this reader cannot make sense of is left out,
    /// so the event still counts for every rule that does not need it.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(level: try c.decodeIfPresent(String.self, forKey: .level),
                  auditID: try c.decode(String.self, forKey: .auditID),
                  stage: try c.decode(String.self, forKey: .stage),
                  requestURI: try c.decode(String.self, forKey: .requestURI),
                  verb: try c.decode(String.self, forKey: .verb),
                  user: try c.decode(AuditUser.self, forKey: .user),
                  impersonatedUser: try c.decodeIfPresent(AuditUser.self, forKey: .impersonatedUser),
                  sourceIPs: try c.decodeIfPresent([String].self, forKey: .sourceIPs),
                  userAgent: try c.decodeIfPresent(String.self, forKey: .userAgent),
                  objectRef: try c.decodeIfPresent(AuditObjectReference.self, forKey: .objectRef),
                  responseStatus: try c.decodeIfPresent(AuditResponseStatus.self, forKey: .responseStatus),
                  requestObject: (try? c.decodeIfPresent(AuditRequestObject.self, forKey: .requestObject)) ?? nil,
                  annotations: try c.decodeIfPresent([String: String].self, forKey: .annotations),
                  requestReceivedTimestamp: try c.decodeIfPresent(String.self, forKey: .requestReceivedTimestamp),
                  stageTimestamp: try c.decodeIfPresent(String.self, forKey: .stageTimestamp),
                  timestamp: try c.decodeIfPresent(String.self, forKey: .timestamp))
    }
}
