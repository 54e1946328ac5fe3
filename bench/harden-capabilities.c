/* SPDX-License-Identifier: Apache-2.0 */
/* Measures which capabilities the steady state needs (the input of SteadyStateCapabilities): drops
 * to the mask given, with the same shim the monitor uses, then does what the running monitor does:
 * readlink /proc/<pid>/exe and fd/0 of a root process holding every capability, and open a 0600 file
 * owned by another uid (token files with fsGroup, OCI state). Dev tool, root only:
 *   cc -o /tmp/capmeasure bench/harden-capabilities.c -lseccomp -lcap
 *   sleep 60 & f=$(mktemp); chown 1000 "$f"; chmod 600 "$f"
 *   for k in 0 0x4 0x80000 0x80004; do /tmp/capmeasure $k $! "$f"; done
 * Result on Linux 6.18 (README "Self-hardening"): CAP_SYS_PTRACE (0x80000) is what makes the /proc
 * links readable, CAP_DAC_READ_SEARCH (0x4) the file. */
#include "../CShims/hardening.c"
#include <fcntl.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s KEEP_MASK TARGET_PID FILE\n", argv[0]); return 2; }
    uint64_t keep = strtoull(argv[1], 0, 0);
    int target = atoi(argv[2]);
    int32_t none = 0;
    int rc = rw_caps_restrict_all_threads(keep, &none, 0);
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/exe", target);
    long n = readlink(path, buf, sizeof buf);
    printf("keep=%#llx restrict=%d exe:%s ", (unsigned long long)keep, rc, n >= 0 ? "ok" : strerror(errno));
    snprintf(path, sizeof path, "/proc/%d/fd/0", target);
    n = readlink(path, buf, sizeof buf);
    printf("fd/0:%s ", n >= 0 ? "ok" : strerror(errno));
    int fd = open(argv[3], O_RDONLY);
    printf("0600-file-of-another-uid:%s\n", fd >= 0 ? "ok" : strerror(errno));
    return 0;
}
