// SPDX-License-Identifier: Apache-2.0
// A hand-written trace of a host reverse shell, in the exact JSON-lines form `record` writes:
// a header, bash already running (snapshot), bash forks, the child execs /bin/sh with descriptors
// 0-2 on one TCP socket connected to 198.51.100.1:4444 (TEST-NET-2, never contacted: it is text).

enum ReverseShellTrace {
    static let header =
        #"{"format":"runtime-watch-trace","version":1,"hostname":"trace-host","kernel":"6.1.0-test","start":"2024-05-01T12:00:00.000000000Z"}"#
    static let bashSnapshot =
        #"{"ts":1714564800100000000,"type":"snapshot","argv":["bash"],"cgroup":"/user.slice/user-0.slice/session-1.scope","comm":"bash","credentials":{"egid":0,"euid":0,"gid":0,"uid":0},"cwd":"/root","exe":"/usr/bin/bash","fds":[{"fd":0,"kind":"tty","target":"/dev/pts/0"},{"fd":1,"kind":"tty","target":"/dev/pts/0"},{"fd":2,"kind":"tty","target":"/dev/pts/0"}],"pid":4100,"ppid":1,"source":"proc","startTicks":1000}"#
    static let fork =
        #"{"ts":1714564800200000000,"type":"fork","child":4101,"parent":4100}"#
    /// The shell exec; its time is what the alert's `time` must say.
    static let shellExec =
        #"{"ts":1714564800300000123,"type":"exec","argv":["/bin/sh","-i"],"cgroup":"/user.slice/user-0.slice/session-1.scope","comm":"sh","credentials":{"egid":0,"euid":0,"gid":0,"uid":0},"cwd":"/root","exe":"/usr/bin/dash","fds":[\#(socketFD(0)),\#(socketFD(1)),\#(socketFD(2))],"pid":4101,"ppid":4100,"source":"proc","startTicks":1001}"#
    static let shellExecTime = "2024-05-01T12:00:00.300000123Z"

    static func socketFD(_ n: Int) -> String {
        #"{"fd":\#(n),"inode":90001,"kind":"socket","socket":{"family":"inet","localAddress":"192.0.2.10","localPort":40000,"proto":"tcp","remoteAddress":"198.51.100.1","remotePort":4444,"state":"ESTABLISHED"},"target":"socket:[90001]"}"#
    }

    /// The whole trace, newline-terminated.
    static var text: String { [header, bashSnapshot, fork, shellExec].joined(separator: "\n") + "\n" }

    /// The same records with a garbage line 3 and a truncated JSON object on line 5.
    static var textWithMalformedLines: String {
        [header, bashSnapshot, "this is not json at all", fork, String(shellExec.prefix(60)), shellExec]
            .joined(separator: "\n") + "\n"
    }
}
