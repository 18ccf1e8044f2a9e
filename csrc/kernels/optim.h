/* optim.h - fused optimizer updates: one pass over a parameter buffer.
 *
 * Each function applies one optimizer step to n contiguous elements of a
 * parameter p, given its gradient g and the optimizer's per-parameter state
 * buffers, reading and writing each array exactly once and allocating nothing.
 * The formulas (and the order of the floating-point operations) follow
 * PyTorch's single-tensor implementations in torch/optim/; every scalar
 * hyper-parameter is a double, rounded to the element type once, as PyTorch
 * does when it multiplies a float32 tensor by a Python number.
 *
 * dt is PN_FLOAT32 or PN_FLOAT64; every buffer has that element type. The
 * functions return PN_OK, or PN_EINVAL for another dtype.
 */
#ifndef PN_OPTIM_H
#define PN_OPTIM_H
#include "common.h"

/* SGD with momentum (PyTorch's torch.optim.SGD):
 *   g  = maximize ? -g : g;   g = g + weight_decay * p
 *   b  = first ? g : momentum * b + (1 - dampening) * g        (only if momentum != 0)
 *   g  = nesterov ? g + momentum * b : b                        (only if momentum != 0)
 *   p  = p - lr * g
 * buf may be NULL when momentum == 0. `first` is 1 on the step that creates the
 * momentum buffer: it is set to the gradient itself, without dampening. */
typedef struct {
    double lr, momentum, dampening, weight_decay;
    int nesterov, maximize, first;
} pn_sgd_args;
int pn_sgd_step(pn_dtype dt, void *p, const void *g, void *buf, int64_t n, const pn_sgd_args *a);

/* Adam and AdamW at step number `step` (1 on the first call):
 *   g  = maximize ? -g : g
 *   AdamW (decoupled):  p = p * (1 - lr * weight_decay)
 *   Adam:               g = g + weight_decay * p
 *   m  = lerp(m, g, 1 - beta1)                 first moment
 *   v  = beta2 * v + (1 - beta2) * g * g       second moment
 *   vmax = max(vmax, v); use vmax for v        (amsgrad only; vmax may be NULL otherwise)
 *   p  = p - lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)  */
typedef struct {
    double lr, beta1, beta2, eps, weight_decay, step;
    int amsgrad, maximize, decoupled;
} pn_adam_args;
int pn_adam_step(pn_dtype dt, void *p, const void *g, void *m, void *v, void *vmax, int64_t n,
                 const pn_adam_args *a);

/* Adagrad at step `step`:
 *   g = maximize ? -g : g;  g = g + weight_decay * p
 *   clr = lr / (1 + (step - 1) * lr_decay)
 *   s = s + g * g;  p = p - clr * g / (sqrt(s) + eps)  */
typedef struct {
    double lr, lr_decay, weight_decay, eps, step;
    int maximize;
} pn_adagrad_args;
int pn_adagrad_step(pn_dtype dt, void *p, const void *g, void *sum, int64_t n,
                    const pn_adagrad_args *a);

/* Adadelta:
 *   g = maximize ? -g : g;  g = g + weight_decay * p
 *   sq    = rho * sq + (1 - rho) * g * g
 *   delta = sqrt(acc + eps) / sqrt(sq + eps) * g
 *   acc   = rho * acc + (1 - rho) * delta * delta
 *   p     = p - lr * delta  */
typedef struct {
    double lr, rho, eps, weight_decay;
    int maximize;
} pn_adadelta_args;
int pn_adadelta_step(pn_dtype dt, void *p, const void *g, void *square_avg, void *acc_delta,
                     int64_t n, const pn_adadelta_args *a);

/* RMSprop:
 *   g  = maximize ? -g : g;  g = g + weight_decay * p
 *   sq = alpha * sq + (1 - alpha) * g * g
 *   centered: ga = lerp(ga, g, 1 - alpha); avg = sqrt(sq - ga * ga) + eps
 *   else:                                  avg = sqrt(sq) + eps
 *   momentum > 0: b = momentum * b + g / avg; p = p - lr * b
 *   else:         p = p - lr * g / avg
 * grad_avg may be NULL unless centered, buf NULL unless momentum > 0. */
typedef struct {
    double lr, alpha, eps, weight_decay, momentum;
    int centered, maximize;
} pn_rmsprop_args;
int pn_rmsprop_step(pn_dtype dt, void *p, const void *g, void *square_avg, void *grad_avg,
                    void *buf, int64_t n, const pn_rmsprop_args *a);

#endif
