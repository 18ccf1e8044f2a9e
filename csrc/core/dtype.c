/* core/dtype.c - the pynet.float32/float64/int64/bool objects, type promotion,
 * and the small parsing helpers (shapes, dims) every op shares. */
#include "autograd.h"
#include "copy.h"
#include <stdarg.h>
#include <stdio.h>

typedef struct {
    PyObject_HEAD
    pn_dtype dt;
} PNDtype;

static const char *dtype_names[PN_NDTYPES] = {"bool", "int64", "float32", "float64"};

const char *pn_dtype_name(pn_dtype dt) {
    return (unsigned)dt < PN_NDTYPES ? dtype_names[dt] : "unknown";
}

static PyObject *dtype_repr(PNDtype *self) {
    return PyUnicode_FromFormat("pynet.%s", dtype_names[self->dt]);
}
static PyObject *dtype_is_floating_point(PNDtype *self, void *c) {
    (void)c;
    return PyBool_FromLong(pn_is_float(self->dt));
}
static PyObject *dtype_itemsize(PNDtype *self, void *c) {
    (void)c;
    return PyLong_FromSize_t(pn_itemsize(self->dt));
}
static PyObject *dtype_is_signed(PNDtype *self, void *c) {
    (void)c;
    return PyBool_FromLong(self->dt != PN_BOOL);
}
static PyObject *dtype_reduce(PNDtype *self, PyObject *unused) {
    (void)unused;
    return PyUnicode_FromString(dtype_names[self->dt]);
}
static PyGetSetDef dtype_getset[] = {
    {"is_floating_point", (getter)dtype_is_floating_point, NULL, NULL, NULL},
    {"itemsize", (getter)dtype_itemsize, NULL, NULL, NULL},
    {"is_signed", (getter)dtype_is_signed, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};
static PyMethodDef dtype_methods[] = {{"__reduce__", (PyCFunction)dtype_reduce, METH_NOARGS, NULL},
                                      {NULL, NULL, 0, NULL}};

PyTypeObject PNDtype_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynet.dtype",
    .tp_basicsize = sizeof(PNDtype),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_repr = (reprfunc)dtype_repr,
    .tp_getset = dtype_getset,
    .tp_methods = dtype_methods,
};

static PNDtype dtype_objects[PN_NDTYPES];

int pn_dtype_init(PyObject *module) {
    if (PyType_Ready(&PNDtype_Type) < 0) return -1;
    for (int k = 0; k < PN_NDTYPES; k++) {
        PyObject *o = (PyObject *)&dtype_objects[k];
        Py_SET_REFCNT(o, 1);
        Py_SET_TYPE(o, &PNDtype_Type);
        dtype_objects[k].dt = (pn_dtype)k;
        Py_INCREF(o); /* static objects: never freed */
        if (PyModule_AddObject(module, dtype_names[k], o) < 0) return -1;
    }
    Py_INCREF(&PNDtype_Type);
    return PyModule_AddObject(module, "dtype", (PyObject *)&PNDtype_Type);
}

PyObject *pn_dtype_object(pn_dtype dt) {
    return (PyObject *)&dtype_objects[dt];
}

