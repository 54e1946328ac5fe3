// SPDX-License-Identifier: Apache-2.0
// Wires the process's signals and timers to a live capture: SIGHUP reloads (or stops, for commands
// with nothing to reload), SIGINT/SIGTERM and --duration stop it, and a heartbeat ticks.

import RuntimeWatchCore
import RuntimeWatchCapture

enum LiveControl {
    /// SIGHUP → `.reload` (or stop when `hangupStops`); SIGINT/SIGTERM → stop.
    static func deliverSignals(to capture: LiveCapture, hangupStops: Bool = false) {
        let signals = SignalStream()
        Task.detached {
            for await s in signals.signals {
                if s == .reload && !hangupStops { capture.inject(.reload) } else { capture.stop() }
            }
        }
    }

    /// Stops the capture after `seconds` (nil: never).
    static func stop(_ capture: LiveCapture, after seconds: Double?) {
        guard let seconds else { return }
        Task.detached {
            try? await Task.sleep(for: .seconds(seconds))
            capture.stop()
        }
    }

    /// Injects `.tick` every `interval` until the process ends.
    static func tick(_ capture: LiveCapture, every interval: Duration) {
        Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                capture.inject(.tick(at: HostIdentity.nowNanoseconds()))
            }
        }
    }
}
