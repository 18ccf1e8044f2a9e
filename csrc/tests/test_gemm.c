/* test_gemm.c - pn_sgemm / pn_dgemm against a float64 triple-loop reference.
 *
 * Covers: shapes with 0, 1, primes and non-multiples of every micro tile,
 * sizes past each cache block (MC, KC, NC), all four transpose combinations,
 * general alpha/beta (beta == 0 with NaN-filled C), padded leading dimensions
 * (and that the padding is never written), NaN/inf propagation, every kernel
 * this CPU supports, 1/2/3 threads, and concurrent calls from two pthreads.
 * Prints "N passed, M failed" last; exit status is nonzero on failure.
 */
#define _POSIX_C_SOURCE 200809L
#include "../kernels/common.h"
#include "../kernels/gemm.h"
#include "../kernels/gemm_internal.h"
#include "../kernels/threadpool.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_pass, n_fail;
static pthread_mutex_t count_mu = PTHREAD_MUTEX_INITIALIZER;

static void record(int ok, const char *what) {
    pthread_mutex_lock(&count_mu);
    if (ok)
        n_pass++;
    else {
        n_fail++;
        if (n_fail < 30) printf("FAIL: %s\n", what);
    }
    pthread_mutex_unlock(&count_mu);
}

/* xorshift, per caller state so threads do not share it */
static double rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}
static int64_t rndint(uint64_t *s, int64_t lo, int64_t hi) {
    return lo + (int64_t)((rnd(s) + 1.0) / 2.0 * (double)(hi - lo + 1)) % (hi - lo + 1);
}

#define SENTINEL 12345.0f

typedef struct {
    int ta, tb;
    int64_t M, N, K, lda, ldb, ldc;
    double alpha, beta;
    int special; /* 0: plain, 1: NaN in C with beta 0, 2: NaN/inf in A and B */
} gcase;

/* Random A (Ar x lda), B (Br x ldb) and C (M x ldc) for case c, with the
 * padding of C (columns >= N, one spare element) set to SENTINEL, and NaN /
 * inf sprinkled in as c->special asks. */
static void fill_case(const gcase *c, uint64_t *seed, float *A, size_t asz, float *B, size_t bsz,
                      float *C, size_t csz) {
    int64_t Ar = c->ta ? c->K : c->M, Ac = c->ta ? c->M : c->K;
    int64_t Br = c->tb ? c->N : c->K, Bc = c->tb ? c->K : c->N;
    for (size_t i = 0; i < asz; i++) A[i] = (float)rnd(seed);
    for (size_t i = 0; i < bsz; i++) B[i] = (float)rnd(seed);
    for (size_t i = 0; i < csz; i++) C[i] = SENTINEL; /* padding must survive */
    for (int64_t i = 0; i < c->M; i++)
        for (int64_t j = 0; j < c->N; j++)
            C[i * c->ldc + j] = c->special == 1 ? NAN : (float)rnd(seed);
    if (c->special == 2) { /* sprinkle NaN and inf in the logical parts */
        if (Ar * Ac > 0) {
            A[rndint(seed, 0, Ar - 1) * c->lda + rndint(seed, 0, Ac - 1)] = NAN;
            A[rndint(seed, 0, Ar - 1) * c->lda + rndint(seed, 0, Ac - 1)] = INFINITY;
        }
        if (Br * Bc > 0) {
            B[rndint(seed, 0, Br - 1) * c->ldb + rndint(seed, 0, Bc - 1)] = -INFINITY;
            B[rndint(seed, 0, Br - 1) * c->ldb + rndint(seed, 0, Bc - 1)] = INFINITY;
        }
    }
}

/* R (M x ldc) = alpha op(A) op(B) + beta C in float64, plain-loop semantics
 * (beta == 0 ignores C, NaNs included). */
static void reference_case(const gcase *c, const float *A, const float *B, const float *C,
                           double *R) {
    for (int64_t i = 0; i < c->M; i++)
        for (int64_t j = 0; j < c->N; j++) {
            double acc = 0;
            for (int64_t p = 0; p < c->K; p++) {
                double a = c->ta ? A[p * c->lda + i] : A[i * c->lda + p];
                double b = c->tb ? B[j * c->ldb + p] : B[p * c->ldb + j];
                acc += a * b;
            }
            double cold = C[i * c->ldc + j];
            double r = c->alpha * acc + (c->beta == 0 ? 0.0 : c->beta * cold);
            R[i * c->ldc + j] = r;
        }
}

/* Compare C (M x ldc) from pn_sgemm with the reference R, with a tolerance
 * from the sum of |a b|; the padding of C must still be SENTINEL. Returns 1
 * if correct, else 0 with msg set. */
