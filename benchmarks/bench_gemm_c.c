/* bench_gemm_c.c - GFLOP/s of pn_sgemm on square and course shapes, at one
 * thread and at all threads (median of repetitions), plus the single-core
 * float32 peak of this machine and the fraction of it reached.
 *
 *   make bench-gemm-c            (or: build/c/bench_gemm_c [kernel])
 *   python3 benchmarks/gemm_numpy_ref.py   for NumPy/OpenBLAS on the same shapes
 */
#define _POSIX_C_SOURCE 200809L
#include "../csrc/kernels/cpuinfo.h"
#include "../csrc/kernels/gemm.h"
#include "../csrc/kernels/threadpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- interference check: the machine may be shared ---- */

/* Busy CPU time of the whole machine (all processes), in seconds, from
 * /proc/stat; -1 where that is not available. */
static double machine_busy_seconds(void) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8) return -1;
    /* user nice system [idle iowait] irq softirq steal */
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / 100.0; /* USER_HZ */
}

static double own_cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* ---- GEMM timing ---- */

typedef struct {
    const char *name;
    int ta, tb;
    int64_t M, N, K;
} shape;

/* Median GFLOP/s; each sample repeats the call until it has run >= 20 ms. */
static double time_gemm(const shape *s, int reps) {
    int64_t Ar = s->ta ? s->K : s->M, Ac = s->ta ? s->M : s->K;
    int64_t Br = s->tb ? s->N : s->K, Bc = s->tb ? s->K : s->N;
    float *A = malloc((size_t)(Ar * Ac) * sizeof(float));
    float *B = malloc((size_t)(Br * Bc) * sizeof(float));
    float *C = malloc((size_t)(s->M * s->N) * sizeof(float));
    if (!A || !B || !C) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (int64_t i = 0; i < Ar * Ac; i++) A[i] = (float)((i * 7 + 3) % 13) * 0.1f;
    for (int64_t i = 0; i < Br * Bc; i++) B[i] = (float)((i * 5 + 1) % 11) * 0.1f;
    double flops = 2.0 * (double)s->M * (double)s->N * (double)s->K;
    /* warm-up and calibration */
    int inner = 1;
    for (;;) {
        double t0 = now();
        for (int i = 0; i < inner; i++)
            pn_sgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, Ac, B, Bc, 0.0f, C, s->N);
        if (now() - t0 >= 0.02) break;
        inner *= 2;
    }
    double *g = malloc((size_t)reps * sizeof(double));
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int i = 0; i < inner; i++)
            pn_sgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, A, Ac, B, Bc, 0.0f, C, s->N);
        g[r] = flops * inner / (now() - t0) * 1e-9;
    }
    qsort(g, (size_t)reps, sizeof(double), cmp_double);
    double med = g[reps / 2];
    free(g);
    free(A);
    free(B);
    free(C);
    return med;
}

int main(int argc, char **argv) {
    if (argc > 1 && pn_gemm_set_kernel(argv[1]) != 0) {
        fprintf(stderr, "kernel %s not supported\n", argv[1]);
        return 1;
    }
    int reps = getenv("BENCH_REPS") ? atoi(getenv("BENCH_REPS")) : 7;
    if (reps < 1) reps = 1;
    int nthreads = pn_get_num_threads();
    const char *kname = pn_gemm_kernel_name();

    double busy0 = machine_busy_seconds(), own0 = own_cpu_seconds(), wall0 = now();
    int lanes = strcmp(kname, "avx512") == 0 ? 16 : strcmp(kname, "avx2") == 0 ? 8 : 4;
    double rate = pn_measure_fma_rate(lanes), ghz = pn_measure_clock_ghz();
    /* the peak from the timed FMAs; where they cannot be timed, 2 FMA units x clock */
    double peak = rate > 0 ? lanes * 2 * rate * 1e-9 : lanes * 2 * 2 * ghz;
    printf("kernel %s, %d threads available\n", kname, nthreads);
    printf("clock (dependent-add loop): %.2f GHz; 1-core peak %d lanes x 2 x %.2f G vector "
           "FMAs/s (%s, %.2f per cycle) = %.1f GFLOP/s\n",
           ghz, lanes, rate > 0 ? rate * 1e-9 : 2 * ghz, rate > 0 ? "timed" : "assumed",
           rate > 0 && ghz > 0 ? rate * 1e-9 / ghz : 2.0, peak);

    static const shape shapes[] = {
        {"square 64", 0, 0, 64, 64, 64},
        {"square 128", 0, 0, 128, 128, 128},
        {"square 256", 0, 0, 256, 256, 256},
        {"square 512", 0, 0, 512, 512, 512},
        {"square 1024", 0, 0, 1024, 1024, 1024},
        {"square 2048", 0, 0, 2048, 2048, 2048},
        {"fc1 X@W 64x784@784x256", 0, 0, 64, 256, 784},
        {"fc2 X@W 64x256@256x256", 0, 0, 64, 256, 256},
        {"fc3 X@W 64x256@256x10", 0, 0, 64, 10, 256},
        {"fc1 dW=X^T@dY 784x64@64x256", 1, 0, 784, 256, 64},
        {"fc1 dX=dY@W^T 64x256@256x784", 0, 1, 64, 784, 256},
        {"fc2 dW=X^T@dY 256x64@64x256", 1, 0, 256, 256, 64},
        {"fc2 dX=dY@W^T 64x256@256x256", 0, 1, 64, 256, 256},
        {"fc3 dW=X^T@dY 256x64@64x10", 1, 0, 256, 10, 64},
        {"fc3 dX=dY@W^T 64x10@10x256", 0, 1, 64, 256, 10},
    };
    printf("\n%-32s %10s %8s %10s %8s\n", "shape (GFLOP/s, median)", "1 thread", "%peak", "all thr",
           "speedup");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        pn_set_num_threads(1);
        double g1 = time_gemm(&shapes[i], reps);
        pn_set_num_threads(nthreads);
        double gn = time_gemm(&shapes[i], reps);
        printf("%-32s %10.1f %7.0f%% %10.1f %7.2fx\n", shapes[i].name, g1, 100 * g1 / peak, gn,
               gn / g1);
        fflush(stdout);
    }
    double busy1 = machine_busy_seconds(), own1 = own_cpu_seconds(), wall1 = now();
    if (busy0 >= 0 && busy1 >= 0) {
        /* CPU time used by other processes, as a share of all CPUs' time */
        double others = (busy1 - busy0) - (own1 - own0);
        double share = others / ((wall1 - wall0) * nthreads);
        printf("\nother processes used %.0f%% of the CPUs during the run%s\n",
               100 * (share < 0 ? 0 : share),
               share > 0.05 ? ": numbers are unreliable, run again on a quiet machine" : "");
    }
    return 0;
}
