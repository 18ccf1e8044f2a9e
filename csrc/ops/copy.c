/* ops/copy.c - the differentiable copies: cast (to another dtype), clone,
 * contiguous, detach, and fill_/zero_ with autograd. */
#include "ops.h"
#include <string.h>
#include <math.h>

// y = copy of x (any dtype, any layout): dx = g. The engine casts g back to
// x's dtype (validate_grad), so one backward serves clone and cast.
static int copy_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)n;
    Py_INCREF(gout[0]);
    gin[0] = gout[0];
    return 0;
}

// x (*) -> y (*) of dtype dt, always a new tensor
PNTensor *pn_cast(PNTensor *a, pn_dtype dt) {
    PNTensor *out = pn_copy_as(a, dt);
    if (!out) return NULL;
    if (pn_is_float(dt) && pn_is_float(a->dtype)) {
        pn_record(out, "ToCopyBackward0", copy_backward, 1, &a);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    return out;
}

// x (*) -> x itself when already dt, else a cast copy
PNTensor *pn_to_dtype(PNTensor *a, pn_dtype dt) {
    if (a->dtype == dt) {
        Py_INCREF(a);
        return a;
    }
    return pn_cast(a, dt);
}

// x (*) -> a contiguous copy y (*)
PNTensor *pn_clone(PNTensor *a) {
    PNTensor *out = pn_copy_as(a, a->dtype);
    if (!out) return NULL;
    pn_record(out, "CloneBackward0", copy_backward, 1, &a);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

// x (*) -> x itself when contiguous, else a contiguous clone
PNTensor *pn_contiguous(PNTensor *a) {
    if (pn_is_contiguous(a)) {
        Py_INCREF(a);
        return a;
    }
    return pn_clone(a);
}

// x (*) -> a view of the same memory with no history
PNTensor *pn_detach(PNTensor *a) {
    PNTensor *t = pn_alias(a, a->ndim, a->shape, a->strides, 0);
    if (t) pn_forget_base(t);
    return t;
}

/* ------------------------------------------------------------ fill_/zero_ ---- */

// x.fill_(v): dx = 0 (the old values are gone)
static int fill_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)gout; /* the old values were overwritten by a constant: zero gradient */
    if (n->next[0].fn && !(gin[0] = pn_zeros(n->meta[0].dtype, n->meta[0].ndim, n->meta[0].shape)))
        return -1;
    return 0;
}

int pn_fill_inplace(PNTensor *t, double value, const char *op) {
    if (pn_check_inplace_fill(t, op) < 0) return -1;
    if (!(pn_grad_mode && pn_requires_grad(t))) return pn_fill(t, value);
    PNTensor *res = pn_full(t->dtype, t->ndim, t->shape, value);
    if (!res) return -1;
    pn_record(res, "FillBackward0", fill_backward, 1, &t);
    int rc = PyErr_Occurred() ? -1 : pn_inplace_finish(t, res);
    Py_DECREF(res);
    return rc;
}
