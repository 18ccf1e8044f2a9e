/* ops_nn.c - the layer ops of torch.nn.functional: linear, activations,
 * dropout, batch_norm, layer_norm, embedding, one_hot, pad.
 *
 * Forward and backward run the kernels of ../kernels/nn.c on contiguous
 * buffers (a strided input is copied first). When a backward runs with grad
 * mode on (create_graph=True) it is built instead from differentiable ops
 * (pn_matmul, pn_binary_t, pn_mean, ...) or from ops that record their own
 * node, so that gradients of gradients work.
 *
 * The Python wrappers (pynet/nn/_functional_layers.py) parse PyTorch's
 * signatures and defaults and call the _C functions defined at the end.
 */
#include "pynet.h"
#include "../kernels/gemm.h"
#include "../kernels/nn.h"
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------- helpers ---- */

#define F32(t) ((float *)(t)->data)
#define F64(t) ((double *)(t)->data)

static PNTensor *as_tensor_arg(PyObject *o, const char *op, const char *name) {
    if (!PNTensor_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Tensor, not %s", op, name,
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    return (PNTensor *)o;
}

/* None -> NULL (ok); a tensor -> borrowed; anything else -> TypeError. */
static int opt_tensor_arg(PyObject *o, PNTensor **out, const char *op, const char *name) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    return (*out = as_tensor_arg(o, op, name)) ? 0 : -1;
}

static int require_float(PNTensor *t, const char *op) {
    if (pn_is_float(t->dtype)) return 0;
    PyErr_Format(PyExc_NotImplementedError, "\"%s\" not implemented for '%s'", op,
                 pn_dtype_name(t->dtype));
    return -1;
}

static int same_dtype(PNTensor *a, PNTensor *b, const char *op) {
    if (!b || a->dtype == b->dtype) return 0;
    PyErr_Format(PyExc_RuntimeError,
                 "%s: expected all tensors to have the same dtype, but got %s "
                 "and %s",
                 op, pn_dtype_name(a->dtype), pn_dtype_name(b->dtype));
    return -1;
}

/* A contiguous tensor of dtype dt holding t's values (t itself when it already is). */
static PNTensor *contig_as(PNTensor *t, pn_dtype dt) {
    if (t->dtype == dt) return pn_to_contiguous_nograd(t);
    PNTensor *c = pn_empty(dt, t->ndim, t->shape);
    if (c && pn_copy_into(c, t) < 0) Py_CLEAR(c);
    return c;
}

/* A float64 tensor of shape (n,) filled from a double buffer, cast to dt. */
static PNTensor *from_doubles(const double *v, int64_t n, pn_dtype dt, int ndim,
                              const int64_t *shape) {
    PNTensor *t = pn_empty(dt, ndim, shape);
    if (!t) return NULL;
    for (int64_t k = 0; k < n; k++) {
        if (dt == PN_FLOAT32)
            F32(t)[k] = (float)v[k];
        else
            F64(t)[k] = v[k];
    }
    return t;
}

/* --------------------------------------------------------------- linear ---- */

/* How to hand a (rows, cols) matrix with element strides (srow, scol) to the
 * GEMM: as itself (trans 0, leading dim srow) or as the transpose of a
 * stored (cols, rows) matrix (trans 1, leading dim scol). 0: neither, copy. */
static int mat_layout(int64_t rows, int64_t cols, int64_t srow, int64_t scol, int *trans,
                      int64_t *ld) {
    if (rows <= 1) srow = cols > 1 ? cols : 1; /* a stride along a size-1 dim is meaningless */
    if (cols <= 1) scol = 1;
    if (scol == 1 && srow >= cols && srow >= 1) {
        *trans = 0, *ld = srow;
        return 1;
    }
    if (srow == 1 && scol >= rows && scol >= 1) {
        *trans = 1, *ld = scol;
        return 1;
    }
    return 0;
}

/* The (M, K) matrix view of x (*, K): its layout for the GEMM, or a
 * contiguous copy in *copy when it has none. */
static int x_layout(PNTensor *x, int64_t M, int64_t K, PNTensor **copy, int *trans, int64_t *ld) {
    *copy = NULL;
    if (x->ndim == 2 && mat_layout(M, K, x->strides[0], x->strides[1], trans, ld)) return 0;
    if (x->ndim != 2 && pn_is_contiguous(x)) {
        *trans = 0, *ld = K > 1 ? K : 1;
        return 0;
    }
    if (!(*copy = pn_to_contiguous_nograd(x))) return -1;
    *trans = 0, *ld = K > 1 ? K : 1;
    return 0;
}

static int gemm(pn_dtype dt, int ta, int tb, int64_t M, int64_t N, int64_t K, const char *A,
                int64_t lda, const char *B, int64_t ldb, double beta, char *C, int64_t ldc) {
    if (M == 0 || N == 0) return 0;
    if (K == 0) { /* nothing to add: C = beta C */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                if (dt == PN_FLOAT32)
                    ((float *)C)[i * ldc + j] = beta ? ((float *)C)[i * ldc + j] : 0.0f;
                else
                    ((double *)C)[i * ldc + j] = beta ? ((double *)C)[i * ldc + j] : 0.0;
            }
        return 0;
    }
    int rc;
    int big = M * N * K > 32768;
    PyThreadState *ts = big ? PyEval_SaveThread() : NULL;
    if (dt == PN_FLOAT32)
        rc = pn_sgemm(ta, tb, M, N, K, 1.0f, (const float *)A, lda, (const float *)B, ldb,
                      (float)beta, (float *)C, ldc);
    else
        rc = pn_dgemm(ta, tb, M, N, K, 1.0, (const double *)A, lda, (const double *)B, ldb, beta,
                      (double *)C, ldc);
    if (ts) PyEval_RestoreThread(ts);
    if (rc != 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* x (*, K), w (N, K) -> (*, N) = x @ w^T + b, without autograd. */
static PNTensor *linear_raw(PNTensor *x, PNTensor *w, PNTensor *b) {
    int64_t K = x->shape[x->ndim - 1], N = w->shape[0], M = K ? x->numel / K : 1;
    if (!K)
        for (int d = 0; d < x->ndim - 1; d++) M *= x->shape[d];
    int64_t oshape[PN_MAX_DIMS];
    for (int d = 0; d < x->ndim - 1; d++) oshape[d] = x->shape[d];
    oshape[x->ndim - 1] = N;
    PNTensor *xc = NULL, *wc = NULL, *bc = NULL, *out = NULL;
    int ta = 0, tb = 0, wt = 0;
    int64_t lda = 1, ldb = 1;
    if (x_layout(x, M, K, &xc, &ta, &lda) < 0) return NULL;
    /* w (N, K) is op(B)^T: op(B) = w^T (K, N). A contiguous w is the transpose
     * of a stored matrix (tb = 1); w = v.T of a contiguous v is v itself (tb = 0). */
    if (!mat_layout(N, K, w->strides[0], w->strides[1], &wt, &ldb)) {
        if (!(wc = pn_to_contiguous_nograd(w))) goto fail;
        mat_layout(N, K, wc->strides[0], wc->strides[1], &wt, &ldb);
    }
    tb = !wt;
    PNTensor *W = wc ? wc : w, *X = xc ? xc : x;
    out = pn_empty(x->dtype, x->ndim, oshape);
    if (!out) goto fail;
    double beta = 0.0;
    if (b && M > 0 && N > 0) {
        if (!(bc = contig_as(b, b->dtype))) goto fail;
        if (x->dtype == PN_FLOAT32)
            pn_fill_rows_f32(F32(out), F32(bc), M, N);
        else
            pn_fill_rows_f64(F64(out), F64(bc), M, N);
        beta = 1.0;
    }
    if (gemm(x->dtype, ta, tb, M, N, K, X->data, lda, W->data, ldb, beta, out->data, N) < 0)
        goto fail;
    Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc);
    return out;
fail:
    Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc), Py_XDECREF(out);
    return NULL;
}

