/* SPDX-License-Identifier: Apache-2.0 */
/* The one public header of the C shim. Plain C types only: no libseccomp or libcap types here.
 *
 * Conventions (see STYLE.md 7.3): every function returns >= 0 on success or -errno, never leaves
 * errno for the caller to read, allocates nothing, starts no thread and logs nothing. Buffers
 * belong to the caller. Structs are plain fixed-width integers and char arrays so Swift imports
 * them as value types. */
#ifndef RW_CSHIMS_H
#define RW_CSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include "rw_fanotify.h"
#include "rw_connect_audit.h"
#include "rw_hardening.h"
#include "rw_lease.h"

/* ------------------------------------------------------------------------------------------------
 * Netlink process connector (proc_connector.c)
 * ---------------------------------------------------------------------------------------------- */

/* rw_proc_event.what: our own numbering, independent of the kernel's PROC_EVENT_* bit values. */
#define RW_PROC_EVENT_NONE 0     /* PROC_EVENT_NONE: the kernel's ack of LISTEN/IGNORE (ack_err) */
#define RW_PROC_EVENT_FORK 1     /* PROC_EVENT_FORK */
#define RW_PROC_EVENT_EXEC 2     /* PROC_EVENT_EXEC */
#define RW_PROC_EVENT_UID 3      /* PROC_EVENT_UID */
#define RW_PROC_EVENT_GID 4      /* PROC_EVENT_GID */
#define RW_PROC_EVENT_SID 5      /* PROC_EVENT_SID */
#define RW_PROC_EVENT_PTRACE 6   /* PROC_EVENT_PTRACE */
#define RW_PROC_EVENT_COMM 7     /* PROC_EVENT_COMM */
#define RW_PROC_EVENT_COREDUMP 8 /* PROC_EVENT_COREDUMP */
#define RW_PROC_EVENT_EXIT 9     /* PROC_EVENT_EXIT */
#define RW_PROC_EVENT_UNKNOWN 10 /* a `what` this shim does not know (newer kernel); see kernel_what */

/* One decoded proc connector event. Fields that the event kind does not carry are 0. */
typedef struct rw_proc_event {
    uint32_t what;         /* RW_PROC_EVENT_* */
    uint32_t kernel_what;  /* the kernel's proc_event.what, verbatim */
    uint32_t cpu;          /* CPU that sent the event */
    uint32_t seq;          /* cn_msg.seq: per-CPU counter, +1 per event; a gap means events were lost */
    uint64_t timestamp_ns; /* CLOCK_MONOTONIC nanoseconds (ktime_get_ns) */
    int32_t pid;           /* subject thread id (fork: parent thread) */
    int32_t tgid;          /* subject process id (fork: parent process) */
    int32_t parent_pid;    /* exit, coredump: parent thread id (0 when the kernel omits it) */
    int32_t parent_tgid;   /* exit, coredump: parent process id (0 when the kernel omits it) */
    int32_t child_pid;     /* fork: child thread id */
    int32_t child_tgid;    /* fork: child process id (== child_pid for a new process) */
    int32_t tracer_pid;    /* ptrace: tracer thread id, 0 on detach */
    int32_t tracer_tgid;   /* ptrace: tracer process id, 0 on detach */
    uint32_t ruid;         /* uid: real uid */
    uint32_t euid;         /* uid: effective uid */
    uint32_t rgid;         /* gid: real gid */
    uint32_t egid;         /* gid: effective gid */
    uint32_t exit_code;    /* exit: wait(2) status (code << 8 | terminating signal) */
    uint32_t exit_signal;  /* exit: signal sent to the parent (SIGCHLD), NOT the killing signal */
    uint32_t ack_err;      /* none: errno the kernel acked LISTEN/IGNORE with (0 = accepted) */
    char comm[16];         /* comm: new task name, always NUL-terminated */
} rw_proc_event;

/* rw_procconn_fault.reason: why decoding stopped. */
#define RW_PROCCONN_OK 0                 /* no fault */
#define RW_PROCCONN_NLMSG_TRUNCATED 1    /* fewer bytes left than a netlink header */
#define RW_PROCCONN_NLMSG_BAD_LENGTH 2   /* nlmsg_len smaller than its header or past the datagram */
#define RW_PROCCONN_CNMSG_TRUNCATED 3    /* netlink payload shorter than a cn_msg header */
#define RW_PROCCONN_CNMSG_BAD_LENGTH 4   /* cn_msg.len runs past the netlink message */
#define RW_PROCCONN_EVENT_TRUNCATED 5    /* cn_msg.len too short for the proc_event kind it names */
#define RW_PROCCONN_NETLINK_ERROR 6      /* NLMSG_ERROR carrying a non-zero error (code holds it) */
#define RW_PROCCONN_NETLINK_OVERRUN 7    /* NLMSG_OVERRUN */
#define RW_PROCCONN_FOREIGN_SENDER 8     /* datagram not sent by the kernel (nl_pid != 0); dropped */
#define RW_PROCCONN_OUT_FULL 9           /* more events than the caller's array holds */

