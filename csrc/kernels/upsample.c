/* upsample.c - nearest and linear resampling (the math is in upsample.h). */
#include "upsample.h"
#include "threadpool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One dim's taps: output o reads input i0[o] with weight l0[o] and, when nt == 2,
 * i1[o] with weight l1[o]. Weights are of the data's type (T). */
typedef struct {
    int64_t in, out;
    int nt;
    int64_t *i0, *i1;
    void *l0, *l1;
} up_dim;

/* The three dims D, H, W (the leading 3 - nd are unit dims) and the job. */
typedef struct {
    pn_dtype dt;
    up_dim d[3];
    int nearest;
    const void *src;
    void *dst;
} up_plan;

/* Nearest and nearest-exact: the source index of output o along spatial dim k, in
 * float32 as PyTorch's forward computes it. (Its backward special-cases out == in and
 * out == 2 in in every dim, its 1-D and 3-D forwards do not: with a scale_factor that
 * gives those sizes its gradient is not the forward's; ours is.) */
static int64_t nearest_index(const pn_upsample_geom *g, int k, int64_t o) {
    int64_t in = g->in[k], out = g->out[k];
    float s = g->scale[k] > 0 ? (float)(1.0 / g->scale[k]) : (float)in / (float)out;
    int64_t i;
    if (g->mode == PN_UPSAMPLE_NEAREST && g->nd == 2 && (out == in || out == 2 * in))
        i = out == in ? o : o >> 1; /* PyTorch's 2-D kernel keeps these exact cases */
    else if (g->mode == PN_UPSAMPLE_NEAREST)
        i = (int64_t)floorf((float)o * s);
    else
        i = (int64_t)floorf((float)(((double)o + 0.5) * s));
    return i < in - 1 ? i : in - 1;
}

