// SPDX-License-Identifier: Apache-2.0
// Kubernetes audit input: a webhook body (an Event or an EventList, or anything else a client posts)
// and audit-log lines, then each decoded event into the engine's record, as the ingest does.

import RuntimeWatchCore

enum AuditTarget {
    static func run(_ bytes: [UInt8]) {
        let (selector, rest) = bytes.selectorAndRest
        let result: AuditDecodeResult
        if selector & 1 == 0 {
            do { result = try AuditEventDecoder.decodeDocument(rest) } catch { _ = "\(error)"; return }
        } else {
            result = AuditEventDecoder.decodeLines(rest)
        }
        for issue in result.issues { _ = "\(issue)" }
        for event in result.events { _ = try? AuditEventDecoder.record(event, position: "fuzz") }
    }
}
