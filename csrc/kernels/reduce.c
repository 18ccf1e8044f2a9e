/* reduce.c - see reduce.h. */
#include "reduce.h"
#include "elementwise.h"
#include "fastmath.h"
#include "vecmath.h"
#include "threadpool.h"
#include "transpose.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t pn_bool;

pn_dtype pn_reduce_acc_dtype(pn_reduce_op op, pn_dtype dt) {
    if (op == PN_RSUM || op == PN_RPROD) {
        if (dt == PN_FLOAT32) return PN_FLOAT64;
        if (dt == PN_BOOL) return PN_INT64;
    }
    return dt;
}

void pn_reduce_identity(pn_reduce_op op, pn_dtype acc_dt, void *out) {
    switch (acc_dt) {
    case PN_FLOAT64:
        *(double *)out = op == PN_RSUM    ? 0.0
                         : op == PN_RPROD ? 1.0
                         : op == PN_RMAX  ? -INFINITY
                                          : INFINITY;
        break;
    case PN_FLOAT32:
        *(float *)out = op == PN_RSUM    ? 0.0f
                        : op == PN_RPROD ? 1.0f
                        : op == PN_RMAX  ? -INFINITY
                                         : INFINITY;
        break;
    case PN_INT64:
        *(int64_t *)out = op == PN_RSUM    ? 0
                          : op == PN_RPROD ? 1
                          : op == PN_RMAX  ? INT64_MIN
                                           : INT64_MAX;
        break;
    default:
        *(pn_bool *)out = op == PN_RMIN;
        break; /* max = any, min = all */
    }
}

/* Software prefetch for loops that stream a long contiguous run: ask for the
 * cache line PN_PREFETCH_AHEAD bytes ahead of the one being read. On the AMD
 * EPYC (KVM) machines we measure, the hardware prefetcher alone streams a 16 MB
 * sum at ~12 GB/s; with this hint, ~22 GB/s (a C loop over 4M floats: 1.3 ->
 * 0.7 ms). A prefetch is only a hint and never faults, and the address is
 * formed as an integer, so pointing past the end of the run is harmless. */
#define PN_PREFETCH_AHEAD 4096
/* GCC/clang vector types, for loops that plain C does not vectorise well. */
typedef float pn_v8f __attribute__((vector_size(32)));
typedef int32_t pn_v8i __attribute__((vector_size(32)));
typedef double pn_v4d __attribute__((vector_size(32)));
typedef int64_t pn_v4i __attribute__((vector_size(32)));
static inline void prefetch_ahead(const void *p) {
    __builtin_prefetch((const void *)((uintptr_t)p + PN_PREFETCH_AHEAD));
}

/* Rows row0 + k * step (k < 16), each len values, to lanes of blk (row k in
 * lane k: blk[j * 16 + k] is element j of row k), and back (elements os bytes
 * apart in the destination rows). */
#define SM_BLOCK16(SFX, T) \
    static void sm_gather16_##SFX(const char *row0, int64_t step, int64_t len, T *blk) { \
        const T *rows[16]; \
        for (int k = 0; k < 16; k++) rows[k] = (const T *)(row0 + k * step); \
        for (int64_t j = SM_TILED_##SFX(len); j < len; j++) \
            for (int k = 0; k < 16; k++) blk[j * 16 + k] = rows[k][j]; \
        for (int64_t j = 0; j < SM_TILED_##SFX(len); j += 8) \
            for (int k = 0; k < 16; k += 8) \
                pn_transpose8x8_f32((char *)(blk + j * 16 + k), 16 * sizeof(T), \
                                    (const char *)(rows[k] + j), step); \
    } \
    static void sm_scatter16_##SFX(const T *blk, int64_t len, char *row0, int64_t step, \
                                   int64_t os) { \
        char *rows[16]; \
        for (int k = 0; k < 16; k++) rows[k] = row0 + k * step; \
        int64_t tiled = os == sizeof(T) ? SM_TILED_##SFX(len) : 0; \
        for (int64_t j = tiled; j < len; j++) \
            for (int k = 0; k < 16; k++) *(T *)(rows[k] + j * os) = blk[j * 16 + k]; \
        for (int64_t j = 0; j < tiled; j += 8) \
            for (int k = 0; k < 16; k += 8) \
                pn_transpose8x8_f32(rows[k] + j * os, step, (const char *)(blk + j * 16 + k), \
                                    16 * sizeof(T)); \
    }
/* The leading columns moved as 8x8 tiles (float32 only; float64 moves are scalar). */
#define SM_TILED_f32(len) ((len) - (len) % 8)
#define SM_TILED_f64(len) 0
SM_BLOCK16(f32, float)
SM_BLOCK16(f64, double)

/* sum_run_f32 below for a run shorter than its main step (a row of 10
 * classes): the steps it would take, the pairs of a 16-element step (if any),
 * then an 8-element step (if any), folded lane by lane, then the rest one by
 * one, to the same bits, with no partial-sum arrays. Those, zeroed and then
 * read back as vectors from the stack, stalled every such row on store
 * forwarding: 23 ns a row of 10 against 7.5 for a row of 32. (A zero lane may
 * differ in sign from the arrays' +0, which the fold from acc = +0 absorbs.) */
PN_FINLINE double sum_short_f32(const float *restrict A, int64_t n) {
    int64_t o = n >= 16 ? 16 : 0, i = n - o >= 8 ? o + 8 : o;
    double acc = 0;
    for (int k = 0; k < 8; k++) {
        double a = n >= 16 ? (double)(A[k] + A[8 + k]) : 0.0;
        double b = i > o ? (double)A[o + k] : 0.0;
        acc += a + b;
    }
    for (; i < n; i++) acc += A[i];
    return acc;
}

/* sum_short_f32 of 16 short rows (n < 32 each, rows lda floats apart) at once: the
 * rows are moved into lanes (sm_gather16_f32: element j of row k to blk[16 j + k])
 * and the same steps run on 16 lanes, so each row's sum has the same bits. One
 * row's steps are a chain of 8 dependent double additions and a fold out of its
 * vector; across 16 rows they are whole vectors. sum(1) of floats, 1 thread, us:
 * (8192, 16) 35 -> 27, (13107, 10) 48 -> 40, (262144, 16) 1340 -> 1100. */
PN_FINLINE void sum_short16_f32(const float *A, int64_t n, int64_t lda, double *out) {
    float blk[16 * 32];
    sm_gather16_f32((const char *)A, lda * (int64_t)sizeof(float), n, blk);
    int64_t o = n >= 16 ? 16 : 0, i = n - o >= 8 ? o + 8 : o;
    double acc[16] = {0};
    /* sum_short_f32's acc += a + b, with a zero a or b left out: that changes only
     * the sign of a zero term, and acc (from +0) is never -0 */
    if (n >= 16 && i > o)
        for (int k = 0; k < 8; k++)
            for (int r = 0; r < 16; r++)
                acc[r] += (double)(blk[16 * k + r] + blk[16 * (8 + k) + r]) +
                          (double)blk[16 * (o + k) + r];
    else if (n >= 16)
        for (int k = 0; k < 8; k++)
            for (int r = 0; r < 16; r++)
                acc[r] += (double)(blk[16 * k + r] + blk[16 * (8 + k) + r]);
    else if (i > o)
        for (int k = 0; k < 8; k++)
            for (int r = 0; r < 16; r++) acc[r] += (double)blk[16 * k + r];
    for (; i < n; i++)
        for (int r = 0; r < 16; r++) acc[r] += blk[16 * i + r];
    memcpy(out, acc, sizeof acc);
}

/* The sum of a contiguous float32 run, in double. Adding the floats in pairs
 * first (one rounding, at most 2^-24 of the pair's magnitude, so the whole sum
 * stays within 2^-24 sum|x| of the exact one) halves the float -> double
 * conversions, which bound this loop; 16 double partial sums (four vector
 * chains) keep the additions from waiting on each other. Each step reads two
 * cache lines and prefetches the two 4 KB ahead.
 *   p0[k] += A[i + k] + A[i + 8 + k],  p1[k] += A[i + 16 + k] + A[i + 24 + k]
 * (written as 8-wide arrays, this vectorises as whole vectors; 16-wide ones
 * came out half scalar). */
PN_SIMD_CLONES static double sum_run_f32(const float *restrict A, int64_t n) {
    if (n < 32) return sum_short_f32(A, n);
    double p0[8] = {0}, p1[8] = {0};
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        prefetch_ahead(A + i);
        prefetch_ahead(A + i + 16);
        for (int k = 0; k < 8; k++) {
            p0[k] += (double)(A[i + k] + A[i + 8 + k]);
            p1[k] += (double)(A[i + 16 + k] + A[i + 24 + k]);
        }
    }
    /* the tail in vector steps too, down to 7 elements: one by one, the 16 left
     * of a 784-float row (an image plane) waited 4 cycles per add, a third of
     * the row's time */
    if (i + 16 <= n) {
        for (int k = 0; k < 8; k++) p0[k] += (double)(A[i + k] + A[i + 8 + k]);
        i += 16;
    }
    if (i + 8 <= n) {
        for (int k = 0; k < 8; k++) p1[k] += (double)A[i + k];
        i += 8;
    }
    double acc = 0;
    for (int k = 0; k < 8; k++) acc += p0[k] + p1[k];
    for (; i < n; i++) acc += A[i];
    return acc;
}

/* 16 partial sums (four vectors) of TERM(x, m) over a contiguous float64 run, 16
 * elements at a time, the rest one by one: the sum (TERM = x, no pairs as float32's)
 * and var's squared deviations from a mean m ((x - m)^2, rounded in double). */
#define F64_RUN(NAME, TERM) \
    PN_SIMD_CLONES static double NAME(const double *restrict A, int64_t n, double m) { \
        const pn_v4d mv = {m, m, m, m}; \
        pn_v4d part[4] = {{0}}; \
        int64_t i = 0; \
        for (; i + 16 <= n; i += 16) { \
            prefetch_ahead(A + i); \
            prefetch_ahead(A + i + 8); \
            for (int k = 0; k < 4; k++) { \
                pn_v4d x; \
                memcpy(&x, A + i + 4 * k, sizeof x); \
                part[k] += TERM(x, mv); \
            } \
        } \
        pn_v4d v = (part[0] + part[1]) + (part[2] + part[3]); \
        double acc = (v[0] + v[1]) + (v[2] + v[3]); \
        for (; i < n; i++) acc += TERM(A[i], m); \
        return acc; \
    }
#define RUN_SUM(x, m)   ((void)(m), (x))
#define RUN_SQDEV(x, m) (((x) - (m)) * ((x) - (m)))
F64_RUN(sum_run_f64, RUN_SUM)
F64_RUN(sqdev_run_f64, RUN_SQDEV)
#define sum_run2_f64(A, n) sum_run_f64(A, n, 0.0)

/* acc[r] = the sum of row r (C elements, rows lda apart) for r in [0, R), in
 * double, each row by the contiguous run sum above: the same value as the
 * general loop gives for a row taken whole, without a call through the
 * iterator, a fill of the accumulator and a fold into it per row (for rows of
 * 32 floats those cost twice the sum itself). */
PN_SIMD_CLONES void pn_rowsum(pn_dtype dt, const void *A, int64_t R, int64_t C, int64_t lda,
                              double *acc) {
    int64_t r = 0;
    if (PN_ROWSUM_BLOCK(dt, C) == 16)
        for (; r + 16 <= R; r += 16) sum_short16_f32((const float *)A + r * lda, C, lda, acc + r);
    if (dt == PN_FLOAT32)
        for (; r < R; r++) acc[r] = sum_run_f32((const float *)A + r * lda, C);
    else
        for (; r < R; r++) acc[r] = sum_run_f64((const double *)A + r * lda, C, 0.0);
}

