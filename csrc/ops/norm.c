/* ops/norm.c - batch_norm (with running statistics) and layer_norm, forward
 * and backward on the kernels of ../kernels/nn.c. */
#include "ops.h"
#include "../kernels/nn.h"
#include <string.h>
#include <math.h>

/* ------------------------------------------------- normalisation helpers ---- */

/* State of NativeBatchNormBackward0 and NativeLayerNormBackward0 (x, weight
 * and the per-group statistics are saved tensors, slots 0-2). */
typedef struct {
    int flag; /* batch_norm: 1 if batch statistics were used; layer_norm: normalized dims */
    double eps;
} norm_state;

/* Differentiable backward shared by batch_norm and layer_norm (create_graph).
 *   stat_mask:  the dims each mean/var is taken over
 *   param_mask: the dims the weight/bias gradients are summed over
 *   wv: weight viewed to broadcast against x, or NULL
 *   mean/invstd: when not NULL, constant statistics (batch norm in eval);
 *                otherwise recomputed from x so that they depend on x.
 * Sets gin[0..2] for the edges that are set. */
static int norm_backward_graph(PNNode *n, PNTensor *x, PNTensor *g, PNTensor *wv, PNTensor *wshape,
                               uint32_t stat_mask, uint32_t param_mask, double eps, PNTensor *cmean,
                               PNTensor *cinvstd, PNTensor **gin) {
    PNTensor *mean = NULL, *xc = NULL, *sq = NULL, *var = NULL, *ve = NULL, *invstd = NULL;
    PNTensor *xhat = NULL, *gw = NULL, *m1 = NULL, *gx = NULL, *m2 = NULL, *t1 = NULL, *t2 = NULL,
             *t3 = NULL, *gxh = NULL, *r = NULL;
    int rc = -1;
    if (cmean) {
        Py_INCREF(cmean), Py_INCREF(cinvstd);
        mean = cmean, invstd = cinvstd;
        if (!(xc = pn_binary_t(PN_SUB, x, mean))) goto out;
    } else {
        if (!(mean = pn_mean(x, stat_mask, 1)) || !(xc = pn_binary_t(PN_SUB, x, mean)) ||
            !(sq = pn_binary_t(PN_MUL, xc, xc)) || !(var = pn_mean(sq, stat_mask, 1)) ||
            !(ve = pn_binary_s(PN_ADD, var, eps)) || !(invstd = pn_binary_s(PN_POW, ve, -0.5)))
            goto out;
    }
    if (!(xhat = pn_binary_t(PN_MUL, xc, invstd))) goto out;
    if (n->next[0].fn) {
        gw = wv ? pn_binary_t(PN_MUL, g, wv) : (Py_INCREF(g), g);
        if (!gw) goto out;
        if (cmean) { /* dx = g w invstd */
            gin[0] = pn_binary_t(PN_MUL, gw, invstd);
        } else { /* dx = invstd (gw - mean(gw) - xhat mean(gw xhat)) */
            if (!(m1 = pn_mean(gw, stat_mask, 1)) || !(gx = pn_binary_t(PN_MUL, gw, xhat)) ||
                !(m2 = pn_mean(gx, stat_mask, 1)) || !(t1 = pn_binary_t(PN_SUB, gw, m1)) ||
                !(t2 = pn_binary_t(PN_MUL, xhat, m2)) || !(t3 = pn_binary_t(PN_SUB, t1, t2)))
                goto out;
            gin[0] = pn_binary_t(PN_MUL, invstd, t3);
        }
        if (!gin[0]) goto out;
    }
    if (n->next[1].fn) {
        if (!(gxh = pn_binary_t(PN_MUL, g, xhat))) goto out;
        r = param_mask ? pn_sum(gxh, param_mask, 0, 0, PN_FLOAT32) : (Py_INCREF(gxh), gxh);
        if (!r || !(gin[1] = pn_reshape(r, wshape->ndim, wshape->shape))) goto out;
        Py_CLEAR(r);
    }
    if (n->next[2].fn) {
        r = param_mask ? pn_sum(g, param_mask, 0, 0, PN_FLOAT32) : (Py_INCREF(g), g);
        if (!r || !(gin[2] = pn_reshape(r, wshape->ndim, wshape->shape))) goto out;
    }
    rc = 0;
out:
    Py_XDECREF(mean), Py_XDECREF(xc), Py_XDECREF(sq), Py_XDECREF(var), Py_XDECREF(ve);
    Py_XDECREF(invstd), Py_XDECREF(xhat), Py_XDECREF(gw), Py_XDECREF(m1), Py_XDECREF(gx);
    Py_XDECREF(m2), Py_XDECREF(t1), Py_XDECREF(t2), Py_XDECREF(t3), Py_XDECREF(gxh);
    Py_XDECREF(r);
    return rc;
}