#define DEFINE_UPSAMPLE(SUF, T, FLOOR) \
    /* The taps of spatial dim k into d (tables allocated by the caller). */ \
    static void taps_##SUF(const pn_upsample_geom *g, int k, up_dim *d) { \
        int64_t in = g->in[k], out = g->out[k]; \
        T *l0 = d->l0, *l1 = d->l1; \
        int ac = g->align_corners; \
        T s = ac                ? (out > 1 ? (T)(in - 1) / (T)(out - 1) : (T)0) \
              : g->scale[k] > 0 ? (T)(1.0 / g->scale[k]) \
                                : (T)in / (T)out; \
        for (int64_t o = 0; o < out; o++) { \
            if (g->mode != PN_UPSAMPLE_LINEAR || out == in) { \
                int64_t i = g->mode != PN_UPSAMPLE_LINEAR ? nearest_index(g, k, o) : o; \
                d->i0[o] = d->i1[o] = i, l0[o] = 1, l1[o] = 0; \
                continue; \
            } \
            T r = ac ? s * (T)o : s * ((T)o + (T)0.5) - (T)0.5; \
            if (r < 0) r = 0; \
            int64_t i = (int64_t)FLOOR(r); \
            if (i > in - 1) i = in - 1; \
            T lam = r - (T)i; \
            lam = lam < 0 ? 0 : lam > 1 ? 1 : lam; \
            d->i0[o] = i, d->i1[o] = i + (i < in - 1), l1[o] = lam, l0[o] = (T)1 - lam; \
        } \
    } \
    /* x (D, H, W) -> y (OD, OH, OW): innermost dim first, then H, then D */ \
    static void fwd_plane_##SUF(const up_plan *p, const T *x, T *y) { \
        const up_dim *D = &p->d[0], *H = &p->d[1], *W = &p->d[2]; \
        const T *ww0 = W->l0, *ww1 = W->l1; \
        for (int64_t od = 0; od < D->out; od++) \
            for (int64_t oh = 0; oh < H->out; oh++, y += W->out) { \
                const T *rows[2][2]; \
                T wd[2] = {((T *)D->l0)[od], ((T *)D->l1)[od]}; \
                T wh[2] = {((T *)H->l0)[oh], ((T *)H->l1)[oh]}; \
                int64_t id[2] = {D->i0[od], D->i1[od]}, ih[2] = {H->i0[oh], H->i1[oh]}; \
                for (int a = 0; a < 2; a++) \
                    for (int b = 0; b < 2; b++) rows[a][b] = x + (id[a] * H->in + ih[b]) * W->in; \
                if (p->nearest) { \
                    for (int64_t ow = 0; ow < W->out; ow++) y[ow] = rows[0][0][W->i0[ow]]; \
                    continue; \
                } \
                if (D->nt == 1) { /* 1-D and 2-D: the general loop below, unrolled */ \
                    const T *r0 = rows[0][0], *r1 = rows[0][1]; \
                    const int64_t *i0 = W->i0, *i1 = W->i1; \
                    if (H->nt == 2) \
                        for (int64_t ow = 0; ow < W->out; ow++) { \
                            T t0 = r0[i0[ow]] * ww0[ow] + r0[i1[ow]] * ww1[ow]; \
                            T t1 = r1[i0[ow]] * ww0[ow] + r1[i1[ow]] * ww1[ow]; \
                            y[ow] = (t0 * wh[0] + t1 * wh[1]) * wd[0]; \
                        } \
                    else \
                        for (int64_t ow = 0; ow < W->out; ow++) \
                            y[ow] = (r0[i0[ow]] * ww0[ow] + r0[i1[ow]] * ww1[ow]) * wh[0] * wd[0]; \
                    continue; \
                } \
                for (int64_t ow = 0; ow < W->out; ow++) { \
                    T acc = 0; \
                    for (int a = 0; a < D->nt; a++) { \
                        T ah = 0; \
                        for (int b = 0; b < H->nt; b++) { \
                            const T *row = rows[a][b]; \
                            T t = row[W->i0[ow]] * ww0[ow]; \
                            if (W->nt == 2) t += row[W->i1[ow]] * ww1[ow]; \
                            ah = b == 0 ? t * wh[0] : ah + t * wh[1]; \
                        } \
                        acc = a == 0 ? ah * wd[0] : acc + ah * wd[1]; \
                    } \
                    y[ow] = acc; \
                } \
            } \
    } \
    /* dy (OD, OH, OW) -> dx (D, H, W) = 0 + each dy times its taps' weights */ \
    static void back_plane_##SUF(const up_plan *p, const T *dy, T *dx) { \
        const up_dim *D = &p->d[0], *H = &p->d[1], *W = &p->d[2]; \
        const T *ww[2] = {W->l0, W->l1}; \
        memset(dx, 0, (size_t)(D->in * H->in * W->in) * sizeof(T)); \
        for (int64_t od = 0; od < D->out; od++) \
            for (int64_t oh = 0; oh < H->out; oh++, dy += W->out) { \
                T wd[2] = {((T *)D->l0)[od], ((T *)D->l1)[od]}; \
                T wh[2] = {((T *)H->l0)[oh], ((T *)H->l1)[oh]}; \
                int64_t id[2] = {D->i0[od], D->i1[od]}, ih[2] = {H->i0[oh], H->i1[oh]}; \
                if (p->nearest) { \
                    T *row = dx + (id[0] * H->in + ih[0]) * W->in; \
                    for (int64_t ow = 0; ow < W->out; ow++) row[W->i0[ow]] += dy[ow]; \
                    continue; \
                } \
                for (int a = 0; a < D->nt; a++) \
                    for (int b = 0; b < H->nt; b++) { \
                        T *row = dx + (id[a] * H->in + ih[b]) * W->in, wab = wd[a] * wh[b]; \
                        const int64_t *iw[2] = {W->i0, W->i1}; \
                        for (int c = 0; c < W->nt; c++) \
                            for (int64_t ow = 0; ow < W->out; ow++) \
                                row[iw[c][ow]] += wab * ww[c][ow] * dy[ow]; \
                    } \
            } \
    } \
    static void fwd_range_##SUF(void *ctx, int64_t p0, int64_t p1) { \
        const up_plan *p = ctx; \
        int64_t ni = p->d[0].in * p->d[1].in * p->d[2].in; \
        int64_t no = p->d[0].out * p->d[1].out * p->d[2].out; \
        for (int64_t q = p0; q < p1; q++) \
            fwd_plane_##SUF(p, (const T *)p->src + q * ni, (T *)p->dst + q * no); \
    } \
    static void back_range_##SUF(void *ctx, int64_t p0, int64_t p1) { \
        const up_plan *p = ctx; \
        int64_t ni = p->d[0].in * p->d[1].in * p->d[2].in; \
        int64_t no = p->d[0].out * p->d[1].out * p->d[2].out; \
        for (int64_t q = p0; q < p1; q++) \
            back_plane_##SUF(p, (const T *)p->src + q * no, (T *)p->dst + q * ni); \
    }

