/* ops/loss.c - loss functions: cross_entropy, nll_loss and the pointwise losses
 * (mse, l1, smooth_l1, huber, binary_cross_entropy[_with_logits], kl_div).
 *
 * Each loss's forward is one kernel of ../kernels/loss.c (cross_entropy is
 * composed, as PyTorch composes it: nll_loss of log_softmax). Each backward is
 * written once, with differentiable ops, so that create_graph=True can
 * differentiate it again. Reductions are PN_REDUCTION_NONE / _MEAN / _SUM.
 */
#include "compose.h"
#include "../kernels/loss.h"
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------- helpers ---- */

/* The loss tensor of a reduction: a 0-d tensor holding v. */
static PNTensor *scalar(pn_dtype dt, double v) {
    return pn_full(dt, 0, NULL, v);
}

static void weight_not_differentiable(const char *fn, const char *arg) {
    PyErr_Format(PyExc_RuntimeError,
                 "The function '%s' is not differentiable with respect to argument '%s'. This "
                 "input cannot have requires_grad True.",
                 fn, arg);
}

/* ------------------------------------------------------------ nll_loss ---- */

/* The class losses see input as (N, C, S) and positions as (N, S); for a 1-D
 * input (C,) there is one position. */
typedef struct {
    int64_t N, C, S;
    int cdim; /* the class dimension of the input: 1, or 0 for a 1-D input */
} class_shape;

static void get_class_shape(const int ndim, const int64_t *shape, class_shape *cs) {
    cs->cdim = ndim == 1 ? 0 : 1;
    cs->N = ndim == 1 ? 1 : shape[0];
    cs->C = shape[cs->cdim];
    cs->S = 1;
    for (int d = 2; d < ndim; d++) cs->S *= shape[d];
}

/* Check input and class-index target shapes like PyTorch's nll_loss_nd. */
static int check_index_target(PNTensor *x, PNTensor *t, const char *op) {
    if (x->ndim < 1) {
        PyErr_Format(PyExc_ValueError, "Expected 1 or more dimensions (got %d)", x->ndim);
        return -1;
    }
    if (!pn_is_float(x->dtype)) {
        PyErr_Format(PyExc_RuntimeError, "%s: expected a floating point input, got %s", op,
                     pn_dtype_name(x->dtype));
        return -1;
    }
    if (t->dtype != PN_INT64) {
        PyErr_Format(PyExc_RuntimeError, "expected target dtype to be Long or Byte, but got %s",
                     t->dtype == PN_FLOAT32   ? "Float"
                     : t->dtype == PN_FLOAT64 ? "Double"
                                              : "Bool");
        return -1;
    }
    if (x->ndim != 1 && (t->ndim < 1 || t->shape[0] != x->shape[0])) {
        PyErr_Format(PyExc_ValueError,
                     "Expected input batch_size (%lld) to match target "
                     "batch_size (%lld).",
                     (long long)x->shape[0], (long long)(t->ndim ? t->shape[0] : 1));
        return -1;
    }
    if (x->ndim <= 2) {
        if (t->ndim > 1) {
            PyErr_SetString(PyExc_RuntimeError,
                            "0D or 1D target tensor expected, multi-target not supported");
            return -1;
        }
        if (x->ndim == 1 && t->numel != 1) {
            char b[128];
            pn_format_list(b, sizeof b, t->ndim, t->shape);
            PyErr_Format(PyExc_ValueError,
                         "Expected a 0-d target for an input of shape [%lld], got target of "
                         "shape %s",
                         (long long)x->shape[0], b);
            return -1;
        }
        return 0;
    }
    int same = t->ndim == x->ndim - 1;
    for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == x->shape[d ? d + 1 : 0];
    if (!same) {
        int64_t want[PN_MAX_DIMS];
        int nd = 0;
        for (int d = 0; d < x->ndim; d++)
            if (d != 1) want[nd++] = x->shape[d];
        char a[256], b[256];
        pn_format_list(a, sizeof a, nd, want);
        pn_format_list(b, sizeof b, t->ndim, t->shape);
        PyErr_Format(PyExc_RuntimeError, "Expected target size %s, got %s", a, b);
        return -1;
    }
    return 0;
}

static int check_weight(PNTensor *w, int64_t C) {
    if (w && (w->ndim != 1 || w->numel != C)) {
        char b[256];
        pn_format_list(b, sizeof b, w->ndim, w->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "weight tensor should be defined either for all %lld classes or no classes "
                     "but got weight tensor of shape: %s",
                     (long long)C, b);
        return -1;
    }
    return 0;
}

