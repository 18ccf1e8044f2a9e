/* ops/loss.c - loss functions: cross_entropy, nll_loss and the pointwise losses
 * (mse, l1, smooth_l1, huber, binary_cross_entropy[_with_logits], kl_div).
 *
 * Forward and backward run in the kernels of ../kernels/loss.c on contiguous
 * operands. The Python wrappers (pynet/nn/_functional_loss.py) check the
 * reduction string and pass it as an int: 0 'none', 1 'mean', 2 'sum'.
 *
 * Backward with create_graph=True (pn_grad_mode set inside the backward) does
 * not call the kernels: it builds the same gradient from differentiable ops
 * (softmax, where, mul, ...), so that it can itself be differentiated.
 */
#include "ops.h"
#include "../kernels/loss.h"
#include <math.h>
#include <string.h>

enum { RED_NONE = 0, RED_MEAN = 1, RED_SUM = 2 };

/* ------------------------------------------------------------- helpers ---- */

/* A tensor argument that may be None. */
static int opt_tensor(PyObject *o, PNTensor **out, const char *what) {
    *out = NULL;
    if (o == Py_None) return 0;
    if (!PNTensor_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a Tensor or None, not %.100s", what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    *out = (PNTensor *)o;
    return 0;
}

/* The loss tensor of a reduction: a 0-d tensor holding v. */
static PNTensor *scalar(pn_dtype dt, double v) {
    return pn_full(dt, 0, NULL, v);
}

static PyObject *weight_not_differentiable(const char *fn, const char *arg) {
    PyErr_Format(PyExc_RuntimeError,
                 "The function '%s' is not differentiable with respect to argument '%s'. This "
                 "input cannot have requires_grad True.",
                 fn, arg);
    return NULL;
}

/* Temporaries of a composed (create_graph) backward, released together. Every
 * op helper below passes NULL through (an exception is then already set). */
typedef struct {
    PNTensor *t[48];
    int n;
} scope;
static PNTensor *keep(scope *s, PNTensor *t) {
    if (t) s->t[s->n++] = t;
    return t;
}
static void scope_free(scope *s) {
    for (int k = 0; k < s->n; k++) Py_DECREF(s->t[k]);
    s->n = 0;
}
static PNTensor *B(scope *s, pn_binary_op op, PNTensor *a, PNTensor *b) {
    return keep(s, a && b ? pn_binary_t(op, a, b) : NULL);
}
static PNTensor *BS(scope *s, pn_binary_op op, PNTensor *a, double v) {
    return keep(s, a ? pn_binary_s(op, a, v) : NULL);
}
static PNTensor *SB(scope *s, pn_binary_op op, double v, PNTensor *a) {
    return keep(s, a ? pn_binary_s_rev(op, v, a) : NULL);
}
static PNTensor *U(scope *s, pn_unary_op op, PNTensor *a) {
    return keep(s, a ? pn_unary(op, a) : NULL);
}
/* Result of a scope: a new reference to t (or NULL), then free the temporaries. */
static PNTensor *give(scope *s, PNTensor *t) {
    Py_XINCREF(t);
    scope_free(s);
    return t;
}

/* ------------------------------------------------ cross entropy and nll ---- */

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

static PyObject *target_error(int64_t bad, int64_t C) {
    PyErr_Format(PyExc_IndexError,
                 "Target %lld is out of bounds (expected a class index in "
                 "[0, %lld)).",
                 (long long)bad, (long long)C);
    return NULL;
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
    if (reduction == RED_NONE) {
        Py_INCREF(loss);
        return loss;
    }
    double s = pn_loss_sum(loss->dtype, loss->numel, loss->data);
    return scalar(loss->dtype, reduction == RED_MEAN ? s / denom : s);
}

/* The weight of the class dimension, shaped to broadcast against the input:
 * (C,) for a 1-D input, (C, 1, .., 1) otherwise. */
static PNTensor *class_view(PNTensor *w, const PNMeta *m) {
    int64_t shape[PN_MAX_DIMS];
    int nd = 0;
    for (int d = 1; d < m->ndim; d++) shape[nd++] = d == 1 ? m->shape[1] : 1;
    if (m->ndim == 1) shape[nd++] = m->shape[0];
    return pn_reshape(w, nd, shape);
}

/* g, the gradient of the loss, as a tensor broadcasting against the input:
 * g * scale for a reduction, g with the class dim put back for 'none'. */
static PNTensor *grad_positions(scope *s, PNTensor *g, int reduction, double scale, int ndim) {
    if (reduction != RED_NONE) return BS(s, PN_MUL, g, scale);
    if (ndim <= 1) return g;
    return keep(s, pn_unsqueeze(g, 1));
}

/* State of CrossEntropyLossBackward0 and NllLossBackward0 (x, target and weight
 * are saved tensors, slots 0-2; nll saves no x). */
typedef struct {
    PNTensor *lse;        /* owned, cross_entropy only: log-sum-exp of each position (float64) */
    int64_t ignore_index; /* class index whose positions get no loss and no gradient */
    int reduction;        /* RED_NONE, RED_MEAN or RED_SUM */
    double smoothing;     /* label_smoothing (cross_entropy) */
    double scale;         /* 1 / denominator of the mean, else 1 */
} class_loss_state;

/* The weighted target q (N, C, *) of class-index targets t (N, *), as a constant
 * tensor of x's dtype made by the kernel; weight w (C) or NULL. */
static PNTensor *cross_entropy_class_target(scope *s, const class_loss_state *st,
                                            const class_shape *cs, const PNMeta *m, PNTensor *x,
                                            PNTensor *t, PNTensor *w) {
    PNTensor *wc = w ? keep(s, pn_to_contiguous_nograd(w)) : NULL,
             *tc = keep(s, pn_to_contiguous_nograd(t));
    PNTensor *q = keep(s, pn_empty(x->dtype, m->ndim, m->shape));
    if (q && tc && (!w || wc)) {
        pn_cross_entropy_args a = {cs->N,
                                   cs->C,
                                   cs->S,
                                   (const int64_t *)tc->data,
                                   NULL,
                                   wc ? wc->data : NULL,
                                   st->ignore_index,
                                   st->smoothing};
        pn_cross_entropy_weighted_target(x->dtype, &a, q->data);
    }
    return q;
}

/* cross_entropy's backward as differentiable ops (create_graph): x (N, C, *),
 * t (N, *) class indices or (N, C, *) probabilities, w (C) or NULL, g the loss
 * gradient -> gin[0] dx (N, C, *), gin[1] dt (probabilities), gin[2] dw (C).
 * With q the weighted target, gx = g (softmax(x) sum(q) - q). */
static int cross_entropy_backward_composed(PNNode *n, const class_loss_state *st,
                                           const class_shape *cs, PNTensor *x, PNTensor *t,
                                           PNTensor *w, PNTensor *g, PNTensor **gin) {
    const PNMeta *m = &n->meta[0];
    double eps = st->smoothing;
    int rc = -1;
    scope s = {.n = 0};
    uint32_t cmask = 1u << cs->cdim;
    PNTensor *gE = grad_positions(&s, g, st->reduction, st->scale, m->ndim);
    PNTensor *wv = w ? keep(&s, class_view(w, m)) : NULL, *q, *yq = NULL;
    if (t->dtype != PN_INT64) { /* q = w ((1 - eps) y + eps / C) */
        yq = BS(&s, PN_ADD, BS(&s, PN_MUL, t, 1 - eps), eps / (double)cs->C);
        q = w ? B(&s, PN_MUL, yq, wv) : yq;
    } else { /* a constant, from the kernel */
        q = cross_entropy_class_target(&s, st, cs, m, x, t, w);
    }
    PNTensor *sq = keep(&s, q ? pn_sum(q, cmask, 1, 0, q->dtype) : NULL);
    PNTensor *p = keep(&s, pn_softmax(x, cs->cdim, 0));
    PNTensor *gx = B(&s, PN_MUL, gE, B(&s, PN_SUB, B(&s, PN_MUL, p, sq), q));
    PNTensor *nlogp =
        n->next[1].fn || n->next[2].fn ? U(&s, PN_NEG, keep(&s, pn_softmax(x, cs->cdim, 1))) : NULL;
    PNTensor *gy = NULL, *gw = NULL;
    if (n->next[1].fn) { /* d/dy = (1 - eps) w (-log p) */
        PNTensor *a = BS(&s, PN_MUL, B(&s, PN_MUL, gE, nlogp), 1 - eps);
        gy = w ? B(&s, PN_MUL, a, wv) : a;
    }
    if (n->next[2].fn) { /* d/dw_c = sum over positions of ((1 - eps) y + eps/C)(-log p) */
        PNTensor *a = B(&s, PN_MUL, B(&s, PN_MUL, gE, nlogp), yq);
        uint32_t all = m->ndim ? (uint32_t)((1ull << m->ndim) - 1) & ~cmask : 0;
        gw = a ? (all ? keep(&s, pn_sum(a, all, 0, 0, a->dtype)) : a) : NULL;
    }
    if (gx && (!n->next[1].fn || gy) && (!n->next[2].fn || gw)) {
        Py_INCREF(gx), gin[0] = gx;
        if (gy) Py_INCREF(gy), gin[1] = gy;
        if (gw) Py_INCREF(gw), gin[2] = gw;
        rc = 0;
    }
    scope_free(&s);
    return rc;
}

/* cross_entropy's backward by the kernel: shapes as in the composed form; dw
 * comes out as float64 (C) and the engine casts it to w's dtype. */
static int cross_entropy_backward_kernel(PNNode *n, const class_loss_state *st,
                                         const class_shape *cs, PNTensor *x, PNTensor *t,
                                         PNTensor *w, PNTensor *g, PNTensor **gin) {
    const PNMeta *m = &n->meta[0];
    int is_prob = t->dtype != PN_INT64, reduction = st->reduction, rc = -1;
    PNTensor *xc = pn_to_contiguous_nograd(x), *tc = xc ? pn_to_contiguous_nograd(t) : NULL;
    PNTensor *wc = tc && w ? pn_to_contiguous_nograd(w) : NULL;
    PNTensor *gc = (!tc || (w && !wc)) ? NULL : pn_to_contiguous_nograd(g);
    PNTensor *gx = gc ? pn_empty(x->dtype, m->ndim, m->shape) : NULL;
    PNTensor *gy = gx && n->next[1].fn ? pn_empty(x->dtype, m->ndim, m->shape) : NULL;
    PNTensor *gw = gx && n->next[2].fn ? pn_empty(PN_FLOAT64, 1, &cs->C) : NULL;
    if (gx && (!n->next[1].fn || gy) && (!n->next[2].fn || gw)) {
        pn_cross_entropy_args a = {cs->N,
                                   cs->C,
                                   cs->S,
                                   is_prob ? NULL : (const int64_t *)tc->data,
                                   is_prob ? tc->data : NULL,
                                   wc ? wc->data : NULL,
                                   st->ignore_index,
                                   st->smoothing};
        PNTensor *lse = st->lse;
        pn_cross_entropy_backward(x->dtype, &a, xc->data, (const double *)lse->data, gc->data,
                                  reduction == RED_NONE ? 1 : 0,
                                  reduction == RED_NONE ? 1.0 : st->scale, gx->data,
                                  gy ? gy->data : NULL, gw ? (double *)gw->data : NULL);
        gin[0] = gx, gin[1] = gy, gin[2] = gw;
        gx = gy = gw = NULL;
        rc = 0;
    }
    Py_XDECREF(xc), Py_XDECREF(tc), Py_XDECREF(wc), Py_XDECREF(gc);
    Py_XDECREF(gx), Py_XDECREF(gy), Py_XDECREF(gw);
    return rc;
}

/* x (N, C, *), target (N, *) or (N, C, *), weight (C) -> dx, dtarget, dweight
 * of loss = -sum_c q_c log softmax(x)_c per position, q the weighted target.
 * Inputs: {x, probability target or NULL, weight (prob targets) or NULL}. */
static int cross_entropy_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const class_loss_state *st = PN_STATE(n, class_loss_state);
    const PNMeta *m = &n->meta[0];
    class_shape cs;
    get_class_shape(m->ndim, m->shape, &cs);
    PNTensor *x = pn_unpack(n, 0), *t = x ? pn_unpack(n, 1) : NULL;
    PNTensor *w = t && n->saved[2] ? pn_unpack(n, 2) : NULL;
    if (!t || (n->saved[2] && !w)) {
        Py_XDECREF(x), Py_XDECREF(t);
        return -1;
    }
    int rc = pn_grad_mode ? cross_entropy_backward_composed(n, st, &cs, x, t, w, gout[0], gin)
                          : cross_entropy_backward_kernel(n, st, &cs, x, t, w, gout[0], gin);
    Py_DECREF(x), Py_DECREF(t), Py_XDECREF(w);
    return rc;
}

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
    if (w && !is_prob && w->requires_grad && pn_grad_mode) {
        weight_not_differentiable("nll_loss_forward", "weight");
        return -1;
    }
    if (!is_prob && check_weight_dtype(w, x) < 0) return -1;
    return 0;
}

