/* pyapi/creation.c - zeros/ones/full/empty and the random tensors, backed by the
 * generator of ../core/generator.c (seeded by manual_seed). */
#include "pyapi.h"
#include "tensor_docs.h"
#include "../kernels/random.h"
#include "../core/generator.h"
#include <string.h>

/* (shape, dtype) from the usual f(*size, dtype=None) arguments */
/* device=v of a creation function: "cpu" here; anything else goes to pynet._tensor's
 * _check_device, which passes "cpu:0" and raises what a CPU-only PyTorch raises for
 * the others (AssertionError for CUDA, RuntimeError otherwise). 0 ok, -1 error. */
static int check_device(PyObject *v, const char *op) {
    if (PyUnicode_Check(v) && PyUnicode_CompareWithASCIIString(v, "cpu") == 0) return 0;
    PyObject *mod = PyImport_ImportModule("pynet._tensor");
    if (!mod) return -1;
    PyObject *r = PyObject_CallMethod(mod, "_check_device", "Os", v, op);
    Py_DECREF(mod);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static int parse_size_dtype(PyObject *args, PyObject *kw, int64_t *shape, int *nd, int *dt,
                            int *requires_grad, const char *op) {
    *dt = -1;
    *requires_grad = 0;
    if (kw) {
        PyObject *v;
        if ((v = PyDict_GetItemString(kw, "dtype")) && !pn_dtype_converter(v, dt)) return -1;
        if ((v = PyDict_GetItemString(kw, "requires_grad")) &&
            (*requires_grad = PyObject_IsTrue(v)) < 0)
            return -1;
        if ((v = PyDict_GetItemString(kw, "device")) && v != Py_None && check_device(v, op) < 0)
            return -1;
        if ((v = PyDict_GetItemString(kw, "size"))) {
            *nd = pn_parse_shape_obj(v, shape, op);
            return *nd < 0 ? -1 : 0;
        }
    }
    *nd = pn_parse_shape(args, shape, op);
    if (*nd < 0) return -1;
    int64_t numel;
    return pn_check_numel(*nd, shape, &numel, op);
}

static PyObject *finish(PNTensor *t, int requires_grad) {
    if (t && requires_grad) {
        if (!pn_is_float(t->dtype)) {
            Py_DECREF(t);
            PyErr_SetString(PyExc_RuntimeError,
                            "only Tensors of floating point dtype can require gradients");
            return NULL;
        }
        t->requires_grad = 1;
    }
    return (PyObject *)t;
}

#define CREATE(NAME, EXPR) \
    static PyObject *NAME(PyObject *m, PyObject *args, PyObject *kw) { \
        (void)m; \
        int64_t shape[PN_MAX_DIMS]; \
        int nd, dt, rg; \
        if (parse_size_dtype(args, kw, shape, &nd, &dt, &rg, #NAME) < 0) return NULL; \
        pn_dtype d = dt < 0 ? pn_default_float : (pn_dtype)dt; \
        return finish(EXPR, rg); \
    }
CREATE(zeros, pn_zeros(d, nd, shape))
CREATE(ones, pn_full(d, nd, shape, 1.0))
CREATE(empty, pn_empty(d, nd, shape))

/* full(size, fill_value, dtype=None): dtype follows the value (bool/int/float). */
static PyObject *full(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    PyObject *size, *value;
    if (PyTuple_GET_SIZE(args) != 2) {
        PyErr_SetString(PyExc_TypeError, "full() takes 2 positional arguments: size, fill_value");
        return NULL;
    }
    size = PyTuple_GET_ITEM(args, 0);
    value = PyTuple_GET_ITEM(args, 1);
    PyObject *a1 = PyTuple_Pack(1, size);
    if (!a1) return NULL;
    int64_t shape[PN_MAX_DIMS];
    int nd, dt, rg;
    int rc = parse_size_dtype(a1, kw, shape, &nd, &dt, &rg, "full");
    Py_DECREF(a1);
    if (rc < 0) return NULL;
    pn_operand o;
    if (pn_operand_from(value, &o) <= 0) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "full(): fill_value must be a number, not %s",
                         Py_TYPE(value)->tp_name);
        return NULL;
    }
    pn_dtype d = dt >= 0       ? (pn_dtype)dt
                 : o.kind == 0 ? PN_BOOL
                 : o.kind == 1 ? PN_INT64
                               : pn_default_float;
    PNTensor *t = pn_empty(d, nd, shape);
    if (!t) return NULL;
    if (d == PN_INT64 && o.kind != 2) {
        for (int64_t k = 0; k < t->numel; k++) ((int64_t *)t->data)[k] = o.i;
    } else if (pn_fill(t, o.d) < 0) {
        Py_DECREF(t);
        return NULL;
    }
    return finish(t, rg);
}

/* ---------------------------------------------------------------- random ---- */

/* A seed argument as the generator's uint64: seeds are 64-bit, [-2**63, 2**64) (a
 * negative one by its two's complement); anything wider would be cut silently, so two
 * different seeds could agree: ValueError. */
static int parse_seed(PyObject *arg, const char *op, uint64_t *out) {
    PyObject *v = PyNumber_Index(arg);
    if (!v) return -1;
    int overflow = 0;
    long long neg = PyLong_AsLongLongAndOverflow(v, &overflow);
    uint64_t s = overflow > 0 ? PyLong_AsUnsignedLongLong(v) : (uint64_t)neg;
    Py_DECREF(v);
    if ((overflow > 0 && PyErr_Occurred()) || overflow < 0 || (!overflow && PyErr_Occurred())) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s: the seed must fit in 64 bits ([-2**63, 2**64)), got %R",
                     op, arg);
        return -1;
    }
    *out = s;
    return 0;
}

