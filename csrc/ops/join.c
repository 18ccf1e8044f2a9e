/* ops/join.c - cat and stack. Each input is copied into its slice of the
 * output; backward hands each input the matching slice of the gradient. */
#include "ops.h"
#include <string.h>

typedef struct {
    int dim; /* the dimension joined along */
} cat_state;

// y = cat(x_0, ..., x_n-1; dim): dx_k = g.narrow(dim, start_k, x_k.shape[dim])
static int cat_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    int dim = PN_STATE(n, cat_state)->dim;
    int64_t start = 0;
    for (int k = 0; k < n->n_next; k++) {
        /* a legacy empty input (shape (0,), joined to tensors of more dims) takes no rows */
        int legacy = n->meta[k].ndim == 1 && n->meta[k].shape[0] == 0 && gout[0]->ndim != 1;
        int64_t len = legacy ? 0 : n->meta[k].shape[dim];
        if (n->next[k].fn) {
            if (legacy) {
                gin[k] = pn_zeros(gout[0]->dtype, 1, n->meta[k].shape); /* legacy empty input */
            } else {
                gin[k] = pn_narrow(gout[0], dim, start, len);
            }
            if (!gin[k]) return -1;
        }
        start += len;
    }
    return 0;
}

/* A legacy empty input (shape (0,)) joined to tensors of more dims is skipped. */
static int cat_skips(const PNTensor *t, const PNTensor *ref) {
    return t->ndim == 1 && t->numel == 0 && ref->ndim != 1;
}

/* The inputs as tensors (borrowed into ts), their promoted dtype, and the
 * tensor whose shape the others must match (the first that is not skipped). */
static PNTensor *cat_inputs(PyObject *seq, Py_ssize_t n, PNTensor **ts, pn_dtype *dt) {
    PNTensor *ref = NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(seq, k);
        if (!PNTensor_Check(o)) {
            PyErr_Format(PyExc_TypeError,
                         "cat(): expected a sequence of Tensors, but element %zd is %s", k,
                         Py_TYPE(o)->tp_name);
            return NULL;
        }
        ts[k] = (PNTensor *)o;
        *dt = k ? pn_promote(*dt, ts[k]->dtype) : ts[k]->dtype;
        if (!ref && !(ts[k]->ndim == 1 && ts[k]->numel == 0)) ref = ts[k];
    }
    if (!ref) ref = ts[0];
    if (ref->ndim == 0) {
        PyErr_SetString(PyExc_RuntimeError, "cat(): zero-dimensional tensor cannot be "
                                            "concatenated");
        return NULL;
    }
    return ref;
}

/* ts[k] (.., n_k, ..) along dim -> shape (.., sum n_k, ..); every other dim must match ref's. */
static int cat_shape(PNTensor **ts, Py_ssize_t n, PNTensor *ref, int dim, int64_t *shape) {
    memcpy(shape, ref->shape, sizeof(int64_t) * ref->ndim);
    shape[dim] = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        PNTensor *t = ts[k];
        if (cat_skips(t, ref)) continue;
        int ok = t->ndim == ref->ndim;
        for (int d = 0; ok && d < ref->ndim; d++) ok = d == dim || t->shape[d] == ref->shape[d];
        if (!ok) {
            char a[256], b[256];
            pn_format_shape(a, sizeof a, ref->ndim, ref->shape);
            pn_format_shape(b, sizeof b, t->ndim, t->shape);
            PyErr_Format(PyExc_RuntimeError,
                         "cat(): Sizes of tensors must match except in dimension %d. Expected "
                         "shape like %s but got %s for tensor number %zd in the list.",
                         dim, a, b, k);
            return -1;
        }
        shape[dim] += t->shape[dim];
    }
    return 0;
}

