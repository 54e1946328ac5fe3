// SPDX-License-Identifier: Apache-2.0
// Per-connection time bounds of the listener: header, body and idle keep-alive timeouts, and the
// lingering close after an answer sent before its request body was read.
//
// Why two handlers: the header timeout starts at a request's first byte, but the HTTP decoder only
// reports a request once its header is complete. `RequestBytesMarker` sits before the decoder and
// announces raw bytes (and, while lingering, swallows them); `ConnectionDeadlineHandler` sits after
// it, sees request and response parts, and owns the one timer. Hummingbird's own idle timeout
// cannot tell a slow header from a slow body from an idle connection, hence these.

import CoreMetrics
import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Inbound event: raw request bytes arrived (sent before they reach the HTTP decoder).
struct RequestBytesArrived: Sendable {}

/// Outbound event: discard every further inbound byte (the answer is sent; we are closing).
struct DiscardRequestBytes: Sendable {}

/// First handler of each connection: marks byte arrivals; swallows input once told to discard.
final class RequestBytesMarker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private var discarding = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !discarding else { return }
        context.fireUserInboundEventTriggered(RequestBytesArrived())
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Keep reading while discarding even if the request stream upstream stopped asking for
        // data, or the client would block on a full window instead of reading our answer.
        if discarding { context.read() } else { context.fireChannelReadComplete() }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is DiscardRequestBytes else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        discarding = true
        promise?.succeed()
        context.read()
    }
}

/// Why the listener closed a connection on its own; the `reason` label of
/// `runtime_watch_listener_connections_closed_total`.
enum ConnectionCloseReason: String, CaseIterable, Sendable {
    case headerTimeout = "header_timeout"
    case bodyTimeout = "body_timeout"
    case idleTimeout = "idle_timeout"
    /// Answered before the body was read (413, 503 over the body budget), then closed.
    case answeredEarly = "answered_early"
}

/// One counter per close reason.
struct ConnectionCloseCounters: Sendable {
    private let counters: [ConnectionCloseReason: Counter]

    init(factory: any MetricsFactory) {
        var counters: [ConnectionCloseReason: Counter] = [:]
        for reason in ConnectionCloseReason.allCases {
            counters[reason] = Counter(label: "runtime_watch_listener_connections_closed_total",
                                       dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        self.counters = counters
    }

    func count(_ reason: ConnectionCloseReason) { counters[reason]?.increment() }
}

/// Arms one timer per connection according to what the connection is doing, and closes the
/// connection when it fires. After an answer carrying `Connection: close` it half-closes, discards
/// input for `lingerTimeout`, then closes.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase {
        /// No request in progress: waiting for the client's next request (keep-alive).
        case idle
        /// Bytes of a request arrived; its header is not complete yet.
        case readingHeader
        /// Header complete; its body (possibly empty) has not ended.
        case readingBody
        /// The request was read; we are answering. No timer: our own handler's time is not the client's.
        case responding
        /// The answer is sent and our side shut down; closing soon.
        case lingering
    }

    private let limits: ListenerLimits
    private let closes: ConnectionCloseCounters
    private let logger: Logger
    private var phase = Phase.idle
    private var openRequests = 0
    private var closeAfterResponse = false
    private var timer: Scheduled<Void>?

    init(limits: ListenerLimits, closes: ConnectionCloseCounters, logger: Logger) {
        self.limits = limits
        self.closes = closes
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { enter(.idle, context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        enter(.idle, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is RequestBytesArrived:
            if case .idle = phase { enter(.readingHeader, context: context) }
        case let channelEvent as ChannelEvent where channelEvent == .inputClosed:
            if case .lingering = phase { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            openRequests += 1
            enter(.readingBody, context: context)
        case .body:
            break
        case .end:
            // The answer may already be out (a handler that did not wait for the body): then the
            // connection is idle again, not responding.
            if case .readingBody = phase { enter(openRequests > 0 ? .responding : .idle, context: context) }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            if response.headerFields[.connection]?.lowercased() == "close" { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            openRequests -= 1
            guard closeAfterResponse else {
                if openRequests == 0, case .responding = phase { enter(.idle, context: context) }
                context.write(data, promise: promise)
                return
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            if let promise { written.futureResult.cascade(to: promise) }
            written.futureResult.assumeIsolated().whenComplete { _ in self.linger(context: context) }
            context.writeAndFlush(data, promise: written)
        }
    }

    /// Half-closes our side so the client reads the answer and EOF, swallows what it still sends,
    /// and closes when it hangs up or after `lingerTimeout`. Closing at once would reset the
    /// connection while the client's body is unread, and a reset can destroy the answer in flight.
    private func linger(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        closes.count(.answeredEarly)
        enter(.lingering, context: context)
        context.triggerUserOutboundEvent(DiscardRequestBytes(), promise: nil)
        context.close(mode: .output, promise: nil)
    }

    private func enter(_ next: Phase, context: ChannelHandlerContext) {
        phase = next
        timer?.cancel()
        timer = nil
        let limit: Duration
        let reason: ConnectionCloseReason?
        switch next {
        // A next request whose first bytes came in the same read as the previous one's end is
        // timed as idle, not as a header: it is still bounded, by the (longer) idle timeout.
        case .idle: (limit, reason) = (limits.idleTimeout, .idleTimeout)
        case .readingHeader: (limit, reason) = (limits.headerTimeout, .headerTimeout)
        case .readingBody: (limit, reason) = (limits.bodyTimeout, .bodyTimeout)
        case .lingering: (limit, reason) = (limits.lingerTimeout, nil)
        case .responding: return
        }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) {
            self.timer = nil
            if let reason {
                self.closes.count(reason)
                self.logger.debug("closing HTTP connection: \(reason.rawValue) after \(limit)",
                                  metadata: ["peer": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")"])
            }
            context.close(promise: nil)
        }
    }
}
