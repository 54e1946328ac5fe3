/* SPDX-License-Identifier: Apache-2.0 */
/* The one wait of the capture threads: ppoll(2), for its nanosecond timeout (a hand-off due in
 * 300 us must not sleep a whole millisecond, as poll(2) would), which Swift's Glibc does not
 * export. */
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

int rw_wait_readable(int fd_a, int fd_b, int64_t timeout_ns) {
    struct pollfd fds[2] = {{.fd = fd_a, .events = POLLIN}, {.fd = fd_b, .events = POLLIN}};
    struct timespec ts = {.tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000};
    int n = ppoll(fds, 2, timeout_ns < 0 ? NULL : &ts, NULL);
    if (n < 0) return -errno;
    /* POLLERR (a netlink ENOBUFS pending) counts as readable: the receive reports the overflow. */
    return ((fds[0].revents & (POLLIN | POLLERR)) ? 1 : 0) | ((fds[1].revents & (POLLIN | POLLERR)) ? 2 : 0);
}