/* _C.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
 * x (N, C, *), target (N, *) or (N, C, *), weight (C) -> loss () or (N, *) */
static PyObject *py_cross_entropy(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *t, *w;
    PyObject *wobj;
    long long ignore_index;
    int reduction;
    double eps;
    if (!PyArg_ParseTuple(args, "O!O!OLid:cross_entropy", &PNTensor_Type, &x, &PNTensor_Type, &t,
                          &wobj, &ignore_index, &reduction, &eps) ||
        opt_tensor(wobj, &w, "weight") < 0)
        return NULL;
    int is_prob;
    class_shape cs;
    if (check_cross_entropy_args(x, t, w, eps, &is_prob, &cs) < 0) return NULL;

    /* probability targets: the loss is -(log_softmax(x) * y * w).sum(1), so the
     * dtypes promote; class indices: the weight must have the input's dtype */
    pn_dtype dt = x->dtype;
    if (is_prob) dt = pn_promote(pn_promote(dt, t->dtype), w ? w->dtype : dt);
    PNTensor *td = NULL, *wd = NULL, *xc = NULL, *tc = NULL, *wc = NULL, *loss = NULL;
    PNTensor *lse = NULL, *out = NULL;
    int64_t pshape[PN_MAX_DIMS], npos = cs.N * cs.S;
    int pnd = position_shape(x, pshape);
    /* targets and weights in the input's dtype; casts of differentiable ones are recorded */
    PNTensor *xd = pn_to_dtype(x, dt);
    if (!xd) return NULL;
    td = is_prob ? pn_to_dtype(t, dt) : (Py_INCREF(t), t);
    wd = !td ? NULL : w ? pn_to_dtype(w, dt) : NULL;
    if (!td || (w && !wd)) goto done;
    xc = pn_to_contiguous_nograd(xd), tc = xc ? pn_to_contiguous_nograd(td) : NULL;
    wc = tc && wd ? pn_to_contiguous_nograd(wd) : NULL;
    loss = tc && (!wd || wc) ? pn_empty(dt, pnd, pshape) : NULL;
    lse = loss ? pn_empty(PN_FLOAT64, 1, &npos) : NULL;
    if (!lse) goto done;
    pn_cross_entropy_args a = {cs.N,
                               cs.C,
                               cs.S,
                               is_prob ? NULL : (const int64_t *)tc->data,
                               is_prob ? tc->data : NULL,
                               wc ? wc->data : NULL,
                               ignore_index,
                               eps};
    double wsum = 0;
    int64_t bad = 0;
    if (pn_cross_entropy_forward(dt, &a, xc->data, loss->data, (double *)lse->data, &wsum, &bad)) {
        target_error(bad, cs.C);
        goto done;
    }
    out = reduce_loss(loss, reduction, wsum);
    if (!out) goto done;
    PNTensor *inputs[3] = {xd, is_prob ? td : NULL, is_prob ? wd : NULL};
    PNNode *n = pn_record(out, "CrossEntropyLossBackward0", cross_entropy_backward, 3, inputs);
    class_loss_state *st = n ? pn_node_state(n, sizeof *st, 1) : NULL;
    if (st) {
        st->ignore_index = ignore_index, st->reduction = reduction;
        st->smoothing = eps, st->scale = reduction == RED_MEAN ? 1.0 / wsum : 1.0;
        Py_INCREF(lse), st->lse = lse;
        if (pn_save(n, 0, xd, 0) == 0 && pn_save(n, 1, td, 0) == 0 && wd) pn_save(n, 2, wd, 0);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
done:
    Py_DECREF(xd);
    Py_XDECREF(td), Py_XDECREF(wd), Py_XDECREF(xc), Py_XDECREF(tc), Py_XDECREF(wc);
    Py_XDECREF(loss), Py_XDECREF(lse);
    return (PyObject *)out;
}

/* x (N, C, *), target (N, *), weight (C) -> dx (N, C, *) of
 * loss = -w_t x[t] per position (0 where t == ignore_index): dx = -g w_t onehot(t).
 * node: saved {-, target, weight}; state: class_loss_state (no lse, no smoothing). */
static int nll_loss_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const class_loss_state *st = PN_STATE(n, class_loss_state);
    const PNMeta *m = &n->meta[0];
    int reduction = st->reduction;
    double scale = st->scale;
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
    PNTensor *r = NULL;
    if (tc && (!w || wc)) {
        pn_cross_entropy_args a = {cs.N,
                                   cs.C,
                                   cs.S,
                                   (const int64_t *)tc->data,
                                   NULL,
                                   wc ? wc->data : NULL,
                                   st->ignore_index,
                                   0.0};
        /* dx = -g * w_t onehot(t): q = w_t onehot(t) does not depend on x, so the
         * product is differentiable in g (create_graph) through the mul */
        PNTensor *q = keep(&s, pn_empty(m->dtype, m->ndim, m->shape));
        if (q) pn_cross_entropy_weighted_target(m->dtype, &a, q->data);
        PNTensor *gE = q ? grad_positions(&s, gout[0], reduction, scale, m->ndim) : NULL;
        r = U(&s, PN_NEG, B(&s, PN_MUL, gE, q));
    }
    gin[0] = give(&s, r);
    Py_DECREF(t), Py_XDECREF(w);
    return gin[0] ? 0 : -1;
}