static int check_result(const gcase *c, const float *A, const float *B, const float *C,
                        const double *R, char *msg, size_t msglen) {
    double maxerr = 0;
    int ok = 1;
    for (int64_t i = 0; i < c->M && ok; i++) {
        for (int64_t j = 0; j < c->ldc && ok; j++) {
            float got = C[i * c->ldc + j];
            if (j >= c->N) {
                if (got != SENTINEL) {
                    snprintf(msg, msglen, "padding of C written at (%lld,%lld)", (long long)i,
                             (long long)j);
                    ok = 0;
                }
                continue;
            }
            double r = R[i * c->ldc + j];
            /* recompute magnitude for the tolerance */
            double mag = 0;
            for (int64_t p = 0; p < c->K; p++) {
                double a = c->ta ? A[p * c->lda + i] : A[i * c->lda + p];
                double b = c->tb ? B[j * c->ldb + p] : B[p * c->ldb + j];
                mag += fabs(a * b);
            }
            int good;
            if (isnan(r))
                good = isnan(got);
            else if (isinf(r))
                good = got == r;
            else {
                double tol = (double)FLT_EPSILON *
                             ((double)(c->K + 4) * fabs(c->alpha) * mag + 4.0 * fabs(r) + 1e-30);
                double err = fabs((double)got - r);
                good = err <= tol;
                if (err > maxerr) maxerr = err;
            }
            if (!good) {
                snprintf(msg, msglen, "C(%lld,%lld) = %.9g, want %.9g", (long long)i, (long long)j,
                         (double)got, r);
                ok = 0;
            }
        }
    }
    /* the row after the last must be untouched too (C has one spare element) */
    if (ok && C[c->M * c->ldc] != SENTINEL) {
        snprintf(msg, msglen, "wrote past C");
        ok = 0;
    }
    return ok;
}

/* Run one float32 case; returns 1 if correct. */
static int run_scase(const gcase *c, uint64_t *seed, char *msg, size_t msglen) {
    int64_t Ar = c->ta ? c->K : c->M, Br = c->tb ? c->N : c->K;
    size_t asz = (size_t)(Ar * c->lda + 1), bsz = (size_t)(Br * c->ldb + 1),
           csz = (size_t)(c->M * c->ldc + 1);
    float *A = malloc(asz * sizeof(float)), *B = malloc(bsz * sizeof(float)),
          *C = malloc(csz * sizeof(float));
    double *R = malloc(csz * sizeof(double));
    int ok = 1;
    if (!A || !B || !C || !R) {
        snprintf(msg, msglen, "test malloc failed");
        ok = 0;
        goto out;
    }
    fill_case(c, seed, A, asz, B, bsz, C, csz);
    reference_case(c, A, B, C, R);
    int rc = pn_sgemm(c->ta, c->tb, c->M, c->N, c->K, (float)c->alpha, A, c->lda, B, c->ldb,
                      (float)c->beta, C, c->ldc);
    if (rc != PN_OK) {
        snprintf(msg, msglen, "rc=%d", rc);
        ok = 0;
        goto out;
    }
    ok = check_result(c, A, B, C, R, msg, msglen);
out:
    free(A);
    free(B);
    free(C);
    free(R);
    return ok;
}

static void check_case(const gcase *c, uint64_t *seed, const char *ctx) {
    char msg[200] = "", what[400];
    int ok = run_scase(c, seed, msg, sizeof msg);
    snprintf(what, sizeof what,
             "%s sgemm ta=%d tb=%d M=%lld N=%lld K=%lld lda=%lld ldb=%lld ldc=%lld "
             "alpha=%g beta=%g special=%d: %s",
             ctx, c->ta, c->tb, (long long)c->M, (long long)c->N, (long long)c->K,
             (long long)c->lda, (long long)c->ldb, (long long)c->ldc, c->alpha, c->beta, c->special,
             msg);
    record(ok, what);
}

static gcase make_case(uint64_t *seed, int ta, int tb, int64_t M, int64_t N, int64_t K, int pad) {
    gcase c;
    c.ta = ta;
    c.tb = tb;
    c.M = M;
    c.N = N;
    c.K = K;
    int64_t Ac = ta ? M : K, Bc = tb ? K : N;
    c.lda = Ac + (pad ? rndint(seed, 1, 9) : 0);
    c.ldb = Bc + (pad ? rndint(seed, 1, 9) : 0);
    c.ldc = N + (pad ? rndint(seed, 1, 9) : 0);
    if (c.lda < 1) c.lda = 1;
    if (c.ldb < 1) c.ldb = 1;
    if (c.ldc < 1) c.ldc = 1;
    static const double alphas[] = {1.0, -0.5, 2.0, 0.0};
    static const double betas[] = {0.0, 1.0, 0.5, -2.0};
    c.alpha = alphas[rndint(seed, 0, 3)];
    c.beta = betas[rndint(seed, 0, 3)];
    c.special = 0;
    return c;
}

