/* ops/upsample.c - F.interpolate's nearest, nearest-exact, (bi/tri)linear and antialiased
 * bilinear modes, over kernels/upsample.h.
 *
 * With the sizes fixed, resampling is a linear map U:
 *   y = U x,   backward dx = U^T dy,   and the backward of that is U again.
 * So upsample_apply runs one of the two directions and records the other as its
 * backward: double backward works to any order.
 */
#include "ops.h"
#include "../kernels/upsample.h"

#include <math.h>

/* State of the resampling nodes. */
typedef struct {
    pn_upsample_geom g;
    int to_image;           /* 0: this node's op resampled (x -> y), 1: its adjoint */
    int ndim;               /* nd + 2 */
    int64_t img[5], out[5]; /* shapes of x and y */
} upsample_state;

static int upsample_backward(PNNode *n, PNTensor **gout, PNTensor **gin);

/* PyTorch's node names by mode, spatial dims and direction. */
static const char *node_name(const upsample_state *st, int to_image) {
    static const char *names[4][3][2] = {
        {{"UpsampleNearest1DBackward0", "UpsampleNearest1DBackwardBackward0"},
         {"UpsampleNearest2DBackward0", "UpsampleNearest2DBackwardBackward0"},
         {"UpsampleNearest3DBackward0", "UpsampleNearest3DBackwardBackward0"}},
        {{"UpsampleNearestExact1DBackward0", "UpsampleNearestExact1DBackwardBackward0"},
         {"UpsampleNearestExact2DBackward0", "UpsampleNearestExact2DBackwardBackward0"},
         {"UpsampleNearestExact3DBackward0", "UpsampleNearestExact3DBackwardBackward0"}},
        {{"UpsampleLinear1DBackward0", "UpsampleLinear1DBackwardBackward0"},
         {"UpsampleBilinear2DBackward0", "UpsampleBilinear2DBackwardBackward0"},
         {"UpsampleTrilinear3DBackward0", "UpsampleTrilinear3DBackwardBackward0"}},
        {{NULL, NULL}, /* antialiased: 2-D only */
         {"UpsampleBilinear2DAaBackward0", "UpsampleBilinear2DAaBackwardBackward0"},
         {NULL, NULL}}};
    return names[st->g.mode][st->g.nd - 1][to_image];
}

