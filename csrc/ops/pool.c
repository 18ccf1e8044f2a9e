/* ops/pool.c - F.max_pool2d and F.avg_pool2d (1-D pooling is the 2-D one on a
 * unit height, in Python), over kernels/pool.h.
 *
 * Both are linear maps once the max's argmax indices are fixed:
 *   max: y = gather(x, idx),   backward dx = scatter_add(dy, idx)
 *   avg: y = A x,              backward dx = A^T dy
 * and the backward of each backward is the forward map again. So pool_apply
 * runs one of the two directions of a pair and records the other as its
 * backward: double backward works to any order.
 */
#include "ops.h"
#include "../kernels/pool.h"

enum { POOL_MAX, POOL_AVG };

/* State of the pooling nodes. The indices (max) are the node's own reference. */
typedef struct {
    PNTensor *idx; /* max: argmax of each window (int64, shaped like y); avg: NULL */
    pn_pool_geom g;
    int kind;               /* POOL_MAX or POOL_AVG */
    int to_image;           /* 0: this node's op pooled (image -> y), 1: its adjoint */
    int ndim;               /* 3 (unbatched) or 4 */
    int64_t img[4], out[4]; /* shapes of x and y */
} pool_state;

static int pool_backward(PNNode *n, PNTensor **gout, PNTensor **gin);

/* Record the node of a pooling-direction op on out (from in). */
static void pool_record(PNTensor *out, PNTensor *in, const pool_state *st, int to_image) {
    static const char *names[2][2][2] = {
        {{"MaxPool2DWithIndicesBackward0", "MaxPool2DWithIndicesBackwardBackward0"},
         {"AvgPool2DBackward0", "AvgPool2DBackwardBackward0"}},
        {{"AdaptiveMaxPool2DBackward0", "AdaptiveMaxPool2DBackwardBackward0"},
         {"AdaptiveAvgPool2DBackward0", "AdaptiveAvgPool2DBackwardBackward0"}}};
    const char *name = names[st->g.adaptive != 0][st->kind][to_image];
    PNNode *n = pn_record(out, name, pool_backward, 1, &in);
    pool_state *s = n ? pn_node_state(n, sizeof *s, 1) : NULL;
    if (s) {
        *s = *st, s->to_image = to_image;
        Py_XINCREF(s->idx);
    }
}

// to_image 0: x (*, H, W) -> y (*, Ho, Wo) (max: gather at idx; avg: window means)
// to_image 1: dy (*, Ho, Wo) -> dx (*, H, W) (the adjoint: scatter-add; spread / divisor)
static PNTensor *pool_apply(PNTensor *in, const pool_state *st, int to_image) {
    PNTensor *ic = pn_to_contiguous_nograd(in), *out = NULL;
    if (!ic) return NULL;
    out = pn_empty(in->dtype, st->ndim, to_image ? st->img : st->out);
    if (out) {
        const int64_t *ix = st->idx ? (const int64_t *)st->idx->data : NULL;
        PyThreadState *ts = PyEval_SaveThread();
        int rc = st->kind == POOL_MAX
                     ? (to_image ? pn_pool_scatter(in->dtype, &st->g, ic->data, ix, out->data)
                                 : pn_pool_gather(in->dtype, &st->g, ic->data, ix, out->data))
                     : (to_image ? pn_avg_pool_backward(in->dtype, &st->g, ic->data, out->data)
                                 : pn_avg_pool(in->dtype, &st->g, ic->data, out->data));
        PyEval_RestoreThread(ts);
        if (rc != PN_OK) {
            PyErr_SetString(PyExc_RuntimeError, "pooling: invalid arguments");
            Py_CLEAR(out);
        }
    }
    Py_DECREF(ic);
    if (out) pool_record(out, in, st, to_image);
    if (out && PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

// y = P(x) (pool): dx = P^T(g);   dx = P^T(dy): d dy = P(g)
static int pool_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const pool_state *st = PN_STATE(n, pool_state);
    gin[0] = pool_apply(gout[0], st, !st->to_image);
    return gin[0] ? 0 : -1;
}

/* One dim's output size by PyTorch's rule (pooling_output_shape): floor, or ceil
 * with the last window required to start inside the input or its left padding. */
static int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, int ceil_mode) {
    int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
    if (ceil_mode && (out - 1) * s >= in + p) out--;
    return out;
}

