/* nn.h - kernels of the neural-network layers: activations, linear's bias
 * helpers, batch norm, layer norm, dropout, embedding.
 *
 * Every kernel takes contiguous, row-major buffers (the binding copies a
 * strided view first) and comes in a float (_f32) and a double (_f64) flavour.
 * Sums are accumulated in double whatever the element type, so that long
 * reductions (a batch-norm channel over N*H*W values) keep their precision.
 */
#ifndef PN_NN_H
#define PN_NN_H
#include "common.h"
#include "random.h"

/* ---------------------------------------------------------- activations ---- */

/* Pointwise activations y = f(x). The two parameters a, b mean:
 *   LEAKY_RELU  x > 0 ? x : a*x                              (a = negative_slope)
 *   ELU         x > 0 ? x : a*(exp(x) - 1)                    (a = alpha)
 *   GELU        x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
 *   GELU_TANH   0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
 *   SOFTPLUS    a*x > b ? x : log(1 + exp(a*x)) / a           (a = beta, b = threshold)
 *   HARDTANH    min(max(x, a), b)                             (a = min_val, b = max_val)
 *   SILU        x * sigmoid(x)
 *   LOGSIGMOID  log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|))
 *   MISH        x * tanh(log(1 + exp(x)))
 *   SELU        s * (x > 0 ? x : l*(exp(x) - 1)), s = 1.0507..., l = 1.6732... (fixed)
 *   CELU        x > 0 ? x : a*(exp(x/a) - 1)                  (a = alpha)
 *   HARDSIGMOID min(max(x + 3, 0), 6) / 6
 *   HARDSWISH   x * min(max(x + 3, 0), 6) / 6
 *   THRESHOLD   x <= a ? b : x                                (a = threshold, b = value)
 *   HARDSHRINK  -a <= x <= a ? 0 : x                          (a = lambd)
 *   SOFTSHRINK  x > a ? x - a : x < -a ? x + a : 0            (a = lambd)
 */
typedef enum {
    PN_ACT_LEAKY_RELU,
    PN_ACT_ELU,
    PN_ACT_GELU,
    PN_ACT_GELU_TANH,
    PN_ACT_SOFTPLUS,
    PN_ACT_HARDTANH,
    PN_ACT_SILU,
    PN_ACT_LOGSIGMOID,
    PN_ACT_MISH,
    PN_ACT_SELU,
    PN_ACT_CELU,
    PN_ACT_HARDSIGMOID,
    PN_ACT_HARDSWISH,
    PN_ACT_THRESHOLD,
    PN_ACT_HARDSHRINK,
    PN_ACT_SOFTSHRINK,
    PN_NACT
} pn_act;

typedef struct {
    pn_act act;
    double a, b;
} pn_act_args;

/* y[i] = f(x[i]). y may equal x (in place). */
void pn_act_forward_f32(const pn_act_args *p, const float *x, float *y, int64_t n);
void pn_act_forward_f64(const pn_act_args *p, const double *x, double *y, int64_t n);
/* dx[i] = g[i] * f'(x[i])  (x is the activation's input). dx must not be g or x: the float32
 * fast paths' fix-ups reread both after writing dx. */
void pn_act_backward_f32(const pn_act_args *p, const float *g, const float *x, float *dx,
                         int64_t n);
void pn_act_backward_f64(const pn_act_args *p, const double *g, const double *x, double *dx,
                         int64_t n);
/* d[i] = f'(x[i]) (order 1) or f''(x[i]) (order 2): used to build a backward
 * that is itself differentiable (double backward). */
void pn_act_deriv_f32(const pn_act_args *p, int order, const float *x, float *d, int64_t n);
void pn_act_deriv_f64(const pn_act_args *p, int order, const double *x, double *d, int64_t n);

/* PReLU on x viewed as (outer, C, inner): y = x > 0 ? x : w[c] * x, where
 * w has C entries, or one entry shared by every channel (C == 1 in w's eyes:
 * pass wstride 0). */
void pn_prelu_forward_f32(const float *x, const float *w, int64_t wstride, float *y, int64_t outer,
                          int64_t C, int64_t inner);
void pn_prelu_forward_f64(const double *x, const double *w, int64_t wstride, double *y,
                          int64_t outer, int64_t C, int64_t inner);

