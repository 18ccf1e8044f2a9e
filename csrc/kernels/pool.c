/* pool.c - max and average pooling (the math is in pool.h). */
#include "pool.h"
#include "threadpool.h"

#include <math.h>
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

/* The window of output (p, q): its first input position (h0, w0), possibly in the padding,
 * and its in-image taps t[0] <= i < t[1], t[2] <= j < t[3] (input (h0 + i dh, w0 + j dw)).
 * Adaptive: rows floor(p H / Ho) to ceil((p + 1) H / Ho), columns likewise. */
static void window(const pn_pool_geom *g, int64_t p, int64_t q, int64_t *h0, int64_t *w0,
                   int64_t *t) {
    if (g->adaptive) {
        *h0 = p * g->H / g->Ho, *w0 = q * g->W / g->Wo;
        t[0] = t[2] = 0;
        t[1] = ((p + 1) * g->H + g->Ho - 1) / g->Ho - *h0;
        t[3] = ((q + 1) * g->W + g->Wo - 1) / g->Wo - *w0;
        return;
    }
    *h0 = p * g->sh - g->ph, *w0 = q * g->sw - g->pw;
    taps(*h0, g->dh, g->kh, g->H, &t[0], &t[1]);
    taps(*w0, g->dw, g->kw, g->W, &t[2], &t[3]);
}

/* The average's divisor for the window at (h0, w0) with taps t (see window). */
static double avg_divisor(const pn_pool_geom *g, int64_t h0, int64_t w0, const int64_t *t) {
    if (g->divisor != 0) return (double)g->divisor;
    if (g->adaptive || !g->count_pad) return (double)((t[1] - t[0]) * (t[3] - t[2]));
    /* counting the padding: the window clipped to the padded image */
    int64_t h1 = h0 + g->kh, w1 = w0 + g->kw;
    h1 = h1 < g->H + g->ph ? h1 : g->H + g->ph;
    w1 = w1 < g->W + g->pw ? w1 : g->W + g->pw;
    return (double)((h1 - h0) * (w1 - w0));
}

typedef struct {
    pn_dtype dt;
    const pn_pool_geom *g;
    const void *in;
    const int64_t *idx_in;
    void *out;
    int64_t *idx_out;
} pool_job;

#define DEFINE_POOL_PLANES(SUF, T) \
    /* x (H, W) -> y, idx (Ho, Wo) */ \
    static void max_plane_##SUF(const pn_pool_geom *g, const T *x, T *y, int64_t *idx) { \
        for (int64_t p = 0; p < g->Ho; p++) \
            for (int64_t q = 0; q < g->Wo; q++) { \
                int64_t h0, w0, t[4]; \
                window(g, p, q, &h0, &w0, t); \
                int64_t ia = t[0], ib = t[1], ja = t[2], jb = t[3]; \
                T m = -INFINITY; /* a window all in the padding: -inf, index -1 */ \
                int64_t at = ia < ib && ja < jb ? (h0 + ia * g->dh) * g->W + w0 + ja * g->dw : -1; \
                for (int64_t i = ia; i < ib; i++) \
                    for (int64_t j = ja; j < jb; j++) { \
                        int64_t k = (h0 + i * g->dh) * g->W + w0 + j * g->dw; \
                        /* a NaN wins; the last one, as in PyTorch */ \
                        if (x[k] > m || isnan(x[k])) m = x[k], at = k; \
                    } \
                y[p * g->Wo + q] = m, idx[p * g->Wo + q] = at; \
            } \
    } \
    /* x (H, W) -> y (Ho, Wo): window sums / divisor */ \
    static void avg_plane_##SUF(const pn_pool_geom *g, const T *x, T *y) { \
        for (int64_t p = 0; p < g->Ho; p++) \
            for (int64_t q = 0; q < g->Wo; q++) { \
                int64_t h0, w0, t[4]; \
                window(g, p, q, &h0, &w0, t); \
                double s = 0; /* summed in double, as PyTorch does on the CPU */ \
                for (int64_t i = t[0]; i < t[1]; i++) \
                    for (int64_t j = t[2]; j < t[3]; j++) s += x[(h0 + i) * g->W + w0 + j]; \
                y[p * g->Wo + q] = (T)(s / avg_divisor(g, h0, w0, t)); \
            } \
    } \
    /* dy (Ho, Wo) -> dx (H, W) += dy / divisor over each window */ \
    static void avg_back_plane_##SUF(const pn_pool_geom *g, const T *dy, T *dx) { \
        for (int64_t p = 0; p < g->Ho; p++) \
            for (int64_t q = 0; q < g->Wo; q++) { \
                int64_t h0, w0, t[4]; \
                window(g, p, q, &h0, &w0, t); \
                T v = (T)(dy[p * g->Wo + q] / avg_divisor(g, h0, w0, t)); \
                for (int64_t i = t[0]; i < t[1]; i++) \
                    for (int64_t j = t[2]; j < t[3]; j++) dx[(h0 + i) * g->W + w0 + j] += v; \
            } \
    } \
    static void max_task_##SUF(pool_job *j, int64_t p) { \
        const pn_pool_geom *g = j->g; \
        max_plane_##SUF(g, (const T *)j->in + p * g->H * g->W, (T *)j->out + p * g->Ho * g->Wo, \
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
        avg_plane_##SUF(g, (const T *)j->in + p * g->H * g->W, (T *)j->out + p * g->Ho * g->Wo); \
    } \
    static void avg_back_task_##SUF(pool_job *j, int64_t p) { \
        const pn_pool_geom *g = j->g; \
        T *dx = (T *)j->out + p * g->H * g->W; \
        memset(dx, 0, (size_t)(g->H * g->W) * sizeof(T)); \
        avg_back_plane_##SUF(g, (const T *)j->in + p * g->Ho * g->Wo, dx); \
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

/* Planes over the pool, a chunk at least ~16k window taps of work. */
static int run(pool_run *r) {
    const pn_pool_geom *g = r->j.g;
    if (!pn_is_float(r->j.dt)) return PN_EINVAL;
    int64_t work = g->Ho * g->Wo * g->kh * g->kw + g->H * g->W;
    int64_t grain = work >= 16384 ? 1 : 16384 / (work > 0 ? work : 1);
    pn_parallel_for(g->P, grain, pool_range, r);
    return PN_OK;
}

int pn_max_pool(pn_dtype dt, const pn_pool_geom *g, const void *x, void *y, int64_t *idx) {
    pool_run r = {{dt, g, x, NULL, y, idx}, POOL_MAX};
    return run(&r);
}

int pn_pool_gather(pn_dtype dt, const pn_pool_geom *g, const void *x, const int64_t *idx, void *y) {
    pool_run r = {{dt, g, x, idx, y, NULL}, POOL_GATHER};
    return run(&r);
}

int pn_pool_scatter(pn_dtype dt, const pn_pool_geom *g, const void *dy, const int64_t *idx,
                    void *dx) {
    pool_run r = {{dt, g, dy, idx, dx, NULL}, POOL_SCATTER};
    return run(&r);
}

int pn_avg_pool(pn_dtype dt, const pn_pool_geom *g, const void *x, void *y) {
    pool_run r = {{dt, g, x, NULL, y, NULL}, POOL_AVG};
    return run(&r);
}

int pn_avg_pool_backward(pn_dtype dt, const pn_pool_geom *g, const void *dy, void *dx) {
    pool_run r = {{dt, g, dy, NULL, dx, NULL}, POOL_AVG_BACK};
    return run(&r);
}
