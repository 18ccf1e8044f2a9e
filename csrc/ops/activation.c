/* ops/activation.c - the activations of torch.nn.functional with parameters
 * (leaky_relu, elu, gelu, softplus, hardtanh, silu) and prelu, on the kernels
 * of ../kernels/nn.c, with their backward (and, for create_graph, the
 * derivative as an op of its own). */
#include "ops.h"
#include "../kernels/nn.h"
#include "../kernels/threadpool.h"
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
    [PN_ACT_LOGSIGMOID] = "logsigmoid",
    [PN_ACT_MISH] = "mish",
    [PN_ACT_SELU] = "selu",
    [PN_ACT_CELU] = "celu",
    [PN_ACT_HARDSIGMOID] = "hardsigmoid",
    [PN_ACT_HARDSWISH] = "hardswish",
    [PN_ACT_THRESHOLD] = "threshold",
    [PN_ACT_HARDSHRINK] = "hardshrink",
    [PN_ACT_SOFTSHRINK] = "softshrink",
};

static const char *act_nodes[PN_NACT] = {
    [PN_ACT_LEAKY_RELU] = "LeakyReluBackward0",
    [PN_ACT_ELU] = "EluBackward0",
    [PN_ACT_GELU] = "GeluBackward0",
    [PN_ACT_GELU_TANH] = "GeluBackward0",
    [PN_ACT_SOFTPLUS] = "SoftplusBackward0",
    [PN_ACT_HARDTANH] = "HardtanhBackward0",
    [PN_ACT_SILU] = "SiluBackward0",
    [PN_ACT_LOGSIGMOID] = "LogSigmoidBackward0",
    [PN_ACT_MISH] = "MishBackward0",
    [PN_ACT_SELU] = "EluBackward0",
    [PN_ACT_CELU] = "CeluBackward0",
    [PN_ACT_HARDSIGMOID] = "HardsigmoidBackward0",
    [PN_ACT_HARDSWISH] = "HardswishBackward0",
    [PN_ACT_THRESHOLD] = "ThresholdBackward0",
    [PN_ACT_HARDSHRINK] = "HardshrinkBackward0",
    [PN_ACT_SOFTSHRINK] = "SoftshrinkBackward0",
};
static const char *act_backward_nodes[PN_NACT] = {
    [PN_ACT_LEAKY_RELU] = "LeakyReluBackwardBackward0",
    [PN_ACT_ELU] = "EluBackwardBackward0",
    [PN_ACT_GELU] = "GeluBackwardBackward0",
    [PN_ACT_GELU_TANH] = "GeluBackwardBackward0",
    [PN_ACT_SOFTPLUS] = "SoftplusBackwardBackward0",
    [PN_ACT_HARDTANH] = "HardtanhBackwardBackward0",
    [PN_ACT_SILU] = "SiluBackwardBackward0",
    [PN_ACT_LOGSIGMOID] = "LogSigmoidBackwardBackward0",
    [PN_ACT_MISH] = "MishBackwardBackward0",
    [PN_ACT_SELU] = "EluBackwardBackward0",
    [PN_ACT_CELU] = "EluBackwardBackward0",
    [PN_ACT_HARDSIGMOID] = "HardsigmoidBackwardBackward0",
    [PN_ACT_HARDSWISH] = "HardswishBackwardBackward0",
    [PN_ACT_THRESHOLD] = "ThresholdBackwardBackward0",
    [PN_ACT_HARDSHRINK] = "HardshrinkBackwardBackward0",
    [PN_ACT_SOFTSHRINK] = "SoftshrinkBackwardBackward0",
};

/* State of an activation's node, and of the nodes of its derivatives. */
typedef struct {
    pn_act_args act; /* which activation, with its parameters (slope, alpha, beta...) */
} activation_state;

static activation_state *record_activation(PNNode *n, const pn_act_args *p) {
    activation_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) st->act = *p;
    return st;
}