/* PyTorch's checks of the pooling arguments, in its words. */
static int check_pool_args(const pn_pool_args *a) {
    if (a->stride[0] < 1 || a->stride[1] < 1) { /* PyTorch checks the stride first */
        PyErr_SetString(PyExc_RuntimeError, "stride should not be zero");
        return -1;
    }
    if (a->kernel[0] < 1 || a->kernel[1] < 1)
        return PyErr_Format(PyExc_RuntimeError,
                            "kernel size should be greater than zero, but got kH: %lld kW: %lld",
                            (long long)a->kernel[0], (long long)a->kernel[1]),
               -1;
    if (a->dilation[0] < 1 || a->dilation[1] < 1)
        return PyErr_Format(PyExc_RuntimeError,
                            "dilation should be greater than zero, but got dilationH: %lld "
                            "dilationW: %lld",
                            (long long)a->dilation[0], (long long)a->dilation[1]),
               -1;
    for (int k = 0; k < 2; k++) {
        int64_t p = a->padding[k];
        if (p < 0)
            return PyErr_Format(PyExc_RuntimeError, "pad must be non-negative, but got pad: %lld",
                                (long long)p),
                   -1;
        if (p > a->kernel[k] / 2) /* PyTorch's bound: half the kernel, whatever the dilation */
            return PyErr_Format(PyExc_RuntimeError,
                                "pad should be at most half of effective kernel size, but got "
                                "pad=%lld, kernel_size=%lld and dilation=%lld",
                                (long long)p, (long long)a->kernel[k], (long long)a->dilation[k]),
                   -1;
        if (a->kernel[k] > INT32_MAX || a->stride[k] > INT32_MAX || a->dilation[k] > INT32_MAX)
            return PyErr_Format(PyExc_RuntimeError, "pooling: sizes too large"), -1;
    }
    return 0;
}

/* The state of a pooling of x (*, H, W) with arguments a (checked here). */
static int pool_setup(PNTensor *x, const pn_pool_args *a, int kind, pool_state *st) {
    int nd = x->ndim; /* a zero batch is allowed, empty channels or planes are not */
    if ((nd != 3 && nd != 4) || x->shape[nd - 1] == 0 || x->shape[nd - 2] == 0 ||
        x->shape[nd - 3] == 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "non-empty 3D or 4D (batch mode) tensor expected for input");
        return -1;
    }
    if (check_pool_args(a) < 0 ||
        pn_require_float(x, kind == POOL_MAX ? "max_pool2d" : "avg_pool2d") < 0)
        return -1;
    int64_t H = x->shape[nd - 2], W = x->shape[nd - 1];
    pn_pool_geom g = {x->numel / (H * W),
                      H,
                      W,
                      a->kernel[0],
                      a->kernel[1],
                      a->stride[0],
                      a->stride[1],
                      a->padding[0],
                      a->padding[1],
                      a->dilation[0],
                      a->dilation[1],
                      0,
                      0,
                      a->count_include_pad,
                      a->divisor,
                      0};
    g.Ho = pool_out(H, g.kh, g.sh, g.ph, g.dh, a->ceil_mode);
    g.Wo = pool_out(W, g.kw, g.sw, g.pw, g.dw, a->ceil_mode);
    if (g.Ho < 1 || g.Wo < 1)
        return PyErr_Format(PyExc_RuntimeError,
                            "Given input size: (%lldx%lldx%lld). Calculated output size: "
                            "(%lldx%lldx%lld). Output size is too small",
                            (long long)x->shape[nd - 3], (long long)H, (long long)W,
                            (long long)x->shape[nd - 3], (long long)g.Ho, (long long)g.Wo),
               -1;
    *st = (pool_state){.g = g, .kind = kind, .ndim = nd};
    for (int d = 0; d < nd; d++) st->img[d] = st->out[d] = x->shape[d];
    st->out[nd - 2] = g.Ho, st->out[nd - 1] = g.Wo;
    return 0;
}

