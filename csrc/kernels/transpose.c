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
 *          An element may also be a whole row of R bytes (the permuted
 *          attention heads, see plan_init), with BA rows making ~2 KB.
 * Outputs of 16 MB and more (line-aligned) are written with non-temporal
 * stores: they would not stay in the caches anyway, and streaming saves the
 * read for ownership of every destination line.
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
    int64_t esize;            /* element bytes: 1, 4, 8, or a whole row's */
    int micro;                /* register square size M, 0 for none */
    int nt; /* non-temporal stores (float32 squares, rows): large line-aligned output */
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

/* 8 (a) x 16 (b) floats with non-temporal stores: each destination row gets one
 * whole 64-byte line, written around the caches (no read for ownership). */
__attribute__((target("avx2"))) static void sq16_f32_nt(char *d, int64_t dsa, const char *s,
                                                        int64_t ssb) {
    __m256 r[16], t[8], u[8];
    for (int k = 0; k < 16; k++) r[k] = _mm256_loadu_ps((const float *)(s + k * ssb));
    for (int h = 0; h < 16; h += 8) {
        for (int k = 0; k < 8; k += 2) {
            t[k] = _mm256_unpacklo_ps(r[h + k], r[h + k + 1]);
            t[k + 1] = _mm256_unpackhi_ps(r[h + k], r[h + k + 1]);
        }
        for (int k = 0; k < 8; k += 4) {
            u[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
            u[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xEE);
            u[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
            u[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xEE);
        }
        for (int k = 0; k < 4; k++) {
            r[h + k] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x20);
            r[h + k + 4] = _mm256_permute2f128_ps(u[k], u[k + 4], 0x31);
        }
    }
    for (int k = 0; k < 8; k++) {
        _mm256_stream_ps((float *)(d + k * dsa), r[k]);
        _mm256_stream_ps((float *)(d + k * dsa + 32), r[k + 8]);
    }
}

/* Whole-row elements (E bytes, a multiple of 64, line-aligned in the destination):
 * for each b the na source rows are read in sequence and each is streamed to
 * its destination row. */
__attribute__((target("avx2"))) static void rows_nt(char *d, int64_t dsa, const char *s,
                                                    int64_t ssb, int64_t na, int64_t b0, int64_t nb,
                                                    int64_t E) {
    for (int64_t b = b0; b < nb; b++)
        for (int64_t a = 0; a < na; a++) {
            char *o = d + a * dsa + b * E;
            const char *i = s + a * E + b * ssb;
            for (int64_t k = 0; k < E; k += 32)
                _mm256_stream_si256((__m256i *)(o + k),
                                    _mm256_loadu_si256((const __m256i *)(i + k)));
        }
}

__attribute__((target("sse2"))) static void store_fence(void) {
    _mm_sfence();
}

static int have_avx2(void) {
    static int cached = -1; /* racing first calls store the same value */
    if (cached < 0) cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    return cached;
}
#endif

/* An 8x8 block of floats transposed: the 8 source rows s + k*ssb (k = b)
 * hold a = 0..7 and become the 8 destination rows d + a*dsa holding b = 0..7
 * (softmax's short rows use it to lay 16 rows side by side). Bit-exact. */
void pn_transpose8x8_f32(char *d, int64_t dsa, const char *s, int64_t ssb) {
#ifdef PN_TR_X86
    if (have_avx2()) {
        sq8_f32(d, dsa, s, ssb);
        return;
    }
#endif
    for (int a = 0; a < 8; a++)
        for (int b = 0; b < 8; b++) memcpy(d + a * dsa + b * 4, s + b * ssb + a * 4, 4);
}

/* ------------------------------------------------------------ scalar tiles ---- */

/* Rows [0, na) x columns [b0, nb) of the plane, 16 columns at a time so the 16
 * source lines of a strip stay in L1 while the na destination rows are
 * written. E is a constant (memcpy of 1, 4 or 8 bytes is a load and a store)
 * or, for tiles of whole rows, the runtime element size esz. */
#define SCALAR_TILE(NAME, E) \
    static void NAME(char *d, int64_t dsa, const char *s, int64_t ssb, int64_t na, int64_t b0, \
                     int64_t nb, int64_t esz) { \
        (void)esz; \
        for (int64_t bs = b0; bs < nb; bs += 16) { \
            int64_t be = bs + 16 < nb ? bs + 16 : nb; \
            for (int64_t a = 0; a < na; a++) { \
                char *o = d + a * dsa; \
                const char *i = s + a * (E); \
                for (int64_t b = bs; b < be; b++) memcpy(o + b * (E), i + b * ssb, (size_t)(E)); \
            } \
        } \
    }
SCALAR_TILE(tile_e1, 1)
SCALAR_TILE(tile_e4, 4)
SCALAR_TILE(tile_e8, 8)
SCALAR_TILE(tile_any, esz)

/* Whole-row elements of at most 256 bytes, a multiple of 16: inline 16-byte
 * moves instead of a memcpy call per row; for each b the na source rows are
 * read in sequence. */
static void rows_short(char *d, int64_t dsa, const char *s, int64_t ssb, int64_t na, int64_t b0,
                       int64_t nb, int64_t E) {
    for (int64_t b = b0; b < nb; b++)
        for (int64_t a = 0; a < na; a++) {
            char *o = d + a * dsa + b * E;
            const char *i = s + a * E + b * ssb;
            for (int64_t k = 0; k < E; k += 16) memcpy(o + k, i + k, 16);
        }
}

/* One unit of TR_TILES: the na <= ba rows at d / s, across all of b. */
static void tile_block(const tr_plan *p, char *d, const char *s, int64_t na) {
    const int64_t E = p->esize, dsa = p->dsa, ssb = p->ssb, nb = p->nb;
    int64_t b = 0;
#ifdef PN_TR_X86
    const int M = p->micro;
    if (p->nt && M == 8 && na == p->ba) /* full block, 16 columns at a time */
        for (; b + 16 <= nb; b += 16)
            for (int64_t a = 0; a < na; a += 8)
                sq16_f32_nt(d + a * dsa + b * E, dsa, s + a * E + b * ssb, ssb);
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
    switch (E) {
    case 1:
        tile_e1(d, dsa, s, ssb, na, b, nb, E);
        break;
    case 4:
        tile_e4(d, dsa, s, ssb, na, b, nb, E);
        break;
    case 8:
        tile_e8(d, dsa, s, ssb, na, b, nb, E);
        break;
    default:
#ifdef PN_TR_X86
        if (p->nt) {
            rows_nt(d, dsa, s, ssb, na, b, nb, E);
            break;
        }
#endif
        if (E % 16 == 0 && E <= 256)
            rows_short(d, dsa, s, ssb, na, b, nb, E);
        else
            tile_any(d, dsa, s, ssb, na, b, nb, E);
        break; /* whole rows */
    }
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
#ifdef PN_TR_X86
    if (p->nt) store_fence(); /* the streamed lines are visible before the pool's handoff */
#endif
}

/* ------------------------------------------------------------------ plan ---- */

/* Append dimension k of the iter to the odometer. */
static void plan_push(tr_plan *p, const pn_iter *it, int k) {
    p->shape[p->n] = it->shape[k];
    p->ds[p->n] = it->strides[0][k];
    p->ss[p->n] = it->strides[1][k];
    p->n++;
}

/* TR_TILES over the plane (a, b) of iter dims a and b (b contiguous in the
 * destination, a in the source, elements of E bytes), the other dims below
 * `last` outer. Units are blocks of ba rows of a; the odometer's last dim
 * counts them. */
static void plan_tiles(tr_plan *p, const pn_iter *it, int a, int b, int last, int64_t E,
                       int64_t ba) {
    p->kind = TR_TILES;
    p->esize = E;
    p->na = it->shape[a];
    p->nb = it->shape[b];
    p->dsa = it->strides[0][a];
    p->ssb = it->strides[1][b];
    p->ba = ba;
    for (int k = 0; k < last; k++)
        if (k != a && k != b) plan_push(p, it, k);
    p->shape[p->n] = (p->na + ba - 1) / ba;
    p->ds[p->n] = ba * p->dsa;
    p->ss[p->n] = ba * E;
    p->n++;
}

/* The dimension k < last with source stride E (the last such), or -1. */
static int src_contiguous_dim(const pn_iter *it, int last, int64_t E) {
    for (int k = last - 1; k >= 0; k--)
        if (it->strides[1][k] == E) return k;
    return -1;
}

#ifdef PN_TR_X86
/* Non-temporal stores pay off when the output is too large to stay in the
 * caches anyway (2048 x 2048 floats: 6.2 -> 4.6 ms, no read for ownership of
 * the destination lines), and need every destination line the squares write
 * to be 64-byte aligned. */
static int nt_ok(const tr_plan *p, const pn_iter *it, int64_t elsize) {
    if (it->numel * elsize < (16 << 20) || (uintptr_t)p->dst % 64) return 0;
    for (int k = 0; k < p->n; k++)
        if (p->ds[k] % 64) return 0;
    return p->dsa % 64 == 0;
}
#endif

/* Fill p for it's layout; 0 when neither fast path applies. Whole rows are
 * elements too: in (B, T, H, D) -> (B, H, T, D) the rows of D are contiguous
 * along T in the destination and along H in the source, so they are copied
 * as a transpose of (H, T) with D-row elements: blocks of H rows read
 * sequentially instead of one row every H * D elements. */
static int plan_init(tr_plan *p, const pn_iter *it, int64_t E) {
    const int nd = it->ndim, last = nd - 1;
    const int64_t *sd = it->strides[0], *ss = it->strides[1];
    if (it->nop != 2 || nd < 2 || it->numel == 0 || sd[last] != E) return 0;
    memset(p, 0, sizeof *p);
    p->dst = it->data[0];
    p->src = it->data[1];
    p->esize = E;
    if (ss[last] == E) {
        int64_t R = it->shape[last] * E; /* row bytes */
        int a = nd >= 3 && sd[last - 1] == R ? src_contiguous_dim(it, last - 1, R) : -1;
        if (a >= 0) { /* rows as elements: blocks of about 2 KB of source rows */
            plan_tiles(p, it, a, last - 1, last, R, R < 2048 ? 2048 / R : 1);
#ifdef PN_TR_X86
            p->nt = R % 64 == 0 && have_avx2() && nt_ok(p, it, E);
#endif
            return 1;
        }
        p->kind = TR_ROWS; /* everything but the last dim counts rows */
        p->row_bytes = R;
        for (int k = 0; k < last; k++) plan_push(p, it, k);
        return 1;
    }
    int a = src_contiguous_dim(it, last, E);
    if (a < 0 || it->shape[a] < 4 || it->shape[last] < 4) return 0;
    plan_tiles(p, it, a, last, last, E, 64 / E);
#ifdef PN_TR_X86
    if (have_avx2()) p->micro = E == 4 ? 8 : E == 8 ? 4 : 0;
    p->nt = p->micro == 8 && nt_ok(p, it, E);
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
    int64_t unit_bytes = p.kind == TR_ROWS ? p.row_bytes : p.ba * p.nb * p.esize;
    int64_t grain = TR_GRAIN * (int64_t)elsize / unit_bytes;
    if (grain < 1) grain = 1;
    if (parallel && units >= 2 * grain)
        pn_parallel_for(units, grain, plan_range, &p);
    else
        plan_range(&p, 0, units);
    return 1;
}
