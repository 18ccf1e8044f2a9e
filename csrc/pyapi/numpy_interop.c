/* pyapi/numpy_interop.c - from_numpy (shares memory) and Tensor.numpy() (shares
 * memory). This is the only file that uses the NumPy C API besides module.c. */
#define NO_IMPORT_ARRAY
#define PY_ARRAY_UNIQUE_SYMBOL pynet_ARRAY_API
#define NPY_NO_DEPRECATED_API  NPY_1_7_API_VERSION
#include "pyapi.h"
#include "tensor_docs.h"
#include <numpy/arrayobject.h>

static int npy_of(pn_dtype dt) {
    static const int t[PN_NDTYPES] = {NPY_BOOL, NPY_INT64, NPY_FLOAT32, NPY_FLOAT64};
    return t[dt];
}

/* A bool array's bytes other than 0 and 1 (from .view(bool) of other data, or
 * a file) become 1 in place: NumPy reads them as true as well, so the array
 * means the same to NumPy afterwards. A read-only array cannot be mended. */
static int clean_bools(PNTensor *t, PyArrayObject *a) {
    int64_t bad = pn_bool_normalize(t, 0);
    if (!bad) return 0;
    if (!PyArray_ISWRITEABLE(a)) {
        PyErr_Format(PyExc_ValueError,
                     "from_numpy: the bool array holds %lld bytes that are neither 0 nor 1 and "
                     "is read-only, so they cannot be made 1; pass (arr != 0) instead",
                     (long long)bad);
        return -1;
    }
    pn_bool_normalize(t, 1);
    return 0;
}

/* The pynet dtype of a NumPy array, or TypeError for the types pynet lacks. */
static int array_dtype(PyArrayObject *a, pn_dtype *dt) {
    switch (PyArray_TYPE(a)) {
    case NPY_FLOAT32:
        *dt = PN_FLOAT32;
        return 0;
    case NPY_FLOAT64:
        *dt = PN_FLOAT64;
        return 0;
    case NPY_INT64:
        *dt = PN_INT64;
        return 0;
    case NPY_BOOL:
        *dt = PN_BOOL;
        return 0;
    default: {
        /* long long (np.longlong, what NumPy makes of a list of 0-d int64 tensors) is a
         * separate type number from int64 though the same 8 bytes on LP64 systems */
        if (PyArray_ISSIGNED(a) && PyArray_ITEMSIZE(a) == 8 && PyArray_ISNOTSWAPPED(a)) {
            *dt = PN_INT64;
            return 0;
        }
        PyObject *name = PyObject_Str((PyObject *)PyArray_DESCR(a));
        PyErr_Format(PyExc_TypeError,
                     "can't convert np.ndarray of type %S. The only supported types are: "
                     "float64, float32, int64, and bool.",
                     name ? name : Py_None);
        Py_XDECREF(name);
        return -1;
    }
    }
}

static PyObject *from_numpy(PyObject *m, PyObject *arg) {
    (void)m;
    if (!PyArray_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "expected np.ndarray (got %s)", Py_TYPE(arg)->tp_name);
        return NULL;
    }
    PyArrayObject *a = (PyArrayObject *)arg;
    pn_dtype dt;
    if (array_dtype(a, &dt) < 0) return NULL;
    if (!PyArray_ISNOTSWAPPED(a)) {
        PyErr_SetString(PyExc_ValueError, "from_numpy: arrays in non-native byte order are not "
                                          "supported");
        return NULL;
    }
    int nd = PyArray_NDIM(a);
    if (nd > PN_MAX_DIMS) {
        PyErr_Format(PyExc_ValueError, "from_numpy: at most %d dimensions are supported, got %d",
                     PN_MAX_DIMS, nd);
        return NULL;
    }
    int64_t item = (int64_t)pn_itemsize(dt), shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    for (int d = 0; d < nd; d++) {
        shape[d] = PyArray_DIM(a, d);
        int64_t s = PyArray_STRIDE(a, d);
        if (s < 0) {
            PyErr_SetString(PyExc_ValueError,
                            "At least one stride in the given numpy array is negative, and "
                            "tensors with negative strides are not currently supported. (You can "
                            "probably work around this by making a copy of your array with "
                            "array.copy().)");
            return NULL;
        }
        if (s % item) {
            PyErr_SetString(PyExc_ValueError, "given numpy array strides not a multiple of the "
                                              "element byte size. Copy the numpy array to "
                                              "reallocate the memory.");
            return NULL;
        }
        strides[d] = s / item;
    }
    pn_storage *st = pn_storage_wrap(PyArray_BYTES(a), (int64_t)PyArray_NBYTES(a), arg);
    if (!st) return NULL;
    st->readonly = !PyArray_ISWRITEABLE(a); /* in-place ops on it will refuse */
    /* Build a throwaway owner tensor, then alias it (pn_alias fills shape/strides). */
    int64_t one = 1;
    PNTensor *holder = pn_empty(dt, 0, &one);
    if (!holder) {
        pn_storage_decref(st);
        return NULL;
    }
    pn_storage_decref(holder->storage);
    holder->storage = st;
    holder->data = st->data;
    PNTensor *t = pn_alias(holder, nd, shape, strides, 0);
    Py_DECREF(holder);
    if (t) pn_forget_base(t);
    if (t && clean_bools(t, a) < 0) Py_CLEAR(t);
    return (PyObject *)t;
}

static PyObject *to_numpy(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *kwlist[] = {"tensor", "force", NULL};
    PNTensor *t;
    int force = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|p:numpy", kwlist, &PNTensor_Type, &t, &force))
        return NULL;
    if (pn_requires_grad(t) && !force) {
        PyErr_SetString(PyExc_RuntimeError, "Can't call numpy() on Tensor that requires grad. Use "
                                            "tensor.detach().numpy() instead.");
        return NULL;
    }
    npy_intp dims[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) {
        dims[d] = (npy_intp)t->shape[d];
        strides[d] = (npy_intp)(t->strides[d] * (int64_t)pn_itemsize(t->dtype));
    }
    PyArray_Descr *descr = PyArray_DescrFromType(npy_of(t->dtype));
    if (!descr) return NULL;
    PyObject *arr = PyArray_NewFromDescr(&PyArray_Type, descr, t->ndim, dims, strides, t->data,
                                         t->storage->readonly ? 0 : NPY_ARRAY_WRITEABLE, NULL);
    if (!arr) return NULL;
    Py_INCREF(t);
    if (PyArray_SetBaseObject((PyArrayObject *)arr, (PyObject *)t) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

PyMethodDef pn_module_methods_numpy[] = {
    {"from_numpy", from_numpy, METH_O, DOC_fn_from_numpy},
    {"_to_numpy", (PyCFunction)(void (*)(void))to_numpy, METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL}};
