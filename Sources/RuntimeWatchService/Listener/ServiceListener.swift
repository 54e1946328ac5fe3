// SPDX-License-Identifier: Apache-2.0
// The node's single HTTP listener: `/healthz` for probes, `/metrics` for Prometheus, and extra
// routes registered by other components (e.g. POST /k8s-audit). Runs Hummingbird inside a
// ServiceLifecycle group so `stop()` can shut it down gracefully, bounded in time. Every client is
// bounded by `ListenerLimits` (timeouts, connection count, header size, body size and budget).

import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the listener could not be built or started; descriptions are meant for the operator.
public enum ServiceListenerError: Error, Equatable, CustomStringConvertible {
    /// Two routes share a method and path (including the built-in GET /healthz and /metrics).
    case duplicateRoute(method: String, path: String)
    /// A route path that does not start with "/".
    case invalidRoutePath(String)
    /// The socket could not be bound (port in use, address not on this host, permission).
    case bindFailed(address: String, reason: String)
    /// The server did not report it was listening within the start timeout.
    case startTimedOut(address: String)
    /// `start()` was called twice; a listener runs once.
    case alreadyStarted

    public var description: String {
        switch self {
        case .duplicateRoute(let method, let path): "route \(method) \(path) is registered twice"
        case .invalidRoutePath(let path): "route path \"\(path)\" must start with '/'"
        case .bindFailed(let address, let reason): "cannot listen on \(address): \(reason)"
        case .startTimedOut(let address): "listener on \(address) did not start in time"
        case .alreadyStarted: "listener was already started"
        }
    }
}

/// Serves `/healthz`, `/metrics` and registered routes on one address.
///
/// Lifecycle: `init` (validates routes) → `start()` (returns once the socket is bound, or throws)
/// → `stop()` (graceful, bounded). A listener runs once; make a new one to listen again.
public final class ServiceListener: Sendable {
    public let address: ListenAddress
    private let health: HealthState
    private let metrics: PrometheusMetrics
    private let routes: [RouteRegistration]
    private let limits: ListenerLimits
    private let bodies: BodyBudget
    private let logger: Logger

    private enum Phase {
        case idle
        case running(group: ServiceGroup, task: Task<Void, Never>, port: Int)
        case stopped
    }
    private let phase = NIOLockedValueBox(Phase.idle)

    /// - Throws: `ServiceListenerError.duplicateRoute` / `.invalidRoutePath` for bad registrations.
    public init(address: ListenAddress, health: HealthState, metrics: PrometheusMetrics,
                routes: [RouteRegistration] = [], limits: ListenerLimits = ListenerLimits(),
                logger: Logger = Logger(label: "runtime-watch.listener"))
        throws(ServiceListenerError)
    {
        var seen: Set<String> = ["GET /healthz", "GET /metrics"]
        for route in routes {
            guard route.path.hasPrefix("/") else { throw .invalidRoutePath(route.path) }
            guard seen.insert("\(route.method.rawValue) \(route.path)").inserted else {
                throw .duplicateRoute(method: route.method.rawValue, path: route.path)
            }
        }
        self.address = address
        self.health = health
        self.metrics = metrics
        self.routes = routes
        self.limits = limits
        self.bodies = BodyBudget(limit: limits.bodyBudgetBytes)
        self.logger = logger
    }

    /// The port actually bound (differs from `address.port` when that was 0); nil unless running.
    public var boundPort: Int? {
        phase.withLockedValue { if case .running(_, _, let port) = $0 { port } else { nil } }
    }

