/* reduce.c - see reduce.h. */
#include "reduce.h"
#include "fastmath.h"
#include <math.h>
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

/* acc op= x. When acc does not move (s[0] == 0, the common "reduce the inner
 * dimension" case) the running value is kept in registers: for sums of a
 * contiguous run, in 8 independent partial sums, so the additions overlap in
 * the pipeline (one chain would wait ~4 cycles per element) and vectorize.
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

REDUCE_LOOP(sum_f32, double, float, ADD, 1)
REDUCE_LOOP(sum_f64, double, double, ADD, 1)
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
 * between -0 and +0 may resolve to either zero. */
typedef float pn_v8f __attribute__((vector_size(32)));
typedef int32_t pn_v8i __attribute__((vector_size(32)));
typedef double pn_v4d __attribute__((vector_size(32)));
typedef int64_t pn_v4i __attribute__((vector_size(32)));
#define EXTREMUM_RUN(NAME, T, VT, VI, L, GT) \
    PN_SIMD_CLONES static T NAME(T acc, const T *A, int64_t n) { \
        VT m; \
        VI nan = {0}; \
        for (int k = 0; k < L; k++) m[k] = acc; \
        int64_t i = 0; \
        for (; i + L <= n; i += L) { \
            VT x; \
            memcpy(&x, A + i, sizeof x); \
            VI take = GT(x, m); \
            m = (VT)(((VI)x & take) | ((VI)m & ~take)); \
            nan |= x != x; \
        } \
        int any = 0; \
        for (int k = 0; k < L; k++) acc = GT(m[k], acc) ? m[k] : acc, any |= nan[k] != 0; \
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

#define ARG_LOOP(NAME, T, BETTER) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        const pn_row_args *r = aux; \
        for (int64_t i = 0; i < n; i++) { \
            const char *row = p[2] + i * s[2]; \
            T best = *(const T *)row; \
            int64_t arg = 0; \
            for (int64_t j = 1; j < r->n && best == best; j++) { \
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
#define GT_OR_NAN(x, b) ((x) > (b) || (x) != (x))
#define LT_OR_NAN(x, b) ((x) < (b) || (x) != (x))
ARG_LOOP(argmax_f32, float, GT_OR_NAN)
ARG_LOOP(argmax_f64, double, GT_OR_NAN)
ARG_LOOP(argmax_i64, int64_t, GT_OR_NAN)
ARG_LOOP(argmax_b, pn_bool, GT_OR_NAN)
ARG_LOOP(argmin_f32, float, LT_OR_NAN)
ARG_LOOP(argmin_f64, double, LT_OR_NAN)
ARG_LOOP(argmin_i64, int64_t, LT_OR_NAN)
ARG_LOOP(argmin_b, pn_bool, LT_OR_NAN)

pn_loop_fn pn_argreduce_loop(int is_max, pn_dtype dt) {
    static const pn_loop_fn t[2][PN_NDTYPES] = {{argmin_b, argmin_i64, argmin_f32, argmin_f64},
                                                {argmax_b, argmax_i64, argmax_f32, argmax_f64}};
    if ((unsigned)dt >= PN_NDTYPES) return NULL;
    return t[is_max != 0][dt];
}

/* ---------------------------------------------------------------- softmax ---- */

/* Per row x[0..n): m = max x;  s = sum exp(x - m);
 *   softmax:     y = exp(x - m) / s
 *   log-softmax: y = x - m - log(s)
 * The max and the sum use 8 independent partial results so the loops
 * vectorize; the sum is accumulated in double. A row of all -inf, or one with
 * a NaN, gives NaN, as in PyTorch. */
/* One row: in and out advance by `is` and `os` bytes. The macro is expanded
 * twice, once with the strides fixed to sizeof(T) (contiguous rows, which
 * vectorize) and once general. */
#define SOFTMAX_ROW(T, EXP, IS_LOG, in, out, len, is, os) \
    do { \
        T mk[8], m = -INFINITY; \
        int nan = 0; \
        for (int k = 0; k < 8; k++) mk[k] = -INFINITY; \
        int64_t j = 0; \
        for (; j + 8 <= len; j += 8) \
            for (int k = 0; k < 8; k++) { \
                T x = *(const T *)(in + (j + k) * is); \
                nan |= x != x; \
                mk[k] = x > mk[k] ? x : mk[k]; \
            } \
        for (; j < len; j++) { \
            T x = *(const T *)(in + j * is); \
            nan |= x != x; \
            m = x > m ? x : m; \
        } \
        for (int k = 0; k < 8; k++) m = mk[k] > m ? mk[k] : m; \
        if (nan) m = NAN; \
        double part[8] = {0}, sum = 0; \
        for (j = 0; j + 8 <= len; j += 8) \
            for (int k = 0; k < 8; k++) { \
                T e = EXP(*(const T *)(in + (j + k) * is) - m); \
                part[k] += e; \
                if (!IS_LOG) *(T *)(out + (j + k) * os) = e; \
            } \
        for (; j < len; j++) { \
            T e = EXP(*(const T *)(in + j * is) - m); \
            sum += e; \
            if (!IS_LOG) *(T *)(out + j * os) = e; \
        } \
        for (int k = 0; k < 8; k++) sum += part[k]; \
        if (IS_LOG) { \
            T shift = m + (T)log(sum); \
            for (j = 0; j < len; j++) *(T *)(out + j * os) = *(const T *)(in + j * is) - shift; \
        } else { \
            T inv = (T)(1.0 / sum); \
            for (j = 0; j < len; j++) *(T *)(out + j * os) *= inv; \
        } \
    } while (0)

/* A contiguous row, written as plain loops over L independent lanes so that
 * the compiler vectorizes them (the generic macro above, with run-time
 * strides, does not vectorize). Partial sums are of the row's own type; the
 * L lanes are then added in double. */
/* A contiguous row shorter than the lanes below, straight through. */
#define SOFTMAX_SHORT(NAME, T, EXP) \
    static inline void NAME##_short(const T *restrict x, T *restrict y, int64_t n, int log_out) { \
        T m = -INFINITY; \
        for (int64_t j = 0; j < n; j++) m = (x[j] > m || x[j] != x[j]) ? x[j] : m; \
        T sum = 0; \
        for (int64_t j = 0; j < n; j++) sum += (y[j] = EXP(x[j] - m)); \
        if (log_out) { \
            T shift = m + (T)log((double)sum); \
            for (int64_t j = 0; j < n; j++) y[j] = x[j] - shift; \
        } else { \
            T inv = (T)(1.0 / (double)sum); \
            for (int64_t j = 0; j < n; j++) y[j] *= inv; \
        } \
    }
SOFTMAX_SHORT(softmax_row_f32, float, pn_expf)
SOFTMAX_SHORT(softmax_row_f64, double, exp)

#define SOFTMAX_CONTIG(NAME, T, EXP) \
    PN_SIMD_CLONES static void NAME(const T *restrict x, T *restrict y, int64_t n, int log_out) { \
        enum { L = 16 }; \
        if (n < L) { /* a short row (10 classes): no lanes to set up and fold */ \
            NAME##_short(x, y, n, log_out); \
            return; \
        } \
        T mk[L], part[L]; \
        for (int k = 0; k < L; k++) mk[k] = -INFINITY, part[k] = 0; \
        int64_t j = 0, nv = n - n % L; \
        /* max, NaN-sticky with float-only selects (which vectorize) */ \
        for (; j < nv; j += L) \
            for (int k = 0; k < L; k++) { \
                T v = x[j + k]; \
                mk[k] = (v > mk[k] || v != v) ? v : mk[k]; \
            } \
        T m = -INFINITY; \
        for (int k = 0; k < L; k++) m = (mk[k] > m || mk[k] != mk[k]) ? mk[k] : m; \
        for (; j < n; j++) m = (x[j] > m || x[j] != x[j]) ? x[j] : m; \
        for (j = 0; j < nv; j += L) \
            for (int k = 0; k < L; k++) { \
                T e = EXP(x[j + k] - m); \
                part[k] += e; \
                y[j + k] = e; \
            } \
        double sum = 0; \
        for (; j < n; j++) { \
            T e = EXP(x[j] - m); \
            sum += e; \
            y[j] = e; \
        } \
        for (int k = 0; k < L; k++) sum += part[k]; \
        if (log_out) { \
            T shift = m + (T)log(sum); \
            for (j = 0; j < n; j++) y[j] = x[j] - shift; \
        } else { \
            T inv = (T)(1.0 / sum); \
            for (j = 0; j < n; j++) y[j] *= inv; \
        } \
    }
SOFTMAX_CONTIG(softmax_row_f32, float, pn_expf)
SOFTMAX_CONTIG(softmax_row_f64, double, exp)

/* L side-by-side positions whose rows run down columns (softmax over dim 0 of
 * a row-major matrix): the columns are the lanes, so every pass reads L
 * contiguous values per row instead of walking one column at a time with a
 * cache line per element. Same semantics as SOFTMAX_ROW (NaN-sticky max,
 * sums in double); each column's arithmetic is the same whatever L, so the
 * 16-lane and 1-lane versions agree to the bit (threads may split the
 * positions anywhere). */
#define SOFTMAX_COLS(NAME, T, EXP, L) \
    PN_SIMD_CLONES static void NAME(const char *in, char *out, int64_t len, int64_t is, \
                                    int64_t os, int log_out) { \
        T m[L], shift[L]; \
        double sum[L]; \
        for (int k = 0; k < L; k++) m[k] = -INFINITY, sum[k] = 0; \
        for (int64_t r = 0; r < len; r++) { \
            const T *x = (const T *)(in + r * is); \
            for (int k = 0; k < L; k++) m[k] = (x[k] > m[k] || x[k] != x[k]) ? x[k] : m[k]; \
        } \
        for (int64_t r = 0; r < len; r++) { \
            const T *x = (const T *)(in + r * is); \
            T *y = (T *)(out + r * os); \
            for (int k = 0; k < L; k++) { \
                T e = EXP(x[k] - m[k]); \
                sum[k] += e; \
                if (!log_out) y[k] = e; \
            } \
        } \
        for (int k = 0; k < L; k++) \
            shift[k] = log_out ? m[k] + (T)log(sum[k]) : (T)(1.0 / sum[k]); \
        for (int64_t r = 0; r < len; r++) { \
            const T *x = (const T *)(in + r * is); \
            T *y = (T *)(out + r * os); \
            if (log_out) \
                for (int k = 0; k < L; k++) y[k] = x[k] - shift[k]; \
            else \
                for (int k = 0; k < L; k++) y[k] *= shift[k]; \
        } \
    }
SOFTMAX_COLS(softmax_cols_f32, float, pn_expf, 16)
SOFTMAX_COLS(softmax_cols_f64, double, exp, 16)
SOFTMAX_COLS(softmax_col1_f32, float, pn_expf, 1)
SOFTMAX_COLS(softmax_col1_f64, double, exp, 1)

#define SOFTMAX_LOOP(NAME, T, EXP, IS_LOG, ROW, COLS, COL1) \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) { \
        const pn_row_args *r = aux; \
        const int64_t len = r->n, is = r->in_stride, os = r->out_stride; \
        int64_t i = 0; \
        if (is != sizeof(T) && s[0] == sizeof(T) && s[1] == sizeof(T)) { \
            for (; i + 16 <= n; i += 16) \
                COLS(p[1] + i * s[1], p[0] + i * s[0], len, is, os, IS_LOG); \
            for (; i < n; i++) COL1(p[1] + i * s[1], p[0] + i * s[0], len, is, os, IS_LOG); \
        } \
        for (; i < n; i++) { \
            const char *in = p[1] + i * s[1]; \
            char *out = p[0] + i * s[0]; \
            if (is == sizeof(T) && os == sizeof(T)) \
                ROW((const T *)in, (T *)out, len, IS_LOG); \
            else \
                SOFTMAX_ROW(T, EXP, IS_LOG, in, out, len, is, os); \
        } \
    }
SOFTMAX_LOOP(softmax_f32, float, pn_expf, 0, softmax_row_f32, softmax_cols_f32, softmax_col1_f32)
SOFTMAX_LOOP(softmax_f64, double, exp, 0, softmax_row_f64, softmax_cols_f64, softmax_col1_f64)
SOFTMAX_LOOP(logsoftmax_f32, float, pn_expf, 1, softmax_row_f32, softmax_cols_f32, softmax_col1_f32)
SOFTMAX_LOOP(logsoftmax_f64, double, exp, 1, softmax_row_f64, softmax_cols_f64, softmax_col1_f64)

pn_loop_fn pn_softmax_loop(int log, pn_dtype dt) {
    if (dt == PN_FLOAT32) return log ? logsoftmax_f32 : softmax_f32;
    if (dt == PN_FLOAT64) return log ? logsoftmax_f64 : softmax_f64;
    return NULL;
}
