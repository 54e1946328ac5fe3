// SPDX-License-Identifier: Apache-2.0
// Tests of detectors, folding and the engine's other jobs assert on what the detectors raised; the
// `Incident` alerts the engine adds after them are tested on their own (Incident*Tests).

import RuntimeWatchCore

extension InMemoryAlertSink {
    /// The alerts received, without the `Incident` alerts.
    var detections: [Alert] { alerts.filter { $0.ruleID != Rule.incident.id } }
}
