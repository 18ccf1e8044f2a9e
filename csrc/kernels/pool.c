/* pool.c - max and average pooling (the math is in pool.h). */
#include "pool.h"
#include "fastmath.h"
#include "threadpool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The window of output (p, q) along one dim: in-image taps from [*a, *b) of
 * the index range k, for start s0 = p stride - pad and step dil. */
static void taps(int64_t s0, int64_t dil, int64_t k, int64_t n, int64_t *a, int64_t *b) {
    int64_t lo = s0 >= 0 ? 0 : (-s0 + dil - 1) / dil; /* first i with s0 + i dil >= 0 */
    int64_t hi = n - 1 - s0 < 0 ? 0 : (n - 1 - s0) / dil + 1;
    if (hi > k) hi = k;
    if (lo > hi) lo = hi;
    *a = lo, *b = hi;
}

/* The windows along one dimension, computed once per call (two divisions
 * each) instead of once per output position and plane: output p reads input
 * positions start + i dil for taps i in [a, b) (the in-image ones), and `count`
 * is the window's contribution to the average's divisor (the divisor of
 * output (p, q) is rows[p].count * cols[q].count). */
typedef struct {
    int64_t start, a, b, count;
} pool_span;

/* For kernel column j (non-adaptive windows): the outputs q whose column tap j
 * lies inside the image, [a, b). */
typedef struct {
    int64_t a, b;
} tap_cols;

/* Output p of one dimension: in (n), kernel k, stride s, padding pad, dilation dil, out no. */
static pool_span span_of(const pn_pool_geom *g, int64_t p, int64_t n, int64_t k, int64_t s,
                         int64_t pad, int64_t dil, int64_t no) {
    pool_span r;
    if (g->adaptive) { /* rows floor(p n / no) to ceil((p + 1) n / no) */
        r.start = p * n / no, r.a = 0, r.b = ((p + 1) * n + no - 1) / no - r.start;
        r.count = r.b;
        return r;
    }
    r.start = p * s - pad;
    taps(r.start, dil, k, n, &r.a, &r.b);
    int64_t end = r.start + k < n + pad ? r.start + k : n + pad; /* clipped to the padded image */
    r.count = g->count_pad ? end - r.start : r.b - r.a;
    return r;
}

/* rows (Ho), cols (Wo) and, for non-adaptive windows, taps (kw) of g in one
 * allocation (free rows), or NULL. */
static pool_span *pool_spans(const pn_pool_geom *g, pool_span **cols, tap_cols **taps_q) {
    int64_t nt = g->adaptive ? 0 : g->kw;
    pool_span *rows = malloc((size_t)(g->Ho + g->Wo + nt + 1) * sizeof *rows);
    if (!rows) return NULL;
    *cols = rows + g->Ho;
    *taps_q = (tap_cols *)(*cols + g->Wo);
    for (int64_t p = 0; p < g->Ho; p++)
        rows[p] = span_of(g, p, g->H, g->kh, g->sh, g->ph, g->dh, g->Ho);
    for (int64_t q = 0; q < g->Wo; q++)
        (*cols)[q] = span_of(g, q, g->W, g->kw, g->sw, g->pw, g->dw, g->Wo);
    for (int64_t j = 0; j < nt; j++) { /* q s - pw + j dw in [0, W) */
        int64_t off = j * g->dw - g->pw, a = off >= 0 ? 0 : (-off + g->sw - 1) / g->sw;
        int64_t b = g->W - 1 - off < 0 ? 0 : (g->W - 1 - off) / g->sw + 1;
        b = b < g->Wo ? b : g->Wo;
        (*taps_q)[j].a = a < b ? a : b, (*taps_q)[j].b = b;
    }
    return rows;
}

/* The average's divisor for output (p, q) with spans r (row) and c (column). */
static double avg_divisor(const pn_pool_geom *g, const pool_span *r, const pool_span *c) {
    return g->divisor != 0 ? (double)g->divisor : (double)(r->count * c->count);
}