/* Saved: x (slot 0), w (slot 1). i[0] = M, i[1] = K. */
static int linear_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0), *w = x ? pn_unpack(n, 1) : NULL;
    if (!w) {
        Py_XDECREF(x);
        return -1;
    }
    int64_t M = n->i[0], K = n->i[1], N = w->shape[0];
    int64_t gshape[2] = {M, N}, xshape[2] = {M, K};
    int rc = -1;
    PNTensor *g = NULL, *x2 = NULL;
    if (pn_grad_mode) { /* create_graph: the same math with differentiable ops */
        g = pn_reshape(gout[0], 2, gshape);
        x2 = g ? pn_reshape(x, 2, xshape) : NULL;
        if (!x2) goto out;
        if (n->next[0].fn) {
            PNTensor *d = pn_matmul(g, w, "linear backward");
            gin[0] = d ? pn_reshape(d, x->ndim, x->shape) : NULL;
            Py_XDECREF(d);
            if (!gin[0]) goto out;
        }
        if (n->next[1].fn) {
            PNTensor *gt = pn_transpose(g, 0, 1);
            gin[1] = gt ? pn_matmul(gt, x2, "linear backward") : NULL;
            Py_XDECREF(gt);
            if (!gin[1]) goto out;
        }
        if (n->next[2].fn && !(gin[2] = pn_sum(g, 1u, 0, 0, PN_FLOAT32))) goto out;
        rc = 0;
        goto out;
    }
    pn_dtype dt = x->dtype;
    if (!(g = contig_as(gout[0], dt))) goto out;
    if (n->next[0].fn) { /* dx (M, K) = g (M, N) @ w (N, K) */
        int wt = 0;
        int64_t ldb = 1;
        PNTensor *wc = NULL;
        if (!mat_layout(N, K, w->strides[0], w->strides[1], &wt, &ldb)) {
            if (!(wc = pn_to_contiguous_nograd(w))) goto out;
            mat_layout(N, K, wc->strides[0], wc->strides[1], &wt, &ldb);
        }
        gin[0] = pn_empty(dt, x->ndim, x->shape);
        int r = gin[0] ? gemm(dt, 0, wt, M, K, N, g->data, N > 1 ? N : 1, (wc ? wc : w)->data, ldb,
                              0.0, gin[0]->data, K)
                       : -1;
        Py_XDECREF(wc);
        if (r < 0) goto out;
    }
    if (n->next[1].fn) { /* dw (N, K) = g^T (N, M) @ x (M, K): g passed transposed, no copy */
        int tb = 0;
        int64_t ldb = 1;
        PNTensor *xc;
        if (x_layout(x, M, K, &xc, &tb, &ldb) < 0) goto out;
        gin[1] = pn_empty(dt, 2, w->shape);
        int r = gin[1] ? gemm(dt, 1, tb, N, K, M, g->data, N > 1 ? N : 1, (xc ? xc : x)->data, ldb,
                              0.0, gin[1]->data, K)
                       : -1;
        Py_XDECREF(xc);
        if (r < 0) goto out;
    }
    if (n->next[2].fn) { /* db (N) = g summed over the batch rows */
        if (!(gin[2] = pn_empty(dt, 1, &N))) goto out;
        if (dt == PN_FLOAT32)
            pn_sum_rows_f32(F32(g), F32(gin[2]), M, N);
        else
            pn_sum_rows_f64(F64(g), F64(gin[2]), M, N);
    }
    rc = 0;
out:
    Py_XDECREF(g), Py_XDECREF(x2), Py_DECREF(x), Py_DECREF(w);
    return rc;
}

static PyObject *nn_linear(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *wo, *bo = Py_None;
    if (!PyArg_ParseTuple(args, "OO|O:linear", &xo, &wo, &bo)) return NULL;
    PNTensor *x = as_tensor_arg(xo, "linear", "input"), *w, *b;
    if (!x || !(w = as_tensor_arg(wo, "linear", "weight")) ||
        opt_tensor_arg(bo, &b, "linear", "bias") < 0)
        return NULL;
    if (x->ndim == 0 || w->ndim != 2) {
        PyErr_Format(PyExc_RuntimeError,
                     "linear: expected input to be at least 1-D and weight "
                     "to be 2-D, but got %dD input and %dD weight",
                     x->ndim, w->ndim);
        return NULL;
    }
    int64_t K = x->shape[x->ndim - 1], N = w->shape[0], M = 1;
    for (int d = 0; d < x->ndim - 1; d++) M *= x->shape[d];
    if (w->shape[1] != K) { /* PyTorch's wording: mat1 is x as (M, K), mat2 is w^T */
        PyErr_Format(PyExc_RuntimeError,
                     "mat1 and mat2 shapes cannot be multiplied (%lldx%lld "
                     "and %lldx%lld)",
                     (long long)M, (long long)K, (long long)w->shape[1], (long long)N);
        return NULL;
    }
    if (x->dtype != w->dtype || (b && b->dtype != x->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "mat1 and mat2 must have the same dtype, but got %s and "
                     "%s",
                     pn_dtype_name(x->dtype),
                     pn_dtype_name(x->dtype != w->dtype ? w->dtype : b->dtype));
        return NULL;
    }
    if (!pn_is_float(x->dtype)) {
        PyErr_Format(PyExc_RuntimeError, "\"addmm_impl_cpu_\" not implemented for '%s'",
                     pn_dtype_name(x->dtype));
        return NULL;
    }
    if (b && !(b->numel == N && b->ndim <= 1)) {
        char s[256];
        pn_format_shape(s, sizeof s, b->ndim, b->shape);
        PyErr_Format(PyExc_RuntimeError, "linear: expected bias of shape (%lld,), but got %s",
                     (long long)N, s);
        return NULL;
    }
    PNTensor *out = linear_raw(x, w, b);
    if (!out) return NULL;
    PNTensor *ins[3] = {x, w, b};
    PNNode *n = pn_record(out, b ? "AddmmBackward0" : "MmBackward0", linear_backward, 3, ins);
    if (n) {
        n->i[0] = M, n->i[1] = K;
        if (pn_save(n, 0, x, 0) < 0 || pn_save(n, 1, w, 0) < 0) Py_CLEAR(out);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return (PyObject *)out;
}

/* ---------------------------------------------------------- activations ---- */

static const char *act_names[PN_NACT] = {
    [PN_ACT_LEAKY_RELU] = "leaky_relu",
    [PN_ACT_ELU] = "elu",
    [PN_ACT_GELU] = "gelu",
    [PN_ACT_GELU_TANH] = "gelu",
    [PN_ACT_SOFTPLUS] = "softplus",
    [PN_ACT_HARDTANH] = "hardtanh",
    [PN_ACT_SILU] = "silu",
};
static const char *act_nodes[PN_NACT] = {
    [PN_ACT_LEAKY_RELU] = "LeakyReluBackward0",
    [PN_ACT_ELU] = "EluBackward0",
    [PN_ACT_GELU] = "GeluBackward0",
    [PN_ACT_GELU_TANH] = "GeluBackward0",
    [PN_ACT_SOFTPLUS] = "SoftplusBackward0",
    [PN_ACT_HARDTANH] = "HardtanhBackward0",
    [PN_ACT_SILU] = "SiluBackward0",
};

static pn_act_args node_act(PNNode *n) {
    pn_act_args p = {(pn_act)n->i[0], n->d[0], n->d[1]};
    return p;
}

static PNTensor *act_deriv(PNTensor *x, const pn_act_args *p, int order);

/* Backward of f'(x) (order i[1]): gg * f''(x). A third derivative is not provided. */
static int act_deriv_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    if (n->i[1] >= 2) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "pynet: third derivatives of activations are not implemented");
        return -1;
    }
    PNTensor *x = pn_unpack(n, 0);
    if (!x) return -1;
    pn_act_args p = node_act(n);
    PNTensor *d = act_deriv(x, &p, 2);
    gin[0] = d ? pn_binary_t(PN_MUL, gout[0], d) : NULL;
    Py_XDECREF(d);
    Py_DECREF(x);
    return gin[0] ? 0 : -1;
}

