/* ops/norm.c - batch_norm (with running statistics), layer_norm and group_norm.
 *
 * All three normalise x over some dims ("statistics dims") and scale by a
 * weight shared along the others:
 *   xhat = (x - mean) r,  r = 1 / sqrt(var + eps),  y = xhat w + b
 * batch_norm: statistics over (N, *) per channel, weight (C); layer_norm:
 * statistics over the trailing normalized dims, weight of their shape;
 * group_norm: x (N, C, *) viewed as (N, G, C/G, L), statistics over its last
 * two dims, weight (C) over its middle two.
 *
 * Forward and backward run fused kernels (../kernels/nn.c). The fused backward
 * is itself an op: with create_graph=True it records a
 * Native{Batch,Layer}NormBackwardBackward0 node whose backward is the second
 * derivative, written with differentiable ops. So each formula is written once.
 */
#include "compose.h"
#include <limits.h>
#include <math.h>
#include <string.h>

enum { NORM_BATCH, NORM_LAYER, NORM_GROUP };

/* State of the nodes of the three ops (forward and double backward). */
typedef struct {
    PNTensor *stats; /* owned, double backward of an eval batch_norm: (2, C) mean; invstd */
    int kind;        /* NORM_BATCH, NORM_LAYER or NORM_GROUP */
    /* batch_norm: batch statistics used (training); layer_norm: normalized dims;
     * group_norm: groups */
    int flag;
    double eps;
} norm_state;

/* The dims of x (as bitmasks) the statistics are taken over, and the dims the
 * weight is shared along (summed over for its gradient). */
static void norm_dims(const norm_state *ns, int ndim, uint32_t *stat, uint32_t *param) {
    uint32_t all = (uint32_t)((1ull << ndim) - 1);
    if (ns->kind == NORM_GROUP) { /* (N, G, C/G, L) */
        *stat = 4u | 8u, *param = 1u | 8u;
    } else if (ns->kind == NORM_LAYER) {
        *stat = all & ~(uint32_t)((1ull << (ndim - ns->flag)) - 1);
        *param = all & ~*stat;
    } else {
        *stat = *param = all & ~2u; /* every dim but the channels */
    }
}

/* x (N, C, *) as (N, C, L). */
static void batch_norm_dims(PNTensor *x, int64_t *N, int64_t *C, int64_t *L) {
    *N = x->shape[0], *C = x->shape[1], *L = 1;
    for (int d = 2; d < x->ndim; d++) *L *= x->shape[d];
}