static const char *torch_type_name(pn_dtype dt) {
    return dt == PN_FLOAT64   ? "Double"
           : dt == PN_FLOAT32 ? "Float"
           : dt == PN_INT64   ? "Long"
                              : "Bool";
}

/* nll_loss takes the weight in the input's dtype, without promotion. */
static int check_weight_dtype(PNTensor *w, PNTensor *x) {
    if (w && w->dtype != x->dtype) {
        PyErr_Format(PyExc_RuntimeError, "expected scalar type %s but found %s",
                     torch_type_name(x->dtype), torch_type_name(w->dtype));
        return -1;
    }
    return 0;
}

static void target_error(int64_t bad, int64_t C) {
    PyErr_Format(PyExc_IndexError,
                 "Target %lld is out of bounds (expected a class index in "
                 "[0, %lld)).",
                 (long long)bad, (long long)C);
}

/* Shape of the per-position loss ('none'): input shape without the class dim. */
static int position_shape(PNTensor *x, int64_t *shape) {
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != (x->ndim == 1 ? 0 : 1)) shape[nd++] = x->shape[d];
    return nd;
}

/* Reduce per-position losses `loss` to the result. */
static PNTensor *reduce_loss(PNTensor *loss, int reduction, double denom) {
    if (reduction == PN_REDUCTION_NONE) {
        Py_INCREF(loss);
        return loss;
    }
    double s = pn_loss_sum(loss->dtype, loss->numel, loss->data);
    return scalar(loss->dtype, reduction == PN_REDUCTION_MEAN ? s / denom : s);
}

/* The weight of the class dimension, shaped to broadcast against the input:
 * (C,) for a 1-D input, (C, 1, .., 1) otherwise. */
static PNTensor *class_view(PNTensor *w, const PNTensor *x) {
    int64_t shape[PN_MAX_DIMS];
    int nd = 0;
    for (int d = 1; d < x->ndim; d++) shape[nd++] = d == 1 ? x->shape[1] : 1;
    if (x->ndim == 1) shape[nd++] = x->shape[0];
    return pn_reshape(w, nd, shape);
}

/* g, the gradient of the loss, as a tensor broadcasting against the input:
 * g * scale for a reduction, g with the class dim put back for 'none'. */
static PNTensor *grad_positions(scope *s, PNTensor *g, int reduction, double scale, int ndim) {
    if (reduction != PN_REDUCTION_NONE) return BS(s, PN_MUL, g, scale);
    if (ndim <= 1) return g;
    return keep(s, pn_unsqueeze(g, 1));
}

/* State of NllLossBackward0 (target and weight are saved tensors, slots 1-2). */
typedef struct {
    int64_t ignore_index; /* class index whose positions get no loss and no gradient */
    int reduction;
    double scale; /* 1 / the weight sum for 'mean' (0 if every target is ignored), else 1 */
} nll_loss_state;

/* x (N, C, *), target (N, *), weight (C) -> dx (N, C, *) of
 *   loss = -w_t x[t] per position (0 where t == ignore_index):
 *   dx = -g q, q = w_t onehot(t), a constant made by the kernel, so the
 *   product is differentiable in g (create_graph) through the mul; with no
 *   graph to record, pn_nll_loss_backward writes the same products directly. */
static int nll_loss_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const nll_loss_state *st = PN_STATE(n, nll_loss_state);
    const PNMeta *m = &n->meta[0];
    class_shape cs;
    get_class_shape(m->ndim, m->shape, &cs);
    PNTensor *t = pn_unpack(n, 1), *w = t && n->saved[2] ? pn_unpack(n, 2) : NULL;
    if (!t || (n->saved[2] && !w)) {
        Py_XDECREF(t);
        return -1;
    }
    scope s = {.n = 0};
    PNTensor *tc = keep(&s, pn_to_contiguous_nograd(t)),
             *wc = w ? keep(&s, pn_to_contiguous_nograd(w)) : NULL;
    pn_nll_loss_args a = {cs.N,
                          cs.C,
                          cs.S,
                          tc ? (const int64_t *)tc->data : NULL,
                          wc ? wc->data : NULL,
                          st->ignore_index};
    PNTensor *gE =
        tc && (!w || wc) ? grad_positions(&s, gout[0], st->reduction, st->scale, m->ndim) : NULL;
    if (gE && gE->dtype == m->dtype && !(pn_grad_mode && pn_requires_grad(gE))) {
        /* no graph to record: -g q in one pass (the mul and neg below took three
         * passes over dx, and building q a fourth) */
        PNTensor *gc = keep(&s, pn_to_contiguous_nograd(gE));
        PNTensor *dx = gc ? keep(&s, pn_empty(m->dtype, m->ndim, m->shape)) : NULL;
        if (dx) pn_nll_loss_backward(m->dtype, &a, gc->data, gc->ndim ? 1 : 0, dx->data);
        gin[0] = give(&s, dx);
    } else {
        PNTensor *q = gE ? keep(&s, pn_empty(m->dtype, m->ndim, m->shape)) : NULL;
        const float m1f = -1.0f;
        const double m1d = -1.0;
        if (q) /* g = -1: q itself */
            pn_nll_loss_backward(m->dtype, &a, m->dtype == PN_FLOAT32 ? (const void *)&m1f : &m1d,
                                 0, q->data);
        gin[0] = give(&s, U(&s, PN_NEG, B(&s, PN_MUL, gE, q)));
    }
    Py_DECREF(t), Py_XDECREF(w);
    return gin[0] ? 0 : -1;
}

