/* ops/index.c - t[index] and t[index] = value.
 *
 * An index is split in two parts, as NumPy does:
 *  - basic items (ints, slices, None, ...) become a view (ops/view.c);
 *  - advanced items (integer tensors or lists, boolean masks) pick arbitrary
 *    elements. Their tensors broadcast to one shape B; the result has B in
 *    place of the indexed dims (where the first one was, if they were next to
 *    each other, else in front). Each position b of B names one element
 *    offset off[b] in the view; the rest of the dims are copied as blocks.
 * Backward of a gather is a scatter-add into zeros (repeated indices add up).
 */
#include "ops.h"
#include "../kernels/gather.h"
#include <string.h>

/* The advanced part of an index; also the state of IndexBackward0 (its index
 * tensors come first: a node owns them, see pn_node_state). */
typedef struct {
    PNTensor *idx[PN_MAX_DIMS]; /* int64 index tensors (owned), n of them */
    int n;                      /* number of advanced index tensors */
    int dims[PN_MAX_DIMS];      /* which dims of the view they index */
    int nb;                     /* ndim of the broadcast index shape B */
    int64_t bshape[PN_MAX_DIMS];
    int bstart; /* where B sits in the result */
} adv_index;

static void adv_clear(adv_index *a) {
    for (int k = 0; k < a->n; k++) Py_CLEAR(a->idx[k]);
    a->n = 0;
}

static PyObject *tensor_fn = NULL; /* pynet.tensor, to turn lists into index tensors */

static PNTensor *as_index_tensor(PyObject *o) {
    if (PNTensor_Check(o)) {
        Py_INCREF(o);
        return (PNTensor *)o;
    }
    if ((PyList_Check(o) || PyTuple_Check(o)) && PySequence_Size(o) == 0) {
        int64_t zero = 0; /* [] selects nothing: an empty integer index */
        return pn_empty(PN_INT64, 1, &zero);
    }
    if (!tensor_fn) {
        PyObject *m = PyImport_ImportModule("pynet");
        if (!m) return NULL;
        tensor_fn = PyObject_GetAttrString(m, "tensor");
        Py_DECREF(m);
        if (!tensor_fn) return NULL;
    }
    PyObject *t = PyObject_CallOneArg(tensor_fn, o);
    if (!t) return NULL;
    if (!PNTensor_Check(t)) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_IndexError, "index: could not convert the index to a tensor");
        return NULL;
    }
    return (PNTensor *)t;
}

/* Positions of the true elements of a bool mask: one int64 tensor per dim. */
static int nonzero_split(PNTensor *mask, PNTensor **out) {
    PNTensor *m = pn_to_contiguous_nograd(mask);
    if (!m) return -1;
    const uint8_t *v = (const uint8_t *)m->data;
    int64_t count = 0;
    for (int64_t i = 0; i < m->numel; i++) count += v[i] != 0;
    int nd = m->ndim;
    for (int d = 0; d < nd; d++) {
        out[d] = pn_empty(PN_INT64, 1, &count);
        if (!out[d]) {
            for (int j = 0; j < d; j++) Py_CLEAR(out[j]);
            Py_DECREF(m);
            return -1;
        }
    }
    int64_t w = 0, mi[PN_MAX_DIMS] = {0};
    for (int64_t i = 0; i < m->numel; i++) {
        if (v[i]) {
            for (int d = 0; d < nd; d++) ((int64_t *)out[d]->data)[w] = mi[d];
            w++;
        }
        for (int d = nd - 1; d >= 0; d--) { /* odometer */
            if (++mi[d] < m->shape[d]) break;
            mi[d] = 0;
        }
    }
    Py_DECREF(m);
    return 0;
}

/* Pass 1 for item k of an index: check its type, turn a list into an index
 * tensor (*t, new reference), and count the dims of the tensor it consumes. */