/* A (C,) float64 stats row as a tensor of x's dtype shaped (1, C, 1, ...). */
static PNTensor *batch_norm_channel_tensor(const double *v, PNTensor *x) {
    int64_t shape[PN_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shape[d] = d == 1 ? x->shape[1] : 1;
    return pn_from_doubles(v, x->shape[1], x->dtype, x->ndim, shape);
}

/* A weight-shaped tensor (C) or (D...) viewed to broadcast against x: (1, C, 1, ..)
 * for batch_norm, (1, G, C/G, 1) for group_norm's x (N, G, C/G, L). */
static PNTensor *param_view(scope *s, const norm_state *ns, PNTensor *t, PNTensor *x) {
    if (!t || ns->kind == NORM_LAYER) return t;
    int64_t shape[PN_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        shape[d] = d == 1 || (d == 2 && ns->kind == NORM_GROUP) ? x->shape[d] : 1;
    return keep(s, pn_reshape(t, x->ndim, shape));
}

/* t (N, C, *) viewed as group_norm's (N, G, C/G, L). */
static PNTensor *group_view(scope *s, PNTensor *t, int64_t G) {
    int64_t v[4] = {t->shape[0], G, t->shape[1] / G, 1};
    for (int d = 2; d < t->ndim; d++) v[3] *= t->shape[d];
    return keep(s, pn_reshape(t, 4, v));
}

/* ------------------------------------------------ the fused backward op ---- */

/* P(v) = v - mean(v) - xhat mean(v xhat), means over the statistics dims: the
 * projection that every gradient through normalised statistics goes through
 * (it removes the parts of v along 1 and along xhat). P is symmetric. */
static PNTensor *project(scope *s, PNTensor *v, PNTensor *xhat, uint32_t stat) {
    PNTensor *along = B(s, PN_MUL, xhat, MEAN(s, B(s, PN_MUL, v, xhat), stat));
    return B(s, PN_SUB, B(s, PN_SUB, v, MEAN(s, v, stat)), along);
}

/* xhat = (x - mean) r and r of the forward as ops on x: recomputed from x when
 * the statistics are x's own (so they are differentiated too), else the
 * eval batch_norm's constant running statistics. */
static PNTensor *normalise(scope *s, const norm_state *ns, PNTensor *x, uint32_t stat,
                           PNTensor **r) {
    PNTensor *mean, *xc;
    if (ns->stats) {
        const double *st = F64(ns->stats);
        mean = keep(s, batch_norm_channel_tensor(st, x));
        *r = keep(s, batch_norm_channel_tensor(st + x->shape[1], x));
        xc = B(s, PN_SUB, x, mean);
    } else {
        xc = B(s, PN_SUB, x, MEAN(s, x, stat));
        *r = BS(s, PN_POW, BS(s, PN_ADD, MEAN(s, B(s, PN_MUL, xc, xc), stat), ns->eps), -0.5);
    }
    return B(s, PN_MUL, xc, *r);
}

/* The second derivative. Inputs g, x, w of the fused backward, which computed
 *   dx = r P(u) with u = g w   (dx = r u when the statistics are constants)
 *   dw = sum_param(g xhat),  db = sum_param(g)
 * Given ggx, ggw, ggb (the gradients of dx, dw, db; NULL = zero), with
 * means over the statistics dims and P symmetric:
 *   d/dg = w r P(ggx) + ggw xhat + ggb
 *   d/dw = sum_param(g r P(ggx))
 *   d/dx = -r^2 (a xhat + mean(ggx xhat) P(u) + mean(u xhat) P(ggx)) + r P(ggw g),
 *          a = mean(ggx u) - mean(u) mean(ggx) - mean(u xhat) mean(ggx xhat)
 *   (from differentiating r and xhat in dx and dw; r^2 term absent, P = 1 for
 *   constant statistics). */
static int norm_double_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const norm_state *ns = PN_STATE(n, norm_state);
    PNTensor *g = pn_unpack(n, 0), *x = g ? pn_unpack(n, 1) : NULL;
    PNTensor *w = x && n->saved[2] ? pn_unpack(n, 2) : NULL;
    if (!x || (n->saved[2] && !w)) {
        Py_XDECREF(g), Py_XDECREF(x);
        return -1;
    }
    scope s = {.n = 0};
    PNTensor *g0 = g, *x0 = x, *ggx = gout[0];
    if (ns->kind == NORM_GROUP) { /* on the (N, G, C/G, L) views */
        g = group_view(&s, g0, ns->flag), x = g ? group_view(&s, x0, ns->flag) : NULL;
        ggx = ggx && x ? group_view(&s, ggx, ns->flag) : ggx;
        if (PyErr_Occurred()) {
            scope_free(&s);
            Py_DECREF(g0), Py_DECREF(x0), Py_XDECREF(w);
            return -1;
        }
    }
    uint32_t stat, param;
    norm_dims(ns, x->ndim, &stat, &param);
    int live = ns->stats == NULL; /* the statistics depend on x */
    PNTensor *r, *xhat = normalise(&s, ns, x, stat, &r), *wv = param_view(&s, ns, w, x);
    PNTensor *u = wv ? B(&s, PN_MUL, g, wv) : g;
    PNTensor *ggw = param_view(&s, ns, gout[1], x), *ggb = param_view(&s, ns, gout[2], x);
    PNTensor *dg = NULL, *dx = NULL, *dw = NULL;
    if (ggx) {
        PNTensor *pg = live ? project(&s, ggx, xhat, stat) : ggx, *rpg = B(&s, PN_MUL, r, pg);
        dg = wv ? B(&s, PN_MUL, rpg, wv) : rpg;
        if (w && n->next[2].fn) dw = SUM(&s, B(&s, PN_MUL, g, rpg), param);
        if (live && n->next[1].fn) {
            PNTensor *mu = MEAN(&s, u, stat), *mg = MEAN(&s, ggx, stat);
            PNTensor *mux = MEAN(&s, B(&s, PN_MUL, u, xhat), stat);
            PNTensor *mgx = MEAN(&s, B(&s, PN_MUL, ggx, xhat), stat);
            PNTensor *a = B(&s, PN_SUB, MEAN(&s, B(&s, PN_MUL, ggx, u), stat),
                            B(&s, PN_ADD, B(&s, PN_MUL, mu, mg), B(&s, PN_MUL, mux, mgx)));
            PNTensor *sum3 = B(&s, PN_ADD, B(&s, PN_MUL, a, xhat),
                               B(&s, PN_ADD, B(&s, PN_MUL, mgx, project(&s, u, xhat, stat)),
                                 B(&s, PN_MUL, mux, pg)));
            dx = U(&s, PN_NEG, B(&s, PN_MUL, B(&s, PN_MUL, r, r), sum3));
        }
    }
    if (ggw) {
        dg = ACC(&s, dg, B(&s, PN_MUL, ggw, xhat));
        PNTensor *v = B(&s, PN_MUL, ggw, g);
        if (n->next[1].fn)
            dx = ACC(&s, dx, B(&s, PN_MUL, r, live ? project(&s, v, xhat, stat) : v));
    }
    if (ggb) dg = ACC(&s, dg, ggb);
    if (dg && !PyErr_Occurred()) dg = keep(&s, pn_expand(dg, g->ndim, g->shape));
    if (dw && !PyErr_Occurred()) dw = keep(&s, pn_reshape(dw, w->ndim, w->shape));
    if (ns->kind == NORM_GROUP && dg && !PyErr_Occurred())
        dg = keep(&s, pn_reshape(dg, g0->ndim, g0->shape));
    if (ns->kind == NORM_GROUP && dx && !PyErr_Occurred())
        dx = keep(&s, pn_reshape(dx, x0->ndim, x0->shape));
    int ok = !PyErr_Occurred();
    if (ok) {
        gin[0] = n->next[0].fn ? (Py_XINCREF(dg), dg) : NULL;
        gin[1] = dx ? (Py_INCREF(dx), dx) : NULL;
        gin[2] = dw ? (Py_INCREF(dw), dw) : NULL;
    }
    scope_free(&s);
    Py_DECREF(g0), Py_DECREF(x0), Py_XDECREF(w);
    return ok ? 0 : -1;
}

/* The fused backward as an op: with create_graph, dx, dw, db become outputs 0-2
 * of a node over (g, x, w) whose backward is norm_double_backward. */
static int record_norm_backward(PNNode *fwd, PNTensor *g, PNTensor *x, PNTensor *w, PNTensor *stats,
                                PNTensor **gin) {
    const norm_state *ns = PN_STATE(fwd, norm_state);
    PNTensor *ins[3] = {g, x, w};
    if (!pn_grad_mode ||
        !(pn_requires_grad(g) || pn_requires_grad(x) || (w && pn_requires_grad(w))))
        return 0;
    static const char *names[] = {"NativeBatchNormBackwardBackward0",
                                  "NativeLayerNormBackwardBackward0",
                                  "NativeGroupNormBackwardBackward0"};
    PNNode *n = pn_node_new(names[ns->kind], norm_double_backward, 3, ins);
    norm_state *st = n ? pn_node_state(n, sizeof *st, 1) : NULL;
    if (st) {
        *st = *ns;
        st->stats = NULL;
        if (ns->kind == NORM_BATCH && !ns->flag) /* eval: constants */
            Py_INCREF(stats), st->stats = stats;
        n->n_out = 3;
        for (int k = 0; k < 3; k++)
            if (gin[k]) pn_set_history(gin[k], n, k);
        if (pn_save(n, 0, g, 0) == 0 && pn_save(n, 1, x, 0) == 0 && w) pn_save(n, 2, w, 0);
    }
    Py_XDECREF(n);
    return PyErr_Occurred() ? -1 : 0;
}

/* What the fused backward kernels read and write: contiguous g, x, w (NULL)
 * of x's dtype, the forward's statistics, and the outputs dx (NULL: not
 * wanted) and dw, db (P doubles each, P the weight's size; NULL: not wanted). */
typedef struct {
    PNTensor *g, *x, *w, *stats;
    void *dx;
    double *dw, *db;
} norm_grads;
typedef int (*norm_kernel_fn)(const norm_state *ns, const norm_grads *a); /* 0 or PN_E* */

/* The ops' backward: unpack x, w and the statistics the forward saved, run
 * the op's fused kernel, and record it as an op (create_graph). */
static int norm_backward(PNNode *n, PNTensor *gout, PNTensor **gin, norm_kernel_fn kernel) {
    const norm_state *ns = PN_STATE(n, norm_state);
    PNTensor *x = pn_unpack(n, 0), *w = x && n->saved[1] ? pn_unpack(n, 1) : NULL;
    PNTensor *st = x && (!n->saved[1] || w) ? pn_unpack(n, 2) : NULL;
    norm_grads a = {.stats = st};
    int64_t P = 1; /* the weight's size: C, or the normalized dims' product */
    for (int d = st ? x->ndim - ns->flag : 0; st && ns->kind == NORM_LAYER && d < x->ndim; d++)
        P *= x->shape[d];
    if (st && ns->kind != NORM_LAYER) P = x->shape[1];
    double *dwb = st ? PyMem_Calloc((size_t)(2 * P + 1), sizeof(double)) : NULL;
    int rc = -1;
    if (st && !dwb) PyErr_NoMemory();
    if (dwb && (a.g = pn_contiguous_as(gout, x->dtype)) && (a.x = pn_to_contiguous_nograd(x)) &&
        (!w || (a.w = pn_to_contiguous_nograd(w))) &&
        (!n->next[0].fn || (gin[0] = pn_empty(x->dtype, x->ndim, x->shape)))) {
        a.dx = gin[0] ? gin[0]->data : NULL;
        a.dw = n->next[1].fn ? dwb : NULL, a.db = n->next[2].fn ? dwb + P : NULL;
        const PNMeta *mw = &n->meta[1], *mb = &n->meta[2];
        if (kernel(ns, &a))
            PyErr_NoMemory();
        else if ((!a.dw || (gin[1] = pn_from_doubles(a.dw, P, x->dtype, mw->ndim, mw->shape))) &&
                 (!a.db || (gin[2] = pn_from_doubles(a.db, P, x->dtype, mb->ndim, mb->shape))))
            rc = record_norm_backward(n, gout, x, w, st, gin);
    }
    if (rc < 0)
        for (int k = 0; k < 3; k++) Py_CLEAR(gin[k]);
    PyMem_Free(dwb);
    Py_XDECREF(a.g), Py_XDECREF(a.x), Py_XDECREF(a.w);
    Py_XDECREF(x), Py_XDECREF(w), Py_XDECREF(st);
    return rc;
}

/* Record the forward node of one of the three ops on out: inputs x, w, b; saved
 * x, w (if any) and the statistics st; the state (kind, flag, eps). Returns 0, or -1
 * with an exception set. */
static int record_norm(PNTensor *out, const char *name, pn_apply_fn backward, PNTensor *x,
                       PNTensor *w, PNTensor *b, PNTensor *st, int kind, int flag, double eps) {
    PNTensor *ins[3] = {x, w, b};
    PNNode *n = pn_record(out, name, backward, 3, ins);
    norm_state *ns = n ? pn_node_state(n, sizeof *ns, 1) : NULL;
    if (ns) {
        ns->kind = kind, ns->flag = flag, ns->eps = eps;
        if (pn_save(n, 0, x, 0) == 0 && (!w || pn_save(n, 1, w, 0) == 0)) pn_save(n, 2, st, 0);
    }
    return PyErr_Occurred() ? -1 : 0;
}

/* ----------------------------------------------------------- batch norm ---- */

/* g, x (N, C, *), weight (C), stats (2, C) float64 = mean; invstd
 *   -> dx (N, C, *), dweight, dbias (C) of
 *   y = (x - mean[c]) invstd[c] weight[c] + bias[c], the stats over (N, *) when training:
 *   the fused kernel (kernels/nn.h). */
static int batch_norm_backward_kernel(const norm_state *ns, const norm_grads *a) {
    int64_t N, C, L;
    batch_norm_dims(a->x, &N, &C, &L);
    const double *mean = F64(a->stats), *invstd = F64(a->stats) + C;
    if (a->x->dtype == PN_FLOAT32)
        pn_batch_norm_backward_f32(F32(a->g), F32(a->x), mean, invstd, a->w ? F32(a->w) : NULL,
                                   ns->flag, a->dx, a->dw, a->db, N, C, L);
    else
        pn_batch_norm_backward_f64(F64(a->g), F64(a->x), mean, invstd, a->w ? F64(a->w) : NULL,
                                   ns->flag, a->dx, a->dw, a->db, N, C, L);
    return 0;
}

/* y = batch_norm(x, weight, bias): dx, dweight, dbias. Saved: x, weight, stats. */
static int batch_norm_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    return norm_backward(n, gout[0], gin, batch_norm_backward_kernel);
}

