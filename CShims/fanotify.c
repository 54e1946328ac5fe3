/* SPDX-License-Identifier: Apache-2.0 */
/* fanotify(7) glue for the token watcher: one syscall per function plus the decoding of
 * fanotify_event_metadata records into plain structs. The kernel's FAN_EVENT_OK/FAN_EVENT_NEXT
 * macros become functions here because Swift cannot import function-like macros. */
#define _GNU_SOURCE
#include "rw_fanotify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The header repeats the ABI values so Swift does not need <sys/fanotify.h>; keep them honest. */
_Static_assert(RW_FAN_CLOEXEC == FAN_CLOEXEC, "FAN_CLOEXEC");
_Static_assert(RW_FAN_NONBLOCK == FAN_NONBLOCK, "FAN_NONBLOCK");
_Static_assert(RW_FAN_CLASS_NOTIF == FAN_CLASS_NOTIF, "FAN_CLASS_NOTIF");
_Static_assert(RW_FAN_CLASS_CONTENT == FAN_CLASS_CONTENT, "FAN_CLASS_CONTENT");
_Static_assert(RW_FAN_CLASS_PRE_CONTENT == FAN_CLASS_PRE_CONTENT, "FAN_CLASS_PRE_CONTENT");
_Static_assert(RW_FAN_UNLIMITED_QUEUE == FAN_UNLIMITED_QUEUE, "FAN_UNLIMITED_QUEUE");
_Static_assert(RW_FAN_UNLIMITED_MARKS == FAN_UNLIMITED_MARKS, "FAN_UNLIMITED_MARKS");
_Static_assert(RW_FAN_REPORT_TID == FAN_REPORT_TID, "FAN_REPORT_TID");
_Static_assert(RW_FAN_MARK_ADD == FAN_MARK_ADD, "FAN_MARK_ADD");
_Static_assert(RW_FAN_MARK_REMOVE == FAN_MARK_REMOVE, "FAN_MARK_REMOVE");
_Static_assert(RW_FAN_MARK_DONT_FOLLOW == FAN_MARK_DONT_FOLLOW, "FAN_MARK_DONT_FOLLOW");
_Static_assert(RW_FAN_MARK_ONLYDIR == FAN_MARK_ONLYDIR, "FAN_MARK_ONLYDIR");
_Static_assert(RW_FAN_MARK_MOUNT == FAN_MARK_MOUNT, "FAN_MARK_MOUNT");
_Static_assert(RW_FAN_MARK_FLUSH == FAN_MARK_FLUSH, "FAN_MARK_FLUSH");
_Static_assert(RW_FAN_MARK_FILESYSTEM == FAN_MARK_FILESYSTEM, "FAN_MARK_FILESYSTEM");
_Static_assert(RW_FAN_ACCESS == FAN_ACCESS, "FAN_ACCESS");
_Static_assert(RW_FAN_MODIFY == FAN_MODIFY, "FAN_MODIFY");
_Static_assert(RW_FAN_ATTRIB == FAN_ATTRIB, "FAN_ATTRIB");
_Static_assert(RW_FAN_CLOSE_WRITE == FAN_CLOSE_WRITE, "FAN_CLOSE_WRITE");
_Static_assert(RW_FAN_CLOSE_NOWRITE == FAN_CLOSE_NOWRITE, "FAN_CLOSE_NOWRITE");
_Static_assert(RW_FAN_OPEN == FAN_OPEN, "FAN_OPEN");
_Static_assert(RW_FAN_OPEN_EXEC == FAN_OPEN_EXEC, "FAN_OPEN_EXEC");
_Static_assert(RW_FAN_Q_OVERFLOW == FAN_Q_OVERFLOW, "FAN_Q_OVERFLOW");
_Static_assert(RW_FAN_OPEN_PERM == FAN_OPEN_PERM, "FAN_OPEN_PERM");
_Static_assert(RW_FAN_ACCESS_PERM == FAN_ACCESS_PERM, "FAN_ACCESS_PERM");
_Static_assert(RW_FAN_OPEN_EXEC_PERM == FAN_OPEN_EXEC_PERM, "FAN_OPEN_EXEC_PERM");
_Static_assert(RW_FAN_ONDIR == FAN_ONDIR, "FAN_ONDIR");
_Static_assert(RW_FAN_EVENT_ON_CHILD == FAN_EVENT_ON_CHILD, "FAN_EVENT_ON_CHILD");
_Static_assert(RW_FAN_NOFD == FAN_NOFD, "FAN_NOFD");
_Static_assert(RW_RESOLVE_NO_MAGICLINKS == RESOLVE_NO_MAGICLINKS, "RESOLVE_NO_MAGICLINKS");
_Static_assert(RW_RESOLVE_IN_ROOT == RESOLVE_IN_ROOT, "RESOLVE_IN_ROOT");
_Static_assert(sizeof(struct fanotify_event_metadata) == FAN_EVENT_METADATA_LEN, "metadata size");

