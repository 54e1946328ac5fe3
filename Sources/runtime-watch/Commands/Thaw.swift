// SPDX-License-Identifier: Apache-2.0
// `runtime-watch thaw CONTAINER`: undoes a `respond: freeze` (cgroup v2 `cgroup.freeze` 0, v1
// freezer THAWED). Needs root, like the freeze.

import ArgumentParser
import RuntimeWatchCapture
import RuntimeWatchSystem

extension RuntimeWatch {
    struct Thaw: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Thaw a container frozen by a `respond: freeze` response. Needs root.")

        @Argument(help: ArgumentHelp("The container id: 12 hex as alerts show it (container.id), or longer.", valueName: "CONTAINER"))
        var container: String

        func validate() throws {
            guard container.count >= 12, container.allSatisfy(\.isHexDigit) else {
                throw ValidationError("CONTAINER '\(container)' is not a container id (at least 12 hex digits, as in the alert's container.id)")
            }
        }

        func run() throws {
            guard let hierarchy = FreezerHierarchy.detect() else {
                throw CLIError("no cgroup v2 tree or v1 freezer under /sys/fs/cgroup")
            }
            let id = container.lowercased()
            guard let cgroup = ContainerCgroupFinder.find(id: id, under: hierarchy.root) else {
                throw CLIError("no cgroup for container \(id) under \(hierarchy.root) (not running on this node?)")
            }
            switch hierarchy.setFrozen(false, cgroup: cgroup) {
            case .success(let file): print("thawed container \(id): wrote \(file)")
            case .failure(let error): throw CLIError("thaw \(id): \(error)")
            }
        }
    }
}
