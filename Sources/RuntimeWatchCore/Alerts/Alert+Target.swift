// SPDX-License-Identifier: Apache-2.0
// What an alert acted on, in one place: the folder keys repeats by it and incident timelines print
// it, so "the same target" means the same thing to both.

extension Alert {
    /// The alert's target: for k8s_audit alerts "user verb uri decision" (audit alerts have no process
    /// or fd), for network alerts `fd.rip:fd.rport`, else `fd.name` (`<NA>` when unknown).
    public var target: String {
        if let uri = fields["ka.uri"], uri != .null {
            return "\(fields["ka.user.name"] ?? .null) \(fields["ka.verb"] ?? .null) \(uri) \(fields["ka.auth.decision"] ?? .null)"
        }
        if let rip = fields["fd.rip"], rip != .null {
            return "\(rip):\(fields["fd.rport"] ?? .null)"
        }
        return fields["fd.name"]?.description ?? "<NA>"
    }
}