/* x (N, C, *) or (C) log-probabilities, target (N, *) or (), weight (C) or NULL
 *   -> loss () or (N, *): -w_t x[t] per position, reduced */
PNTensor *pn_nll_loss(PNTensor *x, PNTensor *t, PNTensor *w, int64_t ignore_index, int reduction) {
    if (check_index_target(x, t, "nll_loss") < 0) return NULL;
    class_shape cs;
    get_class_shape(x->ndim, x->shape, &cs);
    if (check_weight(w, cs.C) < 0) return NULL;
    if (w && pn_requires_grad(w) && pn_grad_mode) {
        weight_not_differentiable("nll_loss_forward", "weight");
        return NULL;
    }
    if (check_weight_dtype(w, x) < 0) return NULL;
    pn_dtype dt = x->dtype;
    int64_t pshape[PN_MAX_DIMS];
    int pnd = position_shape(x, pshape);
    scope s = {.n = 0};
    PNTensor *wd = w ? keep(&s, pn_dense_copy(w, dt, 1, &cs.C)) : NULL;
    PNTensor *xc = !w || wd ? keep(&s, pn_to_contiguous_nograd(x)) : NULL,
             *tc = xc ? keep(&s, pn_to_contiguous_nograd(t)) : NULL;
    PNTensor *loss = tc ? keep(&s, pn_empty(dt, pnd, pshape)) : NULL, *out = NULL;
    double wsum = 0;
    int64_t bad = 0;
    pn_nll_loss_args a = {
        cs.N,        cs.C, cs.S, tc ? (const int64_t *)tc->data : NULL, wd ? wd->data : NULL,
        ignore_index};
    if (loss && pn_nll_loss_forward(dt, &a, xc->data, loss->data, &wsum, &bad))
        target_error(bad, cs.C);
    else if (loss)
        out = keep(&s, reduce_loss(loss, reduction, wsum));
    PNNode *n = out ? pn_record(out, "NllLossBackward0", nll_loss_backward, 1, &x) : NULL;
    nll_loss_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->ignore_index = ignore_index, st->reduction = reduction;
        /* every target ignored (wsum 0): the loss is NaN, each gradient 0 */
        st->scale = reduction != PN_REDUCTION_MEAN ? 1.0 : wsum > 0 ? 1.0 / wsum : 0.0;
        if (pn_save(n, 1, t, 0) == 0 && wd) pn_save(n, 2, wd, 0);
    }
    return give(&s, PyErr_Occurred() ? NULL : out);
}

/* ------------------------------------------------------- cross_entropy ---- */

/* Check cross_entropy's arguments like PyTorch: x (N, C, *) or (C), target
 * (N, *) class indices or x's shape probabilities, weight (C) or NULL, eps in
 * [0, 1]. Sets *is_prob_out (probability targets) and x's class shape. */