/* ----------------------------------------------------------- batch norm ---- */

/* x is (N, C, L) (L = 1 for a (N, C) input, H*W for images). Each channel c
 * is normalised over its M = N*L values.
 *
 * Batch statistics: mean[c] and biased var[c] = sum (x - mean)^2 / M, in
 * double (two passes: the mean first, then squared deviations, which is
 * stable where E[x^2] - E[x]^2 is not). */
void pn_batch_norm_stats_f32(const float *x, int64_t N, int64_t C, int64_t L, double *mean,
                             double *var);
void pn_batch_norm_stats_f64(const double *x, int64_t N, int64_t C, int64_t L, double *mean,
                             double *var);
/* y = (x - mean[c]) * invstd[c] * w[c] + b[c]   (w, b may be NULL: 1 and 0) */
void pn_batch_norm_forward_f32(const float *x, const double *mean, const double *invstd,
                               const float *w, const float *b, float *y, int64_t N, int64_t C,
                               int64_t L);
void pn_batch_norm_forward_f64(const double *x, const double *mean, const double *invstd,
                               const double *w, const double *b, double *y, int64_t N, int64_t C,
                               int64_t L);
/* Backward. With xhat = (x - mean) * invstd and sums over the channel's M values:
 *   db[c] = sum g,     dw[c] = sum g * xhat                   (double, may be NULL)
 *   training: dx = w invstd (g - db/M - xhat dw/M)   (mean and var depend on x)
 *   eval:     dx = w invstd g                         (running stats are constants)
 * dx may be NULL. */
void pn_batch_norm_backward_f32(const float *g, const float *x, const double *mean,
                                const double *invstd, const float *w, int training, float *dx,
                                double *dw, double *db, int64_t N, int64_t C, int64_t L);
void pn_batch_norm_backward_f64(const double *g, const double *x, const double *mean,
                                const double *invstd, const double *w, int training, double *dx,
                                double *dw, double *db, int64_t N, int64_t C, int64_t L);

/* ----------------------------------------------------------- layer norm ---- */

/* x is (M, D): each row is normalised over its D values.
 *   y = (x - mean) * rstd * w + b,  rstd = 1 / sqrt(var + eps)   (biased var)
 * mean, rstd (length M, double) are written for the backward. w, b (length D)
 * may be NULL. */
void pn_layer_norm_forward_f32(const float *x, const float *w, const float *b, double eps, float *y,
                               double *mean, double *rstd, int64_t M, int64_t D);
void pn_layer_norm_forward_f64(const double *x, const double *w, const double *b, double eps,
                               double *y, double *mean, double *rstd, int64_t M, int64_t D);
/* pn_layer_norm_forward_f32 with each kernel's rows by name ("avx512", "portable"),
 * NULL where this CPU lacks it; every kernel gives the same bits. */
typedef void (*pn_layer_norm_forward_f32_fn)(const float *x, const float *w, const float *b,
                                             double eps, float *y, double *mean, double *rstd,
                                             int64_t M, int64_t D);
pn_layer_norm_forward_f32_fn pn_layer_norm_forward_f32_kernel(const char *name);
/* With xhat = (x - mean) rstd and gw = g * w, per row:
 *   dx = rstd (gw - mean(gw) - xhat mean(gw xhat))
 * and over all rows dw[j] += g xhat, db[j] += g (double, length D).
 * dx, dw, db may each be NULL. */
void pn_layer_norm_backward_f32(const float *g, const float *x, const double *mean,
                                const double *rstd, const float *w, float *dx, double *dw,
                                double *db, int64_t M, int64_t D);
void pn_layer_norm_backward_f64(const double *g, const double *x, const double *mean,
                                const double *rstd, const double *w, double *dx, double *dw,
                                double *db, int64_t M, int64_t D);
/* One float32 row of that backward, as it runs: dw += g xhat, db += g, dx (each when
 * not NULL), *sgw = sum g w, *sgwx = sum g w xhat (w NULL: 1).
 * pn_ln_row_backward_f32_kernel gives each kernel by name ("avx512", "portable"),
 * NULL where this CPU lacks it; every kernel gives the same bits. */
