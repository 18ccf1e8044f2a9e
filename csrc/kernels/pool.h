/* pool.h - max and average pooling over planes (N*C independent H x W images).
 *
 * Shapes: x (P, H, W) with P = N*C planes, y (P, Ho, Wo). Output position (p, q)
 * covers input rows p sh - ph + i dh (i < kh) and columns q sw - pw + j dw
 * (j < kw); window positions in the padding are skipped (max) or, for the
 * average, counted in the divisor only when count_include_pad is set.
 *
 *   max:  y[p, q] = max of the window, idx[p, q] = ih W + iw of the first
 *         maximum (the last NaN wins, as in PyTorch), or of the first in-image tap
 *         when every value is -inf; a dilated window whose taps all fall in
 *         the padding gives -inf and idx -1 (no input: gather gives 0,
 *         scatter skips it; PyTorch stores an index outside the plane)
 *   adaptive (both): the window of output p spans rows floor(p H / Ho) to
 *         ceil((p + 1) H / Ho) (exclusive), columns likewise; no padding
 *   avg:  y[p, q] = (sum of the window's in-image values) / divisor, with
 *         divisor = divisor_override if nonzero, else the window's size clipped to
 *         [-ph, H + ph) x [-pw, W + pw) (count_include_pad) or to the image
 *
 * Gradients: max pooling is y = gather(x, idx) for fixed idx, so
 * dx = scatter_add(dy, idx) (pn_pool_scatter) and the gradient of that is the
 * gather again (pn_pool_gather). Average pooling is linear: its backward
 * (pn_avg_pool_backward) spreads each dy / divisor over the window, and is
 * the adjoint of pn_avg_pool. Planes run on the thread pool, each plane on
 * one thread in a fixed order: results do not depend on the thread count.
 * Ho, Wo >= 1 and the window geometry are the caller's to check.
 */
#ifndef PN_POOL_H
#define PN_POOL_H
#include <stdint.h>
#include "common.h"

typedef struct {
    int64_t P, H, W; /* planes and their size */
    int64_t kh, kw;  /* window */
    int64_t sh, sw;  /* stride (> 0) */
    int64_t ph, pw;  /* padding (>= 0) */
    int64_t dh, dw;  /* dilation (> 0; 1 for average pooling) */
    int64_t Ho, Wo;  /* output size */
    int count_pad;   /* avg: count padding positions in the divisor */
    int64_t divisor; /* avg: divisor_override (any nonzero value), or 0 for none */
    int adaptive;    /* windows by the adaptive rule (kernel, stride, padding unused; dilation 1) */
} pn_pool_geom;

/* Args: dt float32/float64; x (P, H, W); y (P, Ho, Wo); idx (P, Ho, Wo). Return 0 or PN_E*. */
int pn_max_pool(pn_dtype dt, const pn_pool_geom *g, const void *x, void *y, int64_t *idx);
/* y[p, l] = x[p, idx[p, l]] (0 where idx is -1): x (P, H W), idx and y (P, Ho Wo). */
int pn_pool_gather(pn_dtype dt, const pn_pool_geom *g, const void *x, const int64_t *idx, void *y);
/* dx = 0, then dx[p, idx[p, l]] += dy[p, l] where idx >= 0: dy (P, Ho Wo), dx (P, H W). */
int pn_pool_scatter(pn_dtype dt, const pn_pool_geom *g, const void *dy, const int64_t *idx,
                    void *dx);
/* y = average pooling of x. */
int pn_avg_pool(pn_dtype dt, const pn_pool_geom *g, const void *x, void *y);
/* dx = its adjoint applied to dy (dx overwritten). */
int pn_avg_pool_backward(pn_dtype dt, const pn_pool_geom *g, const void *dy, void *dx);

#endif
