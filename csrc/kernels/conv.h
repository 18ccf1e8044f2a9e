/* conv.h - 2-D convolution by im2col + GEMM, and the im2col/col2im loops.
 *
 * Shapes (all buffers contiguous, row-major; a 1-D convolution is the 2-D one
 * with H = kh = 1):
 *   x  (N, C, H, W)         input
 *   w  (O, C/G, kh, kw)     weight; G groups: output channels [g*O/G, (g+1)*O/G)
 *                           see only input channels [g*C/G, (g+1)*C/G)
 *   y  (N, O, Ho, Wo)       output, Ho = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1
 *                           (Wo likewise)
 *
 *   y[n, o, p, q] = b[o] + sum_{c in group(o), i, j}
 *                   w[o, c', i, j] * x[n, c, p sh - ph + i dh, q sw - pw + j dw]
 * where c' = c - g*C/G and x is zero outside [0, H) x [0, W).
 *
 * im2col turns that sum into a matrix product. For one image, the column matrix
 *   col (C kh kw, L),  L = Ho Wo,  col[(c kh + i) kw + j, p Wo + q] = x[c, p sh - ph + i dh, ...]
 * holds in column l every input value that output position l reads, so per group
 *   y_n[g] (O/G, L) = w[g] (O/G, C/G kh kw) @ col[g] (C/G kh kw, L).
 * col2im is its adjoint (a scatter-add): it adds each col entry back into the
 * input position it was read from; positions read by several windows receive
 * the sum. The backward passes are the two other products of the same three
 * matrices:
 *   dcol[g] = w[g]^T @ dy_n[g],  dx_n = col2im(dcol)                  (input)
 *   dw[g]  += dy_n[g] @ col[g]^T, summed over the batch (in slices, below)   (weight)
 * A 1x1 convolution with stride 1 and no padding has col == x_n: the GEMMs read
 * x_n (and write dx_n) directly. At stride 1 a float32 input gradient with C >= O
 * is instead the forward convolution of dy with the kernel flipped (conv.c:
 * flipped_forward_pays), which never writes dcol out.
 *
 * Work and memory: the column matrix of one image is built L-block by L-block,
 * at most PN_CONV_WORKSPACE_BYTES at a time, so the workspace stays bounded
 * for large images. The float32 forward stores none of it: the GEMM asks for
 * each block of col in its own packed layout (pn_sgemm_packing_b), built
 * straight from the image into a buffer that stays in cache. The forward and input-backward spread
 * the batch items over the thread pool (each item is computed the same way on any thread, so the
 * result does not depend on the thread count); the weight gradient sums over
 * the batch in slices fixed by the batch size and the weight's size (at most 8,
 * each summed in item order, the slices' sums added in slice order), the
 * slices spread over the pool.
 */
#ifndef PN_CONV_H
#define PN_CONV_H
#include <stdint.h>
#include "common.h"

/* The geometry of a convolution (or of an unfold/fold, which ignore O and G). */
typedef struct {
    int64_t N, C, H, W; /* input batch, channels, height, width */
    int64_t O, G;       /* output channels, groups */
    int64_t kh, kw;     /* kernel size */
    int64_t sh, sw;     /* stride (> 0) */
    int64_t ph, pw;     /* zero padding on each side (>= 0) */
    int64_t dh, dw;     /* dilation (> 0) */
    int64_t Ho, Wo;     /* output size: set by pn_conv_geom_init */
} pn_conv_geom;

/* Upper bound on the im2col workspace of one thread. */
#define PN_CONV_WORKSPACE_BYTES ((int64_t)4 << 20)

/* Check the geometry and compute Ho, Wo. Args: g with every field but Ho, Wo
 * set (O and G may be 1 for unfold/fold). Returns 0; PN_EINVAL for a negative
 * size, non-positive stride/dilation/groups, negative padding, groups that do
 * not divide C and O, or a dilated kernel larger than the padded input;
 * PN_EOVERFLOW when a buffer size (x, w, y, col) does not fit in int64. */
int pn_conv_geom_init(pn_conv_geom *g);

/* Columns [l0, l1) of one image's column matrix (see above).
 * Args: x (C, H, W) one image; col (C kh kw, l1 - l0), row stride l1 - l0.
 * Entries whose input position lies in the padding are 0. */
void pn_im2col_f32(const pn_conv_geom *g, const float *x, float *col, int64_t l0, int64_t l1);
void pn_im2col_f64(const pn_conv_geom *g, const double *x, double *col, int64_t l0, int64_t l1);
/* The adjoint: x[c, ih, iw] += col[row, l - l0] for every entry that im2col
 * would have read from (c, ih, iw). Args as pn_im2col; x is accumulated into
 * (zero it first for a plain col2im). */
void pn_col2im_f32(const pn_conv_geom *g, const float *col, float *x, int64_t l0, int64_t l1);
void pn_col2im_f64(const pn_conv_geom *g, const double *col, double *x, int64_t l0, int64_t l1);

/* Whole-batch unfold/fold (F.unfold, F.fold), batch items over the thread pool.
 * Args: dt float32/float64; x (N, C, H, W); col (N, C kh kw, L).
 * pn_unfold writes col; pn_fold overwrites x with the sum. Return 0 or PN_E*. */
int pn_unfold(pn_dtype dt, const pn_conv_geom *g, const void *x, void *col);
int pn_fold(pn_dtype dt, const pn_conv_geom *g, const void *col, void *x);

/* y = conv(x, w) + b.  Args: dt float32/float64; x (N, C, H, W); w (O, C/G, kh, kw);
 * b (O) or NULL; y (N, O, Ho, Wo), overwritten. Returns 0 or PN_ENOMEM/PN_EINVAL. */
int pn_conv2d_forward(pn_dtype dt, const pn_conv_geom *g, const void *x, const void *w,
                      const void *b, void *y);
/* dx = the input gradient of y = conv(x, w) for dy: the transposed convolution.
 * Args: dy (N, O, Ho, Wo); w (O, C/G, kh, kw); dx (N, C, H, W), overwritten. */
int pn_conv2d_backward_input(pn_dtype dt, const pn_conv_geom *g, const void *dy, const void *w,
                             void *dx);
/* dw = the weight gradient of y = conv(x, w) for dy, summed over the batch.
 * Args: x (N, C, H, W); dy (N, O, Ho, Wo); dw (O, C/G, kh, kw), overwritten
 * (zeros for an empty batch). */
int pn_conv2d_backward_weight(pn_dtype dt, const pn_conv_geom *g, const void *x, const void *dy,
                              void *dw);

/* y[n, c, :] += b[c] for y (N, C, L): the bias of a transposed convolution. */
void pn_conv_add_bias(pn_dtype dt, void *y, const void *b, int64_t N, int64_t C, int64_t L);

#endif
