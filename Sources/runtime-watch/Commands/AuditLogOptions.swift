// SPDX-License-Identifier: Apache-2.0
// `--audit-log PATH` (repeatable) for `run` and `replay`: Kubernetes API-server audit logs (JSON
// lines, audit.k8s.io/v1 Events) whose events join the same pipeline as the runtime events.

import ArgumentParser
import Foundation

struct AuditLogOptions: ParsableArguments {
    @Option(name: .customLong("audit-log"),
            help: ArgumentHelp("Kubernetes API-server audit log (JSON lines; - for stdin). `run` follows it like tail -F (growth, rotation, truncation) from its current end; `replay` reads it to the end. Repeatable.", valueName: "PATH"))
    var auditLogs: [String] = []

    func validate() throws {
        if auditLogs.filter({ $0 == "-" }).count > 1 { throw ValidationError("--audit-log -: stdin can be given only once") }
    }
}
