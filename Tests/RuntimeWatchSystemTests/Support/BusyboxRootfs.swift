// SPDX-License-Identifier: Apache-2.0
// Builds a minimal container root filesystem from the host's static busybox: one binary, a symlink per
// applet, and just enough of /etc for `id`, `sh` and name lookups. No image pull, no network.

import Foundation

enum BusyboxRootfs {
    /// Debian's busybox-static installs a statically linked binary here.
    static let busybox = "/bin/busybox"

    /// Fills `rootfs` (an existing empty directory) with busybox and its applets in /bin, /etc files
    /// for root and nobody, and empty mount points. With `hostUsr`, /usr is left empty to receive a
    /// read-only bind of the host's /usr, and /lib, /lib64 mirror the host's (symlinks on merged-/usr
    /// hosts like Debian 12), so host programs such as python3 and bash run inside.
    static func build(at rootfs: String, hostUsr: Bool) throws {
        let fm = FileManager.default
        for dir in ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "var/run", "usr"] {
            try fm.createDirectory(atPath: "\(rootfs)/\(dir)", withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: busybox, toPath: "\(rootfs)/bin/busybox")
        let applets = try CommandRunner.check([busybox, "--list"]).stdout
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.contains("/") && $0 != "busybox" }
        guard applets.contains("sh"), applets.contains("nc") else {
            throw HarnessError("\(busybox) lacks sh or nc applets: install busybox-static")
        }
        for applet in applets {
            try fm.createSymbolicLink(atPath: "\(rootfs)/bin/\(applet)", withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
            .write(toFile: "\(rootfs)/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\nnogroup:x:65534:\n".write(toFile: "\(rootfs)/etc/group", atomically: true, encoding: .utf8)
        try "127.0.0.1 localhost\n".write(toFile: "\(rootfs)/etc/hosts", atomically: true, encoding: .utf8)

        if hostUsr {
            for lib in ["lib", "lib64", "lib32", "libx32"] {
                let hostPath = "/\(lib)"
                if let target = try? fm.destinationOfSymbolicLink(atPath: hostPath) {
                    try fm.createSymbolicLink(atPath: "\(rootfs)/\(lib)", withDestinationPath: target)
                } else if fm.fileExists(atPath: hostPath) {
                    try fm.createDirectory(atPath: "\(rootfs)/\(lib)", withIntermediateDirectories: true)
                }
            }
        }
    }

    /// Library directories that are real directories on the host (not merged-/usr symlinks) and so
    /// need their own read-only bind when `hostUsr` is set.
    static func hostLibraryDirectoriesNeedingBinds() -> [String] {
        ["/lib", "/lib64", "/lib32", "/libx32"].filter { path in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) == nil
                && FileManager.default.fileExists(atPath: path)
        }
    }
}