static int check_cross_entropy_args(PNTensor *x, PNTensor *t, PNTensor *w, double eps,
                                    int *is_prob_out, class_shape *cs) {
    if (!(eps >= 0.0 && eps <= 1.0)) {
        char buf[64];
        snprintf(buf, sizeof buf, "%g", eps); /* PyErr_Format has no %g */
        PyErr_Format(PyExc_RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: %s",
                     buf);
        return -1;
    }
    int is_prob = x->ndim == t->ndim;
    for (int d = 0; is_prob && d < x->ndim; d++) is_prob = x->shape[d] == t->shape[d];
    *is_prob_out = is_prob;
    if (is_prob && !pn_is_float(t->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "Expected floating point type for target with class probabilities, got %s",
                     t->dtype == PN_INT64 ? "Long" : "Bool");
        return -1;
    }
    if (x->ndim < 1) {
        PyErr_Format(PyExc_ValueError, "Expected 1 or more dimensions (got %d)", x->ndim);
        return -1;
    }
    if (!pn_is_float(x->dtype)) {
        PyErr_Format(PyExc_NotImplementedError,
                     "cross_entropy: expected a floating point input, got %s",
                     pn_dtype_name(x->dtype));
        return -1;
    }
    if (!is_prob && check_index_target(x, t, "cross_entropy") < 0) return -1;
    get_class_shape(x->ndim, x->shape, cs);
    if (check_weight(w, cs->C) < 0) return -1;
    if (w && !is_prob && pn_requires_grad(w) && pn_grad_mode) {
        weight_not_differentiable("nll_loss_forward", "weight");
        return -1;
    }
    if (!is_prob && check_weight_dtype(w, x) < 0) return -1;
    return 0;
}

/* Probability targets: logp = log_softmax(x) (N, C, *), y (N, C, *), w (C) or NULL
 *   -> -sum_c w_c ((1 - eps) y_c + eps / C) logp_c per position, reduced
 *   ('mean' divides by the number of positions). */
static PNTensor *cross_entropy_prob(scope *s, PNTensor *logp, PNTensor *y, PNTensor *w, double eps,
                                    int reduction, const class_shape *cs) {
    PNTensor *q = eps > 0 ? BS(s, PN_ADD, BS(s, PN_MUL, y, 1 - eps), eps / (double)cs->C) : y;
    PNTensor *prod = B(s, PN_MUL, logp, q);
    if (w) prod = B(s, PN_MUL, prod, keep(s, class_view(w, logp)));
    if (reduction == PN_REDUCTION_NONE) return U(s, PN_NEG, SUM(s, prod, 1u << cs->cdim));
    PNTensor *total = U(s, PN_NEG, SUM(s, prod, 0));
    if (reduction == PN_REDUCTION_SUM) return total;
    int64_t positions = cs->C ? logp->numel / cs->C : 0; /* 0 positions: 0 / 0 = NaN */
    return BS(s, PN_DIV, total, (double)positions);
}

/* The 'mean' denominator of class-index targets t: the sum of w[t] over the
 * positions not ignored (their count without a weight). Targets are valid. */
static int class_weight_sum(PNTensor *t, PNTensor *w, int64_t ignore_index, int64_t C,
                            double *out) {
    PNTensor *tc = pn_to_contiguous_nograd(t),
             *wd = tc && w ? pn_dense_copy(w, PN_FLOAT64, 1, &C) : NULL;
    if (!tc || (w && !wd)) {
        Py_XDECREF(tc);
        return -1;
    }
    const int64_t *tv = (const int64_t *)tc->data;
    double sum = 0;
    for (int64_t i = 0; i < tc->numel; i++)
        if (tv[i] != ignore_index && tv[i] >= 0 && tv[i] < C) sum += wd ? F64(wd)[tv[i]] : 1.0;
    *out = sum;
    Py_DECREF(tc), Py_XDECREF(wd);
    return 0;
}

/* Class-index targets with label smoothing eps > 0: logp (N, C, *), t (N, *)
 *   -> (1 - eps) nll_loss(logp, t) + eps / C * smooth, where per position
 *   smooth = -sum_c w_c logp_c (0 at ignored positions), reduced like nll_loss. */
static PNTensor *cross_entropy_smoothed(scope *s, PNTensor *logp, PNTensor *t, PNTensor *w,
                                        int64_t ignore_index, int reduction, double eps,
                                        const class_shape *cs) {
    PNTensor *nll = keep(s, pn_nll_loss(logp, t, w, ignore_index, reduction));
    PNTensor *wlogp = w ? B(s, PN_MUL, logp, keep(s, class_view(w, logp))) : logp;
    PNTensor *smooth = nll ? U(s, PN_NEG, SUM(s, wlogp, 1u << cs->cdim)) : NULL;
    PNTensor *ignored = smooth ? BS(s, PN_EQ, t, (double)ignore_index) : NULL;
    smooth = ignored ? keep(s, pn_where_t(ignored, NULL, 0.0, smooth)) : NULL;
    PNTensor *r = reduction == PN_REDUCTION_NONE ? smooth : SUM(s, smooth, 0);
    double denom;
    if (r && reduction == PN_REDUCTION_MEAN) {
        if (class_weight_sum(t, w, ignore_index, cs->C, &denom) < 0) return NULL;
        r = BS(s, PN_DIV, r, denom);
    }
    return B(s, PN_ADD, SB(s, PN_MUL, 1 - eps, nll), BS(s, PN_MUL, r, eps / (double)cs->C));
}

