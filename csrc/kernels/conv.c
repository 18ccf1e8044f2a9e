/* conv.c - convolution by im2col + GEMM (the math and shapes are in conv.h).
 *
 * The im2col/col2im loops walk one column-matrix row (c, i, j) at a time: in
 * output row p the kernel tap (i, j) reads input row ih = p sh - ph + i dh and
 * the input columns q sw - pw + j dw for q = 0 .. Wo-1. Which q fall inside
 * [0, W) depends only on j, so it is computed once per row (valid_cols) and the
 * inner loop is a plain strided copy (a memcpy at stride 1) between two runs
 * of zeros.
 */
#define _POSIX_C_SOURCE 200809L
#include "conv.h"
#include "fastmath.h"
#include "gemm.h"
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- geometry ---- */

/* One dimension: out = floor((in + 2 pad - dil (k - 1) - 1) / stride) + 1. */
static int out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, int64_t *out) {
    int64_t span, padded;
    if (in < 0 || k < 1 || s < 1 || p < 0 || d < 1) return PN_EINVAL;
    if (pn_mul_overflow(d, k - 1, &span) || __builtin_add_overflow(in, 2 * p, &padded) ||
        p > INT64_MAX / 4)
        return PN_EOVERFLOW;
    if (padded < span + 1) return PN_EINVAL; /* the dilated kernel does not fit */
    *out = (padded - span - 1) / s + 1;
    return PN_OK;
}

/* Overflow-checked product of four sizes. */
static int prod4(int64_t a, int64_t b, int64_t c, int64_t d, int64_t *out) {
    int64_t t;
    if (pn_mul_overflow(a, b, &t) || pn_mul_overflow(t, c, &t) || pn_mul_overflow(t, d, &t))
        return 1;
    *out = t;
    return 0;
}

int pn_conv_geom_init(pn_conv_geom *g) {
    if (g->N < 0 || g->C < 0 || g->O < 0 || g->G < 1 || g->C % g->G || g->O % g->G)
        return PN_EINVAL;
    int rc = out_size(g->H, g->kh, g->sh, g->ph, g->dh, &g->Ho);
    if (rc == PN_OK) rc = out_size(g->W, g->kw, g->sw, g->pw, g->dw, &g->Wo);
    if (rc != PN_OK) return rc;
    int64_t t; /* every buffer's element count, times 8 bytes, must fit */
    if (prod4(g->N, g->C, g->H, g->W, &t) || prod4(g->N, g->O, g->Ho, g->Wo, &t) ||
        prod4(g->O, g->C, g->kh, g->kw, &t) || prod4(g->C * g->kh, g->kw, g->Ho, g->Wo, &t) ||
        prod4(t, g->N > 1 ? g->N : 1, 8, 1, &t))
        return PN_EOVERFLOW;
    return PN_OK;
}

/* The output columns q whose input column q s + off lies in [0, W): [*lo, *hi). */
static void valid_cols(int64_t off, int64_t s, int64_t W, int64_t Wo, int64_t *lo, int64_t *hi) {
    int64_t a = off >= 0 ? 0 : (-off + s - 1) / s;           /* first q with q s + off >= 0 */
    int64_t b = W - 1 - off < 0 ? 0 : (W - 1 - off) / s + 1; /* first q past W - 1 */
    if (b > Wo) b = Wo;
    if (a > b) a = b;
    *lo = a, *hi = b;
}

/* ------------------------------------------------------ im2col / col2im ---- */

/* For row r = (c, i, j) of the column matrix, visit output positions l in
 * [l0, l1) output row by output row: ih is the input row read, [q0, q1) the
 * output columns of this row inside [l0, l1), [a, b) those of them that read
 * inside the image (empty when row ih is in the padding). The entry of output
 * column q is col[cb + q], its input x[xb + q sw]. The output row p and column
 * q0 of l0 are divided out once; the walk then steps p (a division per output
 * row was a third of the time of a 3x3 im2col on 24 x 24 outputs). */
#define DEFINE_IM2COL(NAME, T, ROW) \
    static void NAME(const pn_conv_geom *g, const T *src, T *dst, int64_t l0, int64_t l1) { \
        const int64_t H = g->H, W = g->W, Wo = g->Wo, ld = l1 - l0, sw = g->sw; \
        const int64_t p0 = Wo > 0 ? l0 / Wo : 0, qs = Wo > 0 ? l0 % Wo : 0; \
        for (int64_t c = 0; c < g->C; c++) \
            for (int64_t i = 0; i < g->kh; i++) \
                for (int64_t j = 0; j < g->kw; j++) { \
                    int64_t r = (c * g->kh + i) * g->kw + j, off = j * g->dw - g->pw, qlo, qhi; \
                    valid_cols(off, sw, W, Wo, &qlo, &qhi); \
                    for (int64_t l = l0, p = p0, q0 = qs; l < l1; p++, q0 = 0) { \
                        int64_t q1 = Wo - q0 < l1 - l ? Wo : q0 + l1 - l; \
                        int64_t ih = p * g->sh - g->ph + i * g->dh; \
                        int64_t a = qlo > q0 ? qlo : q0, b = qhi < q1 ? qhi : q1; \
                        if (ih < 0 || ih >= H || a > b) a = b = q1; \
                        int64_t cb = r * ld + (l - l0) - q0, \
                                xb = (c * H + (a < b ? ih : 0)) * W + off; \
                        ROW(T) \
                        l += q1 - q0; \
                    } \
                } \
    }

/* im2col (src x, dst col): the entry reads x inside the image, 0 in the padding. */
#define GATHER_ROW(T) \
    { \
        for (int64_t q = q0; q < a; q++) dst[cb + q] = 0; \
        if (sw == 1) \
            copy_run_##T(dst + cb + a, src + xb + a, b - a); \
        else \
            for (int64_t q = a; q < b; q++) dst[cb + q] = src[xb + q * sw]; \
        for (int64_t q = b; q < q1; q++) dst[cb + q] = 0; \
    }
/* col2im (src col, dst x): the entry is added back where im2col read it. */
#define SCATTER_ROW(T) \
    { \
        for (int64_t q = a; q < b; q++) dst[xb + q * sw] += src[cb + q]; \
    }

/* dst[0, n) = src[0, n): rows of a small image are a few dozen elements, too short
 * for a memcpy call to pay; blocks of fixed size compile to plain vector moves. */
#define DEFINE_COPY_RUN(T) \
    static inline void copy_run_##T(T *restrict dst, const T *restrict src, int64_t n) { \
        int64_t k = 0; \
        for (; k + 8 <= n; k += 8) memcpy(dst + k, src + k, 8 * sizeof(T)); \
        for (; k < n; k++) dst[k] = src[k]; \
    }
DEFINE_COPY_RUN(float)
DEFINE_COPY_RUN(double)

DEFINE_IM2COL(im2col_any_f32, float, GATHER_ROW)
DEFINE_IM2COL(im2col_any_f64, double, GATHER_ROW)
DEFINE_IM2COL(col2im_any_f32, float, SCATTER_ROW)
DEFINE_IM2COL(col2im_any_f64, double, SCATTER_ROW)

/* The same walk when the block holds whole output rows [pb, pe) (every column
 * block of a small image, and of a large one when its width allows): for row
 * r = (c, i, j), the output rows whose input row lies in the image, [lo, hi),
 * and the columns that read inside it, [a, b), are known before the walk, and
 * each output row is a run of zeros, one strided copy (or add) and zeros again.
 * Per output row this is a third of the bookkeeping of the general walk, which
 * matters for the short rows (10 to 28 outputs) of the course's networks. */