    /// Binds and starts serving in the background.
    /// - Returns: the bound TCP port, once the socket accepts connections.
    /// - Throws: `.bindFailed` (e.g. port in use), `.startTimedOut`, `.alreadyStarted`.
    @discardableResult
    public func start(timeout: Duration = .seconds(10)) async throws(ServiceListenerError) -> Int {
        let claimed = phase.withLockedValue { phase in
            guard case .idle = phase else { return false }
            phase = .stopped  // placeholder until the server runs; a second start() now fails
            return true
        }
        guard claimed else { throw .alreadyStarted }
        let started = OneShot<Result<Int, ServiceListenerError>>()
        let addressText = address.description
        let app = Application(
            router: makeRouter(),
            server: makeServer(),
            configuration: .init(address: .hostname(address.host, port: address.port), backlog: limits.backlog,
                                 reuseAddress: true,
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            onServerRunning: { channel in started.fulfil(.success(channel.localAddress?.port ?? 0)) },
            logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        let task = Task {
            do {
                try await group.run()
                started.fulfil(.failure(.bindFailed(address: addressText, reason: "server stopped before listening")))
            } catch {
                started.fulfil(.failure(.bindFailed(address: addressText, reason: Self.explain(error))))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            started.fulfil(.failure(.startTimedOut(address: addressText)))
        }
        let result = await started.value
        timer.cancel()
        switch result {
        case .success(let port):
            phase.withLockedValue { $0 = .running(group: group, task: task, port: port) }
            logger.info("listening", metadata: ["address": "\(address.host):\(port)"])
            return port
        case .failure(let error):
            task.cancel()
            await task.value
            throw error
        }
    }

    /// Stops accepting connections, lets in-flight requests finish for up to `gracePeriod`, then
    /// cancels the server, which closes every connection still open (a client in the middle of a
    /// header or body included). Returns when the listener is fully down; safe to call twice.
    public func stop(gracePeriod: Duration = .seconds(5)) async {
        let running: (ServiceGroup, Task<Void, Never>)? = phase.withLockedValue { phase in
            defer { phase = .stopped }
            if case .running(let group, let task, _) = phase { return (group, task) }
            return nil
        }
        guard let (group, task) = running else { return }
        await group.triggerGracefulShutdown()
        // Not a task group: a group waits for all its children, and awaiting `task.value` cannot be
        // cancelled, so the timeout would wait for the server anyway.
        let finished = OneShot<Bool>()
        Task { await task.value; finished.fulfil(true) }
        let timer = Task { try? await Task.sleep(for: gracePeriod); finished.fulfil(false) }
        let finishedInTime = await finished.value
        timer.cancel()
        if !finishedInTime {
            logger.warning("listener did not stop within \(gracePeriod); cancelling open connections")
            task.cancel()
            await task.value
        }
    }

    // MARK: Connections

    /// HTTP/1.1 with the header size bound and the per-connection deadlines of `limits`.
    private func makeServer() -> HTTPServerBuilder {
        let limits = self.limits
        let closes = ConnectionCloseCounters(factory: metrics.factory)
        let logger = self.logger
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionDeadlineHandler(limits: limits, closes: closes, logger: logger)],
            idleTimeout: nil,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes))
        return HTTPServerBuilder { responder in
            BoundedHTTP1Channel(http1: HTTP1Channel(responder: responder, configuration: http1))
        }
    }

    // MARK: Routing

    private func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        let health = self.health
        let metrics = self.metrics
        let bodies = self.bodies
        router.get("/healthz") { _, _ -> Response in
            let report = health.report()
            return Self.textResponse(status: report.httpStatus, body: report.body, contentType: "text/plain; charset=utf-8")
        }
        router.get("/metrics") { _, _ -> Response in
            Self.textResponse(status: 200, body: metrics.render(), contentType: PrometheusMetrics.contentType)
        }
        for route in routes {
            router.on(RouterPath(route.path), method: HTTPRequest.Method(route.method.rawValue)!) { request, _ -> Response in
                do {
                    return try await bodies.withBody(of: request, maxBytes: route.maxBodyBytes) { body in
                        let routeRequest = RouteRequest(
                            method: route.method, path: request.uri.path,
                            headers: request.headers.map { (name: $0.name.rawName, value: $0.value) },
                            body: body)
                        let answer = await route.handler(routeRequest)
                        return Self.textResponse(status: answer.status, body: answer.body, contentType: answer.contentType,
                                                 extraHeaders: answer.headers)
                    }
                } catch let refusal as BodyRefusal {
                    return Self.response(refusing: refusal)
                }
            }
        }
        return router
    }

    /// 413 or 503 for a body that was not read. `Connection: close` makes `ConnectionDeadlineHandler`
    /// send the answer, then discard the unread body and close, so the client is never left
    /// blocked sending a body nobody reads.
    private static func response(refusing refusal: BodyRefusal) -> Response {
        switch refusal {
        case .tooLarge(let limit):
            return textResponse(status: 413, body: "request body larger than \(limit) bytes\n",
                                contentType: "text/plain; charset=utf-8",
                                extraHeaders: [.init(name: "Connection", value: "close")])
        case .overBudget(let limit):
            return textResponse(status: 503, body: "request bodies in flight would exceed \(limit) bytes; retry later\n",
                                contentType: "text/plain; charset=utf-8",
                                extraHeaders: [.init(name: "Retry-After", value: "1"), .init(name: "Connection", value: "close")])
        }
    }

    private static func textResponse(status: Int, body: String, contentType: String,
                                     extraHeaders: [RouteResponse.Header] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        for header in extraHeaders {
            if let name = HTTPField.Name(header.name) { headers[name] = header.value }
        }
        return Response(status: .init(code: status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Turns a bind failure into an operator sentence ("address already in use").
    private static func explain(_ error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE: return "address already in use (another process listens on this port)"
            case EADDRNOTAVAIL: return "address not available on this host"
            case EACCES: return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)"
            default: return "\(io)"
            }
        }
        return "\(error)"
    }
}
