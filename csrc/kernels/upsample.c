/* upsample.c - nearest, linear and antialiased linear resampling (the math is in upsample.h). */
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

/* Nearest and nearest-exact: the source index of output o along spatial dim k, as
 * PyTorch's forward computes it: floorf of (o + 0.5 for nearest-exact) * s, the product
 * in double and rounded to float, where s = in / out (or 1 / scale_factor) is a float,
 * except in the 1-D and 3-D kernels on float64 tensors (`dbl`), which keep s in double.
 * Where the exact product is an integer, the roundings decide: 2 -> 41 nearest-exact
 * takes output 20 from input 1 in float64 but from input 0 in float32 2-D. (Its
 * backward special-cases out == in and out == 2 in in every dim, its 1-D and 3-D
 * forwards do not: with a scale_factor that gives those sizes its gradient is not the
 * forward's; ours is.) */
static int64_t nearest_index(const pn_upsample_geom *g, int k, int64_t o, int dbl) {
    int64_t in = g->in[k], out = g->out[k];
    double off = g->mode == PN_UPSAMPLE_NEAREST ? 0.0 : 0.5, s;
    if (dbl && g->nd != 2)
        s = g->scale[k] > 0 ? 1.0 / g->scale[k] : (double)in / (double)out;
    else
        s = g->scale[k] > 0 ? (float)(1.0 / g->scale[k]) : (float)in / (float)out;
    int64_t i;
    if (g->mode == PN_UPSAMPLE_NEAREST && g->nd == 2 && (out == in || out == 2 * in))
        i = out == in ? o : o >> 1; /* PyTorch's 2-D kernel keeps these exact cases */
    else
        i = (int64_t)floorf((float)(((double)o + off) * s));
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
                int64_t i = g->mode != PN_UPSAMPLE_LINEAR \
                                ? nearest_index(g, k, o, sizeof(T) == sizeof(double)) \
                                : o; \
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

/* ------------------------------------------------------------------ antialiased linear
 * One dim's windows: output o reads count[o] inputs from first[o] with the weights
 * w[o K ..] (of the data's type T). The math is in upsample.h. */
typedef struct {
    int64_t in, out, K;
    int64_t *first, *count;
    void *w;
} aa_dim;

/* H (d[0]) and W (d[1]), the per-plane buffer between the passes, and the job. */
typedef struct {
    aa_dim d[2];
    int64_t tmp_per_plane; /* H * OW when both dims change, else 0 */
    void *tmp;
    const void *src;
    void *dst;
} aa_plan;

/* The triangle's half-width for scale s, in input pixels: max(s, 1) (1: plain linear). */
static double aa_support(double s) {
    return s >= 1 ? s : 1;
}

#define DEFINE_AA(SUF, T) \
    /* The windows of spatial dim k (0: H, 1: W): scale s as the plain linear mode's, \
     * centre c = s (o + 0.5) rounded to T, window [c - support + 0.5, c + support + 0.5) \
     * truncated and clamped to the input, triangle weights normalised to sum 1. Mixed \
     * float/double steps are kept as PyTorch's kernel has them, so the taps agree. */ \
    static void aa_taps_##SUF(const pn_upsample_geom *g, int k, aa_dim *d) { \
        int64_t in = g->in[k], out = g->out[k]; \
        T s = g->align_corners  ? (out > 1 ? (T)(in - 1) / (T)(out - 1) : (T)0) \
              : g->scale[k] > 0 ? (T)(1.0 / g->scale[k]) \
                                : (T)in / (T)out; \
        T support = (T)aa_support((double)s), inv = s >= 1 ? (T)(1.0 / (double)s) : (T)1; \
        int64_t kmax = 2 * (int64_t)ceil((double)support) + 1; \
        kmax = kmax < d->K ? kmax : d->K; \
        for (int64_t o = 0; o < out; o++) { \
            T c = (T)((double)s * ((double)o + 0.5)), total = 0, *w = (T *)d->w + o * d->K; \
            int64_t lo = (int64_t)((double)(c - support) + 0.5); \
            int64_t hi = (int64_t)((double)(c + support) + 0.5), n; \
            lo = lo > 0 ? lo : 0, n = (hi < in ? hi : in) - lo; \
            n = n < 0 ? 0 : n > kmax ? kmax : n; /* PyTorch's cap on rounding */ \
            for (int64_t j = 0; j < n; j++) { \
                /* distance of input pixel lo + j's centre from c, in window units */ \
                T t = (T)(((double)((T)(lo + j) - c) + 0.5) * (double)inv); \
                t = t < 0 ? -t : t; \
                w[j] = t < 1 ? (T)(1.0 - (double)t) : (T)0; \
                total += w[j]; \
            } \
            for (int64_t j = 0; j < n && total != 0; j++) w[j] /= total; \
            d->first[o] = lo, d->count[o] = n; \
        } \
    } \
    /* x (outer, in, inner) -> y (outer, out, inner) along the middle dim: \
     * y[a, o, :] = sum_j w[o][j] x[a, first[o] + j, :], summed in tap order */ \
    static void aa_pass_##SUF(const aa_dim *d, const T *x, T *y, int64_t outer, int64_t inner) { \
        for (int64_t a = 0; a < outer; a++, x += d->in * inner) \
            for (int64_t o = 0; o < d->out; o++, y += inner) { \
                const T *w = (const T *)d->w + o * d->K, *src = x + d->first[o] * inner; \
                int64_t n = d->count[o]; \
                if (inner == 1) { /* the W pass: one dot product per output */ \
                    T acc = n ? src[0] * w[0] : (T)0; \
                    for (int64_t j = 1; j < n; j++) acc += src[j] * w[j]; \
                    y[0] = acc; \
                    continue; \
                } \
                for (int64_t c = 0; c < inner; c++) y[c] = n ? src[c] * w[0] : (T)0; \
                for (int64_t j = 1; j < n; j++) \
                    for (int64_t c = 0; c < inner; c++) y[c] += src[j * inner + c] * w[j]; \
            } \
    } \
    /* The adjoint: dy (outer, out, inner) -> dx (outer, in, inner) = 0, then \
     * dx[a, first[o] + j, :] += w[o][j] dy[a, o, :] in the order of o, then j */ \
    static void aa_pass_back_##SUF(const aa_dim *d, const T *dy, T *dx, int64_t outer, \
                                   int64_t inner) { \
        memset(dx, 0, (size_t)(outer * d->in * inner) * sizeof(T)); \
        for (int64_t a = 0; a < outer; a++, dx += d->in * inner) \
            for (int64_t o = 0; o < d->out; o++, dy += inner) { \
                const T *w = (const T *)d->w + o * d->K; \
                T *dst = dx + d->first[o] * inner; \
                for (int64_t j = 0; j < d->count[o]; j++) \
                    for (int64_t c = 0; c < inner; c++) dst[j * inner + c] += w[j] * dy[c]; \
            } \
    } \
    /* x (H, W) -> y (OH, OW): the W pass (into tmp (H, OW) when H changes too), then the \
     * H pass; dims whose size is unchanged are skipped (copied) */ \
    static void aa_fwd_plane_##SUF(const aa_plan *p, const T *x, T *tmp, T *y) { \
        const aa_dim *H = &p->d[0], *W = &p->d[1]; \
        int rh = H->in != H->out, rw = W->in != W->out; \
        if (!rh && !rw) memcpy(y, x, (size_t)(H->in * W->in) * sizeof(T)); \
        if (rw) aa_pass_##SUF(W, x, rh ? tmp : y, H->in, 1); \
        if (rh) aa_pass_##SUF(H, rw ? tmp : x, y, 1, W->out); \
    } \
    /* dy (OH, OW) -> dx (H, W): the H adjoint (into tmp (H, OW)), then the W adjoint */ \
    static void aa_back_plane_##SUF(const aa_plan *p, const T *dy, T *tmp, T *dx) { \
        const aa_dim *H = &p->d[0], *W = &p->d[1]; \
        int rh = H->in != H->out, rw = W->in != W->out; \
        if (!rh && !rw) memcpy(dx, dy, (size_t)(H->in * W->in) * sizeof(T)); \
        if (rh) aa_pass_back_##SUF(H, dy, rw ? tmp : dx, 1, W->out); \
        if (rw) aa_pass_back_##SUF(W, rh ? tmp : dy, dx, H->in, 1); \
    } \
    static void aa_fwd_range_##SUF(void *ctx, int64_t p0, int64_t p1) { \
        const aa_plan *p = ctx; \
        int64_t ni = p->d[0].in * p->d[1].in, no = p->d[0].out * p->d[1].out; \
        for (int64_t q = p0; q < p1; q++) \
            aa_fwd_plane_##SUF(p, (const T *)p->src + q * ni, (T *)p->tmp + q * p->tmp_per_plane, \
                               (T *)p->dst + q * no); \
    } \
    static void aa_back_range_##SUF(void *ctx, int64_t p0, int64_t p1) { \
        const aa_plan *p = ctx; \
        int64_t ni = p->d[0].in * p->d[1].in, no = p->d[0].out * p->d[1].out; \
        for (int64_t q = p0; q < p1; q++) \
            aa_back_plane_##SUF(p, (const T *)p->src + q * no, (T *)p->tmp + q * p->tmp_per_plane, \
                                (T *)p->dst + q * ni); \
    }