/* ----------------------------------------------------------- batch norm ---- */

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

/* x (N, C, *), weight (C) -> dx (N, C, *), dweight, dbias (C) of
 * y = (x - mean[c]) invstd[c] weight[c] + bias[c], the stats over (N, *) when training.
 * Saved: x, weight, stats (2, C) float64 = mean; invstd. State: norm_state
 * (flag: batch stats used). Inputs: x, weight, bias. */
static int batch_norm_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0), *w = NULL, *st = NULL;
    if (!x) return -1;
    if (n->saved[1] && !(w = pn_unpack(n, 1))) goto fail0;
    if (!(st = pn_unpack(n, 2))) goto fail0;
    const norm_state *ns = PN_STATE(n, norm_state);
    int training = ns->flag, rc = -1;
    int64_t N, C, L;
    batch_norm_dims(x, &N, &C, &L);
    const double *mean = F64(st), *invstd = F64(st) + C;
    if (pn_grad_mode) {
        uint32_t all = (uint32_t)((1ull << x->ndim) - 1), mask = all & ~2u;
        PNTensor *wv = NULL, *cm = NULL, *ci = NULL;
        int64_t shape[PN_MAX_DIMS];
        for (int d = 0; d < x->ndim; d++) shape[d] = d == 1 ? C : 1;
        if (w && !(wv = pn_reshape(w, x->ndim, shape))) goto out;
        if (!training && (!(cm = batch_norm_channel_tensor(mean, x)) ||
                          !(ci = batch_norm_channel_tensor(invstd, x)))) {
            Py_XDECREF(wv), Py_XDECREF(cm);
            goto out;
        }
        PNMeta *pm = &n->meta[n->next[1].fn ? 1 : 2];
        PNTensor *wshape = pn_empty(x->dtype, pm->ndim, pm->shape); /* just carries the shape */
        if (wshape)
            rc = norm_backward_graph(n, x, gout[0], wv, wshape, mask, mask, ns->eps, cm, ci, gin);
        Py_XDECREF(wv), Py_XDECREF(cm), Py_XDECREF(ci), Py_XDECREF(wshape);
        goto out;
    }
    {
        pn_dtype dt = x->dtype;
        PNTensor *g = pn_contiguous_as(gout[0], dt), *xc = g ? pn_to_contiguous_nograd(x) : NULL;
        PNTensor *wc = xc && w ? pn_to_contiguous_nograd(w) : NULL;
        double *dw = PyMem_Calloc((size_t)(2 * C + 1), sizeof(double)), *db = dw + C;
        if (!xc || (w && !wc) || !dw) {
            if (!dw) PyErr_NoMemory();
            goto bout;
        }
        if (n->next[0].fn && !(gin[0] = pn_empty(dt, x->ndim, x->shape))) goto bout;
        if (dt == PN_FLOAT32)
            pn_batch_norm_backward_f32(F32(g), F32(xc), mean, invstd, wc ? F32(wc) : NULL, training,
                                       gin[0] ? F32(gin[0]) : NULL, dw, db, N, C, L);
        else
            pn_batch_norm_backward_f64(F64(g), F64(xc), mean, invstd, wc ? F64(wc) : NULL, training,
                                       gin[0] ? F64(gin[0]) : NULL, dw, db, N, C, L);
        if (n->next[1].fn &&
            !(gin[1] = pn_from_doubles(dw, C, dt, n->meta[1].ndim, n->meta[1].shape)))
            goto bout;
        if (n->next[2].fn &&
            !(gin[2] = pn_from_doubles(db, C, dt, n->meta[2].ndim, n->meta[2].shape)))
            goto bout;
        rc = 0;
    bout:
        PyMem_Free(dw);
        Py_XDECREF(g), Py_XDECREF(xc), Py_XDECREF(wc);
    }
