/* upsample.h - nearest and (bi/tri)linear resampling of planes, as F.interpolate.
 *
 * Shapes: x (P, *in), y (P, *out) with P = N*C planes and nd = 1, 2 or 3
 * spatial dims. Each output index o along a dim reads input taps from that
 * dim's table, computed as PyTorch's CPU kernels compute them (UpSample.h):
 *
 *   scale   s = 1 / scale_factor when the caller gives one (> 0), else in / out;
 *           linear with align_corners: (in - 1) / (out - 1), or 0 when out == 1
 *   nearest        i = min(floor(o s), in - 1) in float32; with 2 spatial dims (PyTorch's
 *                  2-D kernel) out == in gives i = o and out == 2 in gives i = o / 2 exactly
 *   nearest-exact  i = min(floor((o + 0.5) s), in - 1) in float32
 *   linear         r = o s (align_corners) or max((o + 0.5) s - 0.5, 0); i0 = min(floor(r),
 *                  in - 1), i1 = i0 + 1 unless i0 is the last, l1 = clamp(r - i0, 0, 1),
 *                  l0 = 1 - l1, in the input's float type; out == in is the identity
 *
 * y is the sum over the taps of the product of the dims' weights times x,
 * innermost dim first: (x[.., i0] l0 + x[.., i1] l1) per row, then the rows.
 *
 * Antialiased linear (PN_UPSAMPLE_LINEAR_AA, nd == 2 only: PyTorch's _upsample_bilinear2d_aa)
 * is separable too, but each output reads a variable window: along a dim with scale s as
 * above (align_corners or not; with align_corners the centre still uses o + 0.5),
 *
 *   support  = max(s, 1)         (the triangle's half-width, in input pixels)
 *   centre c = s (o + 0.5)       in the input's float type
 *   window   = [max(trunc(c - support + 0.5), 0), min(trunc(c + support + 0.5), in)),
 *              at most K = 2 ceil(support) + 1 taps
 *   weight j = tri((j - c + 0.5) / max(s, 1)), tri(t) = max(1 - |t|, 0), then divided by
 *              the window's sum (so a constant stays constant, borders included)
 *
 * Upsampling (s < 1) gives the plain linear weights (up to rounding); downsampling
 * averages over a window s pixels wide instead of reading 2. The W pass runs first
 * (into a buffer (H, OW) per plane), then the H pass; a dim whose size does not change
 * is copied as it is, whatever the scale factor (as PyTorch does).
 *
 * Gradients: the map is linear, so pn_upsample_backward (dx = the adjoint
 * applied to dy, a scatter-add of each dy times its taps' weights) is its
 * backward, and pn_upsample is the backward of that. The forward runs planes
 * on the thread pool in any split; the backward gives each plane to one
 * thread and adds in a fixed order, so both results do not depend on the
 * thread count.
 */
#ifndef PN_UPSAMPLE_H
#define PN_UPSAMPLE_H
#include <stdint.h>
#include "common.h"

enum {
    PN_UPSAMPLE_NEAREST = 0,
    PN_UPSAMPLE_NEAREST_EXACT = 1,
    PN_UPSAMPLE_LINEAR = 2,
    PN_UPSAMPLE_LINEAR_AA = 3 /* antialiased, 2 spatial dims */
};

typedef struct {
    int64_t P;             /* planes (N*C; may be 0) */
    int nd;                /* spatial dims, 1..3 */
    int64_t in[3], out[3]; /* the nd spatial sizes (each >= 1), first nd entries */
    double scale[3];       /* the caller's scale factor of each dim, or 0 for none */
    int mode;              /* PN_UPSAMPLE_* */
    int align_corners;     /* linear modes only */
} pn_upsample_geom;

/* y = the resampling of x. Args: dt float32/float64; x (P, *in), y (P, *out), contiguous.
 * Return 0, PN_EINVAL (bad geometry or dtype), PN_EOVERFLOW (sizes) or PN_ENOMEM. */
int pn_upsample(pn_dtype dt, const pn_upsample_geom *g, const void *x, void *y);
/* dx = its adjoint applied to dy: dy (P, *out) -> dx (P, *in), overwritten. */
int pn_upsample_backward(pn_dtype dt, const pn_upsample_geom *g, const void *dy, void *dx);

#endif
