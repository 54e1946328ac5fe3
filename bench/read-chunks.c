// SPDX-License-Identifier: Apache-2.0
// How the size of each read(2) changes the cost of reading a trace and finding its lines: reads FILE
// in CHUNK-byte reads into one buffer and counts the newlines with memchr, as LineReader does, and
// prints the seconds it took. A chunk larger than the CPU's L2 cache is written out of the cache
// before it is scanned (BENCHMARKS section 19).
// Usage: cc -O2 -o /tmp/read-chunks bench/read-chunks.c && /tmp/read-chunks FILE CHUNK
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: read-chunks FILE CHUNK\n"); return 2; }
    long chunk = atol(argv[2]);
    if (chunk < 4096 || chunk > (64L << 20)) { fprintf(stderr, "read-chunks: CHUNK must be 4096..64 MiB\n"); return 2; }
    char *buffer = malloc(chunk);
    int fd = open(argv[1], O_RDONLY);
    if (!buffer || fd < 0) { perror("read-chunks"); return 1; }
    long bytes = 0, lines = 0;
    ssize_t n;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while ((n = read(fd, buffer, chunk)) > 0) {
        bytes += n;
        for (char *p = buffer, *end = buffer + n; (p = memchr(p, '\n', end - p)); p++) lines++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (n < 0) { perror("read-chunks: read"); return 1; }
    printf("%ld bytes, %ld lines, chunk %ld: %.3f s\n", bytes, lines, chunk,
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
