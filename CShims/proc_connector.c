/* SPDX-License-Identifier: Apache-2.0 */
/* Netlink process connector: subscribe to fork/exec/exit/... events and decode the datagrams.
 * Decoding is a separate function so it can be tested on crafted and truncated buffers. */
#define _GNU_SOURCE
#include "CShims.h"
#include "netlink_batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

/* The decoder reads the kernel's wire layout through these sizes; fail the build if a header ever
 * disagrees with the layout this file was written against. */
_Static_assert(sizeof(struct nlmsghdr) == 16, "nlmsghdr layout");
_Static_assert(sizeof(struct cn_msg) == 20, "cn_msg layout");
_Static_assert(offsetof(struct cn_msg, len) == 16, "cn_msg.len offset");
_Static_assert(offsetof(struct proc_event, event_data) == 16, "proc_event header layout");
_Static_assert(offsetof(struct proc_event, timestamp_ns) == 8, "proc_event timestamp offset");
/* rw_proc_event is imported by Swift; pin its layout so a field added in the wrong place is loud. */
_Static_assert(sizeof(rw_proc_event) == 104, "rw_proc_event layout");
_Static_assert(offsetof(rw_proc_event, comm) == 84, "rw_proc_event.comm offset");
_Static_assert(sizeof(rw_procconn_fault) == 24, "rw_procconn_fault layout");

/* Bytes of event_data each kind needs at minimum. Older kernels sent shorter exit and coredump
 * payloads (no parent ids), so the parent fields are read only when present. */
static size_t min_payload(uint32_t kernel_what) {
    switch (kernel_what) {
    case PROC_EVENT_NONE: return sizeof(uint32_t);
    case PROC_EVENT_FORK: return sizeof(struct fork_proc_event);
    case PROC_EVENT_EXEC: return sizeof(struct exec_proc_event);
    case PROC_EVENT_UID:
    case PROC_EVENT_GID: return sizeof(struct id_proc_event);
    case PROC_EVENT_SID: return sizeof(struct sid_proc_event);
    case PROC_EVENT_PTRACE: return sizeof(struct ptrace_proc_event);
    case PROC_EVENT_COMM: return sizeof(struct comm_proc_event);
    case PROC_EVENT_COREDUMP: return 2 * sizeof(__kernel_pid_t);
    case PROC_EVENT_EXIT: return 2 * sizeof(__kernel_pid_t) + 2 * sizeof(uint32_t);
    default: return 0;
    }
}

static void set_fault(rw_procconn_fault *fault, int32_t code, uint32_t reason, size_t offset,
                      size_t declared, size_t available, uint32_t kernel_what) {
    if (!fault) return;
    fault->code = code;
    fault->reason = reason;
    fault->offset = (uint32_t)offset;
    fault->declared = (uint32_t)declared;
    fault->available = (uint32_t)available;
    fault->kernel_what = kernel_what;
}

/* Fills *ev from one proc_event of `len` bytes (already checked to be >= the header). Returns 0,
 * or -EBADMSG when `len` is too short for the kind (fault filled by the caller). */
