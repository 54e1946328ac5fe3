// SPDX-License-Identifier: Apache-2.0
// How an allow entry is matched against a subject and a target, written once for the entry as the
// profile holds it (`AllowEntry`) and as the rule index holds it (`Profile`'s entries by rule).

/// The fields an allow entry is matched by. The rule index keeps them as stored properties of a
/// class so a check reads the fields it needs in place: reading a whole `AllowEntry` out of its
/// holder copied its 360 bytes and retained a dozen fields, about twice per event of a replay.
protocol AllowMatching {
    var host: Bool { get }
    var namespace: Glob? { get }
    var pod: Glob? { get }
    var container: Glob? { get }
    var image: Glob? { get }
    var executable: Glob? { get }
    var paths: [Glob] { get }
    var destinations: [Destination] { get }
}

extension AllowMatching {
    /// The subject half of `matches`: host/container kind and every given scope key.
    func admits(subject s: ProfileSubject) -> Bool {
        guard s.isHost == host else { return false }
        if let g = namespace, !(s.namespace.map(g.matches) ?? false) { return false }
        if let g = pod, !(s.podName.map(g.matches) ?? false) { return false }
        if let g = container, !(s.containerName.map(g.matches) ?? false) { return false }
        if let g = executable, !(s.executable.map(g.matches) ?? false) { return false }
        if let g = image {
            guard let ref = s.image else { return false }
            if !g.matches(ref) {
                let repository = ContainerInfo(id: ContainerID(""), runtime: "", image: ref).imageRepository
                guard let repository, g.matches(repository) else { return false }
            }
        }
        return true
    }

    /// The target half of `matches`: absent `paths`/`destinations` accept any target.
    func admits(target: ProfileTarget) -> Bool {
        switch target {
        case .none:
            return paths.isEmpty && destinations.isEmpty
        case .path(let p):
            guard destinations.isEmpty || !paths.isEmpty else { return false }
            if paths.isEmpty { return true }
            for g in paths where g.matches(p) { return true }
            return false
        case .destination(let text, let port):
            guard paths.isEmpty || !destinations.isEmpty else { return false }
            if destinations.isEmpty { return true }
            guard let address = IPAddress(text) else { return false }
            for d in destinations where d.matches(address: address, port: port) { return true }
            return false
        }
    }
}
