/* ops/softmax.c - softmax and log_softmax along one dimension, and backward:
 *   y = softmax(x):      dx = y * (g - sum(g * y))
 *   y = log_softmax(x):  dx = g - exp(y) * sum(g)  */
#include "ops.h"
#include <string.h>
#include <math.h>

/* -------------------------------------------------------------- softmax ---- */

typedef struct {
    int dim; /* the dimension normalised over */
    int log; /* log_softmax (1) or softmax (0) */
} softmax_state;

/* Without create_graph: one fused row kernel (two passes over g and y, in
 * double) instead of four ops and their temporaries. g is made contiguous
 * like y (the forward's output), so that the three share one layout.
 * Returns 1 when it does not apply (the composed ops run instead). */
static int softmax_backward_fused(PNTensor *g, PNTensor *y, int dim, int log, PNTensor **dx) {
    if (pn_grad_mode || g->dtype != y->dtype || !pn_is_contiguous(y) || !y->numel) return 1;
    PNTensor *gc = pn_to_contiguous_nograd(g);
    *dx = gc ? pn_empty(y->dtype, y->ndim, y->shape) : NULL;
    if (*dx) {
        PNTensor *ops[2] = {*dx, gc};
        pn_run_rows(pn_softmax_backward_loop(log, y->dtype), y, dim, 2, ops);
    }
    Py_XDECREF(gc);
    return *dx ? 0 : -1;
}

/* softmax:     dx = y * (g - sum(g * y))
 * log_softmax: dx = g - exp(y) * sum(g)      (sums along dim, kept) */
static int softmax_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    int dim = PN_STATE(n, softmax_state)->dim, log = PN_STATE(n, softmax_state)->log;
    uint32_t mask = n->meta[0].ndim ? 1u << dim : 0;
    PNTensor *g = gout[0], *y = pn_unpack(n, 0);
    if (!y) return -1;
    int rc = softmax_backward_fused(g, y, dim, log, &gin[0]);
    if (rc <= 0) {
        Py_DECREF(y);
        return rc;
    }
    PNTensor *t = NULL, *s = NULL, *u = NULL;
    if (log) {
        s = pn_sum(g, mask, 1, 0, g->dtype);
        t = s ? pn_unary(PN_EXP, y) : NULL;
        u = t ? pn_binary_t(PN_MUL, t, s) : NULL;
        gin[0] = u ? pn_binary_t(PN_SUB, g, u) : NULL;
    } else {
        t = pn_binary_t(PN_MUL, g, y);
        s = t ? pn_sum(t, mask, 1, 0, g->dtype) : NULL;
        u = s ? pn_binary_t(PN_SUB, g, s) : NULL;
        gin[0] = u ? pn_binary_t(PN_MUL, y, u) : NULL;
    }
    Py_XDECREF(t), Py_XDECREF(s), Py_XDECREF(u), Py_DECREF(y);
    return gin[0] ? 0 : -1;
}

// x (.., n, ..) -> y (.., n, ..) = softmax or log_softmax along dim
PNTensor *pn_softmax(PNTensor *a, int dim, int log) {
    PNTensor *src = pn_is_float(a->dtype) ? (Py_INCREF(a), a) : pn_cast(a, pn_default_float);
    if (!src) return NULL;
    PNTensor *out = pn_empty(src->dtype, src->ndim, src->shape);
    if (out) {
        if (src->numel) pn_run_rows(pn_softmax_loop(log, src->dtype), src, dim, 1, &out);
        PNNode *n = pn_record(out, log ? "LogSoftmaxBackward0" : "SoftmaxBackward0",
                              softmax_backward, 1, &src);
        softmax_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
        if (st) {
            st->dim = dim, st->log = log;
            pn_save(n, 0, out, 1);
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_DECREF(src);
    return out;
}