static int decode_event(const unsigned char *p, size_t len, uint32_t seq, rw_proc_event *ev) {
    struct proc_event pe;
    memset(&pe, 0, sizeof pe);
    /* Copy (not cast): the buffer need not be aligned, and len may be shorter than the struct. */
    memcpy(&pe, p, len < sizeof pe ? len : sizeof pe);
    size_t payload = len - offsetof(struct proc_event, event_data);
    if (payload < min_payload(pe.what)) return -EBADMSG;

    memset(ev, 0, sizeof *ev);
    ev->kernel_what = pe.what;
    ev->cpu = pe.cpu;
    ev->seq = seq;
    ev->timestamp_ns = pe.timestamp_ns;
    switch (pe.what) {
    case PROC_EVENT_NONE:
        ev->what = RW_PROC_EVENT_NONE;
        ev->ack_err = pe.event_data.ack.err;
        break;
    case PROC_EVENT_FORK:
        ev->what = RW_PROC_EVENT_FORK;
        ev->pid = pe.event_data.fork.parent_pid;
        ev->tgid = pe.event_data.fork.parent_tgid;
        ev->child_pid = pe.event_data.fork.child_pid;
        ev->child_tgid = pe.event_data.fork.child_tgid;
        break;
    case PROC_EVENT_EXEC:
        ev->what = RW_PROC_EVENT_EXEC;
        ev->pid = pe.event_data.exec.process_pid;
        ev->tgid = pe.event_data.exec.process_tgid;
        break;
    case PROC_EVENT_UID:
        ev->what = RW_PROC_EVENT_UID;
        ev->pid = pe.event_data.id.process_pid;
        ev->tgid = pe.event_data.id.process_tgid;
        ev->ruid = pe.event_data.id.r.ruid;
        ev->euid = pe.event_data.id.e.euid;
        break;
    case PROC_EVENT_GID:
        ev->what = RW_PROC_EVENT_GID;
        ev->pid = pe.event_data.id.process_pid;
        ev->tgid = pe.event_data.id.process_tgid;
        ev->rgid = pe.event_data.id.r.rgid;
        ev->egid = pe.event_data.id.e.egid;
        break;
    case PROC_EVENT_SID:
        ev->what = RW_PROC_EVENT_SID;
        ev->pid = pe.event_data.sid.process_pid;
        ev->tgid = pe.event_data.sid.process_tgid;
        break;
    case PROC_EVENT_PTRACE:
        ev->what = RW_PROC_EVENT_PTRACE;
        ev->pid = pe.event_data.ptrace.process_pid;
        ev->tgid = pe.event_data.ptrace.process_tgid;
        ev->tracer_pid = pe.event_data.ptrace.tracer_pid;
        ev->tracer_tgid = pe.event_data.ptrace.tracer_tgid;
        break;
    case PROC_EVENT_COMM:
        ev->what = RW_PROC_EVENT_COMM;
        ev->pid = pe.event_data.comm.process_pid;
        ev->tgid = pe.event_data.comm.process_tgid;
        memcpy(ev->comm, pe.event_data.comm.comm, sizeof ev->comm);
        ev->comm[sizeof ev->comm - 1] = '\0';
        break;
    case PROC_EVENT_COREDUMP:
        ev->what = RW_PROC_EVENT_COREDUMP;
        ev->pid = pe.event_data.coredump.process_pid;
        ev->tgid = pe.event_data.coredump.process_tgid;
        if (payload >= sizeof(struct coredump_proc_event)) {
            ev->parent_pid = pe.event_data.coredump.parent_pid;
            ev->parent_tgid = pe.event_data.coredump.parent_tgid;
        }
        break;
    case PROC_EVENT_EXIT:
        ev->what = RW_PROC_EVENT_EXIT;
        ev->pid = pe.event_data.exit.process_pid;
        ev->tgid = pe.event_data.exit.process_tgid;
        ev->exit_code = pe.event_data.exit.exit_code;
        ev->exit_signal = pe.event_data.exit.exit_signal;
        if (payload >= sizeof(struct exit_proc_event)) {
            ev->parent_pid = pe.event_data.exit.parent_pid;
            ev->parent_tgid = pe.event_data.exit.parent_tgid;
        }
        break;
    default:
        ev->what = RW_PROC_EVENT_UNKNOWN;
        break;
    }
    return 0;
}

int rw_procconn_decode(const void *buf, size_t len, rw_proc_event *out, int max,
                       rw_procconn_fault *fault) {
    const unsigned char *base = buf;
    size_t off = 0;
    int count = 0;
    set_fault(fault, 0, RW_PROCCONN_OK, 0, 0, 0, 0);
    if (!buf && len > 0) return -EFAULT;

#define STOP(code, reason, declared, available, what)                                   \
    do {                                                                                 \
        set_fault(fault, (code), (reason), off, (declared), (available), (what));        \
        return count > 0 ? count : (code);                                               \
    } while (0)

    while (off < len) {
        size_t left = len - off;
        if (left < sizeof(struct nlmsghdr))
            STOP(-EBADMSG, RW_PROCCONN_NLMSG_TRUNCATED, 0, left, 0);
        struct nlmsghdr nh;
        memcpy(&nh, base + off, sizeof nh);
        if (nh.nlmsg_len < sizeof nh || nh.nlmsg_len > left)
            STOP(-EBADMSG, RW_PROCCONN_NLMSG_BAD_LENGTH, nh.nlmsg_len, left, 0);
        const unsigned char *payload = base + off + sizeof nh;
        size_t payload_len = nh.nlmsg_len - sizeof nh;

        if (nh.nlmsg_type == NLMSG_ERROR) {
            int32_t err = 0;
            if (payload_len < sizeof err)
                STOP(-EBADMSG, RW_PROCCONN_NLMSG_BAD_LENGTH, nh.nlmsg_len, left, 0);
            memcpy(&err, payload, sizeof err);
            /* error 0 is a plain ACK. A positive value is not a valid errno encoding. */
            if (err != 0) STOP(err < 0 ? err : -EBADMSG, RW_PROCCONN_NETLINK_ERROR, nh.nlmsg_len, left, 0);
        } else if (nh.nlmsg_type == NLMSG_OVERRUN) {
            STOP(-ENOBUFS, RW_PROCCONN_NETLINK_OVERRUN, nh.nlmsg_len, left, 0);
        } else if (nh.nlmsg_type == NLMSG_DONE) {
            /* The connector sends every message as NLMSG_DONE carrying one cn_msg. */
            if (payload_len < sizeof(struct cn_msg))
                STOP(-EBADMSG, RW_PROCCONN_CNMSG_TRUNCATED, nh.nlmsg_len, payload_len, 0);
            struct cn_msg cn;
            memcpy(&cn, payload, sizeof cn);
            size_t data_len = payload_len - sizeof cn;
            if (cn.len > data_len)
                STOP(-EBADMSG, RW_PROCCONN_CNMSG_BAD_LENGTH, cn.len, data_len, 0);
            if (cn.id.idx == CN_IDX_PROC && cn.id.val == CN_VAL_PROC) {
                const unsigned char *data = payload + sizeof cn;
                uint32_t what = 0;
                if (cn.len < offsetof(struct proc_event, event_data))
                    STOP(-EBADMSG, RW_PROCCONN_EVENT_TRUNCATED, cn.len, cn.len, 0);
                memcpy(&what, data, sizeof what);
                if (count >= max)
                    STOP(-ENOSPC, RW_PROCCONN_OUT_FULL, cn.len, cn.len, what);
                if (decode_event(data, cn.len, cn.seq, &out[count]) != 0)
                    STOP(-EBADMSG, RW_PROCCONN_EVENT_TRUNCATED, cn.len, cn.len, what);
                count++;
            }
        }
        /* NLMSG_NOOP and other types carry nothing for us. Messages are 4-byte aligned; the last
         * one may omit its padding. */
        size_t step = NLMSG_ALIGN(nh.nlmsg_len);
        off += step < left ? step : left;
    }
#undef STOP
    return count;
}