int rw_fan_init(uint32_t flags) {
    int fd = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int rw_fan_mark(int fd, uint32_t flags, uint64_t mask, int dirfd, const char *path) {
    return fanotify_mark(fd, flags, mask, dirfd, path) == 0 ? 0 : -errno;
}

/* Reads event_len without assuming the record is aligned (tests hand in arbitrary byte buffers). */
static uint32_t record_event_len(const void *record) {
    uint32_t len;
    memcpy(&len, (const char *)record + offsetof(struct fanotify_event_metadata, event_len), sizeof len);
    return len;
}

int rw_fan_event_ok(const void *record, size_t remaining) {
    if (record == NULL || remaining < FAN_EVENT_METADATA_LEN) return 0;
    uint32_t len = record_event_len(record);
    return len >= FAN_EVENT_METADATA_LEN && len <= remaining;
}

const void *rw_fan_event_next(const void *record, size_t *remaining) {
    uint32_t len = record_event_len(record);
    *remaining -= len;
    return (const char *)record + len;
}

int rw_fan_decode(const void *buf, size_t len, rw_fan_event *out, int max, rw_fan_decode_status *status) {
    rw_fan_decode_status local = {0, 0, 0, 0};
    if (status == NULL) status = &local;
    *status = local;
    if ((buf == NULL && len > 0) || max < 0 || (out == NULL && max > 0)) return -EINVAL;

    const char *start = buf;
    const void *record = buf;
    size_t remaining = len;
    int count = 0;
    while (remaining > 0) {
        status->offset = (uint32_t)((const char *)record - start);
        status->version = 0;
        status->event_len = 0;
        if (remaining < FAN_EVENT_METADATA_LEN) { /* header cut short */
            status->error = -EBADMSG;
            return count;
        }
        struct fanotify_event_metadata meta;
        memcpy(&meta, record, sizeof meta);
        status->version = meta.vers;
        status->event_len = meta.event_len;
        if (meta.vers != FANOTIFY_METADATA_VERSION) {
            status->error = -EPROTO;
            return count;
        }
        if (!rw_fan_event_ok(record, remaining) || meta.metadata_len < FAN_EVENT_METADATA_LEN ||
            meta.metadata_len > meta.event_len) {
            status->error = -EBADMSG;
            return count;
        }
        if (count == max) {
            status->error = -ENOSPC;
            return count;
        }
        out[count].mask = meta.mask;
        out[count].pid = meta.pid;
        out[count].fd = meta.fd;
        count++;
        record = rw_fan_event_next(record, &remaining);
    }
    status->offset = (uint32_t)len;
    status->version = 0;
    status->event_len = 0;
    return count;
}

int rw_fan_read(int fd, rw_fan_event *out, int max, rw_fan_decode_status *status) {
    struct fanotify_event_metadata buf[RW_FAN_READ_MAX];
    if (max <= 0 || out == NULL) return -EINVAL;
    size_t records = (size_t)(max < RW_FAN_READ_MAX ? max : RW_FAN_READ_MAX);
    ssize_t n = read(fd, buf, records * sizeof buf[0]);
    if (n < 0) return -errno;
    return rw_fan_decode(buf, (size_t)n, out, max, status);
}

int rw_fan_respond(int fd, int event_fd, int allow) {
    struct fanotify_response response = {.fd = event_fd, .response = allow ? FAN_ALLOW : FAN_DENY};
    ssize_t n = write(fd, &response, sizeof response);
    if (n < 0) return -errno;
    return n == (ssize_t)sizeof response ? 0 : -EIO;
}

int rw_fan_fd_path(int event_fd, char *out, size_t cap) {
    char link[40];
    if (out == NULL || cap == 0) return -EINVAL;
    snprintf(link, sizeof link, "/proc/self/fd/%d", event_fd);
    ssize_t n = readlink(link, out, cap);
    if (n < 0) return -errno;
    if ((size_t)n >= cap) return -ENAMETOOLONG;
    out[n] = '\0';
    return (int)n;
}

int rw_fan_fd_identity(int fd, uint64_t *device, uint64_t *inode) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    *device = (uint64_t)st.st_dev;
    *inode = (uint64_t)st.st_ino;
    return 0;
}

int rw_fan_open_path(int dirfd, const char *path, uint32_t resolve) {
    if (path == NULL) return -EINVAL;
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .mode = 0, .resolve = resolve};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0) return (int)fd;
    if (errno != ENOSYS || (resolve & RESOLVE_IN_ROOT)) return -errno;
    fd = openat(dirfd, path, O_PATH | O_CLOEXEC);
    return fd >= 0 ? (int)fd : -errno;
}
