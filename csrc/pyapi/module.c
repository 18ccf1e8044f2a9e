/* pyapi/module.c - the extension module pynet._C: registers the types and gathers
 * the functions defined in the other binding files. */
#define PY_ARRAY_UNIQUE_SYMBOL pynet_ARRAY_API
#define NPY_NO_DEPRECATED_API  NPY_1_7_API_VERSION
#include "pyapi.h"
#include "tensor_docs.h"
#include "../kernels/threadpool.h"
#include "../kernels/cpuinfo.h"
#include "../kernels/gemm.h"
#include <numpy/arrayobject.h>
#include <string.h>

static PyObject *values_indices_class = NULL; /* pynet.return_types (a namedtuple) */

/* (values, indices) as a pynet.return_types. The namedtuple is built as its own
 * __new__ builds it, tuple.__new__(cls, (v, ix)), but from C: calling the class
 * runs that __new__ in Python, a quarter of a small max(dim)'s time. */
PyObject *pn_make_values_indices(PNTensor *v, PNTensor *ix, const char *op) {
    (void)op;
    PyObject *r = PyTuple_Pack(2, v, ix);
    Py_DECREF(v);
    Py_DECREF(ix);
    if (!r || !values_indices_class) return r;
    PyObject *args = PyTuple_Pack(1, r);
    Py_DECREF(r);
    if (!args) return NULL;
    r = PyTuple_Type.tp_new((PyTypeObject *)values_indices_class, args, NULL);
    Py_DECREF(args);
    return r;
}

static PyObject *set_classes(PyObject *m, PyObject *args) {
    PyObject *tensor_cls, *size_cls, *vi_cls;
    if (!PyArg_ParseTuple(args, "O!OO", &PyType_Type, &tensor_cls, &size_cls, &vi_cls)) return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)tensor_cls, &PNTensor_Type)) {
        PyErr_SetString(PyExc_TypeError, "_set_classes: not a TensorBase subclass");
        return NULL;
    }
    if (!PyType_Check(vi_cls) || !PyType_IsSubtype((PyTypeObject *)vi_cls, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "_set_classes: return_types is not a tuple subclass");
        return NULL;
    }
    Py_INCREF(tensor_cls);
    Py_XSETREF(pn_tensor_class, (PyTypeObject *)tensor_cls);
    Py_INCREF(vi_cls);
    Py_XSETREF(values_indices_class, vi_cls);
    return pn_set_size_class(m, size_cls);
}

static PyObject *py_cat(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *kwlist[] = {"tensors", "dim", NULL};
    PyObject *seq;
    long long dim = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|L:cat", kwlist, &seq, &dim)) return NULL;
    return (PyObject *)pn_cat(seq, dim);
}
static PyObject *py_stack(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *kwlist[] = {"tensors", "dim", NULL};
    PyObject *seq;
    long long dim = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|L:stack", kwlist, &seq, &dim)) return NULL;
    return (PyObject *)pn_stack(seq, dim);
}
/* where(cond, a, b); where(cond) is cond.nonzero(as_tuple=True), as in torch */
static PyObject *py_where(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *cond, *a = NULL, *b = NULL;
    if (!PyArg_ParseTuple(args, "O!|OO:where", &PNTensor_Type, &cond, &a, &b)) return NULL;
    if (a == Py_None) a = NULL;
    if (b == Py_None) b = NULL;
    if (!a && !b) {
        PyObject *kw = Py_BuildValue("{s:O}", "as_tuple", Py_True), *nz = NULL;
        PyObject *meth = kw ? PyObject_GetAttrString(cond, "nonzero") : NULL;
        PyObject *empty = meth ? PyTuple_New(0) : NULL;
        if (empty) nz = PyObject_Call(meth, empty, kw);
        Py_XDECREF(kw), Py_XDECREF(meth), Py_XDECREF(empty);
        return nz;
    }
    if (!a || !b)
        return PyErr_Format(PyExc_TypeError,
                            "where(): expected where(condition) or where(condition, input, "
                            "other), got input %s and other %s",
                            a ? "given" : "missing", b ? "given" : "missing");
    return (PyObject *)pn_where((PNTensor *)cond, a, b);
}
static PyObject *py_binary(PyObject *m, PyObject *args) {
    (void)m;
    int op;
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "iOO", &op, &a, &b)) return NULL;
    if ((unsigned)op >= PN_NBINARY) {
        PyErr_SetString(PyExc_ValueError, "_binary: unknown op");
        return NULL;
    }
    return (PyObject *)pn_binary((pn_binary_op)op, a, b);
}
static PyObject *set_num_threads(PyObject *m, PyObject *arg) {
    (void)m;
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 1) {
        PyErr_Format(PyExc_ValueError, "set_num_threads expects a positive integer, got %ld", n);
        return NULL;
    }
    pn_set_num_threads((int)n);
    Py_RETURN_NONE;
}
static PyObject *get_num_threads(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return PyLong_FromLong(pn_get_num_threads());
}

