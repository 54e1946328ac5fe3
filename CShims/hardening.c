/* SPDX-License-Identifier: Apache-2.0 */
/* Self-hardening glue: capabilities (libcap), no_new_privs (prctl) and the seccomp allowlist
 * (libseccomp). No policy here: which capabilities and syscalls to keep is decided in Swift
 * (RuntimeWatchSystem/Hardening). See rw_hardening.h for the contracts.
 *
 * Why refused syscalls TRAP instead of returning ERRNO: SCMP_ACT_ERRNO(EPERM) makes the kernel
 * answer EPERM silently; nothing in the process learns that the filter fired, so a missing
 * allowlist entry (or an exploited monitor probing the kernel) would go unnoticed. SCMP_ACT_TRAP
 * raises SIGSYS on the calling thread with the syscall number in siginfo; the handler below counts
 * it (lock-free, async-signal-safe) and writes -EPERM into the syscall's return register, so the
 * caller still sees a plain EPERM failure and a Swift poller turns the counters into a log line,
 * a metric and an internal alert. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include "include/rw_hardening.h"

/* Architectures whose syscall return register the trap handler knows how to set. */
#if defined(__x86_64__) || defined(__aarch64__)
#define RW_TRAP_CAN_RETURN_EPERM 1
#else
#define RW_TRAP_CAN_RETURN_EPERM 0
#endif

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* siginfo si_code of a seccomp trap */
#endif

/* ---------------------------------------------------------------------------------------------- */
/* Capabilities                                                                                    */

int rw_caps_last(void) {
    int bits = (int)cap_max_bits();
    if (bits <= 0 || bits > 64) return -EINVAL;
    return bits - 1;
}

static uint64_t flag_mask(cap_t caps, cap_flag_t which, int last) {
    uint64_t mask = 0;
    for (int c = 0; c <= last; c++) {
        cap_flag_value_t v = CAP_CLEAR;
        if (cap_get_flag(caps, (cap_value_t)c, which, &v) == 0 && v == CAP_SET) mask |= (1ull << c);
    }
    return mask;
}

int rw_caps_get(rw_cap_sets *out) {
    int last = rw_caps_last();
    if (last < 0) return last;
    cap_t caps = cap_get_proc();
    if (caps == NULL) return -errno;
    out->effective = flag_mask(caps, CAP_EFFECTIVE, last);
    out->permitted = flag_mask(caps, CAP_PERMITTED, last);
    out->inheritable = flag_mask(caps, CAP_INHERITABLE, last);
    cap_free(caps);
    return 0;
}

int rw_caps_bounding(uint64_t *out) {
    int last = rw_caps_last();
    if (last < 0) return last;
    uint64_t mask = 0;
    for (int c = 0; c <= last; c++) {
        int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
        if (r < 0) return -errno;
        if (r == 1) mask |= (1ull << c);
    }
    *out = mask;
    return 0;
}

int rw_caps_name(int cap, char *buf, size_t cap_len) {
    if (cap < 0 || cap > 63) return -EINVAL;
    char *name = cap_to_name((cap_value_t)cap);
    if (name == NULL) return -EINVAL;
    size_t n = strlen(name);
    int rc;
    if (n + 1 > cap_len) rc = -ENOSPC;
    else { memcpy(buf, name, n + 1); rc = (int)n; }
    cap_free(name);
    return rc;
}

int rw_caps_from_name(const char *name) {
    cap_value_t v;
    if (cap_from_name(name, &v) != 0) return -EINVAL;
    return (int)v;
}

/* The change every thread applies: set by rw_caps_restrict_all_threads before any signal is sent. */
static _Atomic uint64_t requested_keep;
static _Atomic int requested_last = -1;
static _Atomic int restrict_pending;
static _Atomic uint64_t threads_applied;
static _Atomic uint64_t threads_failed;

/* Applies the requested change to the calling thread with raw syscalls only (async-signal-safe;
 * libcap's cap_set_proc takes a lock and is not). Returns 0 or -errno. */
static int restrict_this_thread(uint64_t keep, int last) {
    for (int c = 0; c <= last; c++) {
        if (keep & (1ull << c)) continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) return -errno;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -errno;
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].effective = data[0].permitted = (uint32_t)keep;
    data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
    if (syscall(SYS_capset, &header, data) != 0) return -errno;
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* The SIGSYS handler: seccomp refusals and the capability broadcast.                              */

static _Atomic uint64_t refusals[RW_SECCOMP_COUNTERS];

static void on_sigsys(int sig, siginfo_t *info, void *context) {
    (void)sig;
    int saved = errno;
    if (info->si_code == SYS_SECCOMP) {
        int nr = info->si_syscall;
        int slot = (nr >= 0 && nr < RW_SECCOMP_COUNTERS) ? nr : RW_SECCOMP_COUNTERS - 1;
        atomic_fetch_add_explicit(&refusals[slot], 1, memory_order_relaxed);
#if defined(__x86_64__)
        ((ucontext_t *)context)->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
        ((ucontext_t *)context)->uc_mcontext.regs[0] = (unsigned long long)(long long)-EPERM;
#else
        (void)context; /* not reached: TRAP is refused at install time here */
#endif
    } else if (info->si_code == SI_TKILL && info->si_pid == getpid()
               && atomic_load_explicit(&restrict_pending, memory_order_acquire)) {
        int rc = restrict_this_thread(atomic_load(&requested_keep), atomic_load(&requested_last));
        atomic_fetch_add_explicit(rc == 0 ? &threads_applied : &threads_failed, 1, memory_order_relaxed);
    }
    errno = saved;
}