/* f'(x) or f''(x) as a tensor, recorded so that it can be differentiated. */
static PNTensor *act_deriv(PNTensor *x, const pn_act_args *p, int order) {
    PNTensor *xc = pn_to_contiguous_nograd(x);
    PNTensor *out = xc ? pn_empty(x->dtype, x->ndim, x->shape) : NULL;
    if (!out) {
        Py_XDECREF(xc);
        return NULL;
    }
    if (x->dtype == PN_FLOAT32)
        pn_act_deriv_f32(p, order, F32(xc), F32(out), x->numel);
    else
        pn_act_deriv_f64(p, order, F64(xc), F64(out), x->numel);
    Py_DECREF(xc);
    PNNode *n = pn_record(out, "ActivationDerivativeBackward", act_deriv_backward, 1, &x);
    if (n) {
        n->i[0] = p->act, n->i[1] = order, n->d[0] = p->a, n->d[1] = p->b;
        if (pn_save(n, 0, x, 0) < 0) Py_CLEAR(out);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

static int act_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0);
    if (!x) return -1;
    pn_act_args p = node_act(n);
    if (pn_grad_mode) { /* g * f'(x), with f'(x) differentiable */
        PNTensor *d = act_deriv(x, &p, 1);
        gin[0] = d ? pn_binary_t(PN_MUL, gout[0], d) : NULL;
        Py_XDECREF(d);
    } else {
        PNTensor *g = contig_as(gout[0], x->dtype), *xc = g ? pn_to_contiguous_nograd(x) : NULL;
        gin[0] = xc ? pn_empty(x->dtype, x->ndim, x->shape) : NULL;
        if (gin[0]) {
            if (x->dtype == PN_FLOAT32)
                pn_act_backward_f32(&p, F32(g), F32(xc), F32(gin[0]), x->numel);
            else
                pn_act_backward_f64(&p, F64(g), F64(xc), F64(gin[0]), x->numel);
        }
        Py_XDECREF(g), Py_XDECREF(xc);
    }
    Py_DECREF(x);
    return gin[0] ? 0 : -1;
}

