/* ops/pad.c - F.pad with a constant, and backward (the gradient cropped back). */
#include "ops.h"
#include "../kernels/nn.h"
#include <string.h>
#include <math.h>

/* ------------------------------------------------------------------ pad ---- */

typedef struct {
    int npad;                      /* number of pad amounts (two per padded dim) */
    int64_t pads[2 * PN_MAX_DIMS]; /* (left, right) of the last dim, then the one before... */
} pad_state;

/* The gradient of a constant pad is the pad with the opposite sizes (and zero
 * fill): it crops what was added and zero-fills what was cropped. */
static int pad_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const pad_state *st = PN_STATE(n, pad_state);
    int np = st->npad;
    int64_t neg[2 * PN_MAX_DIMS];
    for (int k = 0; k < np; k++) neg[k] = -st->pads[k];
    gin[0] = pn_pad(gout[0], np, neg, 0.0);
    return gin[0] ? 0 : -1;
}

/* pads = (left_last, right_last, left_second_last, ...), negative values crop. */
// x (.., d_k) -> (.., pads[0] + d_k + pads[1]), pads (left, right) from the last dim
// backwards (negative: crop); new elements are `value`
PNTensor *pn_pad(PNTensor *x, int npad, const int64_t *pads, double value) {
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
        pad_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
        if (st) {
            st->npad = npad;
            for (int k = 0; k < npad; k++) st->pads[k] = pads[k];
        }
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    return out;
}

/* _pad(input, pad, value) */