/* x (N, C, *) or (C) logits, target (N, *) class indices or (N, C, *)
 * probabilities, weight (C) or NULL -> loss () or (N, *):
 *   cross_entropy(x, t) = nll_loss(log_softmax(x, class dim), t), with label
 *   smoothing and probability targets composed as in PyTorch, so the graph is
 *   LogSoftmaxBackward0 -> NllLossBackward0 (or the ops of the composition). */
PNTensor *pn_cross_entropy(PNTensor *x, PNTensor *t, PNTensor *w, int64_t ignore_index,
                           int reduction, double eps) {
    int is_prob;
    class_shape cs;
    if (check_cross_entropy_args(x, t, w, eps, &is_prob, &cs) < 0) return NULL;
    scope s = {.n = 0};
    PNTensor *r;
    if (is_prob) { /* -(log_softmax(x) * y * w).sum(1): the dtypes promote */
        pn_dtype dt = pn_promote(pn_promote(x->dtype, t->dtype), w ? w->dtype : x->dtype);
        PNTensor *xd = keep(&s, pn_to_dtype(x, dt)), *td = xd ? keep(&s, pn_to_dtype(t, dt)) : NULL;
        PNTensor *wd = td && w ? keep(&s, pn_to_dtype(w, dt)) : NULL;
        PNTensor *logp = td && (!w || wd) ? keep(&s, pn_softmax(xd, cs.cdim, 1)) : NULL;
        r = logp ? cross_entropy_prob(&s, logp, td, wd, eps, reduction, &cs) : NULL;
    } else {
        PNTensor *logp = keep(&s, pn_softmax(x, cs.cdim, 1));
        if (!logp || eps == 0)
            r = logp ? keep(&s, pn_nll_loss(logp, t, w, ignore_index, reduction)) : NULL;
        else
            r = cross_entropy_smoothed(&s, logp, t, w, ignore_index, reduction, eps, &cs);
    }
    return give(&s, r);
}

/* ---------------------------------------------------- pointwise losses ---- */

static const char *const pointwise_names[PN_NLOSS] = {"MseLossBackward0",
                                                      "L1LossBackward0",
                                                      "SmoothL1LossBackward0",
                                                      "HuberLossBackward0",
                                                      "BinaryCrossEntropyBackward0",
                                                      "BinaryCrossEntropyWithLogitsBackward0",
                                                      "KlDivBackward0",
                                                      "KlDivBackward0"};

/* Broadcast shape of the (non-NULL) tensors, or -1 with PyTorch's error. */
static int broadcast_all(PNTensor **ts, int n, int64_t *shape) {
    int nd = 0;
    for (int k = 0; k < n; k++) {
        int64_t prev[PN_MAX_DIMS];
        memcpy(prev, shape, sizeof(int64_t) * nd);
        if (ts[k] && pn_broadcast_shapes(nd, prev, ts[k]->ndim, ts[k]->shape, &nd, shape, "loss"))
            return -1;
    }
    return nd;
}

/* dl/dx and dl/dy (before the weight w) of the pointwise loss `kind` as
 * differentiable ops on x, y, pos_weight pw, d = x - y (all broadcasting);
 * dy is NULL when not wanted, and left NULL for the losses of d, whose dy is
 * -dx. Temporaries go to s. */
