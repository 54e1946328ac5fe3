// SPDX-License-Identifier: Apache-2.0
// Exec storm generator for bench/storm.py: W worker threads posix_spawn `/bin/true MARKER` (or
// `/bin/sleep SECONDS` for the live-process memory figure) N times in all, each waiting for its
// child, at a fixed total rate (0 = as fast as possible). Prints "<spawned> <seconds>" on stdout.
// Bounded by the caller: N <= 200000, and storm.py kills it after its time limit.
// Usage: execstorm N WORKERS RATE MARKER [--live SECONDS | --program PATH]
//   --live: do not wait; children run `/bin/sleep SECONDS` and stay alive (memory with N live processes).
//   --program: children run `PATH MARKER` instead of `/bin/true MARKER` (bench/linger.c: lives >= 1 ms).
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long total, workers, live_seconds;
static double rate;
static const char *marker, *program = "/bin/true";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *worker(void *arg) {
    long index = (long)arg;
    long share = total / workers + (index < total % workers ? 1 : 0);
    char seconds[32];
    snprintf(seconds, sizeof seconds, "%ld", live_seconds);
    char *storm_argv[] = {(char *)program, (char *)marker, NULL};
    char *live_argv[] = {"/bin/sleep", seconds, NULL};
    char **argv = live_seconds > 0 ? live_argv : storm_argv;
    double per_worker_rate = rate / (double)workers, start = now();
    long spawned = 0;
    for (long i = 0; i < share; i++) {
        if (per_worker_rate > 0) {
            // Absolute schedule: a slow spawn does not shift the ones after it.
            double due = start + (double)i / per_worker_rate, wait = due - now();
            if (wait > 0) {
                struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
        pid_t pid;
        if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) continue;
        spawned++;
        if (live_seconds == 0) {
            int status;
            waitpid(pid, &status, 0);
        }
    }
    return (void *)spawned;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: execstorm N WORKERS RATE MARKER [--live SECONDS | --program PATH]\n");
        return 2;
    }
    total = atol(argv[1]);
    workers = atol(argv[2]);
    rate = atof(argv[3]);
    marker = argv[4];
    if (argc >= 7 && strcmp(argv[5], "--live") == 0) live_seconds = atol(argv[6]);
    if (argc >= 7 && strcmp(argv[5], "--program") == 0) program = argv[6];
    if (total < 1 || total > 200000 || workers < 1 || workers > 8 || rate < 0) {
        fprintf(stderr, "execstorm: N must be 1..200000, WORKERS 1..8, RATE >= 0\n");
        return 2;
    }
    pthread_t threads[8];
    double start = now();
    for (long w = 0; w < workers; w++) pthread_create(&threads[w], NULL, worker, (void *)w);
    long spawned = 0;
    for (long w = 0; w < workers; w++) {
        void *n;
        pthread_join(threads[w], &n);
        spawned += (long)n;
    }
    printf("%ld %.3f\n", spawned, now() - start);
    return 0;
}
