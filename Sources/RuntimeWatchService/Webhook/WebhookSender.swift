// SPDX-License-Identifier: Apache-2.0
// The webhook's one sender task: takes a batch from the queue, POSTs it concurrently, retries what
// failed transiently with backoff, and only then takes the next batch (see WebhookSink.swift's
// header for the head-of-line policy).

import AsyncHTTPClient
import Logging
import NIOCore
import RuntimeWatchCore

/// The single task that drains the queue.
struct WebhookSender: Sendable {
    let core: SinkCore
    let client: HTTPClient
    let configuration: WebhookConfiguration
    let logger: Logger

    func run(wakeups: AsyncStream<Void>) async {
        for await _ in wakeups {
            while !Task.isCancelled, let batch = core.takeBatch(limit: configuration.maxConcurrentRequests) {
                await deliver(batch)
            }
        }
    }

    /// Sends one batch until each alert is delivered, refused or given up. See the file header
    /// for why the next batch waits for this one.
    private func deliver(_ batch: [Alert]) async {
        var line: [UInt8] = []  // one encoding buffer for the batch; each body gets its own copy
        let bodies = batch.map { alert in
            line.removeAll(keepingCapacity: true)
            alert.appendJSONLine(to: &line)
            return ByteBuffer(bytes: line)
        }
        var pending = Array(bodies.indices)
        let firstAttempt = ContinuousClock.now
        var retry = 0
        while true {
            if retry > 0 { core.recordRetries(pending.count) }
            let outcomes = await postAll(pending.map { bodies[$0] })
            var stillFailing: [Int] = []
            var serverHint: Duration?
            var lastReason = ""
            var delivered = 0
            for (index, outcome) in zip(pending, outcomes) {
                switch outcome {
                case .delivered:
                    delivered += 1
                case .rejected(let status):
                    core.recordFailed(1, detail: "\(configuration.url) answered HTTP \(status); refused alerts are not retried")
                case .retryable(let reason, let retryAfter):
                    stillFailing.append(index)
                    lastReason = reason
                    if let retryAfter { serverHint = max(serverHint ?? retryAfter, retryAfter) }
                }
            }
            core.recordDelivered(delivered)
            if stillFailing.isEmpty { return }
            if Task.isCancelled {
                core.recordFailed(stillFailing.count, detail: "output shut down while retrying: \(lastReason)")
                return
            }
            if ContinuousClock.now - firstAttempt >= configuration.retry.giveUpAfter {
                core.recordFailed(stillFailing.count, detail: "gave up after \(retry + 1) attempts over "
                    + "\(configuration.retry.giveUpAfter): \(lastReason)")
                return
            }
            retry += 1
            let wait = configuration.retry.delay(beforeRetry: retry, randomUnit: Double.random(in: 0..<1),
                                                 serverHint: serverHint)
            logger.debug("webhook retry \(retry) of \(stillFailing.count) alerts in \(wait): \(lastReason)")
            do {
                try await Task.sleep(for: wait)
            } catch {
                core.recordFailed(stillFailing.count, detail: "output shut down while retrying: \(lastReason)")
                return
            }
            pending = stillFailing
        }
    }

    /// POSTs every body concurrently; outcomes in the same order as `bodies`.
    private func postAll(_ bodies: [ByteBuffer]) async -> [DeliveryOutcome] {
        await withTaskGroup(of: (Int, DeliveryOutcome).self) { group in
            for (i, body) in bodies.enumerated() {
                group.addTask { (i, await post(body)) }
            }
            var outcomes = [DeliveryOutcome](repeating: .rejected(status: 0), count: bodies.count)
            for await (i, outcome) in group { outcomes[i] = outcome }
            return outcomes
        }
    }

    private func post(_ body: ByteBuffer) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "runtime-watch")
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: TimeAmount(configuration.requestTimeout))
            let retryAfter = DeliveryOutcome.parseRetryAfter(response.headers.first(name: "Retry-After"))
            // Read the (small) answer so the connection returns to the keep-alive pool.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return .classify(status: Int(response.status.code), retryAfter: retryAfter)
        } catch {
            return .retryable(reason: String("\(error)".prefix(200)), retryAfter: nil)
        }
    }
}