static void pointwise_loss_derivatives(scope *s, pn_pointwise_loss kind, PNTensor *x, PNTensor *y,
                                       PNTensor *pw, double param, PNTensor *d, PNTensor **dx,
                                       PNTensor **dy) {
    PNTensor *sg;
    switch (kind) {
    case PN_LOSS_MSE:
        *dx = BS(s, PN_MUL, d, 2.0);
        break;
    case PN_LOSS_L1:
        *dx = U(s, PN_SIGN, d);
        break;
    case PN_LOSS_SMOOTH_L1:
        sg = U(s, PN_SIGN, d);
        if (param == 0) {
            *dx = sg;
        } else {
            /* d / beta unless |d| >= beta: a NaN d gives NaN, as in PyTorch (sign(NaN) is 0) */
            PNTensor *out = BS(s, PN_GE, U(s, PN_ABS, d), param);
            PNTensor *lin = BS(s, PN_MUL, d, 1.0 / param);
            *dx = out && lin && sg ? keep(s, pn_where_t(out, sg, 0, lin)) : NULL;
        }
        break;
    case PN_LOSS_HUBER: {
        PNTensor *out = BS(s, PN_GT, U(s, PN_ABS, d), param);
        PNTensor *cl = BS(s, PN_MUL, U(s, PN_SIGN, d), param);
        *dx = out && cl ? keep(s, pn_where_t(out, cl, 0, d)) : NULL;
        break;
    }
    case PN_LOSS_BCE: { /* dx = w d / max(x (1 - x), 1e-12),  dy = w (log1p(-x) - log x) */
        PNTensor *den = B(s, PN_MUL, x, SB(s, PN_SUB, 1.0, x));
        /* PyTorch's EPSILON 1e-12 rounded to float (as its kernel has it): the float64
         * gradients where the clamp acts agree with PyTorch's to the last bit */
        PyObject *lo = PyFloat_FromDouble((double)1e-12f);
        PNTensor *denc = lo && den ? keep(s, pn_clamp(den, lo, NULL)) : NULL;
        Py_XDECREF(lo);
        *dx = B(s, PN_DIV, d, denc);
        if (dy) *dy = B(s, PN_SUB, U(s, PN_LOG1P, U(s, PN_NEG, x)), U(s, PN_LOG, x));
        break;
    }
    case PN_LOSS_BCE_LOGITS: {
        PNTensor *sig = U(s, PN_SIGMOID, x);
        if (!pw) { /* dx = sig - y, dy = -x */
            *dx = B(s, PN_SUB, sig, y);
            if (dy) *dy = U(s, PN_NEG, x);
        } else { /* dx = lw sig - pw y, dy = pw softplus(-x) - softplus(x) (= -x + (pw - 1)
                  * softplus(-x), PyTorch's form, finite or inf at x = -inf, pw = 1) */
            PNTensor *pm1 = BS(s, PN_SUB, pw, 1.0);
            PNTensor *lw = BS(s, PN_ADD, B(s, PN_MUL, pm1, y), 1.0);
            *dx = B(s, PN_SUB, B(s, PN_MUL, lw, sig), B(s, PN_MUL, pw, y));
            if (!dy) break;
            PNTensor *l = U(s, PN_LOG1P, U(s, PN_EXP, U(s, PN_NEG, U(s, PN_ABS, x))));
            PNTensor *spn = B(s, PN_ADD, U(s, PN_RELU, U(s, PN_NEG, x)), l); /* softplus(-x) */
            PNTensor *spp = B(s, PN_ADD, U(s, PN_RELU, x), l);               /* softplus(x) */
            *dy = B(s, PN_SUB, B(s, PN_MUL, pw, spn), spp);
        }
        break;
    }
    case PN_LOSS_KL: {
        *dx = U(s, PN_NEG, y);
        if (!dy) break;
        PNTensor *nz = BS(s, PN_NE, y, 0.0);
        PNTensor *ly = U(s, PN_LOG, y);
        PNTensor *xl = nz && ly ? keep(s, pn_where_t(nz, ly, 0, NULL)) : NULL;
        *dy = B(s, PN_SUB, B(s, PN_ADD, xl, B(s, PN_DIV, y, y)), x);
        break;
    }
    case PN_LOSS_KL_LOG: {
        PNTensor *e = U(s, PN_EXP, y);
        *dx = U(s, PN_NEG, e);
        if (dy) *dy = B(s, PN_MUL, e, BS(s, PN_ADD, B(s, PN_SUB, y, x), 1.0));
        break;
    }
    default:
        PyErr_SetString(PyExc_RuntimeError, "unknown loss");
        break;
    }
}

/* State of a pointwise loss's node (x, y, weight are saved tensors, slots 0-2;
 * x and y already have the compute dtype). */
typedef struct {
    PNTensor *pos_weight; /* owned, or NULL: BCE-with-logits' pos_weight */
    pn_pointwise_loss kind;
    int reduction;
    double param; /* beta of smooth_l1, delta of huber (unused by the others) */
    double scale; /* 1 / numel for a mean, else 1 */
} pointwise_loss_state;

/* g broadcast up to (at least) input m's shape: a derivative that does not depend on x
 * (kl_div's -y) lacks the dims that only x has; the engine sums the extra ones away */