typedef struct {
    pn_dtype dt;
    const pn_pool_geom *g;
    const void *in;
    const int64_t *idx_in;
    void *out;
    int64_t *idx_out;
    const pool_span *rows, *cols; /* set by run() */
    const tap_cols *taps_q;
} pool_job;

/* The sum of x[0..n) in double: 16 lanes (lane k takes elements k, k + 16, ...),
 * folded in a fixed order, then the rest. A window's serial double sum waited 4
 * cycles per element: global average pooling of 64 x 64 planes of 14 x 14 took
 * 0.59 ms, PyTorch 0.09. */
#define DEFINE_RUN_SUM(SUF, T) \
    PN_VINLINE double run_sum_##SUF(const T *x, int64_t n) { \
        double p[16] = {0}, s = 0; \
        int64_t j = 0; \
        for (; j + 16 <= n; j += 16) \
            for (int k = 0; k < 16; k++) p[k] += (double)x[j + k]; \
        for (int k = 0; k < 8; k++) p[k] += p[k + 8]; \
        for (; j < n; j++) s += (double)x[j]; \
        return (((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]))) + s; \
    }
DEFINE_RUN_SUM(f32, float)
DEFINE_RUN_SUM(f64, double)

#define DEFINE_POOL_PLANES(SUF, T) \
    /* One output row: y, idx (Wo) = max over the window rows r of x (H, W), each tap \
     * (i, j) applied to every output of the row at once (a loop over q the compiler \
     * vectorises; a per-window loop mispredicts every other compare on random data). \
     * The taps run in the order (i, j) of the per-window definition. */ \
    PN_SIMD_CLONES static void max_row_##SUF(const pool_job *jb, const pool_span *r, \
                                             const T *restrict x, T *restrict y, \
                                             int64_t *restrict idx) { \
        const pn_pool_geom *g = jb->g; \
        const int64_t W = g->W, sw = g->sw; \
        for (int64_t q = 0; q < g->Wo; q++) { \
            const pool_span *c = &jb->cols[q]; /* -inf, -1 for a window all in the padding */ \
            y[q] = -INFINITY; \
            idx[q] = r->a < r->b && c->a < c->b \
                         ? (r->start + r->a * g->dh) * W + c->start + c->a * g->dw \
                         : -1; \
        } \
        for (int64_t i = r->a; i < r->b; i++) \
            for (int64_t j = 0; j < g->kw; j++) { \
                const int64_t base = (r->start + i * g->dh) * W + j * g->dw - g->pw; \
                const int64_t qa = jb->taps_q[j].a, qb = jb->taps_q[j].b; \
                for (int64_t q = qa; q < qb; q++) { \
                    const int64_t k = base + q * sw; \
                    const T v = x[k], m = y[q]; /* a NaN wins; the last one, as in PyTorch */ \
                    const int64_t at = idx[q]; \
                    const int take = (v > m) | (v != v); \
                    y[q] = take ? v : m; \
                    idx[q] = take ? k : at; \
                } \
            } \
    } \
    /* x (H, W) -> y, idx (Ho, Wo) */ \
    static void max_plane_##SUF(const pool_job *jb, const T *x, T *y, int64_t *idx) { \
        const pn_pool_geom *g = jb->g; \
        const int64_t W = g->W, dh = g->dh, dw = g->dw; \
        for (int64_t p = 0; p < g->Ho; p++) { \
            const pool_span *r = &jb->rows[p]; \
            if (!g->adaptive) { \
                max_row_##SUF(jb, r, x, y + p * g->Wo, idx + p * g->Wo); \
                continue; \
            } \
            for (int64_t q = 0; q < g->Wo; q++) { /* adaptive windows differ in width */ \
                const pool_span *c = &jb->cols[q]; \
                T m = -INFINITY; \
                int64_t at = r->a < r->b && c->a < c->b \
                                 ? (r->start + r->a * dh) * W + c->start + c->a * dw \
                                 : -1; \
                for (int64_t i = r->a; i < r->b; i++) { \
                    const int64_t row = (r->start + i * dh) * W + c->start; \
                    for (int64_t j = c->a; j < c->b; j++) { \
                        const int64_t k = row + j * dw; \
                        if (x[k] > m || isnan(x[k])) m = x[k], at = k; \
                    } \
                } \
                y[p * g->Wo + q] = m, idx[p * g->Wo + q] = at; \
            } \
        } \
    } \
    /* x (H, W) -> y (Ho, Wo): window sums / divisor, summed in double as PyTorch does \
     * on the CPU, by rows of the window (whole rows: one run) */ \
    PN_SIMD_CLONES static void avg_plane_##SUF(const pool_job *jb, const T *x, T *y) { \
        const pn_pool_geom *g = jb->g; \
        const int64_t W = g->W; \
        for (int64_t p = 0; p < g->Ho; p++) { \
            const pool_span *r = &jb->rows[p]; \
            for (int64_t q = 0; q < g->Wo; q++) { \
                const pool_span *c = &jb->cols[q]; \
                const int64_t w = c->b - c->a, x0 = c->start + c->a; \
                double s = 0; \
                if (w == W) \
                    s = run_sum_##SUF(x + (r->start + r->a) * W, (r->b - r->a) * W); \
                else \
                    for (int64_t i = r->a; i < r->b; i++) \
                        s += run_sum_##SUF(x + (r->start + i) * W + x0, w); \
                y[p * g->Wo + q] = (T)(s / avg_divisor(g, r, c)); \
            } \
        } \
    } \
    /* dy (Ho, Wo) -> dx (H, W) += dy / divisor over each window */ \
    static void avg_back_plane_##SUF(const pool_job *jb, const T *dy, T *dx) { \
        const pn_pool_geom *g = jb->g; \
        for (int64_t p = 0; p < g->Ho; p++) { \
            const pool_span *r = &jb->rows[p]; \
            for (int64_t q = 0; q < g->Wo; q++) { \
                const pool_span *c = &jb->cols[q]; \
                T v = (T)(dy[p * g->Wo + q] / avg_divisor(g, r, c)); \
                for (int64_t i = r->a; i < r->b; i++) \
                    for (int64_t j = c->a; j < c->b; j++) \
                        dx[(r->start + i) * g->W + c->start + j] += v; \
            } \
        } \
    } \
    static void max_task_##SUF(pool_job *j, int64_t p) { \
        const pn_pool_geom *g = j->g; \
        max_plane_##SUF(j, (const T *)j->in + p * g->H * g->W, (T *)j->out + p * g->Ho * g->Wo, \
                        j->idx_out + p * g->Ho * g->Wo); \
    } \
    static void gather_task_##SUF(pool_job *j, int64_t p) { \
        const pn_pool_geom *g = j->g; \
        const T *x = (const T *)j->in + p * g->H * g->W; \
        const int64_t *ix = j->idx_in + p * g->Ho * g->Wo; \
        T *y = (T *)j->out + p * g->Ho * g->Wo; \
        for (int64_t l = 0; l < g->Ho * g->Wo; l++) y[l] = ix[l] >= 0 ? x[ix[l]] : 0; \
    } \
    static void scatter_task_##SUF(pool_job *j, int64_t p) { \
        const pn_pool_geom *g = j->g; \
        const T *dy = (const T *)j->in + p * g->Ho * g->Wo; \
        const int64_t *ix = j->idx_in + p * g->Ho * g->Wo; \
        T *dx = (T *)j->out + p * g->H * g->W; \
        memset(dx, 0, (size_t)(g->H * g->W) * sizeof(T)); \
        for (int64_t l = 0; l < g->Ho * g->Wo; l++) \
            if (ix[l] >= 0) dx[ix[l]] += dy[l]; \
    } \
    static void avg_task_##SUF(pool_job *j, int64_t p) { \
        const pn_pool_geom *g = j->g; \
        avg_plane_##SUF(j, (const T *)j->in + p * g->H * g->W, (T *)j->out + p * g->Ho * g->Wo); \
    } \
    static void avg_back_task_##SUF(pool_job *j, int64_t p) { \
        const pn_pool_geom *g = j->g; \
        T *dx = (T *)j->out + p * g->H * g->W; \
        memset(dx, 0, (size_t)(g->H * g->W) * sizeof(T)); \
        avg_back_plane_##SUF(j, (const T *)j->in + p * g->Ho * g->Wo, dx); \
    }

