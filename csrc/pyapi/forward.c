/* pyapi/forward.c - pynet.sum(x, ...), pynet.exp(x), ...: top-level functions that
 * are a Tensor method of the same name, as builtins that call the method's C code.
 *
 * pynet/_functions.py writes each of them in Python, `_t(input).sum(dim, ...)`.
 * For a small tensor the two Python calls around the method cost as much as the
 * op itself: pynet.sum(x, dim=0) on a 32 x 32 tensor took 0.95 us where
 * x.sum(dim=0) takes 0.53 us. So _functions.py hands its simple functions to
 * _forwarder, which returns a builtin that, given a pynet.Tensor (that class
 * exactly) by position first, calls the method's C function with the other
 * arguments as they came. Anything else (a number or a list first, input= by
 * keyword, a Tensor subclass, which may override the method, a call the method
 * could not take) goes to the Python function, which stays the reference.
 *
 * The builtin's self is a module object (pydoc then shows it as a plain
 * function, not as a method of some object) whose dict holds the forwarder's
 * state in a capsule; the builtin's name, docstring and text signature (what
 * help() and inspect.signature show) are the Python function's.
 */
#include "pyapi.h"
#include <string.h>

#define FORWARD_CAPSULE "pynet._C.forwarder"

typedef struct {
    PyMethodDef def;    /* the builtin's own: name, doc with signature */
    PyMethodDef *meth;  /* the Tensor method's */
    PyTypeObject *cls;  /* pynet.Tensor */
    PyObject *fallback; /* the Python function */
    char *name, *doc;   /* owned copies, as def.ml_name and def.ml_doc */
} pn_forward;

static PyObject *state_key; /* "__pynet_forward__", interned */

typedef PyObject *(*fast_kw_fn)(PyObject *, PyObject *const *, Py_ssize_t, PyObject *);
typedef PyObject *(*fast_fn)(PyObject *, PyObject *const *, Py_ssize_t);

/* The method's C function on (t, args, nargs, kwnames), or NULL with no error set
 * when its calling convention cannot take these arguments as they are. */
static PyObject *call_method(const PyMethodDef *m, PyObject *t, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kwnames) {
    switch (m->ml_flags & ~METH_COEXIST) {
    case METH_NOARGS:
        return nargs == 0 && !kwnames ? m->ml_meth(t, NULL) : NULL;
    case METH_O:
        return nargs == 1 && !kwnames ? m->ml_meth(t, args[0]) : NULL;
    case METH_FASTCALL:
        return kwnames ? NULL : ((fast_fn)(void (*)(void))m->ml_meth)(t, args, nargs);
    case METH_FASTCALL | METH_KEYWORDS:
        return ((fast_kw_fn)(void (*)(void))m->ml_meth)(t, args, nargs, kwnames);
    default:
        return NULL;
    }
}

static PyObject *forward_call(PyObject *self, FASTARGS) {
    PyObject *cap = PyDict_GetItemWithError(PyModule_GetDict(self), state_key);
    pn_forward *f = cap ? PyCapsule_GetPointer(cap, FORWARD_CAPSULE) : NULL;
    if (!f) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_SystemError, "forwarder without state");
        return NULL;
    }
    if (nargs >= 1 && Py_TYPE(args[0]) == f->cls) {
        PyObject *r = call_method(f->meth, args[0], args + 1, nargs - 1, kwnames);
        if (r || PyErr_Occurred()) return r;
    }
    return PyObject_Vectorcall(f->fallback, args, (size_t)nargs, kwnames);
}

static void forward_free(PyObject *cap) {
    pn_forward *f = PyCapsule_GetPointer(cap, FORWARD_CAPSULE);
    if (!f) return;
    Py_XDECREF(f->cls);
    Py_XDECREF(f->fallback);
    PyMem_Free(f->name);
    PyMem_Free(f->doc);
    PyMem_Free(f);
}

static char *copy_str(PyObject *s) {
    Py_ssize_t n;
    const char *c = PyUnicode_AsUTF8AndSize(s, &n);
    char *out = c ? PyMem_Malloc((size_t)n + 1) : NULL;
    if (c && !out) PyErr_NoMemory();
    if (out) memcpy(out, c, (size_t)n + 1);
    return out;
}

/* The new forwarder's state, or NULL with an error set. */
static pn_forward *forward_new(PyObject *fallback, PyObject *descr, PyObject *cls, PyObject *name,
                               PyObject *doc) {
    if (!Py_IS_TYPE(descr, &PyMethodDescr_Type) || !PyType_Check(cls) ||
        !PyType_IsSubtype((PyTypeObject *)cls, PyDescr_TYPE(descr)) || !PyUnicode_Check(name) ||
        !PyUnicode_Check(doc) || !PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError,
                        "_forwarder(fallback, method_descriptor, cls, name, doc): bad arguments");
        return NULL;
    }
    pn_forward *f = PyMem_Calloc(1, sizeof *f);
    if (!f) return (pn_forward *)PyErr_NoMemory();
    if (!(f->name = copy_str(name)) || !(f->doc = copy_str(doc))) {
        PyMem_Free(f->name);
        PyMem_Free(f);
        return NULL;
    }
    f->meth = ((PyMethodDescrObject *)descr)->d_method;
    Py_INCREF(cls);
    Py_INCREF(fallback);
    f->cls = (PyTypeObject *)cls;
    f->fallback = fallback;
    f->def = (PyMethodDef){f->name, (PyCFunction)(void (*)(void))forward_call,
                           METH_FASTCALL | METH_KEYWORDS, f->doc};
    return f;
}

static PyObject *py_forwarder(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    (void)m;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "_forwarder() takes 5 arguments");
        return NULL;
    }
    if (!state_key && !(state_key = PyUnicode_InternFromString("__pynet_forward__"))) return NULL;
    pn_forward *f = forward_new(args[0], args[1], args[2], args[3], args[4]);
    if (!f) return NULL;
    PyObject *cap = PyCapsule_New(f, FORWARD_CAPSULE, forward_free);
    if (!cap) { /* nothing owns f yet */
        Py_DECREF(f->cls), Py_DECREF(f->fallback);
        PyMem_Free(f->name), PyMem_Free(f->doc), PyMem_Free(f);
        return NULL;
    }
    PyObject *self = PyModule_New("pynet"), *fn = NULL, *modname = PyUnicode_FromString("pynet");
    if (self && modname && PyDict_SetItem(PyModule_GetDict(self), state_key, cap) == 0)
        fn = PyCFunction_NewEx(&f->def, self, modname);
    Py_XDECREF(self);
    Py_XDECREF(modname);
    Py_DECREF(cap); /* the module's dict keeps it, and the function the module */
    return fn;
}

PyMethodDef pn_module_methods_forward[] = {
    {"_forwarder", (PyCFunction)(void (*)(void))py_forwarder, METH_FASTCALL,
     "_forwarder(fallback, method, cls, name, doc, /)\n--\n\n"
     "A builtin named name (doc: its docstring, starting with its text signature) that\n"
     "calls the method descriptor's C function when its first argument, by position,\n"
     "is exactly of class cls, and fallback(*args, **kwargs) otherwise."},
    {NULL, NULL, 0, NULL}};