static const int64_t small_sizes[] = {0,  1,  2,  3,  5,  7,  8,  11, 12,
                                      13, 16, 17, 31, 32, 33, 47, 64, 97};

static void sweep(const char *ctx, uint64_t seed) {
    uint64_t s = seed;
    const int ns = (int)(sizeof small_sizes / sizeof small_sizes[0]);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* random small shapes */
            for (int r = 0; r < 40; r++) {
                gcase c = make_case(&s, ta, tb, small_sizes[rndint(&s, 0, ns - 1)],
                                    small_sizes[rndint(&s, 0, ns - 1)],
                                    small_sizes[rndint(&s, 0, ns - 1)], r & 1);
                check_case(&c, &s, ctx);
            }
            /* medium: several micro tiles, every B strategy (in place for M <= 2 MR,
             * sliver by sliver for M <= MC, whole blocks beyond), K past KC */
            static const int64_t med[][3] = {{64, 256, 96},   {61, 100, 130}, {97, 70, 50},
                                             {100, 100, 100}, {130, 45, 257}, {200, 33, 64},
                                             {32, 1030, 300}, {13, 70, 520},  {50, 200, 700}};
            for (int r = 0; r < 9; r++) {
                gcase c = make_case(&s, ta, tb, med[r][0], med[r][1], med[r][2], r & 1);
                check_case(&c, &s, ctx);
            }
            /* special values */
            gcase c = make_case(&s, ta, tb, 37, 45, 29, 1);
            c.beta = 0;
            c.special = 1;
            check_case(&c, &s, ctx);
            c = make_case(&s, ta, tb, 37, 45, 29, 1);
            c.special = 2;
            check_case(&c, &s, ctx);
            c = make_case(&s, ta, tb, 150, 80, 300, 0);
            c.special = 2;
            check_case(&c, &s, ctx);
        }
}

/* The dot-product path (A B^T with M <= 24 rows, K >= 32 and >= 16 M): every M, K with and
 * without a vector tail, N around the kernels' 6- and 3-row B tiles, alpha and
 * beta at random, and NaN/inf in A, B and C. */
static void dot_cases(const char *ctx, uint64_t seed) {
    static const int64_t Ks[] = {32, 33, 47, 100, 200, 257, 400, 784};
    static const int64_t Ns[] = {1, 2, 3, 5, 6, 7, 13, 64, 257};
    uint64_t s = seed;
    for (int64_t M = 1; M <= 25; M++) {
        gcase c = make_case(&s, 0, 1, M, Ns[rndint(&s, 0, 8)], Ks[rndint(&s, 0, 7)], (int)(M & 1));
        check_case(&c, &s, ctx);
    }
    for (int sp = 1; sp <= 2; sp++) {
        gcase c = make_case(&s, 0, 1, 7, 13, 127, 1);
        c.special = sp;
        if (sp == 1) c.beta = 0;
        check_case(&c, &s, ctx);
    }
}

/* Past every cache block: M > MC, N > NC, K > KC (slow reference: few of these). */
static void big_cases(const char *ctx, uint64_t seed) {
    uint64_t s = seed;
    gcase c = make_case(&s, 0, 0, 203, 1100, 300, 1);
    check_case(&c, &s, ctx);
    c = make_case(&s, 1, 1, 250, 2100, 70, 0);
    check_case(&c, &s, ctx);
    c = make_case(&s, 0, 1, 97, 300, 600, 1);
    check_case(&c, &s, ctx);
    c = make_case(&s, 1, 0, 420, 130, 520, 1);
    check_case(&c, &s, ctx);
}

/* A read in place (row-major A, C rectangles at most 512 columns wide) or packed
 * (wider, transposed, or a row stride of a multiple of 1024 floats) must give
 * the same bits: the threads' rectangles decide which, and results may not
 * depend on the thread count. The first 64 columns of a 600-column product
 * (packed A) against the 64-column product alone (in place), every row count
 * of the last sliver, each at lda = K + 3 and lda = 1024. */
