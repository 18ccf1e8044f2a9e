/* cpuinfo.c - see cpuinfo.h. */
#define _POSIX_C_SOURCE 200809L
#include "cpuinfo.h"
#include <stdint.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The core's clock: a chain of dependent adds runs one per cycle. Many short
 * rounds (1M adds, ~0.3 ms), keeping the fastest: a round that another process
 * preempts only reads too low, and a short round is more likely than a long one
 * to run whole. What no timing can see past: a sibling hyperthread kept busy by
 * another process (it shares the core, so the adds run at about half speed). */
double pn_measure_clock_ghz(void) {
    double best = 0;
    for (int r = 0; r < 48; r++) {
        uint64_t x = 0;
        const uint64_t iters = 1000000;
        double t0 = now();
        for (uint64_t i = 0; i < iters; i++) {
#if defined(__x86_64__)
            __asm__ volatile("add $1, %0" : "+r"(x));
#elif defined(__aarch64__)
            __asm__ volatile("add %0, %0, #1" : "+r"(x));
#else
            return 0; /* no portable way to pin one add per cycle */
#endif
        }
        double ghz = (double)iters / (now() - t0) * 1e-9;
        if (ghz > best) best = ghz;
    }
    return best;
}