out:
    Py_XDECREF(w), Py_XDECREF(st), Py_DECREF(x);
    return rc;
fail0:
    Py_XDECREF(w), Py_DECREF(x);
    return -1;
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
    if (training && *N * *L <= 1) {
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
    if (xc->dtype == PN_FLOAT32)
        pn_batch_norm_stats_f32(F32(xc), N, C, L, mean, var);
    else
        pn_batch_norm_stats_f64(F64(xc), N, C, L, mean, var);
    if (rm) return batch_norm_update_running(rm, rv, mean, var, C, N * L, momentum);
    return 0;
}

/* _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
 * x (N, C, *), running_mean, running_var, weight, bias (C) -> y (N, C, *) */
PyObject *nn_batch_norm(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *rmo, *rvo, *wo, *bo;
    int training;
    double momentum, eps;
    if (!PyArg_ParseTuple(args, "OOOOOpdd:_batch_norm", &xo, &rmo, &rvo, &wo, &bo, &training,
                          &momentum, &eps))
        return NULL;
    PNTensor *x = pn_tensor_arg(xo, "batch_norm", "input"), *rm, *rv, *w, *b;
    if (!x || pn_opt_tensor_arg(rmo, &rm, "batch_norm", "running_mean") < 0 ||
        pn_opt_tensor_arg(rvo, &rv, "batch_norm", "running_var") < 0 ||
        pn_opt_tensor_arg(wo, &w, "batch_norm", "weight") < 0 ||
        pn_opt_tensor_arg(bo, &b, "batch_norm", "bias") < 0)
        return NULL;
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
    {
        PNTensor *ins[3] = {x, w, b};
        PNNode *n = pn_record(out, "NativeBatchNormBackward0", batch_norm_backward, 3, ins);
        norm_state *ns = n ? pn_node_state(n, sizeof *ns, 0) : NULL;
        if (ns) {
            ns->flag = training, ns->eps = eps;
            if (pn_save(n, 0, x, 0) == 0 && (!w || pn_save(n, 1, w, 0) == 0)) pn_save(n, 2, st, 0);
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
out:
    PyMem_Free(var);
    Py_XDECREF(st), Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc);
    return (PyObject *)out;
}

/* ----------------------------------------------------------- layer norm ---- */

/* x (*, D...), weight, bias (D...) -> dx (*, D...), dweight, dbias (D...) of
 * y = (x - mean) rstd weight + bias, mean and rstd = 1 / sqrt(var + eps) over D...
 * Saved: x, weight, stats (2, M) float64 = mean; rstd. State: norm_state
 * (flag: number of normalised trailing dims). Inputs: x, weight, bias. */
static int layer_norm_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0), *w = NULL, *st = NULL;
    if (!x) return -1;
    if (n->saved[1] && !(w = pn_unpack(n, 1))) goto fail0;
    if (!(st = pn_unpack(n, 2))) goto fail0;
    const norm_state *ns = PN_STATE(n, norm_state);
    int k = ns->flag, rc = -1;
    int64_t D = 1;
    for (int d = x->ndim - k; d < x->ndim; d++) D *= x->shape[d];
    int64_t M = st->shape[1];
    if (pn_grad_mode) {
        uint32_t all = (uint32_t)((1ull << x->ndim) - 1);
        uint32_t stat = all & ~(uint32_t)((1ull << (x->ndim - k)) - 1), par = all & ~stat;
        PNMeta *pm = &n->meta[n->next[1].fn ? 1 : 2];
        PNTensor *wshape = pn_empty(x->dtype, pm->ndim, pm->shape);
        if (wshape)
            rc = norm_backward_graph(n, x, gout[0], w, wshape, stat, par, ns->eps, NULL, NULL, gin);
        Py_XDECREF(wshape);
        goto out;
    }
    {
        pn_dtype dt = x->dtype;
        PNTensor *g = pn_contiguous_as(gout[0], dt), *xc = g ? pn_to_contiguous_nograd(x) : NULL;
        PNTensor *wc = xc && w ? pn_to_contiguous_nograd(w) : NULL;
        double *dw = PyMem_Calloc((size_t)(2 * D + 1), sizeof(double)), *db = dw + D;
        if (!xc || (w && !wc) || !dw) {
            if (!dw) PyErr_NoMemory();
            goto bout;
        }
        if (n->next[0].fn && !(gin[0] = pn_empty(dt, x->ndim, x->shape))) goto bout;
        const double *mean = F64(st), *rstd = F64(st) + M;
        double *pdw = n->next[1].fn ? dw : NULL, *pdb = n->next[2].fn ? db : NULL;
        if (dt == PN_FLOAT32)
            pn_layer_norm_backward_f32(F32(g), F32(xc), mean, rstd, wc ? F32(wc) : NULL,
                                       gin[0] ? F32(gin[0]) : NULL, pdw, pdb, M, D);
        else
            pn_layer_norm_backward_f64(F64(g), F64(xc), mean, rstd, wc ? F64(wc) : NULL,
                                       gin[0] ? F64(gin[0]) : NULL, pdw, pdb, M, D);
        if (pdw && !(gin[1] = pn_from_doubles(dw, D, dt, n->meta[1].ndim, n->meta[1].shape)))
            goto bout;
        if (pdb && !(gin[2] = pn_from_doubles(db, D, dt, n->meta[2].ndim, n->meta[2].shape)))
            goto bout;
        rc = 0;
    bout:
        PyMem_Free(dw);
        Py_XDECREF(g), Py_XDECREF(xc), Py_XDECREF(wc);
    }
