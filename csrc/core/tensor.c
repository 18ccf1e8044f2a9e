/* core/tensor.c - the Tensor object: allocation, views, lifetime.
 *
 * A tensor is (storage, data pointer, shape, strides, dtype) plus autograd
 * fields. Views share the storage and differ in shape/strides/data pointer.
 * Its Python side (attributes, methods, operators) is in ../pyapi/; the math
 * in ../ops/.
 */
#include "autograd.h"
#include "copy.h"
#include <string.h>
#include <math.h>

PyTypeObject *pn_tensor_class = NULL;

PNTensor *pn_tensor_alloc(PyTypeObject *type) {
    if (!type) type = pn_tensor_class ? pn_tensor_class : &PNTensor_Type;
    PNTensor *t = (PNTensor *)type->tp_alloc(type, 0);
    return t; /* tp_alloc zero-fills every field */
}

int64_t pn_strided_extent(int ndim, const int64_t *shape, const int64_t *strides) {
    int64_t last = 0;
    for (int d = 0; d < ndim; d++)
        if (shape[d] == 0) return 0;
    for (int d = 0; d < ndim; d++) { /* last + (shape - 1) stride stays below INT64_MAX / 4 */
        if (strides[d] > (INT64_MAX / 4 - last) / shape[d]) return -1;
        last += (shape[d] - 1) * strides[d];
    }
    return last + 1;
}

int pn_check_numel(int ndim, const int64_t *shape, int64_t *numel, const char *op) {
    int64_t n = 1;
    if (ndim > PN_MAX_DIMS) {
        PyErr_Format(PyExc_RuntimeError, "%s: tensors have at most %d dimensions, got %d", op,
                     PN_MAX_DIMS, ndim);
        return -1;
    }
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) {
            PyErr_Format(PyExc_RuntimeError, "%s: negative dimension %lld in shape", op,
                         (long long)shape[d]);
            return -1;
        }
        if (pn_mul_overflow(n, shape[d], &n) || n > (INT64_MAX >> 4)) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s: shape is too large (number of elements overflows)", op);
            return -1;
        }
    }
    *numel = n;
    return 0;
}

void pn_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
    int64_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        strides[d] = s;
        s *= shape[d] > 1 ? shape[d] : 1;
    }
}

PNTensor *pn_empty(pn_dtype dt, int ndim, const int64_t *shape) {
    int64_t numel;
    if (pn_check_numel(ndim, shape, &numel, "empty") < 0) return NULL;
    pn_storage *s = pn_storage_new(numel * (int64_t)pn_itemsize(dt));
    if (!s) return NULL;
    PNTensor *t = pn_tensor_alloc(NULL);
    if (!t) {
        pn_storage_decref(s);
        return NULL;
    }
    t->storage = s;
    t->data = s->data;
    t->ndim = ndim;
    t->dtype = dt;
    t->numel = numel;
    if (ndim) memcpy(t->shape, shape, sizeof(int64_t) * ndim); /* shape may be NULL when 0-d */
    pn_contiguous_strides(ndim, shape, t->strides);
    return t;
}

PNTensor *pn_empty_like_layout(PNTensor *t, const int64_t *shape_in, pn_dtype dt) {
    int nd = t->ndim, perm[PN_MAX_DIMS];
    const int64_t *want = shape_in ? shape_in : t->shape;
    for (int d = 0; d < nd; d++) { /* insertion sort by decreasing stride, stable */
        int j = d;
        for (; j > 0 && t->strides[perm[j - 1]] < t->strides[d]; j--) perm[j] = perm[j - 1];
        perm[j] = d;
    }
    int ok = nd > 0 && perm[nd - 1] == nd - 1;
    for (int d = 0; d < nd; d++) ok &= t->strides[d] > 0 || t->shape[d] <= 1;
    if (!ok) return pn_empty(dt, nd, want);
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    for (int d = 0; d < nd; d++) shape[d] = want[perm[d]];
    PNTensor *r = pn_empty(dt, nd, shape);
    if (!r) return NULL;
    pn_contiguous_strides(nd, shape, strides);
    for (int d = 0; d < nd; d++) r->shape[perm[d]] = shape[d], r->strides[perm[d]] = strides[d];
    return r;
}

PNTensor *pn_zeros(pn_dtype dt, int ndim, const int64_t *shape) {
    PNTensor *t = pn_empty(dt, ndim, shape);
    if (t) memset(t->data, 0, (size_t)t->numel * pn_itemsize(dt));
    return t;
}