static PNTensor *act_forward(PNTensor *x, const pn_act_args *p) {
    PNTensor *xc = pn_to_contiguous_nograd(x);
    PNTensor *out = xc ? pn_empty(x->dtype, x->ndim, x->shape) : NULL;
    if (!out) {
        Py_XDECREF(xc);
        return NULL;
    }
    if (x->dtype == PN_FLOAT32)
        pn_act_forward_f32(p, F32(xc), F32(out), x->numel);
    else
        pn_act_forward_f64(p, F64(xc), F64(out), x->numel);
    Py_DECREF(xc);
    PNNode *n = pn_record(out, act_nodes[p->act], act_backward, 1, &x);
    if (n) {
        n->i[0] = p->act, n->d[0] = p->a, n->d[1] = p->b;
        if (pn_save(n, 0, x, 0) < 0) Py_CLEAR(out);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* _activation(input, kind, a, b, inplace) */
static PyObject *nn_activation(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo;
    int kind, inplace = 0;
    double a = 0, b = 0;
    if (!PyArg_ParseTuple(args, "Oidd|p:_activation", &xo, &kind, &a, &b, &inplace)) return NULL;
    if (kind < 0 || kind >= PN_NACT) {
        PyErr_SetString(PyExc_ValueError, "_activation: unknown activation");
        return NULL;
    }
    PNTensor *x = as_tensor_arg(xo, act_names[kind], "input");
    if (!x || require_float(x, act_names[kind]) < 0) return NULL;
    pn_act_args p = {(pn_act)kind, a, b};
    if (!inplace) return (PyObject *)act_forward(x, &p);
    if (pn_check_inplace(x, act_names[kind]) < 0) return NULL;
    if (!(pn_grad_mode && x->requires_grad)) {
        PNTensor *r = act_forward(x, &p);
        if (!r) return NULL;
        int rc = pn_copy_into(x, r);
        Py_DECREF(r);
        if (rc < 0) return NULL;
        Py_INCREF(x);
        return (PyObject *)x;
    }
    /* the backward needs the old values: compute from a clone */
    PNTensor *old = pn_clone(x);
    if (!old) return NULL;
    PNTensor *r = act_forward(old, &p);
    Py_DECREF(old);
    return pn_inplace_result(x, r);
}

/* relu_(input): Tensor.relu in place */
static PyObject *nn_relu_(PyObject *m, PyObject *xo) {
    (void)m;
    PNTensor *x = as_tensor_arg(xo, "relu_", "input");
    return x ? pn_unary_inplace(PN_RELU, x) : NULL;
}

/* ---------------------------------------------------------------- prelu ---- */

/* x viewed as (outer, C, inner), channels along dim 1 (none for ndim < 2). */
static void prelu_dims(PNTensor *x, int64_t *outer, int64_t *C, int64_t *inner) {
    *outer = x->ndim >= 2 ? x->shape[0] : 1;
    *C = x->ndim >= 2 ? x->shape[1] : 1;
    *inner = 1;
    for (int d = 2; d < x->ndim; d++) *inner *= x->shape[d];
    if (x->ndim == 1) *inner = x->shape[0];
}

/* A view of w shaped to broadcast against x: (C, 1, ..., 1) after dim 1. */
static PNTensor *prelu_weight_view(PNTensor *w, PNTensor *x) {
    if (w->numel == 1 || x->ndim < 2) {
        int64_t one = 1;
        return pn_reshape(w, 1, &one);
    }
    int64_t shape[PN_MAX_DIMS];
    for (int d = 0; d < x->ndim - 1; d++) shape[d] = d == 0 ? w->numel : 1;
    return pn_reshape(w, x->ndim - 1, shape);
}

/* Saved: x, w. */
static int prelu_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0), *w = x ? pn_unpack(n, 1) : NULL;
    if (!w) {
        Py_XDECREF(x);
        return -1;
    }
    int rc = -1;
    if (pn_grad_mode) { /* dx = where(x > 0, g, w g);  dw = sum of where(x > 0, 0, x g) */
        PNTensor *g = gout[0], *wv = prelu_weight_view(w, x);
        PNTensor *pos = wv ? pn_binary_s(PN_GT, x, 0.0) : NULL, *t = NULL, *xg = NULL, *s = NULL;
        if (!pos) goto gout_;
        if (n->next[0].fn) {
            t = pn_binary_t(PN_MUL, g, wv);
            if (!t || !(gin[0] = pn_where_t(pos, g, 0.0, t))) goto gout_;
        }
        if (n->next[1].fn) {
            xg = pn_binary_t(PN_MUL, x, g);
            s = xg ? pn_where_t(pos, NULL, 0.0, xg) : NULL;
            if (!s) goto gout_;
            uint32_t mask = 0;
            for (int d = 0; d < x->ndim; d++)
                if (!(w->numel > 1 && x->ndim >= 2 && d == 1)) mask |= 1u << d;
            PNTensor *r = mask ? pn_sum(s, mask, 0, 0, PN_FLOAT32) : (Py_INCREF(s), s);
            gin[1] = r ? pn_reshape(r, w->ndim, w->shape) : NULL;
            Py_XDECREF(r);
            if (!gin[1]) goto gout_;
        }
        rc = 0;
    gout_:
        Py_XDECREF(wv), Py_XDECREF(pos), Py_XDECREF(t), Py_XDECREF(xg), Py_XDECREF(s);
        Py_DECREF(x), Py_DECREF(w);
        return rc;
    }
    int64_t outer, C, inner, ws = w->numel > 1 ? 1 : 0;
    prelu_dims(x, &outer, &C, &inner);
    pn_dtype dt = x->dtype;
    PNTensor *g = contig_as(gout[0], dt), *xc = g ? pn_to_contiguous_nograd(x) : NULL;
    PNTensor *wc = xc ? pn_to_contiguous_nograd(w) : NULL;
    double *dw = NULL;
    if (!wc) goto out;
    if (n->next[0].fn && !(gin[0] = pn_empty(dt, x->ndim, x->shape))) goto out;
    if (n->next[1].fn && !(dw = PyMem_Calloc((size_t)w->numel, sizeof(double)))) {
        PyErr_NoMemory();
        goto out;
    }
    if (dt == PN_FLOAT32)
        pn_prelu_backward_f32(F32(g), F32(xc), F32(wc), ws, gin[0] ? F32(gin[0]) : NULL, dw, outer,
                              C, inner);
    else
        pn_prelu_backward_f64(F64(g), F64(xc), F64(wc), ws, gin[0] ? F64(gin[0]) : NULL, dw, outer,
                              C, inner);
    if (dw && !(gin[1] = from_doubles(dw, w->numel, dt, w->ndim, w->shape))) goto out;
    rc = 0;
out:
    PyMem_Free(dw);
    Py_XDECREF(g), Py_XDECREF(xc), Py_XDECREF(wc), Py_DECREF(x), Py_DECREF(w);
    return rc;
}

static PyObject *nn_prelu(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *wo;
    if (!PyArg_ParseTuple(args, "OO:prelu", &xo, &wo)) return NULL;
    PNTensor *x = as_tensor_arg(xo, "prelu", "input"), *w;
    if (!x || !(w = as_tensor_arg(wo, "prelu", "weight"))) return NULL;
    if (require_float(x, "prelu") < 0 || same_dtype(x, w, "prelu") < 0) return NULL;
    int64_t outer, C, inner;
    prelu_dims(x, &outer, &C, &inner);
    if (x->ndim == 0 || w->ndim > 1 || (w->numel != 1 && w->numel != C) ||
        (x->ndim < 2 && w->numel != 1)) {
        PyErr_Format(PyExc_RuntimeError,
                     "Mismatch of parameter numbers and input channel size. "
                     "Found parameter numbers = %lld and channel size = %lld.",
                     (long long)w->numel, (long long)(x->ndim >= 2 ? C : 1));
        return NULL;
    }
    PNTensor *xc = pn_to_contiguous_nograd(x), *wc = xc ? pn_to_contiguous_nograd(w) : NULL;
    PNTensor *out = wc ? pn_empty(x->dtype, x->ndim, x->shape) : NULL;
    if (out) {
        int64_t ws = w->numel > 1 ? 1 : 0;
        if (x->dtype == PN_FLOAT32)
            pn_prelu_forward_f32(F32(xc), F32(wc), ws, F32(out), outer, C, inner);
        else
            pn_prelu_forward_f64(F64(xc), F64(wc), ws, F64(out), outer, C, inner);
        PNTensor *ins[2] = {x, w};
        PNNode *n = pn_record(out, "PreluKernelBackward0", prelu_backward, 2, ins);
        if (n && (pn_save(n, 0, x, 0) < 0 || pn_save(n, 1, w, 0) < 0)) Py_CLEAR(out);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_XDECREF(xc), Py_XDECREF(wc);
    return (PyObject *)out;
}

/* -------------------------------------------------------------- dropout ---- */

/* Saved: the scaled mask (0 or 1/(1-p)). dx = g * mask: an ordinary
 * differentiable multiplication, so double backward comes for free. */
static int dropout_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *mask = pn_unpack(n, 0);
    if (!mask) return -1;
    gin[0] = pn_binary_t(PN_MUL, gout[0], mask);
    Py_DECREF(mask);
    return gin[0] ? 0 : -1;
}

/* _dropout(input, p, inplace): training mode with 0 < p <= 1 (the wrapper
 * handles the identity cases and checks p). */