static PyObject *manual_seed(PyObject *m, PyObject *arg) {
    (void)m;
    uint64_t s;
    if (parse_seed(arg, "manual_seed", &s) < 0) return NULL;
    pn_manual_seed(s);
    Py_RETURN_NONE;
}
/* _rng_state_for_seed(seed) -> the state bytes of a generator seeded with seed
 * (pynet.Generator.manual_seed), leaving the global generator alone. */
static PyObject *rng_state_for_seed(PyObject *m, PyObject *arg) {
    (void)m;
    uint64_t s;
    if (parse_seed(arg, "Generator.manual_seed", &s) < 0) return NULL;
    pn_rng g;
    memset(&g, 0, sizeof g); /* the padding too: equal seeds give equal bytes */
    pn_rng_seed(&g, s);
    return PyBytes_FromStringAndSize((const char *)&g, sizeof g);
}
static PyObject *initial_seed(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return PyLong_FromUnsignedLongLong(pn_initial_seed());
}
static PyObject *get_rng_state(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return PyBytes_FromStringAndSize((const char *)pn_global_rng(), sizeof(pn_rng));
}
static PyObject *set_rng_state(PyObject *m, PyObject *state) {
    (void)m;
    if (!PyBytes_Check(state) || PyBytes_GET_SIZE(state) != (Py_ssize_t)sizeof(pn_rng)) {
        PyErr_SetString(PyExc_ValueError, "set_rng_state: expected the bytes returned by "
                                          "get_rng_state()");
        return NULL;
    }
    memcpy(pn_global_rng(), PyBytes_AS_STRING(state), sizeof(pn_rng));
    Py_RETURN_NONE;
}

