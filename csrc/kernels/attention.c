/* attention.c - fused scaled dot-product attention (see attention.h).
 *
 * Per head, the query rows go in blocks of R: one GEMM makes the block's
 * scores (R x S), a pass over each row turns them into probabilities, one
 * GEMM applies them to V. Nothing of size L x S is ever allocated.
 */
#include "attention.h"
#include "elementwise.h"
#include "fastmath.h"
#include "gemm.h"
#include "threadpool.h"
#include "transpose.h"
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Query rows per block: R x S scores of at most ~16K values, 1 <= R <= 64.
 * Causal blocks are 24 rows (a multiple of the GEMM kernels' 6 and 12 rows): a
 * block of rows [i0, i0 + r) needs only the keys j < i0 + r, so smaller blocks
 * skip more of the masked triangle. Zen 3, 1 thread, 32 x 4 heads of 64 x 32,
 * forward + backward: 6.19 ms with 64 rows, 5.43 with 32, 5.24 with 24 (12: the
 * same, 16: 5.42); a 256-long causal sequence runs alike with 24 and 64 rows, and
 * without the mask 64 rows stay fastest (6.1 ms against 6.7 with 24). */
static int64_t block_rows(const pn_attn_args *a) {
    int64_t r = 16384 / (a->S > 0 ? a->S : 1), cap = a->causal ? 24 : 64;
    return r < 1 ? 1 : r > cap ? cap : r;
}

/* Dropout's factor Z for score (bh, i, j): 0 (dropped, with probability p) or
 * 1 / (1 - p). The uniform number is splitmix64 of the seed and the score's
 * index: the same for the forward and the backward, without storing a mask. */
static inline double keep_scale(const pn_attn_args *a, int64_t bh, int64_t i, int64_t j) {
    uint64_t idx = ((uint64_t)bh * (uint64_t)a->L + (uint64_t)i) * (uint64_t)a->S + (uint64_t)j;
    uint64_t x = a->seed + (idx + 1) * 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    double u = (double)(x >> 11) * 0x1.0p-53;
    return u < a->dropout_p ? 0.0 : 1.0 / (1.0 - a->dropout_p);
}

/* What the mask does to score (i, j) of head bh: adds 0, -inf (masked out) or its value. */
static inline double mask_value(const pn_attn_args *a, int64_t bh, int64_t i, int64_t j) {
    if (a->causal && j > i) return -INFINITY;
    if (!a->mask) return 0.0;
    int64_t k = a->moff[bh] + i * a->mstride_i + j * a->mstride_j;
    if (a->mask_is_bool) return ((const unsigned char *)a->mask)[k] ? 0.0 : -INFINITY;
    return a->dt == PN_FLOAT32 ? ((const float *)a->mask)[k] : ((const double *)a->mask)[k];
}

// The max and the sum of x[0..n), kept in 16 independent lanes: a single running
// max or sum is a chain the compiler may not reorder, lanes vectorize. The lanes
// are combined in a fixed order, so the result does not depend on the threads.
#define DEFINE_LANES(MAX, SUM, T) \
    static inline T MAX(const T *x, int64_t n) { \
        enum { L = 16 }; \
        T mk[L], m = (T) - INFINITY; \
        int64_t j = 0, nv = n - n % L; \
        for (int k = 0; k < L; k++) mk[k] = (T) - INFINITY; \
        for (; j < nv; j += L) \
            for (int k = 0; k < L; k++) mk[k] = x[j + k] > mk[k] ? x[j + k] : mk[k]; \
        for (int k = 0; k < L; k++) m = mk[k] > m ? mk[k] : m; \
        for (; j < n; j++) m = x[j] > m ? x[j] : m; \
        return m; \
    } \
    static inline double SUM(const T *x, int64_t n) { \
        enum { L = 16 }; \
        T part[L] = {0}; \
        double sum = 0; \
        int64_t j = 0, nv = n - n % L; \
        for (; j < nv; j += L) \
            for (int k = 0; k < L; k++) part[k] += x[j + k]; \
        for (int k = 0; k < L; k++) sum += part[k]; \
        for (; j < n; j++) sum += x[j]; \
        return sum; \
    }
DEFINE_LANES(lane_max_f32, lane_sum_f32, float)
DEFINE_LANES(lane_max_f64, lane_sum_f64, double)

// x[j] = exp(x[j] - c) for j < n. float64 rows: the float64 exp op's kernel (0.556 ulp;
// softmax's exps), after the subtraction.
static inline void exp_row_f64(double *x, int64_t n, double c) {
    for (int64_t j = 0; j < n; j++) x[j] -= c;
    pn_exp_f64_contig(x, x, n);
}
#define EXP_ROW_F64(x, n, c) exp_row_f64(x, n, c)

// float32 rows: the exp op's kernel (its table of 2^(j/32) in vector registers on
// AVX-512 and AVX2 CPUs; 0.5252 ulp), after the subtraction; c = 0 skips it.
static inline void exp_row_f32(float *x, int64_t n, float c) {
    if (c != 0)
        for (int64_t j = 0; j < n; j++) x[j] -= c;
    pn_exp_f32_contig(x, x, n);
}
#define EXP_ROW_F32(x, n, c) exp_row_f32(x, n, c)

// Row i of head bh: s (n) raw scores q_i . k_j of the first n keys (n < S only with
// is_causal, when keys n.. are masked anyway) -> probabilities p_ij * Z_ij in place;
// returns the log-sum-exp of scale * s + mask (-inf when fully masked: then p = 0).
// Without a mask the loops are plain (vectorised); causal rows stop at key i.
#define DEFINE_SOFTMAX_ROW(NAME, T, EXP_ROW, LANE_MAX, LANE_SUM) \
    PN_SIMD_CLONES static double NAME(const pn_attn_args *a, int64_t bh, int64_t i, T *s, \
                                      int64_t n) { \
        int64_t lim = a->causal && i + 1 < n ? i + 1 : n; /* keys j < lim take part */ \
        T m = (T) - INFINITY, sc = (T)a->scale; \
        if (a->mask) \
            for (int64_t j = 0; j < n; j++) s[j] = (T)(s[j] * a->scale + mask_value(a, bh, i, j)); \
        else \
            for (int64_t j = 0; j < lim; j++) s[j] *= sc; \
        m = LANE_MAX(s, lim); \
        if (m == (T) - INFINITY) { \
            memset(s, 0, (size_t)n * sizeof(T)); \
            return -INFINITY; \
        } \
        EXP_ROW(s, lim, m); \
        double sum = LANE_SUM(s, lim); \
        T inv = (T)(1.0 / sum); \
        if (a->dropout_p > 0) \
            for (int64_t j = 0; j < lim; j++) s[j] *= inv * (T)keep_scale(a, bh, i, j); \
        else \
            for (int64_t j = 0; j < lim; j++) s[j] *= inv; \
        for (int64_t j = lim; j < n; j++) s[j] = 0; \
        return (double)m + log(sum); \
    }
DEFINE_SOFTMAX_ROW(softmax_row_f32, float, EXP_ROW_F32, lane_max_f32, lane_sum_f32)
DEFINE_SOFTMAX_ROW(softmax_row_f64, double, EXP_ROW_F64, lane_max_f64, lane_sum_f64)

// The block's rows i0 .. i0 + r (s: r x n scores, rows n apart), float32 without a
// mask or dropout: scale, max, exp, sum and the division fused in one kernel
// (elementwise.c's pn_softmax_rows_f32; on AVX-512 four rows' latency chains
// overlap), the same arithmetic as softmax_row_f32 in fewer passes; lse (r) out.
// Keys len.. (causal) are 0.
static void softmax_rows_plain_f32(const pn_attn_args *a, int64_t i0, int64_t r, float *s,
                                   int64_t n, double *lse) {
    int64_t len[64] = {0}; /* r <= 64 (block_rows); zeroed: GCC -O1 cannot see r > 0 */
    for (int64_t ii = 0; ii < r; ii++) len[ii] = a->causal && i0 + ii + 1 < n ? i0 + ii + 1 : n;
    pn_softmax_rows_f32(s, n, r, len, (float)a->scale, lse);
    for (int64_t ii = 0; ii < r; ii++)
        memset(s + ii * n + len[ii], 0, (size_t)(n - len[ii]) * sizeof *s);
}

// Backward of row i (first n keys): p raw scores in, P = exp(scale s + mask - lse) out;
// dp = (dO V^T)_i in, dS = scale * P * (dp * Z - D) out; pt (or NULL without dropout)
// = P * Z, the probabilities the forward applied to V
#define DEFINE_DSCORE_ROW(NAME, T, EXP_ROW) \
    PN_SIMD_CLONES static void NAME(const pn_attn_args *a, int64_t bh, int64_t i, double lse, \
                                    double D, T *p, T *dp, T *pt, int64_t n) { \
        int64_t lim = lse == -INFINITY ? 0 : a->causal && i + 1 < n ? i + 1 : n; \
        T sc = (T)a->scale, l = (T)lse, d = (T)D; \
        if (a->mask) \
            for (int64_t j = 0; j < lim; j++) \
                p[j] = (T)(p[j] * a->scale + mask_value(a, bh, i, j) - lse); \
        else \
            for (int64_t j = 0; j < lim; j++) p[j] = p[j] * sc - l; \
        EXP_ROW(p, lim, (T)0); \
        if (pt) \
            for (int64_t j = 0; j < lim; j++) { \
                T z = (T)keep_scale(a, bh, i, j); \
                pt[j] = p[j] * z, dp[j] = sc * p[j] * (dp[j] * z - d); \
            } \
        else \
            for (int64_t j = 0; j < lim; j++) dp[j] = sc * p[j] * (dp[j] - d); \
        for (int64_t j = lim; j < n; j++) p[j] = dp[j] = 0, pt ? (void)(pt[j] = 0) : (void)0; \
    }
DEFINE_DSCORE_ROW(dscore_row_f32, float, EXP_ROW_F32)
DEFINE_DSCORE_ROW(dscore_row_f64, double, EXP_ROW_F64)

// float32 rows without a mask or dropout: the same arithmetic in one pass
// (elementwise.c's pn_softmax_dscore_row_f32). Keys lim.. (causal) are 0.
static void dscore_row_plain_f32(const pn_attn_args *a, int64_t bh, int64_t i, double lse, double D,
                                 float *p, float *dp, float *pt, int64_t n) {
    if (a->mask || pt) {
        dscore_row_f32(a, bh, i, lse, D, p, dp, pt, n);
        return;
    }
    int64_t lim = lse == -INFINITY ? 0 : a->causal && i + 1 < n ? i + 1 : n;
    pn_softmax_dscore_row_f32(p, dp, lim, (float)a->scale, (float)lse, (float)D);
    memset(p + lim, 0, (size_t)(n - lim) * sizeof *p);
    memset(dp + lim, 0, (size_t)(n - lim) * sizeof *dp);
}

#define AT(p, off)  ((char *)(p) + (size_t)(off) * sz)
#define HEAD(m, bh) ((m).data ? AT((m).data, (m).off[bh]) : NULL) /* head bh's row 0 */

// x (S, E), rows ldx apart -> xt (E, S) contiguous. The score products q K^T and
// dO V^T then read K^T and V^T as a row-major B, in place, where K and V themselves
// (B transposed) would be packed by 16 x 16 transposes for every block of query
// rows: 24 x 48 x 32, 1 thread, Zen 4: 1.55 -> 0.81 us per product.
// float32: 8 x 8 blocks by transpose.c's register transposes, the edges one by one.
static void transpose_head(const char *x, int64_t ldx, int64_t S, int64_t E, char *xt, size_t sz) {
    int64_t S8 = sz == sizeof(float) ? S - S % 8 : 0, E8 = E - E % 8;
    for (int64_t j = 0; j < S8; j += 8)
        for (int64_t e = 0; e < E8; e += 8)
            pn_transpose8x8_f32(AT(xt, e * S + j), S * 4, AT(x, j * ldx + e), ldx * 4);
    for (int64_t j = 0; j < S; j++)
        for (int64_t e = j < S8 ? E8 : 0; e < E; e++)
            memcpy(AT(xt, e * S + j), AT(x, j * ldx + e), sz);
}

// Head bh: O (L, Ev) = softmax(scale Q K^T + mask) V, block by block; lse (L).
// blk: R x S scores, then K^T (E x S)
static int forward_head(const pn_attn_args *a, int64_t bh, void *blk) {
    size_t sz = pn_itemsize(a->dt);
    int64_t L = a->L, S = a->S, E = a->E, Ev = a->Ev, R = block_rows(a);
    int64_t lq = a->q.ld, lv = a->v.ld, lo = a->o.ld;
    const char *q = HEAD(a->q, bh), *v = HEAD(a->v, bh);
    char *o = HEAD(a->o, bh), *kt = AT(blk, R * S);
    transpose_head(HEAD(a->k, bh), a->k.ld, S, E, kt, sz);
    for (int64_t i0 = 0; i0 < L; i0 += R) {
        int64_t r = L - i0 < R ? L - i0 : R;
        int64_t n = a->causal && i0 + r < S ? i0 + r : S; /* keys any row of the block sees */
        if (pn_gemm(a->dt, 0, 0, r, n, E, AT(q, i0 * lq), lq, kt, S, 0.0, blk, n)) return PN_ENOMEM;
        if (a->dt == PN_FLOAT32 && !a->mask && a->dropout_p == 0)
            softmax_rows_plain_f32(a, i0, r, (float *)blk, n, a->lse + bh * L + i0);
        else
            for (int64_t ii = 0; ii < r; ii++)
                a->lse[bh * L + i0 + ii] =
                    a->dt == PN_FLOAT32
                        ? softmax_row_f32(a, bh, i0 + ii, (float *)AT(blk, ii * n), n)
                        : softmax_row_f64(a, bh, i0 + ii, (double *)AT(blk, ii * n), n);
        if (pn_gemm(a->dt, 0, 0, r, Ev, n, blk, n, v, lv, 0.0, AT(o, i0 * lo), lo))
            return PN_ENOMEM;
    }
    return 0;
}

typedef struct {
    const pn_attn_args *a;
    const pn_attn_grads *g;
    atomic_int err;
} attn_job;

static void forward_heads(void *ctx, int64_t b, int64_t e) {
    attn_job *j = ctx;
    size_t sz = pn_itemsize(j->a->dt);
    void *blk = malloc((size_t)((block_rows(j->a) + j->a->E) * j->a->S) * sz + 1);
    if (!blk) atomic_store(&j->err, PN_ENOMEM);
    for (int64_t bh = b; blk && bh < e; bh++)
        if (forward_head(j->a, bh, blk)) atomic_store(&j->err, PN_ENOMEM);
    free(blk);
}

int pn_attn_forward(const pn_attn_args *a) {
    attn_job j = {a, NULL, 0};
    pn_parallel_for(a->BH, 1, forward_heads, &j);
    return atomic_load(&j.err);
}

/* D (L) = the row sums of dO * O (rows ldd and ldo apart), in double (the softmax
 * backward's D_i): eight partial sums per row (vector lanes), added in a fixed order. */
#define DEFINE_ROW_DOTS(NAME, T) \
    PN_SIMD_CLONES static void NAME(int64_t L, int64_t Ev, const T *dO, int64_t ldd, const T *O, \
                                    int64_t ldo, double *D) { \
        for (int64_t i = 0; i < L; i++) { \
            const T *d = dO + i * ldd, *o = O + i * ldo; \
            double part[8] = {0}, s = 0; \
            int64_t e = 0; \
            for (; e + 8 <= Ev; e += 8) \
                for (int k = 0; k < 8; k++) part[k] += (double)d[e + k] * o[e + k]; \
            for (; e < Ev; e++) s += (double)d[e] * o[e]; \
            D[i] = (((part[0] + part[4]) + (part[2] + part[6])) + \
                    ((part[1] + part[5]) + (part[3] + part[7]))) + \
                   s; \
        } \
    }
DEFINE_ROW_DOTS(row_dots_f32, float)
DEFINE_ROW_DOTS(row_dots_f64, double)
static void row_dots(pn_dtype dt, int64_t L, int64_t Ev, const void *dO, int64_t ldd, const void *O,
                     int64_t ldo, double *D) {
    if (dt == PN_FLOAT32)
        row_dots_f32(L, Ev, dO, ldd, O, ldo, D);
    else
        row_dots_f64(L, Ev, dO, ldd, O, ldo, D);
}

/* Zero rows [0, rows) of a (rows, cols) matrix whose rows are ld apart. */
static void zero_rows(char *x, int64_t rows, int64_t cols, int64_t ld, size_t sz) {
    for (int64_t i = 0; i < rows; i++) memset(AT(x, i * ld), 0, (size_t)cols * sz);
}

/* Scratch of one thread's backward: three R x S blocks (P, dP, and P * Z with
 * dropout), D (L), and the head's K^T (E x S) and V^T (Ev x S). */
typedef struct {
    char *p, *dp, *pt;
    double *D;
    char *kt, *vt;
} attn_scratch;

// Head bh backward. Per block of query rows: P again from lse, dP = dO V^T, dS
// (scaled); then dV += (P Z)^T dO,  dQ = dS K,  dK += dS^T Q
static int backward_head(const pn_attn_args *a, const pn_attn_grads *g, int64_t bh,
                         const attn_scratch *w) {
    size_t sz = pn_itemsize(a->dt);
    int64_t L = a->L, S = a->S, E = a->E, Ev = a->Ev, R = block_rows(a);
    int64_t lq = a->q.ld, lk = a->k.ld, lv = a->v.ld, ld = g->dout.ld;
    const char *q = HEAD(a->q, bh), *k = HEAD(a->k, bh), *v = HEAD(a->v, bh);
    const char *dO = HEAD(g->dout, bh);
    char *dq = HEAD(g->dq, bh), *dk = HEAD(g->dk, bh), *dv = HEAD(g->dv, bh);
    row_dots(a->dt, L, Ev, dO, ld, HEAD(a->o, bh), a->o.ld, w->D);
    if (dk) zero_rows(dk, S, E, g->dk.ld, sz); /* sums over the query blocks */
    if (dv) zero_rows(dv, S, Ev, g->dv.ld, sz);
    transpose_head(k, lk, S, E, w->kt, sz);
    transpose_head(v, lv, S, Ev, w->vt, sz);
    for (int64_t i0 = 0; i0 < L; i0 += R) {
        int64_t r = L - i0 < R ? L - i0 : R;
        int64_t n = a->causal && i0 + r < S ? i0 + r : S; /* keys any row of the block sees */
        if (pn_gemm(a->dt, 0, 0, r, n, E, AT(q, i0 * lq), lq, w->kt, S, 0.0, w->p, n) ||
            pn_gemm(a->dt, 0, 0, r, n, Ev, AT(dO, i0 * ld), ld, w->vt, S, 0.0, w->dp, n))
            return PN_ENOMEM;
        for (int64_t ii = 0; ii < r; ii++) {
            double lse = a->lse[bh * L + i0 + ii], D = w->D[i0 + ii];
            if (a->dt == PN_FLOAT32)
                dscore_row_plain_f32(a, bh, i0 + ii, lse, D, (float *)AT(w->p, ii * n),
                                     (float *)AT(w->dp, ii * n),
                                     w->pt ? (float *)AT(w->pt, ii * n) : NULL, n);
            else
                dscore_row_f64(a, bh, i0 + ii, lse, D, (double *)AT(w->p, ii * n),
                               (double *)AT(w->dp, ii * n),
                               w->pt ? (double *)AT(w->pt, ii * n) : NULL, n);
        }
        if ((dv && pn_gemm(a->dt, 1, 0, n, Ev, r, w->pt ? w->pt : w->p, n, AT(dO, i0 * ld), ld, 1.0,
                           dv, g->dv.ld)) ||
            (dq && pn_gemm(a->dt, 0, 0, r, E, n, w->dp, n, k, lk, 0.0, AT(dq, i0 * g->dq.ld),
                           g->dq.ld)) ||
            (dk && pn_gemm(a->dt, 1, 0, n, E, r, w->dp, n, AT(q, i0 * lq), lq, 1.0, dk, g->dk.ld)))
            return PN_ENOMEM;
    }
    return 0;
}

static void backward_heads(void *ctx, int64_t b, int64_t e) {
    attn_job *j = ctx;
    const pn_attn_args *a = j->a;
    size_t sz = pn_itemsize(a->dt), blk = (size_t)(block_rows(a) * a->S) * sz + 64;
    attn_scratch w = {malloc(blk),
                      malloc(blk),
                      a->dropout_p > 0 ? malloc(blk) : NULL,
                      malloc((size_t)a->L * sizeof(double) + 8),
                      malloc((size_t)((a->E + a->Ev) * a->S) * sz + 64),
                      NULL};
    if (!w.p || !w.dp || !w.D || !w.kt || (a->dropout_p > 0 && !w.pt))
        atomic_store(&j->err, PN_ENOMEM);
    else {
        w.vt = AT(w.kt, a->E * a->S);
        for (int64_t bh = b; bh < e; bh++)
            if (backward_head(a, j->g, bh, &w)) atomic_store(&j->err, PN_ENOMEM);
    }
    free(w.p), free(w.dp), free(w.pt), free(w.D), free(w.kt);
}

int pn_attn_backward(const pn_attn_args *a, const pn_attn_grads *g) {
    attn_job j = {a, g, 0};
    pn_parallel_for(a->BH, 1, backward_heads, &j);
    return atomic_load(&j.err);
}
