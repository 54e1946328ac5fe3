/* SPDX-License-Identifier: Apache-2.0 */
/* Netlink audit plumbing for connect() capture: socket, read-only multicast group, one keyed rule,
 * the enabled flag and backlog limit. Plain C types only; record text is decoded in Swift. */
#ifndef RW_CONNECT_AUDIT_H
#define RW_CONNECT_AUDIT_H
#include <stdint.h>
#include <stddef.h>

/* The audit settings runtime-watch reads and may change (a subset of struct audit_status). */
typedef struct {
    uint32_t enabled;        /* 0 off, 1 on, 2 locked */
    uint32_t failure;
    uint32_t pid;            /* auditd's pid, 0 when none */
    uint32_t backlog_limit;
    uint32_t lost;
    uint32_t backlog;
} rw_audit_status;

/* Opens a NETLINK_AUDIT socket (close-on-exec) for requests (rules, status).
 * Returns the fd or -errno. */
int rw_audit_open_control(void);

/* Opens a NETLINK_AUDIT socket bound to the read-only multicast group AUDIT_NLGRP_READLOG
 * (coexists with auditd; needs CAP_AUDIT_READ) with a receive buffer of at least rcvbuf bytes.
 * Returns the fd or -errno. */
int rw_audit_open_readlog(int rcvbuf, int nonblocking);

/* AUDIT_GET. Returns 0 and fills *out, or -errno. */
int rw_audit_get_status(int fd, rw_audit_status *out);

/* AUDIT_SET of the enabled flag (0/1). Returns 0 or -errno (the kernel's ack). */
int rw_audit_set_enabled(int fd, uint32_t enabled);

/* AUDIT_SET of the backlog limit. Returns 0 or -errno. */
int rw_audit_set_backlog_limit(int fd, uint32_t limit);

/* Adds (add=1) or deletes (add=0) the rule "exit,always arch=<native> -S connect -k <key>".
 * Returns 0, or -errno (-EEXIST on add of an existing rule, -ENOENT on delete of a missing one). */
int rw_audit_connect_rule(int fd, int add, const char *key);

/* Adds (add=1) or deletes (add=0) the rule "task,never -F pid=<pid>": while it is loaded, tasks that
 * process <pid> creates (its threads and children) get no audit context, so none of their syscalls
 * pays audit's per-syscall work, and none is audited. Tasks created before or after are unaffected.
 * Returns 0, or -errno (-EEXIST on add of an existing rule, -ENOENT on delete of a missing one). */
int rw_audit_task_exemption(int fd, int add, int32_t pid);

/* AUDIT_LIST_RULES: counts rules whose key equals `key` (string field AUDIT_FILTERKEY).
 * Returns the count (>= 0) or -errno. */
int rw_audit_count_rules_with_key(int fd, const char *key);

/* One datagram taken by rw_audit_recv_batch: its record's netlink type, and where its text is in
 * the datagram's slot (the text is not NUL-terminated; trailing NULs are left out). status is 0, or
 * -EBADMSG (shorter than a netlink header) or -EPERM (sent by a user-space process, not the
 * kernel: nl_pid is not 0), in which case the datagram must be ignored; sender is its port id. */
typedef struct {
    uint16_t type;
    uint32_t offset;
    uint32_t length;
    int32_t status;
    uint32_t sender;
} rw_audit_datagram;

/* Receives every datagram already queued on fd, up to nslots (at most 256), in one recvmmsg(2)
 * (MSG_DONTWAIT), each into its own slot_size bytes of `slots` (a slot shorter than a datagram
 * keeps its head). Returns how many were taken (out[0..n) describes them), or -errno: -EAGAIN when
 * nothing was queued, -ENOBUFS when the kernel dropped records for this socket (it stays usable;
 * after some datagrams were taken, the next call returns it). */
int rw_audit_recv_batch(int fd, char *slots, size_t slot_size, int nslots, rw_audit_datagram *out);

/* The syscall number of connect() on the architecture this was compiled for, or -ENOSYS. */
int rw_audit_connect_syscall_number(void);

/* The AUDIT_ARCH_* value of this build's architecture (as in a SYSCALL record's arch= field), or
 * -ENOSYS where the shim has no connect rule. */
int64_t rw_audit_native_arch(void);

/* A pidfd (pidfd_open(2), close-on-exec) for process `pid`, or -errno (-ESRCH gone, -ENOSYS old kernel). */
int rw_pidfd_open(int32_t pid);

/* The socket type (SOCK_STREAM 1, SOCK_DGRAM 2, ...) of descriptor `fd` of the process `pidfd`
 * refers to, read by duplicating it with pidfd_getfd(2) and asking getsockopt(SO_TYPE); the
 * duplicate is closed at once. Returns the type, or -errno (-ESRCH the process has exited, -EBADF
 * fd closed, -ENOTSOCK not a socket, -ENOSYS old kernel). */
int rw_socket_type_via(int pidfd, int32_t fd);

/* Names the calling thread (prctl PR_SET_NAME; at most 15 bytes kept) so its CPU time can be
 * found in /proc/self/task/<tid>/comm. Returns 0 or -errno. */
int rw_thread_set_name(const char *name);

#endif
