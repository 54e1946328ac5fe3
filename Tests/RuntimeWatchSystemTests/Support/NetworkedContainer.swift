// SPDX-License-Identifier: Apache-2.0
// A TEST-NET network pair plus one started runc container in namespace B (host /usr bound in):
// what the live scenes of several suites stand on, created and torn down as one, with nothing left
// behind when a step fails.

import Foundation

struct NetworkedContainer {
    let network: TestNetwork
    let container: RuncContainer

    /// Creates the network, then the container in its namespace B, lets `prepare` adjust it before
    /// it starts (bind mounts that need the pod UID, say), and starts it.
    /// - Throws: whatever step failed, after stopping what was started.
    static func start(namespace: String,
                      prepare: (RuncContainer, inout RuncContainer.Configuration) throws -> Void = { _, _ in }) throws -> NetworkedContainer {
        let network = try TestNetwork()
        var container: RuncContainer?
        do {
            var configuration = RuncContainer.Configuration()
            configuration.namespace = namespace
            configuration.hostUsr = true
            configuration.networkNamespacePath = network.pathB
            let made = try RuncContainer(configuration)
            container = made
            try prepare(made, &configuration)
            // The spec is written again with what `prepare` changed (unchanged, it is the same spec).
            try RuncSpec.document(for: configuration, id: made.id, podUID: made.podUID, cgroupsPath: made.cgroupsPath)
                .write(to: URL(fileURLWithPath: made.bundle + "/config.json"))
            try made.start()
            return NetworkedContainer(network: network, container: made)
        } catch {
            container?.stop()
            network.teardown()
            throw error
        }
    }

    /// Stops the container, then removes the network.
    func stop() {
        container.stop()
        network.teardown()
    }
}