static int classify_item(PyObject *it, Py_ssize_t k, PNTensor **t, int *consumed, int *ellipsis) {
    if (it == Py_None) return 0;
    if (it == Py_Ellipsis) {
        if (*ellipsis >= 0) {
            PyErr_SetString(PyExc_IndexError, "an index can only have a single ellipsis ('...')");
            return -1;
        }
        *ellipsis = (int)k;
        return 0;
    }
    if (PyBool_Check(it)) return 0; /* a new axis of size 1 or 0, consumes nothing */
    if (PySlice_Check(it) || PyLong_Check(it) ||
        (PyIndex_Check(it) && !PNTensor_Check(it) && !PySequence_Check(it))) {
        (*consumed)++;
        return 0;
    }
    if (!PyUnicode_Check(it) && !PyBytes_Check(it) &&
        (PNTensor_Check(it) || PySequence_Check(it) || PyObject_CheckBuffer(it))) {
        if (!(*t = as_index_tensor(it))) return -1;
        if ((*t)->dtype == PN_BOOL) {
            *consumed += (*t)->ndim; /* a 0-d mask consumes nothing, like a bool */
            return 0;
        }
        if ((*t)->dtype == PN_INT64) {
            (*consumed)++;
            return 0;
        }
        PyErr_Format(PyExc_IndexError,
                     "tensors used as indices must be long, int or bool tensors (got %s)",
                     pn_dtype_name((*t)->dtype));
        return -1;
    }
    /* torch: IndexError for numbers that are not integers, TypeError for the rest */
    PyErr_Format(PyFloat_Check(it) ? PyExc_IndexError : PyExc_TypeError,
                 "only integers, slices (`:`), ellipsis (`...`), None and long or bool "
                 "tensors are valid indices (got %s)",
                 Py_TYPE(it)->tp_name);
    return -1;
}

/* Pass 2 turns items into view steps (ops) and advanced indices (adv). */
typedef struct {
    PNTensor *self;
    pn_slice_op *ops;
    int nops;
    adv_index *adv;
    int src, out; /* the next dim of self to index, the next dim of the result */
} index_builder;

static void add_op(index_builder *b, int kind, int64_t start, int64_t len, int64_t step) {
    b->ops[b->nops++] = (pn_slice_op){kind, b->out, start, len, step};
}

static int add_advanced(index_builder *b, PNTensor *t) { /* steals t */
    if (b->adv->n >= PN_MAX_DIMS) {
        Py_DECREF(t);
        PyErr_SetString(PyExc_IndexError, "index: too many advanced indices");
        return -1;
    }
    b->adv->idx[b->adv->n] = t;
    b->adv->dims[b->adv->n++] = b->out++;
    return 0;
}

// x[start:stop:step] along the next dim: a strided view (nothing for a full ':')
static int add_slice(index_builder *b, PyObject *it) {
    Py_ssize_t start, stop, step;
    if (PySlice_Unpack(it, &start, &stop, &step) < 0) return -1;
    if (step <= 0) {
        PyErr_SetString(PyExc_ValueError, "step must be greater than zero");
        return -1;
    }
    int64_t size = b->self->shape[b->src];
    Py_ssize_t len = PySlice_AdjustIndices((Py_ssize_t)size, &start, &stop, step);
    if (!(start == 0 && step == 1 && len == size)) add_op(b, PN_SLICE_SLICE, start, len, step);
    b->src++, b->out++;
    return 0;
}

// x[mask], mask (d0, .., dk) over the next k+1 dims: one index tensor per mask dim
static int add_mask(index_builder *b, PNTensor *m) {
    for (int d = 0; d < m->ndim; d++)
        if (m->shape[d] != b->self->shape[b->src + d]) {
            PyErr_Format(PyExc_IndexError,
                         "The shape of the mask [%lld] at index %d does not match the shape of "
                         "the indexed tensor [%lld] at index %d",
                         (long long)m->shape[d], d, (long long)b->self->shape[b->src + d],
                         b->src + d);
            return -1;
        }
    if (b->adv->n + m->ndim > PN_MAX_DIMS) {
        PyErr_SetString(PyExc_IndexError, "index: too many advanced indices");
        return -1;
    }
    if (nonzero_split(m, b->adv->idx + b->adv->n) < 0) return -1;
    for (int d = 0; d < m->ndim; d++) b->adv->dims[b->adv->n++] = b->out + d;
    b->src += m->ndim, b->out += m->ndim;
    return 0;
}

