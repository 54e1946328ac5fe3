/* SPDX-License-Identifier: Apache-2.0 */
/* Read-only listener on the kernel audit log multicast group (AUDIT_NLGRP_READLOG). Used to
 * evaluate completing argv of processes that exit before /proc can be read (EXECVE records). */
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/netlink.h>

_Static_assert(RW_AUDIT_TEXT_CAPACITY > RW_AUDIT_MAX_MESSAGE, "audit text buffer");

int rw_audit_open_readlog(int rcvbuf_bytes, int recv_timeout_ms) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    if (fd < 0) return -errno;
    int err = 0;
    if (rcvbuf_bytes > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof rcvbuf_bytes) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes, sizeof rcvbuf_bytes) < 0) {
        err = -errno;
        goto fail;
    }
    if (recv_timeout_ms > 0) {
        struct timeval tv = {.tv_sec = recv_timeout_ms / 1000, .tv_usec = (recv_timeout_ms % 1000) * 1000};
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
            err = -errno;
            goto fail;
        }
    }
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        err = -errno;
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return err;
}

int rw_audit_recv(int fd, uint16_t *type, char *text, size_t cap) {
    unsigned char buf[sizeof(struct nlmsghdr) + RW_AUDIT_MAX_MESSAGE + 64] __attribute__((aligned(8)));
    if (cap == 0) return -ENOSPC;
    ssize_t n = recv(fd, buf, sizeof buf, MSG_TRUNC);
    if (n < 0) return -errno;
    if ((size_t)n > sizeof buf || (size_t)n < sizeof(struct nlmsghdr)) return -EBADMSG;
    struct nlmsghdr nh;
    memcpy(&nh, buf, sizeof nh);
    if (nh.nlmsg_len < sizeof nh || nh.nlmsg_len > (size_t)n) return -EBADMSG;
    size_t len = nh.nlmsg_len - sizeof nh;
    if (len >= cap) return -ENOSPC;
    *type = nh.nlmsg_type;
    memcpy(text, buf + sizeof nh, len);
    /* The kernel may count a trailing NUL in the length; the text ends at the first NUL. */
    text[len] = '\0';
    return (int)strnlen(text, len);
}