DEFINE_POOL_PLANES(f32, float)
DEFINE_POOL_PLANES(f64, double)

/* One pool_job kind per public function; the range function dispatches on it. */
typedef enum { POOL_MAX, POOL_GATHER, POOL_SCATTER, POOL_AVG, POOL_AVG_BACK } pool_kind;
typedef struct {
    pool_job j;
    pool_kind kind;
} pool_run;

static void pool_range(void *ctx, int64_t p0, int64_t p1) {
    pool_run *r = ctx;
    int f32 = r->j.dt == PN_FLOAT32;
    for (int64_t p = p0; p < p1; p++) switch (r->kind) {
        case POOL_MAX:
            f32 ? max_task_f32(&r->j, p) : max_task_f64(&r->j, p);
            break;
        case POOL_GATHER:
            f32 ? gather_task_f32(&r->j, p) : gather_task_f64(&r->j, p);
            break;
        case POOL_SCATTER:
            f32 ? scatter_task_f32(&r->j, p) : scatter_task_f64(&r->j, p);
            break;
        case POOL_AVG:
            f32 ? avg_task_f32(&r->j, p) : avg_task_f64(&r->j, p);
            break;
        case POOL_AVG_BACK:
            f32 ? avg_back_task_f32(&r->j, p) : avg_back_task_f64(&r->j, p);
            break;
        }
}