typedef void (*pn_ln_row_backward_f32_fn)(const float *g, const float *x, const float *w, int64_t D,
                                          double mean, double rstd, double *dw, double *db,
                                          float *dx, double *sgw, double *sgwx);
pn_ln_row_backward_f32_fn pn_ln_row_backward_f32_kernel(const char *name);

/* ----------------------------------------------------------- group norm ---- */

/* x is (N, C, L) with C = G Cg channels in G groups: row (n, k) of the (N G, D)
 * view, D = Cg L, is channels [k Cg, (k + 1) Cg) of item n, and is normalised
 * over its D values (as a layer norm row), then scaled and shifted per channel:
 *   y = (x - mean) rstd w[c] + b[c],  rstd = 1 / sqrt(var + eps)   (biased var)
 * mean, rstd (length N G, double) are written for the backward. w, b (length C)
 * may be NULL. */
void pn_group_norm_forward_f32(const float *x, const float *w, const float *b, double eps, float *y,
                               double *mean, double *rstd, int64_t N, int64_t C, int64_t L,
                               int64_t G);
void pn_group_norm_forward_f64(const double *x, const double *w, const double *b, double eps,
                               double *y, double *mean, double *rstd, int64_t N, int64_t C,
                               int64_t L, int64_t G);
/* With xhat = (x - mean) rstd and gw = g w[c], per row (n, k):
 *   dx = rstd (gw - mean(gw) - xhat mean(gw xhat))      (means over the row's D values)
 * and over all items dw[c] = sum g xhat, db[c] = sum g (double, length C).
 * dx, dw, db may each be NULL. Returns 0 or PN_ENOMEM (nothing written). */
int pn_group_norm_backward_f32(const float *g, const float *x, const double *mean,
                               const double *rstd, const float *w, float *dx, double *dw,
                               double *db, int64_t N, int64_t C, int64_t L, int64_t G);
int pn_group_norm_backward_f64(const double *g, const double *x, const double *mean,
                               const double *rstd, const double *w, double *dx, double *dw,
                               double *db, int64_t N, int64_t C, int64_t L, int64_t G);
/* One float32 channel's sums in that backward: *sg = sum_l g, *sgx = sum_l g (x - mean)
 * over its L values. pn_gn_channel_sums_f32_kernel gives each kernel by name ("avx512",
 * "portable"), NULL where this CPU lacks it; every kernel gives the same bits. */
typedef void (*pn_gn_channel_sums_f32_fn)(const float *g, const float *x, int64_t L, double mean,
                                          double *sg, double *sgx);
pn_gn_channel_sums_f32_fn pn_gn_channel_sums_f32_kernel(const char *name);

/* -------------------------------------------------------------- dropout ---- */

/* Inverted dropout mask: mask[i] = scale with probability 1 - p, else 0, where
 * scale = 1 / (1 - p) (0 when p == 1). Then y = x * mask keeps E[y] = x, and
 * the backward is the same multiplication. Draws n uniforms from g. */
void pn_dropout_mask_f32(pn_rng *g, float *mask, int64_t n, double p);
void pn_dropout_mask_f64(pn_rng *g, double *mask, int64_t n, double p);

/* ------------------------------------------------------------ embedding ---- */

/* out[i] = weight[idx[i]] (rows of length D) for i < n. Returns PN_EINVAL with
 * *bad set to the first index outside [0, V). If zero_pad, rows whose index is
 * pad are written as zeros (used by the double backward). */
int pn_embedding_f32(const int64_t *idx, int64_t n, const float *weight, int64_t V, int64_t D,
                     float *out, int zero_pad, int64_t pad, int64_t *bad);
int pn_embedding_f64(const int64_t *idx, int64_t n, const double *weight, int64_t V, int64_t D,
                     double *out, int zero_pad, int64_t pad, int64_t *bad);
/* dweight (V, D), zeroed by the caller: dweight[idx[i]] += g[i], skipping
 * idx[i] == pad (pad < 0: none). Indices were checked by the forward. */
void pn_embedding_backward_f32(const int64_t *idx, int64_t n, const float *g, int64_t D,
                               float *dweight, int64_t pad);
void pn_embedding_backward_f64(const int64_t *idx, int64_t n, const double *g, int64_t D,
                               double *dweight, int64_t pad);

#endif
