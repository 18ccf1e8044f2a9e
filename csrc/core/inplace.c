/* core/inplace.c - how an in-place op updates the autograd graph.
 *
 * An in-place op with autograd is computed out of place on a clone of the old
 * value (so backward still has it), giving `res` with its own history; then
 * pn_inplace_finish writes res into the target and rewires the graph:
 *
 *  - target owns its memory: target simply continues res's history.
 *  - target is a view of `base` (x[0].mul_(2), y[:, :3] = z): base's memory
 *    changed too, so base gets a CopySlices node. Its backward splits the
 *    gradient of base in two: the viewed region goes to res, the rest to
 *    base's previous history. The view then becomes a fresh view of the new
 *    base (AsStridedBackward0), as in PyTorch.
 *  - any other view made of base before the write still has a history through
 *    base's old one, which no longer describes its values: pn_refresh_view
 *    rebuilds it through base's new history when the view is next used (as
 *    PyTorch regenerates a stale view's grad_fn). That includes a view with no
 *    history at all, made before the write gave base its first: it requires grad
 *    from then on (pn_requires_grad).
 *  - a view that cannot take part: made in no_grad mode, or a piece of
 *    split/unbind. Writing into it with grad, or using it after its base got a
 *    new history, raises PyTorch's RuntimeError.
 *
 * The region is described by the view's shape, strides and offset in elements
 * from base's first element (base is contiguous: every tensor pynet allocates
 * is), and applied to contiguous gradients of base's shape.
 */
#include "autograd.h"
#include "copy.h"
#include "../kernels/gather.h"
#include <string.h>
#include <math.h>

/* State of CopySlices and AsStridedBackward0: where the view sits in its base. */
typedef struct {
    int ndim;
    int overlap;    /* the view may read some element of base more than once */
    int64_t offset; /* in elements from base's first element */
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
} region_state;

static void region_of(PNTensor *view, PNTensor *base, region_state *r) {
    r->ndim = view->ndim;
    r->overlap = pn_may_overlap(view);
    r->offset = (view->data - base->data) / (int64_t)pn_itemsize(view->dtype);
    memcpy(r->shape, view->shape, sizeof(int64_t) * view->ndim);
    memcpy(r->strides, view->strides, sizeof(int64_t) * view->ndim);
}

/* The region as a view of t (t contiguous, shaped like the base). */
static PNTensor *region_view(PNTensor *t, const region_state *r) {
    PNTensor *v = pn_alias(t, r->ndim, r->shape, r->strides, r->offset);
    if (v) pn_forget_base(v);
    return v;
}

static int no_double_backward(PNTensor *g, const char *name) {
    if (pn_grad_mode && pn_requires_grad(g)) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s: double backward through an in-place update of a view is not supported "
                     "by pynet",
                     name);
        return -1;
    }
    return 0;
}

/* inputs (base's previous history, res): the region's gradient goes to res, the
 * rest to the old base (its region was overwritten, so gets zero there). */
static int copy_slices_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    if (no_double_backward(gout[0], n->name) < 0) return -1;
    PNTensor *g = pn_to_contiguous_nograd(gout[0]);
    if (!g) return -1;
    int rc = -1;
    if (n->next[1].fn) {
        PNTensor *r = region_view(g, PN_STATE(n, region_state));
        gin[1] = r ? pn_to_contiguous_nograd(r) : NULL;
        Py_XDECREF(r);
        if (!gin[1]) goto out;
    }
    if (n->next[0].fn) {
        PNTensor *gb = pn_empty(g->dtype, g->ndim, g->shape);
        PNTensor *r =
            gb && pn_copy_into(gb, g) == 0 ? region_view(gb, PN_STATE(n, region_state)) : NULL;
        int ok = r && pn_fill(r, 0.0) == 0;
        Py_XDECREF(r);
        if (!ok) {
            Py_XDECREF(gb);
            goto out;
        }
        gin[0] = gb;
    }
    rc = 0;
out:
    Py_DECREF(g);
    return rc;
}

/* r += g, position by position on this thread: where the region r reads an element
 * of its base more than once (an expanded view), that element's gradient is the
 * sum of those positions' gradients, added in row-major order. */
static int accumulate_region(PNTensor *r, PNTensor *g) {
    pn_loop_fn fn = pn_accumulate_loop(r->dtype); /* g has r's dtype: z was made with it */
    if (!fn) {
        PyErr_SetString(PyExc_RuntimeError, "AsStridedBackward0: gradient of an unexpected dtype");
        return -1;
    }
    PNTensor *ops[2] = {r, g};
    pn_run_loop_serial(fn, NULL, 2, ops, r->ndim, r->shape);
    return 0;
}

/* the view read from the new base: its gradient lands in the region of zeros
 * (summed where the region reads an element more than once) */
static int as_strided_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    if (no_double_backward(gout[0], n->name) < 0) return -1;
    const region_state *st = PN_STATE(n, region_state);
    PNTensor *z = pn_zeros(gout[0]->dtype, n->meta[0].ndim, n->meta[0].shape);
    PNTensor *r = z ? region_view(z, st) : NULL;
    int rc = !r ? -1 : st->overlap ? accumulate_region(r, gout[0]) : pn_copy_into(r, gout[0]);
    Py_XDECREF(r);
    if (rc < 0) {
        Py_XDECREF(z);
        return -1;
    }
    gin[0] = z;
    return 0;
}

/* as_strided's node: view's elements are a region of input's (contiguous, the region
 * inside it; pn_as_strided checks), so the gradient is AsStridedBackward0's scatter of
 * the view's gradient into zeros of input's shape, adding where elements repeat. */
