// SPDX-License-Identifier: Apache-2.0
// The seccomp allowlist of the running monitor, in one place: every syscall the steady state makes
// (after every source is open and the listener is bound), grouped by what needs it. Built from
// `strace -f -c` of a real monitor under activity (exec storm, token reads, connects, SIGHUP,
// /metrics scrapes, webhook delivery); see deploy/README.md "How the allowlist was measured".
// Anything else is refused (EPERM + report, or kill with --seccomp-action kill).

/// One group of allowed syscalls and why the monitor needs it.
public struct SeccompGroup: Sendable, Hashable {
    public var name: String
    public var reason: String
    public var syscalls: [String]
}

/// The allowlist. Names are native syscall names as libseccomp spells them; a unit test resolves
/// every one on the build architecture, so a typo or a name that does not exist here fails CI.
public enum SeccompPolicy {
    public static let groups: [SeccompGroup] = [
        SeccompGroup(name: "memory", reason: "Swift runtime allocator, thread stacks, Foundation buffers",
                     syscalls: ["brk", "mmap", "munmap", "mprotect", "mremap", "madvise"]),
        SeccompGroup(name: "threads", reason: "Dispatch, Swift concurrency and NIO thread pools, locks, thread names (prctl PR_SET_NAME); setpriority because the capture thread renices itself when it starts, which can land after hardening (without CAP_SYS_NICE it can only lower its priority)",
                     syscalls: ["futex", "clone", "clone3", "set_robust_list", "rseq", "gettid", "sched_yield",
                                "sched_getaffinity", "set_tid_address", "exit", "exit_group", "prctl", "membarrier",
                                "setpriority"]),
        SeccompGroup(name: "signals", reason: "SIGHUP/SIGTERM dispatch sources, the SIGSYS trap handler's return (rt_sigreturn), Dispatch waking threads",
                     syscalls: ["rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "tgkill", "getpid", "getppid"]),
        SeccompGroup(name: "time", reason: "timestamps (vDSO fallback), sleeps, timers",
                     syscalls: ["clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday"]),
        SeccompGroup(name: "event loops", reason: "NIO (listener, webhook client) and the capture loops' waits",
                     syscalls: ["epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd2",
                                "timerfd_create", "timerfd_settime", "poll", "ppoll", "pipe2"]),
        SeccompGroup(name: "files", reason: "/proc reads per exec (exe, fd links, cwd, root, cmdline, status, net tables), OCI state, profile re-read and --output reopen on SIGHUP, --record",
                     syscalls: ["openat", "close", "read", "pread64", "readv", "write", "pwrite64", "writev", "lseek",
                                "fstat", "newfstatat", "statx", "statfs", "fstatfs", "getdents64", "readlink", "readlinkat",
                                "fcntl", "ioctl", "dup", "dup3", "faccessat", "faccessat2", "access", "getcwd",
                                "fsync", "fdatasync", "ftruncate", "stat", "lstat", "open"]),
        SeccompGroup(name: "fanotify", reason: "answering permission events and adding/removing token marks on the 2 s rescan",
                     syscalls: ["fanotify_mark"]),
        SeccompGroup(name: "sockets", reason: "proc connector and audit netlink receive; /healthz, /metrics; webhook connects; audit control socket reopened at exit to delete the connect rule",
                     syscalls: ["socket", "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
                                "setsockopt", "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
                                "shutdown", "socketpair"]),
        SeccompGroup(name: "identity and limits", reason: "Foundation and the runtime asking who and where they are; random numbers (hash seeds, NIO)",
                     syscalls: ["getrandom", "uname", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
                                "prlimit64", "getrlimit", "sysinfo", "capget", "getpriority", "sched_getparam", "sched_getscheduler"]),
    ]

    /// Every allowed syscall name, sorted and without duplicates.
    public static var allowed: [String] { Array(Set(groups.flatMap(\.syscalls))).sorted() }
}
