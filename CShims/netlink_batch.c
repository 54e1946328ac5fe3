/* SPDX-License-Identifier: Apache-2.0 */
/* One recvmmsg(2) for every datagram queued on a netlink socket: the proc connector and audit
 * readers take a whole burst per system call instead of one receive per record. */
#define _GNU_SOURCE
#include "netlink_batch.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>

int rw_netlink_recv_batch(int fd, unsigned char *slots, size_t slot_size, int nslots, size_t *lens, uint32_t *senders) {
    struct mmsghdr msgs[RW_NETLINK_BATCH_MAX];
    struct iovec iovs[RW_NETLINK_BATCH_MAX];
    struct sockaddr_nl from[RW_NETLINK_BATCH_MAX];
    if (slots == NULL || lens == NULL || senders == NULL || slot_size == 0 || nslots <= 0) return -EINVAL;
    if (nslots > RW_NETLINK_BATCH_MAX) nslots = RW_NETLINK_BATCH_MAX;
    memset(msgs, 0, sizeof msgs[0] * (size_t)nslots);
    for (int i = 0; i < nslots; i++) {
        iovs[i].iov_base = slots + (size_t)i * slot_size;
        iovs[i].iov_len = slot_size;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n = recvmmsg(fd, msgs, (unsigned)nslots, MSG_DONTWAIT, NULL);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
        /* A datagram longer than its slot has MSG_TRUNC set and its tail missing; the decoders
         * then report the truncated message. */
        lens[i] = msgs[i].msg_len > slot_size ? slot_size : msgs[i].msg_len;
        senders[i] = msgs[i].msg_hdr.msg_namelen >= sizeof(struct sockaddr_nl) ? from[i].nl_pid : 0;
    }
    return n;
}
