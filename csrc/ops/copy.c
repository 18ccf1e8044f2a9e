/* ops/copy.c - the differentiable copies: cast (to another dtype), clone,
 * contiguous, detach, flip, and fill_/zero_ with autograd. */
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

/* ----------------------------------------------------------------- flip ---- */

typedef struct {
    uint32_t mask; /* bit d: dim d reversed */
} flip_state;

// y = flip(x, dims): dx = flip(g, dims) (a reversal is its own inverse)
static int flip_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    gin[0] = pn_flip(gout[0], PN_STATE(n, flip_state)->mask);
    return gin[0] ? 0 : -1;
}

// x (*) -> y (*), a contiguous copy with the order of elements reversed along each dim d
// whose bit is set in mask: the copy of a view that starts at x's last element along those
// dims and steps backwards (negative strides, never seen outside this function)
PNTensor *pn_flip(PNTensor *a, uint32_t mask) {
    int64_t strides[PN_MAX_DIMS], offset = 0;
    for (int d = 0; d < a->ndim; d++) {
        int rev = (mask >> d) & 1 && a->shape[d] > 1;
        strides[d] = rev ? -a->strides[d] : a->strides[d];
        offset += rev ? (a->shape[d] - 1) * a->strides[d] : 0;
    }
    PNTensor *v = a->numel ? pn_alias(a, a->ndim, a->shape, strides, offset) : NULL;
    if (a->numel && !v) return NULL;
    PNTensor *out = pn_copy_as(v ? v : a, a->dtype);
    Py_XDECREF(v);
    if (!out) return NULL;
    PNNode *n = pn_record(out, "FlipBackward0", flip_backward, 1, &a);
    flip_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) st->mask = mask;
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* ------------------------------------------------------------ fill_/zero_ ---- */

// x.fill_(v): dx = 0 (the old values are gone)
static int fill_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)gout; /* the old values were overwritten by a constant: zero gradient */
    if (n->next[0].fn && !(gin[0] = pn_zeros(n->meta[0].dtype, n->meta[0].ndim, n->meta[0].shape)))
        return -1;
    return 0;
}

int pn_overwrite(PNTensor *t, PNTensor *res, const char *name) {
    pn_record(res, name, fill_backward, 1, &t);
    return PyErr_Occurred() ? -1 : pn_inplace_finish(t, res);
}

int pn_fill_inplace(PNTensor *t, double value, const char *op) {
    if (pn_check_inplace_fill(t, op) < 0) return -1;
    if (!(pn_grad_mode && pn_requires_grad(t))) return pn_fill(t, value);
    PNTensor *res = pn_full(t->dtype, t->ndim, t->shape, value);
    int rc = res ? pn_overwrite(t, res, "FillBackward0") : -1;
    Py_XDECREF(res);
    return rc;
}

int pn_cut_history(PNTensor *t, const char *op, const char *name) {
    if (!(pn_grad_mode && pn_requires_grad(t))) return 0;
    if (pn_check_inplace(t, op) < 0) return -1;
    PNTensor *res = pn_empty(t->dtype, t->ndim, t->shape);
    int rc = res && pn_copy_into(res, t) == 0 ? pn_overwrite(t, res, name) : -1;
    Py_XDECREF(res);
    return rc;
}

/* ------------------------------------------------------------------ copy_ ---- */

// x.copy_(s), s broadcast to x and cast to its dtype: dx_old = 0 (overwritten),
// ds = g summed over the broadcast dims, in s's dtype
static int copy_inplace_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    if (n->next[0].fn && !(gin[0] = pn_zeros(n->meta[0].dtype, n->meta[0].ndim, n->meta[0].shape)))
        return -1;
    if (n->next[1].fn) {
        PNTensor *r = pn_sum_to(gout[0], n->meta[1].ndim, n->meta[1].shape);
        gin[1] = r ? pn_to_dtype(r, n->meta[1].dtype) : NULL;
        Py_XDECREF(r);
        if (!gin[1]) return -1;
    }
    return 0;
}

int pn_copy_inplace(PNTensor *dst, PNTensor *src) {
    int grad_src = pn_requires_grad(src) && pn_is_float(dst->dtype);
    if (!(pn_grad_mode && (pn_requires_grad(dst) || grad_src))) return pn_copy_into(dst, src);
    PNTensor *res = pn_empty(dst->dtype, dst->ndim, dst->shape);
    if (!res || pn_copy_into(res, src) < 0) {
        Py_XDECREF(res);
        return -1;
    }
    PNTensor *ins[2] = {dst, src};
    pn_record(res, "CopyBackwards", copy_inplace_backward, 2, ins);
    int rc = PyErr_Occurred() ? -1 : pn_inplace_finish(dst, res);
    Py_DECREF(res);
    return rc;
}