// x[i] (a Python int or a 0-d integer tensor) selects; x[t] (an integer tensor) gathers.
// Integers always select, as in torch (in NumPy an int next to an advanced index joins it).
static int add_integer(index_builder *b, PyObject *it, PNTensor *t) {
    int64_t v = 0;
    if (t && t->ndim > 0) {
        Py_INCREF(t);
        b->src++;
        return add_advanced(b, t);
    }
    if (t) {
        v = *(int64_t *)t->data;
    } else if ((v = PyLong_AsLongLong(it)) == -1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_IndexError, "index %R is out of bounds", it);
        }
        return -1;
    }
    int64_t size = b->self->shape[b->src];
    if (v < -size || v >= size) {
        PyErr_Format(PyExc_IndexError,
                     "index %lld is out of bounds for dimension %d with size %lld", (long long)v,
                     b->src, (long long)size);
        return -1;
    }
    add_op(b, PN_SLICE_SELECT, v < 0 ? v + size : v, 0, 0);
    b->src++;
    return 0;
}

/* One item of pass 2; `fill` is how many dims an ellipsis stands for. */
static int add_item(index_builder *b, PyObject *it, PNTensor *t, int is_ellipsis, int fill) {
    int bool_value = PyBool_Check(it)                             ? it == Py_True
                     : (t && t->dtype == PN_BOOL && t->ndim == 0) ? *(uint8_t *)t->data != 0
                                                                  : -1;
    if (it == Py_None || bool_value >= 0) { /* x[None], x[True]: new axis of size 1 */
        add_op(b, PN_SLICE_NEWAXIS, 0, 0, 0);
        if (bool_value == 0) add_op(b, PN_SLICE_SLICE, 0, 0, 1); /* x[False]: of size 0 */
        b->out++;
        return 0;
    }
    if (is_ellipsis) {
        b->src += fill, b->out += fill;
        return 0;
    }
    if (PySlice_Check(it)) return add_slice(b, it);
    if (t && t->dtype == PN_BOOL) return add_mask(b, t);
    return add_integer(b, it, t);
}

/* Split an index (an item or a tuple of items) into view steps `ops` applied
 * first, and the advanced (tensor) part `adv` applied to that view. */
static int parse_index(PNTensor *self, PyObject *index, pn_slice_op *ops, int *nops,
                       adv_index *adv) {
    PyObject *tup = PyTuple_Check(index) ? (Py_INCREF(index), index) : PyTuple_Pack(1, index);
    if (!tup) return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(tup);
    PNTensor *tens[64] = {0};
    int consumed = 0, ellipsis = -1, rc = -1;
    index_builder b = {self, ops, 0, adv, 0, 0};
    adv->n = 0;
    if (n > 64) {
        PyErr_SetString(PyExc_IndexError, "index: too many items");
        goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++)
        if (classify_item(PyTuple_GET_ITEM(tup, k), k, &tens[k], &consumed, &ellipsis) < 0)
            goto done;
    if (consumed > self->ndim) {
        PyErr_Format(PyExc_IndexError, "too many indices for tensor of dimension %d", self->ndim);
        goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++)
        if (add_item(&b, PyTuple_GET_ITEM(tup, k), tens[k], k == ellipsis, self->ndim - consumed) <
            0)
            goto done;
    *nops = b.nops;
    rc = 0;
done:
    for (Py_ssize_t k = 0; k < n && k < 64; k++) Py_XDECREF(tens[k]);
    if (rc < 0) adv_clear(adv);
    Py_DECREF(tup);
    return rc;
}

