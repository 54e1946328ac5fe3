/* SPDX-License-Identifier: Apache-2.0 */
/* Shared leases on one file with open-file-description (OFD) byte-range locks: several
 * runtime-watch instances on one host share kernel state (the audit connect rule, the audit
 * enabled flag) and only the last one out may remove it. The kernel drops an OFD lock when its
 * holder closes the file or dies, so a crashed instance never holds a lease. */
#ifndef RW_LEASE_H
#define RW_LEASE_H
#include <stdint.h>

/* Opens (creating, mode 0600) the lease file and its parent directory (mode 0700) if missing.
 * Returns the fd (close-on-exec) or -errno. */
int rw_lease_open(const char *path);

/* Write-locks the byte at `offset` for this open file description. wait != 0 blocks until it is
 * free (F_OFD_SETLKW); otherwise returns -EAGAIN when another description holds it.
 * Returns 0 or -errno. */
int rw_lease_lock(int fd, int64_t offset, int wait);

/* Releases the byte at `offset`. Returns 0 or -errno. */
int rw_lease_unlock(int fd, int64_t offset);

/* Whether another open file description holds any lock at or after `from` (F_OFD_GETLK: a
 * description's own locks never conflict with itself). Returns 1 yes, 0 no, or -errno. */
int rw_lease_others_hold(int fd, int64_t from);

#endif
