/* ops/gather.c - gather, scatter, scatter_add (out of place and in place) and
 * index_select along one dimension, with their backward:
 *
 *   y = x.gather(d, i):           dx = zeros_like(x).scatter_add(d, i, g)
 *   y = s.scatter_add(d, i, src): ds = g,                 dsrc = g.gather(d, i)
 *   y = s.scatter(d, i, src):     ds = g.scatter(d, i, 0), dsrc = g.gather(d, i)
 *   y = x.index_select(d, i):     a gather by i viewed (with zero strides) in y's shape
 *
 * gather and scatter_add are each other's adjoint, so every backward is built
 * of these ops and records its own graph (double backward). Sort and topk
 * record their values with pn_record_gather: their backward is gather's.
 * A 0-d tensor is indexed as if it had one dimension of size 1.
 */
#include "ops.h"
#include "../kernels/gather.h"
#include <string.h>

typedef struct {
    int dim;
} gather_state;

enum { GATHER, SCATTER, SCATTER_ADD };

/* index may reach into `t` along dim: int64, same ndim, index.size(d) <= t.size(d) for
 * d != dim (and <= src.size(d) for every d, for scatter). PyTorch's messages. */
static int check_index(PNTensor *t, int dim, PNTensor *idx, PNTensor *src, const char *op) {
    char a[160], b[160], c[160];
    if (idx->dtype != PN_INT64)
        return pn_error_c(PyExc_RuntimeError, "%s(): Expected dtype int64 for index", op), -1;
    if (idx->ndim != t->ndim && !(idx->ndim <= 1 && t->ndim <= 1))
        return pn_error_c(PyExc_RuntimeError,
                          "%s(): Index tensor must have the same number of dimensions as %s "
                          "tensor",
                          op, strncmp(op, "scatter", 7) ? "input" : "self"),
               -1;
    if (src && src->ndim != idx->ndim && !(idx->ndim <= 1 && src->ndim <= 1))
        return pn_error_c(PyExc_RuntimeError,
                          "%s(): Index tensor must have the same number of dimensions as src "
                          "tensor",
                          op),
               -1;
    if (idx->numel == 0) return 0;
    for (int d = 0; d < idx->ndim; d++) {
        int bad_t = d != dim && idx->shape[d] > (t->ndim ? t->shape[d] : 1);
        int bad_s = src && idx->shape[d] > (src->ndim ? src->shape[d] : 1);
        if (!bad_t && !bad_s) continue;
        pn_format_list(a, sizeof a, idx->ndim, idx->shape);
        pn_format_list(b, sizeof b, t->ndim, t->shape);
        if (!src)
            return pn_error_c(PyExc_RuntimeError,
                              "%s(): Size does not match at dimension %d expected index %s to "
                              "be no larger than self %s apart from dimension %d",
                              op, d, a, b, dim),
                   -1;
        pn_format_list(c, sizeof c, src->ndim, src->shape);
        return pn_error_c(PyExc_RuntimeError,
                          "%s(): Expected index %s to be no larger than self %s apart from "
                          "dimension %d and to be no larger size than src %s",
                          op, a, b, dim, c),
               -1;
    }
    return 0;
}

static void byte_strides(const PNTensor *t, int nd, int64_t *st) {
    for (int d = 0; d < nd; d++)
        st[d] = t->ndim == nd ? t->strides[d] * (int64_t)pn_itemsize(t->dtype) : 0;
}

/* gather: out[p] = t[p with dim -> idx[p]];  scatter(_add): t[p with dim -> idx[p]] (+)= o[p]
 * over the positions p of idx (o: out for gather, src for scatter; a 0-d src is one value). */