/* _fill_uniform_(t, lo, hi) / _fill_normal_(t, mean, std): t is contiguous float */
static PyObject *fill_random(PyObject *args, int normal) {
    PNTensor *t;
    double a, b;
    if (!PyArg_ParseTuple(args, "O!dd", &PNTensor_Type, &t, &a, &b)) return NULL;
    if (!pn_is_float(t->dtype)) /* PyTorch's type: no random-float kernel for integers */
        return PyErr_Format(PyExc_NotImplementedError, "\"%s\" not implemented for '%s'",
                            normal ? "normal_kernel_cpu" : "check_uniform_bounds",
                            pn_dtype_name(t->dtype));
    if (!pn_is_contiguous(t)) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s_: expected a contiguous floating point tensor, got "
                     "%s",
                     normal ? "normal" : "uniform", pn_dtype_name(t->dtype));
        return NULL;
    }
    if (normal && b < 0) {
        pn_error_c(PyExc_RuntimeError, "normal expects std >= 0.0, but found std %g", b);
        return NULL;
    }
    if (!normal && a > b) {
        pn_error_c(PyExc_RuntimeError,
                   "uniform_ expects to return a [from, to) range, but "
                   "found from=%g > to=%g",
                   a, b);
        return NULL;
    }
    if (t->dtype == PN_FLOAT32)
        (normal ? pn_rng_fill_normal_f32
                : pn_rng_fill_uniform_f32)(pn_global_rng(), (float *)t->data, t->numel, a, b);
    else
        (normal ? pn_rng_fill_normal_f64
                : pn_rng_fill_uniform_f64)(pn_global_rng(), (double *)t->data, t->numel, a, b);
    pn_bump_version(t);
    Py_INCREF(t);
    return (PyObject *)t;
}
/* _cut_history(t, op, name): t was just filled with values that do not depend on the old
 * ones (Tensor.uniform_ ... under no_grad): with grad mode on and t requiring grad, its
 * history becomes a node `name` that gives the old values a zero gradient */
static PyObject *cut_history(PyObject *m, PyObject *args) {
    (void)m;
    PNTensor *t;
    const char *op, *name;
    if (!PyArg_ParseTuple(args, "O!ss", &PNTensor_Type, &t, &op, &name)) return NULL;
    if (pn_cut_history(t, op, name) < 0) return NULL;
    Py_INCREF(t);
    return (PyObject *)t;
}
/* _result_type(*operands): the dtype an elementwise op of these tensors and numbers
 * computes in (pn_result_type: PyTorch's rule), for the ops composed in Python */
static PyObject *result_type(PyObject *m, PyObject *args) {
    (void)m;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n == 0 || n > 64) {
        PyErr_SetString(PyExc_TypeError, "_result_type: expected 1 to 64 operands");
        return NULL;
    }
    pn_operand ops[64];
    for (Py_ssize_t k = 0; k < n; k++) {
        int rc = pn_operand_from(PyTuple_GET_ITEM(args, k), &ops[k]);
        if (rc < 0) return NULL;
        if (rc == 0)
            return PyErr_Format(PyExc_TypeError,
                                "_result_type: expected a Tensor or a number, got %s",
                                Py_TYPE(PyTuple_GET_ITEM(args, k))->tp_name);
    }
    PyObject *dt = pn_dtype_object(pn_result_type(ops, (int)n));
    Py_XINCREF(dt);
    return dt;
}
/* _promote_types(a, b): the dtype two tensor dtypes promote to (pn_promote) */
static PyObject *promote_types(PyObject *m, PyObject *args) {
    (void)m;
    int a, b; /* pn_dtype_converter stores an int: -1 for None */
    if (!PyArg_ParseTuple(args, "O&O&:_promote_types", pn_dtype_converter, &a, pn_dtype_converter,
                          &b))
        return NULL;
    if (a < 0 || b < 0) {
        PyErr_SetString(PyExc_TypeError, "_promote_types: expected two dtypes, got None");
        return NULL;
    }
    PyObject *dt = pn_dtype_object(pn_promote((pn_dtype)a, (pn_dtype)b));
    Py_XINCREF(dt);
    return dt;
}
/* _empty_strided(size, stride, dtype): new memory of just the extent the strides reach
 * (offset 0), uninitialised, viewed with them; not a view of anything. */