/* One activation kernel over a range of elements, for pn_parallel_for. */
typedef struct {
    const pn_act_args *p;
    int which, f32;
    const char *g, *x;
    char *out;
} act_job;

static void act_range(void *ctx, int64_t b, int64_t e) {
    const act_job *j = ctx;
    size_t sz = j->f32 ? sizeof(float) : sizeof(double), o = (size_t)b * sz;
    const void *x = j->x + o, *g = j->g ? j->g + o : NULL;
    void *y = j->out + o;
    int64_t n = e - b;
    if (j->which == 0 && j->f32) pn_act_forward_f32(j->p, x, y, n);
    if (j->which == 0 && !j->f32) pn_act_forward_f64(j->p, x, y, n);
    if (j->which == 1 && j->f32) pn_act_backward_f32(j->p, g, x, y, n);
    if (j->which == 1 && !j->f32) pn_act_backward_f64(j->p, g, x, y, n);
    if (j->which == 2 && j->f32) pn_act_deriv_f32(j->p, 2, x, y, n);
    if (j->which == 2 && !j->f32) pn_act_deriv_f64(j->p, 2, x, y, n);
}

/* Elements per thread-pool chunk: ~0.1 ms of GELU, far above the cost of a wake-up. */
#define ACT_GRAIN (1 << 15)

/* Run a kernel y = k(x) (or k(g, x)) over contiguous copies, into a new tensor;
 * split across the thread pool (elementwise, so the same bits at any split),
 * without the GIL when large (PN_NOGIL_MIN). */
static PNTensor *act_kernel(const pn_act_args *p, int which, PNTensor *g, PNTensor *x) {
    PNTensor *xc = pn_to_contiguous_nograd(x), *gc = NULL;
    if (xc && g) gc = pn_contiguous_as(g, x->dtype);
    PNTensor *out = xc && (gc || !g) ? pn_empty(x->dtype, x->ndim, x->shape) : NULL;
    if (out) {
        act_job j = {p, which, x->dtype == PN_FLOAT32, gc ? gc->data : NULL, xc->data, out->data};
        int64_t n = x->numel;
        PN_NOGIL_BEGIN(n)
        pn_parallel_for(n, ACT_GRAIN, act_range, &j);
        PN_NOGIL_END
    }
    Py_XDECREF(xc), Py_XDECREF(gc);
    return out;
}
enum { ACT_FORWARD = 0, ACT_BACKWARD = 1, ACT_SECOND_DERIVATIVE = 2 };

static int act_second_derivative_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)gout, (void)gin;
    PyErr_Format(PyExc_NotImplementedError, "%s: pynet has no third derivatives of activations",
                 n->name);
    return -1;
}

// d = f''(x), for the second derivative; not differentiable again
static PNTensor *act_second_derivative(PNTensor *x, const pn_act_args *p) {
    PNTensor *out = act_kernel(p, ACT_SECOND_DERIVATIVE, NULL, x);
    if (!out) return NULL;
    PNNode *n =
        pn_record(out, "ActivationSecondDerivativeBackward", act_second_derivative_backward, 1, &x);
    record_activation(n, p);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

static PNTensor *act_backward_op(PNTensor *g, PNTensor *x, const pn_act_args *p);

// z = activation_backward(g, x) = g * f'(x):
//     dg = activation_backward(gz, x),  dx = gz * g * f''(x)
static int act_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const pn_act_args *p = &PN_STATE(n, activation_state)->act;
    PNTensor *g = pn_unpack(n, 0), *x = g ? pn_unpack(n, 1) : NULL, *d = NULL, *t = NULL;
    int rc = -1;
    if (!x) goto out;
    if (n->next[0].fn && !(gin[0] = act_backward_op(gout[0], x, p))) goto out;
    if (n->next[1].fn) {
        d = act_second_derivative(x, p);
        t = d ? pn_binary_t(PN_MUL, gout[0], g) : NULL;
        if (!t || !(gin[1] = pn_binary_t(PN_MUL, t, d))) goto out;
    }
    rc = 0;
out:
    Py_XDECREF(g), Py_XDECREF(x), Py_XDECREF(d), Py_XDECREF(t);
    return rc;
}