/* Check a per-channel tensor (running stat, weight, bias). */
static int check_channel_arg(PNTensor *t, PNTensor *x, int64_t C, const char *what) {
    if (!t) return 0;
    if (t->numel != C) {
        char s[256], xs[256];
        pn_format_shape(s, sizeof s, t->ndim, t->shape);
        pn_format_shape(xs, sizeof xs, x->ndim, x->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "batch_norm: %s should contain %lld elements (one per "
                     "channel of input of shape %s), not %lld",
                     what, (long long)C, xs, (long long)t->numel);
        return -1;
    }
    return 0;
}

/* A (C,) tensor's values as doubles (any dtype, any strides). */
static int read_doubles(PNTensor *t, double *out) {
    PNTensor *c = pn_contiguous_as(t, PN_FLOAT64);
    if (!c) return -1;
    memcpy(out, c->data, sizeof(double) * (size_t)t->numel);
    Py_DECREF(c);
    return 0;
}

/* Write doubles into the (C,) tensor t in place (cast to its dtype). */
static int write_doubles(PNTensor *t, const double *v) {
    int64_t n = t->numel;
    PNTensor *src = pn_empty(PN_FLOAT64, 1, &n);
    if (!src) return -1;
    memcpy(src->data, v, sizeof(double) * (size_t)n);
    PNTensor *view = pn_view_nograd(src, t->ndim, t->shape);
    Py_DECREF(src);
    if (!view) return -1;
    int rc = pn_copy_into(t, view);
    Py_DECREF(view);
    if (rc == 0) pn_bump_version(t);
    return rc;
}