#define DEFINE_IM2COL_ROWS(NAME, E, TX, TC, IN_ROW, PAD_ROW) \
    static void NAME(const pn_conv_geom *g, TX *x, TC *col, int64_t pb, int64_t pe) { \
        const int64_t H = g->H, W = g->W, Wo = g->Wo, ld = (pe - pb) * Wo, sw = g->sw; \
        for (int64_t c = 0; c < g->C; c++) \
            for (int64_t i = 0; i < g->kh; i++) { \
                int64_t lo, hi, ioff = i * g->dh - g->ph; \
                valid_cols(ioff, g->sh, H, g->Ho, &lo, &hi); \
                lo = lo < pb ? pb : lo > pe ? pe : lo; \
                hi = hi < lo ? lo : hi > pe ? pe : hi; \
                for (int64_t j = 0; j < g->kw; j++) { \
                    int64_t off = j * g->dw - g->pw, a, b; \
                    valid_cols(off, sw, W, Wo, &a, &b); \
                    TC *d = col + ((c * g->kh + i) * g->kw + j) * ld - pb * Wo; \
                    TX *xc = x + c * H * W + off; \
                    for (int64_t p = pb; p < lo; p++) PAD_ROW(E, d + p * Wo) \
                    for (int64_t p = lo; p < hi; p++) \
                        IN_ROW(E, d + p * Wo, xc + (p * g->sh + ioff) * W) \
                    for (int64_t p = hi; p < pe; p++) PAD_ROW(E, d + p * Wo) \
                } \
            } \
    }

/* im2col: output row dr (Wo) of the column matrix from input row xr (read at q sw) */
#define GATHER_IN_ROW(E, dr, xr) \
    { \
        E *d_ = (dr); \
        const E *x_ = (xr); \
        for (int64_t q = 0; q < a; q++) d_[q] = 0; \
        if (sw == 1) \
            copy_run_##E(d_ + a, x_ + a, b - a); \
        else \
            for (int64_t q = a; q < b; q++) d_[q] = x_[q * sw]; \
        for (int64_t q = b; q < Wo; q++) d_[q] = 0; \
    }
#define GATHER_PAD_ROW(E, dr) memset((dr), 0, (size_t)Wo * sizeof(E));
/* col2im: each entry of column-matrix row dr added back into input row xr */
#define SCATTER_IN_ROW(E, dr, xr) \
    { \
        const E *d_ = (dr); \
        E *x_ = (xr); \
        for (int64_t q = a; q < b; q++) x_[q * sw] += d_[q]; \
    }
#define SCATTER_PAD_ROW(E, dr) (void)(dr);

DEFINE_IM2COL_ROWS(im2col_rows_f32, float, const float, float, GATHER_IN_ROW, GATHER_PAD_ROW)
DEFINE_IM2COL_ROWS(im2col_rows_f64, double, const double, double, GATHER_IN_ROW, GATHER_PAD_ROW)
DEFINE_IM2COL_ROWS(col2im_rows_f32, float, float, const float, SCATTER_IN_ROW, SCATTER_PAD_ROW)
DEFINE_IM2COL_ROWS(col2im_rows_f64, double, double, const double, SCATTER_IN_ROW, SCATTER_PAD_ROW)

/* The public entry points: whole rows take the short walk. */
static int whole_rows(const pn_conv_geom *g, int64_t l0, int64_t l1) {
    return g->Wo > 0 && l0 % g->Wo == 0 && l1 % g->Wo == 0;
}
/* NAME(g, src, dst, l0, l1) through ROWS(g, x, col, ...) or ANY(g, src, dst, ...):
 * X and COL name which of src and dst is the image and which the column matrix. */
#define DEFINE_IM2COL_ENTRY(NAME, T, ROWS, ANY, X, COL) \
    void NAME(const pn_conv_geom *g, const T *src, T *dst, int64_t l0, int64_t l1) { \
        if (whole_rows(g, l0, l1)) \
            ROWS(g, X, COL, l0 / g->Wo, l1 / g->Wo); \
        else \
            ANY(g, src, dst, l0, l1); \
    }
DEFINE_IM2COL_ENTRY(pn_im2col_f32, float, im2col_rows_f32, im2col_any_f32, src, dst)
DEFINE_IM2COL_ENTRY(pn_im2col_f64, double, im2col_rows_f64, im2col_any_f64, src, dst)
DEFINE_IM2COL_ENTRY(pn_col2im_f32, float, col2im_rows_f32, col2im_any_f32, dst, src)
DEFINE_IM2COL_ENTRY(pn_col2im_f64, double, col2im_rows_f64, col2im_any_f64, dst, src)

static void im2col(pn_dtype dt, const pn_conv_geom *g, const void *x, void *col, int64_t l0,
                   int64_t l1) {
    if (dt == PN_FLOAT32)
        pn_im2col_f32(g, x, col, l0, l1);
    else
        pn_im2col_f64(g, x, col, l0, l1);
}

static void col2im(pn_dtype dt, const pn_conv_geom *g, const void *col, void *x, int64_t l0,
                   int64_t l1) {
    if (dt == PN_FLOAT32)
        pn_col2im_f32(g, col, x, l0, l1);
    else
        pn_col2im_f64(g, col, x, l0, l1);
}
/* --------------------------------------------------- channel-wise path ---- */

/* When every group has one input channel and one or two output channels
 * (depthwise convolutions), each output plane reads a single input plane, and
 * the GEMMs would be 1 x L x kh kw products: too thin to pay for packing.
 * These loops walk the planes directly instead, one kernel
 * tap (i, j) at a time over a whole output row (a vectorisable axpy).
 *   y[o]  = b[o] + sum_ij w[o, i, j] * x[c] shifted by (i, j)      c = o / (O/G)
 *   dx[c] = sum_{o of c} sum_ij w[o, i, j] * dy[o] shifted back
 *   dw[o, i, j] = sum_n sum_pq dy[n, o, p, q] * x[n, c, ...]: per plane in 8 partial
 *   sums of type T, the planes' sums added in double in order n = 0, 1, ... */
/* valid_cols of every kernel column j, computed once per plane instead of once
 * per output row (two divisions each); kernels wider than PN_CONV_MAXKW fall back
 * to computing them where used. */
#define PN_CONV_MAXKW 64
typedef struct {
    int64_t a[PN_CONV_MAXKW], b[PN_CONV_MAXKW];
    int cached;
} col_ranges;

static void col_ranges_init(const pn_conv_geom *g, col_ranges *r) {
    r->cached = g->kw <= PN_CONV_MAXKW;
    for (int64_t j = 0; r->cached && j < g->kw; j++)
        valid_cols(j * g->dw - g->pw, g->sw, g->W, g->Wo, &r->a[j], &r->b[j]);
}

static void col_range(const pn_conv_geom *g, const col_ranges *r, int64_t j, int64_t *a,
                      int64_t *b) {
    if (r->cached)
        *a = r->a[j], *b = r->b[j];
    else
        valid_cols(j * g->dw - g->pw, g->sw, g->W, g->Wo, a, b);
}

/* ------------------------------------------- im2col into the GEMM's panels ---- */

/* The float32 forward (where panels_pay) never writes the column matrix out:
 * the GEMM asks for it block by block, already in its packed layout
 * (pn_sgemm_packing_b), and the functions below build each block from the
 * image. A 32-channel 26 x 26 image has a 0.66 MB column matrix, more than L2:
 * written out by im2col and read back by the GEMM's packing, it crossed memory
 * twice; built in place, each block is written once into a buffer in L1/L2. */
typedef struct {
    const pn_conv_geom *g;
    const float *x; /* the item's image (C, H, W) */
    int64_t r0;     /* the column-matrix row where this GEMM's group starts */
    col_ranges cr;
} col_panel;

/* The next row of the column matrix: (c, i, j) -> (c, i, j + 1), carrying. */
static void next_tap(const pn_conv_geom *g, int64_t *c, int64_t *i, int64_t *j) {
    if (++*j < g->kw) return;
    *j = 0;
    if (++*i < g->kh) return;
    *i = 0;
    ++*c;
}

/* Lanes nc .. (the next multiple of NR) of every row of the last sliver: zero. */
static void zero_tail_lanes(float *dst, int64_t nc, int64_t kc, int NR) {
    int64_t lane = nc % NR;
    if (lane == 0) return;
    float *d = dst + (nc - lane) * kc;
    for (int64_t k = 0; k < kc; k++) memset(d + k * NR + lane, 0, (size_t)(NR - lane) * sizeof *d);
}

/* Column-matrix rows per tap table of pack_col_rows. */
#define PN_CONV_TAPS 256

