// SPDX-License-Identifier: Apache-2.0
// The hook for adding endpoints to the listener without touching it (e.g. POST /k8s-audit for
// API-server audit webhooks). Handlers see plain Swift values, not Hummingbird types, so callers
// need not import the HTTP stack.

/// The HTTP methods extra routes may use.
public enum RouteMethod: String, Sendable, Hashable {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
}

/// One request as a route handler sees it: the body is fully read (up to the route's limit).
public struct RouteRequest: Sendable {
    public var method: RouteMethod
    public var path: String
    /// Header fields in arrival order; names as sent by the client.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: RouteMethod, path: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, matched case-insensitively; nil if absent.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// What a route handler answers: a status and a text body.
public struct RouteResponse: Sendable, Equatable {
    public var status: Int
    public var body: String
    public var contentType: String
    /// Extra response headers (`Retry-After`).
    public var headers: [Header]

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public init(status: Int, body: String, contentType: String = "text/plain; charset=utf-8",
                headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.headers = headers.map { Header(name: $0.0, value: $0.1) }
    }
}

/// An extra endpoint served by `ServiceListener`.
public struct RouteRegistration: Sendable {
    public var method: RouteMethod
    /// Absolute path, e.g. "/k8s-audit".
    public var path: String
    /// Larger bodies are refused with 413 before the handler runs.
    public var maxBodyBytes: Int
    public var handler: @Sendable (RouteRequest) async -> RouteResponse

    public init(method: RouteMethod, path: String, maxBodyBytes: Int = 4 << 20,
                handler: @escaping @Sendable (RouteRequest) async -> RouteResponse) {
        self.method = method
        self.path = path
        self.maxBodyBytes = maxBodyBytes
        self.handler = handler
    }
}
