/* transpose.c - see transpose.h.
 *
 * Both fast paths are a walk over "units" with an odometer:
 *   rows:  units are rows of the merged iteration space (all dims but the
 *          last); each is one memcpy of shape[last] elements.
 *   tiles: the plane (a, b) is copied, where
 *              dst(a, b) = dst + a * dsa + b * E    (b contiguous in dst)
 *              src(a, b) = src + a * E   + b * ssb  (a contiguous in src),
 *          for every index of the other ("outer") dimensions. A unit is one
 *          block of BA = 64 / E consecutive a (one cache line of the source
 *          per b) swept across all of b: each source line read is used whole,
 *          and the BA destination rows are written as sequential streams.
 *          Inside a block, full M x M squares go through registers (M = 8 for
 *          4-byte elements, 4 for 8-byte ones, with AVX2), the rest through
 *          a scalar loop over 16-column strips (16 source lines stay in L1).
 * Units are independent, so large copies are split across the thread pool by
 * unit; the result does not depend on the split. */
#include "transpose.h"
#include "threadpool.h"
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PN_TR_X86 1
#endif

enum { TR_ROWS, TR_TILES };

typedef struct {
    int kind; /* TR_ROWS or TR_TILES */
    int n;    /* odometer dims; the last one counts units */
    int64_t shape[PN_MAX_DIMS], ds[PN_MAX_DIMS], ss[PN_MAX_DIMS]; /* byte strides */
    char *dst;
    const char *src;
    int64_t row_bytes;        /* TR_ROWS: bytes per row */
    int64_t na, nb, dsa, ssb; /* TR_TILES: the plane (see above) */
    int64_t ba;               /* TR_TILES: a-rows per unit */
    int64_t esize;            /* element bytes: 1, 4 or 8 */
    int micro;                /* register square size M, 0 for none */
} tr_plan;

/* ------------------------------------------------------- register squares ---- */

#ifdef PN_TR_X86
/* 8x8 floats: the 8 source rows s + k*ssb (k = b) hold a = 0..7; the classic
 * unpack / shuffle / 128-bit-lane permute transpose turns them into the 8
 * destination rows d + a*dsa holding b = 0..7. Pure data movement, bit-exact. */
