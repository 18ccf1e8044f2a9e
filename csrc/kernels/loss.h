/* loss.h - loss functions: forward and backward kernels.
 *
 * Every kernel here works on contiguous arrays of one float dtype (float32 or
 * float64); the binding layer casts, broadcasts and makes operands contiguous
 * first, and does the final reduction ('mean' / 'sum') with pn_loss_sum.
 *
 * Classification losses see their input as (N, C, S): N samples, C classes and
 * S "spatial" positions per sample (S = 1 for the usual (N, C) input; for
 * (N, C, d1, d2) it is d1 * d2). Element (n, c, s) lives at x[(n * C + c) * S + s],
 * so one sample's scores for one position are C values S apart. Class-index
 * targets are (N, S) int64.
 */
#ifndef PN_LOSS_H
#define PN_LOSS_H
#include "common.h"

/* ---------------------------------------------------------- cross entropy ---- */

/* What a cross entropy / nll call is about. Exactly one of target / prob is set. */
typedef struct {
    int64_t N, C, S;
    const int64_t *target; /* class indices, (N, S), or NULL                     */
    const void *prob;      /* class probabilities, (N, C, S) of the dtype, or NULL */
    const void *weight;    /* per-class weights, (C,) of the dtype, or NULL      */
    int64_t ignore_index;  /* class-index targets equal to this contribute 0     */
    double smoothing;      /* label smoothing epsilon in [0, 1]                  */
} pn_cross_entropy_args;

/* Fused log-softmax + negative log likelihood, one pass per position.
 *
 * With lse = log(sum_c exp(x_c)) and log p_c = x_c - lse, the loss of one
 * position is  l = -sum_c q_c log p_c  for a "weighted target" q:
 *   class index t:  q_c = (1 - eps) w_t [c == t] + (eps / C) w_c   (0 if t is ignored)
 *   probabilities:  q_c = w_c ((1 - eps) y_c + eps / C)
 * (w = 1 without weights). lse is computed as m + log(sum exp(x - m)) with
 * m = max x, so no exp overflows even for huge logits.
 *
 * Args:
 *   dt: PN_FLOAT32 or PN_FLOAT64 (x, prob, weight, loss)
 *   a: shapes, targets, weight, options
 *   x: the logits, (N, C, S)
 *   loss: out, (N, S): l for each position
 *   lse: out, (N, S) doubles: log-sum-exp of each position, kept for backward
 *   wsum: out: sum of w_t over non-ignored positions (the 'mean' denominator
 *         for class-index targets); N * S for probability targets
 *   bad_target: out: the offending value when PN_EINVAL is returned
 * Returns PN_OK, or PN_EINVAL when a class index is outside [0, C) and is not
 * ignore_index.
 */
int pn_cross_entropy_forward(pn_dtype dt, const pn_cross_entropy_args *a, const void *x, void *loss,
                             double *lse, double *wsum, int64_t *bad_target);

/* Gradient of the cross entropy. Per position, d l / d x_c = p_c * sum_k q_k - q_c
 * with p = softmax(x) = exp(x - lse), scaled by that position's output gradient.
 *
 * Args:
 *   x, lse: as given to / produced by the forward
 *   g, g_stride: output gradient of position i is g[i * g_stride] * g_scale
 *                (g_stride 0: one value for all, the 'mean' / 'sum' case)
 *   gx: out, (N, C, S)
 *   gprob: out or NULL: d/d y_c = (1 - eps) w_c (lse - x_c) (probability targets)
 *   gweight: out or NULL: C doubles, d/d w_c summed over positions (probability targets)
 */
void pn_cross_entropy_backward(pn_dtype dt, const pn_cross_entropy_args *a, const void *x,
                               const double *lse, const void *g, int64_t g_stride, double g_scale,
                               void *gx, void *gprob, double *gweight);

/* The weighted target q of class-index targets, (N, C, S) of dt: the matrix
 * the cross entropy gradient subtracts, and (with eps = 0) minus the gradient
 * of nll_loss. Targets must already be validated. */
void pn_cross_entropy_weighted_target(pn_dtype dt, const pn_cross_entropy_args *a, void *q);

/* nll_loss: loss of a position = -w_t logp[t] (0 when t == ignore_index).
 *
 * Args:
 *   logp: (N, C, S) log-probabilities; a->target, a->weight, a->ignore_index used
 *   loss: out, (N, S);  wsum, bad_target: as for pn_cross_entropy_forward
 */
int pn_nll_loss_forward(pn_dtype dt, const pn_cross_entropy_args *a, const void *logp, void *loss,
                        double *wsum, int64_t *bad_target);

/* ------------------------------------------------------ pointwise losses ---- */

/* Losses of one prediction x and one target y each (d = x - y):
 *   MSE        d^2
 *   L1         |d|
 *   SMOOTH_L1  |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta      (param = beta; beta 0 is L1)
 *   HUBER      |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta)   (param = delta)
 *   BCE        -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100))
 *   BCE_LOGITS w ((1 - y) x + (1 + (pw - 1) y) softplus(-x))     (stable for any x)
 *   KL         y (log y - x)  (0 where y == 0)                  (x is a log-probability)
 *   KL_LOG     exp(y) (y - x)                                    (y is a log-probability too)
 */
typedef enum {
    PN_LOSS_MSE,
    PN_LOSS_L1,
    PN_LOSS_SMOOTH_L1,
    PN_LOSS_HUBER,
    PN_LOSS_BCE,
    PN_LOSS_BCE_LOGITS,
    PN_LOSS_KL,
    PN_LOSS_KL_LOG,
    PN_NLOSS
} pn_pointwise_loss;

/* Args:
 *   kind, dt: which loss; dtype of every array
 *   n: number of elements of every array
 *   x, y: prediction and target
 *   w: per-element weight or NULL (BCE, BCE_LOGITS)
 *   pw: per-element pos_weight or NULL (BCE_LOGITS)
 *   param: beta or delta
 *   out: the n losses
 * Returns PN_OK, or PN_EINVAL for BCE when some x is outside [0, 1] (or NaN).
 */
int pn_pointwise_loss_forward(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                              const void *y, const void *w, const void *pw, double param,
                              void *out);

/* Gradients of the pointwise losses: gx = g * dl/dx, gy = g * dl/dy, where the
 * output gradient of element i is g[i * g_stride] * g_scale. gx / gy may be NULL. */
void pn_pointwise_loss_backward(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                                const void *y, const void *w, const void *pw, double param,
                                const void *g, int64_t g_stride, double g_scale, void *gx,
                                void *gy);

/* Sum of n values of dt, accumulated in double. */
double pn_loss_sum(pn_dtype dt, int64_t n, const void *p);

#endif