/* _cpu_info(): the GEMM kernel in use, the measured clock, float32 SIMD lanes, the
 * measured vector FMAs per second at that width (0 where not measurable) and per
 * cycle, and the single-core peak = lanes x 2 flops x FMAs per second (where not
 * measurable: x 2 FMA units x clock), for benchmarks. */
static PyObject *cpu_info(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    const char *kernel = pn_gemm_kernel_name();
    int lanes = !strcmp(kernel, "avx512") ? 16 : !strcmp(kernel, "avx2") ? 8 : 4;
    double ghz, rate;
    Py_BEGIN_ALLOW_THREADS
    rate = pn_measure_fma_rate(lanes); /* first: it also wakes the core up to speed */
    ghz = pn_measure_clock_ghz();
    Py_END_ALLOW_THREADS
    double fpc = rate > 0 && ghz > 0 ? rate / (ghz * 1e9) : 2.0;
    double peak = rate > 0 ? lanes * 2.0 * rate * 1e-9 : lanes * 2.0 * 2.0 * ghz;
    return Py_BuildValue("{s:s,s:d,s:i,s:d,s:d,s:d}", "kernel", kernel, "ghz", ghz, "lanes", lanes,
                         "fma_per_second", rate, "fma_per_cycle", fpc, "peak_gflops", peak);
}

/* _storage_cache_info(large): what the freed-block cache's pool of large (64 KiB and
 * up) or small blocks holds: bytes, blocks and capacity (0 when off), for tests. */
static PyObject *storage_cache_info(PyObject *m, PyObject *large) {
    (void)m;
    int l = PyObject_IsTrue(large);
    if (l < 0) return NULL;
    size_t bytes, blocks, cap;
    pn_storage_cache_info(l, &bytes, &blocks, &cap);
    return Py_BuildValue("{s:n,s:n,s:n}", "bytes", (Py_ssize_t)bytes, "blocks", (Py_ssize_t)blocks,
                         "capacity", (Py_ssize_t)cap);
}

static PyObject *gemm_set_kernel(PyObject *m, PyObject *name) {
    (void)m;
    const char *s = PyUnicode_AsUTF8(name);
    if (!s) return NULL;
    if (pn_gemm_set_kernel(s) != 0) {
        PyErr_Format(PyExc_ValueError, "GEMM kernel '%s' is unknown or not supported by this CPU",
                     s);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"_cpu_info", cpu_info, METH_NOARGS, NULL},
    {"_storage_cache_info", storage_cache_info, METH_O,
     "a pool of the freed-block cache: bytes, blocks, capacity (tests)"},
    {"_gemm_set_kernel", gemm_set_kernel, METH_O, "force a GEMM micro-kernel (tests, benchmarks)"},
    {"_set_classes", set_classes, METH_VARARGS, NULL},
    {"cat", (PyCFunction)(void (*)(void))py_cat, METH_VARARGS | METH_KEYWORDS, DOC_fn_cat},
    {"stack", (PyCFunction)(void (*)(void))py_stack, METH_VARARGS | METH_KEYWORDS, DOC_fn_stack},
    {"where", py_where, METH_VARARGS, DOC_fn_where},
    {"_binary", py_binary, METH_VARARGS, NULL},
    {"set_num_threads", set_num_threads, METH_O, DOC_fn_set_num_threads},
    {"get_num_threads", get_num_threads, METH_NOARGS, DOC_fn_get_num_threads},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pynet._C",
    .m_doc = "pynet's compiled core: Tensor, autograd, kernels.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__C(void) {
    import_array();
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    if (pn_tensor_type_init(m) < 0 || pn_node_type_init(m) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_creation) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_autograd) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_numpy) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_loss) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_nn) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_conv) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_optim) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_forward) < 0 ||
        PyModule_AddFunctions(m, pn_module_methods_linalg) < 0 || pn_dtype_init(m) < 0 ||
        pn_optim_init(m) < 0 || pn_nn_module_init(m) < 0)
        goto fail;
    /* op codes for _binary, so Python wrappers need no table of their own */
    static const struct {
        const char *name;
        int op;
    } ops[] = {{"OP_ADD", PN_ADD},
               {"OP_SUB", PN_SUB},
               {"OP_MUL", PN_MUL},
               {"OP_DIV", PN_DIV},
               {"OP_FLOORDIV", PN_FLOORDIV},
               {"OP_REM", PN_REM},
               {"OP_POW", PN_POW},
               {"OP_MAXIMUM", PN_MAXIMUM},
               {"OP_MINIMUM", PN_MINIMUM},
               {"OP_EQ", PN_EQ},
               {"OP_NE", PN_NE},
               {"OP_LT", PN_LT},
               {"OP_LE", PN_LE},
               {"OP_GT", PN_GT},
               {"OP_GE", PN_GE},
               {"OP_AND", PN_AND},
               {"OP_OR", PN_OR},
               {"OP_XOR", PN_XOR}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (PyModule_AddIntConstant(m, ops[k].name, ops[k].op) < 0) goto fail;
    /* the most dimensions a tensor can have, for the Python side's checks */
    if (PyModule_AddIntConstant(m, "_MAX_DIMS", PN_MAX_DIMS) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