/* _C.nll_loss(input, target, weight, ignore_index, reduction)
 * x (N, C, *) or (C), target (N, *) or (), weight (C) -> loss () or (N, *) */
static PyObject *py_nll_loss(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *t, *w;
    PyObject *wobj;
    long long ignore_index;
    int reduction;
    if (!PyArg_ParseTuple(args, "O!O!OLi:nll_loss", &PNTensor_Type, &x, &PNTensor_Type, &t, &wobj,
                          &ignore_index, &reduction) ||
        opt_tensor(wobj, &w, "weight") < 0 || check_index_target(x, t, "nll_loss") < 0)
        return NULL;
    class_shape cs;
    get_class_shape(x->ndim, x->shape, &cs);
    if (check_weight(w, cs.C) < 0) return NULL;
    if (w && w->requires_grad && pn_grad_mode)
        return weight_not_differentiable("nll_loss_forward", "weight");
    if (check_weight_dtype(w, x) < 0) return NULL;
    pn_dtype dt = x->dtype;
    int64_t pshape[PN_MAX_DIMS];
    int pnd = position_shape(x, pshape);
    PNTensor *wd = w ? pn_dense_copy(w, dt, 1, &cs.C) : NULL;
    PNTensor *xc = !w || wd ? pn_to_contiguous_nograd(x) : NULL,
             *tc = xc ? pn_to_contiguous_nograd(t) : NULL;
    PNTensor *loss = tc ? pn_empty(dt, pnd, pshape) : NULL, *out = NULL;
    if (loss) {
        pn_cross_entropy_args a = {
            cs.N,         cs.C, cs.S, (const int64_t *)tc->data, NULL, wd ? wd->data : NULL,
            ignore_index, 0.0};
        double wsum = 0;
        int64_t bad = 0;
        if (pn_nll_loss_forward(dt, &a, xc->data, loss->data, &wsum, &bad))
            target_error(bad, cs.C);
        else
            out = reduce_loss(loss, reduction, wsum);
        if (out) {
            PNNode *n = pn_record(out, "NllLossBackward0", nll_loss_backward, 1, &x);
            class_loss_state *st = n ? pn_node_state(n, sizeof *st, 1) : NULL;
            if (st) {
                st->ignore_index = ignore_index, st->reduction = reduction;
                /* every target ignored (wsum 0): the loss is NaN, each gradient 0 */
                st->scale = reduction != RED_MEAN ? 1.0 : wsum > 0 ? 1.0 / wsum : 0.0;
                if (pn_save(n, 1, t, 0) == 0 && wd) pn_save(n, 2, wd, 0);
            }
            if (PyErr_Occurred()) Py_CLEAR(out);
        }
    }
    Py_XDECREF(wd), Py_XDECREF(xc), Py_XDECREF(tc), Py_XDECREF(loss);
    return (PyObject *)out;
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
 * *dy is left NULL for the losses of d, whose dy is -dx. Temporaries go to s. */
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
            PNTensor *in = BS(s, PN_LT, U(s, PN_ABS, d), param);
            PNTensor *lin = BS(s, PN_MUL, d, 1.0 / param);
            *dx = in && lin && sg ? keep(s, pn_where_t(in, lin, 0, sg)) : NULL;
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
        PyObject *lo = PyFloat_FromDouble(1e-12);
        PNTensor *denc = lo && den ? keep(s, pn_clamp(den, lo, NULL)) : NULL;
        Py_XDECREF(lo);
        *dx = B(s, PN_DIV, d, denc);
        *dy = B(s, PN_SUB, U(s, PN_LOG1P, U(s, PN_NEG, x)), U(s, PN_LOG, x));
        break;
    }
    case PN_LOSS_BCE_LOGITS: {
        PNTensor *sig = U(s, PN_SIGMOID, x);
        if (!pw) { /* dx = sig - y, dy = -x */
            *dx = B(s, PN_SUB, sig, y);
            *dy = U(s, PN_NEG, x);
        } else { /* dx = lw sig - pw y, dy = -x + (pw - 1) softplus(-x) */
            PNTensor *pm1 = BS(s, PN_SUB, pw, 1.0);
            PNTensor *lw = BS(s, PN_ADD, B(s, PN_MUL, pm1, y), 1.0);
            *dx = B(s, PN_SUB, B(s, PN_MUL, lw, sig), B(s, PN_MUL, pw, y));
            PNTensor *sp = B(s, PN_ADD, U(s, PN_RELU, U(s, PN_NEG, x)),
                             U(s, PN_LOG1P, U(s, PN_EXP, U(s, PN_NEG, U(s, PN_ABS, x)))));
            *dy = B(s, PN_SUB, B(s, PN_MUL, pm1, sp), x);
        }
        break;
    }
    case PN_LOSS_KL: {
        *dx = U(s, PN_NEG, y);
        PNTensor *nz = BS(s, PN_NE, y, 0.0);
        PNTensor *ly = U(s, PN_LOG, y);
        PNTensor *xl = nz && ly ? keep(s, pn_where_t(nz, ly, 0, NULL)) : NULL;
        *dy = B(s, PN_SUB, B(s, PN_ADD, xl, B(s, PN_DIV, y, y)), x);
        break;
    }
    case PN_LOSS_KL_LOG: {
        PNTensor *e = U(s, PN_EXP, y);
        *dx = U(s, PN_NEG, e);
        *dy = B(s, PN_MUL, e, BS(s, PN_ADD, B(s, PN_SUB, y, x), 1.0));
        break;
    }
    default:
        PyErr_SetString(PyExc_RuntimeError, "unknown loss");
        break;
    }
}