static int send_mcast_op(int fd, enum proc_cn_mcast_op op) {
    /* nlmsghdr + cn_msg + op, laid out by hand: cn_msg ends in a flexible array, so it cannot be
     * a member followed by another field. */
    unsigned char msg[sizeof(struct nlmsghdr) + sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op)];
    struct nlmsghdr nh = {.nlmsg_len = sizeof msg, .nlmsg_type = NLMSG_DONE, .nlmsg_pid = 0};
    struct cn_msg cn;
    memset(&cn, 0, sizeof cn);
    cn.id.idx = CN_IDX_PROC;
    cn.id.val = CN_VAL_PROC;
    cn.len = sizeof(enum proc_cn_mcast_op);
    memcpy(msg, &nh, sizeof nh);
    memcpy(msg + sizeof nh, &cn, sizeof cn);
    memcpy(msg + sizeof nh + sizeof cn, &op, sizeof op);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 0};
    ssize_t n;
    do {
        n = sendto(fd, msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    return n == (ssize_t)sizeof msg ? 0 : -EIO;
}

int rw_procconn_set_timeout_us(int fd, long timeout_us) {
    if (timeout_us < 0) return -EINVAL;
    struct timeval tv = {.tv_sec = timeout_us / 1000000, .tv_usec = timeout_us % 1000000};
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ? -errno : 0;
}

/* Byte offset of proc_event.what in a connector datagram: nlmsghdr, then cn_msg, then the event. */
#define WHAT_OFFSET (sizeof(struct nlmsghdr) + sizeof(struct cn_msg))
_Static_assert(WHAT_OFFSET == 36, "proc_event.what offset in a datagram");

/* Attaches the classic BPF filter for `filter` (RW_PROCCONN_EXEC_ONLY or _ALL_BUT_EXEC). The
 * program loads proc_event.what and keeps or drops the datagram. BPF word loads read network byte
 * order, so the constant compared is htonl(PROC_EVENT_EXEC): the kernel writes `what` in host order.
 * A datagram too short to hold `what` fails the load, which drops it in either socket: the kernel
 * never sends one (every connector message carries a proc_event header). */
static int attach_filter(int fd, int filter) {
    uint32_t keep_exec = filter == RW_PROCCONN_EXEC_ONLY ? 0xffffffffu : 0;
    uint32_t keep_other = filter == RW_PROCCONN_EXEC_ONLY ? 0 : 0xffffffffu;
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, WHAT_OFFSET),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXEC), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, keep_exec),
        BPF_STMT(BPF_RET | BPF_K, keep_other),
    };
    struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0 ? -errno : 0;
}

int rw_procconn_open(int rcvbuf_bytes, int recv_timeout_ms) {
    return rw_procconn_open_filtered(rcvbuf_bytes, recv_timeout_ms, RW_PROCCONN_ALL);
}