out:
    Py_XDECREF(w), Py_XDECREF(st), Py_DECREF(x);
    return rc;
fail0:
    Py_XDECREF(w), Py_DECREF(x);
    return -1;
}

/* _layer_norm(input, normalized_shape, weight, bias, eps)
 * x (*, D...), weight, bias (D...) with D... = normalized_shape -> y (*, D...) */
PyObject *nn_layer_norm(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *nso, *wo, *bo;
    double eps;
    if (!PyArg_ParseTuple(args, "OOOOd:_layer_norm", &xo, &nso, &wo, &bo, &eps)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "layer_norm", "input"), *w, *b;
    if (!x || pn_opt_tensor_arg(wo, &w, "layer_norm", "weight") < 0 ||
        pn_opt_tensor_arg(bo, &b, "layer_norm", "bias") < 0)
        return NULL;
    int64_t ns[PN_MAX_DIMS];
    int k = pn_parse_shape_obj(nso, ns, "layer_norm");
    if (k < 0) return NULL;
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
    int64_t sshape[2] = {2, M};
    PNTensor *st = pn_empty(PN_FLOAT64, 2, sshape), *xc = NULL, *wc = NULL, *bc = NULL, *out = NULL;
    if (!st || !(xc = pn_to_contiguous_nograd(x)) || (w && !(wc = pn_to_contiguous_nograd(w))) ||
        (b && !(bc = pn_to_contiguous_nograd(b))) || !(out = pn_empty(x->dtype, x->ndim, x->shape)))
        goto out;
    if (x->dtype == PN_FLOAT32)
        pn_layer_norm_forward_f32(F32(xc), wc ? F32(wc) : NULL, bc ? F32(bc) : NULL, eps, F32(out),
                                  F64(st), F64(st) + M, M, D);
    else
        pn_layer_norm_forward_f64(F64(xc), wc ? F64(wc) : NULL, bc ? F64(bc) : NULL, eps, F64(out),
                                  F64(st), F64(st) + M, M, D);
    {
        PNTensor *ins[3] = {x, w, b};
        PNNode *n = pn_record(out, "NativeLayerNormBackward0", layer_norm_backward, 3, ins);
        norm_state *ns = n ? pn_node_state(n, sizeof *ns, 0) : NULL;
        if (ns) {
            ns->flag = k, ns->eps = eps;
            if (pn_save(n, 0, x, 0) == 0 && (!w || pn_save(n, 1, w, 0) == 0)) pn_save(n, 2, st, 0);
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
out:
    Py_XDECREF(st), Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc);
    return (PyObject *)out;
}