/* Rows k0 .. k0 + kn of the column matrix: each row's tap, for pack_piece. */
typedef struct {
    int64_t off[PN_CONV_TAPS]; /* (c H + i dh) W + j dw: where it reads, from tap (0, 0) */
    int64_t ih[PN_CONV_TAPS];  /* i dh: its input row, from the window's top */
    int64_t j[PN_CONV_TAPS];   /* its kernel column */
} tap_table;

static void tap_table_fill(const pn_conv_geom *g, int64_t r, int64_t kn, tap_table *tt) {
    const int64_t kk = g->kh * g->kw;
    int64_t c = r / kk, i = r % kk / g->kw, j = r % g->kw;
    for (int64_t k = 0; k < kn; k++, next_tap(g, &c, &i, &j)) {
        tt->off[k] = (c * g->H + i * g->dh) * g->W + j * g->dw;
        tt->ih[k] = i * g->dh;
        tt->j[k] = j;
    }
}

/* The lanes of one sliver, m <= NR of them from lane o, for panel rows k < kn:
 * output row p, columns [q0, q0 + m) of col. Column q0 + v of tap k reads the
 * image at xb + off[k] + v sw, xb being where tap (0, 0) of column q0's window
 * falls (outside the image when the window starts in the padding: positions
 * are then checked before they are read). Windows wholly inside the image
 * (every window of an unpadded convolution) copy a run per row unchecked. */
PN_FINLINE void pack_piece(const col_panel *cp, const tap_table *tt, int64_t kn, int NR, float *o,
                           int64_t p, int64_t q0, int64_t m) {
    const pn_conv_geom *g = cp->g;
    const int64_t sw = g->sw, ih0 = p * g->sh - g->ph, xb = ih0 * g->W + q0 * sw - g->pw;
    int inside = ih0 >= 0 && ih0 + (g->kh - 1) * g->dh < g->H && q0 * sw - g->pw >= 0 &&
                 (q0 + m - 1) * sw - g->pw + (g->kw - 1) * g->dw < g->W;
    if (inside && sw == 1) {
        for (int64_t k = 0; k < kn; k++) copy_run_float(o + k * NR, cp->x + xb + tt->off[k], m);
        return;
    }
    for (int64_t k = 0; k < kn; k++, o += NR) {
        int64_t a = 0, b = m, ih = ih0 + tt->ih[k];
        if (!inside) {
            col_range(g, &cp->cr, tt->j[k], &a, &b);
            a = a < q0 ? 0 : a - q0 < m ? a - q0 : m; /* [a, b) from q0, inside [0, m) */
            b = b < q0 ? 0 : b - q0 < m ? b - q0 : m;
            if (ih < 0 || ih >= g->H || a > b) a = b = m;
        }
        for (int64_t v = 0; v < a; v++) o[v] = 0;
        if (sw == 1) /* the run between the padding: a block copy, not one float at a time */
            copy_run_float(o + a, cp->x + xb + tt->off[k] + a, b - a);
        else
            for (int64_t v = a; v < b; v++) o[v] = cp->x[xb + tt->off[k] + v * sw];
        for (int64_t v = b; v < m; v++) o[v] = 0;
    }
}

// op(B)[k][q] = col[r0 + p0 + k][j0 + q] (K rows of col, L columns) -> panels
// (a pn_sgemm_b_packer) for the forward's y_n (O, L) = w (O, K) @ col (K, L)
// (cloned for AVX2/AVX-512, pack_piece inlined into each clone: from a padded image it is
// mostly copy_run_float's moves; called out of line, the copies were SSE2's, 14% of a 3x3
// 64 -> 64 forward against 11.5%)
PN_SIMD_CLONES static void pack_col_rows(void *ctx, int64_t p0, int64_t j0, int64_t nc, int64_t kc,
                                         int NR, float *dst) {
    const col_panel *cp = ctx;
    const int64_t Wo = cp->g->Wo;
    tap_table tt;
    for (int64_t k0 = 0; k0 < kc; k0 += PN_CONV_TAPS) {
        int64_t kn = kc - k0 < PN_CONV_TAPS ? kc - k0 : PN_CONV_TAPS;
        tap_table_fill(cp->g, cp->r0 + p0 + k0, kn, &tt);
        /* the block's columns: output row by output row, cut at the slivers' edges */
        for (int64_t t = 0, p = j0 / Wo, q0 = j0 % Wo; t < nc; p++, q0 = 0) {
            int64_t q1 = Wo - q0 < nc - t ? Wo : q0 + nc - t;
            for (int64_t q = q0; q < q1;) {
                int64_t u = t + q - q0, lane = u % NR, m = NR - lane < q1 - q ? NR - lane : q1 - q;
                pack_piece(cp, &tt, kn, NR, dst + (u - lane) * kc + k0 * NR + lane, p, q, m);
                q += m;
            }
            t += q1 - q0;
        }
    }
    zero_tail_lanes(dst, nc, kc, NR);
}

/* The weight gradient's partial sums: two vectors of eight lanes, kept in
 * registers across a whole plane and taking alternate blocks of eight columns
 * (two independent add chains), plus eight scalar lanes for the row tails. A
 * T[8] array indexed by a variable lane went through memory on every
 * multiply-add, and a tail assembled in memory and reloaded as a vector stalled
 * the load: together half the time of a depthwise weight gradient. */
typedef float conv_v8f __attribute__((vector_size(32)));
typedef double conv_v8d __attribute__((vector_size(64)));

/* Kernels up to this size per side take the plane kernels' row-gather path
 * (stride 1): one output row at a time, summed over all taps in registers. */
#define PN_PLANE_ROWS_K 16

