/* loss.h - loss functions: forward kernels. Their gradients are written with
 * differentiable ops in ops/loss.c.
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

/* --------------------------------------------------------------- nll loss ---- */

/* What an nll_loss call is about. */
typedef struct {
    int64_t N, C, S;
    const int64_t *target; /* class indices, (N, S)                          */
    const void *weight;    /* per-class weights, (C,) of the dtype, or NULL   */
    int64_t ignore_index;  /* targets equal to this contribute 0             */
} pn_nll_loss_args;

/* nll_loss: loss of a position = -w_t logp[t] (0 when t == ignore_index).
 * (cross_entropy is nll_loss of log_softmax, composed in ops/loss.c.)
 *
 * Args:
 *   dt: PN_FLOAT32 or PN_FLOAT64 (logp, weight, loss)
 *   logp: (N, C, S) log-probabilities
 *   loss: out, (N, S)
 *   wsum: out: sum of w_t over the positions not ignored (the 'mean' denominator)
 *   bad_target: out: the offending value when PN_EINVAL is returned
 * Returns PN_OK, or PN_EINVAL when a class index is outside [0, C) and is not
 * ignore_index.
 */
int pn_nll_loss_forward(pn_dtype dt, const pn_nll_loss_args *a, const void *logp, void *loss,
                        double *wsum, int64_t *bad_target);

/* nll_loss's gradient -g q, q the weighted one-hot target (q[n, t, s] = w_t where
 * t is the target of position (n, s), 0 elsewhere and at ignored positions), with
 * the bits of -(g * q): dx (N, C, S) of dt gets -(g w_t) at each position's target
 * and -(g 0) elsewhere. g = -1 (gs = 0) gives q itself. Targets must already be
 * validated.
 *
 * Args:
 *   g: the incoming gradient per position, element (n S + s) gs (gs = 0: one value)
 *   dx: out, (N, C, S)
 */
void pn_nll_loss_backward(pn_dtype dt, const pn_nll_loss_args *a, const void *g, int64_t gs,
                          void *dx);

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
 * Returns PN_OK, or for BCE: PN_EINVAL when some x is outside [0, 1] (or NaN),
 * PN_EOVERFLOW when some target y is (the first such element decides), or
 * PN_ENOMEM. Runs in chunks over the thread pool.
 */
int pn_pointwise_loss_forward(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                              const void *y, const void *w, const void *pw, double param,
                              void *out);

/* The sum of the n losses of pn_pointwise_loss_forward (each rounded to dt as
 * there), without writing them out: *sum in double, summed in chunks fixed by n
 * (the same bits at any thread count). Returns as pn_pointwise_loss_forward, or
 * PN_ENOMEM. */
int pn_pointwise_loss_sum(pn_pointwise_loss kind, pn_dtype dt, int64_t n, const void *x,
                          const void *y, const void *w, const void *pw, double param, double *sum);

/* Sum of n values of dt, accumulated in double. */
double pn_loss_sum(pn_dtype dt, int64_t n, const void *p);

#endif