static void a_in_place_tests(const char *ctx, uint64_t seed) {
    enum { N = 600, NS = 64, K = 300, LDMAX = 1024 };
    uint64_t s = seed;
    float *A = malloc(sizeof(float) * 212 * LDMAX), *B = malloc(sizeof(float) * K * N);
    float *C = malloc(sizeof(float) * 212 * N), *Cs = malloc(sizeof(float) * 212 * NS);
    if (!A || !B || !C || !Cs) {
        record(0, "a_in_place_tests: malloc");
        goto out;
    }
    for (int64_t i = 0; i < 212 * LDMAX; i++) A[i] = (float)rnd(&s);
    for (int64_t i = 0; i < K * N; i++) B[i] = (float)rnd(&s);
    int ok = 1;
    for (int64_t M = 193; M <= 212 && ok; M++) /* past MC: sgemm_rect; last sliver 1..12 rows */
        for (int l = 0; l < 2 && ok; l++) {
            int64_t lda = l ? LDMAX : K + 3;
            ok = pn_sgemm(0, 0, M, N, K, 1.0f, A, lda, B, N, 0.0f, C, N) == PN_OK &&
                 pn_sgemm(0, 0, M, NS, K, 1.0f, A, lda, B, N, 0.0f, Cs, NS) == PN_OK;
            for (int64_t i = 0; i < M && ok; i++)
                ok = memcmp(C + i * N, Cs + i * NS, NS * sizeof(float)) == 0;
            if (!ok) printf("  M=%lld lda=%lld differs\n", (long long)M, (long long)lda);
        }
    char what[160];
    snprintf(what, sizeof what, "%s A in place and packed give the same bits", ctx);
    record(ok, what);
out:
    free(A);
    free(B);
    free(C);
    free(Cs);
}

/* ---- float64 ---- */
static void dcase(uint64_t *s, int ta, int tb, int64_t M, int64_t N, int64_t K, double alpha,
                  double beta, int nan_c) {
    int64_t Ar = ta ? K : M, Ac = ta ? M : K, Br = tb ? N : K, Bc = tb ? K : N;
    int64_t lda = Ac + 2, ldb = Bc + 1, ldc = N + 3;
    double *A = malloc((size_t)(Ar * lda + 1) * sizeof(double));
    double *B = malloc((size_t)(Br * ldb + 1) * sizeof(double));
    double *C = malloc((size_t)(M * ldc + 1) * sizeof(double));
    double *C0 = malloc((size_t)(M * ldc + 1) * sizeof(double));
    for (int64_t i = 0; i < Ar * lda + 1; i++) A[i] = rnd(s);
    for (int64_t i = 0; i < Br * ldb + 1; i++) B[i] = rnd(s);
    for (int64_t i = 0; i < M * ldc + 1; i++) C0[i] = C[i] = nan_c ? NAN : rnd(s);
    int rc = pn_dgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    int ok = rc == PN_OK;
    for (int64_t i = 0; i < M && ok; i++)
        for (int64_t j = 0; j < N && ok; j++) {
            long double acc = 0, mag = 0;
            for (int64_t p = 0; p < K; p++) {
                long double a = ta ? A[p * lda + i] : A[i * lda + p];
                long double b = tb ? B[j * ldb + p] : B[p * ldb + j];
                acc += a * b;
                mag += fabsl(a * b);
            }
            long double r = alpha * acc + (beta == 0 ? 0 : beta * (long double)C0[i * ldc + j]);
            long double tol = DBL_EPSILON * ((K + 4) * fabs(alpha) * mag + 4 * fabsl(r)) + 1e-300;
            if (fabsl(C[i * ldc + j] - r) > tol) ok = 0;
        }
    char what[200];
    snprintf(what, sizeof what, "dgemm ta=%d tb=%d M=%lld N=%lld K=%lld alpha=%g beta=%g", ta, tb,
             (long long)M, (long long)N, (long long)K, alpha, beta);
    record(ok, what);
    free(A);
    free(B);
    free(C);
    free(C0);
}

static void dgemm_tests(void) {
    uint64_t s = 99;
    static const int64_t sz[] = {0, 1, 3, 7, 16, 33, 70};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int r = 0; r < 25; r++) {
                int64_t M = sz[rndint(&s, 0, 6)], N = sz[rndint(&s, 0, 6)],
                        K = sz[rndint(&s, 0, 6)];
                dcase(&s, ta, tb, M, N, K, r % 3 == 0 ? 1.0 : -0.7, r % 4 == 0 ? 0.0 : 1.5,
                      r % 4 == 0);
            }
    dcase(&s, 0, 0, 40, 600, 300, 1.0, 0.0, 1); /* crosses the DNB / DKB blocks */
    dcase(&s, 1, 1, 30, 20, 600, 2.0, 1.0, 0);
}