/* Accepts pynet dtypes, the Python types float/int/bool, and NumPy dtypes. */
int pn_parse_dtype(PyObject *o, pn_dtype *dt, const char *op) {
    if (Py_IS_TYPE(o, &PNDtype_Type)) {
        *dt = ((PNDtype *)o)->dt;
        return 0;
    }
    if (o == (PyObject *)&PyFloat_Type) return *dt = PN_FLOAT64, 0;
    if (o == (PyObject *)&PyLong_Type) return *dt = PN_INT64, 0;
    if (o == (PyObject *)&PyBool_Type) return *dt = PN_BOOL, 0;
    if (PyUnicode_Check(o)) {
        const char *s = PyUnicode_AsUTF8(o);
        if (!s) return -1;
        for (int k = 0; k < PN_NDTYPES; k++)
            if (!strcmp(s, dtype_names[k])) return *dt = (pn_dtype)k, 0;
        if (!strcmp(s, "float")) return *dt = PN_FLOAT32, 0;
        if (!strcmp(s, "double")) return *dt = PN_FLOAT64, 0;
        if (!strcmp(s, "long")) return *dt = PN_INT64, 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s: dtype must be one of pynet.float32, float64, int64, bool (got %R)", op, o);
    return -1;
}

int pn_dtype_converter(PyObject *o, void *addr) {
    int *out = addr;
    if (o == Py_None) {
        *out = -1;
        return 1;
    }
    pn_dtype dt;
    if (pn_parse_dtype(o, &dt, "dtype") < 0) return 0;
    *out = (int)dt;
    return 1;
}

pn_dtype pn_default_float = PN_FLOAT32;

pn_dtype pn_promote(pn_dtype a, pn_dtype b) {
    return a > b ? a : b;
}

/* "(2, 3)", "(5,)", "()" as PyTorch prints a shape in its messages (brackets
 * "[2, 3]" with pn_format_list, as it prints a list argument). */
static void format_dims(char *buf, size_t n, int ndim, const int64_t *shape, int list) {
    size_t pos = (size_t)snprintf(buf, n, list ? "[" : "(");
    for (int d = 0; d < ndim && pos < n; d++)
        pos += (size_t)snprintf(buf + pos, n - pos, d ? ", %lld" : "%lld", (long long)shape[d]);
    if (pos < n && ndim == 1 && !list) pos += (size_t)snprintf(buf + pos, n - pos, ",");
    if (pos < n) snprintf(buf + pos, n - pos, list ? "]" : ")");
}

void pn_format_list(char *buf, size_t n, int ndim, const int64_t *shape) {
    format_dims(buf, n, ndim, shape, 1);
}

void pn_format_shape(char *buf, size_t n, int ndim, const int64_t *shape) {
    format_dims(buf, n, ndim, shape, 0);
}

static int parse_size_item(PyObject *o, int64_t *out, const char *op) {
    if (PNTensor_Check(o)) {
        PNTensor *t = (PNTensor *)o;
        if (t->numel == 1 && t->dtype == PN_INT64) {
            *out = *(int64_t *)t->data;
            return 0;
        }
    }
    if (!PyIndex_Check(o) || PyBool_Check(o)) {
        PyErr_Format(PyExc_TypeError,
                     "%s: size must be a tuple of ints, but got an element of "
                     "type %s",
                     op, Py_TYPE(o)->tp_name);
        return -1;
    }
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_RuntimeError, "%s: size %R is too large", op, o);
        }
        return -1;
    }
    *out = v;
    return 0;
}

int pn_parse_shape_obj(PyObject *o, int64_t *shape, const char *op) {
    if (PyIndex_Check(o) && !PNTensor_Check(o)) {
        if (parse_size_item(o, &shape[0], op) < 0) return -1;
        return 1;
    }
    PyObject *seq = PySequence_Fast(o, "size must be a tuple of ints");
    if (!seq) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: size must be a tuple of ints, not %s", op,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n > PN_MAX_DIMS) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_RuntimeError, "%s: at most %d dimensions are supported, got %zd", op,
                     PN_MAX_DIMS, n);
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++)
        if (parse_size_item(PySequence_Fast_GET_ITEM(seq, k), &shape[k], op) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    Py_DECREF(seq);
    return (int)n;
}

/* f(2, 3) or f((2, 3)) or f([2, 3]) */
int pn_parse_shape(PyObject *args, int64_t *shape, const char *op) {
    if (PyTuple_GET_SIZE(args) == 1 && !PyIndex_Check(PyTuple_GET_ITEM(args, 0)))
        return pn_parse_shape_obj(PyTuple_GET_ITEM(args, 0), shape, op);
    return pn_parse_shape_obj(args, shape, op);
}

int pn_wrap_dim(int64_t dim, int ndim, int *out, const char *op) {
    int n = ndim > 0 ? ndim : 1; /* a 0-d tensor accepts dim 0 and -1 */
    if (dim < -n || dim >= n) {
        PyErr_Format(PyExc_IndexError,
                     "%s: Dimension out of range (expected to be in range of [%d, %d], but got "
                     "%lld)",
                     op, -n, n - 1, (long long)dim);
        return -1;
    }
    *out = (int)(dim < 0 ? dim + n : dim);
    return 0;
}

/* PyErr_Format knows no floating-point conversions (%g is printed as is, and
 * so is everything after it): messages that show a number format in C. */
PyObject *pn_error_c(PyObject *exc, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    PyErr_SetString(exc, buf);
    return NULL;
}

PyObject *pn_shape_error(PyObject *exc, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    PyErr_FormatV(exc, fmt, ap);
    va_end(ap);
    return NULL;
}
