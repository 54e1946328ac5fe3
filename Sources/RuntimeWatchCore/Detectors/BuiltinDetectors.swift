// SPDX-License-Identifier: Apache-2.0
// The detectors every run uses, live and replay alike (replay must reproduce live alerts).

public enum BuiltinDetectors {
    /// - Parameter auditBaseline: what API-server identities normally do (`--audit-baseline`).
    public static func make(auditBaseline: AuditBaseline? = nil) -> [any Detector] {
        // Egress before the shell rule: when one connect raises both, the egress alert is held first
        // and the shell alert takes it in (`ShellEgressJoin`), so the one line says so.
        [TokenReadDetector(), EgressDetector(), ReverseShellDetector(), K8sAuditDetector(baseline: auditBaseline), K8sTokenUseDetector()]
    }
}