/* Check batch_norm's arguments like PyTorch: x (N, C, *) float, running_mean,
 * running_var, weight, bias (C) or None; sets x's (N, C, L). */
static int check_batch_norm_args(PNTensor *x, PNTensor *rm, PNTensor *rv, PNTensor *w, PNTensor *b,
                                 int training, int64_t *N, int64_t *C, int64_t *L) {
    if (x->ndim < 2) {
        PyErr_Format(PyExc_ValueError,
                     "batch_norm: expected 2D or higher input (N, C, ...), got "
                     "%dD input",
                     x->ndim);
        return -1;
    }
    if (pn_require_float(x, "batch_norm") < 0 || pn_same_dtype(x, w, "batch_norm") < 0 ||
        pn_same_dtype(x, b, "batch_norm") < 0)
        return -1;
    batch_norm_dims(x, N, C, L);
    if (check_channel_arg(rm, x, *C, "running_mean") < 0 ||
        check_channel_arg(rv, x, *C, "running_var") < 0 ||
        check_channel_arg(w, x, *C, "weight") < 0 || check_channel_arg(b, x, *C, "bias") < 0)
        return -1;
    if ((rm == NULL) != (rv == NULL)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "batch_norm: running_mean and running_var must be both given or both None");
        return -1;
    }
    if (!training && !rm) {
        PyErr_SetString(PyExc_RuntimeError, "running_mean must be defined in evaluation mode");
        return -1;
    }
    if (training && *N * *L == 1) { /* an empty batch normalises nothing, as PyTorch */
        char s[256];
        pn_format_shape(s, sizeof s, x->ndim, x->shape);
        PyErr_Format(PyExc_ValueError,
                     "Expected more than 1 value per channel when training, "
                     "got input size %s",
                     s);
        return -1;
    }
    return 0;
}