/* The gradient formulas of loss.c, as differentiable ops (for create_graph).
 * x, y, w, pw may broadcast against each other; gE is g * scale or g. */
static int pointwise_composed(pn_pointwise_loss kind, PNTensor *x, PNTensor *y, PNTensor *w,
                              PNTensor *pw, double param, PNTensor *gE, PNTensor **gx,
                              PNTensor **gy) {
    scope s = {.n = 0};
    PNTensor *d = B(&s, PN_SUB, x, y), *dx = NULL, *dy = NULL;
    pointwise_loss_derivatives(&s, kind, x, y, pw, param, d, &dx, &dy);
    if (kind < PN_LOSS_BCE && dx) dy = U(&s, PN_NEG, dx);
    if (w && (kind == PN_LOSS_BCE || kind == PN_LOSS_BCE_LOGITS)) {
        dx = B(&s, PN_MUL, dx, w);
        dy = B(&s, PN_MUL, dy, w);
    }
    *gx = gx && dx ? B(&s, PN_MUL, gE, dx) : NULL;
    *gy = gy && dy ? B(&s, PN_MUL, gE, dy) : NULL;
    int ok = *gx && *gy;
    if (ok)
        Py_INCREF(*gx), Py_INCREF(*gy);
    else
        *gx = *gy = NULL;
    scope_free(&s);
    return ok ? 0 : -1;
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

/* x, y, weight, pos_weight (broadcasting to *) -> dx, dy (*) of loss = l(x, y)
 * elementwise, l one of the formulas in kernels/loss.h (e.g. mse: (x - y)^2). */
static int pointwise_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const pointwise_loss_state *st = PN_STATE(n, pointwise_loss_state);
    pn_pointwise_loss kind = st->kind;
    int reduction = st->reduction;
    double param = st->param, scale = st->scale;
    PNTensor *x = pn_unpack(n, 0), *y = x ? pn_unpack(n, 1) : NULL;
    PNTensor *w = y && n->saved[2] ? pn_unpack(n, 2) : NULL, *pw = st->pos_weight;
    if (!y || (n->saved[2] && !w)) {
        Py_XDECREF(x), Py_XDECREF(y);
        return -1;
    }
    int rc = -1;
    scope s = {.n = 0};
    if (pn_grad_mode) {
        PNTensor *gE = reduction == RED_NONE ? gout[0] : BS(&s, PN_MUL, gout[0], scale);
        PNTensor *gx, *gy;
        if (gE && pointwise_composed(kind, x, y, w, pw, param, gE, &gx, &gy) == 0) {
            gin[0] = gx, gin[1] = gy;
            rc = 0;
        }
    } else {
        PNTensor *ts[4] = {x, y, w, pw};
        int64_t shape[PN_MAX_DIMS];
        int nd = broadcast_all(ts, 4, shape);
        pn_dtype dt = x->dtype;
        PNTensor *xe = nd < 0 ? NULL : keep(&s, pn_dense_copy(x, dt, nd, shape));
        PNTensor *ye = xe ? keep(&s, pn_dense_copy(y, dt, nd, shape)) : NULL;
        PNTensor *we = ye && w ? keep(&s, pn_dense_copy(w, dt, nd, shape)) : NULL;
        PNTensor *pe = ye && pw ? keep(&s, pn_dense_copy(pw, dt, nd, shape)) : NULL;
        PNTensor *gc =
            ye && (!w || we) && (!pw || pe) ? keep(&s, pn_to_contiguous_nograd(gout[0])) : NULL;
        PNTensor *gx = gc && n->next[0].fn ? pn_empty(dt, nd, shape) : NULL;
        PNTensor *gy = gc && n->next[1].fn ? pn_empty(dt, nd, shape) : NULL;
        if (gc && (!n->next[0].fn || gx) && (!n->next[1].fn || gy)) {
            pn_pointwise_loss_backward(
                kind, dt, xe->numel, xe->data, ye->data, we ? we->data : NULL, pe ? pe->data : NULL,
                param, gc->data, reduction == RED_NONE ? 1 : 0, reduction == RED_NONE ? 1.0 : scale,
                gx ? gx->data : NULL, gy ? gy->data : NULL);
            gin[0] = gx, gin[1] = gy;
            rc = 0;
        } else {
            Py_XDECREF(gx), Py_XDECREF(gy);
        }
    }
    scope_free(&s);
    Py_DECREF(x), Py_DECREF(y), Py_XDECREF(w);
    return rc;
}