static PNTensor *widen_to(scope *s, PNTensor *g, const PNMeta *m) {
    int nd;
    int64_t shape[PN_MAX_DIMS];
    if (!g || pn_broadcast_shapes(g->ndim, g->shape, m->ndim, m->shape, &nd, shape, "loss") < 0)
        return NULL;
    return nd == g->ndim && !memcmp(shape, g->shape, sizeof(int64_t) * nd)
               ? g
               : keep(s, pn_expand(g, nd, shape));
}

/* x, y, weight, pos_weight (broadcasting to *) -> dx, dy (*) of loss = l(x, y)
 * elementwise, l one of the formulas in kernels/loss.h (e.g. mse: (x - y)^2):
 *   dx = g w dl/dx,  dy = g w dl/dy   (w only for the binary cross entropies) */
static int pointwise_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const pointwise_loss_state *st = PN_STATE(n, pointwise_loss_state);
    PNTensor *x = pn_unpack(n, 0), *y = x ? pn_unpack(n, 1) : NULL;
    PNTensor *w = y && n->saved[2] ? pn_unpack(n, 2) : NULL;
    if (!y || (n->saved[2] && !w)) {
        Py_XDECREF(x), Py_XDECREF(y);
        return -1;
    }
    int need_x = n->next[0].fn != NULL, need_y = n->next[1].fn != NULL;
    scope s = {.n = 0};
    PNTensor *gE =
        st->reduction == PN_REDUCTION_NONE ? gout[0] : BS(&s, PN_MUL, gout[0], st->scale);
    PNTensor *d = B(&s, PN_SUB, x, y), *dx = NULL, *dy = NULL;
    pointwise_loss_derivatives(&s, st->kind, x, y, st->pos_weight, st->param, d, &dx,
                               need_y ? &dy : NULL);
    if (st->kind < PN_LOSS_BCE && need_y) dy = U(&s, PN_NEG, dx);
    if (w) dx = B(&s, PN_MUL, dx, w), dy = need_y ? B(&s, PN_MUL, dy, w) : NULL;
    PNTensor *gx = need_x ? widen_to(&s, B(&s, PN_MUL, gE, dx), &n->meta[0]) : NULL,
             *gy = need_y ? widen_to(&s, B(&s, PN_MUL, gE, dy), &n->meta[1]) : NULL;
    int ok = (!need_x || gx) && (!need_y || gy);
    if (ok) Py_XINCREF(gx), Py_XINCREF(gy), gin[0] = gx, gin[1] = gy;
    scope_free(&s);
    Py_DECREF(x), Py_DECREF(y), Py_XDECREF(w);
    return ok ? 0 : -1;
}

/* Check a pointwise loss's arguments like PyTorch; sets the compute dtype. */
static int check_pointwise_args(pn_pointwise_loss kind, PNTensor *x, PNTensor *y, PNTensor *w,
                                PNTensor *pw, double param, pn_dtype *dt) {
    const char *fname =
        kind == PN_LOSS_BCE ? "binary_cross_entropy" : "binary_cross_entropy_with_logits";
    if (kind == PN_LOSS_SMOOTH_L1 && param < 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "smooth_l1_loss does not support negative values for beta.");
        return -1;
    }
    if (kind == PN_LOSS_HUBER && !(param > 0)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "huber_loss does not support non-positive values for delta.");
        return -1;
    }
    *dt = pn_promote(x->dtype, y->dtype);
    if (kind == PN_LOSS_BCE || kind == PN_LOSS_BCE_LOGITS) {
        if (x->dtype != y->dtype) {
            PyErr_Format(PyExc_RuntimeError, "Found dtype %s but expected %s",
                         torch_type_name(y->dtype), torch_type_name(x->dtype));
            return -1;
        }
        if (pn_grad_mode && w && pn_requires_grad(w)) {
            weight_not_differentiable(fname, "weight");
            return -1;
        }
        if (pn_grad_mode && pw && pn_requires_grad(pw)) {
            weight_not_differentiable(fname, "pos_weight");
            return -1;
        }
    }
    if (!pn_is_float(*dt)) {
        PyErr_Format(PyExc_NotImplementedError,
                     "loss functions need a floating point input, not implemented for %s",
                     pn_dtype_name(*dt));
        return -1;
    }
    return 0;
}

/* a as a dense (ndim, shape) tensor of dtype dt for a kernel to read: a itself (a new
 * reference) when it is one already, else a copy (mse_loss of two (2048, 256) floats
 * copied both before reading them, half of its forward's time). */
