// SPDX-License-Identifier: Apache-2.0
// The seccomp allowlist of the running monitor, in one place: every syscall the steady state makes
// (after every source is open and the listener is bound), grouped by what needs it. Built from
// `strace -f -c` of a real monitor under activity (exec storm, token reads, connects, SIGHUP,
// /metrics scrapes, webhook delivery); see bench/harden-strace.sh and README "Self-hardening".
// Anything else is refused (EPERM + report, or kill with --seccomp-action kill).
//
// Measured with bench/harden-strace.sh (strace -f -c attached once the monitor is monitoring; 46
// distinct syscalls in that run). The margin beyond the measurement is deliberate and small: calls
// the same code paths make under conditions a short run does not hit (mremap when a large buffer
// grows, clone/sched_yield/membarrier in the runtime's thread and lock slow paths, epoll_pwait/ppoll
// variants picked by library versions, fsync/ftruncate for --record and --output, getrandom for
// hash seeds) and none that could widen what an attacker can do with the process.

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
        SeccompGroup(name: "signals", reason: "SIGHUP/SIGTERM dispatch sources, the SIGSYS trap handler's return (rt_sigreturn), the main thread parked by dispatch_main in rt_sigsuspend, interrupted sleeps resumed by the kernel (restart_syscall)",
                     syscalls: ["rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "restart_syscall", "sigaltstack",
                                "tgkill", "getpid", "getppid"]),
        SeccompGroup(name: "time", reason: "timestamps (vDSO fallback), sleeps, timers",
                     syscalls: ["clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday"]),
        SeccompGroup(name: "event loops", reason: "NIO (listener, webhook client) and the capture loops' waits",
                     syscalls: ["epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "eventfd2",
                                "timerfd_create", "timerfd_settime", "ppoll", "pipe2"] + legacy(["epoll_wait", "poll"])),
        SeccompGroup(name: "files", reason: "/proc reads per exec (exe, fd links, cwd, root, cmdline, status, net tables), OCI state, profile re-read and --output reopen on SIGHUP, --record; openat2 resolves in-container token paths with RESOLVE_IN_ROOT; getxattr reads an executable's file capabilities (a brief exec read keeps inherited credentials only without them)",
                     syscalls: ["openat", "openat2", "close", "read", "pread64", "readv", "write", "pwrite64", "writev", "lseek",
                                "fstat", "newfstatat", "statx", "statfs", "fstatfs", "getdents64", "readlinkat", "getxattr",
                                "fcntl", "ioctl", "dup", "dup3", "faccessat", "faccessat2", "getcwd",
                                "fsync", "fdatasync", "ftruncate"] + legacy(["open", "stat", "lstat", "access", "readlink"])),
        SeccompGroup(name: "process inspection", reason: "connect enrichment asks what kind of socket another process's descriptor is: pidfd_open + pidfd_getfd (needs CAP_SYS_PTRACE, kept)",
                     syscalls: ["pidfd_open", "pidfd_getfd"]),
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

    /// Syscalls that exist only on x86_64 (newer architectures such as aarch64 have only the *at /
    /// p* forms, which the groups list too); glibc and NIO still use these on x86_64 (measured).
    private static func legacy(_ names: [String]) -> [String] {
        #if arch(x86_64)
        return names
        #else
        return []
        #endif
    }

    /// Allowed only when the profile configures a `respond: kill`: a compromised monitor that can
    /// signal any process is a bigger prize, so the default filter leaves `kill` out.
    public static let killResponse = SeccompGroup(name: "kill response", reason: "`respond: kill` in the profile: SIGKILL to the offending container process",
                                                  syscalls: ["kill"])

    /// The groups in force: `killResponse` adds the kill group.
    public static func groups(killResponse: Bool) -> [SeccompGroup] { killResponse ? groups + [Self.killResponse] : groups }

    /// Every allowed syscall name, sorted and without duplicates.
    public static var allowed: [String] { allowed(killResponse: false) }

    /// Every allowed syscall name with or without the kill response, sorted and without duplicates.
    public static func allowed(killResponse: Bool) -> [String] {
        Array(Set(groups(killResponse: killResponse).flatMap(\.syscalls))).sorted()
    }
}
