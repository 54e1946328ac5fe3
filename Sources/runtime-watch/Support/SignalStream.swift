// SPDX-License-Identifier: Apache-2.0
// POSIX signals as an AsyncStream, so the event loop handles SIGHUP (reload profile, reopen output)
// and SIGINT/SIGTERM (stop) between events instead of in a signal handler.

import Dispatch
#if canImport(Glibc)
import Glibc
#endif

enum MonitorSignal: Sendable { case reload, stop }

final class SignalStream: @unchecked Sendable {
    // @unchecked: `sources` is written once in init and only read afterwards.
    let signals: AsyncStream<MonitorSignal>
    private var sources: [DispatchSourceSignal] = []

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: MonitorSignal.self, bufferingPolicy: .bufferingNewest(16))
        signals = stream
        // A closed stdout (alerts piped into `head`) must not kill the monitor: sinks count the failure.
        signal(SIGPIPE, SIG_IGN)
        for (number, meaning) in [(SIGHUP, MonitorSignal.reload), (SIGINT, .stop), (SIGTERM, .stop)] {
            signal(number, SIG_IGN)   // let the dispatch source see it instead of the default action
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(meaning) }
            source.resume()
            sources.append(source)
        }
    }
}