/* Broadcast the index tensors, decide where B goes, and compute off[b]. */
static int64_t *adv_offsets(PNTensor *V, adv_index *a) {
    a->nb = 0;
    for (int k = 0; k < a->n; k++) { /* broadcast shapes */
        PNTensor *t = a->idx[k];
        int n = a->nb > t->ndim ? a->nb : t->ndim;
        int64_t s[PN_MAX_DIMS];
        for (int d = 0; d < n; d++) {
            int i1 = d - (n - a->nb), i2 = d - (n - t->ndim);
            int64_t x = i1 >= 0 ? a->bshape[i1] : 1, y = i2 >= 0 ? t->shape[i2] : 1;
            if (x != y && x != 1 && y != 1) {
                PyErr_Format(PyExc_IndexError,
                             "shape mismatch: indexing tensors could not be "
                             "broadcast together (%lld vs %lld)",
                             (long long)x, (long long)y);
                return NULL;
            }
            s[d] = x == 1 ? y : x;
        }
        memcpy(a->bshape, s, sizeof(int64_t) * n);
        a->nb = n;
    }
    int adjacent = 1;
    for (int k = 1; k < a->n; k++) adjacent &= a->dims[k] == a->dims[k - 1] + 1;
    a->bstart = adjacent ? a->dims[0] : 0;
    int64_t nbel;
    if (pn_check_numel(a->nb, a->bshape, &nbel, "index") < 0) return NULL;
    int64_t *off = PyMem_Calloc((size_t)(nbel ? nbel : 1), sizeof(int64_t));
    if (!off) {
        PyErr_NoMemory();
        return NULL;
    }
    for (int k = 0; k < a->n; k++) {
        PNTensor *t = a->idx[k];
        int dim = a->dims[k];
        int64_t size = V->shape[dim], vstride = V->strides[dim];
        int64_t st[PN_MAX_DIMS], mi[PN_MAX_DIMS] = {0};
        for (int d = 0; d < a->nb; d++) {
            int it = d - (a->nb - t->ndim);
            st[d] = (it < 0 || t->shape[it] == 1) ? 0 : t->strides[it];
        }
        const int64_t *base = (const int64_t *)t->data;
        int64_t pos = 0;
        for (int64_t b = 0; b < nbel; b++) {
            int64_t v = base[pos];
            if (v < -size || v >= size) {
                PyErr_Format(PyExc_IndexError,
                             "index %lld is out of bounds for dimension %d with size %lld",
                             (long long)v, dim, (long long)size);
                PyMem_Free(off);
                return NULL;
            }
            off[b] += (v < 0 ? v + size : v) * vstride;
            for (int d = a->nb - 1; d >= 0; d--) {
                pos += st[d];
                if (++mi[d] < a->bshape[d]) break;
                pos -= st[d] * mi[d];
                mi[d] = 0;
            }
        }
    }
    return off;
}

/* Shape of the gather result O: V's dims with the indexed ones replaced by B. */
static int result_shape(PNTensor *V, const adv_index *a, int64_t *shape) {
    int nd = 0, placed = 0;
    for (int d = 0; d < V->ndim; d++) {
        int indexed = 0;
        for (int k = 0; k < a->n; k++) indexed |= a->dims[k] == d;
        if (nd == a->bstart && !placed) {
            for (int j = 0; j < a->nb; j++) shape[nd++] = a->bshape[j];
            placed = 1;
        }
        if (!indexed) shape[nd++] = V->shape[d];
    }
    if (!placed)
        for (int j = 0; j < a->nb; j++) shape[nd++] = a->bshape[j];
    return nd;
}

enum { GATHER, SCATTER, SCATTER_ADD };

/* Bytes of each block if gathering V's blocks is copying whole rows: B in
 * front of O (so O's blocks follow each other) and V's blocks contiguous, with
 * one dtype; else 0. */
static int64_t row_bytes(PNTensor *V, PNTensor *O, const adv_index *a) {
    if (a->bstart != 0 || V->dtype != O->dtype) return 0;
    int64_t expect = 1;
    for (int d = V->ndim - 1; d >= 0; d--) {
        int indexed = 0;
        for (int k = 0; k < a->n; k++) indexed |= a->dims[k] == d;
        if (indexed || V->shape[d] == 1) continue;
        if (V->strides[d] != expect) return 0;
        expect *= V->shape[d];
    }
    return expect * (int64_t)pn_itemsize(V->dtype);
}