// x_0 (.., n_0, ..), ..., x_k (.., n_k, ..) -> out (.., n_0 + ... + n_k, ..) along dim
PNTensor *pn_cat(PyObject *seq_in, int64_t dim_in) {
    PyObject *seq = PySequence_Fast(seq_in, "cat(): expected a sequence of Tensors");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PNTensor *out = NULL, *ref = NULL, **ts = PyMem_Calloc((size_t)n + 1, sizeof(PNTensor *));
    pn_dtype dt = PN_BOOL;
    int dim;
    int64_t shape[PN_MAX_DIMS];
    if (!ts)
        PyErr_NoMemory();
    else if (n == 0)
        PyErr_SetString(PyExc_ValueError, "cat(): expected a non-empty list of Tensors");
    if (!ts || n == 0 || !(ref = cat_inputs(seq, n, ts, &dt)) ||
        pn_wrap_dim(dim_in, ref->ndim, &dim, "cat") < 0 || cat_shape(ts, n, ref, dim, shape) < 0 ||
        !(out = pn_empty(dt, ref->ndim, shape)))
        goto done;
    int64_t start = 0; /* each input is copied into its slice of out */
    for (Py_ssize_t k = 0; k < n; k++) {
        int64_t len = cat_skips(ts[k], ref) ? 0 : ts[k]->shape[dim];
        if (len == 0) continue;
        pn_slice_op op = {PN_SLICE_SLICE, dim, start, len, 1};
        PNTensor *v = pn_apply_slices_raw(out, &op, 1);
        int rc = v ? pn_copy_into(v, ts[k]) : -1;
        Py_XDECREF(v);
        if (rc < 0) {
            Py_CLEAR(out);
            goto done;
        }
        start += len;
    }
    if (pn_is_float(dt)) {
        PNNode *node = pn_record(out, "CatBackward0", cat_backward, (int)n, ts);
        cat_state *st = node ? pn_node_state(node, sizeof *st, 0) : NULL;
        if (st) st->dim = dim;
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
done:
    PyMem_Free(ts);
    Py_DECREF(seq);
    return out;
}

// x_0 (*), .., x_k (*) -> out (.., k+1, ..): x_i.unsqueeze(dim) concatenated
PNTensor *pn_stack(PyObject *seq_in, int64_t dim_in) {
    PyObject *seq = PySequence_Fast(seq_in, "stack(): expected a sequence of Tensors");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *parts = NULL;
    PNTensor *out = NULL;
    if (n == 0) {
        PyErr_SetString(PyExc_RuntimeError, "stack expects a non-empty TensorList");
        goto done;
    }
    PyObject *first = PySequence_Fast_GET_ITEM(seq, 0);
    if (!PNTensor_Check(first)) {
        PyErr_Format(PyExc_TypeError, "stack(): expected a sequence of Tensors, got %s",
                     Py_TYPE(first)->tp_name);
        goto done;
    }
    PNTensor *f = (PNTensor *)first;
    int dim;
    if (pn_wrap_dim(dim_in, f->ndim + 1, &dim, "stack") < 0) goto done;
    parts = PyList_New(n);
    if (!parts) goto done;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(seq, k);
        if (!PNTensor_Check(o)) {
            PyErr_Format(PyExc_TypeError,
                         "stack(): expected a sequence of Tensors, but element "
                         "%zd is %s",
                         k, Py_TYPE(o)->tp_name);
            goto done;
        }
        PNTensor *t = (PNTensor *)o;
        int same = t->ndim == f->ndim;
        for (int d = 0; same && d < f->ndim; d++) same = t->shape[d] == f->shape[d];
        if (!same) {
            char a[256], b[256];
            pn_format_shape(a, sizeof a, f->ndim, f->shape);
            pn_format_shape(b, sizeof b, t->ndim, t->shape);
            PyErr_Format(PyExc_RuntimeError,
                         "stack expects each tensor to be equal size, but got "
                         "%s at entry 0 and %s at entry %zd",
                         a, b, k);
            goto done;
        }
        PNTensor *u = pn_unsqueeze(t, dim);
        if (!u) goto done;
        PyList_SET_ITEM(parts, k, (PyObject *)u);
    }
    out = pn_cat(parts, dim);
done:
    Py_XDECREF(parts);
    Py_DECREF(seq);
    return out;
}