/* ---- concurrency ---- */
static void *conc_thread(void *arg) {
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    for (int r = 0; r < 6; r++) {
        uint64_t s = seed + (uint64_t)r * 7919;
        gcase c = make_case(&s, r & 1, (r >> 1) & 1, 120 + r, 150 - r, 90 + 3 * r, 1);
        check_case(&c, &s, "concurrent");
    }
    return NULL;
}

static void concurrency_tests(void) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, conc_thread, (void *)(uintptr_t)(1000 + i));
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
}

/* Random op(A) (M x K), op(B) (K x N) stored with transposes ta, tb and padded
 * leading dimensions, and two equal random C (M x N) for two routes to compare. */
typedef struct {
    float *A, *B, *C1, *C2;
    int64_t lda, ldb, ldc;
} operands;

static float *copy_floats(const float *x, int64_t n) {
    float *y = malloc(sizeof(float) * (size_t)n);
    if (y) memcpy(y, x, sizeof(float) * (size_t)n);
    return y;
}

static operands operands_new(int64_t M, int64_t N, int64_t K, int ta, int tb, uint64_t *s) {
    operands o = {NULL, NULL, NULL, NULL, (ta ? M : K) + 3, (tb ? K : N) + 1, N + 2};
    o.A = malloc(sizeof(float) * (size_t)((ta ? K : M) * o.lda));
    o.B = malloc(sizeof(float) * (size_t)((tb ? N : K) * o.ldb));
    o.C1 = malloc(sizeof(float) * (size_t)(M * o.ldc));
    o.C2 = malloc(sizeof(float) * (size_t)(M * o.ldc));
    for (int64_t i = 0; i < (ta ? K : M) * o.lda; i++) o.A[i] = (float)rnd(s);
    for (int64_t i = 0; i < (tb ? N : K) * o.ldb; i++) o.B[i] = (float)rnd(s);
    for (int64_t i = 0; i < M * o.ldc; i++) o.C1[i] = o.C2[i] = (float)rnd(s);
    return o;
}

/* C1 and C2 (M x N, from the same C and operands by two routes) agree: to the
 * bit, or, where pn_sgemm takes its dot-product path (pn_sgemm_uses_dot), each
 * within 2 K eps (|alpha| sum_k |a_ik b_kj| + |beta c|) of the other, the sums
 * of both routes being within K eps of the exact one. */
static int routes_agree(const operands *o, const float *C0, int64_t M, int64_t N, int64_t K, int ta,
                        int tb, float alpha, float beta) {
    if (!pn_sgemm_uses_dot(ta, tb, M, K))
        return memcmp(o->C1, o->C2, sizeof(float) * (size_t)(M * o->ldc)) == 0;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double mag = 0;
            for (int64_t k = 0; k < K; k++)
                mag += fabs((double)(ta ? o->A[k * o->lda + i] : o->A[i * o->lda + k]) *
                            (tb ? o->B[j * o->ldb + k] : o->B[k * o->ldb + j]));
            double bound = 2.0 * (double)K * FLT_EPSILON *
                           (fabs(alpha) * mag + fabs(beta * C0[i * o->ldc + j]));
            if (fabs((double)o->C1[i * o->ldc + j] - o->C2[i * o->ldc + j]) > bound) return 0;
        }
    return 1;
}

/* pn_sgemm_with_packed gives the same bits as pn_sgemm with B unpacked: every
 * transpose pair, alpha/beta, shapes past MC/NC/KC and narrow ones (N < NR). With
 * several threads, the few-row shapes (an LSTM step's 32x1024x256 and 32x256x1024,
 * 200 rows) take split_rows_evenly's grid, rows cut off MR multiples. */