/* The state of an adaptive pooling of x (*, H, W) to out_size (Ho, Wo). */
static int adaptive_setup(PNTensor *x, const int64_t *out_size, int kind, pool_state *st) {
    const char *op = kind == POOL_MAX ? "adaptive_max_pool2d" : "adaptive_avg_pool2d";
    char xs[256];
    pn_format_list(xs, sizeof xs, x->ndim, x->shape);
    int nd = x->ndim;
    if (nd != 3 && nd != 4) {
        PyErr_Format(PyExc_RuntimeError, "%s(): Expected 3D or 4D tensor, but got %s", op, xs);
        return -1;
    }
    /* PyTorch's checks: max pooling needs every non-batch dim; average pooling only the two
     * spatial ones, and not even those for a (1, 1) output (its mean shortcut gives NaN) */
    int first = kind == POOL_MAX ? nd - 3 : out_size[0] == 1 && out_size[1] == 1 ? nd : nd - 2;
    for (int d = first; d < nd; d++)
        if (x->shape[d] == 0) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s(): Expected input to have non-zero size for non-batch dimensions, "
                         "but input has sizes %s with dimension %d being empty",
                         op, xs, d);
            return -1;
        }
    if (out_size[0] < 0 || out_size[1] < 0) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s: elements of output_size must be greater than or equal to 0 but "
                     "received {%lld, %lld}",
                     op, (long long)out_size[0], (long long)out_size[1]);
        return -1;
    }
    if (pn_require_float(x, op) < 0) return -1;
    int64_t H = x->shape[nd - 2], W = x->shape[nd - 1], P = 1;
    for (int d = 0; d < nd - 2; d++) P *= x->shape[d];
    pn_pool_geom g = {.P = P,
                      .H = H,
                      .W = W,
                      .dh = 1,
                      .dw = 1,
                      .Ho = out_size[0],
                      .Wo = out_size[1],
                      .adaptive = 1};
    *st = (pool_state){.g = g, .kind = kind, .ndim = nd};
    for (int d = 0; d < nd; d++) st->img[d] = st->out[d] = x->shape[d];
    st->out[nd - 2] = g.Ho, st->out[nd - 1] = g.Wo;
    return 0;
}

/* Max pooling with the state set up: y and the argmax indices (*indices when asked). */
static PNTensor *max_pool_run(PNTensor *x, pool_state *st, PNTensor **indices) {
    PNTensor *xc = pn_to_contiguous_nograd(x), *y = NULL;
    st->idx = xc ? pn_empty(PN_INT64, st->ndim, st->out) : NULL;
    if (st->idx && (y = pn_empty(x->dtype, st->ndim, st->out))) {
        PyThreadState *ts = PyEval_SaveThread();
        int rc = pn_max_pool(x->dtype, &st->g, xc->data, y->data, (int64_t *)st->idx->data);
        PyEval_RestoreThread(ts);
        if (rc != PN_OK) {
            PyErr_SetString(PyExc_RuntimeError, "max_pool2d: invalid arguments");
            Py_CLEAR(y);
        }
    }
    if (y) pool_record(y, x, st, 0);
    if (y && PyErr_Occurred()) Py_CLEAR(y);
    if (y && indices) *indices = (PNTensor *)Py_NewRef(st->idx);
    Py_XDECREF(xc);
    Py_CLEAR(st->idx);
    return y;
}

// x (N, C, H, W) or (C, H, W) -> y (N, C, Ho, Wo) or (C, Ho, Wo); *indices (int64, like y)
// the flat position ih W + iw of each window's maximum (a new reference) when indices != NULL
PNTensor *pn_max_pool2d(PNTensor *x, const pn_pool_args *a, PNTensor **indices) {
    pool_state st;
    if (pool_setup(x, a, POOL_MAX, &st) < 0) return NULL;
    return max_pool_run(x, &st, indices);
}

// x (N, C, H, W) or (C, H, W) -> y (N, C, Ho, Wo) or (C, Ho, Wo), (Ho, Wo) = out_size:
// the max (max != 0, with *indices as in pn_max_pool2d) or mean of adaptive windows
PNTensor *pn_adaptive_pool2d(PNTensor *x, const int64_t *out_size, int max, PNTensor **indices) {
    pool_state st;
    if (adaptive_setup(x, out_size, max ? POOL_MAX : POOL_AVG, &st) < 0) return NULL;
    return max ? max_pool_run(x, &st, indices) : pool_apply(x, &st, 0);
}

// x (N, C, H, W) or (C, H, W) -> y (N, C, Ho, Wo) or (C, Ho, Wo): window averages
PNTensor *pn_avg_pool2d(PNTensor *x, const pn_pool_args *a) {
    pool_state st;
    if (pool_setup(x, a, POOL_AVG, &st) < 0) return NULL;
    return pool_apply(x, &st, 0);
}