DEFINE_AA(f32, float)
DEFINE_AA(f64, double)

/* The largest scale dim k's taps can have (in double; T rounds it at most up to an integer). */
static double aa_scale_bound(const pn_upsample_geom *g, int k) {
    double in = (double)g->in[k], out = (double)g->out[k];
    if (g->align_corners) return out > 1 ? (in - 1) / (out - 1) : 0;
    return g->scale[k] > 0 ? 1.0 / g->scale[k] : in / out;
}

/* Check g (2 spatial dims), size the two dims' tables (row stride K >= PyTorch's window
 * cap, even so that the next table stays 8-byte aligned) and the buffer between the
 * passes (P planes of H x OW, as PyTorch's temporary), allocate one block (*mem) and fill
 * the tables. Return 0 or PN_E*. */
static int aa_plan_build(pn_dtype dt, const pn_upsample_geom *g, aa_plan *p, void **mem) {
    if (!pn_is_float(dt) || g->nd != 2 || g->P < 0) return PN_EINVAL;
    int64_t isz = (int64_t)pn_itemsize(dt), total = 0, n, ni, no;
    memset(p, 0, sizeof *p);
    for (int k = 0; k < 2; k++) {
        aa_dim *d = &p->d[k];
        d->in = g->in[k], d->out = g->out[k];
        if (d->in < 1 || d->out < 1 || !(g->scale[k] >= 0)) return PN_EINVAL;
        double support = aa_support(aa_scale_bound(g, k));
        if (!(support < 1e12)) return PN_EOVERFLOW;
        d->K = 2 * (int64_t)ceil(support) + 2;
        if (pn_mul_overflow(d->K, isz, &n) || pn_mul_overflow(n + 16, d->out, &n) ||
            pn_add_overflow(total, n, &total))
            return PN_EOVERFLOW;
    }
    int both = p->d[0].in != p->d[0].out && p->d[1].in != p->d[1].out;
    if (pn_mul_overflow(p->d[0].in, p->d[1].in, &ni) || pn_mul_overflow(ni, g->P, &ni) ||
        pn_mul_overflow(p->d[0].out, p->d[1].out, &no) || pn_mul_overflow(no, g->P, &no) ||
        pn_mul_overflow(p->d[0].in, both ? p->d[1].out : 0, &p->tmp_per_plane) ||
        pn_mul_overflow(p->tmp_per_plane, g->P, &n) || pn_mul_overflow(n, isz, &n) ||
        pn_add_overflow(total, n, &total) || (uint64_t)total >= SIZE_MAX)
        return PN_EOVERFLOW;
    char *buf = *mem = malloc((size_t)total + 1);
    if (!buf) return PN_ENOMEM;
    for (int k = 0; k < 2; k++) {
        aa_dim *d = &p->d[k];
        d->first = (int64_t *)buf, d->count = d->first + d->out, d->w = d->count + d->out;
        buf += d->out * (16 + d->K * isz);
        if (dt == PN_FLOAT32)
            aa_taps_f32(g, k, d);
        else
            aa_taps_f64(g, k, d);
    }
    p->tmp = buf;
    return PN_OK;
}

