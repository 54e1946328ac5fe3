// SPDX-License-Identifier: Apache-2.0
// How much time and memory one HTTP client may take from the listener. The listener runs on every
// node, often reachable from the node network, so a slow, idle or oversized client must cost a
// bounded amount and must never stop /healthz and /metrics from answering. README's "Listener
// bounds" table lists these with their defaults and CLI options.

/// Bounds applied to every connection and request of `ServiceListener`.
public struct ListenerLimits: Sendable, Equatable {
    /// From the first byte of a request to the end of its header (slowloris). Closed without an answer.
    public var headerTimeout: Duration
    /// A keep-alive connection with no request in progress is closed after this long.
    public var idleTimeout: Duration
    /// From the end of a request's header to the end of its body (a body that never finishes).
    public var bodyTimeout: Duration
    /// Connections open at once; further connections wait in the kernel's accept backlog
    /// (`backlog`) until one closes.
    public var maxConnections: Int
    /// Pending connections the kernel keeps beyond `maxConnections` (listen(2) backlog).
    public var backlog: Int
    /// The whole request header (request line and fields); larger gets 400 and the connection closes.
    public var maxHeaderBytes: Int
    /// Request bodies read but not yet answered, over all connections together. A request that
    /// would exceed it gets 503 with Retry-After and its connection is closed.
    public var bodyBudgetBytes: Int
    /// After answering a request whose body was not read (413, 503 over budget), the listener
    /// sends its answer, shuts its side down and discards the client's remaining bytes for at most
    /// this long before closing, so the client reads the answer instead of a connection reset.
    public var lingerTimeout: Duration

    public init(headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
                bodyTimeout: Duration = .seconds(30), maxConnections: Int = 128, backlog: Int = 256,
                maxHeaderBytes: Int = 16 << 10, bodyBudgetBytes: Int = 64 << 20,
                lingerTimeout: Duration = .seconds(2)) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = max(1, maxConnections)
        self.backlog = max(1, backlog)
        self.maxHeaderBytes = max(1024, maxHeaderBytes)
        self.bodyBudgetBytes = max(0, bodyBudgetBytes)
        self.lingerTimeout = lingerTimeout
    }
}