// to_image 0: x (N, C, *in) -> y (N, C, *out) = U x
// to_image 1: dy (N, C, *out) -> dx (N, C, *in) = U^T dy
static PNTensor *upsample_apply(PNTensor *in, const upsample_state *st, int to_image) {
    PNTensor *ic = pn_to_contiguous_nograd(in), *out = NULL;
    if (!ic) return NULL;
    out = pn_empty(in->dtype, st->ndim, to_image ? st->img : st->out);
    if (out) {
        PyThreadState *ts = PyEval_SaveThread();
        int rc = to_image ? pn_upsample_backward(in->dtype, &st->g, ic->data, out->data)
                          : pn_upsample(in->dtype, &st->g, ic->data, out->data);
        PyEval_RestoreThread(ts);
        if (rc == PN_ENOMEM)
            PyErr_NoMemory();
        else if (rc != PN_OK)
            PyErr_SetString(PyExc_RuntimeError, "interpolate: invalid sizes");
        if (rc != PN_OK) Py_CLEAR(out);
    }
    Py_DECREF(ic);
    if (out) {
        PNNode *n = pn_record(out, node_name(st, to_image), upsample_backward, 1, &in);
        upsample_state *s = n ? pn_node_state(n, sizeof *s, 0) : NULL;
        if (s) *s = *st, s->to_image = to_image;
    }
    if (out && PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

// y = U x: dx = U^T g;   dx = U^T dy: d dy = U g
static int upsample_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const upsample_state *st = PN_STATE(n, upsample_state);
    gin[0] = upsample_apply(gout[0], st, !st->to_image);
    return gin[0] ? 0 : -1;
}

/* "(H: 2, W: 2)" for the nd spatial sizes v. */
static void format_sizes(char *buf, size_t n, int nd, const int64_t *v) {
    static const char *names[3] = {"D", "H", "W"};
    size_t at = (size_t)snprintf(buf, n, "(");
    for (int k = 0; k < nd && at < n; k++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s: %lld", k ? ", " : "", names[3 - nd + k],
                               (long long)v[k]);
    if (at < n) snprintf(buf + at, n - at, ")");
}

/* The output sizes: size, or floor(in * scale) (PyTorch's compute_output_size). */
static int output_sizes(PNTensor *x, int nd, const int64_t *size, const double *scales,
                        int64_t *out) {
    for (int k = 0; k < nd; k++) {
        if (size) {
            out[k] = size[k];
            continue;
        }
        double v = (double)x->shape[2 + k] * scales[k];
        if (!(v > -9.2e18 && v < 9.2e18)) {
            PyErr_SetString(PyExc_RuntimeError,
                            "value cannot be converted to type int64_t without overflow");
            return -1;
        }
        out[k] = (int64_t)v;
    }
    return 0;
}

/* The state of resampling x (N, C, *in) (checked here, PyTorch's messages). */
static int upsample_setup(PNTensor *x, int mode, const int64_t *size, const double *scales,
                          int align_corners, upsample_state *st) {
    int nd = x->ndim - 2;
    if (nd < 1 || nd > 3 || mode < PN_UPSAMPLE_NEAREST || mode > PN_UPSAMPLE_LINEAR_AA ||
        (mode == PN_UPSAMPLE_LINEAR_AA && nd != 2)) {
        PyErr_SetString(PyExc_RuntimeError, "interpolate: expected a 3-D, 4-D or 5-D input "
                                            "(4-D with antialias)");
        return -1;
    }
    *st = (upsample_state){.g = {.nd = nd, .mode = mode, .align_corners = align_corners},
                           .ndim = x->ndim};
    if (output_sizes(x, nd, size, scales, st->g.out) < 0) return -1;
    int ok = 1;
    for (int k = 0; k < nd; k++) {
        st->g.in[k] = x->shape[2 + k];
        st->g.scale[k] = scales ? scales[k] : 0;
        ok &= st->g.in[k] > 0 && st->g.out[k] > 0;
    }
    if (!ok) {
        char a[96], b[96];
        format_sizes(a, sizeof a, nd, st->g.in), format_sizes(b, sizeof b, nd, st->g.out);
        PyErr_Format(PyExc_RuntimeError,
                     "Input and output sizes should be greater than 0, but got input %s%s "
                     "output %s",
                     a, nd == 1 ? " and" : "", b);
        return -1;
    }
    if (x->shape[1] == 0) {
        char xs[256];
        pn_format_list(xs, sizeof xs, x->ndim, x->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "Non-empty %dD data tensor expected but got a tensor with sizes %s", x->ndim,
                     xs);
        return -1;
    }
    static const char *ops[3] = {"upsample_nearest", "_upsample_nearest_exact", "upsample_linear"};
    char op[48];
    if (mode == PN_UPSAMPLE_LINEAR_AA)
        snprintf(op, sizeof op, "_upsample_bilinear2d_aa");
    else
        snprintf(op, sizeof op, "%s%dd",
                 mode == PN_UPSAMPLE_LINEAR && nd > 1
                     ? (nd == 2 ? "upsample_bilinear" : "upsample_trilinear")
                     : ops[mode],
                 nd);
    if (pn_require_float(x, op) < 0) return -1;
    st->g.P = x->shape[0] * x->shape[1];
    for (int d = 0; d < x->ndim; d++) st->img[d] = st->out[d] = x->shape[d];
    int64_t n = st->g.P;
    for (int k = 0; k < nd; k++) {
        st->out[2 + k] = st->g.out[k];
        if (pn_mul_overflow(n, st->g.out[k], &n)) {
            PyErr_SetString(PyExc_RuntimeError, "interpolate: output too large");
            return -1;
        }
    }
    return 0;
}

// x (N, C, *in) -> y (N, C, *out), 1 to 3 spatial dims (2 for PN_UPSAMPLE_LINEAR_AA); out =
// size, or else floor(in * scales) with the scales used for the source indices (see
// kernels/upsample.h)
PNTensor *pn_interpolate(PNTensor *x, int mode, const int64_t *size, const double *scales,
                         int align_corners) {
    upsample_state st;
    if (upsample_setup(x, mode, size, scales, align_corners, &st) < 0) return NULL;
    return upsample_apply(x, &st, 0);
}