#define DEFINE_PLANE_KERNELS(SUF, T, V) \
    typedef struct { \
        V even, odd; \
        T tail[8]; \
    } lanes_##SUF; \
    /* Eight values v[(q + k) s + off], k < 8, as a vector (built in registers: a \
     * copy through memory reloaded as a vector stalls the load). */ \
    static inline void load8_##SUF(V *r, const T *v, int64_t q, int64_t s, int64_t off) { \
        const T *p = v + q * s + off; \
        if (s == 1) \
            memcpy(r, p, sizeof *r); \
        else \
            *r = (V){p[0], p[s], p[2 * s], p[3 * s], p[4 * s], p[5 * s], p[6 * s], p[7 * s]}; \
    } \
    /* The sum of u[q] v[q s + off] for q in [a, b) into the lanes: blocks of eight \
     * from a alternately into even and odd, the rest into tail[0 ..]. The order \
     * depends only on the sizes. */ \
    static inline void row_dot_##SUF(lanes_##SUF *acc, const T *u, const T *v, int64_t s, \
                                     int64_t off, int64_t a, int64_t b) { \
        V even = acc->even, odd = acc->odd, uu, vv = {0}; \
        int64_t q = a; \
        for (; q + 16 <= b; q += 16) { \
            memcpy(&uu, u + q, sizeof uu), load8_##SUF(&vv, v, q, s, off); \
            even += uu * vv; \
            memcpy(&uu, u + q + 8, sizeof uu), load8_##SUF(&vv, v, q + 8, s, off); \
            odd += uu * vv; \
        } \
        if (q + 8 <= b) { \
            memcpy(&uu, u + q, sizeof uu), load8_##SUF(&vv, v, q, s, off); \
            even += uu * vv; \
            q += 8; \
        } \
        acc->even = even, acc->odd = odd; \
        for (int k = 0; q < b; q++, k++) acc->tail[k] += u[q] * v[q * s + off]; \
    } \
    /* row_gather's sum for c in [c0, c1), one output at a time, each term checked */ \
    static inline void row_gather_edge_##SUF(T *restrict out, int64_t c0, int64_t c1, \
                                             const T *const *in, int64_t win, const T *w, \
                                             const int64_t *off, int kh, int kw) { \
        for (int64_t c = c0; c < c1; c++) { \
            T acc = out[c]; \
            for (int i = 0; i < kh; i++) \
                if (in[i]) \
                    for (int j = 0; j < kw; j++) \
                        if (c + off[j] >= 0 && c + off[j] < win) \
                            acc += w[i * kw + j] * in[i][c + off[j]]; \
            out[c] = acc; \
        } \
    } \
    /* out[c] += sum over i < kh, j < kw of w[i kw + j] in[i][c + off[j]], c < n, a term \
     * counted where in[i] is not NULL and 0 <= c + off[j] < win. Where every tap of a \
     * row is inside (c in [lo, hi)), 16 and then 8 outputs at a time are summed in \
     * registers over all taps and stored once (a row of taps per output, not a pass over \
     * the row per tap); the last r < 8 of them as the 8 ending at hi, of which r are \
     * added; the edges one output at a time with the checks. The order of the terms \
     * depends on the sizes only. */ \
    static inline __attribute__((always_inline)) void row_gather_##SUF( \
        T *restrict out, int64_t n, const T *const *in, int64_t win, const T *w, \
        const int64_t *off, int kh, int kw) { \
        int64_t lo = 0, hi = n; \
        for (int j = 0; j < kw; j++) { \
            lo = -off[j] > lo ? -off[j] : lo; \
            hi = win - off[j] < hi ? win - off[j] : hi; \
        } \
        lo = lo < n ? lo : n; /* padding wider than the row: every output is an edge */ \
        hi = hi < lo ? lo : hi; \
        int64_t c = lo; \
        for (; c + 16 <= hi; c += 16) { \
            V a0, a1, v; \
            memcpy(&a0, out + c, sizeof a0), memcpy(&a1, out + c + 8, sizeof a1); \
            for (int i = 0; i < kh; i++) \
                if (in[i]) \
                    for (int j = 0; j < kw; j++) { \
                        const T wv = w[i * kw + j], *r = in[i] + c + off[j]; \
                        memcpy(&v, r, sizeof v), a0 += wv * v; \
                        memcpy(&v, r + 8, sizeof v), a1 += wv * v; \
                    } \
            memcpy(out + c, &a0, sizeof a0), memcpy(out + c + 8, &a1, sizeof a1); \
        } \
        for (; c + 8 <= hi; c += 8) { \
            V a0, v; \
            memcpy(&a0, out + c, sizeof a0); \
            for (int i = 0; i < kh; i++) \
                if (in[i]) \
                    for (int j = 0; j < kw; j++) \
                        memcpy(&v, in[i] + c + off[j], sizeof v), a0 += w[i * kw + j] * v; \
            memcpy(out + c, &a0, sizeof a0); \
        } \
        if (c < hi && hi - lo >= 8) { /* the last r < 8: the 8 ending at hi, r of them kept */ \
            V s = {0}, v; \
            for (int i = 0; i < kh; i++) \
                if (in[i]) \
                    for (int j = 0; j < kw; j++) \
                        memcpy(&v, in[i] + hi - 8 + off[j], sizeof v), s += w[i * kw + j] * v; \
            for (int k = 8 - (int)(hi - c); k < 8; k++) out[hi - 8 + k] += s[k]; \
            c = hi; \
        } \
        row_gather_edge_##SUF(out, 0, lo, in, win, w, off, kh, kw); \
        row_gather_edge_##SUF(out, c, n, in, win, w, off, kh, kw); \
    } \
    /* row_gather with the sizes as constants for 3 x 3 (unrolled, the weights held in \
     * registers across the row) */ \
    static inline __attribute__((always_inline)) void row_gather_any_##SUF( \
        T *restrict out, int64_t n, const T *const *in, int64_t win, const T *w, \
        const int64_t *off, int64_t kh, int64_t kw) { \
        if (kh == 3 && kw == 3) \
            row_gather_##SUF(out, n, in, win, w, off, 3, 3); \
        else \
            row_gather_##SUF(out, n, in, win, w, off, (int)kh, (int)kw); \
    } \
    /* x (H, W), w (kh, kw) -> y (Ho, Wo) += sum over taps of w[i, j] * x shifted */ \
    PN_SIMD_CLONES static void plane_fwd_##SUF(const pn_conv_geom *g, const T *restrict x, \
                                               const T *restrict w, T *restrict y) { \
        if (g->sw == 1 && g->kh <= PN_PLANE_ROWS_K && g->kw <= PN_PLANE_ROWS_K) { \
            /* output row p from input rows p sh - ph + i dh, columns q + j dw - pw */ \
            const T *rows[PN_PLANE_ROWS_K]; \
            int64_t off[PN_PLANE_ROWS_K]; \
            for (int64_t j = 0; j < g->kw; j++) off[j] = j * g->dw - g->pw; \
            for (int64_t p = 0; p < g->Ho; p++) { \
                for (int64_t i = 0; i < g->kh; i++) { \
                    int64_t ih = p * g->sh - g->ph + i * g->dh; \
                    rows[i] = ih >= 0 && ih < g->H ? x + ih * g->W : NULL; \
                } \
                row_gather_any_##SUF(y + p * g->Wo, g->Wo, rows, g->W, w, off, g->kh, g->kw); \
            } \
            return; \
        } \
        col_ranges cr; \
        col_ranges_init(g, &cr); \
        for (int64_t p = 0; p < g->Ho; p++) \
            for (int64_t i = 0; i < g->kh; i++) { \
                int64_t ih = p * g->sh - g->ph + i * g->dh; \
                if (ih < 0 || ih >= g->H) continue; \
                for (int64_t j = 0; j < g->kw; j++) { \
                    int64_t off = j * g->dw - g->pw, a, b; \
                    col_range(g, &cr, j, &a, &b); \
                    const T wv = w[i * g->kw + j], *xr = x + ih * g->W; \
                    T *yr = y + p * g->Wo; \
                    if (g->sw == 1) \
                        for (int64_t q = a; q < b; q++) yr[q] += wv * xr[q + off]; \
                    else \
                        for (int64_t q = a; q < b; q++) yr[q] += wv * xr[q * g->sw + off]; \
                } \
            } \
    } \
    /* dy (Ho, Wo), w (kh, kw) -> dx (H, W) += each tap's w[i, j] * dy shifted back */ \
    PN_SIMD_CLONES static void plane_bwd_input_##SUF(const pn_conv_geom *g, const T *restrict dy, \
                                                     const T *restrict w, T *restrict dx) { \
        if (g->sh == 1 && g->sw == 1 && g->kh <= PN_PLANE_ROWS_K && g->kw <= PN_PLANE_ROWS_K) { \
            /* the forward's y[p, q] += w[i, j] x[p - ph + i dh, q - pw + j dw] read the \
             * other way: dx row ih gathers dy rows ih + ph - i dh, columns c + pw - j dw */ \
            const T *rows[PN_PLANE_ROWS_K]; \
            int64_t off[PN_PLANE_ROWS_K]; \
            for (int64_t j = 0; j < g->kw; j++) off[j] = g->pw - j * g->dw; \
            for (int64_t ih = 0; ih < g->H; ih++) { \
                for (int64_t i = 0; i < g->kh; i++) { \
                    int64_t p = ih + g->ph - i * g->dh; \
                    rows[i] = p >= 0 && p < g->Ho ? dy + p * g->Wo : NULL; \
                } \
                row_gather_any_##SUF(dx + ih * g->W, g->W, rows, g->Wo, w, off, g->kh, g->kw); \
            } \
            return; \
        } \
        col_ranges cr; \
        col_ranges_init(g, &cr); \
        for (int64_t p = 0; p < g->Ho; p++) \
            for (int64_t i = 0; i < g->kh; i++) { \
                int64_t ih = p * g->sh - g->ph + i * g->dh; \
                if (ih < 0 || ih >= g->H) continue; \
                for (int64_t j = 0; j < g->kw; j++) { \
                    int64_t off = j * g->dw - g->pw, a, b; \
                    col_range(g, &cr, j, &a, &b); \
                    const T wv = w[i * g->kw + j], *dyr = dy + p * g->Wo; \
                    T *dxr = dx + ih * g->W; \
                    if (g->sw == 1) \
                        for (int64_t q = a; q < b; q++) dxr[q + off] += wv * dyr[q]; \
                    else \
                        for (int64_t q = a; q < b; q++) dxr[q * g->sw + off] += wv * dyr[q]; \
                } \
            } \
    } \
    /* acc[i kw + j] += sum_pq dy[p, q] x[ih, q sw + off] */ \
    PN_SIMD_CLONES static void plane_bwd_weight_##SUF(const pn_conv_geom *g, const T *x, \
                                                      const T *dy, double *acc) { \
        for (int64_t i = 0; i < g->kh; i++) \
            for (int64_t j = 0; j < g->kw; j++) { \
                int64_t off = j * g->dw - g->pw, a, b; \
                valid_cols(off, g->sw, g->W, g->Wo, &a, &b); \
                lanes_##SUF part = {{0}, {0}, {0}}; /* over the plane, then summed in double */ \
                for (int64_t p = 0; p < g->Ho; p++) { \
                    int64_t ih = p * g->sh - g->ph + i * g->dh; \
                    if (ih < 0 || ih >= g->H) continue; \
                    row_dot_##SUF(&part, dy + p * g->Wo, x + ih * g->W, g->sw, off, a, b); \
                } \
                double s = 0; \
                for (int k = 0; k < 8; k++) s += (part.even[k] + part.odd[k]) + part.tail[k]; \
                acc[i * g->kw + j] += s; \
            } \
    }