/* Where and why decoding a datagram stopped. `code` is 0 or -errno. */
typedef struct rw_procconn_fault {
    int32_t code;       /* 0, -EBADMSG, -ENOSPC, -ENOBUFS, -EPERM or the NLMSG_ERROR value */
    uint32_t reason;    /* RW_PROCCONN_* */
    uint32_t offset;    /* byte offset in the datagram of the message that stopped decoding */
    uint32_t declared;  /* the length field involved (nlmsg_len or cn_msg.len), or 0 */
    uint32_t available; /* bytes actually available for it */
    uint32_t kernel_what; /* for EVENT_TRUNCATED: the proc_event.what */
} rw_procconn_fault;

/* Opens a NETLINK_CONNECTOR socket bound to the CN_IDX_PROC group and subscribes
 * (PROC_CN_MCAST_LISTEN). rcvbuf_bytes: receive buffer, set with SO_RCVBUFFORCE, falling back to
 * SO_RCVBUF (capped by net.core.rmem_max) when that is refused; <= 0 keeps the default.
 * recv_timeout_ms: SO_RCVTIMEO, so a blocked receive returns -EAGAIN periodically; 0 = block forever.
 * Returns the descriptor, or -errno (-EPERM without CAP_NET_ADMIN). */
int rw_procconn_open(int rcvbuf_bytes, int recv_timeout_ms);

/* Which proc connector events a socket is given, chosen in the kernel by a classic BPF socket filter
 * on proc_event.what (the kernel applies it per listener before queueing, so a filtered event
 * neither wakes the reader nor takes buffer space). The two filters split the stream exactly: the
 * union of an EXEC_ONLY and an ALL_BUT_EXEC socket is what one unfiltered socket receives, with the
 * same per-CPU sequence numbers. */
#define RW_PROCCONN_ALL 0
#define RW_PROCCONN_EXEC_ONLY 1
#define RW_PROCCONN_ALL_BUT_EXEC 2

/* rw_procconn_open with a filter (RW_PROCCONN_*), attached before subscribing. Returns the
 * descriptor, or -errno (-EINVAL for an unknown filter). */
int rw_procconn_open_filtered(int rcvbuf_bytes, int recv_timeout_ms, int filter);

/* Waits until fd_a or fd_b (either may be -1: not watched) is readable, for at most timeout_ns
 * nanoseconds (< 0: forever). Returns a mask: 1 when fd_a is readable, 2 when fd_b is; 0 on
 * timeout; -errno on failure (-EINTR included: the caller decides). (wait.c) */
int rw_wait_readable(int fd_a, int fd_b, int64_t timeout_ns);

/* Receives one datagram and decodes it like rw_procconn_decode. dontwait != 0 returns -EAGAIN at
 * once when nothing is queued (MSG_DONTWAIT); otherwise it blocks up to the receive timeout.
 * Returns the number of events written (0 is possible: a datagram from a foreign sender, see
 * *fault), or -errno: -ENOBUFS when the receive buffer overflowed (events were lost; the socket
 * stays usable), -EAGAIN when nothing arrived in time, -EINTR, -EBADMSG when the first message is
 * malformed. `fault` (may be NULL) says where and why decoding stopped early. */
int rw_procconn_recv(int fd, rw_proc_event *events, int max, int dontwait, rw_procconn_fault *fault);

/* Receives every datagram already queued on fd, up to nslots, in one recvmmsg(2) (MSG_DONTWAIT),
 * each into its own slot_size bytes of `slots`, and decodes them all into events[0..max_events).
 * A datagram from a foreign sender is skipped; a malformed one loses only itself and what follows it
 * in that datagram, and the first such fault is described in *fault (may be NULL). *datagrams (may
 * be NULL) receives how many datagrams were taken. Returns the number of events written, or -errno:
 * -EAGAIN when nothing was queued, -ENOBUFS when the receive buffer had overflowed (the socket stays
 * usable), -EINTR. Stops early, with those datagrams decoded, when events[] is full. */
int rw_procconn_recv_batch(int fd, unsigned char *slots, int slot_size, int nslots,
                           rw_proc_event *events, int max_events, int *datagrams, rw_procconn_fault *fault);

/* Decodes every netlink/connector/proc_event message in buf[0..len). Strict: no length field is
 * trusted without checking it against the bytes that are really there.
 * Returns the number of events written to out. Decoding stops at the first malformed message;
 * when it stopped before writing any event, returns fault->code (-EBADMSG, -ENOSPC, -ENOBUFS, or
 * the NLMSG_ERROR errno) instead of 0; otherwise the events before it are returned and *fault
 * (may be NULL) describes the stop. Messages for other connector ids are skipped. */
int rw_procconn_decode(const void *buf, size_t len, rw_proc_event *out, int max, rw_procconn_fault *fault);

/* The receive buffer size the kernel granted (getsockopt SO_RCVBUF; the kernel doubles the request
 * to account for bookkeeping). Returns bytes or -errno. */
