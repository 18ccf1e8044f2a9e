/* pyapi/tensor_type.c - TensorBase's Python side: constructor, attributes
 * (shape, grad, requires_grad, data ...) and the buffer protocol. */
#include "pyapi.h"
#include "tensor_docs.h"
#include <string.h>
#include <math.h>

/* Tensor(*sizes) -> uninitialised float32; Tensor(data) -> float32 copy of data. */
static PyObject *tensor_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    if (kwargs && PyDict_GET_SIZE(kwargs)) {
        PyErr_SetString(PyExc_TypeError, "Tensor(): takes no keyword arguments; use "
                                         "pynet.tensor(data, dtype=..., requires_grad=...)");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    int all_ints = 1;
    for (Py_ssize_t k = 0; k < n; k++)
        if (!PyLong_Check(PyTuple_GET_ITEM(args, k))) all_ints = 0;
    PNTensor *src;
    if (n == 0) {
        int64_t zero = 0;
        src = pn_empty(pn_default_float, 1, &zero);
    } else if (all_ints) {
        int64_t shape[PN_MAX_DIMS];
        int nd = pn_parse_shape(args, shape, "Tensor");
        if (nd < 0) return NULL;
        src = pn_zeros(pn_default_float, nd, shape);
    } else if (n == 1 && PNTensor_Check(PyTuple_GET_ITEM(args, 0))) {
        src = (PNTensor *)PyTuple_GET_ITEM(args, 0); /* Tensor(t): t's memory and dtype */
        Py_INCREF(src);
    } else if (n == 1) {
        PyObject *mod = PyImport_ImportModule("pynet");
        if (!mod) return NULL;
        PyObject *r = PyObject_CallMethod(mod, "tensor", "OO", PyTuple_GET_ITEM(args, 0),
                                          pn_dtype_object(pn_default_float));
        Py_DECREF(mod);
        if (!r) return NULL;
        if (!PNTensor_Check(r)) {
            Py_DECREF(r);
            PyErr_SetString(PyExc_TypeError, "Tensor(): could not build a tensor from data");
            return NULL;
        }
        src = (PNTensor *)r;
    } else {
        PyErr_SetString(PyExc_TypeError, "Tensor(): expected sizes (ints) or one data argument");
        return NULL;
    }
    if (!src) return NULL;
    if (type == Py_TYPE(src)) return (PyObject *)src;
    PNTensor *t = pn_tensor_alloc(type);
    if (!t) {
        Py_DECREF(src);
        return NULL;
    }
    pn_share_layout(t, src);
    Py_DECREF(src);
    return (PyObject *)t;
}

/* _make_subclass(cls, data, requires_grad=False): a `cls` instance sharing data's
 * storage, detached from data's graph. This is how nn.Parameter is built. */
PyObject *pn_tensor_make_subclass(PyObject *unused, PyObject *args, PyObject *kwargs) {
    (void)unused;
    static char *kw[] = {"cls", "data", "requires_grad", NULL};
    PyTypeObject *cls;
    PNTensor *data;
    int requires_grad = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!|p:_make_subclass", kw, &PyType_Type, &cls,
                                     &PNTensor_Type, &data, &requires_grad))
        return NULL;
    if (!PyType_IsSubtype(cls, &PNTensor_Type)) {
        PyErr_SetString(PyExc_TypeError, "_make_subclass: cls must be a Tensor subclass");
        return NULL;
    }
    if (requires_grad && !pn_is_float(data->dtype)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "only Tensors of floating point dtype can require gradients");
        return NULL;
    }
    PNTensor *t = pn_tensor_alloc(cls);
    if (!t) return NULL;
    pn_share_layout(t, data);
    t->requires_grad = (char)requires_grad;
    return (PyObject *)t;
}

/* ----------------------------------------------------------- attributes ---- */

static PyObject *size_class = NULL; /* pynet.Size, set from Python */

PyObject *pn_shape_tuple(int ndim, const int64_t *shape) {
    PyObject *t = PyTuple_New(ndim);
    if (!t) return NULL;
    for (int d = 0; d < ndim; d++) {
        PyObject *v = PyLong_FromLongLong(shape[d]);
        if (!v) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, d, v);
    }
    if (!size_class) return t;
    PyObject *s = PyObject_CallOneArg(size_class, t);
    Py_DECREF(t);
    return s;
}