static PyObject *empty_strided(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *size, *stride;
    int dt;
    if (!PyArg_ParseTuple(args, "OOO&:_empty_strided", &size, &stride, pn_dtype_converter, &dt))
        return NULL;
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS], extent;
    int nd = pn_parse_shape_obj(size, shape, "empty_strided");
    int ns = nd < 0 ? -1 : pn_parse_shape_obj(stride, strides, "empty_strided");
    if (ns < 0) return NULL;
    if (ns != nd) {
        PyErr_Format(PyExc_RuntimeError,
                     "dimensionality of sizes (%d) must match dimensionality of strides (%d)", nd,
                     ns);
        return NULL;
    }
    char sz[256], st[256];
    pn_format_list(sz, sizeof sz, nd, shape);
    pn_format_list(st, sizeof st, nd, strides);
    for (int d = 0; d < nd; d++) { /* (the parser lets -1 through, for view's inferred size) */
        if (shape[d] < 0) {
            PyErr_Format(PyExc_RuntimeError,
                         "Trying to create tensor with negative dimension %lld: %s",
                         (long long)shape[d], sz);
            return NULL;
        }
        if (strides[d] < 0) {
            PyErr_Format(PyExc_RuntimeError,
                         "Storage size calculation overflowed with sizes=%s and strides=%s", sz,
                         st);
            return NULL;
        }
    }
    if ((extent = pn_strided_extent(nd, shape, strides)) < 0) {
        PyErr_Format(PyExc_RuntimeError, "empty_strided: sizes %s and strides %s overflow", sz, st);
        return NULL;
    }
    PNTensor *t = pn_empty(dt < 0 ? pn_default_float : (pn_dtype)dt, 1, &extent);
    if (!t) return NULL;
    t->ndim = nd;
    t->numel = 1;
    for (int d = 0; d < nd; d++) {
        t->shape[d] = shape[d], t->strides[d] = strides[d];
        t->numel *= shape[d];
    }
    return (PyObject *)t;
}
/* _set_default_dtype(dtype): float32 or float64 (pynet's floating dtypes); the
 * Python wrapper checks the argument and raises PyTorch's errors. */
static PyObject *set_default_dtype(PyObject *m, PyObject *arg) {
    (void)m;
    pn_dtype dt;
    if (pn_parse_dtype(arg, &dt, "set_default_dtype") < 0) return NULL;
    if (!pn_is_float(dt)) {
        PyErr_SetString(PyExc_TypeError,
                        "only floating-point types are supported as the default type");
        return NULL;
    }
    pn_default_float = dt;
    Py_RETURN_NONE;
}
static PyObject *get_default_dtype(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    PyObject *dt = pn_dtype_object(pn_default_float);
    Py_XINCREF(dt);
    return dt;
}
static PyObject *fill_uniform(PyObject *m, PyObject *args) {
    (void)m;
    return fill_random(args, 0);
}
static PyObject *fill_normal(PyObject *m, PyObject *args) {
    (void)m;
    return fill_random(args, 1);
}
/* _check_writable(t, op): the random in-place fills (written in Python)
 * refuse an expanded or read-only tensor up front, naming themselves. */
static PyObject *check_writable(PyObject *m, PyObject *args) {
    (void)m;
    PNTensor *t;
    const char *op;
    if (!PyArg_ParseTuple(args, "O!s:_check_writable", &PNTensor_Type, &t, &op)) return NULL;
    if (pn_check_no_overlap(t, op) < 0 || pn_check_not_readonly(t, op) < 0) return NULL;
    Py_RETURN_NONE;
}

/* _randint(low, high, shape) -> int64 tensor */
static PyObject *randint(PyObject *m, PyObject *args) {
    (void)m;
    long long lo, hi;
    PyObject *size;
    if (!PyArg_ParseTuple(args, "LLO", &lo, &hi, &size)) return NULL;
    if (lo >= hi) {
        PyErr_Format(PyExc_RuntimeError,
                     "random_ expects 'from' to be less than 'to', but got "
                     "from=%lld >= to=%lld",
                     lo, hi);
        return NULL;
    }
    int64_t shape[PN_MAX_DIMS];
    int nd = pn_parse_shape_obj(size, shape, "randint");
    if (nd < 0) return NULL;
    PNTensor *t = pn_empty(PN_INT64, nd, shape);
    if (t) pn_rng_fill_randint(pn_global_rng(), (int64_t *)t->data, t->numel, lo, hi);
    return (PyObject *)t;
}

static PyObject *randperm(PyObject *m, PyObject *arg) {
    (void)m;
    long long n = PyLong_AsLongLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0) {
        PyErr_Format(PyExc_RuntimeError, "randperm: n must be non-negative, got %lld", n);
        return NULL;
    }
    int64_t shape[1] = {n};
    PNTensor *t = pn_empty(PN_INT64, 1, shape);
    if (t) pn_rng_permutation(pn_global_rng(), (int64_t *)t->data, n);
    return (PyObject *)t;
}