DEFINE_UPSAMPLE(f32, float, floorf)
DEFINE_UPSAMPLE(f64, double, floor)

/* Check g, allocate one block for the three dims' tables and fill them. *mem
 * is the block to free. Return 0 or PN_E*. */
static int plan_build(pn_dtype dt, const pn_upsample_geom *g, up_plan *p, void **mem) {
    if (!pn_is_float(dt) || g->nd < 1 || g->nd > 3 || g->P < 0) return PN_EINVAL;
    size_t isz = pn_itemsize(dt), per = 2 * sizeof(int64_t) + 2 * isz, total = 0;
    memset(p, 0, sizeof *p);
    p->dt = dt, p->nearest = g->mode != PN_UPSAMPLE_LINEAR;
    if (g->mode < PN_UPSAMPLE_NEAREST || g->mode > PN_UPSAMPLE_LINEAR) return PN_EINVAL;
    for (int k = 0; k < 3; k++) {
        int s = k - (3 - g->nd); /* spatial dim of g, or < 0 for a unit dim */
        up_dim *d = &p->d[k];
        d->in = s < 0 ? 1 : g->in[s], d->out = s < 0 ? 1 : g->out[s];
        d->nt = s >= 0 && !p->nearest ? 2 : 1;
        if (d->in < 1 || d->out < 1) return PN_EINVAL;
        if (d->out > (int64_t)(SIZE_MAX / 4 / per)) return PN_EOVERFLOW;
        total += (size_t)d->out * per;
    }
    int64_t ni, no; /* a plane's sizes must be representable */
    if (pn_mul_overflow(p->d[0].in, p->d[1].in, &ni) || pn_mul_overflow(ni, p->d[2].in, &ni) ||
        pn_mul_overflow(p->d[0].out, p->d[1].out, &no) || pn_mul_overflow(no, p->d[2].out, &no) ||
        pn_mul_overflow(no, 8, &no) || pn_mul_overflow(ni, g->P, &ni) ||
        pn_mul_overflow(no, g->P, &no))
        return PN_EOVERFLOW;
    char *buf = *mem = malloc(total);
    if (!buf) return PN_ENOMEM;
    for (int k = 0; k < 3; k++) {
        up_dim *d = &p->d[k];
        size_t n = (size_t)d->out;
        d->i0 = (int64_t *)buf, d->i1 = d->i0 + n;
        d->l0 = buf + 2 * n * sizeof(int64_t), d->l1 = (char *)d->l0 + n * isz;
        buf += n * per;
        int s = k - (3 - g->nd);
        if (s < 0) { /* a unit dim: one tap of weight 1 */
            d->i0[0] = d->i1[0] = 0;
            if (dt == PN_FLOAT32)
                ((float *)d->l0)[0] = 1, ((float *)d->l1)[0] = 0;
            else
                ((double *)d->l0)[0] = 1, ((double *)d->l1)[0] = 0;
        } else if (dt == PN_FLOAT32) {
            taps_f32(g, s, d);
        } else {
            taps_f64(g, s, d);
        }
    }
    return PN_OK;
}

/* Build the plan and run fn over the planes; grain ~16k taps of work a chunk. */
static int run(pn_dtype dt, const pn_upsample_geom *g, const void *src, void *dst, int back) {
    up_plan p;
    void *mem = NULL;
    int rc = plan_build(dt, g, &p, &mem);
    if (rc == PN_OK && g->P > 0) {
        p.src = src, p.dst = dst;
        int64_t work = p.d[0].out * p.d[1].out * p.d[2].out * (p.nearest ? 1 : 1 << g->nd) +
                       (back ? p.d[0].in * p.d[1].in * p.d[2].in : 0);
        int64_t grain = work >= 16384 ? 1 : 16384 / (work > 0 ? work : 1);
        int f32 = dt == PN_FLOAT32;
        pn_range_fn fn =
            back ? (f32 ? back_range_f32 : back_range_f64) : (f32 ? fwd_range_f32 : fwd_range_f64);
        pn_parallel_for(g->P, grain, fn, &p);
    }
    free(mem);
    return rc;
}

int pn_upsample(pn_dtype dt, const pn_upsample_geom *g, const void *x, void *y) {
    return run(dt, g, x, y, 0);
}

int pn_upsample_backward(pn_dtype dt, const pn_upsample_geom *g, const void *dy, void *dx) {
    return run(dt, g, dy, dx, 1);
}
