// SPDX-License-Identifier: Apache-2.0
// Hummingbird's HTTP/1.1 child channel with `RequestBytesMarker` put in front of the HTTP decoder.
// Hummingbird only lets extra handlers go after the decoder, and the header timeout must see a
// request's first byte (see ConnectionDeadlines.swift).

import HummingbirdCore
import Logging
import NIOCore

struct BoundedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http1: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let http1 = self.http1
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RequestBytesMarker())
        }.flatMap {
            http1.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