int rw_procconn_rcvbuf(int fd);
/* Sets how long a blocking receive waits (SO_RCVTIMEO) before EAGAIN; 0 waits forever.
 * Returns 0 or -errno. */
int rw_procconn_set_timeout_us(int fd, long timeout_us);

/* Unsubscribes (PROC_CN_MCAST_IGNORE, best effort) and closes fd. Returns 0 or -errno of close. */
int rw_procconn_close(int fd);

/* ------------------------------------------------------------------------------------------------
 * procfs (procfs.c): reads relative to an open /proc/<pid> directory, so every read of one process
 * refers to the same process even if its pid is reused meanwhile (the directory then reads ESRCH).
 * ---------------------------------------------------------------------------------------------- */

/* Opens a directory (normally "/proc/<pid>") for rw_proc_read/rw_proc_readlink.
 * Returns the descriptor, or -errno (-ENOENT when the process is gone). */
int rw_proc_open(const char *path);

/* Reads the file `name` under dirfd into buf, up to cap bytes (loops until a short read or cap).
 * Returns the number of bytes read (== cap means there may be more), or -errno
 * (-ESRCH/-ENOENT when the process has gone). */
long rw_proc_read(int dirfd, const char *name, void *buf, size_t cap);

/* One pread(2) of up to cap bytes at `offset` of the file `name` under dirfd (e.g. "mem", where the
 * offset is an address in the process). Returns the number of bytes read, or -errno (-EIO for an
 * unmapped address, -ESRCH/-ENOENT when the process has gone, -EINVAL for an offset past INT64_MAX). */
long rw_proc_pread(int dirfd, const char *name, uint64_t offset, void *buf, size_t cap);

/* Opens the file `name` under dirfd to be read again and again with rw_proc_pread_start. Returns
 * the descriptor or -errno. */
int rw_proc_openat(int dirfd, const char *name);

/* One pread(2) of up to cap bytes at offset 0 of an open per-process procfs file (cmdline, stat,
 * status, cgroup: produced in one piece, and afresh by a read at offset 0). Returns the number of
 * bytes read, or -errno (-ESRCH once the process has been reaped). */
long rw_proc_pread_start(int fd, void *buf, size_t cap);

/* readlinkat(dirfd, name). Returns the target length written to buf (not NUL-terminated; == cap
 * means it may be truncated), or -errno. */
long rw_proc_readlink(int dirfd, const char *name, char *buf, size_t cap);

/* Closes a descriptor from rw_proc_open. Returns 0 or -errno. */
int rw_proc_close(int fd);

/* Follows the link `name` (e.g. "fd/0") under dirfd. Returns 1 and sets *inode when it is a FIFO
 * (a named pipe: both ends share that inode, as anonymous pipes share their pipe:[inode]), 0 when it
 * is anything else, or -errno. */
int rw_proc_fifo_inode(int dirfd, const char *name, uint64_t *inode);
/* The executable behind <dirfd>/exe (fstatat follows the magic link to its inode): what tells one
 * state of its credential-changing bits from another. Setting or removing file capabilities changes
 * the ctime, so (dev, ino, ctime) names the state of its `security.capability` xattr too. */
typedef struct rw_exe_identity {
    uint64_t dev;
    uint64_t ino;
    int64_t ctime_sec;
    int64_t ctime_nsec;
    uint32_t mode;
} rw_exe_identity;
/* Fills *out for <dirfd>/exe. Returns 0 or -errno (the process is gone, or has no executable). */
int rw_proc_exe_identity(int dirfd, rw_exe_identity *out);
/* 1 when the file at `path` (e.g. "/proc/<pid>/exe") carries file capabilities (the
 * `security.capability` xattr; its presence is enough), else 0 (also when it cannot be examined). */
int rw_path_has_file_capabilities(const char *path);


/* Reads the regular file `path` as the process whose root directory `rootfd` is (an rw_proc_open of
 * "/proc/<pid>/root") sees it: openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, so absolute
 * and `..` symlinks planted in a container stay inside its filesystem, and O_NONBLOCK, so a FIFO
 * there cannot block. Returns the number of bytes read, -EFBIG when the file is larger than cap,
 * -EINVAL when it is not a regular file, or -errno. */
long rw_root_read(int rootfd, const char *path, void *buf, size_t cap);

/* 1 when `rootfd` is another directory than the caller's own root "/", 0 when it is the same (a
 * container process that has not yet pivoted into its root filesystem), or -errno. */
int rw_root_is_own(int rootfd);

/* ------------------------------------------------------------------------------------------------
 * Scheduling (sched.c)
 * ---------------------------------------------------------------------------------------------- */

/* Sets the nice value of the CALLING THREAD only (setpriority(PRIO_PROCESS, gettid())), so a
 * latency-critical thread can be favoured without changing the rest of the process.
 * Returns 0 or -errno (-EACCES/-EPERM lowering nice without CAP_SYS_NICE). */
int rw_sched_set_thread_nice(int nice);
#endif
