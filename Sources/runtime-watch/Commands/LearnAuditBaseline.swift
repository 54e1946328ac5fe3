// SPDX-License-Identifier: Apache-2.0
// `runtime-watch learn --audit-log FILE… --audit-baseline OUT`: what each API-server identity did
// (AuditBaseline), for `run`/`replay --audit-baseline`. Malformed lines are reported and skipped.

import Foundation
import Logging
import RuntimeWatchCore

extension RuntimeWatch.Learn {
    func learnAuditBaseline(to path: String, logger: Logger) throws {
        var baseline = AuditBaseline()
        var events = 0, malformed = 0
        for log in auditLog {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: log), options: .mappedIfSafe) } catch {
                throw CLIError("\(log): cannot read it (\((error as NSError).localizedDescription))")
            }
            var lineNumber = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                let decoded = AuditEventDecoder.decodeLine(line, lineNumber: lineNumber)
                for issue in decoded.issues {
                    malformed += 1
                    if malformed <= 20 { logger.warning("\(log): \(issue.position): \(issue.reason)") }
                }
                for e in decoded.events {
                    baseline.learn(e, at: e.timestampNanoseconds ?? 0)
                    events += 1
                }
            }
        }
        baseline.finishLearning()
        do throws(AuditBaselineError) { try baseline.save(path: path) } catch { throw CLIError(error.description) }
        logger.info("wrote \(path): \(baseline.combinations.count) combinations and \(baseline.hourlyMaximum.count) hourly rates from \(events) audit events (\(malformed) malformed lines skipped, \(baseline.combinationsDropped) combinations over the bound)")
    }
}
