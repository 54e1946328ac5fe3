/* SPDX-License-Identifier: Apache-2.0 */
/* The batched netlink receive shared by the proc connector and audit readers (private to CShims). */
#ifndef RW_NETLINK_BATCH_H
#define RW_NETLINK_BATCH_H

#include <stddef.h>
#include <stdint.h>

/* Most datagrams one rw_netlink_recv_batch call takes. */
#define RW_NETLINK_BATCH_MAX 256

/* Takes the datagrams already queued on fd, up to nslots (at most RW_NETLINK_BATCH_MAX), in one
 * recvmmsg(2) with MSG_DONTWAIT, each into its own slot_size bytes of `slots` (a longer datagram
 * keeps its head). For each one taken: lens[i] is the bytes in its slot, senders[i] its sender's
 * netlink port id (0: the kernel; only the kernel speaks for the connector and for audit, so the
 * caller refuses any other). Returns how many were taken, or -errno (-EAGAIN: none queued;
 * -ENOBUFS: the kernel dropped datagrams for this socket). */
int rw_netlink_recv_batch(int fd, unsigned char *slots, size_t slot_size, int nslots, size_t *lens, uint32_t *senders);

#endif