/* running_mean, running_var (C) updated in place from the batch's mean, var (C)
 * over cnt values: running = (1 - momentum) running + momentum batch (unbiased var). */
static int batch_norm_update_running(PNTensor *rm, PNTensor *rv, const double *mean,
                                     const double *var, int64_t C, int64_t cnt, double momentum) {
    double *buf = PyMem_Malloc(sizeof(double) * (size_t)(2 * C + 1));
    if (!buf) {
        PyErr_NoMemory();
        return -1;
    }
    int rc = read_doubles(rm, buf) < 0 || read_doubles(rv, buf + C) < 0 ? -1 : 0;
    if (rc == 0) {
        double unbias = (double)cnt / (double)(cnt - 1);
        for (int64_t c = 0; c < C; c++) {
            buf[c] = momentum * mean[c] + (1.0 - momentum) * buf[c];
            buf[C + c] = momentum * var[c] * unbias + (1.0 - momentum) * buf[C + c];
        }
        rc = write_doubles(rm, buf) < 0 || write_doubles(rv, buf + C) < 0 ? -1 : 0;
    }
    PyMem_Free(buf);
    return rc;
}

/* xc (N, C, L) contiguous -> mean, var (C): the batch's statistics when
 * training (and then the running ones updated), else the running ones. */