static void packed_b_tests(const char *ctx, uint64_t seed) {
    static const int64_t shapes[][3] = {{32, 1024, 256}, {5, 300, 70},   {150, 40, 600},
                                        {1, 17, 1},      {97, 1100, 9},  {64, 3, 513},
                                        {32, 256, 1024}, {200, 300, 260}};
    uint64_t s = seed;
    for (int r = 0; r < 8; r++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int64_t M = shapes[r][0], N = shapes[r][1], K = shapes[r][2];
                operands o = operands_new(M, N, K, ta, tb, &s);
                float *A = o.A, *B = o.B, *C1 = o.C1, *C2 = o.C2;
                int64_t lda = o.lda, ldb = o.ldb, ldc = o.ldc;
                /* any alpha, beta when N is wider than every kernel's NR; else 1 and 0 or 1
                 * (a narrow pn_sgemm computes C^T and rounds alpha and beta separately) */
                int wide = N >= PN_GEMM_MAX_NR;
                float alpha = wide && (r & 1) ? -0.5f : 1.0f;
                float beta = r & 2 ? 0.0f : wide ? 0.75f : 1.0f;
                pn_sgemm_packed *p = pn_sgemm_pack(tb, K, N, B, ldb);
                float *C0 = copy_floats(C1, M * ldc);
                int ok = p && C0 &&
                         pn_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc) == 0 &&
                         pn_sgemm_with_packed(ta, M, alpha, A, lda, p, beta, C2, ldc) == 0 &&
                         routes_agree(&o, C0, M, N, K, ta, tb, alpha, beta);
                free(C0);
                char what[160];
                snprintf(what, sizeof what, "%s packed B == unpacked, %lldx%lldx%lld ta=%d tb=%d",
                         ctx, (long long)M, (long long)N, (long long)K, ta, tb);
                record(ok, what);
                pn_sgemm_packed_free(p);
                free(A), free(B), free(C1), free(C2);
            }
    float b[4] = {0};
    record(pn_sgemm_pack(0, 0, 2, b, 2) == NULL && pn_sgemm_pack(0, 2, 2, b, 1) == NULL,
           "pn_sgemm_pack rejects an empty or too narrow B");
}

/* A stored op(B) handed out through pn_sgemm_packing_b's packer contract. */
typedef struct {
    const float *B;
    int64_t ldb;
    int tb;
} stored_b;

static void pack_stored(void *ctx, int64_t p0, int64_t j0, int64_t nc, int64_t kc, int NR,
                        float *dst) {
    const stored_b *sb = ctx;
    int64_t np = (nc + NR - 1) / NR * NR;
    for (int64_t q = 0; q < np; q++)
        for (int64_t k = 0; k < kc; k++) {
            int64_t r = p0 + k, c = j0 + q;
            float v = q >= nc ? 0.0f : sb->tb ? sb->B[c * sb->ldb + r] : sb->B[r * sb->ldb + c];
            dst[(q / NR) * NR * kc + k * NR + q % NR] = v;
        }
}

/* pn_sgemm_packing_b with a packer that copies a stored op(B) gives pn_sgemm's
 * bits (shapes past MC/NC/KC, beta 0, 1 and 0.75), and checks its arguments. */
static void packing_b_tests(const char *ctx, uint64_t seed) {
    static const int64_t shapes[][3] = {{32, 1024, 256}, {5, 300, 70},  {150, 40, 600},
                                        {64, 576, 288},  {97, 1100, 9}, {300, 64, 513}};
    uint64_t s = seed;
    for (int r = 0; r < 6; r++)
        for (int ta = 0; ta < 2; ta++) {
            int64_t M = shapes[r][0], N = shapes[r][1], K = shapes[r][2], tb = r & 1;
            operands o = operands_new(M, N, K, ta, (int)tb, &s);
            float *A = o.A, *B = o.B, *C1 = o.C1, *C2 = o.C2;
            int64_t lda = o.lda, ldb = o.ldb, ldc = o.ldc;
            float beta = r % 3 == 0 ? 0.0f : r % 3 == 1 ? 1.0f : 0.75f;
            stored_b sb = {B, ldb, (int)tb};
            float *C0 = copy_floats(C1, M * ldc);
            int ok =
                C0 && pn_sgemm(ta, (int)tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C1, ldc) == 0 &&
                pn_sgemm_packing_b(ta, M, N, K, A, lda, pack_stored, &sb, beta, NULL, C2, ldc) ==
                    0 &&
                routes_agree(&o, C0, M, N, K, ta, (int)tb, 1.0f, beta);
            free(C0);
            char what[160];
            snprintf(what, sizeof what, "%s packing_b == stored B, %lldx%lldx%lld ta=%d tb=%d", ctx,
                     (long long)M, (long long)N, (long long)K, ta, (int)tb);
            record(ok, what);
            free(A), free(B), free(C1), free(C2);
        }
    float a[4] = {1, 2, 3, 4}, c[4] = {5, 6, 7, 8};
    stored_b sb = {a, 2, 0};
    record(pn_sgemm_packing_b(0, -1, 2, 2, a, 2, pack_stored, &sb, 0, NULL, c, 2) == PN_EINVAL &&
               pn_sgemm_packing_b(0, 2, 2, 2, a, 1, pack_stored, &sb, 0, NULL, c, 2) == PN_EINVAL &&
               pn_sgemm_packing_b(0, 2, 2, 2, a, 2, NULL, &sb, 0, NULL, c, 2) == PN_EINVAL &&
               pn_sgemm_packing_b(0, 2, 2, 2, a, 2, pack_stored, &sb, 0, NULL, c, 1) == PN_EINVAL,
           "pn_sgemm_packing_b rejects a negative size, short lda/ldc, no packer");
    record(pn_sgemm_packing_b(0, 2, 2, 0, a, 1, pack_stored, &sb, 0.5f, NULL, c, 2) == PN_OK &&
               c[0] == 2.5f && c[3] == 4.0f,
           "pn_sgemm_packing_b with K = 0 scales C by beta");
}