static PyObject *nn_dropout(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo;
    double p;
    int inplace = 0;
    if (!PyArg_ParseTuple(args, "Od|p:_dropout", &xo, &p, &inplace)) return NULL;
    PNTensor *x = as_tensor_arg(xo, "dropout", "input");
    if (!x) return NULL;
    if (!pn_is_float(x->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "dropout: result type float32 can't be cast to the "
                     "desired output type %s",
                     pn_dtype_name(x->dtype));
        return NULL;
    }
    if (!(p >= 0.0 && p <= 1.0)) {
        PyErr_Format(PyExc_ValueError, "dropout probability has to be between 0 and 1, but got %g",
                     p);
        return NULL;
    }
    if (inplace && pn_check_inplace(x, "dropout_") < 0) return NULL;
    PNTensor *mask = pn_empty(x->dtype, x->ndim, x->shape);
    if (!mask) return NULL;
    pn_rng *g = (pn_rng *)pn_global_rng_ptr();
    if (x->dtype == PN_FLOAT32)
        pn_dropout_mask_f32(g, F32(mask), mask->numel, p);
    else
        pn_dropout_mask_f64(g, F64(mask), mask->numel, p);
    PNTensor *out;
    { /* y = x * mask, recorded as one dropout node below */
        int prev = pn_grad_mode;
        pn_grad_mode = 0;
        out = pn_binary_t(PN_MUL, x, mask);
        pn_grad_mode = prev;
    }
    if (out) {
        PNNode *n = pn_record(out, "NativeDropoutBackward0", dropout_backward, 1, &x);
        if (n && pn_save(n, 0, mask, 0) < 0) Py_CLEAR(out);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_DECREF(mask);
    if (!out || !inplace) return (PyObject *)out;
    if (!(pn_grad_mode && x->requires_grad)) {
        int rc = pn_copy_into(x, out);
        Py_DECREF(out);
        if (rc < 0) return NULL;
        Py_INCREF(x);
        return (PyObject *)x;
    }
    return pn_inplace_result(x, out);
}

/* ------------------------------------------------- normalisation helpers ---- */

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
static void bn_dims(PNTensor *x, int64_t *N, int64_t *C, int64_t *L) {
    *N = x->shape[0], *C = x->shape[1], *L = 1;
    for (int d = 2; d < x->ndim; d++) *L *= x->shape[d];
}

/* A (C,) float64 stats row as a tensor of x's dtype shaped (1, C, 1, ...). */
static PNTensor *bn_channel_tensor(const double *v, PNTensor *x) {
    int64_t shape[PN_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) shape[d] = d == 1 ? x->shape[1] : 1;
    return from_doubles(v, x->shape[1], x->dtype, x->ndim, shape);
}

/* Saved: x, weight, stats (2, C) float64 = mean; invstd. i[0]: batch stats
 * used (training). d[0]: eps. Inputs: x, weight, bias. */
static int bn_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0), *w = NULL, *st = NULL;
    if (!x) return -1;
    if (n->saved[1] && !(w = pn_unpack(n, 1))) goto fail0;
    if (!(st = pn_unpack(n, 2))) goto fail0;
    int training = (int)n->i[0], rc = -1;
    int64_t N, C, L;
    bn_dims(x, &N, &C, &L);
    const double *mean = F64(st), *invstd = F64(st) + C;
    if (pn_grad_mode) {
        uint32_t all = (uint32_t)((1ull << x->ndim) - 1), mask = all & ~2u;
        PNTensor *wv = NULL, *cm = NULL, *ci = NULL;
        int64_t shape[PN_MAX_DIMS];
        for (int d = 0; d < x->ndim; d++) shape[d] = d == 1 ? C : 1;
        if (w && !(wv = pn_reshape(w, x->ndim, shape))) goto out;
        if (!training &&
            (!(cm = bn_channel_tensor(mean, x)) || !(ci = bn_channel_tensor(invstd, x)))) {
            Py_XDECREF(wv), Py_XDECREF(cm);
            goto out;
        }
        PNMeta *pm = &n->meta[n->next[1].fn ? 1 : 2];
        PNTensor *wshape = pn_empty(x->dtype, pm->ndim, pm->shape); /* just carries the shape */
        if (wshape)
            rc = norm_backward_graph(n, x, gout[0], wv, wshape, mask, mask, n->d[0], cm, ci, gin);
        Py_XDECREF(wv), Py_XDECREF(cm), Py_XDECREF(ci), Py_XDECREF(wshape);
        goto out;
    }
    {
        pn_dtype dt = x->dtype;
        PNTensor *g = contig_as(gout[0], dt), *xc = g ? pn_to_contiguous_nograd(x) : NULL;
        PNTensor *wc = xc && w ? pn_to_contiguous_nograd(w) : NULL;
        double *dw = PyMem_Calloc((size_t)(2 * C + 1), sizeof(double)), *db = dw + C;
        if (!xc || (w && !wc) || !dw) {
            if (!dw) PyErr_NoMemory();
            goto bout;
        }
        if (n->next[0].fn && !(gin[0] = pn_empty(dt, x->ndim, x->shape))) goto bout;
        if (dt == PN_FLOAT32)
            pn_bn_backward_f32(F32(g), F32(xc), mean, invstd, wc ? F32(wc) : NULL, training,
                               gin[0] ? F32(gin[0]) : NULL, dw, db, N, C, L);
        else
            pn_bn_backward_f64(F64(g), F64(xc), mean, invstd, wc ? F64(wc) : NULL, training,
                               gin[0] ? F64(gin[0]) : NULL, dw, db, N, C, L);
        if (n->next[1].fn && !(gin[1] = from_doubles(dw, C, dt, n->meta[1].ndim, n->meta[1].shape)))
            goto bout;
        if (n->next[2].fn && !(gin[2] = from_doubles(db, C, dt, n->meta[2].ndim, n->meta[2].shape)))
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
    PNTensor *c = contig_as(t, PN_FLOAT64);
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

/* _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps) */
static PyObject *nn_batch_norm(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *rmo, *rvo, *wo, *bo;
    int training;
    double momentum, eps;
    if (!PyArg_ParseTuple(args, "OOOOOpdd:_batch_norm", &xo, &rmo, &rvo, &wo, &bo, &training,
                          &momentum, &eps))
        return NULL;
    PNTensor *x = as_tensor_arg(xo, "batch_norm", "input"), *rm, *rv, *w, *b;
    if (!x || opt_tensor_arg(rmo, &rm, "batch_norm", "running_mean") < 0 ||
        opt_tensor_arg(rvo, &rv, "batch_norm", "running_var") < 0 ||
        opt_tensor_arg(wo, &w, "batch_norm", "weight") < 0 ||
        opt_tensor_arg(bo, &b, "batch_norm", "bias") < 0)
        return NULL;
    if (x->ndim < 2) {
        PyErr_Format(PyExc_ValueError,
                     "batch_norm: expected 2D or higher input (N, C, ...), got "
                     "%dD input",
                     x->ndim);
        return NULL;
    }
    if (require_float(x, "batch_norm") < 0 || same_dtype(x, w, "batch_norm") < 0 ||
        same_dtype(x, b, "batch_norm") < 0)
        return NULL;
    int64_t N, C, L;
    bn_dims(x, &N, &C, &L);
    if (check_channel_arg(rm, x, C, "running_mean") < 0 ||
        check_channel_arg(rv, x, C, "running_var") < 0 ||
        check_channel_arg(w, x, C, "weight") < 0 || check_channel_arg(b, x, C, "bias") < 0)
        return NULL;
    if ((rm == NULL) != (rv == NULL)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "batch_norm: running_mean and running_var must be both given or both None");
        return NULL;
    }
    if (!training && !rm) {
        PyErr_SetString(PyExc_RuntimeError, "running_mean must be defined in evaluation mode");
        return NULL;
    }
    int use_batch = training;
    int64_t cnt = N * L;
    if (training && cnt <= 1) {
        char s[256];
        pn_format_shape(s, sizeof s, x->ndim, x->shape);
        PyErr_Format(PyExc_ValueError,
                     "Expected more than 1 value per channel when training, "
                     "got input size %s",
                     s);
        return NULL;
    }
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
    if (use_batch) {
        if (x->dtype == PN_FLOAT32)
            pn_bn_stats_f32(F32(xc), N, C, L, mean, var);
        else
            pn_bn_stats_f64(F64(xc), N, C, L, mean, var);
        if (training && rm) { /* running = (1 - momentum) running + momentum batch (unbiased var) */
            double *buf = PyMem_Malloc(sizeof(double) * (size_t)(2 * C + 1));
            if (!buf) {
                PyErr_NoMemory();
                goto out;
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
            if (rc < 0) goto out;
        }
    } else {
        if (read_doubles(rm, mean) < 0 || read_doubles(rv, var) < 0) goto out;
    }
    for (int64_t c = 0; c < C; c++) invstd[c] = 1.0 / sqrt(var[c] + eps);
    if (!(out = pn_empty(x->dtype, x->ndim, x->shape))) goto out;
    if (x->dtype == PN_FLOAT32)
        pn_bn_forward_f32(F32(xc), mean, invstd, wc ? F32(wc) : NULL, bc ? F32(bc) : NULL, F32(out),
                          N, C, L);
    else
        pn_bn_forward_f64(F64(xc), mean, invstd, wc ? F64(wc) : NULL, bc ? F64(bc) : NULL, F64(out),
                          N, C, L);
    {
        PNTensor *ins[3] = {x, w, b};
        PNNode *n = pn_record(out, "NativeBatchNormBackward0", bn_backward, 3, ins);
        if (n) {
            n->i[0] = use_batch, n->d[0] = eps;
            if (pn_save(n, 0, x, 0) < 0 || (w && pn_save(n, 1, w, 0) < 0) ||
                pn_save(n, 2, st, 0) < 0)
                Py_CLEAR(out);
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
out:
    PyMem_Free(var);
    Py_XDECREF(st), Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc);
    return (PyObject *)out;
}

/* ----------------------------------------------------------- layer norm ---- */

/* Saved: x, weight, stats (2, M) float64 = mean; rstd. i[0]: number of
 * normalised trailing dims. d[0]: eps. Inputs: x, weight, bias. */
static int ln_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0), *w = NULL, *st = NULL;
    if (!x) return -1;
    if (n->saved[1] && !(w = pn_unpack(n, 1))) goto fail0;
    if (!(st = pn_unpack(n, 2))) goto fail0;
    int k = (int)n->i[0], rc = -1;
    int64_t D = 1;
    for (int d = x->ndim - k; d < x->ndim; d++) D *= x->shape[d];
    int64_t M = st->shape[1];
    if (pn_grad_mode) {
        uint32_t all = (uint32_t)((1ull << x->ndim) - 1);
        uint32_t stat = all & ~(uint32_t)((1ull << (x->ndim - k)) - 1), par = all & ~stat;
        PNMeta *pm = &n->meta[n->next[1].fn ? 1 : 2];
        PNTensor *wshape = pn_empty(x->dtype, pm->ndim, pm->shape);
        if (wshape)
            rc = norm_backward_graph(n, x, gout[0], w, wshape, stat, par, n->d[0], NULL, NULL, gin);
        Py_XDECREF(wshape);
        goto out;
    }
    {
        pn_dtype dt = x->dtype;
        PNTensor *g = contig_as(gout[0], dt), *xc = g ? pn_to_contiguous_nograd(x) : NULL;
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
            pn_ln_backward_f32(F32(g), F32(xc), mean, rstd, wc ? F32(wc) : NULL,
                               gin[0] ? F32(gin[0]) : NULL, pdw, pdb, M, D);
        else
            pn_ln_backward_f64(F64(g), F64(xc), mean, rstd, wc ? F64(wc) : NULL,
                               gin[0] ? F64(gin[0]) : NULL, pdw, pdb, M, D);
        if (pdw && !(gin[1] = from_doubles(dw, D, dt, n->meta[1].ndim, n->meta[1].shape)))
            goto bout;
        if (pdb && !(gin[2] = from_doubles(db, D, dt, n->meta[2].ndim, n->meta[2].shape)))
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

static void shape_list(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t k = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int d = 0; d < ndim && k < n; d++)
        k += (size_t)snprintf(buf + k, n - k, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

/* _layer_norm(input, normalized_shape, weight, bias, eps) */
static PyObject *nn_layer_norm(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *nso, *wo, *bo;
    double eps;
    if (!PyArg_ParseTuple(args, "OOOOd:_layer_norm", &xo, &nso, &wo, &bo, &eps)) return NULL;
    PNTensor *x = as_tensor_arg(xo, "layer_norm", "input"), *w, *b;
    if (!x || opt_tensor_arg(wo, &w, "layer_norm", "weight") < 0 ||
        opt_tensor_arg(bo, &b, "layer_norm", "bias") < 0)
        return NULL;
    int64_t ns[PN_MAX_DIMS];
    int k = pn_parse_shape_obj(nso, ns, "layer_norm");
    if (k < 0) return NULL;
    if (require_float(x, "layer_norm") < 0 || same_dtype(x, w, "layer_norm") < 0 ||
        same_dtype(x, b, "layer_norm") < 0)
        return NULL;
    int ok = k >= 1 && k <= x->ndim;
    for (int d = 0; ok && d < k; d++) ok = x->shape[x->ndim - k + d] == ns[d];
    if (!ok) {
        char a[256], s[256];
        shape_list(a, sizeof a, k, ns);
        shape_list(s, sizeof s, x->ndim, x->shape);
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
            shape_list(a, sizeof a, k, ns);
            shape_list(s, sizeof s, t->ndim, t->shape);
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
        pn_ln_forward_f32(F32(xc), wc ? F32(wc) : NULL, bc ? F32(bc) : NULL, eps, F32(out), F64(st),
                          F64(st) + M, M, D);
    else
        pn_ln_forward_f64(F64(xc), wc ? F64(wc) : NULL, bc ? F64(bc) : NULL, eps, F64(out), F64(st),
                          F64(st) + M, M, D);
    {
        PNTensor *ins[3] = {x, w, b};
        PNNode *n = pn_record(out, "NativeLayerNormBackward0", ln_backward, 3, ins);
        if (n) {
            n->i[0] = k, n->d[0] = eps;
            if (pn_save(n, 0, x, 0) < 0 || (w && pn_save(n, 1, w, 0) < 0) ||
                pn_save(n, 2, st, 0) < 0)
                Py_CLEAR(out);
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
out:
    Py_XDECREF(st), Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc);
    return (PyObject *)out;
}

/* ------------------------------------------------------------ embedding ---- */

static PNTensor *embedding_gather(PNTensor *idx, PNTensor *w, int64_t pad, int zero_pad);

/* Backward of the dense backward: it is linear in g, so d/dg is a gather of
 * gg's rows (with the padding positions, which got no gradient, zeroed).
 * Saved: idx. i[0]: pad. */
static int embedding_dense_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *idx = pn_unpack(n, 0);
    if (!idx) return -1;
    gin[0] = embedding_gather(idx, gout[0], n->i[0], 1);
    Py_DECREF(idx);
    return gin[0] ? 0 : -1;
}

/* dweight (V, D): g's rows (idx.shape + (D,)) added into the rows idx names. */
static PNTensor *embedding_dense_backward(PNTensor *g, PNTensor *idx, int64_t V, int64_t pad) {
    int64_t D = g->shape[g->ndim - 1], shape[2] = {V, D};
    PNTensor *gc = pn_to_contiguous_nograd(g), *ic = gc ? pn_to_contiguous_nograd(idx) : NULL;
    PNTensor *out = ic ? pn_zeros(g->dtype, 2, shape) : NULL;
    if (out) {
        if (g->dtype == PN_FLOAT32)
            pn_embedding_backward_f32((int64_t *)ic->data, idx->numel, F32(gc), D, F32(out), pad);
        else
            pn_embedding_backward_f64((int64_t *)ic->data, idx->numel, F64(gc), D, F64(out), pad);
        PNNode *n = pn_record(out, "EmbeddingDenseBackwardBackward0",
                              embedding_dense_backward_backward, 1, &g);
        if (n) {
            n->i[0] = pad;
            if (pn_save(n, 0, idx, 0) < 0) Py_CLEAR(out);
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_XDECREF(gc), Py_XDECREF(ic);
    return out;
}

/* Saved: idx. i[0]: padding_idx (-1: none), i[1]: V. */
static int embedding_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *idx = pn_unpack(n, 0);
    if (!idx) return -1;
    gin[0] = embedding_dense_backward(gout[0], idx, n->i[1], n->i[0]);
    Py_DECREF(idx);
    return gin[0] ? 0 : -1;
}

static PNTensor *embedding_gather(PNTensor *idx, PNTensor *w, int64_t pad, int zero_pad) {
    int64_t V = w->shape[0], D = w->shape[1], shape[PN_MAX_DIMS];
    if (idx->ndim + 1 > PN_MAX_DIMS) {
        PyErr_SetString(PyExc_RuntimeError, "embedding: too many dimensions");
        return NULL;
    }
    memcpy(shape, idx->shape, sizeof(int64_t) * (size_t)idx->ndim);
    shape[idx->ndim] = D;
    PNTensor *ic = pn_to_contiguous_nograd(idx), *wc = ic ? pn_to_contiguous_nograd(w) : NULL;
    PNTensor *out = wc ? pn_empty(w->dtype, idx->ndim + 1, shape) : NULL;
    if (out) {
        int64_t bad = 0;
        int rc = w->dtype == PN_FLOAT32 ? pn_embedding_f32((int64_t *)ic->data, idx->numel, F32(wc),
                                                           V, D, F32(out), zero_pad, pad, &bad)
                                        : pn_embedding_f64((int64_t *)ic->data, idx->numel, F64(wc),
                                                           V, D, F64(out), zero_pad, pad, &bad);
        if (rc != PN_OK) {
            PyErr_Format(PyExc_IndexError,
                         "index out of range in self (index %lld, num_embeddings "
                         "%lld)",
                         (long long)bad, (long long)V);
            Py_CLEAR(out);
        }
    }
    if (out) {
        PNNode *n = pn_record(out, "EmbeddingBackward0", embedding_backward, 1, &w);
        if (n) {
            n->i[0] = pad, n->i[1] = V;
            if (pn_save(n, 0, ic, 0) < 0) Py_CLEAR(out);
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_XDECREF(ic), Py_XDECREF(wc);
    return out;
}

/* _embedding(input, weight, padding_idx): padding_idx already wrapped, -1 for none. */
static PyObject *nn_embedding(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *io, *wo;
    long long pad = -1;
    if (!PyArg_ParseTuple(args, "OO|L:_embedding", &io, &wo, &pad)) return NULL;
    PNTensor *idx = as_tensor_arg(io, "embedding", "input"), *w;
    if (!idx || !(w = as_tensor_arg(wo, "embedding", "weight"))) return NULL;
    if (idx->dtype != PN_INT64) {
        PyErr_Format(PyExc_RuntimeError,
                     "Expected tensor for argument #1 'indices' to have one "
                     "of the following scalar types: Long, Int; but got %s "
                     "instead (while checking arguments for embedding)",
                     pn_dtype_name(idx->dtype));
        return NULL;
    }
    if (w->ndim != 2) {
        PyErr_SetString(PyExc_RuntimeError, "'weight' must be 2-D");
        return NULL;
    }
    if (require_float(w, "embedding") < 0) return NULL;
    return (PyObject *)embedding_gather(idx, w, pad, 0);
}

/* -------------------------------------------------------------- one_hot ---- */

static PyObject *nn_one_hot(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *to;
    long long nc = -1;
    if (!PyArg_ParseTuple(args, "O|L:one_hot", &to, &nc)) return NULL;
    PNTensor *t = as_tensor_arg(to, "one_hot", "input");
    if (!t) return NULL;
    if (t->dtype != PN_INT64) {
        PyErr_SetString(PyExc_RuntimeError,
                        "one_hot is only applicable to index tensor of type LongTensor.");
        return NULL;
    }
    if (t->ndim + 1 > PN_MAX_DIMS) {
        PyErr_SetString(PyExc_RuntimeError, "one_hot: too many dimensions");
        return NULL;
    }
    PNTensor *c = pn_to_contiguous_nograd(t);
    if (!c) return NULL;
    const int64_t *v = (const int64_t *)c->data;
    int64_t lo = 0, hi = -1;
    for (int64_t k = 0; k < t->numel; k++) {
        if (v[k] < lo) lo = v[k];
        if (v[k] > hi) hi = v[k];
    }
    PyObject *err = NULL;
    const char *msg = NULL;
    if (nc == -1) {
        if (t->numel == 0)
            err = PyExc_RuntimeError, msg = "Can not infer total number of classes from empty "
                                            "tensor.";
        else
            nc = hi + 1;
    } else if (nc < -1) {
        err = PyExc_RuntimeError, msg = "num_classes should be positive"; /* wording not torch's */
    }
    if (!err && lo < 0) err = PyExc_RuntimeError, msg = "Class values must be non-negative.";
    if (!err && hi >= nc)
        err = PyExc_RuntimeError, msg = "Class values must be smaller than "
                                        "num_classes.";
    if (err) {
        Py_DECREF(c);
        PyErr_SetString(err, msg);
        return NULL;
    }
    int64_t shape[PN_MAX_DIMS];
    memcpy(shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
    shape[t->ndim] = nc;
    PNTensor *out = pn_zeros(PN_INT64, t->ndim + 1, shape);
    if (out)
        for (int64_t k = 0; k < t->numel; k++) ((int64_t *)out->data)[k * nc + v[k]] = 1;
    Py_DECREF(c);
    return (PyObject *)out;
}

/* ------------------------------------------------------------------ pad ---- */

static PNTensor *pad_impl(PNTensor *x, int npad, const int64_t *pads, double value);

/* The gradient of a constant pad is the pad with the opposite sizes (and zero
 * fill): it crops what was added and zero-fills what was cropped. i[0]: npad,
 * i[1..]: pads. */
static int pad_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    int np = (int)n->i[0];
    int64_t neg[2 * PN_MAX_DIMS];
    for (int k = 0; k < np; k++) neg[k] = -n->i[1 + k];
    gin[0] = pad_impl(gout[0], np, neg, 0.0);
    return gin[0] ? 0 : -1;
}

/* pads = (left_last, right_last, left_second_last, ...), negative values crop. */
static PNTensor *pad_impl(PNTensor *x, int npad, const int64_t *pads, double value) {
    int64_t oshape[PN_MAX_DIMS], istart[PN_MAX_DIMS], ostart[PN_MAX_DIMS], len[PN_MAX_DIMS];
    int empty = 0;
    for (int d = 0; d < x->ndim; d++) {
        int k = x->ndim - 1 - d; /* pads[2k], pads[2k+1] belong to dim d */
        int64_t l = 2 * k < npad ? pads[2 * k] : 0, r = 2 * k + 1 < npad ? pads[2 * k + 1] : 0;
        oshape[d] = x->shape[d] + l + r;
        if (oshape[d] < 0) {
            PyErr_Format(PyExc_RuntimeError,
                         "The input size %lld, plus negative padding %lld and "
                         "%lld resulted in a negative output size, which is "
                         "invalid. Check dimension %d of your input.",
                         (long long)x->shape[d], (long long)l, (long long)r, d);
            return NULL;
        }
        istart[d] = l < 0 ? -l : 0;
        ostart[d] = l > 0 ? l : 0;
        len[d] = x->shape[d] - istart[d] - (r < 0 ? -r : 0);
        if (len[d] <= 0) empty = 1, len[d] = 0;
    }
    PNTensor *out = pn_empty(x->dtype, x->ndim, oshape);
    if (!out || pn_fill(out, value) < 0) {
        Py_XDECREF(out);
        return NULL;
    }
    if (!empty && x->numel) { /* copy the overlap: x[istart : istart+len] -> out[ostart : ...] */
        int64_t ioff = 0, ooff = 0;
        for (int d = 0; d < x->ndim; d++) {
            ioff += istart[d] * x->strides[d];
            ooff += ostart[d] * out->strides[d];
        }
        PNTensor *iv = pn_alias(x, x->ndim, len, x->strides, ioff);
        PNTensor *ov = iv ? pn_alias(out, x->ndim, len, out->strides, ooff) : NULL;
        int rc = ov ? pn_copy_into(ov, iv) : -1;
        Py_XDECREF(iv), Py_XDECREF(ov);
        if (rc < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    if (pn_is_float(x->dtype)) {
        PNNode *n = pn_record(out, "ConstantPadNdBackward0", pad_backward, 1, &x);
        if (n) {
            n->i[0] = npad;
            for (int k = 0; k < npad; k++) n->i[1 + k] = pads[k];
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    return out;
}

/* _pad(input, pad, value) */
static PyObject *nn_pad(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *po;
    double value = 0;
    if (!PyArg_ParseTuple(args, "OO|d:_pad", &xo, &po, &value)) return NULL;
    PNTensor *x = as_tensor_arg(xo, "pad", "input");
    if (!x) return NULL;
    PyObject *seq = PySequence_Fast(po, "pad(): argument 'pad' must be tuple of ints");
    if (!seq) return NULL;
    Py_ssize_t np = PySequence_Fast_GET_SIZE(seq);
    int64_t pads[2 * PN_MAX_DIMS];
    if (np % 2) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_RuntimeError, "Length of pad must be even but instead it equals %zd",
                     np);
        return NULL;
    }
    if (np > 2 * x->ndim) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_RuntimeError,
                     "Length of pad should be no more than twice the number "
                     "of dimensions of the input. Pad length is %zd while the "
                     "input has %d dimensions.",
                     np, x->ndim);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < np; k++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, k);
        if (!PyIndex_Check(it)) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_TypeError,
                         "pad(): argument 'pad' must be tuple of ints, but found "
                         "element of type %s at pos %zd",
                         Py_TYPE(it)->tp_name, k);
            return NULL;
        }
        long long v = PyLong_AsLongLong(it);
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        pads[k] = v;
    }
    Py_DECREF(seq);
    return (PyObject *)pad_impl(x, (int)np, pads, value);
}

PyMethodDef pn_module_methods_nn[] = {
    {"_linear", nn_linear, METH_VARARGS, "linear(input, weight, bias=None)"},
    {"_activation", nn_activation, METH_VARARGS, "_activation(input, kind, a, b, inplace)"},
    {"_relu_", nn_relu_, METH_O, "relu in place"},
    {"_prelu", nn_prelu, METH_VARARGS, "prelu(input, weight)"},
    {"_dropout", nn_dropout, METH_VARARGS, "_dropout(input, p, inplace): training mode"},
    {"_batch_norm", nn_batch_norm, METH_VARARGS,
     "_batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)"},
    {"_layer_norm", nn_layer_norm, METH_VARARGS,
     "_layer_norm(input, normalized_shape, weight, bias, eps)"},
    {"_embedding", nn_embedding, METH_VARARGS, "_embedding(input, weight, padding_idx=-1)"},
    {"_one_hot", nn_one_hot, METH_VARARGS, "_one_hot(tensor, num_classes=-1)"},
    {"_pad", nn_pad, METH_VARARGS, "_pad(input, pad, value=0): constant padding"},
    {NULL, NULL, 0, NULL}};