/* Move elements between the view V and the result-shaped O, block by block. */
static void transfer(PNTensor *V, PNTensor *O, const adv_index *a, const int64_t *off, int mode) {
    int64_t vst[PN_MAX_DIMS], ost[PN_MAX_DIMS], rshape[PN_MAX_DIMS];
    int nr = 0;
    int64_t vi = (int64_t)pn_itemsize(V->dtype), oi = (int64_t)pn_itemsize(O->dtype);
    for (int d = 0; d < V->ndim; d++) {
        int indexed = 0;
        for (int k = 0; k < a->n; k++) indexed |= a->dims[k] == d;
        if (!indexed) rshape[nr] = V->shape[d], vst[nr++] = V->strides[d] * vi;
    }
    for (int d = 0, r = 0; d < O->ndim; d++)
        if (d < a->bstart || d >= a->bstart + a->nb) ost[r++] = O->strides[d] * oi;
    int64_t nbel = 1, mi[PN_MAX_DIMS] = {0}, opos = 0;
    for (int d = 0; d < a->nb; d++) nbel *= a->bshape[d];
    pn_loop_fn fn = mode == GATHER    ? pn_cast_loop(O->dtype, V->dtype)
                    : mode == SCATTER ? pn_cast_loop(V->dtype, O->dtype)
                                      : pn_binary_loop(PN_ADD, V->dtype);
    int64_t st[3][PN_MAX_DIMS];
    for (int64_t b = 0; b < nbel; b++) {
        char *vp = V->data + off[b] * vi, *op = O->data + opos;
        pn_iter it;
        if (mode == SCATTER_ADD) {
            char *data[3] = {vp, vp, op};
            memcpy(st[0], vst, sizeof vst), memcpy(st[1], vst, sizeof vst);
            memcpy(st[2], ost, sizeof ost);
            pn_iter_init(&it, 3, data, nr, rshape, (const int64_t (*)[PN_MAX_DIMS])st);
        } else {
            char *data[2] = {mode == GATHER ? op : vp, mode == GATHER ? vp : op};
            memcpy(st[0], mode == GATHER ? ost : vst, sizeof vst);
            memcpy(st[1], mode == GATHER ? vst : ost, sizeof vst);
            pn_iter_init(&it, 2, data, nr, rshape, (const int64_t (*)[PN_MAX_DIMS])st);
        }
        pn_iter_run_range(&it, fn, NULL, 0, it.numel);
        for (int d = a->nb - 1; d >= 0; d--) { /* next b: advance O's B dims */
            int64_t s = O->strides[a->bstart + d] * oi;
            opos += s;
            if (++mi[d] < a->bshape[d]) break;
            opos -= s * mi[d];
            mi[d] = 0;
        }
    }
}

static PNTensor *gather(PNTensor *V, adv_index *a);

/* create_graph: the scatter-add below is linear in g; its own backward is the gather. */
static int index_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    gin[0] = gather(gout[0], PN_STATE(n, adv_index));
    return gin[0] ? 0 : -1;
}

// y = x[idx] (gather): dx = zeros_like(x) with g scatter-added at idx
static int index_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    adv_index *a = PN_STATE(n, adv_index);
    PNTensor *g = gout[0];
    PNTensor *z = pn_zeros(g->dtype, n->meta[0].ndim, n->meta[0].shape);
    int64_t *off = z ? adv_offsets(z, a) : NULL;
    if (!off) {
        Py_XDECREF(z);
        return -1;
    }
    transfer(z, g, a, off, SCATTER_ADD);
    PyMem_Free(off);
    if (pn_grad_mode && pn_requires_grad(g)) {
        PNNode *bb = pn_record(z, "IndexBackwardBackward0", index_backward_backward, 1, &g);
        if (bb) pn_node_copy_state(bb, n);
        if (PyErr_Occurred()) {
            Py_DECREF(z);
            return -1;
        }
    }
    gin[0] = z;
    return 0;
}