/* B packed once and shared by the threads (gemm.c: sgemm_share_b, taken when a
 * product of at least 1.5e8 flops is split by rows among threads) gives the bits of one
 * thread, which packs B itself: every transpose pair, ragged N and K past KC,
 * a narrow C computed as C^T, and B from a caller's packer. */
static void shared_b_tests(const char *ctx, int nt, uint64_t seed) {
    static const int64_t shapes[][3] = {
        {1024, 256, 300}, {700, 300, 400}, {600, 1000, 130}, {2400, 33, 1000}, {1000, 7, 11000}};
    uint64_t s = seed;
    for (int r = 0; r < 5; r++)
        for (int t = 0; t < 5; t++) {
            int ta = t & 1, tb = (t >> 1) & 1, packer = t == 4;
            int64_t M = shapes[r][0], N = shapes[r][1], K = shapes[r][2];
            operands o = operands_new(M, N, K, ta, tb, &s);
            stored_b sb = {o.B, o.ldb, tb};
            float beta = r & 1 ? 0.0f : 0.75f;
            int ok = 1;
            for (int q = 0; q < 2 && ok; q++) { /* C1 with one thread, C2 with nt */
                pn_set_num_threads(q ? nt : 1);
                float *C = q ? o.C2 : o.C1;
                ok = packer ? pn_sgemm_packing_b(ta, M, N, K, o.A, o.lda, pack_stored, &sb, beta,
                                                 NULL, C, o.ldc) == 0
                            : pn_sgemm(ta, tb, M, N, K, 1.0f, o.A, o.lda, o.B, o.ldb, beta, C,
                                       o.ldc) == 0;
            }
            pn_set_num_threads(nt);
            ok = ok && memcmp(o.C1, o.C2, sizeof(float) * (size_t)(M * o.ldc)) == 0;
            char what[160];
            snprintf(what, sizeof what, "%s shared B == 1 thread, %lldx%lldx%lld ta=%d tb=%d%s",
                     ctx, (long long)M, (long long)N, (long long)K, ta, tb,
                     packer ? " (packer)" : "");
            record(ok, what);
            free(o.A), free(o.B), free(o.C1), free(o.C2);
        }
}

/* C set to the bias broadcast along bias_dim (1: bias[j], 0: bias[i]). */
static void fill_c_bias(float *C, int64_t M, int64_t N, int64_t ldc, const float *bias,
                        int bias_dim) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) C[i * ldc + j] = bias_dim ? bias[j] : bias[i];
}

/* pn_sgemm_bias (the bias written tile by tile) gives the bits of filling C with
 * the bias and running pn_sgemm with beta 1, on every path: packed, C computed
 * transposed (N narrower than NR), dot products (few rows, B transposed), an
 * empty K, shapes past MC/NC/KC; and pn_sgemm_packing_b's row bias likewise. */