static int batch_norm_statistics(PNTensor *xc, PNTensor *rm, PNTensor *rv, int training,
                                 double momentum, int64_t N, int64_t C, int64_t L, double *mean,
                                 double *var) {
    if (!training) return read_doubles(rm, mean) < 0 || read_doubles(rv, var) < 0 ? -1 : 0;
    if (N * L == 0) { /* an empty batch: nothing to normalise, the running ones stay (PyTorch) */
        for (int64_t c = 0; c < C; c++) mean[c] = var[c] = 0.0; /* finite: gradients sum to 0 */
        return 0;
    }
    if (xc->dtype == PN_FLOAT32)
        pn_batch_norm_stats_f32(F32(xc), N, C, L, mean, var);
    else
        pn_batch_norm_stats_f64(F64(xc), N, C, L, mean, var);
    if (rm) return batch_norm_update_running(rm, rv, mean, var, C, N * L, momentum);
    return 0;
}

/* x (N, C, *), running_mean, running_var, weight, bias (C) or NULL -> y (N, C, *):
 *   y = (x - mean[c]) invstd[c] weight[c] + bias[c], invstd = 1 / sqrt(var + eps),
 *   mean and var the batch's over (N, *) when training (then the running
 *   statistics, if given, move towards them by momentum), else the running ones. */
PNTensor *pn_batch_norm(PNTensor *x, PNTensor *rm, PNTensor *rv, PNTensor *w, PNTensor *b,
                        int training, double momentum, double eps) {
    int64_t N, C, L;
    if (check_batch_norm_args(x, rm, rv, w, b, training, &N, &C, &L) < 0) return NULL;
    int64_t sshape[2] = {2, C};
    PNTensor *st = pn_empty(PN_FLOAT64, 2, sshape), *xc = NULL, *wc = NULL, *bc = NULL, *out = NULL;
    double *var = st ? PyMem_Malloc(sizeof(double) * (size_t)(C + 1)) : NULL;
    if (!var) {
        if (st) PyErr_NoMemory();
        goto out;
    }
    double *mean = F64(st), *invstd = F64(st) + C;
    if (!(xc = pn_to_contiguous_nograd(x)) || (w && !(wc = pn_to_contiguous_nograd(w))) ||
        (b && !(bc = pn_to_contiguous_nograd(b))))
        goto out;
    if (batch_norm_statistics(xc, rm, rv, training, momentum, N, C, L, mean, var) < 0) goto out;
    for (int64_t c = 0; c < C; c++) invstd[c] = 1.0 / sqrt(var[c] + eps);
    if (!(out = pn_empty(x->dtype, x->ndim, x->shape))) goto out;
    if (x->dtype == PN_FLOAT32)
        pn_batch_norm_forward_f32(F32(xc), mean, invstd, wc ? F32(wc) : NULL, bc ? F32(bc) : NULL,
                                  F32(out), N, C, L);
    else
        pn_batch_norm_forward_f64(F64(xc), mean, invstd, wc ? F64(wc) : NULL, bc ? F64(bc) : NULL,
                                  F64(out), N, C, L);
    if (record_norm(out, "NativeBatchNormBackward0", batch_norm_backward, x, w, b, st, NORM_BATCH,
                    training, eps) < 0)
        Py_CLEAR(out);
out:
    PyMem_Free(var);
    Py_XDECREF(st), Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc);
    return out;
}

/* What the forwards of layer_norm and group_norm work on: st, the (2, rows) float64
 * statistics; contiguous copies (or x, w, b themselves) xc, wc, bc (NULL for a missing
 * w or b); and out, x's shape. Returns 0, or -1 with an exception set; either way
 * norm_inputs_free releases what was made. */
typedef struct {
    PNTensor *st, *xc, *wc, *bc;
} norm_inputs;

