/* SPDX-License-Identifier: Apache-2.0 */
/* Netlink audit: the socket and rule plumbing for connect() capture. No policy, no allocation;
 * every function returns >= 0 or -errno. */
#define _GNU_SOURCE
#include "rw_connect_audit.h"
#include "netlink_batch.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <linux/netlink.h>
#include <linux/audit.h>

#ifndef MAX_AUDIT_MESSAGE_LENGTH
#define MAX_AUDIT_MESSAGE_LENGTH 8970
#endif
#ifndef AUDIT_NLGRP_READLOG
#define AUDIT_NLGRP_READLOG 1
#endif

#if defined(__x86_64__)
#define RW_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define RW_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

int rw_audit_connect_syscall_number(void) {
#if defined(RW_AUDIT_ARCH) && defined(SYS_connect)
    return SYS_connect;
#else
    return -ENOSYS;
#endif
}

int64_t rw_audit_native_arch(void) {
#if defined(RW_AUDIT_ARCH)
    return (int64_t)(uint32_t)RW_AUDIT_ARCH;
#else
    return -ENOSYS;
#endif
}

int rw_audit_open_control(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    if (fd < 0) return -errno;
    struct sockaddr_nl local = { .nl_family = AF_NETLINK };
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) { int e = errno; close(fd); return -e; }
    return fd;
}

int rw_audit_open_readlog(int rcvbuf, int nonblocking) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), NETLINK_AUDIT);
    if (fd < 0) return -errno;
    /* SO_RCVBUFFORCE ignores rmem_max (we are privileged); fall back to SO_RCVBUF. */
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_nl local = { .nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1) };
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) { int e = errno; close(fd); return -e; }
    return fd;
}

/* Sends one request with NLM_F_ACK. Returns the sequence number used or -errno. */
static int send_request(int fd, uint16_t type, const void *payload, size_t len) {
    static __thread uint32_t seq;
    char buf[NLMSG_SPACE(sizeof(struct audit_rule_data) + 256)];
    if (NLMSG_SPACE(len) > sizeof buf) return -EMSGSIZE;
    memset(buf, 0, NLMSG_SPACE(len));
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    h->nlmsg_len = NLMSG_LENGTH(len);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    h->nlmsg_seq = ++seq;
    if (len) memcpy(NLMSG_DATA(h), payload, len);
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    ssize_t n;
    do { n = sendto(fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    return (int)h->nlmsg_seq;
}

/* Waits (at most 2 s per datagram) for the reply to `seq`. For each data message of `want`
 * calls `each(payload, len, ctx)`. Returns 0 on ack/DONE, -errno from NLMSG_ERROR, or -ETIMEDOUT. */
typedef void (*rw_each_fn)(const void *, size_t, void *);
static int await_reply(int fd, uint32_t seq, uint16_t want, rw_each_fn each, void *ctx) {
    static __thread char buf[MAX_AUDIT_MESSAGE_LENGTH + 4096] __attribute__((aligned(NLMSG_ALIGNTO)));
    int got_data = 0;
    for (int rounds = 0; rounds < 10000; rounds++) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int r = poll(&p, 1, 2000);
        if (r < 0) { if (errno == EINTR) continue; return -errno; }
        if (r == 0) return got_data ? 0 : -ETIMEDOUT;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) { if (errno == EINTR) continue; return -errno; }
        size_t left = (size_t)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_seq != seq) continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) return -EBADMSG;
                const struct nlmsgerr *e = NLMSG_DATA(h);
                if (e->error != 0) return e->error;
                if (want == 0) return 0;       /* plain ack */
                continue;                      /* ack before the data of a GET/LIST */
            }
            if (h->nlmsg_type == NLMSG_DONE) return 0;
            if (h->nlmsg_type == want && each) {
                each(NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN, ctx);
                got_data = 1;
                if (want == AUDIT_GET) return 0;
            }
        }
    }
    return -ETIMEDOUT;
}

