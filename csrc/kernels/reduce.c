/* reduce.c - see reduce.h. */
#include "reduce.h"
#include <math.h>

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
        *(double *)out = op == PN_RSUM ? 0.0 : op == PN_RPROD ? 1.0 : op == PN_RMAX ? -INFINITY
                                                                                     : INFINITY;
        break;
    case PN_FLOAT32:
        *(float *)out = op == PN_RSUM ? 0.0f : op == PN_RPROD ? 1.0f : op == PN_RMAX ? -INFINITY
                                                                                      : INFINITY;
        break;
    case PN_INT64:
        *(int64_t *)out = op == PN_RSUM ? 0 : op == PN_RPROD ? 1 : op == PN_RMAX ? INT64_MIN
                                                                                   : INT64_MAX;
        break;
    default: *(pn_bool *)out = op == PN_RMIN; break; /* max = any, min = all */
    }
}

/* acc op= x. When acc does not move (s[0] == 0, the common "reduce the inner
 * dimension" case) the running value is kept in a register. */
#define REDUCE_LOOP(NAME, TA, T, COMBINE)                                                          \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) {                     \
        (void)aux;                                                                                 \
        if (s[0] == 0) {                                                                           \
            TA acc = *(TA *)p[0];                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TA x = (TA) * (const T *)(p[1] + i * s[1]);                                        \
                acc = COMBINE(acc, x);                                                             \
            }                                                                                      \
            *(TA *)p[0] = acc;                                                                     \
        } else {                                                                                   \
            for (int64_t i = 0; i < n; i++) {                                                      \
                TA *a = (TA *)(p[0] + i * s[0]);                                                   \
                TA x = (TA) * (const T *)(p[1] + i * s[1]);                                        \
                *a = COMBINE(*a, x);                                                               \
            }                                                                                      \
        }                                                                                          \
    }

#define ADD(a, x) ((a) + (x))
#define MUL(a, x) ((a) * (x))
#define IADD(a, x) ((int64_t)((uint64_t)(a) + (uint64_t)(x)))
#define IMUL(a, x) ((int64_t)((uint64_t)(a) * (uint64_t)(x)))
/* NaN wins: once the accumulator is NaN it stays NaN. */
#define FMAXC(a, x) ((a) != (a) ? (a) : ((x) > (a) || (x) != (x) ? (x) : (a)))
#define FMINC(a, x) ((a) != (a) ? (a) : ((x) < (a) || (x) != (x) ? (x) : (a)))
#define IMAXC(a, x) ((x) > (a) ? (x) : (a))
#define IMINC(a, x) ((x) < (a) ? (x) : (a))

REDUCE_LOOP(sum_f32, double, float, ADD)
REDUCE_LOOP(sum_f64, double, double, ADD)
REDUCE_LOOP(sum_i64, int64_t, int64_t, IADD)
REDUCE_LOOP(sum_b, int64_t, pn_bool, IADD)
REDUCE_LOOP(prod_f32, double, float, MUL)
REDUCE_LOOP(prod_f64, double, double, MUL)
REDUCE_LOOP(prod_i64, int64_t, int64_t, IMUL)
REDUCE_LOOP(prod_b, int64_t, pn_bool, IMUL)
REDUCE_LOOP(max_f32, float, float, FMAXC)
REDUCE_LOOP(max_f64, double, double, FMAXC)
REDUCE_LOOP(max_i64, int64_t, int64_t, IMAXC)
REDUCE_LOOP(max_b, pn_bool, pn_bool, IMAXC)
REDUCE_LOOP(min_f32, float, float, FMINC)
REDUCE_LOOP(min_f64, double, double, FMINC)
REDUCE_LOOP(min_i64, int64_t, int64_t, IMINC)
REDUCE_LOOP(min_b, pn_bool, pn_bool, IMINC)

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

#define ARG_LOOP(NAME, T, BETTER)                                                                  \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) {                     \
        const pn_row_args *r = aux;                                                                \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const char *row = p[2] + i * s[2];                                                     \
            T best = *(const T *)row;                                                              \
            int64_t arg = 0;                                                                       \
            for (int64_t j = 1; j < r->n && best == best; j++) {                                   \
                T x = *(const T *)(row + j * r->in_stride);                                        \
                if (BETTER(x, best)) {                                                             \
                    best = x;                                                                      \
                    arg = j;                                                                       \
                }                                                                                  \
            }                                                                                      \
            *(int64_t *)(p[0] + i * s[0]) = arg;                                                   \
            *(T *)(p[1] + i * s[1]) = best;                                                        \
        }                                                                                          \
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
 * The sum is accumulated in double. A row of all -inf gives NaN, as in PyTorch. */
#define SOFTMAX_LOOP(NAME, T, EXP, LOG, IS_LOG)                                                    \
    static void NAME(char **p, const int64_t *s, int64_t n, const void *aux) {                     \
        const pn_row_args *r = aux;                                                                \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const char *in = p[1] + i * s[1];                                                      \
            char *out = p[0] + i * s[0];                                                           \
            T m = -INFINITY;                                                                       \
            for (int64_t j = 0; j < r->n; j++) {                                                   \
                T x = *(const T *)(in + j * r->in_stride);                                         \
                if (x > m || x != x) m = x;                                                        \
                if (m != m) break;                                                                 \
            }                                                                                      \
            double sum = 0;                                                                        \
            for (int64_t j = 0; j < r->n; j++) {                                                   \
                T e = EXP(*(const T *)(in + j * r->in_stride) - m);                                \
                sum += e;                                                                          \
                if (!IS_LOG) *(T *)(out + j * r->out_stride) = e;                                  \
            }                                                                                      \
            if (IS_LOG) {                                                                          \
                T shift = m + (T)LOG(sum);                                                         \
                for (int64_t j = 0; j < r->n; j++)                                                 \
                    *(T *)(out + j * r->out_stride) =                                              \
                        *(const T *)(in + j * r->in_stride) - shift;                               \
            } else {                                                                               \
                T inv = (T)(1.0 / sum);                                                            \
                for (int64_t j = 0; j < r->n; j++) *(T *)(out + j * r->out_stride) *= inv;         \
            }                                                                                      \
        }                                                                                          \
    }
SOFTMAX_LOOP(softmax_f32, float, expf, log, 0)
SOFTMAX_LOOP(softmax_f64, double, exp, log, 0)
SOFTMAX_LOOP(logsoftmax_f32, float, expf, log, 1)
SOFTMAX_LOOP(logsoftmax_f64, double, exp, log, 1)

pn_loop_fn pn_softmax_loop(int log, pn_dtype dt) {
    if (dt == PN_FLOAT32) return log ? logsoftmax_f32 : softmax_f32;
    if (dt == PN_FLOAT64) return log ? logsoftmax_f64 : softmax_f64;
    return NULL;
}