// z = g * f'(x) in one fused pass: the activation's backward, itself an op
static PNTensor *act_backward_op(PNTensor *g, PNTensor *x, const pn_act_args *p) {
    PNTensor *out = act_kernel(p, ACT_BACKWARD, g, x);
    if (!out) return NULL;
    PNTensor *ins[2] = {g, x};
    PNNode *n = pn_record(out, act_backward_nodes[p->act], act_backward_backward, 2, ins);
    if (record_activation(n, p) && pn_save(n, 0, g, 0) == 0) pn_save(n, 1, x, 0);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

// y = f(x): dx = activation_backward(g, x)
static int act_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0);
    if (!x) return -1;
    gin[0] = act_backward_op(gout[0], x, &PN_STATE(n, activation_state)->act);
    Py_DECREF(x);
    return gin[0] ? 0 : -1;
}

// y = f(x) for the activation p (leaky_relu, elu, gelu, softplus, hardtanh, silu)
static PNTensor *act_forward(PNTensor *x, const pn_act_args *p) {
    PNTensor *out = act_kernel(p, ACT_FORWARD, NULL, x);
    if (!out) return NULL;
    PNNode *n = pn_record(out, act_nodes[p->act], act_backward, 1, &x);
    if (record_activation(n, p)) pn_save(n, 0, x, 0);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* _activation(input, kind, a, b, inplace) */
const char *pn_activation_name(pn_act act) {
    return (unsigned)act < PN_NACT ? act_names[act] : "activation";
}

// x (*) -> y (*) = f(x) for the activation p, in place (returning x) or not
PyObject *pn_activation(PNTensor *x, pn_act_args p, int inplace) {
    if (pn_require_float(x, act_names[p.act]) < 0) return NULL;
    if (!inplace) return (PyObject *)act_forward(x, &p);
    if (pn_check_inplace(x, act_names[p.act]) < 0) return NULL;
    if (!(pn_grad_mode && pn_requires_grad(x))) {
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

// y = where(x > 0, x, w x)  (w per channel, dim 1):
//     dx = where(x > 0, g, w g),  dw = sum over all but dim 1 of where(x > 0, 0, x g)
static int prelu_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0), *w = x ? pn_unpack(n, 1) : NULL;
    PNTensor *g = gout[0], *wv = NULL, *pos = NULL, *t = NULL, *s = NULL, *r = NULL;
    int rc = -1;
    if (!w || !(wv = prelu_weight_view(w, x)) || !(pos = pn_binary_s(PN_GT, x, 0.0))) goto out;
    if (n->next[0].fn) {
        t = pn_binary_t(PN_MUL, g, wv);
        if (!t || !(gin[0] = pn_where_t(pos, g, 0.0, t))) goto out;
        Py_CLEAR(t);
    }
    if (n->next[1].fn) {
        t = pn_binary_t(PN_MUL, x, g);
        if (!t || !(s = pn_where_t(pos, NULL, 0.0, t))) goto out;
        uint32_t mask = 0; /* one shared slope: sum everything; else all dims but 1 */
        for (int d = 0; d < x->ndim; d++)
            if (!(w->numel > 1 && x->ndim >= 2 && d == 1)) mask |= 1u << d;
        r = mask ? pn_sum(s, mask, 0, 0, s->dtype) : (Py_INCREF(s), s);
        if (!r || !(gin[1] = pn_reshape(r, w->ndim, w->shape))) goto out;
    }
    rc = 0;
out:
    Py_XDECREF(x), Py_XDECREF(w), Py_XDECREF(wv), Py_XDECREF(pos);
    Py_XDECREF(t), Py_XDECREF(s), Py_XDECREF(r);
    return rc;
}

// x (N, C, *) (or (n,) / ()), w (C) or (1) -> y (N, C, *) = where(x > 0, x, w x)
PNTensor *pn_prelu(PNTensor *x, PNTensor *w) {
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
    return out;
}