/* var's second pass over a run: sum (A[i] - m)^2 in double, for a mean m (double).
 * Each element is widened to double before the subtraction, so d = A[i] - m is
 * rounded once and d^2 once, then added into one of 16 partial sums (two vectors of
 * 8 doubles: a widening of 8 floats is one instruction with AVX-512, where GCC split
 * 4-float widenings in two: 131k floats 27 -> 18 us), folded in a fixed order.
 * In double, the square of a float32 minus a finite mean cannot overflow (a mean
 * that overflowed is redone in float64 by the op), and the sum of n squares keeps about
 * 53 - log2(n) bits. The grouping depends on n only. */
PN_SIMD_CLONES static double sqdev_run_f32(const float *restrict A, int64_t n, double m) {
    typedef double v8d __attribute__((vector_size(64)));
    const v8d mv = {m, m, m, m, m, m, m, m};
    v8d part[2] = {{0}};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        prefetch_ahead(A + i);
        for (int k = 0; k < 2; k++) {
            pn_v8f x;
            memcpy(&x, A + i + 8 * k, sizeof x);
            v8d d = __builtin_convertvector(x, v8d) - mv;
            part[k] += d * d;
        }
    }
    v8d w = part[0] + part[1];
    pn_v4d v = (pn_v4d){w[0], w[1], w[2], w[3]} + (pn_v4d){w[4], w[5], w[6], w[7]};
    double acc = (v[0] + v[1]) + (v[2] + v[3]);
    for (; i < n; i++) {
        double d = (double)A[i] - m;
        acc += d * d;
    }
    return acc;
}

/* acc[r] = sum over row r of (A[r][j] - mean[r])^2, j < C, for r in [0, R) (rows
 * lda elements apart), in double: var's second pass (pn_var_rows). */
void pn_sqdev_rows(pn_dtype dt, const void *A, int64_t R, int64_t C, int64_t lda,
                   const double *mean, double *acc) {
    for (int64_t r = 0; r < R; r++)
        acc[r] = dt == PN_FLOAT32 ? sqdev_run_f32((const float *)A + r * lda, C, mean[r])
                                  : sqdev_run_f64((const double *)A + r * lda, C, mean[r]);
}

/* Four rows at a time, in the order of memory: acc[j] += (A[r][j] + A[r + 1][j]) +
 * (A[r + 2][j] + A[r + 3][j]) (the sum of four in float: three roundings, each at most
 * 2^-24 of its result, so within 2^-23 of the four terms' magnitude; then in double:
 * one conversion and one double addition per four elements, which bound the loop: sum
 * over dim 0 of 256 x 512 floats 9.7-10.5 -> 8.0-8.8 us), then a pair and a last odd
 * row. Each pass streams its rows and the accumulators (C doubles, in L1 or L2 for
 * rows up to tens of thousands of columns), with the rows 4 KB ahead prefetched. */
PN_SIMD_CLONES void pn_colsum_f32(const float *A, int64_t R, int64_t C, int64_t lda,
                                  double *restrict acc) {
    int64_t r = 0;
    for (; r + 4 <= R; r += 4) {
        const float *restrict a = A + r * lda, *restrict b = a + lda;
        const float *restrict c = b + lda, *restrict d = c + lda;
        for (int64_t j = 0; j < C; j += 16) {
            prefetch_ahead(a + j);
            prefetch_ahead(b + j);
            prefetch_ahead(c + j);
            prefetch_ahead(d + j);
        }
        for (int64_t j = 0; j < C; j++) acc[j] += (double)((a[j] + b[j]) + (c[j] + d[j]));
    }
    for (; r + 2 <= R; r += 2) {
        const float *restrict a = A + r * lda, *restrict b = a + lda;
        for (int64_t j = 0; j < C; j += 16) { /* apart: in the sum loop they stop */
            prefetch_ahead(a + j);            /* it from vectorising */
            prefetch_ahead(b + j);
        }
        for (int64_t j = 0; j < C; j++) acc[j] += (double)(a[j] + b[j]);
    }
    for (; r < R; r++)
        for (int64_t j = 0; j < C; j++) acc[j] += A[r * lda + j];
}

/* acc op= x. When acc does not move (s[0] == 0, the common "reduce the inner
 * dimension" case) the running value is kept in registers: for float sums of a
 * contiguous run, by sum_run_f32/f64 above; for integer sums, in 8 independent
 * partial sums, so the additions overlap in the pipeline (one chain would wait
 * for the previous addition) and vectorize.
 * When acc moves with the input (reducing an outer dimension), both are
 * contiguous in the common case and the loop is a plain vector update. */
#define REDUCE_LOOP(NAME, TA, T, COMBINE, IS_SUM) \
    PN_SIMD_CLONES static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        (void)aux; \
        if (s[0] == 0) { \
            TA acc = *(TA *)p[0]; \
            int64_t i = 0; \
            if (IS_SUM && s[1] == sizeof(T)) { \
                const T *A = (const T *)p[1]; \
                TA part[8] = {0}; \
                for (; i + 8 <= n; i += 8) \
                    for (int k = 0; k < 8; k++) part[k] = COMBINE(part[k], (TA)A[i + k]); \
                for (int k = 0; k < 8; k++) acc = COMBINE(acc, part[k]); \
            } \
            for (; i < n; i++) { \
                TA x = (TA) * (const T *)(p[1] + i * s[1]); \
                acc = COMBINE(acc, x); \
            } \
            *(TA *)p[0] = acc; \
        } else if (s[0] == sizeof(TA) && s[1] == sizeof(T)) { \
            TA *a = (TA *)p[0]; \
            const T *A = (const T *)p[1]; \
            for (int64_t i = 0; i < n; i++) a[i] = COMBINE(a[i], (TA)A[i]); \
        } else { \
            for (int64_t i = 0; i < n; i++) { \
                TA *a = (TA *)(p[0] + i * s[0]); \
                TA x = (TA) * (const T *)(p[1] + i * s[1]); \
                *a = COMBINE(*a, x); \
            } \
        } \
    }

#define ADD(a, x)  ((a) + (x))
#define MUL(a, x)  ((a) * (x))
#define IADD(a, x) ((int64_t)((uint64_t)(a) + (uint64_t)(x)))
#define IMUL(a, x) ((int64_t)((uint64_t)(a) * (uint64_t)(x)))
/* NaN wins: once the accumulator is NaN it stays NaN. */
#define FMAXC(a, x) ((a) != (a) ? (a) : ((x) > (a) || (x) != (x) ? (x) : (a)))
#define FMINC(a, x) ((a) != (a) ? (a) : ((x) < (a) || (x) != (x) ? (x) : (a)))
#define IMAXC(a, x) ((x) > (a) ? (x) : (a))
#define IMINC(a, x) ((x) < (a) ? (x) : (a))

REDUCE_LOOP(sum_f32_any, double, float, ADD, 1)
REDUCE_LOOP(sum_f64_any, double, double, ADD, 1)
/* The float sums: a contiguous run into one accumulator by sum_run_f32/f64,
 * everything else by REDUCE_LOOP's loops. */
#define SUM_LOOP(NAME, T, RUN) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        if (s[0] == 0 && s[1] == sizeof(T)) { \
            *(double *)p[0] += RUN((const T *)p[1], n); \
            return; \
        } \
        NAME##_any(p, s, n, aux); \
    }
SUM_LOOP(sum_f32, float, sum_run_f32)
SUM_LOOP(sum_f64, double, sum_run2_f64)
REDUCE_LOOP(sum_i64, int64_t, int64_t, IADD, 1)
REDUCE_LOOP(sum_b, int64_t, pn_bool, IADD, 1)
REDUCE_LOOP(prod_f32, double, float, MUL, 0)
REDUCE_LOOP(prod_f64, double, double, MUL, 0)
REDUCE_LOOP(prod_i64, int64_t, int64_t, IMUL, 0)
REDUCE_LOOP(prod_b, int64_t, pn_bool, IMUL, 0)
/* max/min of a contiguous float run into one accumulator, vectorized with GCC/clang
 * vector types (plain C selects of floats are not: the compiler must keep their NaN
 * and signed-zero semantics): 32-byte lanes of running maxima, updated by a compare
 * mask (which ignores NaN: x > m is false for it), and lanes of NaN flags. A NaN seen
 * makes the result the run's first NaN, as the one-at-a-time FMAXC loop gives. Ties
 * between -0 and +0 may resolve to either zero. Four independent vectors of maxima
 * (folded at the end: the max does not depend on the grouping) let the compares of
 * one step not wait on the previous step's. */
#define EXTREMUM_STEP(m, x, VT, VI, GT) \
    do { \
        VI take_ = GT((x), (m)); \
        (m) = (VT)(((VI)(x) & take_) | ((VI)(m) & ~take_)); \
        nan |= (x) != (x); \
    } while (0)
#define EXTREMUM_RUN(NAME, T, VT, VI, L, GT) \
    PN_SIMD_CLONES static T NAME(T acc, const T *A, int64_t n) { \
        VT m[4]; \
        VI nan = {0}; \
        for (int k = 0; k < L; k++) m[0][k] = acc; \
        m[1] = m[2] = m[3] = m[0]; \
        int64_t i = 0; \
        for (; i + 4 * L <= n; i += 4 * L) { /* four chains, two cache lines */ \
            prefetch_ahead(A + i); \
            prefetch_ahead(A + i + 2 * L); \
            for (int c = 0; c < 4; c++) { \
                VT x; \
                memcpy(&x, A + i + c * L, sizeof x); \
                EXTREMUM_STEP(m[c], x, VT, VI, GT); \
            } \
        } \
        for (; i + L <= n; i += L) { \
            VT x; \
            memcpy(&x, A + i, sizeof x); \
            EXTREMUM_STEP(m[0], x, VT, VI, GT); \
        } \
        for (int c = 1; c < 4; c++) EXTREMUM_STEP(m[0], m[c], VT, VI, GT); \
        int any = 0; \
        for (int k = 0; k < L; k++) acc = GT(m[0][k], acc) ? m[0][k] : acc, any |= nan[k] != 0; \
        for (; i < n; i++) acc = GT(A[i], acc) ? A[i] : acc, any |= A[i] != A[i]; \
        for (int64_t j = 0; any && j < n; j++) \
            if (A[j] != A[j]) return A[j]; \
        return acc; \
    }
#define GT_(x, m) ((x) > (m))
#define LT_(x, m) ((x) < (m))
EXTREMUM_RUN(max_run_f32, float, pn_v8f, pn_v8i, 8, GT_)
EXTREMUM_RUN(max_run_f64, double, pn_v4d, pn_v4i, 4, GT_)
EXTREMUM_RUN(min_run_f32, float, pn_v8f, pn_v8i, 8, LT_)
EXTREMUM_RUN(min_run_f64, double, pn_v4d, pn_v4i, 4, LT_)

/* The max/min loops: a contiguous run into a fixed (not NaN) accumulator by the
 * vectorized EXTREMUM_RUN, everything else by REDUCE_LOOP's loops. */
#define EXTREMUM_LOOP(NAME, T, RUN) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        T *acc = (T *)p[0]; \
        if (s[0] == 0 && s[1] == sizeof(T) && *acc == *acc) { \
            *acc = RUN(*acc, (const T *)p[1], n); \
            return; \
        } \
        NAME##_any(p, s, n, aux); \
    }