/* The pointwise losses' forward: x, y, weight, pos_weight (broadcasting to *)
 * -> loss () for 'mean' / 'sum', (*) for 'none'. */
static PyObject *pointwise_loss(pn_pointwise_loss kind, PNTensor *x, PNTensor *y, PNTensor *w,
                                PNTensor *pw, double param, int reduction) {
    const char *fname =
        kind == PN_LOSS_BCE ? "binary_cross_entropy" : "binary_cross_entropy_with_logits";
    pn_dtype dt;
    if (kind == PN_LOSS_BCE || kind == PN_LOSS_BCE_LOGITS) {
        if (x->dtype != y->dtype) {
            PyErr_Format(PyExc_RuntimeError, "Found dtype %s but expected %s",
                         y->dtype == PN_FLOAT64   ? "Double"
                         : y->dtype == PN_FLOAT32 ? "Float"
                         : y->dtype == PN_INT64   ? "Long"
                                                  : "Bool",
                         x->dtype == PN_FLOAT64   ? "Double"
                         : x->dtype == PN_FLOAT32 ? "Float"
                         : x->dtype == PN_INT64   ? "Long"
                                                  : "Bool");
            return NULL;
        }
        if (pn_grad_mode && w && w->requires_grad)
            return weight_not_differentiable(fname, "weight");
        if (pn_grad_mode && pw && pw->requires_grad)
            return weight_not_differentiable(fname, "pos_weight");
        dt = x->dtype;
    } else {
        dt = pn_promote(x->dtype, y->dtype);
    }
    if (!pn_is_float(dt)) {
        PyErr_Format(PyExc_RuntimeError, "loss functions need a floating point input, got %s",
                     pn_dtype_name(dt));
        return NULL;
    }
    PNTensor *ts[4] = {x, y, w, pw};
    int64_t shape[PN_MAX_DIMS];
    int nd = broadcast_all(ts, 4, shape);
    if (nd < 0) return NULL;
    scope s = {.n = 0};
    PNTensor *out = NULL;
    /* x and y in the compute dtype (a recorded cast if needed); weights are constants */
    PNTensor *xd = keep(&s, pn_to_dtype(x, dt)), *yd = xd ? keep(&s, pn_to_dtype(y, dt)) : NULL;
    PNTensor *wd = yd && w ? keep(&s, pn_dense_copy(w, dt, w->ndim, w->shape)) : NULL;
    PNTensor *pd = yd && pw ? keep(&s, pn_dense_copy(pw, dt, pw->ndim, pw->shape)) : NULL;
    PNTensor *xe =
        yd && (!w || wd) && (!pw || pd) ? keep(&s, pn_dense_copy(xd, dt, nd, shape)) : NULL;
    PNTensor *ye = xe ? keep(&s, pn_dense_copy(yd, dt, nd, shape)) : NULL;
    PNTensor *we = ye && w ? keep(&s, pn_dense_copy(wd, dt, nd, shape)) : NULL;
    PNTensor *pe = ye && pw ? keep(&s, pn_dense_copy(pd, dt, nd, shape)) : NULL;
    PNTensor *loss = ye && (!w || we) && (!pw || pe) ? keep(&s, pn_empty(dt, nd, shape)) : NULL;
    if (!loss) goto done;
    if (pn_pointwise_loss_forward(kind, dt, loss->numel, xe->data, ye->data, we ? we->data : NULL,
                                  pe ? pe->data : NULL, param, loss->data)) {
        PyErr_SetString(PyExc_RuntimeError, "all elements of input should be between 0 and 1");
        goto done;
    }
    out = reduce_loss(loss, reduction, (double)loss->numel);
    if (!out) goto done;
    PNTensor *inputs[2] = {xd, yd};
    PNNode *n = pn_record(out, pointwise_names[kind], pointwise_backward, 2, inputs);
    pointwise_loss_state *st = n ? pn_node_state(n, sizeof *st, 1) : NULL;
    if (st) {
        st->kind = kind, st->reduction = reduction;
        st->param = param, st->scale = reduction == RED_MEAN ? 1.0 / (double)loss->numel : 1.0;
        Py_XINCREF(pd), st->pos_weight = pd;
        if (pn_save(n, 0, xd, 0) == 0 && pn_save(n, 1, yd, 0) == 0 && wd) pn_save(n, 2, wd, 0);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
done:
    scope_free(&s);
    return (PyObject *)out;
}

/* _C.<loss>(input, target, reduction[, param]) and the bce forms with weights. */
static PyObject *simple_loss(PyObject *args, pn_pointwise_loss kind, const char *fmt) {
    PNTensor *x, *y;
    int reduction;
    double param = 0;
    if (!PyArg_ParseTuple(args, fmt, &PNTensor_Type, &x, &PNTensor_Type, &y, &reduction, &param))
        return NULL;
    if (kind == PN_LOSS_SMOOTH_L1 && param < 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "smooth_l1_loss does not support negative values for beta.");
        return NULL;
    }
    if (kind == PN_LOSS_HUBER && !(param > 0)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "huber_loss does not support non-positive values for delta.");
        return NULL;
    }
    return pointwise_loss(kind, x, y, NULL, NULL, param, reduction);
}