static int transfer(PNTensor *t, int dim, PNTensor *idx, PNTensor *o, int mode, const char *op) {
    int nd = idx->ndim ? idx->ndim : 1;
    int64_t shape[PN_MAX_DIMS], st[3][PN_MAX_DIMS];
    for (int d = 0; d < nd; d++) shape[d] = idx->ndim ? idx->shape[d] : 1;
    byte_strides(t, nd, st[2]);
    byte_strides(idx, nd, st[1]);
    byte_strides(o, nd, st[0]);
    if (t->ndim) st[2][dim] = 0; /* the kernel adds index * stride along dim */
    int failed = 0;
    int64_t bad = 0;
    pn_gather_args aux = {t->ndim ? t->shape[dim] : 1,
                          t->ndim ? t->strides[dim] * (int64_t)pn_itemsize(t->dtype) : 0, &failed,
                          &bad};
    /* operands {out, index, src}: gather reads t, scatter writes t */
    char *data[3] = {mode == GATHER ? o->data : t->data, idx->data,
                     mode == GATHER ? t->data : o->data};
    int64_t sw[3][PN_MAX_DIMS];
    memcpy(sw[0], mode == GATHER ? st[0] : st[2], sizeof sw[0]);
    memcpy(sw[1], st[1], sizeof sw[1]);
    memcpy(sw[2], mode == GATHER ? st[2] : st[0], sizeof sw[2]);
    pn_iter it;
    pn_iter_init(&it, 3, data, nd, shape, (const int64_t (*)[PN_MAX_DIMS])sw);
    pn_loop_fn fn =
        mode == GATHER ? pn_gather_loop(t->dtype) : pn_scatter_loop(t->dtype, mode == SCATTER_ADD);
    PN_NOGIL_BEGIN(it.numel)
    pn_iter_run_range(&it, fn, &aux, 0, it.numel);
    PN_NOGIL_END
    if (!failed) return 0;
    /* PyTorch's index_select raises IndexError for a bad index along any dim but
     * dim 1, where its kernel (a different one) raises RuntimeError */
    return pn_error_c(dim != 1 && !strcmp(op, "index_select") ? PyExc_IndexError
                                                              : PyExc_RuntimeError,
                      "%s(): index %lld is out of bounds for dimension %d with size %lld", op,
                      (long long)bad, dim, (long long)aux.size),
           -1;
}

/* ------------------------------------------------------------- gather ---- */

static PNTensor *scatter_impl(PNTensor *self, int dim, PNTensor *idx, PNTensor *src, int value,
                              int accumulate, const char *op);

/* Backward of every op that picks x's elements at idx along dim (gather, sort, topk,
 * index_select): dx = zeros_like(x) with g added at idx. */
// y = x.gather(dim, idx): dx = zeros(x.shape).scatter_add(dim, idx, g)
static int gather_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const PNMeta *m = &n->meta[0];
    PNTensor *idx = pn_unpack(n, 0);
    PNTensor *z = idx ? pn_zeros(gout[0]->dtype, m->ndim, m->shape) : NULL;
    gin[0] = z ? scatter_impl(z, PN_STATE(n, gather_state)->dim, idx, gout[0], 0, 1, "scatter_add")
               : NULL;
    Py_XDECREF(idx);
    Py_XDECREF(z);
    return gin[0] ? 0 : -1;
}

int pn_record_gather(PNTensor *out, const char *name, PNTensor *x, int dim, PNTensor *idx) {
    PNNode *n = pn_record(out, name, gather_backward, 1, &x);
    gather_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->dim = dim;
        pn_save(n, 0, idx, 0);
    }
    return PyErr_Occurred() ? -1 : 0;
}

/* x (*), idx (same ndim) -> out (idx's shape) */
static PNTensor *gather_as(PNTensor *x, int dim, PNTensor *idx, const char *name, const char *op) {
    if (check_index(x, dim, idx, NULL, op) < 0) return NULL;
    PNTensor *out = pn_empty(x->dtype, idx->ndim, idx->shape);
    if (!out) return NULL;
    if (transfer(x, dim, idx, out, GATHER, op) < 0 ||
        (pn_is_float(x->dtype) && pn_record_gather(out, name, x, dim, idx) < 0))
        Py_CLEAR(out);
    return out;
}

PNTensor *pn_gather(PNTensor *x, int dim, PNTensor *idx) {
    return gather_as(x, dim, idx, "GatherBackward0", "gather");
}