DEFINE_PLANE_KERNELS(f32, float, conv_v8f)
DEFINE_PLANE_KERNELS(f64, double, conv_v8d)

/* ------------------------------------------------------------ workspace ---- */

/* Each thread keeps its column-matrix workspace across calls (a fresh
 * multi-megabyte malloc per call would page-fault it in every time); a pthread
 * key frees it when the thread exits. */
typedef struct {
    void *p;
    size_t n;
} conv_buf;

static pthread_key_t ws_key;
static pthread_once_t ws_once = PTHREAD_ONCE_INIT;
static int ws_key_ok;

static void ws_destroy(void *v) {
    conv_buf *b = v;
    free(b->p);
    free(b);
}
static void ws_key_init(void) {
    ws_key_ok = pthread_key_create(&ws_key, ws_destroy) == 0;
}

/* A buffer of at least n bytes for this thread, or NULL. *owned: the caller frees it. */
static void *workspace(size_t n, int *owned) {
    *owned = 0;
    pthread_once(&ws_once, ws_key_init);
    conv_buf *b = ws_key_ok ? pthread_getspecific(ws_key) : NULL;
    if (!b && ws_key_ok && (b = calloc(1, sizeof *b)) && pthread_setspecific(ws_key, b) != 0) {
        free(b);
        b = NULL;
    }
    if (!b) {
        *owned = 1;
        return malloc(n ? n : 1);
    }
    if (b->n < n || !b->p) { /* never NULL for n = 0 (no input channels): not out of memory */
        free(b->p);
        b->p = malloc(n ? n : 1);
        b->n = b->p ? n : 0;
    }
    return b->p;
}

/* ---------------------------------------------------- batched drivers ---- */

/* What a batch task needs; each task handles items [begin, end). */
typedef struct {
    pn_dtype dt;
    const pn_conv_geom *g;
    const char *a, *b, *bias; /* the two operands (per driver), bias or NULL */
    char *out;
    int64_t lb; /* column-block width (output positions per im2col) */
    atomic_int err;
} conv_job;

/* A 1x1 kernel at stride 1 without padding: the column matrix is x itself. Only when the
 * output covers the whole input: a transposed convolution with output_padding runs the
 * forward geometry with Ho, Wo cut to its input's size (ops/conv.c), where x's planes are
 * larger than the column matrix's rows. */
static int pointwise(const pn_conv_geom *g) {
    return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0 &&
           g->Ho == g->H && g->Wo == g->W;
}

/* Column-block width: as many output positions as fit the workspace bound,
 * rounded down to whole output rows when at least one fits (the short walk of
 * pn_im2col_f32 then applies to every block). */
static int64_t col_block_of(const pn_conv_geom *g, size_t es, int64_t bytes) {
    int64_t rows = g->C * g->kh * g->kw, L = g->Ho * g->Wo;
    int64_t lb = rows > 0 ? bytes / (rows * (int64_t)es) : L;
    if (lb >= L) return L;
    if (g->Wo > 0 && lb >= g->Wo) lb -= lb % g->Wo;
    return lb < 1 ? 1 : lb;
}
static int64_t col_block(const pn_conv_geom *g, size_t es) {
    return col_block_of(g, es, PN_CONV_WORKSPACE_BYTES);
}
/* The weight gradient's column blocks are smaller: its GEMM transposes each block while
 * packing it, and a block of 512 KB is still in L2 when the packing reads it (3x3
 * 64 -> 64 on 56 x 56, batch 8, the weight gradient alone, fastest of 15: 2 threads
 * 12.4-13.7 ms against 13.5-14.6 with 4 MB blocks; 1 thread 21.4-24.6 against 23.8-24.7). */
#ifndef PN_CONV_DW_BLOCK_BYTES
#define PN_CONV_DW_BLOCK_BYTES ((int64_t)512 << 10)
#endif

/* Items [0, N) through fn, spread over the pool one item at a time (see
 * pn_parallel_for_dynamic). Each item is computed by the same code on
 * whichever thread takes it. */
static int run_items(conv_job *j, pn_range_fn fn) {
    atomic_init(&j->err, PN_OK);
    j->lb = col_block(j->g, pn_itemsize(j->dt));
    pn_parallel_for_dynamic(j->g->N, 1, fn, j);
    return atomic_load(&j->err);
}

static void fail(conv_job *j, int rc) {
    int ok = PN_OK;
    atomic_compare_exchange_strong(&j->err, &ok, rc);
}

/* A plane y (L) set to the bias value *b: the depthwise loops then add into it (the
 * GEMM paths add the bias tile by tile instead, pn_gemm_bias). */
static void fill_bias(pn_dtype dt, const void *b, void *y, int64_t L) {
    if (dt == PN_FLOAT32)
        for (int64_t l = 0; l < L; l++) ((float *)y)[l] = *(const float *)b;
    else
        for (int64_t l = 0; l < L; l++) ((double *)y)[l] = *(const double *)b;
}

/* Shared sizes of a driver: per-group channel counts and the GEMM's K. */
typedef struct {
    int64_t L, HW, Cg, Og, K; /* K = C/G kh kw, the rows of one group's column block */
    size_t es;
    int direct; /* pointwise: read/write x directly */
    int panels; /* float32 im2col: the forward builds col in the GEMM's panels */
} conv_dims;

/* Whether building col in the GEMM's panels beats im2col + the GEMM's packing
 * (float32 forward, 1 thread, batch 64, panels / im2col time): 3x3 32 -> 64 on
 * 26 x 26 0.84-0.94, 5x5 6 -> 16 on 14 x 14 0.88, 3x3 64 -> 64 padded on 56 x 56
 * 0.78-0.91. Not when the GEMM reads col in place without packing it (few output
 * channels: LeNet's 5x5 1 -> 6 took 1.56x as long), nor when one item's col fits
 * in L1, where im2col's rows are still there for the packing (3x3 1 -> 32 on 28
 * x 28, 24 KB: 1.02-1.04). */
static int panels_pay(const conv_dims *d) {
    return pn_sgemm_packs_b(d->Og) && d->K * d->L * (int64_t)sizeof(float) > 32 * 1024;
}

static conv_dims dims_of(const conv_job *j) {
    const pn_conv_geom *g = j->g;
    conv_dims d = {g->Ho * g->Wo,
                   g->H * g->W,
                   g->C / g->G,
                   g->O / g->G,
                   0,
                   pn_itemsize(j->dt),
                   pointwise(g),
                   0};
    d.K = d.Cg * g->kh * g->kw;
    d.panels = j->dt == PN_FLOAT32 && !d.direct && panels_pay(&d);
    return d;
}

/* The workspace of one task (NULL and no error when the kernel is pointwise). */
static char *task_workspace(conv_job *j, const conv_dims *d, int *owned) {
    *owned = 0;
    if (d->direct) return NULL;
    char *ws = workspace((size_t)(j->g->C * j->g->kh * j->g->kw * j->lb) * d->es, owned);
    if (!ws) fail(j, PN_ENOMEM);
    return ws;
}

/* ----------------------------------------- channel-wise batched drivers ---- */