PyObject *pn_set_size_class(PyObject *m, PyObject *cls) {
    (void)m;
    Py_XINCREF(cls);
    Py_XSETREF(size_class, cls);
    Py_RETURN_NONE;
}

static PyObject *get_shape(PNTensor *self, void *c) {
    (void)c;
    return pn_shape_tuple(self->ndim, self->shape);
}

static PyObject *get_dtype(PNTensor *self, void *c) {
    (void)c;
    PyObject *d = pn_dtype_object(self->dtype);
    Py_INCREF(d);
    return d;
}

static PyObject *get_ndim(PNTensor *self, void *c) {
    (void)c;
    return PyLong_FromLong(self->ndim);
}

static PyObject *get_requires_grad(PNTensor *self, void *c) {
    (void)c;
    return PyBool_FromLong(pn_requires_grad(self));
}

static int set_requires_grad(PNTensor *self, PyObject *v, void *c) {
    (void)c;
    if (!v) {
        PyErr_SetString(PyExc_TypeError, "cannot delete requires_grad");
        return -1;
    }
    if (!PyBool_Check(v)) { /* 'yes' or 0.5 is more likely a mistake than a wish */
        PyErr_Format(PyExc_RuntimeError, "requires_grad must be a bool, got %s",
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    int flag = v == Py_True;
    if (self->grad_fn) {
        if (!flag) {
            PyErr_SetString(PyExc_RuntimeError,
                            "you can only change requires_grad flags of leaf variables. If you "
                            "want to use a computed variable in a subgraph that doesn't require "
                            "differentiation use var_no_grad = var.detach().");
            return -1;
        }
        return 0;
    }
    if (flag && !pn_is_float(self->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "only Tensors of floating point dtype can require gradients (got %s)",
                     pn_dtype_name(self->dtype));
        return -1;
    }
    self->requires_grad = (char)flag;
    return 0;
}

static PyObject *get_grad(PNTensor *self, void *c) {
    (void)c;
    if (!self->grad) Py_RETURN_NONE;
    Py_INCREF(self->grad);
    return self->grad;
}

static int set_grad(PNTensor *self, PyObject *v, void *c) {
    (void)c;
    if (!v || v == Py_None) {
        Py_CLEAR(self->grad);
        return 0;
    }
    if (!PNTensor_Check(v)) {
        PyErr_Format(PyExc_TypeError, "assigned grad expected to be a Tensor or None but got %s",
                     Py_TYPE(v)->tp_name);
        return -1;
    }
    PNTensor *g = (PNTensor *)v;
    if (g->dtype != self->dtype) {
        PyErr_Format(PyExc_RuntimeError,
                     "assigned grad has data of type %s that differs from "
                     "the tensor's type %s",
                     pn_dtype_name(g->dtype), pn_dtype_name(self->dtype));
        return -1;
    }
    int same = g->ndim == self->ndim;
    for (int d = 0; same && d < g->ndim; d++) same = g->shape[d] == self->shape[d];
    if (!same) {
        char a[256], b[256];
        pn_format_shape(a, sizeof a, g->ndim, g->shape);
        pn_format_shape(b, sizeof b, self->ndim, self->shape);
        PyErr_Format(PyExc_RuntimeError, "assigned grad has shape %s but the tensor has shape %s",
                     a, b);
        return -1;
    }
    Py_INCREF(v);
    Py_XSETREF(self->grad, v);
    return 0;
}

static PyObject *get_grad_fn(PNTensor *self, void *c) {
    (void)c;
    if (pn_refresh_view(self) < 0) return NULL;
    if (!self->grad_fn) Py_RETURN_NONE;
    Py_INCREF(self->grad_fn);
    return (PyObject *)self->grad_fn;
}

static PyObject *get_is_leaf(PNTensor *self, void *c) {
    (void)c;
    if (pn_refresh_view(self) < 0) return NULL; /* a stale view gets its history here */
    return PyBool_FromLong(self->grad_fn == NULL);
}

static PyObject *get_data(PNTensor *self, void *c) {
    (void)c;
    PNTensor *t = pn_alias(self, self->ndim, self->shape, self->strides, 0);
    if (t) pn_forget_base(t);
    return (PyObject *)t;
}

/* `t.data = other`: t now looks at other's memory (shape and dtype too). */
static int set_data(PNTensor *self, PyObject *v, void *c) {
    (void)c;
    if (!v || !PNTensor_Check(v)) {
        PyErr_Format(PyExc_TypeError, "Variable data has to be a tensor, but got %s",
                     v ? Py_TYPE(v)->tp_name : "nothing (it cannot be deleted)");
        return -1;
    }
    /* a tensor requiring grad keeps a float dtype: an int64 leaf would get a float .grad */
    if (pn_requires_grad(self) && !pn_is_float(((PNTensor *)v)->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "data set to a tensor that requires gradients must be floating point or "
                     "complex dtype, got %s",
                     pn_dtype_name(((PNTensor *)v)->dtype));
        return -1;
    }
    pn_share_layout(self, (PNTensor *)v);
    return 0;
}

static PyObject *get_T(PNTensor *self, void *c) {
    (void)c;
    int perm[PN_MAX_DIMS];
    for (int d = 0; d < self->ndim; d++) perm[d] = self->ndim - 1 - d;
    return (PyObject *)pn_permute(self, perm);
}

static PyObject *get_mT(PNTensor *self, void *c) {
    (void)c;
    if (self->ndim < 2) {
        PyErr_Format(PyExc_RuntimeError,
                     "tensor.mT is only supported on matrices or batches of "
                     "matrices. Got %d-D tensor.",
                     self->ndim);
        return NULL;
    }
    return (PyObject *)pn_transpose(self, self->ndim - 2, self->ndim - 1);
}

static PyObject *get_base(PNTensor *self, void *c) {
    (void)c;
    if (!self->base) Py_RETURN_NONE;
    Py_INCREF(self->base);
    return (PyObject *)self->base;
}

static PyObject *get_version(PNTensor *self, void *c) {
    (void)c;
    return PyLong_FromLongLong(self->storage->version);
}

static PyObject *get_output_nr(PNTensor *self, void *c) {
    (void)c;
    return PyLong_FromLong(self->output_nr);
}

static PyObject *get_itemsize(PNTensor *self, void *c) {
    (void)c;
    return PyLong_FromSize_t(pn_itemsize(self->dtype));
}

static PyObject *get_retains_grad(PNTensor *self, void *c) {
    (void)c;
    return PyBool_FromLong(self->retains_grad);
}

static int set_retains_grad(PNTensor *self, PyObject *v, void *c) {
    (void)c;
    int flag = v ? PyObject_IsTrue(v) : 0;
    if (flag < 0) return -1;
    self->retains_grad = (char)flag;
    return 0;
}

static PyObject *get_hooks(PNTensor *self, void *c) {
    (void)c;
    if (!self->hooks) {
        self->hooks = PyList_New(0);
        if (!self->hooks) return NULL;
    }
    Py_INCREF(self->hooks);
    return self->hooks;
}

static PyObject *get_false(PNTensor *self, void *c) {
    (void)self, (void)c;
    Py_RETURN_FALSE;
}

static PyGetSetDef tensor_getset[] = {
    {"shape", (getter)get_shape, NULL, DOC_prop_shape, NULL},
    {"dtype", (getter)get_dtype, NULL, DOC_prop_dtype, NULL},
    {"ndim", (getter)get_ndim, NULL, DOC_prop_ndim, NULL},
    {"requires_grad", (getter)get_requires_grad, (setter)set_requires_grad, DOC_prop_requires_grad,
     NULL},
    {"grad", (getter)get_grad, (setter)set_grad, DOC_prop_grad, NULL},
    {"grad_fn", (getter)get_grad_fn, NULL, DOC_prop_grad_fn, NULL},
    {"is_leaf", (getter)get_is_leaf, NULL, DOC_prop_is_leaf, NULL},
    {"data", (getter)get_data, (setter)set_data, DOC_prop_data, NULL},
    {"T", (getter)get_T, NULL, DOC_prop_T, NULL},
    {"mT", (getter)get_mT, NULL, DOC_prop_mT, NULL},
    {"_base", (getter)get_base, NULL, DOC_prop__base, NULL},
    {"_version", (getter)get_version, NULL, DOC_prop__version, NULL},
    {"output_nr", (getter)get_output_nr, NULL, DOC_prop_output_nr, NULL},
    {"itemsize", (getter)get_itemsize, NULL, DOC_prop_itemsize, NULL},
    {"retains_grad", (getter)get_retains_grad, (setter)set_retains_grad, DOC_prop_retains_grad,
     NULL},
    {"_backward_hooks_list", (getter)get_hooks, NULL, DOC_prop__backward_hooks_list, NULL},
    {"is_cuda", (getter)get_false, NULL, DOC_prop_is_cuda, NULL},
    {"is_sparse", (getter)get_false, NULL, DOC_prop_is_sparse, NULL},
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

/* --------------------------------------------------------------- buffer ---- */

/* The buffer protocol lets NumPy (and memoryview) read a tensor in place. */
static int tensor_getbuffer(PNTensor *self, Py_buffer *view, int flags) {
    if ((flags & PyBUF_WRITABLE) && self->storage->readonly) {
        PyErr_SetString(PyExc_BufferError, "the tensor shares memory with a read-only NumPy "
                                           "array: no writable buffer");
        return -1;
    }
    static char *formats[PN_NDTYPES] = {"?", "q", "f", "d"};
    Py_ssize_t item = (Py_ssize_t)pn_itemsize(self->dtype);
    view->buf = self->data;
    view->obj = (PyObject *)self;
    Py_INCREF(self);
    view->len = (Py_ssize_t)self->numel * item;
    view->readonly = self->storage->readonly;
    view->itemsize = item;
    view->format = (flags & PyBUF_FORMAT) ? formats[self->dtype] : NULL;
    view->ndim = self->ndim;
    /* shape/strides as Py_ssize_t: int64_t is the same width on every 64-bit target */
    _Static_assert(sizeof(Py_ssize_t) == sizeof(int64_t), "64-bit platforms only");
    view->shape = (Py_ssize_t *)self->shape;
    Py_ssize_t *strides = PyMem_Malloc(sizeof(Py_ssize_t) * (self->ndim ? self->ndim : 1));
    if (!strides) {
        Py_DECREF(self);
        view->obj = NULL;
        PyErr_NoMemory();
        return -1;
    }
    for (int d = 0; d < self->ndim; d++) strides[d] = (Py_ssize_t)self->strides[d] * item;
    view->strides = strides;
    view->suboffsets = NULL;
    view->internal = strides;
    if ((flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS && !pn_is_contiguous(self)) {
        PyMem_Free(strides);
        Py_DECREF(self);
        view->obj = NULL;
        PyErr_SetString(PyExc_BufferError, "tensor is not contiguous; call .contiguous() first");
        return -1;
    }
    return 0;
}

static void tensor_releasebuffer(PNTensor *self, Py_buffer *view) {
    /* raw bytes may have been written through the buffer: keep bools 0 or 1 */
    if (!view->readonly) pn_bool_normalize(self, 1);
    PyMem_Free(view->internal);
}

static PyBufferProcs tensor_as_buffer = {(getbufferproc)tensor_getbuffer,
                                         (releasebufferproc)tensor_releasebuffer};

/* number, mapping and comparison slots are in tensor_slots.c */

int pn_tensor_type_init(PyObject *module) {
    PNTensor_Type.tp_new = tensor_new;
    PNTensor_Type.tp_getset = tensor_getset;
    PNTensor_Type.tp_methods = pn_tensor_methods;
    PNTensor_Type.tp_as_number = &pn_tensor_as_number;
    PNTensor_Type.tp_as_mapping = &pn_tensor_as_mapping;
    PNTensor_Type.tp_as_buffer = &tensor_as_buffer;
    PNTensor_Type.tp_richcompare = pn_tensor_richcompare;
    PNTensor_Type.tp_hash = PyBaseObject_Type.tp_hash; /* hash by identity, like torch */
    if (PyType_Ready(&PNTensor_Type) < 0 || pn_tensor_seq_methods_init(&PNTensor_Type) < 0)
        return -1;
    Py_INCREF(&PNTensor_Type);
    return PyModule_AddObject(module, "TensorBase", (PyObject *)&PNTensor_Type);
}