/* mse_loss: x, y (*) -> (x - y)^2, reduced */
static PyObject *py_mse_loss(PyObject *self, PyObject *args) {
    (void)self;
    return simple_loss(args, PN_LOSS_MSE, "O!O!i:mse_loss");
}
/* l1_loss: x, y (*) -> |x - y|, reduced */
static PyObject *py_l1_loss(PyObject *self, PyObject *args) {
    (void)self;
    return simple_loss(args, PN_LOSS_L1, "O!O!i:l1_loss");
}
/* smooth_l1_loss: x, y (*) -> |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta, reduced */
static PyObject *py_smooth_l1_loss(PyObject *self, PyObject *args) {
    (void)self;
    return simple_loss(args, PN_LOSS_SMOOTH_L1, "O!O!id:smooth_l1_loss");
}
/* huber_loss: x, y (*) -> |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta), reduced */
static PyObject *py_huber_loss(PyObject *self, PyObject *args) {
    (void)self;
    return simple_loss(args, PN_LOSS_HUBER, "O!O!id:huber_loss");
}

/* _C.kl_div(input, target, reduction, log_target)
 * x, y (*) -> y (log y - x) (exp(y) (y - x) with log_target), reduced */
static PyObject *py_kl_div(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *y;
    int reduction, log_target;
    if (!PyArg_ParseTuple(args, "O!O!ip:kl_div", &PNTensor_Type, &x, &PNTensor_Type, &y, &reduction,
                          &log_target))
        return NULL;
    return pointwise_loss(log_target ? PN_LOSS_KL_LOG : PN_LOSS_KL, x, y, NULL, NULL, 0, reduction);
}