REDUCE_LOOP(max_f32_any, float, float, FMAXC, 0)
REDUCE_LOOP(max_f64_any, double, double, FMAXC, 0)
EXTREMUM_LOOP(max_f32, float, max_run_f32)
EXTREMUM_LOOP(max_f64, double, max_run_f64)
REDUCE_LOOP(max_i64, int64_t, int64_t, IMAXC, 0)
REDUCE_LOOP(max_b, pn_bool, pn_bool, IMAXC, 0)
REDUCE_LOOP(min_f32_any, float, float, FMINC, 0)
REDUCE_LOOP(min_f64_any, double, double, FMINC, 0)
EXTREMUM_LOOP(min_f32, float, min_run_f32)
EXTREMUM_LOOP(min_f64, double, min_run_f64)
REDUCE_LOOP(min_i64, int64_t, int64_t, IMINC, 0)
REDUCE_LOOP(min_b, pn_bool, pn_bool, IMINC, 0)

pn_loop_fn pn_reduce_loop(pn_reduce_op op, pn_dtype dt) {
    static const pn_loop_fn t[PN_NREDUCE][PN_NDTYPES] = {
        [PN_RSUM] = {sum_b, sum_i64, sum_f32, sum_f64},
        [PN_RPROD] = {prod_b, prod_i64, prod_f32, prod_f64},
        [PN_RMAX] = {max_b, max_i64, max_f32, max_f64},
        [PN_RMIN] = {min_b, min_i64, min_f32, min_f64},
    };
    if ((unsigned)op >= PN_NREDUCE || (unsigned)dt >= PN_NDTYPES) return NULL;
    return t[op][dt];
}

/* ------------------------------------------------------------- argmax/min ---- */

/* A contiguous row in ARG_LANES lanes: lane k takes the elements k, k + L,
 * k + 2L, ... with the rule below (the lane's first NaN, else its first largest),
 * then the lanes are merged: the NaN of smallest index, else the largest value
 * at its smallest index. That is the scalar loop's answer, in vectors. The tail
 * past the last whole group of L is left to the caller, which continues the
 * scalar loop from *at (the lanes' indices are all smaller). */
#define ARG_LANES 16
/* The lanes' rule, one step: lane (b, i) takes value v at index at if it holds no
 * NaN yet and v is better, or NaN (a select, not a branch: it vectorizes). */
#define ARG_TAKE(BETTER, v, b, i, at) \
    do { \
        int take_ = ((b) == (b)) & (BETTER(v, b) | ((v) != (v))); \
        (b) = take_ ? (v) : (b); \
        (i) = take_ ? (at) : (i); \
    } while (0)
#define ARG_LANES_RUN(NAME, T, BETTER) \
    static inline __attribute__((always_inline)) void NAME(const T *restrict x, int64_t n, \
                                                           T *best, int64_t *arg, int64_t *at) { \
        T b[ARG_LANES]; \
        int64_t id[ARG_LANES]; \
        for (int k = 0; k < ARG_LANES; k++) b[k] = x[k], id[k] = k; \
        int64_t r = ARG_LANES; \
        for (; r + ARG_LANES <= n; r += ARG_LANES) \
            for (int k = 0; k < ARG_LANES; k++) { \
                T v = x[r + k]; \
                ARG_TAKE(BETTER, v, b[k], id[k], r + k); \
            } \
        T m = b[0]; \
        int64_t a = id[0]; \
        for (int k = 1; k < ARG_LANES; k++) { \
            int m_nan = m != m, k_nan = b[k] != b[k]; \
            int win = k_nan ? (!m_nan || id[k] < a) \
                            : (!m_nan && (BETTER(b[k], m) || (b[k] == m && id[k] < a))); \
            if (win) m = b[k], a = id[k]; \
        } \
        *best = m, *arg = a, *at = r; \
    }
#define ARG_LOOP(NAME, T, BETTER) \
    ARG_LANES_RUN(NAME##_lanes, T, BETTER) \
    PN_SIMD_CLONES static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        const pn_row_args *r = aux; \
        for (int64_t i = 0; i < n; i++) { \
            const char *row = p[2] + i * s[2]; \
            T best = *(const T *)row; \
            int64_t arg = 0, j = 1; \
            if (r->in_stride == sizeof(T) && r->n >= 2 * ARG_LANES) \
                NAME##_lanes((const T *)row, r->n, &best, &arg, &j); \
            for (; j < r->n && best == best; j++) { \
                T x = *(const T *)(row + j * r->in_stride); \
                if (BETTER(x, best)) { \
                    best = x; \
                    arg = j; \
                } \
            } \
            *(int64_t *)(p[0] + i * s[0]) = arg; \
            *(T *)(p[1] + i * s[1]) = best; \
        } \
    }

/* The same along a dimension that is not the last, columns as vector lanes:
 * x (outer, n, inner) contiguous; for each outer block, best/idx (inner) start
 * as row 0 and are updated with each next row in memory order,
 *   take = best is not NaN and (x better than best, or x is NaN),
 * the first NaN or the first of equal extremes kept, as the row loop does. The
 * row loop would walk each column inner elements apart, a cache miss per
 * element; here every row is read once, contiguously. Columns go in blocks of
 * ARGCOL_BLOCK, so best and idx stay in L1 across the rows. */
#define ARGCOL_BLOCK 1024
#define ARGCOL_LOOP(NAME, T, BETTER) \
    PN_SIMD_CLONES static void NAME(const T *restrict x, int64_t n, int64_t inner, int64_t j0, \
                                    int64_t j1, T *restrict best, int64_t *restrict idx) { \
        for (int64_t j = j0; j < j1; j++) best[j] = x[j], idx[j] = 0; \
        for (int64_t r = 1; r < n; r++) { \
            const T *row = x + r * inner; \
            for (int64_t j = j0; j < j1; j++) ARG_TAKE(BETTER, row[j], best[j], idx[j], r); \
        } \
    }
#define GT(x, b)        ((x) > (b))
#define LT(x, b)        ((x) < (b))
#define GT_OR_NAN(x, b) ((x) > (b) || (x) != (x))
#define LT_OR_NAN(x, b) ((x) < (b) || (x) != (x))
/* both kernels of both directions for one dtype (the row loop's rule counts NaN in
 * itself: with plain GT, GCC 12 no longer vectorizes its lanes) */