/* A request whose only answer is the kernel's ack (a change: AUDIT_SET, AUDIT_ADD_RULE, AUDIT_DEL_RULE). */
static int request_ack(int fd, uint16_t type, const void *payload, size_t len) {
    int seq = send_request(fd, type, payload, len);
    if (seq < 0) return seq;
    return await_reply(fd, (uint32_t)seq, 0, NULL, NULL);
}

static void copy_status(const void *p, size_t len, void *ctx) {
    struct audit_status s;
    memset(&s, 0, sizeof s);
    memcpy(&s, p, len < sizeof s ? len : sizeof s);
    rw_audit_status *out = ctx;
    out->enabled = s.enabled; out->failure = s.failure; out->pid = s.pid;
    out->backlog_limit = s.backlog_limit; out->lost = s.lost; out->backlog = s.backlog;
}

int rw_audit_get_status(int fd, rw_audit_status *out) {
    memset(out, 0, sizeof *out);
    int seq = send_request(fd, AUDIT_GET, NULL, 0);
    if (seq < 0) return seq;
    return await_reply(fd, (uint32_t)seq, AUDIT_GET, copy_status, out);
}

static int set_status(int fd, uint32_t mask, uint32_t enabled, uint32_t backlog_limit) {
    struct audit_status s;
    memset(&s, 0, sizeof s);
    s.mask = mask; s.enabled = enabled; s.backlog_limit = backlog_limit;
    return request_ack(fd, AUDIT_SET, &s, sizeof s);
}

int rw_audit_set_enabled(int fd, uint32_t enabled) { return set_status(fd, AUDIT_STATUS_ENABLED, enabled, 0); }
int rw_audit_set_backlog_limit(int fd, uint32_t limit) { return set_status(fd, AUDIT_STATUS_BACKLOG_LIMIT, 0, limit); }

int rw_audit_connect_rule(int fd, int add, const char *key) {
#ifndef RW_AUDIT_ARCH
    (void)fd; (void)add; (void)key;
    return -ENOSYS;
#else
    size_t keylen = strlen(key);
    if (keylen == 0 || keylen > AUDIT_MAX_KEY_LEN || keylen > 200) return -EINVAL;
    char raw[sizeof(struct audit_rule_data) + 256];
    memset(raw, 0, sizeof raw);
    struct audit_rule_data *r = (struct audit_rule_data *)raw;
    r->flags = AUDIT_FILTER_EXIT;
    r->action = AUDIT_ALWAYS;
    int nr = SYS_connect;
    r->mask[nr / 32] |= 1u << (nr % 32);
    r->fields[0] = AUDIT_ARCH;      r->fieldflags[0] = AUDIT_EQUAL; r->values[0] = RW_AUDIT_ARCH;
    r->fields[1] = AUDIT_FILTERKEY; r->fieldflags[1] = AUDIT_EQUAL; r->values[1] = (uint32_t)keylen;
    r->field_count = 2;
    r->buflen = (uint32_t)keylen;
    memcpy(r->buf, key, keylen);
    return request_ack(fd, add ? AUDIT_ADD_RULE : AUDIT_DEL_RULE, r, sizeof *r + keylen);
#endif
}

int rw_audit_task_exemption(int fd, int add, int32_t pid) {
    if (pid <= 0) return -EINVAL;
    struct audit_rule_data r;
    memset(&r, 0, sizeof r);
    /* The task list is consulted once per task, when it is created (audit_alloc): a "never" match
     * leaves the new task without an audit context for life. AUDIT_PID there is the tgid the new
     * task was created under, its creator's. */
    r.flags = AUDIT_FILTER_TASK;
    r.action = AUDIT_NEVER;
    r.fields[0] = AUDIT_PID; r.fieldflags[0] = AUDIT_EQUAL; r.values[0] = (uint32_t)pid;
    r.field_count = 1;
    return request_ack(fd, add ? AUDIT_ADD_RULE : AUDIT_DEL_RULE, &r, sizeof r);
}

struct key_count { const char *key; size_t keylen; int count; };