/* The direct loops win for depthwise convolutions (one input and one or two output
 * channels per group: measured 2-4x faster than im2col + GEMM); with more outputs per
 * input channel (a one-channel image into 6 or 32 channels) the GEMM is faster again
 * (3x on LeNet's first layer), its M = O/G rows sharing each column. */
static int channelwise(const pn_conv_geom *g) {
    return g->C > 0 && g->C == g->G && g->O / g->G <= 2;
}

/* Planes per pool chunk: enough work (~32k multiply-adds) to be worth a thread. */
static int64_t plane_grain(const pn_conv_geom *g) {
    int64_t work = g->Ho * g->Wo * g->kh * g->kw;
    return work >= 32768 ? 1 : 32768 / (work > 0 ? work : 1);
}

// planes t = n O + o of y (N, O, Ho, Wo) = conv(x = a, w = b) + bias, for t in [t0, t1)
static void cw_forward_task(void *ctx, int64_t t0, int64_t t1) {
    conv_job *j = ctx;
    const pn_conv_geom *g = j->g;
    int64_t L = g->Ho * g->Wo, HW = g->H * g->W, kk = g->kh * g->kw, Og = g->O / g->G;
    size_t es = pn_itemsize(j->dt);
    for (int64_t t = t0; t < t1; t++) {
        int64_t n = t / g->O, o = t % g->O, c = o / Og;
        char *y = j->out + (size_t)(t * L) * es;
        const char *x = j->a + (size_t)((n * g->C + c) * HW) * es,
                   *w = j->b + (size_t)(o * kk) * es;
        if (j->bias)
            fill_bias(j->dt, j->bias + (size_t)o * es, y, L);
        else
            memset(y, 0, (size_t)L * es);
        if (j->dt == PN_FLOAT32)
            plane_fwd_f32(g, (const float *)x, (const float *)w, (float *)y);
        else
            plane_fwd_f64(g, (const double *)x, (const double *)w, (double *)y);
    }
}

// planes t = n C + c of dx (N, C, H, W) from dy = a, w = b: the sum over the O/G outputs of c
static void cw_backward_input_task(void *ctx, int64_t t0, int64_t t1) {
    conv_job *j = ctx;
    const pn_conv_geom *g = j->g;
    int64_t L = g->Ho * g->Wo, HW = g->H * g->W, kk = g->kh * g->kw, Og = g->O / g->G;
    size_t es = pn_itemsize(j->dt);
    for (int64_t t = t0; t < t1; t++) {
        int64_t n = t / g->C, c = t % g->C;
        char *dx = j->out + (size_t)(t * HW) * es;
        memset(dx, 0, (size_t)HW * es);
        for (int64_t o = c * Og; o < (c + 1) * Og; o++) {
            const char *dy = j->a + (size_t)((n * g->O + o) * L) * es;
            const char *w = j->b + (size_t)(o * kk) * es;
            if (j->dt == PN_FLOAT32)
                plane_bwd_input_f32(g, (const float *)dy, (const float *)w, (float *)dx);
            else
                plane_bwd_input_f64(g, (const double *)dy, (const double *)w, (double *)dx);
        }
    }
}

// dw[o] (kh, kw) for o in [o0, o1) from x = a, dy = b, summed over n = 0 .. N-1 in order
static void cw_backward_weight_task(void *ctx, int64_t o0, int64_t o1) {
    conv_job *j = ctx;
    const pn_conv_geom *g = j->g;
    int64_t L = g->Ho * g->Wo, HW = g->H * g->W, kk = g->kh * g->kw, Og = g->O / g->G;
    size_t es = pn_itemsize(j->dt);
    double *acc = malloc((size_t)kk * sizeof *acc);
    if (!acc) {
        fail(j, PN_ENOMEM);
        return;
    }
    for (int64_t o = o0; o < o1; o++) {
        memset(acc, 0, (size_t)kk * sizeof *acc);
        for (int64_t n = 0; n < g->N; n++) {
            const char *x = j->a + (size_t)((n * g->C + o / Og) * HW) * es;
            const char *dy = j->b + (size_t)((n * g->O + o) * L) * es;
            if (j->dt == PN_FLOAT32)
                plane_bwd_weight_f32(g, (const float *)x, (const float *)dy, acc);
            else
                plane_bwd_weight_f64(g, (const double *)x, (const double *)dy, acc);
        }
        for (int64_t k = 0; k < kk; k++)
            if (j->dt == PN_FLOAT32)
                ((float *)j->out)[o * kk + k] = (float)acc[k];
            else
                ((double *)j->out)[o * kk + k] = acc[k];
    }
    free(acc);
}

/* Run a channel-wise task over n items (planes or output channels). */
static int run_planes(conv_job *j, pn_range_fn fn, int64_t n, int64_t grain) {
    atomic_init(&j->err, PN_OK);
    pn_parallel_for_dynamic(n, grain, fn, j);
    return atomic_load(&j->err);
}

/* GEMM into C with a shared error slot; lda/ldb/ldc of at least 1 (empty K). With a
 * bias (beta 0), C = op(A) op(B) + bias[i] on row i (pn_gemm_bias). */
