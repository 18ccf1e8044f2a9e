/* ops/activation.c - the activations of torch.nn.functional with parameters
 * (leaky_relu, elu, gelu, softplus, hardtanh, silu) and prelu, on the kernels
 * of ../kernels/nn.c, with their backward (and, for create_graph, the
 * derivative as an op of its own). */
#include "ops.h"
#include "../kernels/nn.h"
#include <string.h>
#include <math.h>

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

/* State of an activation node and of its derivative's node. */
typedef struct {
    pn_act_args act; /* which activation, with its parameters (slope, alpha, beta...) */
    int order;       /* derivative nodes: 1 for f'(x), 2 for f''(x) */
} activation_state;

static PNTensor *act_deriv(PNTensor *x, const pn_act_args *p, int order);

/* Backward of f'(x) (of the given order): gg * f''(x). A third derivative is not provided. */
static int act_deriv_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const activation_state *st = PN_STATE(n, activation_state);
    if (st->order >= 2) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "pynet: third derivatives of activations are not implemented");
        return -1;
    }
    PNTensor *x = pn_unpack(n, 0);
    if (!x) return -1;
    PNTensor *d = act_deriv(x, &st->act, 2);
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
    activation_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->act = *p, st->order = order;
        pn_save(n, 0, x, 0);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

static int act_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0);
    if (!x) return -1;
    pn_act_args p = PN_STATE(n, activation_state)->act;
    if (pn_grad_mode) { /* g * f'(x), with f'(x) differentiable */
        PNTensor *d = act_deriv(x, &p, 1);
        gin[0] = d ? pn_binary_t(PN_MUL, gout[0], d) : NULL;
        Py_XDECREF(d);
    } else {
        PNTensor *g = pn_contiguous_as(gout[0], x->dtype),
                 *xc = g ? pn_to_contiguous_nograd(x) : NULL;
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
    activation_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->act = *p;
        pn_save(n, 0, x, 0);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* _activation(input, kind, a, b, inplace) */
PyObject *nn_activation(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo;
    int kind, inplace = 0;
    double a = 0, b = 0;
    if (!PyArg_ParseTuple(args, "Oidd|p:_activation", &xo, &kind, &a, &b, &inplace)) return NULL;
    if (kind < 0 || kind >= PN_NACT) {
        PyErr_SetString(PyExc_ValueError, "_activation: unknown activation");
        return NULL;
    }
    PNTensor *x = pn_tensor_arg(xo, act_names[kind], "input");
    if (!x || pn_require_float(x, act_names[kind]) < 0) return NULL;
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
PyObject *nn_relu_(PyObject *m, PyObject *xo) {
    (void)m;
    PNTensor *x = pn_tensor_arg(xo, "relu_", "input");
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
    PNTensor *g = pn_contiguous_as(gout[0], dt), *xc = g ? pn_to_contiguous_nograd(x) : NULL;
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
    if (dw && !(gin[1] = pn_from_doubles(dw, w->numel, dt, w->ndim, w->shape))) goto out;
    rc = 0;
out:
    PyMem_Free(dw);
    Py_XDECREF(g), Py_XDECREF(xc), Py_XDECREF(wc), Py_DECREF(x), Py_DECREF(w);
    return rc;
}

PyObject *nn_prelu(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *wo;
    if (!PyArg_ParseTuple(args, "OO:prelu", &xo, &wo)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "prelu", "input"), *w;
    if (!x || !(w = pn_tensor_arg(wo, "prelu", "weight"))) return NULL;
    if (pn_require_float(x, "prelu") < 0 || pn_same_dtype(x, w, "prelu") < 0) return NULL;
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