/* Build the plan and run the planes on the thread pool; grain ~16k multiply-adds a chunk.
 * Each plane is one thread's, in a fixed order: the result does not depend on the split. */
static int aa_run(pn_dtype dt, const pn_upsample_geom *g, const void *src, void *dst, int back) {
    aa_plan p;
    void *mem = NULL;
    int rc = aa_plan_build(dt, g, &p, &mem);
    if (rc == PN_OK && g->P > 0) {
        p.src = src, p.dst = dst;
        int64_t work =
            1 + p.d[0].in * p.d[1].out * (p.d[1].K - 2) + p.d[0].out * p.d[1].out * (p.d[0].K - 2);
        int64_t grain = work >= 16384 ? 1 : 16384 / work;
        int f32 = dt == PN_FLOAT32;
        pn_range_fn fn = back ? (f32 ? aa_back_range_f32 : aa_back_range_f64)
                              : (f32 ? aa_fwd_range_f32 : aa_fwd_range_f64);
        pn_parallel_for(g->P, grain, fn, &p);
    }
    free(mem);
    return rc;
}

/* Build the plan and run fn over the planes; grain ~16k taps of work a chunk. */
static int run(pn_dtype dt, const pn_upsample_geom *g, const void *src, void *dst, int back) {
    if (g->mode == PN_UPSAMPLE_LINEAR_AA) return aa_run(dt, g, src, dst, back);
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