/* index_select of whole rows: x contiguous, seen as (outer, n, inner) with rows
 * of inner elements of at least ROWS_MIN_BYTES, and every index in [0, n): one
 * copy per row (pn_gather_rows) instead of one step of the element-wise gather
 * per element (13x PyTorch's time for 4096 rows of 128 floats). Returns NULL
 * without an error when it does not apply (the element-wise gather then also
 * raises the errors). view: idx seen in the output's shape, for the backward. */
#define ROWS_MIN_BYTES 64
static PNTensor *select_rows(PNTensor *x, int dim, PNTensor *idx, PNTensor *view) {
    int64_t outer = 1, inner = 1, n = x->ndim ? x->shape[dim] : 1, k = idx->numel;
    for (int d = 0; d < x->ndim; d++)
        if (d < dim)
            outer *= x->shape[d];
        else if (d > dim)
            inner *= x->shape[d];
    size_t item = pn_itemsize(x->dtype);
    if (x->ndim == 0 || !pn_is_contiguous(x) || inner * (int64_t)item < ROWS_MIN_BYTES) return NULL;
    const int64_t *iv = (const int64_t *)idx->data;
    int64_t is = idx->ndim ? idx->strides[0] : 0, cnt;
    for (int64_t j = 0; j < k; j++)
        if (iv[j * is] < 0 || iv[j * is] >= n) return NULL;
    if (pn_mul_overflow(outer, k, &cnt)) return NULL;
    int64_t *off = PyMem_Malloc(sizeof(int64_t) * (size_t)(cnt > 0 ? cnt : 1));
    if (!off) return (PNTensor *)PyErr_NoMemory();
    PNTensor *out = pn_empty(x->dtype, view->ndim, view->shape);
    if (!out) {
        PyMem_Free(off);
        return NULL;
    }
    for (int64_t o = 0; o < outer; o++) /* offsets in rows of x */
        for (int64_t j = 0; j < k; j++) off[o * k + j] = o * n + iv[j * is];
    PN_NOGIL_BEGIN(out->numel)
    pn_gather_rows(out->data, x->data, off, inner * (int64_t)item, cnt, inner * (int64_t)item);
    PN_NOGIL_END
    PyMem_Free(off);
    if (pn_is_float(x->dtype) && pn_record_gather(out, "IndexSelectBackward0", x, dim, view) < 0)
        Py_CLEAR(out);
    return out;
}

/* x (.., n, ..), idx (k) -> (.., k, ..): a gather by idx seen in the output's shape */
PNTensor *pn_index_select(PNTensor *x, int dim, PNTensor *idx) {
    if (idx->ndim > 1)
        return pn_error_c(PyExc_IndexError, "index_select(): Index is supposed to be a vector"),
               NULL;
    if (idx->dtype != PN_INT64)
        return pn_error_c(PyExc_RuntimeError, "index_select(): Expected dtype int64 for index"),
               NULL;
    if (x->ndim == 0 && idx->numel != 1)
        return pn_error_c(PyExc_RuntimeError,
                          "index_select(): Index to scalar can have only 1 value, got %lld "
                          "value(s)",
                          (long long)idx->numel),
               NULL;
    if (x->ndim && x->shape[dim] == 0 && idx->numel)
        return pn_error_c(PyExc_RuntimeError,
                          "index_select(): self indexing axis dim should be positive (dim %d "
                          "has size 0, indexed at %lld positions)",
                          dim, (long long)idx->numel),
               NULL;
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++) {
        shape[d] = d == dim ? idx->numel : x->shape[d];
        strides[d] = d == dim && idx->ndim ? idx->strides[0] : 0;
    }
    PNTensor *view = pn_alias(idx, x->ndim, shape, strides, 0);
    if (!view) return NULL;
    PNTensor *out = select_rows(x, dim, idx, view);
    if (!out && !PyErr_Occurred())
        out = gather_as(x, dim, view, "IndexSelectBackward0", "index_select");
    Py_DECREF(view);
    return out;
}

/* ------------------------------------------------------------ scatter ---- */

typedef struct {
    int dim, accumulate;
} scatter_state;