#define ARG_KERNELS(SUF, T) \
    ARG_LOOP(argmax_##SUF, T, GT_OR_NAN) \
    ARG_LOOP(argmin_##SUF, T, LT_OR_NAN) \
    ARGCOL_LOOP(argmax_cols_##SUF, T, GT) \
    ARGCOL_LOOP(argmin_cols_##SUF, T, LT)
ARG_KERNELS(f32, float)
ARG_KERNELS(f64, double)
ARG_KERNELS(i64, int64_t)
ARG_KERNELS(b, pn_bool)

pn_loop_fn pn_argreduce_loop(int is_max, pn_dtype dt) {
    static const pn_loop_fn t[2][PN_NDTYPES] = {{argmin_b, argmin_i64, argmin_f32, argmin_f64},
                                                {argmax_b, argmax_i64, argmax_f32, argmax_f64}};
    if ((unsigned)dt >= PN_NDTYPES) return NULL;
    return t[is_max != 0][dt];
}

typedef struct {
    int is_max;
    pn_dtype dt;
    const char *x;
    int64_t n, inner, blocks; /* blocks: column blocks per outer index */
    char *best;
    int64_t *idx;
} argcols_job;

/* Units [u0, u1): unit u is column block u % blocks of outer index u / blocks. */
static void argcols_range(void *ctx, int64_t u0, int64_t u1) {
    const argcols_job *jb = ctx;
    const int64_t E = (int64_t)pn_itemsize(jb->dt);
    for (int64_t u = u0; u < u1; u++) {
        int64_t o = u / jb->blocks, j0 = u % jb->blocks * ARGCOL_BLOCK;
        int64_t j1 = j0 + ARGCOL_BLOCK < jb->inner ? j0 + ARGCOL_BLOCK : jb->inner;
        const char *x = jb->x + o * jb->n * jb->inner * E;
        char *best = jb->best + o * jb->inner * E;
        int64_t *idx = jb->idx + o * jb->inner;
#define ARGCOLS(T, MAX, MIN) \
    (jb->is_max ? MAX : MIN)((const T *)x, jb->n, jb->inner, j0, j1, (T *)best, idx)
        switch (jb->dt) {
        case PN_FLOAT32:
            ARGCOLS(float, argmax_cols_f32, argmin_cols_f32);
            break;
        case PN_FLOAT64:
            ARGCOLS(double, argmax_cols_f64, argmin_cols_f64);
            break;
        case PN_INT64:
            ARGCOLS(int64_t, argmax_cols_i64, argmin_cols_i64);
            break;
        default:
            ARGCOLS(pn_bool, argmax_cols_b, argmin_cols_b);
            break;
        }
#undef ARGCOLS
    }
}

void pn_argreduce_cols(int is_max, pn_dtype dt, const void *x, int64_t outer, int64_t n,
                       int64_t inner, void *best, int64_t *idx) {
    argcols_job jb = {is_max, dt, x, n, inner, (inner + ARGCOL_BLOCK - 1) / ARGCOL_BLOCK,
                      best,   idx};
    int64_t units = outer * jb.blocks, per_unit = n * (inner < ARGCOL_BLOCK ? inner : ARGCOL_BLOCK);
    int64_t grain = per_unit >= 32768 ? 1 : 32768 / (per_unit ? per_unit : 1);
    pn_parallel_for(units, grain, argcols_range, &jb);
}

/* ---------------------------------------------------------------- softmax ---- */

/* Per row x[0..n): m = max x (NaN if the row has one), s = sum exp(x - m),
 *   softmax:     y = exp(x - m) / s
 *   log-softmax: y = x - (m + log s)
 *   logsumexp:   one value per row, m + log s; an infinite m is the result
 *                (all -inf gives -inf, a +inf gives inf, as in PyTorch)
 * A row of all -inf, or one with a NaN or +inf, gives NaN for the first two,
 * as in PyTorch (x - m is NaN there). The max is the vectorized EXTREMUM_RUN;
 * the sum and its log are in double. softmax's output is exp(x - m) (kept in y
 * between the passes) times 1 / s, rounded once (SM_SCALE); log-softmax's is
 * (x - m) - ls in the row's type, ls = log s rounded to it: float32 outputs are
 * then within 1.32 ulp (measured over rows of 2 .. 1000 values, near and far
 * from the max; 1.12 when the subtraction was done in double, which made the
 * output pass 1.3x as long; PyTorch's float sum and log: millions of ulps where
 * one value dominates the row). */
typedef enum { PN_SM_SOFTMAX, PN_SM_LOG, PN_SM_LSE } pn_sm_mode;

/* exp(x - m) * 2^64 for floats x <= m (or NaN), vectorizable, within about
 * 1 ulp (measured by tests/test_softmax_kernels.py through the ops):
 *   y = x - m exactly, as yh + yl (TwoSum): rounding y to a float would cost
 *       |y| * 2^-24 relative, 10 ulp at y = -20;
 *   y = n ln2 + r, n = round(y / ln2), r = (yh - n ln2_hi) + (yl - n ln2_lo),
 *       the first bracket exact (Cody-Waite: ln2_hi has 16 bits, |n| <= 150),
 *       so r is rounded once;
 *   exp(r) by its Taylor polynomial to r^7 (|r| <= 0.347: the terms left out
 *       are below r^8/8! = 5e-9 relative, 0.08 ulp), Horner in fused
 *       multiply-adds (one rounding per step);
 *   2^(n + 64) from exponent bits: below y = -104 the result is 0 (exp(-104)
 *       = 7e-46 is 0 in float, and log(1 + 7e-46) too), so n >= -150 and
 *       2^(n + 64) is a normal float; the 2^64 cancels in the ratio exp / sum
 *       and is taken off the sum (exactly) for its log.
 * fmaf is exact, so every clone (and a libm call where the target has no FMA)
 * gives the same bits. */
static inline float pn_exp_shift_f(float x, float m) {
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float yh = x - m, bb = yh - x, yl = (x - (yh - bb)) + (-m - bb); /* TwoSum */
    int under = yh < -104.0f; /* also x = -inf, whose yl is NaN; comparisons keep NaN */
    yh = under ? -104.0f : yh;
    yl = under ? 0.0f : yl;
    float t = __builtin_fmaf(yh, log2e, magic), nf = t - magic;
    int32_t n = pn_float_to_bits(t) - pn_float_to_bits(magic); /* round(y / ln2) */
    float r = __builtin_fmaf(-nf, ln2_hi, yh) + __builtin_fmaf(-nf, ln2_lo, yl);
    float p = 1.0f / 5040;
    p = __builtin_fmaf(p, r, 1.0f / 720);
    p = __builtin_fmaf(p, r, 1.0f / 120);
    p = __builtin_fmaf(p, r, 1.0f / 24);
    p = __builtin_fmaf(p, r, 1.0f / 6);
    p = __builtin_fmaf(p, r, 0.5f);
    p = __builtin_fmaf(p, r, 1.0f);
    p = __builtin_fmaf(p, r, 1.0f);
    /* shifted as unsigned: for a NaN x, n is garbage (the result is NaN anyway) */
    float scale = pn_bits_to_float((int32_t)((uint32_t)(n + 127 + 64) << 23));
    return p * (under ? 0.0f : scale); /* exp(-inf) = 0: log1p(rest) sees every term */
}

/* Per dtype: EXPS(x, m) = exp(x - m) / UNSCALE in double, ONE = 1 / UNSCALE
 * (what EXPS gives for x = m). float64 rows take fastmath.h's pn_exp_f64_tab (0.556 ulp),
 * unscaled: the float64 exp op's bits, which its kernels give over contiguous rows
 * (sm_expsum_f64). */
#define EXPS_f32(x, m) ((double)pn_exp_shift_f(x, m))
#define EXPS_f64(x, m) pn_exp_f64_tab((x) - (m))
#define UNSCALE_f32    0x1p-64
#define UNSCALE_f64    1.0

/* The sum of 16 partial sums, folded in halves (16 -> 8 -> 4 -> 2 -> 1): four
 * dependent vector additions instead of sixteen scalar ones, which a short row
 * waits on. Written out: as a loop over the width they went through the stack,
 * a third of the time of a 32-float softmax row. */
PN_FINLINE double fold16(double *part) {
    for (int k = 0; k < 8; k++) part[k] += part[k + 8];
    for (int k = 0; k < 4; k++) part[k] += part[k + 4];
    for (int k = 0; k < 2; k++) part[k] += part[k + 2];
    return part[0] + part[1];
}

/* The log modes need log(s) accurate even where s = 1 + rest with a tiny rest
 * (log-softmax at the max is -log(s); logsumexp of [0, -30] is log(1 + e^-30) =
 * 9e-14): the sum's roundings cost up to n 2^-53 absolute, so log1p(s - 1) is
 * within 2^-31 relative only while rest >= n 2^-22. Rows below that (a max
 * that dominates) get a second exp pass, which counts the terms equal to 1
 * (x = m) apart and sums the others; then
 *   log(s) = log1p((ones - 1) + rest),  ones - 1 exact.
 * float32 contiguous rows in SM_EXPSUM's 16 lanes (SM_SPLIT_ROW), columns (and
 * strided rows, as one lane) each in its lane (sm_log_sums), float64 contiguous
 * rows in order (SM_SPLIT_SUM). The fast pass stays a plain sum, which vectorizes
 * best. */
#define SM_NEEDS_SPLIT(n, s1) ((s1) - 1.0 < (double)(n) * 0x1p-22) /* s1: the sum, unscaled */
#define SM_SPLIT_SUM(NAME, T, SFX) \
    static double NAME(const char *x, int64_t n, int64_t is, T m) { \
        double rest = 0, ones = 0; \
        for (int64_t j = 0; j < n; j++) { \
            double e = EXPS_##SFX(*(const T *)(x + j * is), m); \
            if (e == 1.0 / UNSCALE_##SFX) \
                ones += 1; \
            else \
                rest += e; \
        } \
        return pn_log1p_d((ones - 1.0) + rest * UNSCALE_##SFX); \
    }
SM_SPLIT_SUM(sm_split_log_f64, double, f64)
/* One term of a split sum, e = EXPS(x, m) in the row's type: counted in ones if it
 * is 1 / UNSCALE, else added to rest (the other adds +0). Written with the compare
 * in T and an int count so that GCC vectorizes it (as doubles compared and
 * selected, the loop stayed scalar). */
#define EXPT_f32(x, m) pn_exp_shift_f(x, m)
#define EXPT_f64(x, m) pn_exp_f64_tab((x) - (m))
#define SM_SPLIT_TERM(T, SFX, x, m, one_acc, rest_acc) \
    { \
        T e_ = EXPT_##SFX(x, m); \
        int one_ = e_ == (T)(1.0 / UNSCALE_##SFX); \
        one_acc += (double)one_; \
        rest_acc += (double)(one_ ? (T)0 : e_); \
    }
#define SM_SPLIT_STEP(v, T, SFX) \
    for (int k = 0; k < L; k++) SM_SPLIT_TERM(T, SFX, (v)[k], m, ones[k], rest[k])
/* The split sum of a contiguous row, in SM_EXPSUM's order: 16 lanes (element j in
 * lane j mod 16, the last n % 16 padded with -inf, whose exp 0 adds nothing), each
 * counting its terms equal to 1 / UNSCALE and summing the others (a lane adds +0
 * where the other takes the term), both folded by fold16. It vectorizes: the one
 * running sum of SM_SPLIT_SUM, an exp call and a branch per element, made
 * log_softmax over (2048, 100) with one dominating logit per row 3.6 ms (0.15 ms
 * without; PyTorch 0.13) where it is now 0.33 (float32; float64's keep the running
 * sum, below). softmax_short.c's kernels do the same, to the bit. */
#define SM_SPLIT_ROW(NAME, T, SFX) \
    PN_FINLINE double NAME(const T *restrict x, int64_t n, T m) { \
        enum { L = 16 }; \
        double ones[L] = {0}, rest[L] = {0}; \
        int64_t j = 0, nv = n - n % L; \
        T tail[L]; \
        for (int k = 0; k < L; k++) tail[k] = nv + k < n ? x[nv + k] : (T) - INFINITY; \
        for (; j < nv; j += L) SM_SPLIT_STEP(x + j, T, SFX) \
        if (nv < n) SM_SPLIT_STEP(tail, T, SFX) \
        return pn_log1p_d((fold16(ones) - 1.0) + fold16(rest) * UNSCALE_##SFX); \
    }
SM_SPLIT_ROW(sm_split_row_f32, float, f32)
/* float64's exps (pn_exp_f64_tab, whose table lookups a compiled loop does not
 * vectorize) one at a time either way: the one running sum was faster than 16 lanes */
#define sm_split_row_f64(x, n, m) sm_split_log_f64((const char *)(x), n, sizeof(double), m)

/* logsumexp's m + log(s) cancels where the max m is negative and about -log(s)
 * (a short row of negative values): the float exps' 1-ulp errors, up to
 * 2^-23 (s - 1) / s absolute in log(s), are then many ulps of the result (60
 * for [-2.41, -1.41, -2.50, -1.63, -0.94], logsumexp 0.0019). Where |m + log s|
 * < 2 (s - 1) / s, the float32 row is summed again with double exps
 * (pn_exp_v_d, relative error 2e-16; 0 below e^-707, which no sum >= 1 notices):
 * rare for long rows or a positive max, and within 2 ulp everywhere. float64's
 * exps are double already. */
PN_FINLINE double sm_exp_d(double y) {
    return y < -707.0 ? 0.0 : pn_exp_v_d(y);
}
#define EXPS_f32x(x, m) sm_exp_d((double)(x) - (double)(m))
#define UNSCALE_f32x    1.0
SM_SPLIT_SUM(sm_exact_log_f32, float, f32x)
#define SM_LSE_CANCELS_f32(r, s1) (fabs(r) < 2.0 * (1.0 - 1.0 / (s1)))
#define SM_LSE_CANCELS_f64(r, s1) 0
#define sm_exact_log_f64          sm_split_log_f64 /* not called: float64 sums are exact enough */

/* An infinite max is logsumexp's result: +inf in the row, or all of it -inf. */
#define PN_IS_INF(m) ((m) == INFINITY || (m) == -INFINITY)

/* softmax's y = e / s as e (ih + il), ih + il = 1 / s to 2^-48 (float32; float64:
 * il = 0), with one rounding: fma(e, ih, e il) is within 0.5 ulp of e / s and a
 * hair, as (double)e * (1 / s) rounded to float was, in 2 float operations per
 * vector instead of 7 (conversions both ways). */
#define SM_SCALE_f32(e, ih, il) __builtin_fmaf(e, ih, (e) * (il))
#define SM_SCALE_f64(e, ih, il) __builtin_fma(e, ih, (e) * (il))

/* A contiguous row x[0..n) -> y (n values, or 1 for logsumexp), in passes:
 *   SM_EXPSUM (float32; sm_expsum_f64 below keeps its order): sum exp(x - m)
 *     (softmax: exp(x - m) kept in y). L independent
 *     double partial sums so that it vectorizes; the lanes are folded in a fixed
 *     order, so the result depends on n only, never on threads. L = 16: two
 *     vectors of doubles even with AVX-512, so the additions of one step do not
 *     wait on the previous step's (with 8, one AVX-512 chain, the softmax took
 *     1.33x as long on a Zen 4).
 *   SM_FINISH: softmax divides by the sum; the log modes take its log and write
 *     (x - m) - log s (logsumexp: m + log s, in double). */
#define SM_EXPSUM(NAME, T, SFX) \
    PN_FINLINE double NAME(const T *restrict x, T *restrict y, int64_t n, T m, int mode) { \
        enum { L = 16 }; /* fold16's width */ \
        double part[L] = {0}; \
        int64_t j = 0, nv = n - n % L; \
        /* the last n % L values as one more step of the lanes, padded with -inf \
         * (whose exp is 0): a row of 10 classes is one vector step, not 10 scalar exps */ \
        T tail[L]; \
        for (int k = 0; k < L; k++) tail[k] = nv + k < n ? x[nv + k] : (T) - INFINITY; \
        if (mode != PN_SM_SOFTMAX) { \
            for (; j < nv; j += L) \
                for (int k = 0; k < L; k++) part[k] += EXPS_##SFX(x[j + k], m); \
            if (nv < n) \
                for (int k = 0; k < L; k++) part[k] += EXPS_##SFX(tail[k], m); \
        } else { /* exp(x - m) kept in y, scaled by SM_FINISH */ \
            for (; j < nv; j += L) \
                for (int k = 0; k < L; k++) part[k] += (y[j + k] = (T)EXPS_##SFX(x[j + k], m)); \
            if (nv < n) { \
                for (int k = 0; k < L; k++) part[k] += (tail[k] = (T)EXPS_##SFX(tail[k], m)); \
                for (j = nv; j < n; j++) y[j] = tail[j - nv]; \
            } \
        } \
        return fold16(part); \
    }
SM_EXPSUM(sm_expsum_f32, float, f32)
#define SM_FINISH(NAME, T, SFX) \
    PN_FINLINE void NAME(const T *restrict x, T *restrict y, int64_t n, T m, double sum, \
                         int mode) { \
        if (mode == PN_SM_LSE && PN_IS_INF(m)) { \
            y[0] = m; \
            return; \
        } \
        if (mode == PN_SM_SOFTMAX) { \
            double inv = 1.0 / sum; \
            T ih = (T)inv, il = (T)(inv - (double)ih); /* SM_SCALE */ \
            for (int64_t j = 0; j < n; j++) y[j] = SM_SCALE_##SFX(y[j], ih, il); \
            return; \
        } \
        sum *= UNSCALE_##SFX; \
        double ls = SM_NEEDS_SPLIT(n, sum) ? sm_split_row_##SFX(x, n, m) : pn_log1p_d(sum - 1.0); \
        /* y = (x - m) - ls: no rounding of m + ls */ \
        if (mode == PN_SM_LSE) { \
            double r = m + ls; \
            if (SM_LSE_CANCELS_##SFX(r, sum)) \
                r = m + sm_exact_log_##SFX((const char *)x, n, sizeof(T), m); \
            y[0] = (T)r; \
        } else { \
            T lsr = (T)ls; \
            for (int64_t j = 0; j < n; j++) y[j] = (x[j] - m) - lsr; \
        } \
    }
/* Software prefetch for short rows over arrays larger than the caches (see
 * common.h's PN_PREFETCH_BLOCK): the hardware prefetcher falls behind loops that
 * work a few hundred cycles on each short row between its loads. How many rows
 * ahead of the current one to fetch (about PN_PREFETCH_BLOCK elements), or 0: for
 * rows x n elements that fit in cache, and for rows longer than SM_PREFETCH_ROW,
 * long streams the hardware follows (rows of 2048 ran 5% slower with it).
 * Measured on a Xeon (AVX-512), 1 thread, 4M floats, ms, before -> after:
 * softmax rows of 16 forward 4.6 -> 4.0, forward + backward 14.2 -> 8.5; rows of
 * 32 4.6 -> 3.8 and 10.6 -> 7.5; log_softmax rows of 16 5.0 -> 4.2, 11.0 -> 9.2. */
#define SM_PREFETCH_ROW 64
static inline int64_t sm_prefetch_ahead(int64_t rows, int64_t n) {
    return rows * n < PN_PREFETCH_MIN || n > SM_PREFETCH_ROW ? 0 : PN_PREFETCH_BLOCK / n;
}
/* Prefetch rows [first, first + count) (those below rows) of `bytes` bytes each,
 * row i at base + i step: one prefetch per 64-byte line. */
static inline void sm_prefetch_rows(const char *base, int64_t step, int64_t first, int64_t count,
                                    int64_t rows, int64_t bytes) {
    for (int64_t i = first; i < first + count && i < rows; i++)
        for (int64_t o = 0; o < bytes; o += 64) __builtin_prefetch(base + i * step + o);
}

/* Rows x0 + i xs -> y0 + i ys (i < rows), SM_ROWS at a time, each pass over all
 * of them before the next: a row's passes are one chain (max, exp sum, fold,
 * log, output: ~200 cycles of latency, which for rows of 65 was as long as
 * their work), and the core overlaps the rows of a pass instead. Every row's
 * arithmetic is the one-row kernel's, so its bits do not depend on the block.
 * Measured on a Zen 4 core, ns per row, before -> after (PyTorch): log_softmax
 * rows of 65 97 -> 76 (52), of 128 131 -> 108 (74), of 1000 685 -> 670 (573);
 * softmax rows of 65 73 -> 62 (70). Blocks of 2 or 8 rows measured as 4. */
#define SM_ROWS 4
/* Rows longer than 512 go one at a time: their chains are short beside their
 * work, and four of them no longer fit in L1 between the passes (2048 x 2048
 * softmax forward and backward took 15% longer in blocks of four). */
#define SM_BLOCK_ROWS(n) ((n) <= 512 ? SM_ROWS : 1)
/* float64 rows: SM_EXPSUM's sum in its order (element j in lane j mod 16; the tail's
 * lanes add nothing, as its -inf padding added +0), the exps by the float64 exp op's
 * kernel over chunks of 256 (the bits of EXPS_f64, whose call per element did not
 * vectorize: softmax over (256, 512) doubles 579 -> 125 us at 1 thread, PyTorch 178). */
static double sm_expsum_f64(const double *restrict x, double *restrict y, int64_t n, double m,
                            int mode) {
    enum { L = 16, C = 256 };
    double part[L] = {0}, buf[C];
    for (int64_t j0 = 0; j0 < n; j0 += C) {
        int64_t c = n - j0 < C ? n - j0 : C, k = 0;
        for (int64_t i = 0; i < c; i++) buf[i] = x[j0 + i] - m;
        pn_exp_f64_contig(buf, buf, c);
        for (; k + L <= c; k += L)
            for (int l = 0; l < L; l++) part[l] += buf[k + l];
        for (int l = 0; k + l < c; l++) part[l] += buf[k + l];
        if (mode == PN_SM_SOFTMAX) memcpy(y + j0, buf, (size_t)c * sizeof *y);
    }
    return fold16(part);
}
#define SOFTMAX_CONTIG(NAME, T, SFX, RUN) \
    SM_FINISH(sm_finish_##SFX, T, SFX) \
    PN_SIMD_CLONES static void NAME(const char *x0, int64_t xs, char *y0, int64_t ys, \
                                    int64_t rows, int64_t n, int mode) { \
        const int blk = SM_BLOCK_ROWS(n); \
        const int64_t ahead = sm_prefetch_ahead(rows, n); \
        for (int64_t b = 0; b < rows; b += blk) { \
            int nr = rows - b < blk ? (int)(rows - b) : blk; \
            const T *x[SM_ROWS]; \
            if (ahead) sm_prefetch_rows(x0, xs, b + ahead, nr, rows, n * (int64_t)sizeof(T)); \
            T *y[SM_ROWS], m[SM_ROWS]; \
            double sum[SM_ROWS]; \
            for (int r = 0; r < nr; r++) { \
                x[r] = (const T *)(x0 + (b + r) * xs), y[r] = (T *)(y0 + (b + r) * ys); \
                m[r] = RUN(-INFINITY, x[r], n); \
            } \
            for (int r = 0; r < nr; r++) \
                sum[r] = mode == PN_SM_LSE && PN_IS_INF(m[r]) \
                             ? 0.0 \
                             : sm_expsum_##SFX(x[r], y[r], n, m[r], mode); \
            for (int r = 0; r < nr; r++) sm_finish_##SFX(x[r], y[r], n, m[r], sum[r], mode); \
        } \
    }
SOFTMAX_CONTIG(softmax_row_f32, float, f32, max_run_f32)
SOFTMAX_CONTIG(softmax_row_f64, double, f64, max_run_f64)

/* L side-by-side positions whose rows run down columns (softmax over dim 0 of
 * a row-major matrix): the columns are the lanes, so every pass reads L
 * contiguous values per row instead of walking one column at a time with a
 * cache line per element. With L = 1 it is also the kernel for any strided
 * row. Each column's arithmetic is the same whatever L, so the 16-lane and
 * 1-lane versions agree to the bit and threads may split the positions
 * anywhere. The 16-lane max is SM_COLS16_MAX's, vectorized;
 * logsumexp's infinite maxima are replaced by 0 for the exp pass (its result
 * is the max there), so that no lane computes inf - inf. */
/* The max of each of 16 side-by-side columns over len rows (NaN for a column
 * with a NaN: nanv[k] is then NaN, else 0), in vector types as EXTREMUM_RUN
 * (plain C selects of floats with NaN flags do not vectorize), 64 bytes: one
 * AVX-512 register per row of 16 floats (two 32-byte halves took twice the
 * instructions), two halves on AVX2 and four on SSE. */
#define SM_COLS16_MAX(NAME, T, VT, VI) \
    static inline void NAME(const char *in, int64_t len, int64_t is, T *mx, T *nanv) { \
        enum { VL = sizeof(VT) / sizeof(T), NV = 16 / VL }; \
        VT m[NV]; \
        VI nan[NV]; \
        for (int v = 0; v < NV; v++) \
            for (int k = 0; k < VL; k++) m[v][k] = -INFINITY, nan[v][k] = 0; \
        for (int64_t r = 0; r < len; r++) \
            for (int v = 0; v < NV; v++) { \
                VT x; \
                memcpy(&x, in + r * is + v * sizeof(VT), sizeof x); \
                VI take = x > m[v]; \
                m[v] = (VT)(((VI)x & take) | ((VI)m[v] & ~take)); \
                nan[v] |= x != x; \
            } \
        for (int v = 0; v < NV; v++) \
            for (int k = 0; k < VL; k++) \
                mx[v * VL + k] = m[v][k], nanv[v * VL + k] = nan[v][k] ? (T)NAN : 0; \
    }
typedef float pn_v16f __attribute__((vector_size(64)));
typedef int32_t pn_v16i __attribute__((vector_size(64)));
typedef double pn_v8d __attribute__((vector_size(64)));
typedef int64_t pn_v8l __attribute__((vector_size(64)));
SM_COLS16_MAX(sm_cols16_max_f32, float, pn_v16f, pn_v16i)
SM_COLS16_MAX(sm_cols16_max_f64, double, pn_v8d, pn_v8l)

/* sum[k] -> log(sum[k] * UNSCALE) for L lanes (columns k of in, len values is
 * bytes apart, max m[k] as taken, mx[k] as found): first every lane by the
 * vectorized pn_log1p_d (one log per short row is a good part of its time:
 * libm's log1p, a call per lane, took log_softmax over rows of 16 to 1.4x
 * softmax's time), then the rare lanes that need a second pass. */
#define SM_LOG_SUMS(SFX, T) \
    PN_FINLINE void sm_log_sums_##SFX(const char *in, int64_t len, int64_t is, const T *m, \
                                      const T *mx, double *sum, int L, int mode) { \
        double s1[16], ones[16], rest[16]; \
        int split = 0; \
        for (int k = 0; k < L; k++) s1[k] = sum[k] * UNSCALE_##SFX; \
        for (int k = 0; k < L; k++) sum[k] = pn_log1p_d(s1[k] - 1.0); \
        for (int k = 0; k < L; k++) split |= SM_NEEDS_SPLIT(len, s1[k]); \
        if (split) { /* SM_SPLIT_SUM for every lane at once (a lane's terms in order) */ \
            for (int k = 0; k < L; k++) ones[k] = rest[k] = 0; \
            for (int64_t r = 0; r < len; r++) \
                for (int k = 0; k < L; k++) \
                    SM_SPLIT_TERM(T, SFX, ((const T *)(in + r * is))[k], m[k], ones[k], rest[k]) \
        } \
        for (int k = 0; k < L; k++) { \
            if (SM_NEEDS_SPLIT(len, s1[k])) \
                sum[k] = pn_log1p_d((ones[k] - 1.0) + rest[k] * UNSCALE_##SFX); \
            if (mode == PN_SM_LSE && !PN_IS_INF(mx[k]) && \
                SM_LSE_CANCELS_##SFX(m[k] + sum[k], s1[k])) \
                sum[k] = sm_exact_log_##SFX(in + k * sizeof(T), len, is, m[k]); \
        } \
    }
SM_LOG_SUMS(f32, float)
SM_LOG_SUMS(f64, double)

/* The output pass's lane loops are kept whole for the loop vectorizer (one
 * 16-float vector per row): unrolled first, GCC's straight-line vectorizer cut
 * each row into pieces of 8, 4, 2, 1 and 1 lanes, and the scatter that reads the
 * rows back as 8-float vectors then waited on store forwarding. */
#define SM_NO_UNROLL _Pragma("GCC unroll 1")
/* The column kernel's exps, added to sum in row order (and kept in out): float32's one
 * row at a time by the kernel's _exp (its lane loop vectorizes); float64's through the
 * exp kernel over blocks of 256 / L rows staged as x - m (the bits of EXPS_f64, whose
 * call per element did not vectorize: softmax over dim 0 of (256, 512) doubles 755 ->
 * 213 us at 1 thread, of (2048, 10), one column at a time, -> 2.2x PyTorch's). */
#define SM_COLS_EXPS_f32(EXP, T, L, in, out, len, is, os, m, sum, store) \
    do { \
        for (int64_t r = 0; r < len; r++) \
            EXP((const T *)(in + r * is), (T *)(out + r * os), m, sum, store); \
    } while (0)
#define SM_COLS_EXPS_f64(EXP, T, L, in, out, len, is, os, m, sum, store) \
    do { \
        enum { R_ = 256 / L }; \
        double e_[256]; \
        for (int64_t r0 = 0; r0 < len; r0 += R_) { \
            int64_t nr = len - r0 < R_ ? len - r0 : R_; \
            for (int64_t r = 0; r < nr; r++) \
                for (int k = 0; k < L; k++) \
                    e_[r * L + k] = ((const T *)(in + (r0 + r) * is))[k] - m[k]; \
            pn_exp_f64_contig(e_, e_, nr * L); \
            for (int64_t r = 0; r < nr; r++) { \
                for (int k = 0; k < L; k++) sum[k] += e_[r * L + k]; \
                if (store) \
                    for (int k = 0; k < L; k++) ((T *)(out + (r0 + r) * os))[k] = e_[r * L + k]; \
            } \
        } \
    } while (0)
#define SOFTMAX_COLS(NAME, T, SFX, L) \
    /* One row of the L lanes, out of line so that restrict tells the compiler \
     * that x and y do not overlap (or the lanes are not vectorized). */ \
    static inline void NAME##_exp(const T *restrict x, T *restrict y, const T *m, double *sum, \
                                  int store) { \
        if (store) \
            for (int k = 0; k < L; k++) sum[k] += (y[k] = (T)EXPS_##SFX(x[k], m[k])); \
        else \
            for (int k = 0; k < L; k++) sum[k] += EXPS_##SFX(x[k], m[k]); \
    } \
    /* sh: log s (log_out) or 1 / s as sh + sl, each rounded to T as in SM_FINISH */ \
    static inline void NAME##_out(const T *restrict x, T *restrict y, const T *m, const T *sh, \
                                  const T *sl, int log_out) { \
        if (log_out) \
            SM_NO_UNROLL for (int k = 0; k < L; k++) y[k] = (x[k] - m[k]) - sh[k]; \
        else \
            SM_NO_UNROLL for (int k = 0; k < L; k++) y[k] = SM_SCALE_##SFX(y[k], sh[k], sl[k]); \
    } \
    PN_SIMD_CLONES static void NAME(const char *in, char *out, int64_t len, int64_t is, \
                                    int64_t os, int mode) { \
        T mx[L], nanv[L], m[L]; \
        double sum[L]; \
        for (int k = 0; k < L; k++) mx[k] = -INFINITY, nanv[k] = 0, sum[k] = 0; \
        if (L == 16) \
            sm_cols16_max_##SFX(in, len, is, mx, nanv); \
        else \
            for (int64_t r = 0; r < len; r++) { \
                const T *x = (const T *)(in + r * is); \
                for (int k = 0; k < L; k++) { \
                    mx[k] = x[k] > mx[k] ? x[k] : mx[k]; \
                    nanv[k] = x[k] != x[k] ? x[k] : nanv[k]; \
                } \
            } \
        for (int k = 0; k < L; k++) \
            m[k] = nanv[k] != nanv[k]                      ? nanv[k] \
                   : mode == PN_SM_LSE && PN_IS_INF(mx[k]) ? 0 \
                                                           : mx[k]; \
        SM_COLS_EXPS_##SFX(NAME##_exp, T, L, in, out, len, is, os, m, sum, mode == PN_SM_SOFTMAX); \
        if (mode == PN_SM_SOFTMAX) \
            for (int k = 0; k < L; k++) sum[k] = 1.0 / sum[k]; \
        else \
            sm_log_sums_##SFX(in, len, is, m, mx, sum, L, mode); \
        if (mode == PN_SM_LSE) { \
            for (int k = 0; k < L; k++) \
                ((T *)out)[k] = nanv[k] == 0 && PN_IS_INF(mx[k]) ? mx[k] : (T)(m[k] + sum[k]); \
            return; \
        } \
        T sh[L], sl[L]; \
        for (int k = 0; k < L; k++) sh[k] = (T)sum[k], sl[k] = (T)(sum[k] - (double)sh[k]); \
        for (int64_t r = 0; r < len; r++) \
            NAME##_out((const T *)(in + r * is), (T *)(out + r * os), m, sh, sl, \
                       mode == PN_SM_LOG); \
    }
SOFTMAX_COLS(softmax_cols_f32, float, f32, 16)
SOFTMAX_COLS(softmax_cols_f64, double, f64, 16)
SOFTMAX_COLS(softmax_col1_f32, float, f32, 1)
SOFTMAX_COLS(softmax_col1_f64, double, f64, 1)

/* Short contiguous rows (a classifier's 10 logits) are too short for the row
 * kernel: each row is one chain of max, exp, sum, log and output, ~250 cycles
 * of latency for 10 values, which the next row barely overlaps. Sixteen of them
 * are copied side by side into a scratch block (row k in lane k) and go
 * through the column kernel together, the rows left over through its one-lane
 * version: both do the same arithmetic per row, so a row's bits do not depend
 * on which path or thread took it. (float32 softmax and log-softmax rows of 9 or
 * more values on CPUs with AVX2 or AVX-512 take softmax_short.c's kernels instead,
 * with the row kernel's arithmetic: its sums go in another order than the column
 * kernel's, so such a row's bits may differ in the last place from a machine
 * without.) (The backward has no such chain: its short
 * rows go through its row kernel, sm_bwd_short_sum_f32.) Measured on a Zen 3
 * core, us, before -> after (PyTorch): log_softmax
 * (2048, 10) 177 -> 57 (61), (2048, 32) 205 -> 139 (88), softmax (2048, 10)
 * 119 -> 39 (82); cross_entropy forward + backward (2048, 10) 273 -> 133 (186),
 * (256, 10) 39 -> 21 (80). Beyond 48 the copies cost more than they save
 * (rows of 64: 277 -> 360). */
#define SM_SHORT_ROW 48
/* Rows i .. i + 15 of the loop's operands (ptrs = {out, in}) through COLS. */
#define SOFTMAX_SHORT16(NAME, T, SFX) \
    static void NAME(char **p, const int64_t *s, int64_t i, int64_t len, int64_t os, int mode) { \
        T xin[16 * SM_SHORT_ROW], yout[16 * SM_SHORT_ROW]; \
        sm_gather16_##SFX(p[1] + i * s[1], s[1], len, xin); \
        softmax_cols_##SFX((const char *)xin, (char *)yout, len, 16 * sizeof(T), 16 * sizeof(T), \
                           mode); \
        if (mode == PN_SM_LSE) \
            for (int k = 0; k < 16; k++) *(T *)(p[0] + (i + k) * s[0]) = yout[k]; \
        else \
            sm_scatter16_##SFX(yout, len, p[0] + i * s[0], s[0], os); \
    }
SOFTMAX_SHORT16(softmax_short16_f32, float, f32)
SOFTMAX_SHORT16(softmax_short16_f64, double, f64)

/* Columns whose rows lie far apart are copied, 16 at a time, into a contiguous
 * stage first, and their results copied out. The column kernel reads a 16-column
 * slab in two or three passes; with rows a power of two apart (a 2048 x 2048
 * matrix: 8 KB) the slab's lines fall into a few cache sets (an L2 of 16 ways
 * keeps 256 rows of it, L1 12), so every pass missed to L3. In the stage the
 * slab is one contiguous block that stays in L2 between the passes. Same
 * arithmetic per lane, so the same bits. Staged when both copies fit in
 * SM_STAGE_MAX bytes and the rows are at least SM_STAGE_STEP bytes apart;
 * otherwise (or when the stage cannot be allocated) the kernel reads in place.
 * Over dim 0 of 2048 x 2048 floats, 1 thread, medians of 21 in two alternated A/B
 * rounds, ms, in place -> staged: softmax 6.4, 10.6 -> 5.2, 6.8; log_softmax 7.2,
 * 9.1 -> 5.2, 5.5; logsumexp 4.2, 4.5 -> 3.1, 2.8. The backward's staging
 * (SOFTMAX_BWD_STAGED16) is not yet shown to pay: softmax forward + backward 19.4,
 * 30.6 -> 19.4, 26.7 in the same rounds. */
#define SM_STAGE_MAX  ((int64_t)512 << 10)
#define SM_STAGE_STEP 4096
#define SOFTMAX_STAGED16(NAME, T, SFX) \
    static void NAME(const char *in, char *out, int64_t len, int64_t is, int64_t os, int mode, \
                     T *stage) { \
        T *x = stage, *y = stage + 16 * len; \
        for (int64_t r = 0; r < len; r++) memcpy(x + 16 * r, in + r * is, 16 * sizeof(T)); \
        softmax_cols_##SFX((const char *)x, (char *)y, len, 16 * sizeof(T), 16 * sizeof(T), mode); \
        if (mode == PN_SM_LSE) \
            memcpy(out, y, 16 * sizeof(T)); \
        else \
            for (int64_t r = 0; r < len; r++) memcpy(out + r * os, y + 16 * r, 16 * sizeof(T)); \
    }
SOFTMAX_STAGED16(softmax_staged16_f32, float, f32)
SOFTMAX_STAGED16(softmax_staged16_f64, double, f64)
/* A stage of `blocks` slabs of 16 columns of len rows (is bytes apart in the
 * tensor), elements of es bytes, or NULL (not worth it, or no memory). */
static void *sm_stage_alloc(int blocks, int64_t len, int64_t is, size_t es) {
    int64_t bytes = blocks * 16 * (int64_t)es * len;
    return is >= SM_STAGE_STEP && bytes <= SM_STAGE_MAX ? malloc((size_t)bytes) : NULL;
}

/* Short contiguous float32 rows (softmax and log-softmax) by softmax_short.c's
 * AVX-512 or AVX2 kernel, 64 at a time, the rows it leaves by the row kernel: the
 * row kernel's bits. Returns how many of the n positions it took: all, or none
 * (neither instruction set, or rows shorter than SM_SHORT_DIRECT_MIN; then the
 * rows go 16 at a time through the column kernel). Measured on a Xeon (AVX-512),
 * 1 thread, us, column kernel -> this (PyTorch), softmax and log_softmax: (32, 32)
 * 1.00, 1.07 -> 0.65, 0.71 (1.55, 1.44); (8192, 16) 128, 144 -> 82, 97 (124, 107);
 * (2048, 10) 26, 29 -> 21, 25 (351, 292). Shorter rows stay with the columns,
 * which cost about n per row where the registers cost a fixed ~11 ns for any
 * n <= 16 (262k floats, softmax, us, registers / columns: n = 1 3171 / 1686,
 * 4 793 / 525, 8 388 / 338, 9 333 / 324, 12 253 / 303, 16 199 / 251). */
#define SM_SHORT_DIRECT_MIN 9
static int64_t sm_short_direct_f32(char **p, const int64_t *s, int64_t n, int64_t len, int mode) {
    if (mode == PN_SM_LSE || len < SM_SHORT_DIRECT_MIN || !pn_softmax_short_f32_ok()) return 0;
    const int64_t xs = s[1] / (int64_t)sizeof(float), ys = s[0] / (int64_t)sizeof(float);
    const int64_t ahead = sm_prefetch_ahead(n, len);
    for (int64_t i = 0; i < n; i += 64) {
        int64_t c = n - i < 64 ? n - i : 64;
        if (ahead) sm_prefetch_rows(p[1], s[1], i + ahead, c, n, len * (int64_t)sizeof(float));
        const float *x = (const float *)(p[1] + i * s[1]);
        float *y = (float *)(p[0] + i * s[0]);
        for (uint64_t left = pn_softmax_short_f32(x, xs, y, ys, c, len, mode == PN_SM_LOG); left;
             left &= left - 1) {
            int r = __builtin_ctzll(left);
            softmax_row_f32((const char *)(x + r * xs), s[1], (char *)(y + r * ys), s[0], 1, len,
                            mode);
        }
    }
    return n;
}
void pn_softmax_rows_ref_f32(const float *x, int64_t xs, float *y, int64_t ys, int64_t rows,
                             int64_t n, int log) {
    softmax_row_f32((const char *)x, xs * (int64_t)sizeof(float), (char *)y,
                    ys * (int64_t)sizeof(float), rows, n, log ? PN_SM_LOG : PN_SM_SOFTMAX);
}

/* ptrs = {out, in}: positions side by side in memory with rows down the
 * columns go 16 at a time to the column kernel; short contiguous rows to
 * softmax_short.c's kernels (float32 with AVX2 or AVX-512, softmax and log-softmax)
 * or else 16 at a time to the column kernel through SHORT16; other contiguous rows
 * to the row kernel; anything else one strided row at a time. */
#define SOFTMAX_LOOP(NAME, T, MODE, ROW, COLS, COL1, SHORT16, STAGED16) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        const pn_row_args *r = aux; \
        const int64_t len = r->n, is = r->in_stride, os = r->out_stride; \
        int64_t i = 0; \
        if (is != sizeof(T) && s[0] == sizeof(T) && s[1] == sizeof(T)) { \
            T *stage = n >= 16 ? sm_stage_alloc(2, len, is, sizeof(T)) : NULL; \
            for (; i + 16 <= n; i += 16) \
                if (stage) \
                    STAGED16(p[1] + i * s[1], p[0] + i * s[0], len, is, os, MODE, stage); \
                else \
                    COLS(p[1] + i * s[1], p[0] + i * s[0], len, is, os, MODE); \
            free(stage); \
        } \
        if (is == sizeof(T) && len <= SM_SHORT_ROW) { \
            if (sizeof(T) == sizeof(float) && os == sizeof(T)) \
                i = sm_short_direct_f32(p, s, n, len, MODE); \
            const int64_t ahead = sm_prefetch_ahead(n, len); \
            for (; i + 16 <= n; i += 16) { \
                if (ahead) \
                    sm_prefetch_rows(p[1], s[1], i + ahead, 16, n, len * (int64_t)sizeof(T)); \
                SHORT16(p, s, i, len, os, MODE); \
            } \
            for (; i < n; i++) COL1(p[1] + i * s[1], p[0] + i * s[0], len, is, os, MODE); \
        } \
        if (is == sizeof(T) && (os == sizeof(T) || MODE == PN_SM_LSE)) { \
            if (i < n) ROW(p[1] + i * s[1], s[1], p[0] + i * s[0], s[0], n - i, len, MODE); \
        } else \
            for (; i < n; i++) COL1(p[1] + i * s[1], p[0] + i * s[0], len, is, os, MODE); \
    }
#define SOFTMAX_LOOPS(SFX, T) \
    SOFTMAX_LOOP(softmax_##SFX, T, PN_SM_SOFTMAX, softmax_row_##SFX, softmax_cols_##SFX, \
                 softmax_col1_##SFX, softmax_short16_##SFX, softmax_staged16_##SFX) \
    SOFTMAX_LOOP(logsoftmax_##SFX, T, PN_SM_LOG, softmax_row_##SFX, softmax_cols_##SFX, \
                 softmax_col1_##SFX, softmax_short16_##SFX, softmax_staged16_##SFX) \
    SOFTMAX_LOOP(logsumexp_##SFX, T, PN_SM_LSE, softmax_row_##SFX, softmax_cols_##SFX, \
                 softmax_col1_##SFX, softmax_short16_##SFX, softmax_staged16_##SFX)
SOFTMAX_LOOPS(f32, float)
SOFTMAX_LOOPS(f64, double)

pn_loop_fn pn_softmax_loop(int log, pn_dtype dt) {
    if (dt == PN_FLOAT32) return log ? logsoftmax_f32 : softmax_f32;
    if (dt == PN_FLOAT64) return log ? logsoftmax_f64 : softmax_f64;
    return NULL;
}

pn_loop_fn pn_logsumexp_loop(pn_dtype dt) {
    if (dt == PN_FLOAT32) return logsumexp_f32;
    if (dt == PN_FLOAT64) return logsumexp_f64;
    return NULL;
}

/* ------------------------------------------------------- softmax backward ---- */

/* Per row, with the forward's output y and the incoming gradient g:
 *   softmax:     dx = y (g - sum(g y))
 *   log-softmax: dx = g - exp(y) sum(g)
 * in two passes (the sum in double, then dx: in double but for float32 softmax). */
#define SMB_TERM(IS_LOG, g, y) ((IS_LOG) ? (double)(g) : (double)(g) * (double)(y))
/* Softmax's dx = y (g - s) for float32 takes float arithmetic once s (in double)
 * is known: s = sh + sl (s rounded to a float, and the rest, rounded: 2^-48 s),
 * d = g - sh, and y d - y sl by one fma. Where g and sh cancel, d is exact (they
 * are within a factor of 2) and the result is y (g - s) rounded once but for y sl's
 * rounding; elsewhere d's rounding (0.5 ulp of d, up to 1 of the result) adds to
 * the last one: within 1.5 ulp of the larger term |y| (|g| + |s|), where the
 * double formula gave 0.5 (PyTorch's float sum: ~500 on the same inputs; measured
 * by tests/test_softmax_kernels.py). 3 operations per 16 lanes instead of 13 (the
 * conversions to double and back): softmax backward over 131k floats, Zen 4, us,
 * before -> after (PyTorch): rows of 65 67 -> 53 (61), of 128 60 -> 40 (42), of
 * 512 55 -> 37 (42). A row whose s is not a finite float (inf or NaN in g; |s| <=
 * max |g| otherwise, as the y sum to 1) keeps the double formula. float64: y (g -
 * s) with s = sh. */
PN_FINLINE int smb_split_f32(double s, float *sh, float *sl) {
    int ok = fabs(s) <= FLT_MAX;
    *sh = ok ? (float)s : 0.0f;
    *sl = ok ? (float)(s - (double)*sh) : 0.0f;
    return ok;
}
PN_FINLINE int smb_split_f64(double s, double *sh, double *sl) {
    *sh = s, *sl = 0;
    return 1;
}
PN_FINLINE float smb_soft_f32(float g, float y, double s, float sh, float sl, int ok) {
    return ok ? __builtin_fmaf(y, g - sh, -(y * sl)) : (float)((double)y * ((double)g - s));
}
PN_FINLINE double smb_soft_f64(double g, double y, double s, double sh, double sl, int ok) {
    (void)sh, (void)sl, (void)ok;
    return y * (g - s);
}
#define SMB_OUT(IS_LOG, SFX, g, y, s) \
    ((IS_LOG) ? (double)(g) - EXPS_##SFX(y, 0) * (s) : (double)(y) * ((double)(g) - (s)))

/* The sum of a short float32 row (n <= 16) as SOFTMAX_BWD_CONTIG's lanes and
 * fold16 take it, to the same bits, in vector registers: the lanes k >= n are
 * +0, each lane is 0 + its term, and the fold adds lanes k and k + 8, then k
 * and k + 4, then k and k + 2, then the two left. With the partial sums in a
 * stack array a row of 10 waited on store forwarding; in registers, rows
 * overlap one another, and no block of rows needs to be transposed (as the
 * forward's SOFTMAX_SHORT16 did for the backward too). Softmax's backward, 1
 * thread, Zen 3, us, before -> after (PyTorch): (2048, 10) 40 -> 32 (61),
 * (8192, 16) 240 -> 125 (90), rows of 32 (which went 16 at a time through the
 * column kernel as well) (8192, 32) 480 -> 250 (120); log_softmax's (8192, 16)
 * 282 -> 198 (186).
 * over: 16 floats may be read from g and y (the row's own and what follows it,
 * inside the operand's memory); the lanes past n are then masked to +0. */
/* Lanes 8h .. 8h + 7 of the row (those >= n as +0) to *v; the results and
 * operands of these helpers go by pointer, as GCC keeps them in registers
 * then (an array of two vectors went through the stack, 16 bytes at a time). */
PN_FINLINE void sm_load8_f32(const float *x, int64_t n, int h, int over, pn_v8f *v) {
    if (over) {
        const pn_v8i iota = {0, 1, 2, 3, 4, 5, 6, 7};
        memcpy(v, x + 8 * h, sizeof *v);
        *v = (pn_v8f)((pn_v8i)*v & (iota + 8 * h < (int)n));
    } else
        for (int k = 0; k < 8; k++) (*v)[k] = 8 * h + k < n ? x[8 * h + k] : 0.0f;
}
PN_FINLINE void sm_widen_f32(const pn_v8f *v, pn_v4d *lo, pn_v4d *hi) {
    *lo = __builtin_convertvector(__builtin_shufflevector(*v, *v, 0, 1, 2, 3), pn_v4d);
    *hi = __builtin_convertvector(__builtin_shufflevector(*v, *v, 4, 5, 6, 7), pn_v4d);
}
PN_FINLINE double sm_bwd_short_sum_f32(const float *g, const float *y, int64_t n, int is_log,
                                       int over) {
    pn_v4d a[4];
    for (int h = 0; h < 2; h++) {
        pn_v8f gv, yv;
        pn_v4d glo, ghi, ylo, yhi;
        sm_load8_f32(g, n, h, over, &gv);
        sm_widen_f32(&gv, &glo, &ghi);
        if (!is_log) {
            sm_load8_f32(y, n, h, over, &yv);
            sm_widen_f32(&yv, &ylo, &yhi);
            glo *= ylo, ghi *= yhi;
        }
        a[2 * h] = (pn_v4d){0, 0, 0, 0} + glo;
        a[2 * h + 1] = (pn_v4d){0, 0, 0, 0} + ghi;
    }
    pn_v4d d = (a[0] + a[2]) + (a[1] + a[3]);
    return (d[0] + d[2]) + (d[1] + d[3]);
}
#define SM_SHORT_SUM_f32(g, y, n, is_log, over) sm_bwd_short_sum_f32(g, y, n, is_log, over)
#define SM_SHORT_SUM_f64(g, y, n, is_log, over) ((void)(over), NAN) /* not called */
#define SM_HAS_SHORT_SUM_f32                    1
#define SM_HAS_SHORT_SUM_f64                    0

/* A contiguous row's sum: L independent partial sums (the last n % L terms as
 * one more step of the lanes, padded with zeros), folded in halves as the
 * forward's; a short float32 row's in registers (over: see sm_bwd_short_sum_f32). */
#define SM_BWD_SUM(NAME, T, SFX) \
    PN_FINLINE double NAME(const T *restrict g, const T *restrict y, int64_t n, int is_log, \
                           int over) { \
        enum { L = 16 }; /* fold16's width */ \
        double part[L] = {0}; \
        int64_t j = 0, nv = n - n % L; \
        if (SM_HAS_SHORT_SUM_##SFX && n <= L) return SM_SHORT_SUM_##SFX(g, y, n, is_log, over); \
        if (is_log) \
            for (; j < nv; j += L) \
                for (int k = 0; k < L; k++) part[k] += g[j + k]; \
        else \
            for (; j < nv; j += L) \
                for (int k = 0; k < L; k++) part[k] += (double)g[j + k] * y[j + k]; \
        for (int k = 0; k < L; k++) \
            part[k] += nv + k < n ? SMB_TERM(is_log, g[nv + k], y[nv + k]) : 0; \
        return fold16(part); \
    }
/* Rows dx0 + i ds, g0 + i gs, y0 + i ys (i < rows; over: how many of them may be
 * read 16 elements from their start), 4 at a time, their sums before their
 * outputs, as the forward's SOFTMAX_CONTIG: the same bits row by row. */
#define SOFTMAX_BWD_CONTIG(NAME, T, SFX) \
    SM_BWD_SUM(sm_bwd_sum_##SFX, T, SFX) \
    PN_SIMD_CLONES static void NAME(char *dx0, int64_t ds, const char *g0, int64_t gs, \
                                    const char *y0, int64_t ys, int64_t rows, int64_t n, \
                                    int is_log, int64_t over) { \
        const int blk = SM_BLOCK_ROWS(n); \
        const int64_t ahead = sm_prefetch_ahead(rows, n); \
        for (int64_t b = 0; b < rows; b += blk) { \
            int nr = rows - b < blk ? (int)(rows - b) : blk; \
            double s[SM_ROWS]; \
            if (ahead) { \
                sm_prefetch_rows(g0, gs, b + ahead, nr, rows, n * (int64_t)sizeof(T)); \
                sm_prefetch_rows(y0, ys, b + ahead, nr, rows, n * (int64_t)sizeof(T)); \
            } \
            for (int r = 0; r < nr; r++) \
                s[r] = sm_bwd_sum_##SFX((const T *)(g0 + (b + r) * gs), \
                                        (const T *)(y0 + (b + r) * ys), n, is_log, b + r < over); \
            for (int r = 0; r < nr; r++) { \
                T *dx = (T *)(dx0 + (b + r) * ds); \
                const T *g = (const T *)(g0 + (b + r) * gs), *y = (const T *)(y0 + (b + r) * ys); \
                double sr = s[r] * (is_log ? UNSCALE_##SFX : 1.0); /* exact: EXPS has the 2^64 */ \
                T sh, sl; \
                if (is_log) \
                    for (int64_t j = 0; j < n; j++) dx[j] = (T)SMB_OUT(1, SFX, g[j], y[j], sr); \
                else if (smb_split_##SFX(sr, &sh, &sl)) \
                    for (int64_t j = 0; j < n; j++) \
                        dx[j] = smb_soft_##SFX(g[j], y[j], sr, sh, sl, 1); \
                else \
                    for (int64_t j = 0; j < n; j++) \
                        dx[j] = smb_soft_##SFX(g[j], y[j], sr, sh, sl, 0); \
            } \
        } \
    }
SOFTMAX_BWD_CONTIG(softmax_bwd_row_f32, float, f32)
SOFTMAX_BWD_CONTIG(softmax_bwd_row_f64, double, f64)

/* L positions side by side, rows down the columns (st: the row step in bytes of
 * all three operands); L = 1 serves any strided row. Per column the same
 * arithmetic whatever L, so threads may split the positions anywhere. */
#define SOFTMAX_BWD_COLS(NAME, T, SFX, L) \
    PN_SIMD_CLONES static void NAME(char *dx, const char *g, const char *y, int64_t len, \
                                    int64_t st, int is_log) { \
        double s[L]; \
        for (int k = 0; k < L; k++) s[k] = 0; \
        for (int64_t r = 0; r < len; r++) { \
            const T *gr = (const T *)(g + r * st), *yr = (const T *)(y + r * st); \
            for (int k = 0; k < L; k++) s[k] += SMB_TERM(is_log, gr[k], yr[k]); \
        } \
        T sh[L], sl[L]; \
        int ok[L]; \
        for (int k = 0; k < L; k++) { \
            s[k] *= is_log ? UNSCALE_##SFX : 1.0; \
            ok[k] = smb_split_##SFX(s[k], &sh[k], &sl[k]); \
        } \
        for (int64_t r = 0; r < len; r++) { \
            const T *gr = (const T *)(g + r * st), *yr = (const T *)(y + r * st); \
            T *d = (T *)(dx + r * st); \
            if (is_log) \
                for (int k = 0; k < L; k++) d[k] = (T)SMB_OUT(1, SFX, gr[k], yr[k], s[k]); \
            else \
                for (int k = 0; k < L; k++) \
                    d[k] = smb_soft_##SFX(gr[k], yr[k], s[k], sh[k], sl[k], ok[k]); \
        } \
    }
SOFTMAX_BWD_COLS(softmax_bwd_cols_f32, float, f32, 16)
SOFTMAX_BWD_COLS(softmax_bwd_cols_f64, double, f64, 16)
SOFTMAX_BWD_COLS(softmax_bwd_col1_f32, float, f32, 1)
SOFTMAX_BWD_COLS(softmax_bwd_col1_f64, double, f64, 1)

/* softmax_bwd_cols on staged copies of g's and y's 16-column slabs (see
 * SOFTMAX_STAGED16): dx computed in the stage, then copied out. */
#define SOFTMAX_BWD_STAGED16(NAME, T, SFX) \
    static void NAME(char *dx, const char *g, const char *y, int64_t len, int64_t st, int is_log, \
                     T *stage) { \
        T *gs = stage, *ys = stage + 16 * len, *ds = stage + 32 * len; \
        for (int64_t r = 0; r < len; r++) { \
            memcpy(gs + 16 * r, g + r * st, 16 * sizeof(T)); \
            memcpy(ys + 16 * r, y + r * st, 16 * sizeof(T)); \
        } \
        softmax_bwd_cols_##SFX((char *)ds, (const char *)gs, (const char *)ys, len, \
                               16 * sizeof(T), is_log); \
        for (int64_t r = 0; r < len; r++) memcpy(dx + r * st, ds + 16 * r, 16 * sizeof(T)); \
    }
SOFTMAX_BWD_STAGED16(softmax_bwd_staged16_f32, float, f32)
SOFTMAX_BWD_STAGED16(softmax_bwd_staged16_f64, double, f64)

/* Rows i < the result of a loop's operands 1 and 2 (g and y) may be read 16
 * elements of size es from their start: that many bytes lie between the row's
 * start and the end of the last row (len elements) in ascending memory. */
static int64_t sm_rows_readable16(const int64_t *s, int64_t n, int64_t len, int64_t es) {
    int64_t need = (16 - len) * es, end = n;
    if (need <= 0) return n;
    for (int j = 1; j <= 2; j++) {
        if (s[j] <= 0) return 0;
        int64_t k = (need + s[j] - 1) / s[j]; /* rows after i that the read reaches into */
        end = n - k < end ? n - k : end;
    }
    return end;
}
/* ptrs = {dx, g, y}, the three laid out alike (aux->in_stride: their row step).
 * Contiguous rows, short ones too, go through the row kernel: a short row's
 * sum is one in registers (sm_bwd_short_sum_f32) and rows overlap. */
#define SOFTMAX_BWD_LOOP(NAME, T, IS_LOG, SFX) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        const pn_row_args *r = aux; \
        const int64_t len = r->n, st = r->in_stride; \
        int64_t i = 0, over_end = sm_rows_readable16(s, n, len, sizeof(T)); \
        if (st != sizeof(T) && s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T)) { \
            T *stage = n >= 16 ? sm_stage_alloc(3, len, st, sizeof(T)) : NULL; \
            for (; i + 16 <= n; i += 16) \
                if (stage) \
                    softmax_bwd_staged16_##SFX(p[0] + i * s[0], p[1] + i * s[1], p[2] + i * s[2], \
                                               len, st, IS_LOG, stage); \
                else \
                    softmax_bwd_cols_##SFX(p[0] + i * s[0], p[1] + i * s[1], p[2] + i * s[2], len, \
                                           st, IS_LOG); \
            free(stage); \
        } \
        if (st == sizeof(T)) { \
            if (i < n) \
                softmax_bwd_row_##SFX(p[0] + i * s[0], s[0], p[1] + i * s[1], s[1], \
                                      p[2] + i * s[2], s[2], n - i, len, IS_LOG, over_end - i); \
        } else \
            for (; i < n; i++) \
                softmax_bwd_col1_##SFX(p[0] + i * s[0], p[1] + i * s[1], p[2] + i * s[2], len, st, \
                                       IS_LOG); \
    }
SOFTMAX_BWD_LOOP(softmax_bwd_f32, float, 0, f32)
SOFTMAX_BWD_LOOP(softmax_bwd_f64, double, 0, f64)
SOFTMAX_BWD_LOOP(logsoftmax_bwd_f32, float, 1, f32)
SOFTMAX_BWD_LOOP(logsoftmax_bwd_f64, double, 1, f64)

pn_loop_fn pn_softmax_backward_loop(int log, pn_dtype dt) {
    if (dt == PN_FLOAT32) return log ? logsoftmax_bwd_f32 : softmax_bwd_f32;
    if (dt == PN_FLOAT64) return log ? logsoftmax_bwd_f64 : softmax_bwd_f64;
    return NULL;
}

/* ------------------------------------------------------ logsumexp backward ---- */

/* ptrs = {dx, g, y, x}: per position, g and y (= logsumexp of the row) are
 * one value each; dx = g exp(x - y) along the row (x - y exact, EXPS). Used
 * for contiguous rows (in_stride = out_stride = sizeof(T)); any strides work. */
#define LSE_BWD_LOOP(NAME, T, SFX) \
    PN_SIMD_CLONES static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        const pn_row_args *r = aux; \
        for (int64_t i = 0; i < n; i++) { \
            double g = *(const T *)(p[1] + i * s[1]) * UNSCALE_##SFX; \
            T y = *(const T *)(p[2] + i * s[2]); \
            char *dx = p[0] + i * s[0]; \
            const char *x = p[3] + i * s[3]; \
            if (r->in_stride == sizeof(T) && r->out_stride == sizeof(T)) { \
                const T *restrict xr = (const T *)x; \
                T *restrict dr = (T *)dx; \
                for (int64_t j = 0; j < r->n; j++) dr[j] = (T)(g * EXPS_##SFX(xr[j], y)); \
            } else { \
                for (int64_t j = 0; j < r->n; j++) \
                    *(T *)(dx + j * r->out_stride) = \
                        (T)(g * EXPS_##SFX(*(const T *)(x + j * r->in_stride), y)); \
            } \
        } \
    }
LSE_BWD_LOOP(logsumexp_bwd_f32, float, f32)
LSE_BWD_LOOP(logsumexp_bwd_f64, double, f64)

pn_loop_fn pn_logsumexp_backward_loop(pn_dtype dt) {
    if (dt == PN_FLOAT32) return logsumexp_bwd_f32;
    if (dt == PN_FLOAT64) return logsumexp_bwd_f64;
    return NULL;
}