int rw_procconn_open_filtered(int rcvbuf_bytes, int recv_timeout_ms, int filter) {
    if (filter != RW_PROCCONN_ALL && filter != RW_PROCCONN_EXEC_ONLY && filter != RW_PROCCONN_ALL_BUT_EXEC)
        return -EINVAL;
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd < 0) return -errno;
    int err = 0;
    if (filter != RW_PROCCONN_ALL) {
        err = attach_filter(fd, filter);
        if (err < 0) goto fail;
    }
    if (rcvbuf_bytes > 0) {
        /* SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN; SO_RCVBUF is capped. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof rcvbuf_bytes) < 0 &&
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes) < 0) {
            err = -errno;
            goto fail;
        }
    }
    if (recv_timeout_ms > 0) {
        err = rw_procconn_set_timeout_us(fd, (long)recv_timeout_ms * 1000);
        if (err < 0) goto fail;
    }
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = CN_IDX_PROC};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        err = -errno;
        goto fail;
    }
    err = send_mcast_op(fd, PROC_CN_MCAST_LISTEN);
    if (err < 0) goto fail;
    return fd;
fail:
    close(fd);
    return err;
}

int rw_procconn_recv(int fd, rw_proc_event *events, int max, int dontwait, rw_procconn_fault *fault) {
    /* One proc connector datagram is ~76 bytes; 8 KiB leaves room for batching kernels. */
    unsigned char buf[8192] __attribute__((aligned(8)));
    struct sockaddr_nl from;
    socklen_t from_len = sizeof from;
    memset(&from, 0, sizeof from);
    set_fault(fault, 0, RW_PROCCONN_OK, 0, 0, 0, 0);
    /* MSG_TRUNC makes recvfrom return the real datagram size, so an oversized one is detected
     * (its tail is missing, and the decoder then reports the truncated message). */
    ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_TRUNC | (dontwait ? MSG_DONTWAIT : 0), (struct sockaddr *)&from, &from_len);
    if (n < 0) return -errno;
    if (from.nl_pid != 0) {
        /* Only the kernel may speak for the connector; a userspace sender is ignored. */
        set_fault(fault, -EPERM, RW_PROCCONN_FOREIGN_SENDER, 0, (size_t)n, (size_t)n, 0);
        return 0;
    }
    size_t len = (size_t)n > sizeof buf ? sizeof buf : (size_t)n;
    return rw_procconn_decode(buf, len, events, max, fault);
}

int rw_procconn_recv_batch(int fd, unsigned char *slots, int slot_size, int nslots,
                           rw_proc_event *events, int max_events, int *datagrams, rw_procconn_fault *fault) {
    size_t lens[RW_NETLINK_BATCH_MAX];
    uint32_t senders[RW_NETLINK_BATCH_MAX];
    set_fault(fault, 0, RW_PROCCONN_OK, 0, 0, 0, 0);
    if (datagrams) *datagrams = 0;
    if (!slots || slot_size <= 0 || nslots <= 0 || !events || max_events <= 0) return -EINVAL;
    if (nslots > RW_NETLINK_BATCH_MAX) nslots = RW_NETLINK_BATCH_MAX;
    /* A datagram holds at most slot_size / 56 events (the smallest message): take no more datagrams
     * than events[] can surely hold, so none is received and then lost for want of room. */
    int per_datagram = slot_size / 56 + 1;
    if (nslots > max_events / per_datagram) nslots = max_events / per_datagram;
    if (nslots < 1) return -EINVAL;
    int n = rw_netlink_recv_batch(fd, slots, (size_t)slot_size, nslots, lens, senders);
    if (n < 0) return n;
    if (datagrams) *datagrams = n;
    int count = 0;
    for (int i = 0; i < n; i++) {
        rw_procconn_fault one;
        if (senders[i] != 0) {
            /* Only the kernel may speak for the connector; a userspace sender is ignored. */
            if (fault && fault->reason == RW_PROCCONN_OK)
                set_fault(fault, -EPERM, RW_PROCCONN_FOREIGN_SENDER, 0, lens[i], lens[i], 0);
            continue;
        }
        int got = rw_procconn_decode(slots + (size_t)i * (size_t)slot_size, lens[i], events + count, max_events - count, &one);
        if (got > 0) count += got;
        if (one.reason != RW_PROCCONN_OK && fault && fault->reason == RW_PROCCONN_OK) *fault = one;
    }
    return count;
}

int rw_procconn_rcvbuf(int fd) {
    int size = 0;
    socklen_t len = sizeof size;
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) < 0) return -errno;
    return size;
}

int rw_procconn_close(int fd) {
    (void)send_mcast_op(fd, PROC_CN_MCAST_IGNORE); /* best effort: closing unsubscribes anyway */
    return close(fd) < 0 ? -errno : 0;
}