static int install_sigsys_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0) return -errno;
    return 0;
}

int rw_caps_restrict_all_threads(uint64_t keep, const int32_t *tids, int count) {
    int last = rw_caps_last();
    if (last < 0) return last;
    int rc = install_sigsys_handler();
    if (rc < 0) return rc;
    atomic_store(&requested_keep, keep);
    atomic_store(&requested_last, last);
    atomic_store_explicit(&restrict_pending, 1, memory_order_release);

    /* The caller first, through libcap. */
    for (int c = 0; c <= last; c++) {
        if (keep & (1ull << c)) continue;
        if (cap_drop_bound((cap_value_t)c) != 0 && errno != EINVAL) return -errno;
    }
    if (cap_reset_ambient() != 0 && errno != EINVAL) return -errno;
    cap_t caps = cap_init(); /* all clear */
    if (caps == NULL) return -errno;
    cap_value_t list[64];
    int n = 0;
    for (int c = 0; c <= last; c++) if (keep & (1ull << c)) list[n++] = (cap_value_t)c;
    if (n > 0 && (cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) != 0
                  || cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) != 0)) {
        int e = errno;
        cap_free(caps);
        return -e;
    }
    int set = cap_set_proc(caps);
    int e = errno;
    cap_free(caps);
    if (set != 0) return -e;

    pid_t self = getpid(), me = (pid_t)syscall(SYS_gettid);
    int signalled = 0;
    for (int i = 0; i < count; i++) {
        if (tids[i] == me) continue;
        if (syscall(SYS_tgkill, self, tids[i], SIGSYS) != 0) {
            if (errno == ESRCH) continue;
            return -errno;
        }
        signalled++;
    }
    return signalled;
}

int rw_caps_thread_results(uint64_t *applied, uint64_t *failed) {
    *applied = atomic_load(&threads_applied);
    *failed = atomic_load(&threads_failed);
    return 0;
}

int rw_nnp_set(void) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
    return 0;
}

int rw_nnp_get(void) {
    int r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    return r < 0 ? -errno : r;
}

/* ---------------------------------------------------------------------------------------------- */
/* seccomp                                                                                          */

int rw_seccomp_resolve(const char *name) {
    /* Negative numbers are libseccomp's pseudo-syscalls: names that do not exist natively here. */
    int nr = seccomp_syscall_resolve_name(name);
    return nr < 0 ? -ENOENT : nr;
}

int rw_seccomp_name(int nr, char *buf, size_t cap) {
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (name == NULL) return -ENOENT;
    size_t n = strlen(name);
    int rc;
    if (n + 1 > cap) rc = -ENOSPC;
    else { memcpy(buf, name, n + 1); rc = (int)n; }
    free(name);
    return rc;
}

int rw_seccomp_install(const char *const *names, int count, int mode, int *bad_index) {
    if (bad_index) *bad_index = -1;
    for (int i = 0; i < count; i++) {
        if (seccomp_syscall_resolve_name(names[i]) < 0) {
            if (bad_index) *bad_index = i;
            return -ENOENT;
        }
    }
    /* Elsewhere the handler could not make the call fail with EPERM: refuse to install TRAP. */
    if (mode == RW_SECCOMP_REFUSE_TRAP && !RW_TRAP_CAN_RETURN_EPERM) return -EOPNOTSUPP;
    uint32_t refuse = mode == RW_SECCOMP_REFUSE_KILL ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP;
    if (mode == RW_SECCOMP_REFUSE_TRAP) {
        int rc = install_sigsys_handler();
        if (rc < 0) return rc;
    }
    scmp_filter_ctx ctx = seccomp_init(refuse);
    if (ctx == NULL) return -ENOMEM;
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    /* Other architectures' syscalls (int 0x80 on x86_64) are killed, never trapped as "refused". */
    if (rc == 0) rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    for (int i = 0; rc == 0 && i < count; i++) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(names[i]), 0);
        if (rc != 0 && bad_index) *bad_index = i;
    }
    if (rc == 0) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc < 0 ? rc : 0;
}

int rw_seccomp_refusals(uint64_t *out, int max) {
    int n = max < RW_SECCOMP_COUNTERS ? max : RW_SECCOMP_COUNTERS;
    for (int i = 0; i < n; i++) out[i] = atomic_load_explicit(&refusals[i], memory_order_relaxed);
    return n;
}

int rw_hardening_test_forbidden_syscall(void) {
    /* unshare(0) changes nothing when allowed, so the trigger is harmless without the filter. */
    if (syscall(SYS_unshare, 0) != 0) return -errno;
    return 0;
}