static int norm_inputs_make(PNTensor *x, PNTensor *w, PNTensor *b, int64_t rows, norm_inputs *a,
                            PNTensor **out) {
    int64_t sshape[2] = {2, rows};
    *a = (norm_inputs){NULL, NULL, NULL, NULL};
    return (a->st = pn_empty(PN_FLOAT64, 2, sshape)) && (a->xc = pn_to_contiguous_nograd(x)) &&
                   (!w || (a->wc = pn_to_contiguous_nograd(w))) &&
                   (!b || (a->bc = pn_to_contiguous_nograd(b))) &&
                   (*out = pn_empty(x->dtype, x->ndim, x->shape))
               ? 0
               : -1;
}

static void norm_inputs_free(norm_inputs *a) {
    Py_XDECREF(a->st), Py_XDECREF(a->xc), Py_XDECREF(a->wc), Py_XDECREF(a->bc);
}

/* ----------------------------------------------------------- layer norm ---- */

/* g, x (*, D...), weight (D...), stats (2, M) float64 = mean; rstd
 *   -> dx (*, D...), dweight, dbias (D...) of
 *   y = (x - mean) rstd weight + bias, mean and rstd = 1 / sqrt(var + eps) over D...:
 *   the fused kernel (kernels/nn.h). */
static int layer_norm_backward_kernel(const norm_state *ns, const norm_grads *a) {
    int64_t D = 1, M = a->stats->shape[1];
    for (int d = a->x->ndim - ns->flag; d < a->x->ndim; d++) D *= a->x->shape[d];
    const double *mean = F64(a->stats), *rstd = F64(a->stats) + M;
    if (a->x->dtype == PN_FLOAT32)
        pn_layer_norm_backward_f32(F32(a->g), F32(a->x), mean, rstd, a->w ? F32(a->w) : NULL, a->dx,
                                   a->dw, a->db, M, D);
    else
        pn_layer_norm_backward_f64(F64(a->g), F64(a->x), mean, rstd, a->w ? F64(a->w) : NULL, a->dx,
                                   a->dw, a->db, M, D);
    return 0;
}

/* y = layer_norm(x, normalized_shape, weight, bias): dx, dweight, dbias.
 * Saved: x, weight, stats. */
static int layer_norm_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    return norm_backward(n, gout[0], gin, layer_norm_backward_kernel);
}

/* x (*, D...), weight, bias (D...) or NULL, with D... = normalized shape ns (k dims)
 *   -> y (*, D...) = (x - mean) rstd weight + bias, rstd = 1 / sqrt(var + eps),
 *   mean and (biased) var over the D... values of each row */
PNTensor *pn_layer_norm(PNTensor *x, int k, const int64_t *ns, PNTensor *w, PNTensor *b,
                        double eps) {
    if (pn_require_float(x, "layer_norm") < 0 || pn_same_dtype(x, w, "layer_norm") < 0 ||
        pn_same_dtype(x, b, "layer_norm") < 0)
        return NULL;
    int ok = k >= 1 && k <= x->ndim;
    for (int d = 0; ok && d < k; d++) ok = x->shape[x->ndim - k + d] == ns[d];
    if (!ok) {
        char a[256], s[256];
        pn_format_list(a, sizeof a, k, ns);
        pn_format_list(s, sizeof s, x->ndim, x->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "Given normalized_shape=%s, expected input with shape "
                     "[*, %s], but got input of size%s",
                     a, a + 1, s);
        return NULL;
    }
    PNTensor *pw[2] = {w, b};
    for (int j = 0; j < 2; j++) {
        PNTensor *t = pw[j];
        int same = t ? t->ndim == k : 1;
        for (int d = 0; t && same && d < k; d++) same = t->shape[d] == ns[d];
        if (!same) {
            char a[256], s[256];
            pn_format_list(a, sizeof a, k, ns);
            pn_format_list(s, sizeof s, t->ndim, t->shape);
            PyErr_Format(PyExc_RuntimeError,
                         "Expected %s to be of same shape as normalized_shape, "
                         "but got %s of shape %s and normalized_shape = %s",
                         j ? "bias" : "weight", j ? "bias" : "weight", s, a);
            return NULL;
        }
    }
    int64_t D = 1, M = 1;
    for (int d = 0; d < x->ndim; d++) *(d < x->ndim - k ? &M : &D) *= x->shape[d];
    norm_inputs a;
    PNTensor *out = NULL;
    if (norm_inputs_make(x, w, b, M, &a, &out) == 0) {
        if (x->dtype == PN_FLOAT32)
            pn_layer_norm_forward_f32(F32(a.xc), a.wc ? F32(a.wc) : NULL, a.bc ? F32(a.bc) : NULL,
                                      eps, F32(out), F64(a.st), F64(a.st) + M, M, D);
        else
            pn_layer_norm_forward_f64(F64(a.xc), a.wc ? F64(a.wc) : NULL, a.bc ? F64(a.bc) : NULL,
                                      eps, F64(out), F64(a.st), F64(a.st) + M, M, D);
        if (record_norm(out, "NativeLayerNormBackward0", layer_norm_backward, x, w, b, a.st,
                        NORM_LAYER, k, eps) < 0)
            Py_CLEAR(out);
    }
    norm_inputs_free(&a);
    return out;
}