static void gemm(conv_job *j, int ta, int tb, int64_t M, int64_t N, int64_t K, const char *A,
                 int64_t lda, const char *B, int64_t ldb, double beta, const char *bias, char *C,
                 int64_t ldc) {
    lda = lda > 0 ? lda : 1, ldb = ldb > 0 ? ldb : 1, ldc = ldc > 0 ? ldc : 1;
    int rc = bias ? pn_gemm_bias(j->dt, ta, tb, M, N, K, A, lda, B, ldb, bias, 0, C, ldc)
                  : pn_gemm(j->dt, ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
    if (rc != PN_OK) fail(j, rc);
}

// x_n (C, H, W) = cp->x, w (O, C/G, kh, kw) = j->b, bias (O) -> y_n (O, Ho, Wo),
// float32 with col built in the GEMM's panels
static void forward_panels(conv_job *j, const conv_dims *d, col_panel *cp, float *yn) {
    const float *w = (const float *)j->b, *bias = (const float *)j->bias;
    for (int64_t grp = 0; grp < j->g->G; grp++) {
        cp->r0 = grp * d->K;
        /* y_n[grp] (Og, L) = w[grp] (Og, K) @ col[grp] (K, L) + bias[grp] (Og, 1) */
        int rc = pn_sgemm_packing_b(0, d->Og, d->L, d->K, w + grp * d->Og * d->K, d->K,
                                    pack_col_rows, cp, 0.0f, bias ? bias + grp * d->Og : NULL,
                                    yn + grp * d->Og * d->L, d->L);
        if (rc != PN_OK) fail(j, rc);
    }
}

/* A padded convolution's panels are built from a zero-padded copy of the image when
 * it fits the workspace bound: every window then lies inside the image, and each
 * panel row is a plain copy, without the per-tap checks of where the padding
 * starts and ends (on a 3x3 64 -> 64 convolution of 56 x 56 those checks cost more
 * than the copies; the padded copy adds an eighth to the bytes written). *gp: the
 * geometry of the padded image (no padding, the same output size). */
static int pad_pays(const pn_conv_geom *g, pn_conv_geom *gp) {
    *gp = *g;
    gp->H = g->H + 2 * g->ph, gp->W = g->W + 2 * g->pw, gp->ph = gp->pw = 0;
    int64_t n; /* the padded image's element count (a huge padding must not overflow it) */
    if ((g->ph == 0 && g->pw == 0) || pn_mul_overflow(g->C, gp->H, &n) ||
        pn_mul_overflow(n, gp->W, &n))
        return 0;
    return n <= PN_CONV_WORKSPACE_BYTES / (int64_t)sizeof(float);
}

// x (C, H, W) -> xp (C, H + 2 ph, W + 2 pw): x in the middle, zeros around it
static void pad_image(const pn_conv_geom *g, const pn_conv_geom *gp, const float *x, float *xp) {
    const int64_t W = g->W, Wp = gp->W, pw = g->pw;
    for (int64_t c = 0; c < g->C; c++) {
        float *o = xp + c * gp->H * Wp;
        memset(o, 0, (size_t)(g->ph * Wp) * sizeof *o);
        for (int64_t h = 0; h < g->H; h++) {
            float *row = o + (g->ph + h) * Wp;
            memset(row, 0, (size_t)pw * sizeof *row);
            memcpy(row + pw, x + (c * g->H + h) * W, (size_t)W * sizeof *row);
            memset(row + pw + W, 0, (size_t)pw * sizeof *row);
        }
        memset(o + (g->ph + g->H) * Wp, 0, (size_t)(g->ph * Wp) * sizeof *o);
    }
}

// x (N, C, H, W) = a, w (O, C/G, kh, kw) = b -> y (N, O, Ho, Wo) = out, items [n0, n1)
static void forward_task(void *ctx, int64_t n0, int64_t n1) {
    conv_job *j = ctx;
    const pn_conv_geom *g = j->g;
    conv_dims d = dims_of(j);
    pn_conv_geom gp;
    int owned = 0, padded = d.panels && pad_pays(g, &gp);
    char *ws = padded     ? workspace((size_t)(g->C * gp.H * gp.W) * sizeof(float), &owned)
               : d.panels ? NULL
                          : task_workspace(j, &d, &owned);
    if (padded && !ws) fail(j, PN_ENOMEM);
    if (!d.direct && (!d.panels || padded) && !ws) return;
    col_panel cp = {.g = padded ? &gp : g};
    col_ranges_init(cp.g, &cp.cr);
    for (int64_t n = n0; n < n1; n++) {
        const char *xn = j->a + (size_t)(n * g->C * d.HW) * d.es;
        char *yn = j->out + (size_t)(n * g->O * d.L) * d.es;
        if (d.panels) {
            cp.x = (const float *)xn;
            if (padded) pad_image(g, &gp, cp.x, (float *)ws), cp.x = (const float *)ws;
            forward_panels(j, &d, &cp, (float *)yn);
            continue;
        }
        for (int64_t l0 = 0; l0 < d.L; l0 += j->lb) {
            int64_t nl = d.L - l0 < j->lb ? d.L - l0 : j->lb, ldb = d.direct ? d.L : nl;
            const char *col = d.direct ? xn + (size_t)l0 * d.es : ws;
            if (!d.direct) im2col(j->dt, g, xn, ws, l0, l0 + nl);
            /* y_n[grp] (Og, nl) = w[grp] (Og, K) @ col[grp] (K, nl) + bias[grp] (Og, 1) */
            for (int64_t grp = 0; grp < g->G; grp++)
                gemm(j, 0, 0, d.Og, nl, d.K, j->b + (size_t)(grp * d.Og * d.K) * d.es, d.K,
                     col + (size_t)(grp * d.K * ldb) * d.es, ldb, 0.0,
                     j->bias ? j->bias + (size_t)(grp * d.Og) * d.es : NULL,
                     yn + (size_t)(grp * d.Og * d.L + l0) * d.es, d.L);
        }
    }
    if (owned) free(ws);
}

int pn_conv2d_forward(pn_dtype dt, const pn_conv_geom *g, const void *x, const void *w,
                      const void *b, void *y) {
    conv_job j = {.dt = dt, .g = g, .a = x, .b = w, .bias = b, .out = y};
    if (g->Ho * g->Wo == 0 || g->O == 0) return PN_OK; /* nothing to write */
    if (channelwise(g)) return run_planes(&j, cw_forward_task, g->N * g->O, plane_grain(g));
    return run_items(&j, forward_task);
}

// dy (N, O, Ho, Wo) = a, w (O, C/G, kh, kw) = b -> dx (N, C, H, W) = out, items [n0, n1)
static void backward_input_task(void *ctx, int64_t n0, int64_t n1) {
    conv_job *j = ctx;
    const pn_conv_geom *g = j->g;
    conv_dims d = dims_of(j);
    int owned;
    char *ws = task_workspace(j, &d, &owned);
    if (!d.direct && !ws) return;
    for (int64_t n = n0; n < n1; n++) {
        const char *dyn = j->a + (size_t)(n * g->O * d.L) * d.es;
        char *dxn = j->out + (size_t)(n * g->C * d.HW) * d.es;
        if (!d.direct || d.L == 0) memset(dxn, 0, (size_t)(g->C * d.HW) * d.es);
        for (int64_t l0 = 0; l0 < d.L; l0 += j->lb) {
            int64_t nl = d.L - l0 < j->lb ? d.L - l0 : j->lb, ldc = d.direct ? d.L : nl;
            char *dcol = d.direct ? dxn + (size_t)l0 * d.es : ws;
            /* dcol[grp] (K, nl) = w[grp]^T (K, Og) @ dy_n[grp] (Og, nl) */
            for (int64_t grp = 0; grp < g->G; grp++)
                gemm(j, 1, 0, d.K, nl, d.Og, j->b + (size_t)(grp * d.Og * d.K) * d.es, d.K,
                     dyn + (size_t)(grp * d.Og * d.L + l0) * d.es, d.L, 0.0, NULL,
                     dcol + (size_t)(grp * d.K * ldc) * d.es, ldc);
            if (!d.direct) col2im(j->dt, g, ws, dxn, l0, l0 + nl);
        }
    }
    if (owned) free(ws);
}

/* At stride 1 the input gradient is itself a convolution: with i' = kh-1-i,
 *   dx[c, h, w] = sum_{o,i,j} w[o, c, i, j] dy[o, h + ph - i dh, w + pw - j dw]
 *               = sum_{o,i',j'} w'[c, o, i', j'] dy[o, h - ph' + i' dh, w - pw' + j' dw]
 * with w' = w flipped in both kernel axes and its channel axes swapped (per group)
 * and the padding ph' = (kh-1) dh - ph (its output size is then H exactly). The
 * forward builds its columns straight into the GEMM's panels; the product above
 * would write the whole column matrix dcol out and add it back by col2im (about
 * 1.04x the time for a 3x3 64 -> 64 convolution of 56 x 56, batch 8, 1 and 2
 * threads). Only where the forward takes its panel path, the flipped padding is
 * not negative, and C >= O: the flipped product packs O kh kw x H W column entries
 * per image for 2 C flops each, the other writes and re-reads C kh kw x Ho Wo for
 * 2 O flops each (the MNIST example net's 32 -> 64 convolution took 1.15x as long
 * flipped). */
static int flipped_forward_pays(pn_dtype dt, const pn_conv_geom *g, pn_conv_geom *f) {
    if (dt != PN_FLOAT32 || g->sh != 1 || g->sw != 1 || g->C < g->O || channelwise(g)) return 0;
    *f = *g;
    f->C = g->O, f->H = g->Ho, f->W = g->Wo, f->O = g->C;
    f->ph = (g->kh - 1) * g->dh - g->ph, f->pw = (g->kw - 1) * g->dw - g->pw;
    if (f->ph < 0 || f->pw < 0 || pn_conv_geom_init(f) != PN_OK || f->Ho != g->H || f->Wo != g->W)
        return 0;
    conv_job j = {.dt = dt, .g = f};
    conv_dims d = dims_of(&j);
    return d.panels;
}

// w (O, C/G, kh, kw) -> w' (C, O/G, kh, kw): w'[g Cg + c, o, i, j] = w[g Og + o, c, kh-1-i, kw-1-j]
static float *flip_weight(const pn_conv_geom *g, const float *w) {
    const int64_t Cg = g->C / g->G, Og = g->O / g->G, kk = g->kh * g->kw;
    float *f = malloc((size_t)(g->O * Cg * kk) * sizeof *f);
    if (!f) return NULL;
    for (int64_t grp = 0; grp < g->G; grp++)
        for (int64_t o = 0; o < Og; o++)
            for (int64_t c = 0; c < Cg; c++) {
                const float *src = w + ((grp * Og + o) * Cg + c) * kk;
                float *dst = f + ((grp * Cg + c) * Og + o) * kk;
                for (int64_t t = 0; t < kk; t++) dst[t] = src[kk - 1 - t]; /* both axes */
            }
    return f;
}

int pn_conv2d_backward_input(pn_dtype dt, const pn_conv_geom *g, const void *dy, const void *w,
                             void *dx) {
    conv_job j = {.dt = dt, .g = g, .a = dy, .b = w, .out = dx};
    if (channelwise(g)) return run_planes(&j, cw_backward_input_task, g->N * g->C, plane_grain(g));
    pn_conv_geom f;
    if (g->N > 0 && flipped_forward_pays(dt, g, &f)) {
        float *wf = flip_weight(g, w);
        if (!wf) return PN_ENOMEM;
        int rc = pn_conv2d_forward(dt, &f, dy, wf, NULL, dx);
        free(wf);
        return rc;
    }
    return run_items(&j, backward_input_task);
}

/* The weight gradient is a sum over the batch, and a sum's rounding depends on
 * its order. For the same bits at any thread count, the batch is cut into
 * slices fixed by N and the weight's size alone (never by the thread count):
 * each slice sums its items in order into its own buffer, the slices run on
 * the pool, and their sums are added in slice order. At most PN_CONV_DW_SLICES
 * slices, fewer when the extra buffers would pass PN_CONV_DW_SLICE_BYTES. */
#define PN_CONV_DW_SLICES      8
#define PN_CONV_DW_SLICE_BYTES ((int64_t)16 << 20)

typedef struct {
    conv_job *j;
    char *part;     /* slices 1 .. S-1: their sums, one dw-sized buffer each */
    int64_t S, nel; /* slices; dw's element count */
} dw_slices;

// x (N, C, H, W) = a, dy (N, O, Ho, Wo) = b -> dw (O, C/G, kh, kw) += the sum over
// items [n0, n1) in order (dw = out for slice 0, its part buffer for the others)
static void backward_weight_items(conv_job *j, int64_t n0, int64_t n1, char *dw) {
    const pn_conv_geom *g = j->g;
    conv_dims d = dims_of(j);
    int owned;
    char *ws = task_workspace(j, &d, &owned);
    if (!d.direct && !ws) return;
    for (int64_t n = n0; n < n1; n++) {
        const char *xn = j->a + (size_t)(n * g->C * d.HW) * d.es;
        const char *dyn = j->b + (size_t)(n * g->O * d.L) * d.es;
        for (int64_t l0 = 0; l0 < d.L; l0 += j->lb) {
            int64_t nl = d.L - l0 < j->lb ? d.L - l0 : j->lb, ldb = d.direct ? d.L : nl;
            const char *col = d.direct ? xn + (size_t)l0 * d.es : ws;
            if (!d.direct) im2col(j->dt, g, xn, ws, l0, l0 + nl);
            /* dw[grp] (Og, K) += dy_n[grp] (Og, nl) @ col[grp]^T (nl, K) */
            for (int64_t grp = 0; grp < g->G; grp++)
                gemm(j, 0, 1, d.Og, d.K, nl, dyn + (size_t)(grp * d.Og * d.L + l0) * d.es, d.L,
                     col + (size_t)(grp * d.K * ldb) * d.es, ldb, 1.0, NULL,
                     dw + (size_t)(grp * d.Og * d.K) * d.es, d.K);
        }
    }
    if (owned) free(ws);
}

// slices [s0, s1): slice s sums items [s N / S, (s + 1) N / S)
static void dw_slice_task(void *ctx, int64_t s0, int64_t s1) {
    dw_slices *ds = ctx;
    int64_t N = ds->j->g->N;
    size_t bytes = (size_t)ds->nel * pn_itemsize(ds->j->dt);
    for (int64_t s = s0; s < s1; s++)
        backward_weight_items(ds->j, s * N / ds->S, (s + 1) * N / ds->S,
                              s == 0 ? ds->j->out : ds->part + (size_t)(s - 1) * bytes);
}

// dw[k] = (((dw[k] + part_1[k]) + part_2[k]) + ...) for k in [k0, k1)
static void dw_reduce_task(void *ctx, int64_t k0, int64_t k1) {
    dw_slices *ds = ctx;
    for (int64_t s = 1; s < ds->S; s++)
        if (ds->j->dt == PN_FLOAT32) {
            float *dw = (float *)ds->j->out;
            const float *p = (const float *)ds->part + (s - 1) * ds->nel;
            for (int64_t k = k0; k < k1; k++) dw[k] += p[k];
        } else {
            double *dw = (double *)ds->j->out;
            const double *p = (const double *)ds->part + (s - 1) * ds->nel;
            for (int64_t k = k0; k < k1; k++) dw[k] += p[k];
        }
}

int pn_conv2d_backward_weight(pn_dtype dt, const pn_conv_geom *g, const void *x, const void *dy,
                              void *dw) {
    conv_job j = {.dt = dt, .g = g, .a = x, .b = dy, .out = dw};
    if (channelwise(g)) return run_planes(&j, cw_backward_weight_task, g->O, 1);
    atomic_init(&j.err, PN_OK);
    j.lb = col_block_of(g, pn_itemsize(dt), PN_CONV_DW_BLOCK_BYTES);
    dw_slices ds = {&j, NULL,
                    g->N < 1                   ? 1
                    : g->N < PN_CONV_DW_SLICES ? g->N
                                               : PN_CONV_DW_SLICES,
                    g->O * (g->C / g->G) * g->kh * g->kw};
    int64_t bytes = ds.nel * (int64_t)pn_itemsize(dt);
    while (ds.S > 1 && (ds.S - 1) * bytes > PN_CONV_DW_SLICE_BYTES) ds.S--;
    if (ds.S > 1 && !(ds.part = calloc((size_t)(ds.S - 1), (size_t)bytes))) return PN_ENOMEM;
    memset(dw, 0, (size_t)bytes);
    if (ds.S > 1) {
        pn_parallel_for_dynamic(ds.S, 1, dw_slice_task, &ds);
        if (atomic_load(&j.err) == PN_OK) pn_parallel_for(ds.nel, 16384, dw_reduce_task, &ds);
    } else {
        dw_slice_task(&ds, 0, 1); /* one slice: its GEMMs use the pool */
    }
    free(ds.part);
    return atomic_load(&j.err);
}

/* ------------------------------------------------------- unfold / fold ---- */

// x (N, C, H, W) = a -> col (N, C kh kw, L) = out (unfold), items [n0, n1)
static void unfold_task(void *ctx, int64_t n0, int64_t n1) {
    conv_job *j = ctx;
    conv_dims d = dims_of(j);
    int64_t rows = j->g->C * j->g->kh * j->g->kw;
    for (int64_t n = n0; n < n1; n++)
        im2col(j->dt, j->g, j->a + (size_t)(n * j->g->C * d.HW) * d.es,
               j->out + (size_t)(n * rows * d.L) * d.es, 0, d.L);
}

// col (N, C kh kw, L) = a -> x (N, C, H, W) = out (fold: the sum), items [n0, n1)
static void fold_task(void *ctx, int64_t n0, int64_t n1) {
    conv_job *j = ctx;
    conv_dims d = dims_of(j);
    int64_t rows = j->g->C * j->g->kh * j->g->kw;
    for (int64_t n = n0; n < n1; n++) {
        char *xn = j->out + (size_t)(n * j->g->C * d.HW) * d.es;
        memset(xn, 0, (size_t)(j->g->C * d.HW) * d.es);
        col2im(j->dt, j->g, j->a + (size_t)(n * rows * d.L) * d.es, xn, 0, d.L);
    }
}

int pn_unfold(pn_dtype dt, const pn_conv_geom *g, const void *x, void *col) {
    conv_job j = {.dt = dt, .g = g, .a = x, .out = col};
    return run_items(&j, unfold_task);
}

int pn_fold(pn_dtype dt, const pn_conv_geom *g, const void *col, void *x) {
    conv_job j = {.dt = dt, .g = g, .a = col, .out = x};
    return run_items(&j, fold_task);
}

void pn_conv_add_bias(pn_dtype dt, void *y, const void *b, int64_t N, int64_t C, int64_t L) {
    for (int64_t t = 0; t < N * C; t++)
        if (dt == PN_FLOAT32)
            for (int64_t l = 0; l < L; l++) ((float *)y)[t * L + l] += ((const float *)b)[t % C];
        else
            for (int64_t l = 0; l < L; l++) ((double *)y)[t * L + l] += ((const double *)b)[t % C];
}
