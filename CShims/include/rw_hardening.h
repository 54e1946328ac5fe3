/* SPDX-License-Identifier: Apache-2.0 */
/* Self-hardening glue (hardening.c): capability sets through libcap, no_new_privs, and a seccomp
 * allowlist through libseccomp whose refusals are trapped (SIGSYS), answered with EPERM and counted
 * so the monitor can report them. Plain C types only; <sys/capability.h> and <seccomp.h> stay in the
 * .c file. Every function returns >= 0 on success or -errno. */
#ifndef RW_HARDENING_H
#define RW_HARDENING_H
#include <stddef.h>
#include <stdint.h>

/* Capability sets of one thread as bit masks (bit n = capability n, as in /proc/<pid>/status). */
typedef struct rw_cap_sets {
    uint64_t effective;
    uint64_t permitted;
    uint64_t inheritable;
} rw_cap_sets;

/* The highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap through
 * libcap's cap_max_bits() - 1). Returns it (>= 0) or -errno. */
int rw_caps_last(void);

/* Reads the calling thread's sets with cap_get_proc(). Returns 0 or -errno. */
int rw_caps_get(rw_cap_sets *out);

/* The calling thread's bounding set as a mask (prctl PR_CAPBSET_READ per capability). Returns 0 or -errno. */
int rw_caps_bounding(uint64_t *out);

/* libcap's name for capability `cap` ("cap_sys_admin"), lower case as libcap prints it, written
 * NUL-terminated to buf. Returns its length, -EINVAL for a number libcap cannot name, -ENOSPC when
 * buf is too small. */
int rw_caps_name(int cap, char *buf, size_t cap_len);

/* cap_from_name(): the number of a capability name ("cap_sys_admin" or "CAP_SYS_ADMIN").
 * Returns the number or -EINVAL. */
int rw_caps_from_name(const char *name);

/* Reduces EVERY thread of the process to `keep`: effective = permitted = keep, inheritable = 0,
 * ambient cleared, every capability not in `keep` dropped from the bounding set.
 * Capabilities are per thread (capset(2) changes only the caller), so the calling thread applies
 * the change itself (cap_set_proc) and every other listed thread is asked to apply it through a
 * SIGSYS sent with tgkill (SIGSYS, because libdispatch's worker threads block every asynchronous
 * signal but the synchronous ones; the same handler serves the seccomp trap and tells them apart
 * by si_code). `tids`/`count`: the other threads (from /proc/self/task); the caller verifies the
 * result by reading /proc/self/task/<tid>/status, and calls again for threads that missed it.
 * Returns the number of threads signalled, or -errno (the caller's own change failed, or a
 * tgkill failed with something else than ESRCH: a thread that exited is skipped). */
int rw_caps_restrict_all_threads(uint64_t keep, const int32_t *tids, int count);

/* How many threads applied a requested change in the SIGSYS handler, and how many failed
 * (capset or a bounding drop returned an error). Returns 0. */
int rw_caps_thread_results(uint64_t *applied, uint64_t *failed);

/* prctl(PR_SET_NO_NEW_PRIVS, 1) for the calling thread (seccomp TSYNC copies it to the others).
 * Returns 0 or -errno. */
int rw_nnp_set(void);

/* prctl(PR_GET_NO_NEW_PRIVS): 1 or 0, or -errno. */
int rw_nnp_get(void);

/* The native architecture's number for a syscall name (seccomp_syscall_resolve_name).
 * Returns it, or -ENOENT when the name is unknown on this architecture. */
int rw_seccomp_resolve(const char *name);

/* The native architecture's name for syscall `nr` (seccomp_syscall_resolve_num_arch), written
 * NUL-terminated to buf. Returns its length, -ENOENT when unknown, -ENOSPC when buf is too small. */
int rw_seccomp_name(int nr, char *buf, size_t cap);

#define RW_SECCOMP_REFUSE_TRAP 0 /* SIGSYS handler: record the syscall, make it return -EPERM */
#define RW_SECCOMP_REFUSE_KILL 1 /* SCMP_ACT_KILL_PROCESS */

/* Builds and loads (for all threads: SCMP_FLTATR_CTL_TSYNC) a filter allowing exactly `names`
 * on the native architecture; every other syscall gets the refusal `mode` (RW_SECCOMP_REFUSE_*).
 * TRAP installs the SIGSYS handler first. no_new_privs must already be set (or CAP_SYS_ADMIN held).
 * A name unknown on this architecture is an error: *bad_index (may be NULL) names it and -ENOENT is
 * returned before anything is loaded. Returns 0 or -errno (-ESRCH: TSYNC found a thread that could
 * not be synchronised; -EOPNOTSUPP: TRAP on an architecture other than x86_64 and aarch64, whose
 * return register the handler does not know). */
int rw_seccomp_install(const char *const *names, int count, int mode, int *bad_index);

/* Size of the table of refusal counters (syscall numbers at or above it share the last slot). */
#define RW_SECCOMP_COUNTERS 1024

/* Copies the per-syscall refusal counters (monotonic, written by the SIGSYS handler) into
 * out[0..min(max, RW_SECCOMP_COUNTERS)). Returns the number of slots copied. */
int rw_seccomp_refusals(uint64_t *out, int max);

/* Test-only trigger: calls unshare(CLONE_NEWUTS) once, a syscall the steady-state filter never
 * allows. Returns 0, or -errno (-EPERM once refused by the trap handler). */
int rw_hardening_test_forbidden_syscall(void);
#endif
