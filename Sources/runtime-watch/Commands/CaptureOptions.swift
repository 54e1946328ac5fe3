// SPDX-License-Identifier: Apache-2.0
// Options shared by the commands that capture live events (`run`, `record`).

import ArgumentParser
import RuntimeWatchCapture

struct CaptureOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Kubelet root directory whose pods' service-account token volumes are watched.", valueName: "DIR"))
    var kubeletRoot: String = "/var/lib/kubelet"

    @Option(name: .customLong("receive-buffer-mib"), help: ArgumentHelp("Proc connector receive buffer in MiB (absorbs exec bursts).", valueName: "MIB"))
    var receiveBufferMiB: Int = 8

    @Flag(name: .long, help: "Do not watch service-account token files (no fanotify).")
    var noTokenWatch = false

    @Flag(name: .long, help: "Do not capture outbound connections (no audit rule is installed).")
    var noConnectWatch = false

    @Option(name: .long, help: ArgumentHelp("Capacity of the capture queue between the sources and the detectors (events); beyond it events are dropped and counted.", valueName: "EVENTS"))
    var queueCapacity: Int = 65_536

    @Option(name: .long, help: ArgumentHelp("On stop (--duration, SIGTERM, SIGINT), judge what is still queued for at most this long; the rest is dropped and counted under its source (cause unprocessed_at_stop).", valueName: "SECONDS"))
    var stopDrainSeconds: Int = 5

    func validate() throws {
        if receiveBufferMiB < 1 || receiveBufferMiB > 1024 { throw ValidationError("--receive-buffer-mib must be between 1 and 1024") }
        if queueCapacity < 1 || queueCapacity > 1 << 22 { throw ValidationError("--queue-capacity must be between 1 and \(1 << 22)") }
        if stopDrainSeconds < 0 || stopDrainSeconds > 600 { throw ValidationError("--stop-drain-seconds must be between 0 and 600") }
    }

    var sourceOptions: LiveCapture.Options {
        var o = LiveCapture.Options()
        o.queueCapacity = queueCapacity
        o.stopDrain = .seconds(stopDrainSeconds)
        o.receiveBufferBytes = receiveBufferMiB << 20
        o.kubeletRoot = kubeletRoot
        o.watchTokens = !noTokenWatch
        o.watchConnects = !noConnectWatch
        return o
    }
}