static void bias_tests(const char *ctx, uint64_t seed) {
    static const int64_t shapes[][3] = {{64, 576, 300}, {300, 10, 256}, {16, 256, 784},
                                        {7, 5, 0},      {205, 1100, 9}, {33, 40, 600}};
    uint64_t s = seed;
    for (int r = 0; r < 6; r++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (int dim = 0; dim < 2; dim++) {
                    int64_t M = shapes[r][0], N = shapes[r][1], K = shapes[r][2];
                    operands o = operands_new(M, N, K, ta, tb, &s);
                    int64_t nb = dim ? N : M;
                    float *bias = malloc(sizeof(float) * (size_t)nb);
                    for (int64_t i = 0; i < nb; i++) bias[i] = (float)rnd(&s);
                    fill_c_bias(o.C1, M, N, o.ldc, bias, dim);
                    int ok = pn_sgemm(ta, tb, M, N, K, 1.0f, o.A, o.lda, o.B, o.ldb, 1.0f, o.C1,
                                      o.ldc) == 0 &&
                             pn_sgemm_bias(ta, tb, M, N, K, o.A, o.lda, o.B, o.ldb, bias, dim, o.C2,
                                           o.ldc) == 0 &&
                             memcmp(o.C1, o.C2, sizeof(float) * (size_t)(M * o.ldc)) == 0;
                    if (ok && dim == 0 && N >= PN_GEMM_MAX_NR && !pn_sgemm_uses_dot(ta, tb, M, K)) {
                        /* the packer route (its sums are the packed path's) */
                        stored_b sb = {o.B, o.ldb, tb};
                        ok = pn_sgemm_packing_b(ta, M, N, K, o.A, o.lda, pack_stored, &sb, 0.0f,
                                                bias, o.C2, o.ldc) == 0 &&
                             memcmp(o.C1, o.C2, sizeof(float) * (size_t)(M * o.ldc)) == 0;
                    }
                    char what[160];
                    snprintf(what, sizeof what,
                             "%s bias fused == filled, %lldx%lldx%lld ta=%d "
                             "tb=%d dim=%d",
                             ctx, (long long)M, (long long)N, (long long)K, ta, tb, dim);
                    record(ok, what);
                    free(bias), free(o.A), free(o.B), free(o.C1), free(o.C2);
                }
    float a[4] = {1, 2, 3, 4}, c[4] = {0};
    stored_b sb = {a, 2, 0};
    record(pn_sgemm_bias(0, 0, 2, 2, 2, a, 2, a, 2, NULL, 1, c, 2) == PN_EINVAL &&
               pn_sgemm_bias(0, 0, 2, 2, 2, a, 2, a, 2, a, 2, c, 2) == PN_EINVAL &&
               pn_sgemm_packing_b(0, 2, 2, 2, a, 2, pack_stored, &sb, 1.0f, a, c, 2) == PN_EINVAL,
           "bias: NULL, a bad dim, or with beta != 0 rejected");
}

int main(void) {
    const char *names[] = {"generic", "avx2", "avx512"};
    /* PYNET_GEMM_KERNEL is read when the kernel is first chosen (this call). */
    setenv("PYNET_GEMM_KERNEL", "generic", 1);
    record(strcmp(pn_gemm_kernel_name(), "generic") == 0, "PYNET_GEMM_KERNEL=generic honoured");
    unsetenv("PYNET_GEMM_KERNEL");
    record(pn_gemm_set_kernel("no-such-kernel") == PN_EINVAL, "set_kernel rejects unknown names");
    {
        float a[4] = {1, 2, 3, 4}, c[4] = {0};
        record(pn_sgemm(0, 0, -1, 2, 2, 1, a, 2, a, 2, 0, c, 2) == PN_EINVAL, "negative M");
        record(pn_sgemm(0, 0, 2, 2, 2, 1, a, 1, a, 2, 0, c, 2) == PN_EINVAL, "lda < K");
        record(pn_sgemm(1, 0, 2, 2, 1, 1, a, 1, a, 2, 0, c, 2) == PN_EINVAL, "lda < M (transA)");
        record(pn_sgemm(0, 1, 2, 2, 2, 1, a, 2, a, 1, 0, c, 2) == PN_EINVAL, "ldb < K (transB)");
        record(pn_sgemm(0, 0, 2, 2, 2, 1, a, 2, a, 2, 0, c, 1) == PN_EINVAL, "ldc < N");
        record(pn_sgemm(0, 0, 0, 0, 0, 1, NULL, 0, NULL, 0, 0, NULL, 0) == PN_OK, "empty, ld 0");
        double d[4] = {0};
        record(pn_dgemm(0, 0, 2, 2, 2, 1, d, 2, d, 2, 0, d, 1) == PN_EINVAL, "dgemm ldc < N");
    }
    for (int k = 0; k < 3; k++) {
        if (pn_gemm_set_kernel(names[k]) != PN_OK) {
            printf("kernel %s not supported here: skipped\n", names[k]);
            continue;
        }
        record(strcmp(pn_gemm_kernel_name(), names[k]) == 0, "kernel name after set");
        for (int nt = 1; nt <= 3; nt++) {
            pn_set_num_threads(nt);
            char ctx[64];
            snprintf(ctx, sizeof ctx, "[%s, %d threads]", names[k], nt);
            sweep(ctx, 1234 + (uint64_t)nt);
            dot_cases(ctx, 555 + (uint64_t)nt);
            if (nt != 3) big_cases(ctx, 77 + (uint64_t)nt);
            packed_b_tests(ctx, 99 + (uint64_t)nt);
            packing_b_tests(ctx, 199 + (uint64_t)nt);
            if (nt > 1) shared_b_tests(ctx, nt, 399 + (uint64_t)nt);
            bias_tests(ctx, 299 + (uint64_t)nt);
            if (nt != 3) a_in_place_tests(ctx, 499 + (uint64_t)nt);
        }
        pn_set_num_threads(2);
        concurrency_tests();
    }
    dgemm_tests();
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail != 0;
}
