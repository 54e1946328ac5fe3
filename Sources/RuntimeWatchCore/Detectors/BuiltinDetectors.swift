// SPDX-License-Identifier: Apache-2.0
// The detectors every run uses, live and replay alike (replay must reproduce live alerts).

public enum BuiltinDetectors {
    public static func make() -> [any Detector] {
        [TokenReadDetector(), ReverseShellDetector(), EgressDetector(), K8sAuditDetector()]
    }
}