/* _bernoulli(shape, p) -> bool tensor, each element true with probability p */
static PyObject *bernoulli(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *size;
    double p;
    if (!PyArg_ParseTuple(args, "Od", &size, &p)) return NULL;
    if (!(p >= 0 && p <= 1)) {
        pn_error_c(PyExc_RuntimeError, "bernoulli_ expects p to be in [0, 1], but got p=%g", p);
        return NULL;
    }
    int64_t shape[PN_MAX_DIMS];
    int nd = pn_parse_shape_obj(size, shape, "bernoulli");
    if (nd < 0) return NULL;
    PNTensor *t = pn_empty(PN_BOOL, nd, shape);
    if (t) pn_rng_fill_bernoulli(pn_global_rng(), (uint8_t *)t->data, t->numel, p);
    return (PyObject *)t;
}

/* _multinomial_draws(w, u): multinomial's draws without replacement (pynet/_creation.py
 * checks the weights): w float64 (rows, n), u float64 (rows, k), both contiguous ->
 * int64 (rows, k) category indices (pn_multinomial_draws). */
static PyObject *multinomial_draws(PyObject *m, PyObject *args) {
    (void)m;
    PNTensor *w, *u;
    if (!PyArg_ParseTuple(args, "O!O!:_multinomial_draws", &PNTensor_Type, &w, &PNTensor_Type, &u))
        return NULL;
    if (w->dtype != PN_FLOAT64 || u->dtype != PN_FLOAT64 || w->ndim != 2 || u->ndim != 2 ||
        !pn_is_contiguous(w) || !pn_is_contiguous(u) || u->shape[0] != w->shape[0] ||
        u->shape[1] > w->shape[1])
        return PyErr_Format(PyExc_RuntimeError,
                            "multinomial: expected contiguous float64 weights (rows, n) and "
                            "uniforms (rows, k <= n)");
    int64_t shape[2] = {u->shape[0], u->shape[1]};
    PNTensor *out = pn_empty(PN_INT64, 2, shape);
    if (!out) return NULL;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = pn_multinomial_draws((const double *)w->data, w->shape[0], w->shape[1],
                              (const double *)u->data, u->shape[1], (int64_t *)out->data);
    Py_END_ALLOW_THREADS
    if (rc != PN_OK) {
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    return (PyObject *)out;
}

PyMethodDef pn_module_methods_creation[] = {
    {"zeros", (PyCFunction)(void (*)(void))zeros, METH_VARARGS | METH_KEYWORDS, DOC_fn_zeros},
    {"ones", (PyCFunction)(void (*)(void))ones, METH_VARARGS | METH_KEYWORDS, DOC_fn_ones},
    {"empty", (PyCFunction)(void (*)(void))empty, METH_VARARGS | METH_KEYWORDS, DOC_fn_empty},
    {"full", (PyCFunction)(void (*)(void))full, METH_VARARGS | METH_KEYWORDS, DOC_fn_full},
    {"manual_seed", manual_seed, METH_O, DOC_fn_manual_seed},
    {"initial_seed", initial_seed, METH_NOARGS, DOC_fn_initial_seed},
    {"_rng_state_for_seed", rng_state_for_seed, METH_O, NULL},
    {"get_rng_state", get_rng_state, METH_NOARGS, DOC_fn_get_rng_state},
    {"set_rng_state", set_rng_state, METH_O, DOC_fn_set_rng_state},
    {"_fill_uniform_", fill_uniform, METH_VARARGS, NULL},
    {"_cut_history", cut_history, METH_VARARGS, NULL},
    {"_result_type", result_type, METH_VARARGS, NULL},
    {"_promote_types", promote_types, METH_VARARGS, NULL},
    {"_set_default_dtype", set_default_dtype, METH_O, NULL},
    {"_empty_strided", empty_strided, METH_VARARGS, NULL},
    {"_get_default_dtype", get_default_dtype, METH_NOARGS, NULL},
    {"_fill_normal_", fill_normal, METH_VARARGS, NULL},
    {"_check_writable", check_writable, METH_VARARGS, NULL},
    {"_randint", randint, METH_VARARGS, NULL},
    {"randperm_", randperm, METH_O, NULL},
    {"_bernoulli", bernoulli, METH_VARARGS, NULL},
    {"_multinomial_draws", multinomial_draws, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};
