/* SPDX-License-Identifier: Apache-2.0 */
/* OFD byte-range leases (see rw_lease.h): how concurrent monitors agree who cleans up. */
#define _GNU_SOURCE
#include "rw_lease.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_parent_directory(const char *path) {
    char dir[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof dir) return -ENAMETOOLONG;
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir) return 0;
    *slash = '\0';
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -errno;
    return 0;
}

int rw_lease_open(const char *path) {
    int rc = make_parent_directory(path);
    if (rc < 0) return rc;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    return fd < 0 ? -errno : fd;
}

static struct flock byte_range(short type, int64_t offset, int64_t length) {
    struct flock l;
    memset(&l, 0, sizeof l); /* F_OFD_* require l_pid == 0 */
    l.l_type = type;
    l.l_whence = SEEK_SET;
    l.l_start = (off_t)offset;
    l.l_len = (off_t)length;
    return l;
}

int rw_lease_lock(int fd, int64_t offset, int wait) {
    struct flock l = byte_range(F_WRLCK, offset, 1);
    for (;;) {
        if (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &l) == 0) return 0;
        if (errno == EINTR && wait) continue;
        return (errno == EACCES) ? -EAGAIN : -errno;
    }
}

int rw_lease_unlock(int fd, int64_t offset) {
    struct flock l = byte_range(F_UNLCK, offset, 1);
    return fcntl(fd, F_OFD_SETLK, &l) == 0 ? 0 : -errno;
}

int rw_lease_others_hold(int fd, int64_t from) {
    struct flock l = byte_range(F_WRLCK, from, 0); /* length 0: to the end of any file */
    if (fcntl(fd, F_OFD_GETLK, &l) != 0) return -errno;
    return l.l_type == F_UNLCK ? 0 : 1;
}
