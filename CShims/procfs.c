/* SPDX-License-Identifier: Apache-2.0 */
/* procfs reads relative to an open /proc/<pid> directory. A short-lived process can exit (and its
 * pid be reused) between two reads; reading through one directory descriptor keeps every read
 * about the same process: once it is gone the reads fail with ESRCH/ENOENT instead of silently
 * describing a newcomer. */
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

int rw_proc_open(const char *path) {
    int fd;
    do {
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

long rw_proc_read(int dirfd, const char *name, void *buf, size_t cap) {
    int fd;
    do {
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return -errno;
    size_t total = 0;
    long result = 0;
    /* procfs files report size 0, so read until the buffer is full or read() returns 0. A short
     * read is NOT the end for multi-record seq_file tables such as net/tcp: they hand out about
     * one page per read(), so stopping at the first short read silently truncated socket tables
     * past ~4 KiB. The per-process files capture reads on every exec (cmdline, stat, status,
     * cgroup) are produced in one piece (single_open seq_files; cmdline loops over the whole
     * argument area), so for them a short read IS the end: that saves one read() per file. */
    int whole_in_one_read = strncmp(name, "net/", 4) != 0;
    while (total < cap) {
        size_t want = cap - total;
        ssize_t n = read(fd, (char *)buf + total, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            result = -errno;
            break;
        }
        if (n == 0) break;
        total += (size_t)n;
        if (whole_in_one_read && (size_t)n < want) break;
    }
    close(fd);
    return result < 0 ? result : (long)total;
}

int rw_proc_openat(int dirfd, const char *name) {
    int fd;
    do {
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

long rw_proc_pread_start(int fd, void *buf, size_t cap) {
    ssize_t n;
    do {
        n = pread(fd, buf, cap, 0);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : (long)n;
}

long rw_proc_pread(int dirfd, const char *name, uint64_t offset, void *buf, size_t cap) {
    if (offset > (uint64_t)INT64_MAX) return -EINVAL;
    int fd;
    do {
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return -errno;
    ssize_t n;
    do {
        n = pread(fd, buf, cap, (off_t)offset);
    } while (n < 0 && errno == EINTR);
    long result = n < 0 ? -errno : (long)n;
    close(fd);
    return result;
}

long rw_proc_readlink(int dirfd, const char *name, char *buf, size_t cap) {
    ssize_t n = readlinkat(dirfd, name, buf, cap);
    return n < 0 ? -errno : (long)n;
}

int rw_proc_close(int fd) {
    return close(fd) < 0 ? -errno : 0;
}

int rw_proc_fifo_inode(int dirfd, const char *name, uint64_t *inode) {
    struct stat st;
    if (fstatat(dirfd, name, &st, 0) < 0) return -errno;
    if (!S_ISFIFO(st.st_mode)) return 0;
    *inode = (uint64_t)st.st_ino;
    return 1;
}

int rw_proc_exe_identity(int dirfd, rw_exe_identity *out) {
    struct stat st;
    if (fstatat(dirfd, "exe", &st, 0) < 0) return -errno;
    out->dev = (uint64_t)st.st_dev;
    out->ino = (uint64_t)st.st_ino;
    out->ctime_sec = (int64_t)st.st_ctim.tv_sec;
    out->ctime_nsec = (int64_t)st.st_ctim.tv_nsec;
    out->mode = (uint32_t)st.st_mode;
    return 0;
}

int rw_path_has_file_capabilities(const char *path) {
    return path != NULL && getxattr(path, "security.capability", NULL, 0) >= 0 ? 1 : 0;
}

long rw_root_read(int rootfd, const char *path, void *buf, size_t cap) {
    if (path == NULL) return -EINVAL;
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, .mode = 0,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    long fd;
    do {
        fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return -errno;
    struct stat st;
    long result;
    if (fstat((int)fd, &st) < 0) {
        result = -errno;
    } else if (!S_ISREG(st.st_mode)) {
        result = -EINVAL;
    } else if ((size_t)st.st_size > cap) {
        result = -EFBIG;
    } else {
        size_t total = 0;
        result = 0;
        while (total < cap) {
            ssize_t n = read((int)fd, (char *)buf + total, cap - total);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) { result = -errno; break; }
            if (n == 0) break;
            total += (size_t)n;
        }
        if (result == 0) {
            /* A file that grew past cap after fstat is as too large as one that was. */
            char extra;
            ssize_t more = total == cap ? read((int)fd, &extra, 1) : 0;
            result = more > 0 ? -EFBIG : (long)total;
        }
    }
    close((int)fd);
    return result;
}

int rw_root_is_own(int rootfd) {
    struct stat theirs, ours;
    if (fstat(rootfd, &theirs) < 0) return -errno;
    if (stat("/", &ours) < 0) return -errno;
    return (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino) ? 1 : 0;
}
