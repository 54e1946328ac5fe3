// SPDX-License-Identifier: Apache-2.0
// What an alert acted on, in one place: the folder keys repeats by it and incident timelines print
// it, so "the same target" means the same thing to both.

extension Alert {
    /// The alert's target: for k8s_audit alerts "user verb uri decision" (audit alerts have no process
    /// or fd), followed by the workload's name (`ka.req.name`) when the alert names one: a create's
    /// URI is the collection, so two Deployments one person creates are two targets, not a repeat.
    /// For network alerts `fd.rip:fd.rport`, else `fd.name` (`<NA>` when unknown).
    public var target: String {
        if let uri = fields["ka.uri"], uri != .null {
            let request = "\(fields["ka.user.name"] ?? .null) \(fields["ka.verb"] ?? .null) \(uri) \(fields["ka.auth.decision"] ?? .null)"
            if let name = fields["ka.req.name"], name != .null { return "\(request) \(name)" }
            return request
        }
        if let rip = fields["fd.rip"], rip != .null {
            return "\(rip):\(fields["fd.rport"] ?? .null)"
        }
        return fields["fd.name"]?.description ?? "<NA>"
    }
}
