/* SPDX-License-Identifier: Apache-2.0 */
/* Per-thread scheduling. On Linux a nice value belongs to a thread (task), not to the process,
 * which lets capture raise only its receive thread; Swift cannot call gettid()/syscall() itself
 * (variadic), hence this shim. */
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int rw_sched_set_thread_nice(int nice) {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    return setpriority(PRIO_PROCESS, (id_t)tid, nice) < 0 ? -errno : 0;
}