/* _C.binary_cross_entropy(input, target, weight, reduction)
 * x, y, weight (*) -> -w (y log x + (1 - y) log(1 - x)), reduced */
static PyObject *py_binary_cross_entropy(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *y, *w;
    PyObject *wo;
    int reduction;
    if (!PyArg_ParseTuple(args, "O!O!Oi:binary_cross_entropy", &PNTensor_Type, &x, &PNTensor_Type,
                          &y, &wo, &reduction) ||
        opt_tensor(wo, &w, "weight") < 0)
        return NULL;
    return pointwise_loss(PN_LOSS_BCE, x, y, w, NULL, 0, reduction);
}

/* _C.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)
 * x, y, weight, pos_weight (*) -> -w (pw y log s + (1 - y) log(1 - s)), s = sigmoid(x),
 * reduced */
static PyObject *py_binary_cross_entropy_with_logits(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *y, *w, *pw;
    PyObject *wo, *pwo;
    int reduction;
    if (!PyArg_ParseTuple(args, "O!O!OOi:binary_cross_entropy_with_logits", &PNTensor_Type, &x,
                          &PNTensor_Type, &y, &wo, &pwo, &reduction) ||
        opt_tensor(wo, &w, "weight") < 0 || opt_tensor(pwo, &pw, "pos_weight") < 0)
        return NULL;
    return pointwise_loss(PN_LOSS_BCE_LOGITS, x, y, w, pw, 0, reduction);
}

PyMethodDef pn_module_methods_loss[] = {
    {"cross_entropy", py_cross_entropy, METH_VARARGS,
     "cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)"},
    {"nll_loss", py_nll_loss, METH_VARARGS,
     "nll_loss(input, target, weight, ignore_index, reduction)"},
    {"mse_loss", py_mse_loss, METH_VARARGS, "mse_loss(input, target, reduction)"},
    {"l1_loss", py_l1_loss, METH_VARARGS, "l1_loss(input, target, reduction)"},
    {"smooth_l1_loss", py_smooth_l1_loss, METH_VARARGS,
     "smooth_l1_loss(input, target, reduction, beta)"},
    {"huber_loss", py_huber_loss, METH_VARARGS, "huber_loss(input, target, reduction, delta)"},
    {"kl_div", py_kl_div, METH_VARARGS, "kl_div(input, target, reduction, log_target)"},
    {"binary_cross_entropy", py_binary_cross_entropy, METH_VARARGS,
     "binary_cross_entropy(input, target, weight, reduction)"},
    {"binary_cross_entropy_with_logits", py_binary_cross_entropy_with_logits, METH_VARARGS,
     "binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)"},
    {NULL, NULL, 0, NULL}};