// V (*) -> V[adv]: broadcast index shape B in place of the indexed dims
static PNTensor *gather(PNTensor *V, adv_index *a) {
    int64_t *off = adv_offsets(V, a);
    if (!off) return NULL;
    int64_t shape[PN_MAX_DIMS];
    int nd = result_shape(V, a, shape);
    PNTensor *O = nd > PN_MAX_DIMS ? NULL : pn_empty(V->dtype, nd, shape);
    if (!O) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "index: result has too many dims");
        PyMem_Free(off);
        return NULL;
    }
    int64_t rows = 1, bytes = row_bytes(V, O, a);
    for (int d = 0; d < a->nb; d++) rows *= a->bshape[d];
    if (bytes) { /* whole rows (a batch of samples): one copy each, on the pool */
        PN_NOGIL_BEGIN(rows * bytes / (int64_t)pn_itemsize(V->dtype))
        pn_gather_rows(O->data, V->data, off, (int64_t)pn_itemsize(V->dtype), rows, bytes);
        PN_NOGIL_END
    } else {
        transfer(V, O, a, off, GATHER);
    }
    PyMem_Free(off);
    if (pn_is_float(V->dtype)) {
        PNNode *node = pn_record(O, "IndexBackward0", index_backward, 1, &V);
        adv_index *st = node ? pn_node_state(node, sizeof *st, PN_MAX_DIMS) : NULL;
        if (st) {
            *st = *a;
            for (int k = 0; k < a->n; k++) Py_INCREF(st->idx[k]);
        }
        if (PyErr_Occurred()) Py_CLEAR(O);
    }
    return O;
}

// self (*) -> self[index]: view steps, then a gather for the advanced part
PyObject *pn_getitem(PNTensor *self, PyObject *index) {
    pn_slice_op ops[3 * PN_MAX_DIMS + 8];
    int nops;
    adv_index a = {0};
    if (parse_index(self, index, ops, &nops, &a) < 0) return NULL;
    PNTensor *V = nops ? pn_apply_slices(self, ops, nops) : (Py_INCREF(self), self);
    if (!V || !a.n) {
        adv_clear(&a);
        if (V == self) { /* t[...] or t[:] is still a new view object */
            Py_DECREF(V);
            return (PyObject *)pn_apply_slices(self, ops, 0);
        }
        return (PyObject *)V;
    }
    PNTensor *O = gather(V, &a);
    Py_DECREF(V);
    adv_clear(&a);
    return (PyObject *)O;
}

/* ------------------------------------------------------------- setitem ---- */

static PNTensor *value_tensor(PyObject *value, pn_dtype like) {
    if (PNTensor_Check(value)) {
        Py_INCREF(value);
        return (PNTensor *)value;
    }
    pn_operand o;
    int r = pn_operand_from(value, &o);
    if (r < 0) return NULL;
    if (r > 0) {
        PNTensor *t = pn_empty(like, 0, NULL);
        if (!t) return NULL;
        if (o.kind != 2 && (like == PN_INT64 || like == PN_BOOL)) { /* an int: exact */
            if (like == PN_INT64)
                *(int64_t *)t->data = o.i;
            else
                *(uint8_t *)t->data = o.i != 0;
        } else if (pn_fill(t, o.d) < 0) { /* a float: nan/inf into int64 raise there */
            Py_DECREF(t);
            return NULL;
        }
        return t;
    }
    return as_index_tensor(value);
}

/* No autograd: write value into self[index]. */
static int setitem_raw(PNTensor *self, PyObject *index, PNTensor *val) {
    pn_slice_op ops[3 * PN_MAX_DIMS + 8];
    int nops;
    adv_index a = {0};
    if (parse_index(self, index, ops, &nops, &a) < 0) return -1;
    PNTensor *V = pn_apply_slices_raw(self, ops, nops);
    if (!V) {
        adv_clear(&a);
        return -1;
    }
    int rc = -1;
    if (!a.n) {
        rc = pn_copy_into(V, val);
    } else {
        int64_t *off = adv_offsets(V, &a);
        if (off) {
            int64_t shape[PN_MAX_DIMS];
            int nd = result_shape(V, &a, shape);
            int prev = pn_set_grad_mode(0);
            PNTensor *e = pn_expand(val, nd, shape);
            pn_set_grad_mode(prev);
            if (e) {
                transfer(V, e, &a, off, SCATTER);
                Py_DECREF(e);
                rc = 0;
            } else if (PyErr_ExceptionMatches(PyExc_RuntimeError)) {
                char s1[256], s2[256];
                PyErr_Clear();
                pn_format_shape(s1, sizeof s1, val->ndim, val->shape);
                pn_format_shape(s2, sizeof s2, nd, shape);
                PyErr_Format(PyExc_RuntimeError,
                             "shape mismatch: value tensor of shape %s cannot be broadcast to "
                             "indexing result of shape %s",
                             s1, s2);
            }
            PyMem_Free(off);
        }
    }
    Py_DECREF(V);
    adv_clear(&a);
    return rc;
}

