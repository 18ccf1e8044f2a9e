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

/* The core's clock: a chain of dependent adds runs one per cycle. Eight adds
 * per loop iteration: with one, the loop's own branch set the pace on a Zen 4
 * (1.5 cycles per iteration, so the clock read 2.3 GHz for 3.7). Many short
 * rounds (1M adds, ~0.3 ms), keeping the fastest: a round that another process
 * preempts only reads too low, and a short round is more likely than a long one
 * to run whole. What no timing can see past: a sibling hyperthread kept busy by
 * another process (it shares the core, so the adds run at about half speed). */
double pn_measure_clock_ghz(void) {
    double best = 0;
    for (int r = 0; r < 48; r++) {
        uint64_t x = 0;
        const uint64_t iters = 125000; /* of 8 adds */
        double t0 = now();
        for (uint64_t i = 0; i < iters; i++) {
#if defined(__x86_64__)
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                             : "+r"(x));
#elif defined(__aarch64__)
            __asm__ volatile("add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                             "add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
                             "add %0, %0, #1\n\tadd %0, %0, #1"
                             : "+r"(x));
#else
            return 0; /* no portable way to pin one add per cycle */
#endif
        }
        double ghz = (double)(8 * iters) / (now() - t0) * 1e-9;
        if (ghz > best) best = ghz;
    }
    return best;
}

/* Ten independent FMA chains (more than latency x units on any x86 core we
 * know: 4 cycles x 2 units) of the given register width, on zeroed registers
 * (no subnormals), 100k rounds of ten; the fastest of 48 runs. */
#if defined(__x86_64__)
#define FMA10(R) \
    __asm__ volatile("vxorps %%xmm0, %%xmm0, %%xmm0\n\t" \
                     "vxorps %%xmm1, %%xmm1, %%xmm1\n\t" \
                     "vxorps %%xmm2, %%xmm2, %%xmm2\n\t" \
                     "vxorps %%xmm3, %%xmm3, %%xmm3\n\t" \
                     "vxorps %%xmm4, %%xmm4, %%xmm4\n\t" \
                     "vxorps %%xmm5, %%xmm5, %%xmm5\n\t" \
                     "vxorps %%xmm6, %%xmm6, %%xmm6\n\t" \
                     "vxorps %%xmm7, %%xmm7, %%xmm7\n\t" \
                     "vxorps %%xmm8, %%xmm8, %%xmm8\n\t" \
                     "vxorps %%xmm9, %%xmm9, %%xmm9\n\t" \
                     "vxorps %%xmm10, %%xmm10, %%xmm10\n\t" \
                     "vxorps %%xmm11, %%xmm11, %%xmm11\n\t" \
                     "mov $100000, %%ecx\n\t" \
                     "1:\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "0\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "1\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "2\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "3\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "4\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "5\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "6\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "7\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "8\n\t" \
                     "vfmadd231ps %%" R "10, %%" R "11, %%" R "9\n\t" \
                     "dec %%ecx\n\t" \
                     "jnz 1b\n\t" \
                     "vzeroupper" \
                     : \
                     : \
                     : "ecx", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
                       "xmm8", "xmm9", "xmm10", "xmm11", "cc")
#endif

double pn_measure_fma_rate(int lanes) {
#if defined(__x86_64__)
    if (lanes != 16 && lanes != 8) return 0;
    double best = 0;
    for (int r = 0; r < 48; r++) {
        double t0 = now();
        if (lanes == 16)
            FMA10("zmm");
        else
            FMA10("ymm");
        double rate = 1e6 / (now() - t0);
        if (rate > best) best = rate;
    }
    return best;
#else
    (void)lanes;
    return 0;
#endif
}