/* ----------------------------------------------------------- group norm ---- */

/* x (N, C, *) as group_norm's sizes: items N, channels C, positions L (the product of *). */
static void group_norm_dims(PNTensor *x, int64_t *N, int64_t *C, int64_t *L) {
    *N = x->shape[0], *C = x->shape[1], *L = 1;
    for (int d = 2; d < x->ndim; d++) *L *= x->shape[d];
}

/* g, x (N, C, *), weight (C), stats (2, N G) float64 = mean; rstd
 *   -> dx (N, C, *), dweight, dbias (C) of
 *   y = (x - mean) rstd weight[c] + bias[c], mean and rstd over each (item, group):
 *   the fused kernel (kernels/nn.h). */
static int group_norm_backward_kernel(const norm_state *ns, const norm_grads *a) {
    int64_t N, C, L, G = ns->flag;
    group_norm_dims(a->x, &N, &C, &L);
    const double *mean = F64(a->stats), *rstd = F64(a->stats) + N * G;
    if (a->x->dtype == PN_FLOAT32)
        return pn_group_norm_backward_f32(F32(a->g), F32(a->x), mean, rstd, a->w ? F32(a->w) : NULL,
                                          a->dx, a->dw, a->db, N, C, L, G);
    return pn_group_norm_backward_f64(F64(a->g), F64(a->x), mean, rstd, a->w ? F64(a->w) : NULL,
                                      a->dx, a->dw, a->db, N, C, L, G);
}

/* y = group_norm(x, G, weight, bias): dx, dweight, dbias. Saved: x, weight, stats. */
static int group_norm_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    return norm_backward(n, gout[0], gin, group_norm_backward_kernel);
}

/* x (N, C, *) with C divisible by G, weight, bias (C) or NULL (the sizes checked by
 * the caller, pynet/nn/_functional_layers.py, with PyTorch's messages)
 *   -> y (N, C, *) = (x - mean) rstd w[c] + b[c], rstd = 1 / sqrt(var + eps),
 *   mean and (biased) var over each item's group of C/G channels (all positions) */
PNTensor *pn_group_norm(PNTensor *x, int64_t G, PNTensor *w, PNTensor *b, double eps) {
    if (pn_require_float(x, "group_norm") < 0 || pn_same_dtype(x, w, "group_norm") < 0 ||
        pn_same_dtype(x, b, "group_norm") < 0)
        return NULL;
    if (x->ndim < 2 || G <= 0 || G > INT_MAX || x->shape[1] % G || (w && w->numel != x->shape[1]) ||
        (b && b->numel != x->shape[1])) {
        PyErr_SetString(PyExc_RuntimeError,
                        "group_norm: the channels must split into num_groups groups and weight "
                        "and bias hold one value per channel");
        return NULL;
    }
    int64_t N, C, L;
    group_norm_dims(x, &N, &C, &L);
    norm_inputs a;
    PNTensor *out = NULL;
    if (norm_inputs_make(x, w, b, N * G, &a, &out) == 0) {
        if (x->dtype == PN_FLOAT32)
            pn_group_norm_forward_f32(F32(a.xc), a.wc ? F32(a.wc) : NULL, a.bc ? F32(a.bc) : NULL,
                                      eps, F32(out), F64(a.st), F64(a.st) + N * G, N, C, L, G);
        else
            pn_group_norm_forward_f64(F64(a.xc), a.wc ? F64(a.wc) : NULL, a.bc ? F64(a.bc) : NULL,
                                      eps, F64(out), F64(a.st), F64(a.st) + N * G, N, C, L, G);
        if (record_norm(out, "NativeGroupNormBackward0", group_norm_backward, x, w, b, a.st,
                        NORM_GROUP, (int)G, eps) < 0)
            Py_CLEAR(out);
    }
    norm_inputs_free(&a);
    return out;
}