int pn_record_as_strided(PNTensor *view, PNTensor *input) {
    PNNode *as = pn_record(view, "AsStridedBackward0", as_strided_backward, 1, &input);
    if (!as) return PyErr_Occurred() ? -1 : 0;
    region_state *r = pn_node_state(as, sizeof *r, 0);
    if (!r) return -1;
    region_of(view, input, r);
    return 0;
}

/* A write with grad into a view made in no_grad mode, or into a history-less piece of
 * split/unbind (base needing no grad when it was split): PyTorch refuses both. */
static int check_view_writable(PNTensor *view) {
    if (Py_REFCNT(view->base) == 1) { /* a private base (a composite op's temporary) */
        pn_forget_base(view);
        return 0;
    }
    if (view->storage != view->base->storage) {
        PyErr_SetString(PyExc_RuntimeError,
                        "in-place update of a view with autograd: the view's base was given other "
                        "memory (.data = ...) since the view was made");
        return -1;
    }
    if (!view->view_in_no_grad && !view->multi_view) return 0;
    PyErr_Format(PyExc_RuntimeError,
                 "A view was created in no_grad mode and is being modified inplace with grad "
                 "mode enabled. %s",
                 view->view_in_no_grad ? PN_NO_GRAD_VIEW_REASON : PN_MULTI_VIEW_REASON);
    return -1;
}

static int copy_slices(PNTensor *view, PNTensor *res) {
    PNTensor *base = view->base;
    if (!pn_is_contiguous(base)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "in-place update of a view with autograd: pynet needs the viewed tensor "
                        "to be contiguous; call .contiguous() on it first");
        return -1;
    }
    PNTensor *ins[2] = {base, res};
    PNNode *cs = pn_node_new("CopySlices", copy_slices_backward, 2, ins);
    if (!cs) return -1;
    region_state *r = pn_node_state(cs, sizeof *r, 0);
    if (!r) {
        Py_DECREF(cs);
        return -1;
    }
    region_of(view, base, r);
    pn_set_history(base, cs, 0);
    PNNode *as = pn_node_new("AsStridedBackward0", as_strided_backward, 1, &base);
    int rc = as ? pn_node_copy_state(as, cs) : -1;
    Py_DECREF(cs);
    if (rc < 0) {
        Py_XDECREF(as);
        return -1;
    }
    pn_set_history(view, as, 0);
    view->view_of_history = base->history_id; /* the CopySlices just set */
    Py_DECREF(as);
    return 0;
}

int pn_refresh_view(PNTensor *t) {
    PNTensor *base = t->base;
    /* base->storage differs after `base.data = other`: t no longer shows base's values */
    if (!base || base->history_id == t->view_of_history || t->storage != base->storage) return 0;
    if (!t->grad_fn && !base->grad_fn) return 0; /* no history on either side */
    if (!t->grad_fn && (t->view_in_no_grad || t->multi_view)) {
        /* torch names no_grad mode for a history-less piece of split/unbind too */
        PyErr_SetString(
            PyExc_RuntimeError,
            "A view was created in no_grad mode and its base or another view of its "
            "base has been modified inplace with grad mode enabled. " PN_NO_GRAD_VIEW_REASON);
        return -1;
    }
    if (t->multi_view) { /* torch refuses: its grad_fn would have to be one of n outputs */
        char fn[64];
        pn_node_op_name(t->grad_fn, fn, sizeof fn);
        PyErr_Format(PyExc_RuntimeError,
                     "Output %d of %s is a view and its base or another view of its base has "
                     "been modified inplace. " PN_MULTI_VIEW_REASON,
                     t->output_nr, fn);
        return -1;
    }
    if (!pn_is_contiguous(base)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "a view whose base was modified in place is used with autograd: pynet "
                        "needs the base to be contiguous; take .contiguous() before viewing it");
        return -1;
    }
    /* the view's values are base's region now: its gradient goes there, through base's
     * current history */
    PNNode *as = pn_node_new("AsStridedBackward0", as_strided_backward, 1, &base);
    region_state *r = as ? pn_node_state(as, sizeof *r, 0) : NULL;
    if (!r) {
        Py_XDECREF(as);
        return -1;
    }
    region_of(t, base, r);
    pn_set_history(t, as, 0);
    t->view_of_history = base->history_id;
    Py_DECREF(as);
    return 0;
}

/* The op that computed src saved a tensor in dst's memory (x.mul_(x), x.clamp_(min=
 * x.detach())): the version was moved on before the op ran, so the saved one carries
 * the new number and would pass the backward's check after the write overwrote it. */
static int saved_in(const PNNode *n, const PNTensor *dst) {
    for (int k = 0; k < PN_NODE_SAVED; k++)
        if (n->saved[k] && n->saved[k]->storage == dst->storage) return 1;
    return 0;
}

int pn_inplace_finish(PNTensor *dst, PNTensor *src) {
    if (src->grad_fn && dst->base && check_view_writable(dst) < 0) return -1; /* before writing */
    if (pn_copy_into(dst, src) < 0) return -1;
    if (!src->grad_fn) return 0; /* nothing requires grad: a plain write */
    if (saved_in(src->grad_fn, dst)) pn_bump_version(dst); /* its backward then refuses */
    if (!dst->base) {
        pn_set_history(dst, src->grad_fn, src->output_nr);
        return 0;
    }
    return copy_slices(dst, src);
}

PyObject *pn_inplace_result(PNTensor *dst, PNTensor *res) {
    if (!res) return NULL;
    int rc = pn_inplace_finish(dst, res);
    Py_DECREF(res);
    if (rc < 0) return NULL;
    Py_INCREF(dst);
    return (PyObject *)dst;
}