static void count_key(const void *p, size_t len, void *ctx) {
    struct key_count *kc = ctx;
    if (len < sizeof(struct audit_rule_data)) return;
    const struct audit_rule_data *r = p;
    size_t offset = 0;
    for (uint32_t i = 0; i < r->field_count && i < AUDIT_MAX_FIELDS; i++) {
        switch (r->fields[i]) {
        case AUDIT_SUBJ_USER: case AUDIT_SUBJ_ROLE: case AUDIT_SUBJ_TYPE: case AUDIT_SUBJ_SEN:
        case AUDIT_SUBJ_CLR: case AUDIT_OBJ_USER: case AUDIT_OBJ_ROLE: case AUDIT_OBJ_TYPE:
        case AUDIT_OBJ_LEV_LOW: case AUDIT_OBJ_LEV_HIGH: case AUDIT_WATCH: case AUDIT_DIR:
        case AUDIT_FILTERKEY: case AUDIT_EXE:
            if (offset + r->values[i] > r->buflen || sizeof *r + offset + r->values[i] > len) return;
            if (r->fields[i] == AUDIT_FILTERKEY && r->values[i] == kc->keylen &&
                memcmp(r->buf + offset, kc->key, kc->keylen) == 0)
                kc->count++;
            offset += r->values[i];
            break;
        default: break;
        }
    }
}

int rw_audit_count_rules_with_key(int fd, const char *key) {
    struct key_count kc = { key, strlen(key), 0 };
    int seq = send_request(fd, AUDIT_LIST_RULES, NULL, 0);
    if (seq < 0) return seq;
    int rc = await_reply(fd, (uint32_t)seq, AUDIT_LIST_RULES, count_key, &kc);
    return rc < 0 ? rc : kc.count;
}

int rw_audit_recv_batch(int fd, char *slots, size_t slot_size, int nslots, rw_audit_datagram *out) {
    size_t lens[RW_NETLINK_BATCH_MAX];
    uint32_t senders[RW_NETLINK_BATCH_MAX];
    if (slots == NULL || out == NULL || slot_size < NLMSG_HDRLEN || nslots <= 0) return -EINVAL;
    int n = rw_netlink_recv_batch(fd, (unsigned char *)slots, slot_size, nslots, lens, senders);
    if (n < 0) return n;
    for (int i = 0; i < n; i++) {
        char *slot = slots + (size_t)i * slot_size;
        rw_audit_datagram d = {0, (uint32_t)NLMSG_HDRLEN, 0, 0, 0};
        if (senders[i] != 0) {
            d.status = -EPERM;   /* only the kernel speaks for audit */
            d.sender = senders[i];
        } else if (lens[i] < NLMSG_HDRLEN) {
            d.status = -EBADMSG;
        } else {
            /* Multicast audit messages carry the text without NUL and sometimes a nlmsg_len that
             * covers only the payload: take min(header length, bytes received). */
            struct nlmsghdr *h = (struct nlmsghdr *)slot;
            size_t len = h->nlmsg_len > lens[i] ? lens[i] : h->nlmsg_len;
            if (len < NLMSG_HDRLEN) {
                d.status = -EBADMSG;
            } else {
                size_t body = len - NLMSG_HDRLEN;
                while (body > 0 && slot[NLMSG_HDRLEN + body - 1] == '\0') body--;
                d.type = h->nlmsg_type;
                d.length = (uint32_t)body;
            }
        }
        out[i] = d;
    }
    return n;
}

int rw_pidfd_open(int32_t pid) {
#if defined(SYS_pidfd_open)
    /* pidfds are close-on-exec by default. */
    int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    return pidfd < 0 ? -errno : pidfd;
#else
    (void)pid;
    return -ENOSYS;
#endif
}

int rw_socket_type_via(int pidfd, int32_t fd) {
#if defined(SYS_pidfd_getfd)
    int dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (dup < 0) return -errno;
    int type = 0;
    socklen_t len = sizeof type;
    int rc = getsockopt(dup, SOL_SOCKET, SO_TYPE, &type, &len);
    int e = errno;
    close(dup);
    return rc < 0 ? -e : type;
#else
    (void)pidfd; (void)fd;
    return -ENOSYS;
#endif
}

int rw_thread_set_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0) < 0 ? -errno : 0;
}