/* Planes over the pool, a chunk at least ~16k window taps of work. The
 * window spans are computed first, once for every plane. */
static int run(pool_run *r) {
    const pn_pool_geom *g = r->j.g;
    if (!pn_is_float(r->j.dt)) return PN_EINVAL;
    pool_span *cols, *rows;
    tap_cols *taps_q;
    if (!(rows = pool_spans(g, &cols, &taps_q))) return PN_ENOMEM;
    r->j.rows = rows, r->j.cols = cols, r->j.taps_q = taps_q;
    int64_t work = g->Ho * g->Wo * g->kh * g->kw + g->H * g->W;
    int64_t grain = work >= 16384 ? 1 : 16384 / (work > 0 ? work : 1);
    pn_parallel_for(g->P, grain, pool_range, r);
    free(rows);
    return PN_OK;
}

int pn_max_pool(pn_dtype dt, const pn_pool_geom *g, const void *x, void *y, int64_t *idx) {
    pool_run r = {{dt, g, x, NULL, y, idx, NULL, NULL, NULL}, POOL_MAX};
    return run(&r);
}

int pn_pool_gather(pn_dtype dt, const pn_pool_geom *g, const void *x, const int64_t *idx, void *y) {
    pool_run r = {{dt, g, x, idx, y, NULL, NULL, NULL, NULL}, POOL_GATHER};
    return run(&r);
}

int pn_pool_scatter(pn_dtype dt, const pn_pool_geom *g, const void *dy, const int64_t *idx,
                    void *dx) {
    pool_run r = {{dt, g, dy, idx, dx, NULL, NULL, NULL, NULL}, POOL_SCATTER};
    return run(&r);
}

int pn_avg_pool(pn_dtype dt, const pn_pool_geom *g, const void *x, void *y) {
    pool_run r = {{dt, g, x, NULL, y, NULL, NULL, NULL, NULL}, POOL_AVG};
    return run(&r);
}

int pn_avg_pool_backward(pn_dtype dt, const pn_pool_geom *g, const void *dy, void *dx) {
    pool_run r = {{dt, g, dy, NULL, dx, NULL, NULL, NULL, NULL}, POOL_AVG_BACK};
    return run(&r);
}