typedef struct {
    PyObject *index; /* owned: the Python index object, as given */
} index_put_state;

/* self[index] = value as an out-of-place op: grad_self is g with the written
 * positions zeroed; grad_value is g[index] (summed to value's shape). */
// self[index] = value: dself = g with index zeroed, dvalue = g[index]
static int index_put_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PyObject *index = PN_STATE(n, index_put_state)->index;
    PNTensor *g = gout[0];
    if (n->next[0].fn) {
        PNTensor *c = pn_clone(g);
        PNTensor *z = c ? pn_zeros(g->dtype, 0, NULL) : NULL;
        int rc = z ? pn_setitem(c, index, (PyObject *)z) : -1;
        Py_XDECREF(z);
        if (rc < 0) {
            Py_XDECREF(c);
            return -1;
        }
        gin[0] = c;
    }
    if (n->next[1].fn && !(gin[1] = (PNTensor *)pn_getitem(g, index))) return -1;
    return 0;
}

/* self is expanded (elements sharing memory). As in PyTorch, a basic index
 * (ints, slices) must select a region without shared elements, since the
 * value is copied element by element; an advanced index writes its elements
 * one by one and is allowed. With autograd the write goes through a clone of
 * the whole of self, which could not be copied back faithfully: refused. */
static int setitem_overlap_check(PNTensor *self, PyObject *index, int needs_grad) {
    if (needs_grad) return pn_check_no_overlap(self, "index_put_");
    pn_slice_op ops[3 * PN_MAX_DIMS + 8];
    int nops;
    adv_index a = {0};
    if (parse_index(self, index, ops, &nops, &a) < 0) return -1;
    PNTensor *V = pn_apply_slices_raw(self, ops, nops);
    int rc = V ? 0 : -1;
    if (V && !a.n) rc = pn_check_no_overlap(V, "index_put_");
    Py_XDECREF(V);
    adv_clear(&a);
    return rc;
}

// self[index] = value (value broadcast to self[index]'s shape), in place
int pn_setitem(PNTensor *self, PyObject *index, PyObject *value) {
    if (!value) {
        PyErr_SetString(PyExc_TypeError, "tensor items cannot be deleted");
        return -1;
    }
    PNTensor *val = value_tensor(value, self->dtype);
    if (!val) return -1;
    int needs_grad = pn_grad_mode && (pn_requires_grad(self) || pn_requires_grad(val));
    if (pn_check_inplace_fill(self, "index_put_") < 0) goto fail;
    if (pn_has_internal_overlap(self) && setitem_overlap_check(self, index, needs_grad) < 0)
        goto fail;
    if (!needs_grad) {
        int rc = setitem_raw(self, index, val);
        Py_DECREF(val);
        return rc;
    }
    if (!pn_is_float(self->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "index_put_: cannot write a value that requires grad "
                     "into a %s tensor",
                     pn_dtype_name(self->dtype));
        goto fail;
    }
    int prev = pn_set_grad_mode(0);
    PNTensor *tmp = pn_clone(self);
    int rc = tmp ? setitem_raw(tmp, index, val) : -1;
    pn_set_grad_mode(prev);
    if (rc < 0) {
        Py_XDECREF(tmp);
        goto fail;
    }
    PNTensor *ins[2] = {self, val};
    PNNode *n = pn_record(tmp, "IndexPutBackward0", index_put_backward, 2, ins);
    index_put_state *st = n ? pn_node_state(n, sizeof *st, 1) : NULL;
    if (st) {
        Py_INCREF(index);
        st->index = index;
    }
    if (PyErr_Occurred() || pn_inplace_finish(self, tmp) < 0) {
        Py_DECREF(tmp);
        goto fail;
    }
    Py_DECREF(tmp);
    Py_DECREF(val);
    return 0;
fail:
    Py_DECREF(val);
    return -1;
}
