// SPDX-License-Identifier: Apache-2.0
// Child program of the exec storm for the "processes living >= 1 ms" case of issue 9's argv
// target: sleeps LIFETIME_US microseconds (a compile-time constant, so argv stays `PATH MARKER`
// like the /bin/true storm) and exits 0. Build: gcc -O2 -DLIFETIME_US=1000 -o linger linger.c
#define _GNU_SOURCE
#include <time.h>

#ifndef LIFETIME_US
#define LIFETIME_US 1000
#endif

int main(void) {
    struct timespec ts = {LIFETIME_US / 1000000, (LIFETIME_US % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
    return 0;
}