PNTensor *pn_full(pn_dtype dt, int ndim, const int64_t *shape, double value) {
    PNTensor *t = pn_empty(dt, ndim, shape);
    if (t && pn_fill(t, value) < 0) Py_CLEAR(t);
    return t;
}

/* Element (0,...,0) may sit anywhere in the storage; a view must stay inside it. */
PNTensor *pn_alias(PNTensor *src, int ndim, const int64_t *shape, const int64_t *strides,
                   int64_t offset) {
    PNTensor *t = pn_tensor_alloc(NULL);
    if (!t) return NULL;
    src->storage->refcount++;
    t->storage = src->storage;
    t->data = src->data + offset * (int64_t)pn_itemsize(src->dtype);
    t->ndim = ndim;
    t->dtype = src->dtype;
    t->numel = 1;
    for (int d = 0; d < ndim; d++) {
        t->shape[d] = shape[d];
        t->strides[d] = strides[d];
        t->numel *= shape[d];
    }
    t->multi_view = src->multi_view;
    PNTensor *base = src->base ? src->base : src;
    Py_INCREF(base);
    t->base = base;
    t->view_of_history = base->history_id;
    t->view_in_no_grad = !pn_grad_mode || (src->base && src->view_in_no_grad);
    return t;
}

int pn_is_contiguous(const PNTensor *t) {
    if (t->numel == 0) return 1; /* an empty tensor has no layout to speak of */
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        if (t->shape[d] != 1 && t->strides[d] != s) return 0;
        s *= t->shape[d];
    }
    return 1;
}

/* ------------------------------------------------------------- lifetime ---- */

static int tensor_traverse(PNTensor *self, visitproc visit, void *arg) {
    Py_VISIT(self->grad);
    Py_VISIT((PyObject *)self->grad_fn);
    Py_VISIT((PyObject *)self->base);
    Py_VISIT(self->dict);
    Py_VISIT(self->hooks);
    if (self->storage && self->storage->owner) Py_VISIT(self->storage->owner);
    return 0;
}

static int tensor_clear(PNTensor *self) {
    Py_CLEAR(self->grad);
    Py_CLEAR(self->grad_fn);
    pn_forget_base(self);
    Py_CLEAR(self->dict);
    Py_CLEAR(self->hooks);
    return 0;
}

static void tensor_dealloc(PNTensor *self) {
    PyObject_GC_UnTrack(self);
    Py_TRASHCAN_BEGIN(self, tensor_dealloc);
    if (self->weakrefs) PyObject_ClearWeakRefs((PyObject *)self);
    if (self->grad_acc) self->grad_acc->leaf = NULL, self->grad_acc = NULL;
    tensor_clear(self);
    pn_storage_decref(self->storage);
    self->storage = NULL;
    Py_TYPE(self)->tp_free((PyObject *)self);
    Py_TRASHCAN_END;
}

/* Make t look at src's memory with src's shape, strides and dtype. */
void pn_share_layout(PNTensor *t, PNTensor *src) {
    src->storage->refcount++;
    pn_storage_decref(t->storage);
    t->storage = src->storage;
    t->data = src->data;
    t->ndim = src->ndim;
    t->dtype = src->dtype;
    t->numel = src->numel;
    memcpy(t->shape, src->shape, sizeof t->shape);
    memcpy(t->strides, src->strides, sizeof t->strides);
}

/* The Tensor type's lifetime slots. Its Python side (attributes, methods,
 * operators, buffer protocol, constructor) is filled in by pyapi/tensor_type.c
 * before the type is readied. */
PyTypeObject PNTensor_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynet._C.TensorBase",
    .tp_basicsize = sizeof(PNTensor),
    .tp_dealloc = (destructor)tensor_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C core of pynet.Tensor: a strided n-d array with autograd.",
    .tp_traverse = (traverseproc)tensor_traverse,
    .tp_clear = (inquiry)tensor_clear,
    .tp_dictoffset = offsetof(PNTensor, dict),
    .tp_weaklistoffset = offsetof(PNTensor, weakrefs),
    .tp_hash = PyObject_HashNotImplemented, /* by identity: pyapi/tensor_type.c sets it */
};

/* A float64 tensor of shape (n,) filled from a double buffer, cast to dt. */
PNTensor *pn_from_doubles(const double *v, int64_t n, pn_dtype dt, int ndim, const int64_t *shape) {
    PNTensor *t = pn_empty(dt, ndim, shape);
    if (!t) return NULL;
    for (int64_t k = 0; k < n; k++) {
        if (dt == PN_FLOAT32)
            F32(t)[k] = (float)v[k];
        else
            F64(t)[k] = v[k];
    }
    return t;
}
