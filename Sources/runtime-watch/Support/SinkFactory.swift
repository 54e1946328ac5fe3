// SPDX-License-Identifier: Apache-2.0
// Builds the alert sink stack from the command line: stdout or --output file, plus --webhook.

import Foundation
import Logging
import Metrics
import RuntimeWatchCore
import RuntimeWatchService

struct SinkStack {
    let sink: any AlertSink
    /// Set when alerts go to a file: SIGHUP reopens it.
    let file: FileSink?
    let webhook: WebhookSink?

    init(options: DetectionOptions, metricsFactory: (any MetricsFactory)?, logger: Logger) throws {
        var sinks: [any AlertSink] = []
        if let path = options.output {
            let file = try FileSink(path: path, format: options.format == .json ? .json : .text)
            self.file = file
            sinks.append(file)
        } else {
            self.file = nil
            switch options.format {
            case .json: sinks.append(JSONLinesSink(handle: .standardOutput))
            case .text: sinks.append(HumanSink(handle: .standardOutput, colour: isatty(STDOUT_FILENO) == 1))
            }
        }
        if let url = options.webhook {
            let configuration = try WebhookConfiguration(
                url: url, flushTimeout: .milliseconds(Int64((options.webhookDrainSeconds * 1000).rounded())))
            let webhook = WebhookSink(configuration: configuration, metricsFactory: metricsFactory ?? MetricsSystem.factory, logger: logger)
            self.webhook = webhook
            sinks.append(webhook)
        } else {
            self.webhook = nil
        }
        sink = sinks.count == 1 ? sinks[0] : MultiplexSink(sinks)
    }

    /// Delivers what is queued (bounded) and releases the webhook client.
    /// - Throws: `CLIError` when alerts could not be written (a full disk, a closed stdout): the
    ///   first error names the output, and the exit status is non-zero.
    func close() async throws {
        await sink.flush()
        if let webhook { await webhook.shutdown() }
        if sink.writeFailures > 0 {
            throw CLIError("\(sink.firstWriteError ?? "writing alerts failed") (\(sink.writeFailures) failed writes)")
        }
    }
}