__attribute__((target("avx2"))) static void sq8_f32(char *d, int64_t dsa, const char *s,
                                                    int64_t ssb) {
    __m256 r[8], t[8], u[8];
    for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps((const float *)(s + k * ssb));
    for (int k = 0; k < 8; k += 2) {
        t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
    }
    for (int k = 0; k < 8; k += 4) {
        u[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
        u[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xEE);
        u[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
        u[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
    }
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_ps((float *)(d + k * dsa), _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
        _mm256_storeu_ps((float *)(d + (k + 4) * dsa),
                         _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
    }
}

/* 4x4 doubles (or int64: only bits move), same scheme with 64-bit lanes. */
__attribute__((target("avx2"))) static void sq4_f64(char *d, int64_t dsa, const char *s,
                                                    int64_t ssb) {
    __m256d r0 = _mm256_loadu_pd((const double *)s);
    __m256d r1 = _mm256_loadu_pd((const double *)(s + ssb));
    __m256d r2 = _mm256_loadu_pd((const double *)(s + 2 * ssb));
    __m256d r3 = _mm256_loadu_pd((const double *)(s + 3 * ssb));
    __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
    __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
    _mm256_storeu_pd((double *)d, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd((double *)(d + dsa), _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd((double *)(d + 2 * dsa), _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd((double *)(d + 3 * dsa), _mm256_permute2f128_pd(t1, t3, 0x31));
}

static int have_avx2(void) {
    static int cached = -1; /* racing first calls store the same value */
    if (cached < 0) cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    return cached;
}
#endif

/* ------------------------------------------------------------ scalar tiles ---- */

/* Rows [0, na) x columns [b0, nb) of the plane, 16 columns at a time so the 16
 * source lines of a strip stay in L1 while the na destination rows are
 * written. memcpy of a constant E bytes is a plain load and store. */
#define SCALAR_TILE(NAME, E) \
    static void NAME(char *d, int64_t dsa, const char *s, int64_t ssb, int64_t na, int64_t b0, \
                     int64_t nb) { \
        for (int64_t bs = b0; bs < nb; bs += 16) { \
            int64_t be = bs + 16 < nb ? bs + 16 : nb; \
            for (int64_t a = 0; a < na; a++) { \
                char *o = d + a * dsa; \
                const char *i = s + a * E; \
                for (int64_t b = bs; b < be; b++) memcpy(o + b * E, i + b * ssb, E); \
            } \
        } \
    }
SCALAR_TILE(tile_e1, 1)
SCALAR_TILE(tile_e4, 4)
SCALAR_TILE(tile_e8, 8)

/* One unit of TR_TILES: the na <= ba rows at d / s, across all of b. */
static void tile_block(const tr_plan *p, char *d, const char *s, int64_t na) {
    const int64_t E = p->esize, dsa = p->dsa, ssb = p->ssb, nb = p->nb;
    int64_t b = 0;
#ifdef PN_TR_X86
    const int M = p->micro;
    if (M && na == p->ba) { /* full block: ba / M squares per M columns */
        for (; b + M <= nb; b += M)
            for (int64_t a = 0; a < na; a += M) {
                char *o = d + a * dsa + b * E;
                const char *i = s + a * E + b * ssb;
                if (M == 8)
                    sq8_f32(o, dsa, i, ssb);
                else
                    sq4_f64(o, dsa, i, ssb);
            }
    }
#endif
    if (b == nb) return;
    if (E == 4)
        tile_e4(d, dsa, s, ssb, na, b, nb);
    else if (E == 8)
        tile_e8(d, dsa, s, ssb, na, b, nb);
    else
        tile_e1(d, dsa, s, ssb, na, b, nb);
}

/* ------------------------------------------------------------------ walk ---- */

/* Units [begin, end): unravel begin over the odometer dims, then step. */
static void plan_range(void *ctx, int64_t begin, int64_t end) {
    const tr_plan *p = ctx;
    const int n = p->n;
    int64_t idx[PN_MAX_DIMS], rem = begin;
    char *d = p->dst;
    const char *s = p->src;
    for (int k = n - 1; k >= 0; k--) {
        idx[k] = rem % p->shape[k];
        rem /= p->shape[k];
        d += idx[k] * p->ds[k];
        s += idx[k] * p->ss[k];
    }
    for (int64_t u = begin; u < end; u++) {
        if (p->kind == TR_ROWS) {
            memcpy(d, s, (size_t)p->row_bytes);
        } else {
            int64_t left = p->na - idx[n - 1] * p->ba;
            tile_block(p, d, s, left < p->ba ? left : p->ba);
        }
        for (int k = n - 1; k >= 0; k--) { /* odometer: carry outwards */
            d += p->ds[k];
            s += p->ss[k];
            if (++idx[k] < p->shape[k]) break;
            d -= p->ds[k] * p->shape[k];
            s -= p->ss[k] * p->shape[k];
            idx[k] = 0;
        }
    }
}

/* ------------------------------------------------------------------ plan ---- */

/* Append dimension k of the iter to the odometer. */
static void plan_push(tr_plan *p, const pn_iter *it, int k) {
    p->shape[p->n] = it->shape[k];
    p->ds[p->n] = it->strides[0][k];
    p->ss[p->n] = it->strides[1][k];
    p->n++;
}

/* Fill p for it's layout; 0 when neither fast path applies. */
static int plan_init(tr_plan *p, const pn_iter *it, int64_t E) {
    const int nd = it->ndim, last = nd - 1;
    const int64_t *sd = it->strides[0], *ss = it->strides[1];
    memset(p, 0, sizeof *p);
    p->dst = it->data[0];
    p->src = it->data[1];
    p->esize = E;
    if (it->nop != 2 || nd < 2 || it->numel == 0 || sd[last] != E) return 0;
    if (ss[last] == E) { /* rows: everything but the last dim counts rows */
        p->kind = TR_ROWS;
        p->row_bytes = it->shape[last] * E;
        for (int k = 0; k < last; k++) plan_push(p, it, k);
        return 1;
    }
    int a = -1; /* the dimension contiguous in the source */
    for (int k = last - 1; k >= 0 && a < 0; k--)
        if (ss[k] == E) a = k;
    if (a < 0 || it->shape[a] < 4 || it->shape[last] < 4) return 0;
    p->kind = TR_TILES;
    p->na = it->shape[a];
    p->nb = it->shape[last];
    p->dsa = sd[a];
    p->ssb = ss[last];
    p->ba = 64 / E;
    for (int k = 0; k < last; k++)
        if (k != a) plan_push(p, it, k);
    /* the last odometer dim counts blocks of ba rows of a */
    p->shape[p->n] = (p->na + p->ba - 1) / p->ba;
    p->ds[p->n] = p->ba * p->dsa;
    p->ss[p->n] = p->ba * E;
    p->n++;
#ifdef PN_TR_X86
    if (have_avx2()) p->micro = E == 4 ? 8 : E == 8 ? 4 : 0;
#endif
    return 1;
}

/* Below this many elements per thread, waking another thread costs more than it saves. */
#define TR_GRAIN 32768

int pn_copy_fast(const pn_iter *it, size_t elsize, int parallel) {
    tr_plan p;
    if ((elsize != 1 && elsize != 4 && elsize != 8) || !plan_init(&p, it, (int64_t)elsize))
        return 0;
    int64_t units = 1;
    for (int k = 0; k < p.n; k++) units *= p.shape[k];
    int64_t per_unit = p.kind == TR_ROWS ? p.row_bytes / p.esize : p.ba * p.nb;
    int64_t grain = TR_GRAIN / per_unit > 0 ? TR_GRAIN / per_unit : 1;
    if (parallel && units >= 2 * grain)
        pn_parallel_for(units, grain, plan_range, &p);
    else
        plan_range(&p, 0, units);
    return 1;
}