static PNTensor *dense_as(PNTensor *a, pn_dtype dt, int ndim, const int64_t *shape) {
    if (a->dtype == dt && a->ndim == ndim && pn_is_contiguous(a) &&
        !memcmp(a->shape, shape, (size_t)ndim * sizeof *shape)) {
        Py_INCREF(a);
        return a;
    }
    return pn_dense_copy(a, dt, ndim, shape);
}

/* x, y, weight, pos_weight (broadcasting to *) -> loss () for 'mean' / 'sum',
 * (*) for 'none': the pointwise loss `kind` (kernels/loss.h) of each element. */
PNTensor *pn_elementwise_loss(pn_pointwise_loss kind, PNTensor *x, PNTensor *y, PNTensor *w,
                              PNTensor *pw, double param, int reduction) {
    pn_dtype dt;
    if (check_pointwise_args(kind, x, y, w, pw, param, &dt) < 0) return NULL;
    PNTensor *ts[4] = {x, y, w, pw};
    int64_t shape[PN_MAX_DIMS];
    int nd = broadcast_all(ts, 4, shape);
    if (nd < 0) return NULL;
    scope s = {.n = 0};
    /* x and y in the compute dtype (a recorded cast if needed); weights are constants */
    PNTensor *xd = keep(&s, pn_to_dtype(x, dt)), *yd = xd ? keep(&s, pn_to_dtype(y, dt)) : NULL;
    PNTensor *wd = yd && w ? keep(&s, pn_dense_copy(w, dt, w->ndim, w->shape)) : NULL;
    PNTensor *pd = yd && pw ? keep(&s, pn_dense_copy(pw, dt, pw->ndim, pw->shape)) : NULL;
    PNTensor *xe = yd && (!w || wd) && (!pw || pd) ? keep(&s, dense_as(xd, dt, nd, shape)) : NULL;
    PNTensor *ye = xe ? keep(&s, dense_as(yd, dt, nd, shape)) : NULL;
    PNTensor *we = ye && w ? keep(&s, dense_as(wd, dt, nd, shape)) : NULL;
    PNTensor *pe = ye && pw ? keep(&s, dense_as(pd, dt, nd, shape)) : NULL;
    int ready = ye && (!w || we) && (!pw || pe), none = reduction == PN_REDUCTION_NONE;
    /* 'none' writes each loss; 'mean' and 'sum' only add them up (kernels/loss.c) */
    PNTensor *loss = ready && none ? keep(&s, pn_empty(dt, nd, shape)) : NULL, *out = NULL;
    const void *wp = we ? we->data : NULL, *pp = pe ? pe->data : NULL;
    double total = 0;
    int64_t numel = ready ? xe->numel : 0;
    int rc = loss ? pn_pointwise_loss_forward(kind, dt, numel, xe->data, ye->data, wp, pp, param,
                                              loss->data)
             : ready && !none
                 ? pn_pointwise_loss_sum(kind, dt, numel, xe->data, ye->data, wp, pp, param, &total)
                 : PN_OK;
    if (rc == PN_ENOMEM)
        PyErr_NoMemory();
    else if (rc != PN_OK) /* PyTorch's messages, which name no values either */
        PyErr_SetString(PyExc_RuntimeError,
                        rc == PN_EINVAL ? "all elements of input should be between 0 and 1"
                                        : "all elements of target should be between 0 and 1");
    else if (loss)
        out = keep(&s, reduce_loss(loss, reduction, (double)numel));
    else if (ready)
        out = keep(&s, scalar(dt, reduction == PN_REDUCTION_MEAN ? total / (double)numel : total));
    PNTensor *inputs[2] = {xd, yd};
    PNNode *n = out ? pn_record(out, pointwise_names[kind], pointwise_backward, 2, inputs) : NULL;
    pointwise_loss_state *st = n ? pn_node_state(n, sizeof *st, 1) : NULL;
    if (st) {
        st->kind = kind, st->reduction = reduction, st->param = param;
        st->scale = reduction == PN_REDUCTION_MEAN ? 1.0 / (double)numel : 1.0;
        Py_XINCREF(pd), st->pos_weight = pd;
        if (pn_save(n, 0, xd, 0) == 0 && pn_save(n, 1, yd, 0) == 0 && wd) pn_save(n, 2, wd, 0);
    }
    return give(&s, PyErr_Occurred() ? NULL : out);
}
