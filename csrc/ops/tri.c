/* ops/tri.c - tril and triu (the lower or upper triangle of the last two dims,
 * the rest zeroed), out of place and in place.
 *
 *   y = tril(x, k):  dx = tril(g, k)      (triu likewise)
 */
#include "ops.h"
#include "../kernels/sort.h"

typedef struct {
    int64_t k;
    int lower;
} tri_state;

// y = tril(x, k): dx = tril(g, k)
static int tri_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const tri_state *st = PN_STATE(n, tri_state);
    gin[0] = pn_tri(gout[0], st->k, st->lower);
    return gin[0] ? 0 : -1;
}

// x (*, rows, cols) -> the same with the elements outside the triangle zeroed
PNTensor *pn_tri(PNTensor *x, int64_t k, int lower) {
    const char *op = lower ? "tril" : "triu";
    if (x->ndim < 2)
        return pn_error_c(PyExc_RuntimeError, "%s: input tensor must have at least 2 dimensions",
                          op),
               NULL;
    PNTensor *out = pn_copy_as(x, x->dtype);
    if (!out) return NULL;
    int64_t rows = x->shape[x->ndim - 2], cols = x->shape[x->ndim - 1];
    if (out->numel)
        pn_tri_zero(pn_itemsize(x->dtype), out->numel / (rows * cols), rows, cols, k, lower,
                    out->data);
    if (pn_is_float(x->dtype)) {
        PNNode *n = pn_record(out, lower ? "TrilBackward0" : "TriuBackward0", tri_backward, 1, &x);
        tri_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
        if (st) st->k = k, st->lower = lower;
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    return out;
}

PyObject *pn_tri_inplace(PNTensor *x, int64_t k, int lower) {
    PNTensor *res = pn_tri(x, k, lower);
    if (!res) return NULL;
    if (pn_check_inplace(x, lower ? "tril_" : "triu_") < 0) {
        Py_DECREF(res);
        return NULL;
    }
    return pn_inplace_result(x, res);
}