/* g gathered at idx, zero-padded at the end of each dim up to src's shape */
static PNTensor *gather_padded(PNTensor *g, int dim, PNTensor *idx, const PNMeta *src) {
    PNTensor *r = gather_as(g, dim, idx, "GatherBackward0", "gather");
    if (r && r->ndim != src->ndim) { /* a 0-d src with a one-element (or empty) index */
        Py_SETREF(r, r->numel ? pn_reshape(r, src->ndim, src->shape)
                              : pn_zeros(r->dtype, src->ndim, src->shape));
        return r;
    }
    if (!r) return r;
    int64_t pads[2 * PN_MAX_DIMS] = {0};
    int any = 0;
    for (int d = 0; d < r->ndim; d++) {
        pads[2 * (r->ndim - 1 - d) + 1] = src->shape[d] - r->shape[d];
        any |= src->shape[d] != r->shape[d];
    }
    if (any) Py_SETREF(r, pn_pad(r, 2 * r->ndim, pads, 0.0));
    return r;
}

// y = self.scatter(dim, idx, src): dself = g.scatter(dim, idx, 0), dsrc = g.gather(dim, idx);
// scatter_add: dself = g
static int scatter_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const scatter_state *st = PN_STATE(n, scatter_state);
    PNTensor *idx = pn_unpack(n, 0);
    if (!idx) return -1;
    int rc = -1;
    if (n->next[0].fn) {
        if (st->accumulate) {
            Py_INCREF(gout[0]);
            gin[0] = gout[0];
        } else {
            PNTensor *zero = pn_zeros(gout[0]->dtype, 0, NULL);
            gin[0] = zero ? scatter_impl(gout[0], st->dim, idx, zero, 1, 0, "scatter") : NULL;
            Py_XDECREF(zero);
        }
        if (!gin[0]) goto out;
    }
    if (n->n_next > 1 && n->next[1].fn &&
        !(gin[1] = gather_padded(gout[0], st->dim, idx, &n->meta[1])))
        goto out;
    rc = 0;
out:
    Py_DECREF(idx);
    return rc;
}

/* self (*), idx (same ndim), src (idx's ndim, at least idx's size; 0-d when value)
 * -> a copy of self with src's elements written (added) at idx */
static PNTensor *scatter_impl(PNTensor *self, int dim, PNTensor *idx, PNTensor *src, int value,
                              int accumulate, const char *op) {
    if (check_index(self, dim, idx, value ? NULL : src, op) < 0) return NULL;
    if (src->dtype != self->dtype)
        return pn_error_c(PyExc_RuntimeError, "%s(): Expected self.dtype to be equal to src.dtype",
                          op),
               NULL;
    PNTensor *out = pn_copy_as(self, self->dtype);
    if (!out) return NULL;
    if (transfer(out, dim, idx, src, accumulate ? SCATTER_ADD : SCATTER, op) < 0) goto fail;
    if (pn_is_float(self->dtype)) {
        PNTensor *ins[2] = {self, value ? NULL : src};
        const char *name = accumulate ? "ScatterAddBackward0"
                           : value    ? "ScatterBackward1"
                                      : "ScatterBackward0";
        PNNode *n = pn_record(out, name, scatter_backward, value ? 1 : 2, ins);
        scatter_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
        if (st) {
            st->dim = dim;
            st->accumulate = accumulate;
            pn_save(n, 0, idx, 0);
        }
        if (PyErr_Occurred()) goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

PNTensor *pn_scatter(PNTensor *self, int dim, PNTensor *idx, PNTensor *src, int value,
                     int accumulate) {
    return scatter_impl(self, dim, idx, src, value, accumulate,
                        accumulate ? "scatter_add" : "scatter");
}

/* self.scatter_(..) / scatter_add_(..): computed out of place, then written into self,
 * which takes the result's history */
PyObject *pn_scatter_inplace(PNTensor *self, int dim, PNTensor *idx, PNTensor *src, int value,
                             int accumulate) {
    const char *op = accumulate ? "scatter_add_" : "scatter_";
    PNTensor *res = scatter_impl(self, dim, idx, src, value, accumulate, op);
    if (!res) return NULL;
    if (pn_check_inplace(self, op) < 0) {
        Py_DECREF(res);
        return NULL;
    }
    return pn_inplace_result(self, res);
}
