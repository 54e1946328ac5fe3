/* SPDX-License-Identifier: Apache-2.0 */
/* fanotify glue: plain structs and constants so Swift never sees <sys/fanotify.h> or a kernel macro.
 * Every function returns >= 0 on success or -errno; none allocates, logs or keeps state.
 * The RW_FAN_* values are the kernel ABI values; fanotify.c checks each against the libc header. */
#ifndef RW_FANOTIFY_H
#define RW_FANOTIFY_H
#include <stddef.h>
#include <stdint.h>

/* fanotify_init(2) flags. */
#define RW_FAN_CLOEXEC         0x00000001u
#define RW_FAN_NONBLOCK        0x00000002u
#define RW_FAN_CLASS_NOTIF     0x00000000u
#define RW_FAN_CLASS_CONTENT   0x00000004u
#define RW_FAN_CLASS_PRE_CONTENT 0x00000008u
#define RW_FAN_UNLIMITED_QUEUE 0x00000010u
#define RW_FAN_UNLIMITED_MARKS 0x00000020u
#define RW_FAN_REPORT_TID      0x00000100u

/* fanotify_mark(2) flags. */
#define RW_FAN_MARK_ADD        0x00000001u
#define RW_FAN_MARK_REMOVE     0x00000002u
#define RW_FAN_MARK_DONT_FOLLOW 0x00000004u
#define RW_FAN_MARK_ONLYDIR    0x00000008u
#define RW_FAN_MARK_MOUNT      0x00000010u
#define RW_FAN_MARK_FLUSH      0x00000080u
#define RW_FAN_MARK_FILESYSTEM 0x00000100u

/* Event mask bits. */
#define RW_FAN_ACCESS          0x00000001ull
#define RW_FAN_MODIFY          0x00000002ull
#define RW_FAN_ATTRIB          0x00000004ull
#define RW_FAN_CLOSE_WRITE     0x00000008ull
#define RW_FAN_CLOSE_NOWRITE   0x00000010ull
#define RW_FAN_OPEN            0x00000020ull
#define RW_FAN_OPEN_EXEC       0x00001000ull
#define RW_FAN_Q_OVERFLOW      0x00004000ull
#define RW_FAN_OPEN_PERM       0x00010000ull
#define RW_FAN_ACCESS_PERM     0x00020000ull
#define RW_FAN_OPEN_EXEC_PERM  0x00040000ull
#define RW_FAN_ONDIR           0x40000000ull
#define RW_FAN_EVENT_ON_CHILD  0x08000000ull

/* The fd value of an event that carries no file (queue overflow). */
#define RW_FAN_NOFD            (-1)

/* Most events one rw_fan_read call returns (its stack buffer holds this many bare records). */
#define RW_FAN_READ_MAX        64

/* openat2(2) RESOLVE_* flags used when resolving a file to mark. */
#define RW_RESOLVE_NO_MAGICLINKS 0x02u
#define RW_RESOLVE_IN_ROOT       0x10u

/* One decoded fanotify_event_metadata record. */
typedef struct {
    uint64_t mask; /* FAN_* bits that fired */
    int32_t pid;   /* tgid of the opener, or its tid when the group was made with FAN_REPORT_TID */
    int32_t fd;    /* event file descriptor (owned by the caller now), or RW_FAN_NOFD */
} rw_fan_event;

/* What rw_fan_decode/rw_fan_read could not decode. Decoding stops at the first bad record; the
 * records before it are returned normally (their fds must still be answered and closed). */
typedef struct {
    int32_t error;       /* 0, -EPROTO (metadata version differs), -EBADMSG (length out of bounds),
                            -ENOSPC (more records than `max`) */
    uint32_t offset;     /* byte offset of the first record not decoded */
    uint32_t version;    /* the vers byte found there, for the error message */
    uint32_t event_len;  /* the event_len found there (0 when the header itself was truncated) */
} rw_fan_decode_status;

/* fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC). Returns the group fd or -errno. */
int rw_fan_init(uint32_t flags);

/* fanotify_mark(fd, flags, mask, dirfd, path). path may be NULL: then dirfd itself is marked (the
 * kernel rejects O_PATH descriptors there with EBADF).
 * Returns 0 or -errno. */
int rw_fan_mark(int fd, uint32_t flags, uint64_t mask, int dirfd, const char *path);

/* FAN_EVENT_OK as a function: 1 if a whole record starts at `record` within `remaining` bytes. */
int rw_fan_event_ok(const void *record, size_t remaining);

/* FAN_EVENT_NEXT as a function: the record after `record`; decrements *remaining by its length. */
const void *rw_fan_event_next(const void *record, size_t *remaining);

/* Decodes `len` bytes of fanotify_event_metadata records into out[0..max). Pure: no syscall.
 * Returns the number of events written (>= 0); *status (may be NULL) says whether and where it
 * stopped early. A zero-length buffer decodes to 0 events. Returns -EINVAL for a NULL buffer with
 * len > 0 or a negative max. */
int rw_fan_decode(const void *buf, size_t len, rw_fan_event *out, int max, rw_fan_decode_status *status);

/* One read(2) of the group fd into a stack buffer sized for min(max, RW_FAN_READ_MAX) records,
 * then rw_fan_decode. Never reads more records than `out` can hold, so no event fd is lost.
 * Returns the number of events (>= 0), or -errno (-EAGAIN when a non-blocking group is empty). */
int rw_fan_read(int fd, rw_fan_event *out, int max, rw_fan_decode_status *status);

/* Writes struct fanotify_response { event_fd, allow ? FAN_ALLOW : FAN_DENY }. Returns 0 or -errno
 * (-ENOENT when the event was already answered or was not a permission event). */
int rw_fan_respond(int fd, int event_fd, int allow);

/* readlink("/proc/self/fd/<event_fd>") into out (NUL-terminated). Returns the length, -ENAMETOOLONG
 * if it did not fit, or -errno. */
int rw_fan_fd_path(int event_fd, char *out, size_t cap);

/* fstat(fd): the file's device and inode. Returns 0 or -errno. */
int rw_fan_fd_identity(int fd, uint64_t *device, uint64_t *inode);

/* openat2(dirfd, path, O_PATH | O_CLOEXEC, resolve) for a file to mark by descriptor (an O_PATH
 * open generates no fanotify event). Falls back to openat(2) when openat2 is missing (ENOSYS) and
 * `resolve` does not ask for RESOLVE_IN_ROOT. Returns the O_PATH fd or -errno. */
int rw_fan_open_path(int dirfd, const char *path, uint32_t resolve);

#endif
