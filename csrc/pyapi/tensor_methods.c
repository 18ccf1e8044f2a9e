/* pyapi/tensor_methods.c - the methods of TensorBase written in C (the hot and the
 * simple ones). pynet/_tensor.py adds the rest in Python on top of these. */
#include "pyapi.h"
#include "tensor_docs.h"
#include <limits.h>
#include <string.h>

#define SELF ((PNTensor *)self)

/* ---- unary math: t.exp(), t.exp_() ... */
#define UNARY_METHODS(NAME, OP) \
    static PyObject *m_##NAME(PyObject *self, PyObject *u) { \
        (void)u; \
        return (PyObject *)pn_unary(OP, SELF); \
    } \
    static PyObject *m_##NAME##_(PyObject *self, PyObject *u) { \
        (void)u; \
        return pn_unary_inplace(OP, SELF); \
    }
UNARY_METHODS(neg, PN_NEG)
UNARY_METHODS(abs, PN_ABS)
UNARY_METHODS(exp, PN_EXP)
UNARY_METHODS(log, PN_LOG)
UNARY_METHODS(sqrt, PN_SQRT)
UNARY_METHODS(sigmoid, PN_SIGMOID)
UNARY_METHODS(tanh, PN_TANH)
UNARY_METHODS(relu, PN_RELU)
UNARY_METHODS(sign, PN_SIGN)
UNARY_METHODS(reciprocal, PN_RECIPROCAL)
UNARY_METHODS(square, PN_SQUARE)
UNARY_METHODS(sin, PN_SIN)
UNARY_METHODS(cos, PN_COS)
UNARY_METHODS(log1p, PN_LOG1P)
UNARY_METHODS(expm1, PN_EXPM1)
UNARY_METHODS(floor, PN_FLOOR)
UNARY_METHODS(ceil, PN_CEIL)
UNARY_METHODS(round, PN_ROUND)
UNARY_METHODS(trunc, PN_TRUNC)
UNARY_METHODS(bitwise_not, PN_NOT)
UNARY_METHODS(log2, PN_LOG2)
UNARY_METHODS(log10, PN_LOG10)
UNARY_METHODS(erf, PN_ERF)
UNARY_METHODS(erfc, PN_ERFC)
UNARY_METHODS(tan, PN_TAN)
UNARY_METHODS(atan, PN_ATAN)
UNARY_METHODS(rsqrt, PN_RSQRT)
UNARY_METHODS(asin, PN_ASIN)
UNARY_METHODS(acos, PN_ACOS)
UNARY_METHODS(sinh, PN_SINH)
UNARY_METHODS(cosh, PN_COSH)
UNARY_METHODS(asinh, PN_ASINH)
UNARY_METHODS(acosh, PN_ACOSH)
UNARY_METHODS(atanh, PN_ATANH)
UNARY_METHODS(exp2, PN_EXP2)
UNARY_METHODS(lgamma, PN_LGAMMA)
UNARY_METHODS(digamma, PN_DIGAMMA)
UNARY_METHODS(erfinv, PN_ERFINV)

/* polygamma(n), polygamma_(n): n an int */
static PyObject *polygamma_method(PyObject *self, PyObject *arg, int inplace) {
    if (!PyLong_Check(arg))
        return PyErr_Format(PyExc_TypeError, "%s(): argument 'n' must be int, not %s",
                            inplace ? "polygamma_" : "polygamma", Py_TYPE(arg)->tp_name);
    long long n = PyLong_AsLongLong(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    return inplace ? pn_polygamma_inplace(n, SELF) : (PyObject *)pn_polygamma(n, SELF);
}
static PyObject *m_polygamma(PyObject *self, PyObject *arg) {
    return polygamma_method(self, arg, 0);
}
static PyObject *m_polygamma_(PyObject *self, PyObject *arg) {
    return polygamma_method(self, arg, 1);
}

/* ---- binary math: t.mul(o), t.mul_(o) ... */
#define BINARY_METHODS(NAME, OP) \
    static PyObject *m_##NAME(PyObject *self, PyObject *o) { \
        return (PyObject *)pn_binary(OP, self, o); \
    } \
    static PyObject *m_##NAME##_(PyObject *self, PyObject *o) { \
        return pn_binary_inplace(OP, SELF, o); \
    }
BINARY_METHODS(mul, PN_MUL)
BINARY_METHODS(true_divide, PN_DIV)
BINARY_METHODS(floor_divide, PN_FLOORDIV)
BINARY_METHODS(remainder, PN_REM)
BINARY_METHODS(fmod, PN_FMOD)
BINARY_METHODS(pow, PN_POW)
BINARY_METHODS(eq, PN_EQ)
BINARY_METHODS(ne, PN_NE)
BINARY_METHODS(lt, PN_LT)
BINARY_METHODS(le, PN_LE)
BINARY_METHODS(gt, PN_GT)
BINARY_METHODS(ge, PN_GE)
BINARY_METHODS(bitwise_and, PN_AND)
BINARY_METHODS(bitwise_or, PN_OR)
BINARY_METHODS(bitwise_xor, PN_XOR)

/* atan2, hypot, maximum, minimum take a tensor only (torch.atan2(x, 2.0) is a TypeError too) */
#define TENSOR_ONLY_METHODS(NAME, OP) \
    static PyObject *m_##NAME(PyObject *self, PyObject *o) { \
        if (!PNTensor_Check(o)) \
            return PyErr_Format(PyExc_TypeError, \
                                #NAME "(): argument 'other' must be Tensor, not %s", \
                                Py_TYPE(o)->tp_name); \
        return (PyObject *)pn_binary(OP, self, o); \
    } \
    static PyObject *m_##NAME##_(PyObject *self, PyObject *o) { \
        if (!PNTensor_Check(o)) \
            return PyErr_Format(PyExc_TypeError, \
                                #NAME "_(): argument 'other' must be Tensor, not %s", \
                                Py_TYPE(o)->tp_name); \
        return pn_binary_inplace(OP, SELF, o); \
    }
TENSOR_ONLY_METHODS(atan2, PN_ATAN2)
TENSOR_ONLY_METHODS(hypot, PN_HYPOT)
TENSOR_ONLY_METHODS(maximum, PN_MAXIMUM)
TENSOR_ONLY_METHODS(minimum, PN_MINIMUM)

/* add/sub take alpha: a + alpha * b */
static const char *const OTHER_ALPHA[] = {"other", "alpha"};
static PyObject *add_impl(PyObject *self, FASTARGS, pn_argspec *spec, pn_binary_op op,
                          int inplace) {
    PyObject *a[2];
    if (pn_parse_args(spec, args, nargs, kwnames, a) < 0) return NULL;
    PyObject *other = a[0], *alpha = a[1];
    if (alpha && (PyFloat_Check(alpha) || PyLong_Check(alpha))) {
        pn_operand ops[2];
        int ra = pn_operand_from(self, &ops[0]), rb = ra < 0 ? -1 : pn_operand_from(other, &ops[1]);
        if (rb < 0) return NULL;
        pn_dtype rdt = ra > 0 && rb > 0 ? pn_result_type(ops, 2) : PN_FLOAT64; /* else TypeError */
        if (PyFloat_Check(alpha) && !pn_is_float(rdt)) /* would make an integer sum float */
            return PyErr_Format(PyExc_RuntimeError,
                                "%s: For integral input tensors, argument alpha must not be a "
                                "floating point number.",
                                spec->fname);
        if (rdt == PN_BOOL) /* bool + alpha * bool stays bool: alpha counts as true or false */
            alpha = PyObject_IsTrue(alpha) ? Py_True : Py_False;
    }
    PyObject *scaled = other;
    Py_INCREF(scaled);
    if (alpha && !(PyLong_Check(alpha) && PyLong_AsLong(alpha) == 1)) {
        Py_SETREF(scaled, PyNumber_Multiply(other, alpha));
        if (!scaled) return NULL;
    }
    PyObject *r =
        inplace ? pn_binary_inplace(op, SELF, scaled) : (PyObject *)pn_binary(op, self, scaled);
    Py_DECREF(scaled);
    return r;
}
/* t.add(other, *, alpha=1), t.add_(..), t.sub(..), t.sub_(..) */
#define ADD_METHOD(NAME, OP, INPLACE) \
    static PyObject *m_##NAME(PyObject *s, FASTARGS) { \
        static pn_argspec spec = PN_ARGSPEC(#NAME, OTHER_ALPHA, 2, 1, 1); \
        return add_impl(s, args, nargs, kwnames, &spec, OP, INPLACE); \
    }
ADD_METHOD(add, PN_ADD, 0)
ADD_METHOD(add_, PN_ADD, 1)
ADD_METHOD(sub, PN_SUB, 0)
ADD_METHOD(sub_, PN_SUB, 1)

/* div(other, rounding_mode=None|'floor'|'trunc') */
static PyObject *div_impl(PyObject *self, FASTARGS, int inplace) {
    static const char *const names[] = {"other", "rounding_mode"};
    static pn_argspec spec[2] = {PN_ARGSPEC("div", names, 2, 1, 1),
                                 PN_ARGSPEC("div_", names, 2, 1, 1)};
    PyObject *a[2];
    if (pn_parse_args(&spec[inplace], args, nargs, kwnames, a) < 0) return NULL;
    PyObject *other = a[0];
    const char *mode = NULL;
    if (a[1] && a[1] != Py_None) {
        if (!PyUnicode_Check(a[1]))
            return PyErr_Format(PyExc_TypeError,
                                "%s(): argument 'rounding_mode' must be str or None, not %s",
                                inplace ? "div_" : "div", Py_TYPE(a[1])->tp_name);
        if (!(mode = PyUnicode_AsUTF8(a[1]))) return NULL;
    }
    if (!mode)
        return inplace ? pn_binary_inplace(PN_DIV, SELF, other)
                       : (PyObject *)pn_binary(PN_DIV, self, other);
    if (!strcmp(mode, "floor"))
        return inplace ? pn_binary_inplace(PN_FLOORDIV, SELF, other)
                       : (PyObject *)pn_binary(PN_FLOORDIV, self, other);
    if (!strcmp(mode, "trunc"))
        return inplace ? pn_binary_inplace(PN_TRUNCDIV, SELF, other)
                       : (PyObject *)pn_binary(PN_TRUNCDIV, self, other);
    PyErr_Format(PyExc_RuntimeError,
                 "div expected rounding_mode to be one of None, 'trunc', or "
                 "'floor' but found '%s'",
                 mode);
    return NULL;
}
static PyObject *m_div(PyObject *s, FASTARGS) {
    return div_impl(s, args, nargs, kwnames, 0);
}
static PyObject *m_div_(PyObject *s, FASTARGS) {
    return div_impl(s, args, nargs, kwnames, 1);
}

static PyObject *m_clamp(PyObject *self, FASTARGS) {
    static const char *const names[] = {"min", "max"};
    static pn_argspec spec = PN_ARGSPEC("clamp", names, 2, 2, 0);
    PyObject *a[2];
    if (pn_parse_args(&spec, args, nargs, kwnames, a) < 0) return NULL;
    PyObject *lo = a[0] ? a[0] : Py_None, *hi = a[1] ? a[1] : Py_None;
    if (PNTensor_Check(lo) || PNTensor_Check(hi)) { /* both tensors (or None), as torch */
        if ((lo != Py_None && !PNTensor_Check(lo)) || (hi != Py_None && !PNTensor_Check(hi)))
            return PyErr_Format(PyExc_TypeError,
                                "clamp() received an invalid combination of arguments: min and "
                                "max must both be tensors (or None) or both numbers, got %s and %s",
                                Py_TYPE(lo)->tp_name, Py_TYPE(hi)->tp_name);
        return (PyObject *)pn_clamp_t(SELF, lo, hi);
    }
    /* a bool tensor between bool numbers: PyTorch has no such kernel (an int bound promotes
     * to int64 and works) */
    if (SELF->dtype == PN_BOOL && (lo == Py_None || PyBool_Check(lo)) &&
        (hi == Py_None || PyBool_Check(hi)) && (lo != Py_None || hi != Py_None))
        return PyErr_Format(PyExc_NotImplementedError, "\"%s\" not implemented for 'Bool'",
                            hi == Py_None   ? "clamp_min_scalar_cpu"
                            : lo == Py_None ? "clamp_max_scalar_cpu"
                                            : "clamp_scalar_cpu");
    return (PyObject *)pn_clamp(SELF, lo, hi);
}
static PyObject *m_clamp_(PyObject *self, FASTARGS) {
    /* with autograd, clamp a clone of the old value (which backward needs) */
    PNTensor *src =
        pn_grad_mode && pn_requires_grad(SELF) ? pn_clone(SELF) : (Py_INCREF(self), SELF);
    if (!src) return NULL;
    PNTensor *r = (PNTensor *)m_clamp((PyObject *)src, args, nargs, kwnames);
    Py_DECREF(src);
    if (!r) return NULL;
    /* float bounds make an integer tensor's result float, and any bound a bool's int64:
     * PyTorch refuses to write those back rather than truncate them */
    if ((pn_is_float(r->dtype) && !pn_is_float(SELF->dtype)) ||
        (r->dtype != PN_BOOL && SELF->dtype == PN_BOOL)) {
        PyErr_Format(PyExc_RuntimeError,
                     "clamp_: result type %s can't be cast to the desired output type %s",
                     pn_dtype_name(r->dtype), pn_dtype_name(SELF->dtype));
        Py_DECREF(r);
        return NULL;
    }
    if (pn_check_inplace(SELF, "clamp_") < 0) {
        Py_DECREF(r);
        return NULL;
    }
    return pn_inplace_result(SELF, r);
}

/* ---- reductions */
/* (dim=None, keepdim=False, *, dtype=None) */
static const char *const DIM_KEEPDIM_DTYPE[] = {"dim", "keepdim", "dtype"};
static int dims_keepdim(FASTARGS, pn_argspec *spec, PNTensor *t, uint32_t *mask, int *keepdim,
                        int *dtype) {
    PyObject *a[3] = {NULL, NULL, NULL}; /* a spec of 2 parameters has no dtype */
    *dtype = -1;
    if (pn_parse_args(spec, args, nargs, kwnames, a) < 0 || pn_arg_bool(a[1], 0, keepdim) < 0 ||
        (a[2] && !pn_dtype_converter(a[2], dtype)))
        return -1;
    return pn_parse_dims(a[0] ? a[0] : Py_None, t->ndim, mask, spec->fname);
}
#define DIMS_SPEC(name) PN_ARGSPEC(name, DIM_KEEPDIM_DTYPE, 3, 2, 0)
static PyObject *m_sum(PyObject *self, FASTARGS) {
    static pn_argspec spec = DIMS_SPEC("sum");
    uint32_t mask;
    int keepdim, dt;
    if (dims_keepdim(args, nargs, kwnames, &spec, SELF, &mask, &keepdim, &dt) < 0) return NULL;
    return (PyObject *)pn_sum(SELF, mask, keepdim, dt >= 0, dt >= 0 ? (pn_dtype)dt : PN_FLOAT32);
}
static PyObject *m_mean(PyObject *self, FASTARGS) {
    static pn_argspec spec = DIMS_SPEC("mean");
    uint32_t mask;
    int keepdim, dt;
    if (dims_keepdim(args, nargs, kwnames, &spec, SELF, &mask, &keepdim, &dt) < 0) return NULL;
    if (dt >= 0) {
        PNTensor *c = pn_to_dtype(SELF, (pn_dtype)dt);
        PNTensor *r = c ? pn_mean(c, mask, keepdim) : NULL;
        Py_XDECREF(c);
        return (PyObject *)r;
    }
    return (PyObject *)pn_mean(SELF, mask, keepdim);
}
static PyObject *m_amax_impl(PyObject *self, FASTARGS, int is_max) {
    /* amax(dim=None, keepdim=False): no dtype, as in PyTorch */
    static pn_argspec spec[2] = {PN_ARGSPEC("amin", DIM_KEEPDIM_DTYPE, 2, 2, 0),
                                 PN_ARGSPEC("amax", DIM_KEEPDIM_DTYPE, 2, 2, 0)};
    uint32_t mask;
    int keepdim, dt;
    if (dims_keepdim(args, nargs, kwnames, &spec[is_max], SELF, &mask, &keepdim, &dt) < 0)
        return NULL;
    return (PyObject *)pn_amax(SELF, mask, keepdim, is_max);
}
static PyObject *m_amax(PyObject *s, FASTARGS) {
    return m_amax_impl(s, args, nargs, kwnames, 1);
}
static PyObject *m_amin(PyObject *s, FASTARGS) {
    return m_amax_impl(s, args, nargs, kwnames, 0);
}

/* (dim, keepdim=False): *dim is NULL when not given. 0 or -1. */
static const char *const DIM_KEEPDIM[] = {"dim", "keepdim"};
static int dim_keepdim(pn_argspec *spec, FASTARGS, PyObject **dim, int *keepdim) {
    PyObject *a[2];
    if (pn_parse_args(spec, args, nargs, kwnames, a) < 0 || pn_arg_bool(a[1], 0, keepdim) < 0)
        return -1;
    *dim = a[0];
    return 0;
}

/* max() / max(dim, keepdim=False) -> (values, indices) / max(other) */
static PyObject *maxmin_impl(PyObject *self, FASTARGS, int is_max) {
    static pn_argspec spec[2] = {PN_ARGSPEC("min", DIM_KEEPDIM, 2, 2, 0),
                                 PN_ARGSPEC("max", DIM_KEEPDIM, 2, 2, 0)};
    PyObject *dim;
    int keepdim;
    if (dim_keepdim(&spec[is_max], args, nargs, kwnames, &dim, &keepdim) < 0) return NULL;
    if (!dim || dim == Py_None) {
        if (SELF->numel == 0) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s(): Expected reduction dim to be specified for input.numel() == 0. "
                         "Specify the reduction dim with the 'dim' argument.",
                         is_max ? "max" : "min");
            return NULL;
        }
        return (PyObject *)pn_max_all(SELF, is_max);
    }
    if (PNTensor_Check(dim))
        return (PyObject *)pn_binary(is_max ? PN_MAXIMUM : PN_MINIMUM, self, dim);
    long long d = PyLong_AsLongLong(dim);
    int w;
    if ((d == -1 && PyErr_Occurred()) || pn_wrap_dim(d, SELF->ndim, &w, is_max ? "max" : "min") < 0)
        return NULL;
    PNTensor *v, *ix;
    if (pn_max_dim(SELF, w, keepdim, is_max, &v, &ix) < 0) return NULL;
    return pn_make_values_indices(v, ix, is_max ? "max" : "min");
}
static PyObject *m_max(PyObject *s, FASTARGS) {
    return maxmin_impl(s, args, nargs, kwnames, 1);
}
static PyObject *m_min(PyObject *s, FASTARGS) {
    return maxmin_impl(s, args, nargs, kwnames, 0);
}

static PyObject *argmax_impl(PyObject *self, FASTARGS, int is_max) {
    static pn_argspec spec[2] = {PN_ARGSPEC("argmin", DIM_KEEPDIM, 2, 2, 0),
                                 PN_ARGSPEC("argmax", DIM_KEEPDIM, 2, 2, 0)};
    PyObject *dim;
    int keepdim;
    if (dim_keepdim(&spec[is_max], args, nargs, kwnames, &dim, &keepdim) < 0) return NULL;
    return (PyObject *)pn_argmax(SELF, dim ? dim : Py_None, keepdim, is_max);
}
static PyObject *m_argmax(PyObject *s, FASTARGS) {
    return argmax_impl(s, args, nargs, kwnames, 1);
}
static PyObject *m_argmin(PyObject *s, FASTARGS) {
    return argmax_impl(s, args, nargs, kwnames, 0);
}

/* var/std(dim=None, unbiased=True, keepdim=False, *, correction=None) */
static PyObject *var_impl(PyObject *self, FASTARGS, int take_sqrt) {
    static const char *const names[] = {"dim", "unbiased", "keepdim", "correction"};
    static pn_argspec spec[2] = {PN_ARGSPEC("var", names, 4, 3, 0),
                                 PN_ARGSPEC("std", names, 4, 3, 0)};
    PyObject *a[4];
    int keepdim;
    if (pn_parse_args(&spec[take_sqrt], args, nargs, kwnames, a) < 0 ||
        pn_arg_bool(a[2], 0, &keepdim) < 0)
        return NULL;
    PyObject *dim = a[0] ? a[0] : Py_None, *unbiased = a[1] ? a[1] : Py_None,
             *corr = a[3] ? a[3] : Py_None;
    if (PyBool_Check(dim)) { /* var(False): the old unbiased-first signature */
        unbiased = dim;
        dim = Py_None;
    }
    double c = 1.0;
    if (corr != Py_None) {
        c = PyFloat_AsDouble(corr);
        if (c == -1.0 && PyErr_Occurred()) return NULL;
    } else if (unbiased != Py_None) {
        int u = PyObject_IsTrue(unbiased);
        if (u < 0) return NULL;
        c = u ? 1.0 : 0.0;
    }
    uint32_t mask;
    if (pn_parse_dims(dim, SELF->ndim, &mask, take_sqrt ? "std" : "var") < 0) return NULL;
    return (PyObject *)pn_var(SELF, mask, keepdim, c, take_sqrt);
}
static PyObject *m_var(PyObject *s, FASTARGS) {
    return var_impl(s, args, nargs, kwnames, 0);
}
static PyObject *m_std(PyObject *s, FASTARGS) {
    return var_impl(s, args, nargs, kwnames, 1);
}

static PyObject *m_prod(PyObject *self, FASTARGS) {
    static pn_argspec spec = DIMS_SPEC("prod");
    PyObject *a[3];
    int keepdim, dt = -1;
    if (pn_parse_args(&spec, args, nargs, kwnames, a) < 0 || pn_arg_bool(a[1], 0, &keepdim) < 0 ||
        (a[2] && !pn_dtype_converter(a[2], &dt)))
        return NULL;
    PyObject *dim = a[0] ? a[0] : Py_None;
    PNTensor *src = dt >= 0 ? pn_to_dtype(SELF, (pn_dtype)dt) : (Py_INCREF(self), SELF);
    if (!src) return NULL;
    int d = -1;
    if (dim != Py_None) {
        long long v = PyLong_AsLongLong(dim);
        if ((v == -1 && PyErr_Occurred()) || pn_wrap_dim(v, src->ndim, &d, "prod") < 0) {
            Py_DECREF(src);
            return NULL;
        }
    }
    PNTensor *r = pn_prod(src, d, keepdim);
    Py_DECREF(src);
    return (PyObject *)r;
}

static PyObject *m_logsumexp(PyObject *self, FASTARGS) {
    static pn_argspec spec = PN_ARGSPEC("logsumexp", DIM_KEEPDIM, 2, 2, 1);
    PyObject *dim;
    int keepdim;
    uint32_t mask;
    if (dim_keepdim(&spec, args, nargs, kwnames, &dim, &keepdim) < 0 ||
        pn_parse_dims(dim, SELF->ndim, &mask, "logsumexp") < 0)
        return NULL;
    return (PyObject *)pn_logsumexp(SELF, mask, keepdim);
}

static PyObject *softmax_impl(PyObject *self, FASTARGS, int log) {
    static const char *const names[] = {"dim", "dtype"};
    static pn_argspec spec[2] = {PN_ARGSPEC("softmax", names, 2, 2, 0),
                                 PN_ARGSPEC("log_softmax", names, 2, 2, 0)};
    PyObject *a[2];
    int dt = -1;
    if (pn_parse_args(&spec[log], args, nargs, kwnames, a) < 0 ||
        (a[1] && !pn_dtype_converter(a[1], &dt)))
        return NULL;
    PyObject *dim = a[0] ? a[0] : Py_None;
    if (dim == Py_None) {
        PyErr_Format(PyExc_TypeError, "%s() missing required argument 'dim'",
                     log ? "log_softmax" : "softmax");
        return NULL;
    }
    long long v = PyLong_AsLongLong(dim);
    int d;
    if ((v == -1 && PyErr_Occurred()) ||
        pn_wrap_dim(v, SELF->ndim, &d, log ? "log_softmax" : "softmax") < 0)
        return NULL;
    PNTensor *src = dt >= 0 ? pn_to_dtype(SELF, (pn_dtype)dt) : (Py_INCREF(self), SELF);
    if (!src) return NULL;
    if (!pn_is_float(src->dtype)) { /* torch: integers need dtype= */
        PyErr_Format(PyExc_NotImplementedError, "\"%s\" not implemented for '%s'",
                     log ? "log_softmax" : "softmax", pn_dtype_name(src->dtype));
        Py_DECREF(src);
        return NULL;
    }
    PNTensor *r = pn_softmax(src, d, log);
    Py_DECREF(src);
    return (PyObject *)r;
}
static PyObject *m_softmax(PyObject *s, FASTARGS) {
    return softmax_impl(s, args, nargs, kwnames, 0);
}
static PyObject *m_log_softmax(PyObject *s, FASTARGS) {
    return softmax_impl(s, args, nargs, kwnames, 1);
}

/* ---- shape and views */
static PyObject *m_view(PyObject *self, PyObject *args) {
    int64_t shape[PN_MAX_DIMS];
    int nd = pn_parse_shape(args, shape, "view");
    return nd < 0 ? NULL : (PyObject *)pn_view(SELF, nd, shape, "view");
}
static PyObject *m_reshape(PyObject *self, PyObject *args) {
    int64_t shape[PN_MAX_DIMS];
    int nd = pn_parse_shape(args, shape, "reshape");
    return nd < 0 ? NULL : (PyObject *)pn_reshape(SELF, nd, shape);
}
static PyObject *m_expand(PyObject *self, PyObject *args) {
    int64_t shape[PN_MAX_DIMS];
    int nd = pn_parse_shape(args, shape, "expand");
    return nd < 0 ? NULL : (PyObject *)pn_expand(SELF, nd, shape);
}
static PyObject *m_permute(PyObject *self, PyObject *args) {
    int64_t dims[PN_MAX_DIMS];
    int perm[PN_MAX_DIMS];
    int nd = pn_parse_shape(args, dims, "permute");
    if (nd < 0) return NULL;
    if (nd != SELF->ndim) {
        PyErr_Format(PyExc_RuntimeError,
                     "permute(sparse_coo): number of dimensions in the "
                     "tensor input does not match the length of the desired "
                     "ordering of dimensions i.e. input.dim() = %d is not "
                     "equal to len(dims) = %d",
                     SELF->ndim, nd);
        return NULL;
    }
    for (int d = 0; d < nd; d++)
        if (pn_wrap_dim(dims[d], nd, &perm[d], "permute") < 0) return NULL;
    return (PyObject *)pn_permute(SELF, perm);
}
static PyObject *m_transpose(PyObject *self, PyObject *args) {
    long long a, b;
    int d0, d1;
    if (!PyArg_ParseTuple(args, "LL:transpose", &a, &b)) return NULL;
    if (pn_wrap_dim(a, SELF->ndim, &d0, "transpose") < 0 ||
        pn_wrap_dim(b, SELF->ndim, &d1, "transpose") < 0)
        return NULL;
    return (PyObject *)pn_transpose(SELF, d0, d1);
}
static PyObject *m_t(PyObject *self, PyObject *u) {
    (void)u;
    if (SELF->ndim > 2) {
        PyErr_Format(PyExc_RuntimeError,
                     "t() expects a tensor with <= 2 dimensions, but self is "
                     "%dD",
                     SELF->ndim);
        return NULL;
    }
    return (PyObject *)pn_transpose(SELF, 0, SELF->ndim == 2 ? 1 : 0);
}
static PyObject *m_squeeze(PyObject *self, PyObject *args) {
    PyObject *dim = Py_None;
    if (!PyArg_ParseTuple(args, "|O:squeeze", &dim)) return NULL;
    if (dim == Py_None) return (PyObject *)pn_squeeze(SELF, -1);
    uint32_t mask;
    if (pn_parse_dims(dim, SELF->ndim, &mask, "squeeze") < 0) return NULL;
    return (PyObject *)pn_squeeze_dims(SELF, mask); /* a view: the strides kept, as PyTorch's */
}
static PyObject *m_unsqueeze(PyObject *self, PyObject *arg) {
    long long v = PyLong_AsLongLong(arg);
    int d;
    if ((v == -1 && PyErr_Occurred()) || pn_wrap_dim(v, SELF->ndim + 1, &d, "unsqueeze") < 0)
        return NULL;
    return (PyObject *)pn_unsqueeze(SELF, d);
}
/* The in-place view ops: self takes the shape, strides and history of v, a view
 * of self computed by the out-of-place op (so its autograd node is the one that
 * op records: TransposeBackward0 ... on self's previous history). self stays a
 * view of whatever it viewed before; its memory and values do not change. */
static PyObject *become_view(PNTensor *self, PNTensor *v) {
    if (!v) return NULL;
    self->ndim = v->ndim;
    self->numel = v->numel;
    self->data = v->data;
    memcpy(self->shape, v->shape, sizeof(int64_t) * (size_t)v->ndim);
    memcpy(self->strides, v->strides, sizeof(int64_t) * (size_t)v->ndim);
    if (v->grad_fn) pn_set_history(self, v->grad_fn, v->output_nr);
    Py_DECREF(v);
    Py_INCREF(self);
    return (PyObject *)self;
}
static PyObject *m_transpose_(PyObject *self, PyObject *args) {
    long long a, b;
    int d0, d1;
    if (!PyArg_ParseTuple(args, "LL:transpose_", &a, &b)) return NULL;
    if (pn_wrap_dim(a, SELF->ndim, &d0, "transpose_") < 0 ||
        pn_wrap_dim(b, SELF->ndim, &d1, "transpose_") < 0 ||
        pn_check_inplace_view(SELF, "transpose_") < 0)
        return NULL;
    return become_view(SELF, pn_transpose(SELF, d0, d1));
}
static PyObject *m_t_(PyObject *self, PyObject *u) {
    (void)u;
    if (SELF->ndim > 2) {
        PyErr_Format(PyExc_RuntimeError,
                     "t_() expects a tensor with <= 2 dimensions, but self is %dD", SELF->ndim);
        return NULL;
    }
    if (pn_check_inplace_view(SELF, "t_") < 0) return NULL;
    return become_view(SELF, pn_transpose(SELF, 0, SELF->ndim == 2 ? 1 : 0));
}
static PyObject *m_squeeze_(PyObject *self, PyObject *args) {
    PyObject *dim = Py_None;
    uint32_t mask;
    if (!PyArg_ParseTuple(args, "|O:squeeze_", &dim)) return NULL;
    if (dim != Py_None && pn_parse_dims(dim, SELF->ndim, &mask, "squeeze_") < 0) return NULL;
    if (pn_check_inplace_view(SELF, "squeeze_") < 0) return NULL;
    PyObject *sq = PyTuple_Pack(1, dim);
    PyObject *v = sq ? m_squeeze(self, sq) : NULL;
    Py_XDECREF(sq);
    return become_view(SELF, (PNTensor *)v);
}
static PyObject *m_unsqueeze_(PyObject *self, PyObject *arg) {
    long long v = PyLong_AsLongLong(arg);
    int d;
    if ((v == -1 && PyErr_Occurred()) || pn_wrap_dim(v, SELF->ndim + 1, &d, "unsqueeze_") < 0 ||
        pn_check_inplace_view(SELF, "unsqueeze_") < 0)
        return NULL;
    return become_view(SELF, pn_unsqueeze(SELF, d));
}
/* A tuple or list of ints (strides may be negative, for pn_as_strided to refuse by name). */
static int parse_int_list(PyObject *o, int64_t *out, const char *op) {
    PyObject *seq = PySequence_Fast(o, "");
    if (!seq || PySequence_Fast_GET_SIZE(seq) > PN_MAX_DIMS) {
        Py_XDECREF(seq);
        PyErr_Format(PyExc_TypeError, "%s(): stride must be a tuple of at most %d ints", op,
                     PN_MAX_DIMS);
        return -1;
    }
    int n = (int)PySequence_Fast_GET_SIZE(seq);
    for (int k = 0; k < n; k++) {
        PyObject *v = PySequence_Fast_GET_ITEM(seq, k);
        if (!PyIndex_Check(v) || PNTensor_Check(v) || PyBool_Check(v)) {
            PyErr_Format(PyExc_TypeError, "%s(): stride must be a tuple of ints, but found %s", op,
                         Py_TYPE(v)->tp_name);
            Py_DECREF(seq);
            return -1;
        }
        out[k] = PyLong_AsLongLong(v);
        if (out[k] == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return n;
}

/* as_strided(size, stride, storage_offset=None): parse and make the view. */
static PNTensor *as_strided_of(PNTensor *t, PyObject *args, PyObject *kw, const char *fmt) {
    static char *kwlist[] = {"size", "stride", "storage_offset", NULL};
    PyObject *size, *stride, *offset = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kwlist, &size, &stride, &offset)) return NULL;
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS], off = -1;
    int nd = pn_parse_shape_obj(size, shape, "as_strided");
    int ns = nd < 0 ? -1 : parse_int_list(stride, strides, "as_strided");
    if (ns < 0) return NULL;
    if (ns != nd) {
        PyErr_Format(PyExc_RuntimeError, "mismatch in length of strides and shape");
        return NULL;
    }
    if (offset != Py_None && (off = PyLong_AsLongLong(offset)) == -1 && PyErr_Occurred())
        return NULL;
    if (offset != Py_None && off < 0) {
        PyErr_Format(PyExc_RuntimeError, "as_strided: invalid storage offset %lld", (long long)off);
        return NULL;
    }
    return pn_as_strided(t, nd, shape, strides, off);
}
static PyObject *m_as_strided(PyObject *self, PyObject *args, PyObject *kw) {
    return (PyObject *)as_strided_of(SELF, args, kw, "OO|O:as_strided");
}
static PyObject *m_as_strided_(PyObject *self, PyObject *args, PyObject *kw) {
    PNTensor *v = as_strided_of(SELF, args, kw, "OO|O:as_strided_"); /* checks the arguments */
    if (v && pn_check_inplace_view(SELF, "as_strided_") < 0) Py_CLEAR(v);
    return become_view(SELF, v);
}
static PyObject *m_narrow(PyObject *self, PyObject *args) {
    long long dim, start, len;
    int d;
    if (!PyArg_ParseTuple(args, "LLL:narrow", &dim, &start, &len)) return NULL;
    if (pn_wrap_dim(dim, SELF->ndim, &d, "narrow") < 0) return NULL;
    if (SELF->ndim == 0) {
        PyErr_SetString(PyExc_RuntimeError, "narrow() cannot be applied to a 0-dim tensor.");
        return NULL;
    }
    return (PyObject *)pn_narrow(SELF, d, start, len);
}
static PyObject *m_select(PyObject *self, PyObject *args) {
    long long dim, index;
    int d;
    if (!PyArg_ParseTuple(args, "LL:select", &dim, &index)) return NULL;
    if (SELF->ndim == 0) {
        PyErr_SetString(PyExc_IndexError, "select() cannot be applied to a 0-dim tensor.");
        return NULL;
    }
    if (pn_wrap_dim(dim, SELF->ndim, &d, "select") < 0) return NULL;
    return (PyObject *)pn_select(SELF, d, index);
}
/* diagonal(offset=0, dim1=0, dim2=1): a view */
static PyObject *m_diagonal(PyObject *self, FASTARGS) {
    static const char *const names[] = {"offset", "dim1", "dim2"};
    static pn_argspec spec = PN_ARGSPEC("diagonal", names, 3, 3, 0);
    PyObject *a[3];
    long long offset, dim1, dim2;
    int d1, d2;
    if (pn_parse_args(&spec, args, nargs, kwnames, a) < 0 || pn_arg_ll(a[0], 0, &offset) < 0 ||
        pn_arg_ll(a[1], 0, &dim1) < 0 || pn_arg_ll(a[2], 1, &dim2) < 0 ||
        pn_wrap_dim(dim1, SELF->ndim, &d1, "diagonal") < 0 ||
        pn_wrap_dim(dim2, SELF->ndim, &d2, "diagonal") < 0)
        return NULL;
    return (PyObject *)pn_diagonal(SELF, offset, d1, d2);
}
/* unfold(dimension, size, step): a view of the sliding windows */
static PyObject *m_unfold(PyObject *self, FASTARGS) {
    static const char *const names[] = {"dimension", "size", "step"};
    static pn_argspec spec = PN_ARGSPEC("unfold", names, 3, 3, 3);
    PyObject *a[3];
    long long dim, size, step;
    int d = 0;
    if (pn_parse_args(&spec, args, nargs, kwnames, a) < 0 || pn_arg_ll(a[0], 0, &dim) < 0 ||
        pn_arg_ll(a[1], 0, &size) < 0 || pn_arg_ll(a[2], 0, &step) < 0 ||
        pn_wrap_dim(dim, SELF->ndim ? SELF->ndim : 1, &d, "unfold") < 0)
        return NULL;
    return (PyObject *)pn_unfold_windows(SELF, d, size, step);
}
/* _split_views(dim, sizes, kind): the views behind split (kind 0), split with a list of
 * sizes (1) and unbind (2), as one autograd node; Tensor.split/chunk/unbind check the
 * arguments and compute sizes. */
static PyObject *m__split_views(PyObject *self, PyObject *args) {
    static const char *names[3] = {"SplitBackward0", "SplitWithSizesBackward0", "UnbindBackward0"};
    long long dim;
    int kind, d;
    PyObject *seq;
    if (!PyArg_ParseTuple(args, "LOi:_split_views", &dim, &seq, &kind)) return NULL;
    if (kind < 0 || kind > 2 || SELF->ndim == 0) {
        PyErr_SetString(PyExc_ValueError, "_split_views: kind is 0, 1 or 2, on a tensor with dims");
        return NULL;
    }
    if (pn_wrap_dim(dim, SELF->ndim, &d, "split") < 0) return NULL;
    PyObject *fast = PySequence_Fast(seq, "_split_views: sizes must be a sequence of ints");
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    int64_t *sizes = PyMem_Calloc((size_t)n + 1, sizeof(int64_t));
    PNTensor **outs = PyMem_Calloc((size_t)n + 1, sizeof(PNTensor *));
    PyObject *res = NULL;
    int64_t total = 0;
    if (!sizes || !outs || n > INT_MAX) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        sizes[k] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(fast, k));
        if (sizes[k] == -1 && PyErr_Occurred()) goto done;
        if (sizes[k] < 0 || (kind == 2 && sizes[k] != 1) || sizes[k] > SELF->shape[d] - total) {
            PyErr_Format(PyExc_RuntimeError, "split: sizes do not tile dimension %d of size %lld",
                         d, (long long)SELF->shape[d]);
            goto done;
        }
        total += sizes[k];
    }
    if (pn_split(SELF, d, (int)n, sizes, kind == 2, names[kind], outs) < 0) goto done;
    if (!(res = PyTuple_New(n)))
        for (Py_ssize_t k = 0; k < n; k++) Py_DECREF(outs[k]);
    else
        for (Py_ssize_t k = 0; k < n; k++) PyTuple_SET_ITEM(res, k, (PyObject *)outs[k]);
done:
    PyMem_Free(sizes);
    PyMem_Free(outs);
    Py_DECREF(fast);
    return res;
}
static PyObject *m_contiguous(PyObject *self, PyObject *u) {
    (void)u;
    return (PyObject *)pn_contiguous(SELF);
}
static PyObject *m_clone(PyObject *self, PyObject *u) {
    (void)u;
    return (PyObject *)pn_clone(SELF);
}
static PyObject *m_detach(PyObject *self, PyObject *u) {
    (void)u;
    return (PyObject *)pn_detach(SELF);
}
static PyObject *m_detach_(PyObject *self, PyObject *u) {
    (void)u;
    pn_forget_base(SELF); /* no longer follows its base's history (PyTorch refuses views) */
    Py_CLEAR(SELF->grad_fn);
    SELF->requires_grad = 0;
    Py_INCREF(self);
    return self;
}
static PyObject *m_requires_grad_(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"requires_grad", NULL};
    PyObject *flag = Py_True;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O", kwlist, &flag)) return NULL;
    if (PyObject_SetAttrString(self, "requires_grad", flag) < 0) return NULL;
    Py_INCREF(self);
    return self;
}
static PyObject *m_is_contiguous(PyObject *self, PyObject *u) {
    (void)u;
    return PyBool_FromLong(pn_is_contiguous(SELF));
}
static PyObject *dim_indexed(PyObject *self, PyObject *args, const int64_t *vals, const char *op) {
    PyObject *dim = Py_None;
    if (!PyArg_ParseTuple(args, "|O", &dim)) return NULL;
    if (dim == Py_None) {
        PyObject *t = PyTuple_New(SELF->ndim);
        for (int d = 0; t && d < SELF->ndim; d++)
            PyTuple_SET_ITEM(t, d, PyLong_FromLongLong(vals[d]));
        return t;
    }
    long long v = PyLong_AsLongLong(dim);
    int d;
    if ((v == -1 && PyErr_Occurred()) || pn_wrap_dim(v, SELF->ndim, &d, op) < 0) return NULL;
    if (SELF->ndim == 0) {
        PyErr_Format(PyExc_IndexError,
                     "%s(): dimension specified as %lld but tensor has no "
                     "dimensions",
                     op, v);
        return NULL;
    }
    return PyLong_FromLongLong(vals[d]);
}
static PyObject *m_size(PyObject *self, PyObject *args) {
    if (PyTuple_GET_SIZE(args) == 0) return pn_shape_tuple(SELF->ndim, SELF->shape);
    return dim_indexed(self, args, SELF->shape, "size");
}
static PyObject *m_stride(PyObject *self, PyObject *args) {
    return dim_indexed(self, args, SELF->strides, "stride");
}
static PyObject *m_dim(PyObject *self, PyObject *u) {
    (void)u;
    return PyLong_FromLong(SELF->ndim);
}
static PyObject *m_numel(PyObject *self, PyObject *u) {
    (void)u;
    return PyLong_FromLongLong(SELF->numel);
}
static PyObject *m_element_size(PyObject *self, PyObject *u) {
    (void)u;
    return PyLong_FromSize_t(pn_itemsize(SELF->dtype));
}
static PyObject *m_data_ptr(PyObject *self, PyObject *u) {
    (void)u;
    return PyLong_FromVoidPtr(SELF->data);
}
static PyObject *m_storage_offset(PyObject *self, PyObject *u) {
    (void)u;
    return PyLong_FromLongLong((SELF->data - SELF->storage->data) /
                               (int64_t)pn_itemsize(SELF->dtype));
}
static PyObject *m_item(PyObject *self, PyObject *u) {
    (void)u;
    return pn_item(SELF);
}
static PyObject *m_matmul(PyObject *self, PyObject *o) {
    if (!PNTensor_Check(o)) {
        PyErr_Format(PyExc_TypeError, "matmul(): argument 'other' must be Tensor, not %s",
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    return (PyObject *)pn_matmul(SELF, (PNTensor *)o, "matmul");
}
static PyObject *m_mm(PyObject *self, PyObject *o) {
    if (!PNTensor_Check(o) || SELF->ndim != 2 || ((PNTensor *)o)->ndim != 2) {
        PyErr_Format(PyExc_RuntimeError, "mm: expected two 2-D tensors, got %dD and %dD",
                     SELF->ndim, PNTensor_Check(o) ? ((PNTensor *)o)->ndim : -1);
        return NULL;
    }
    return (PyObject *)pn_matmul(SELF, (PNTensor *)o, "mm");
}
static PyObject *m_bmm(PyObject *self, PyObject *o) {
    if (!PNTensor_Check(o) || SELF->ndim != 3 || ((PNTensor *)o)->ndim != 3) {
        PyErr_Format(PyExc_RuntimeError, "bmm: expected two 3-D tensors, got %dD and %dD",
                     SELF->ndim, PNTensor_Check(o) ? ((PNTensor *)o)->ndim : -1);
        return NULL;
    }
    if (SELF->shape[0] != ((PNTensor *)o)->shape[0]) {
        PyErr_Format(PyExc_RuntimeError, "bmm: batch sizes %lld and %lld differ",
                     (long long)SELF->shape[0], (long long)((PNTensor *)o)->shape[0]);
        return NULL;
    }
    return (PyObject *)pn_matmul(SELF, (PNTensor *)o, "bmm");
}
static PyObject *m_fill_(PyObject *self, PyObject *v) {
    double d;
    if (PNTensor_Check(v) && ((PNTensor *)v)->ndim != 0)
        return PyErr_Format(PyExc_RuntimeError,
                            "fill_ only supports 0-dimension value tensor but got tensor with %d "
                            "dimensions.",
                            ((PNTensor *)v)->ndim);
    if (PNTensor_Check(v) && pn_grad_mode && pn_requires_grad((PNTensor *)v) &&
        pn_is_float(SELF->dtype)) { /* the value's gradient: the sum of g (a broadcast copy) */
        if (pn_check_inplace_fill(SELF, "fill_") < 0 || pn_copy_inplace(SELF, (PNTensor *)v) < 0)
            return NULL;
        Py_INCREF(self);
        return self;
    }
    if (PNTensor_Check(v)) {
        PyObject *it = pn_item((PNTensor *)v);
        if (!it) return NULL;
        d = PyFloat_AsDouble(it);
        Py_DECREF(it);
    } else {
        d = PyFloat_AsDouble(v);
    }
    if (d == -1.0 && PyErr_Occurred()) return NULL;
    if (pn_fill_inplace(SELF, d, "fill_") < 0) return NULL;
    Py_INCREF(self);
    return self;
}
static PyObject *m_zero_(PyObject *self, PyObject *u) {
    (void)u;
    if (pn_fill_inplace(SELF, 0.0, "zero_") < 0) return NULL;
    Py_INCREF(self);
    return self;
}
static PyObject *m_copy_(PyObject *self, PyObject *args) {
    PyObject *src;
    int nb = 0;
    if (!PyArg_ParseTuple(args, "O|p:copy_", &src, &nb)) return NULL;
    if (!PNTensor_Check(src)) {
        PyErr_Format(PyExc_TypeError, "copy_(): argument 'src' must be Tensor, not %s",
                     Py_TYPE(src)->tp_name);
        return NULL;
    }
    if (pn_check_inplace(SELF, "copy_") < 0 || pn_copy_inplace(SELF, (PNTensor *)src) < 0)
        return NULL;
    Py_INCREF(self);
    return self;
}
static PyObject *m_where(PyObject *self, PyObject *args) {
    PyObject *cond, *other;
    if (!PyArg_ParseTuple(args, "O!O:where", &PNTensor_Type, &cond, &other)) return NULL;
    return (PyObject *)pn_where((PNTensor *)cond, self, other);
}

static PyObject *m__to_dtype(PyObject *self, PyObject *arg) {
    pn_dtype dt;
    if (pn_parse_dtype(arg, &dt, "to") < 0) return NULL;
    return (PyObject *)pn_to_dtype(SELF, dt);
}

/* ---- keyword forms: x.mul(other=y), x.unsqueeze(dim=0), x.transpose(dim0=0, dim1=1)
 *
 * PyTorch's methods take every argument by name too. The methods above parse one
 * object (METH_O) or a tuple (METH_VARARGS); these wrappers match keywords to
 * PyTorch's parameter names and hand the methods the same object or tuple, so a
 * positional call costs one extra check. */

/* One parameter: the METH_O methods. */
#define KW1(NAME, PARAM) \
    static PyObject *k_##NAME(PyObject *self, FASTARGS) { \
        static const char *const names[] = {PARAM}; \
        static pn_argspec spec = PN_ARGSPEC(#NAME, names, 1, 1, 1); \
        PyObject *a[1]; \
        if (nargs == 1 && !kwnames) return m_##NAME(self, args[0]); \
        if (pn_parse_args(&spec, args, nargs, kwnames, a) < 0) return NULL; \
        return m_##NAME(self, a[0]); \
    }
#define KW1B(NAME, PARAM) KW1(NAME, PARAM) KW1(NAME##_, PARAM)
KW1B(mul, "other")
KW1B(true_divide, "other")
KW1B(floor_divide, "other")
KW1B(remainder, "other")
KW1B(fmod, "other")
KW1B(pow, "exponent")
KW1B(eq, "other")
KW1B(ne, "other")
KW1B(lt, "other")
KW1B(le, "other")
KW1B(gt, "other")
KW1B(ge, "other")
KW1B(bitwise_and, "other")
KW1B(bitwise_or, "other")
KW1B(bitwise_xor, "other")
KW1B(atan2, "other")
KW1B(hypot, "other")
KW1B(maximum, "other")
KW1B(minimum, "other")
KW1B(polygamma, "n")
KW1B(unsqueeze, "dim")
KW1(matmul, "other")
KW1(mm, "mat2")
KW1(bmm, "mat2")
KW1(fill_, "value")

/* Several parameters: the METH_VARARGS methods. The keywords fill the parameters
 * after the positional arguments, in order, into one tuple. With `variadic` the
 * first parameter is PyTorch's *size (x.view(2, 3) or x.view(size=(2, 3))): its
 * keyword form is the only argument. */
/* The index of the parameter called key, or -1; axis= is dim=, x2= is other= (NumPy's
 * names, as in pn_parse_args). */
static int param_index(PyObject *key, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0 ||
            (!strcmp(names[i], "dim") && PyUnicode_CompareWithASCIIString(key, "axis") == 0) ||
            (!strcmp(names[i], "other") && PyUnicode_CompareWithASCIIString(key, "x2") == 0))
            return i;
    return -1;
}
/* kw[name], or kw[its NumPy alias] (borrowed; NULL if neither) */
static PyObject *kw_get(PyObject *kw, const char *name) {
    PyObject *v = PyDict_GetItemString(kw, name);
    if (!v && !strcmp(name, "dim")) v = PyDict_GetItemString(kw, "axis");
    if (!v && !strcmp(name, "other")) v = PyDict_GetItemString(kw, "x2");
    return v;
}
static PyObject *kw_tuple(PyObject *args, PyObject *kw, const char *fname, const char *const *names,
                          int n, int variadic) {
    /* view(2, 3, size=...): the positions already are the size */
    Py_ssize_t np = variadic && PyTuple_GET_SIZE(args) > 0 ? n : PyTuple_GET_SIZE(args);
    Py_ssize_t used = 0;
    PyObject *full = PySequence_List(args);
    for (Py_ssize_t i = np; full && i < n; i++) {
        PyObject *v = kw_get(kw, names[i]); /* borrowed */
        if (!v) break;                      /* a later name without this one is reported below */
        used++;
        if (PyList_Append(full, v) < 0) Py_CLEAR(full);
    }
    PyObject *key, *val;
    Py_ssize_t pos = 0;
    while (full && used != PyDict_GET_SIZE(kw) && PyDict_Next(kw, &pos, &key, &val)) {
        int i = param_index(key, names, n);
        if (i >= np && i < np + used) continue; /* taken above */
        if (i < 0)
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", fname,
                         key);
        else if (i < np)
            PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fname,
                         names[i]);
        else
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fname,
                         names[np + used]);
        Py_CLEAR(full);
    }
    if (full && used != PyDict_GET_SIZE(kw)) { /* dim= and its alias axis= both given */
        PyErr_Format(PyExc_TypeError, "%s() got multiple values for an argument", fname);
        Py_CLEAR(full);
    }
    PyObject *t = full ? PyList_AsTuple(full) : NULL;
    Py_XDECREF(full);
    return t;
}
#define KWV(NAME, VARIADIC, ...) \
    static PyObject *k_##NAME(PyObject *self, PyObject *args, PyObject *kw) { \
        static const char *const names[] = {__VA_ARGS__}; \
        if (!kw || PyDict_GET_SIZE(kw) == 0) return m_##NAME(self, args); \
        PyObject *t = kw_tuple(args, kw, #NAME, names, sizeof names / sizeof *names, VARIADIC); \
        PyObject *r = t ? m_##NAME(self, t) : NULL; \
        Py_XDECREF(t); \
        return r; \
    }
KWV(view, 1, "size")
KWV(reshape, 1, "shape")
KWV(permute, 1, "dims")
/* expand(*size, implicit=False): implicit only marks the call for tracing */
static PyObject *k_expand(PyObject *self, PyObject *args, PyObject *kw) {
    static const char *const names[] = {"size"};
    if (!kw || PyDict_GET_SIZE(kw) == 0) return m_expand(self, args);
    PyObject *rest = PyDict_Copy(kw), *impl = rest ? PyDict_GetItemString(rest, "implicit") : NULL;
    if (impl && (!PyBool_Check(impl) || PyDict_DelItemString(rest, "implicit") < 0)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "expand(): argument 'implicit' must be bool, not %s",
                         Py_TYPE(impl)->tp_name);
        Py_CLEAR(rest);
    }
    PyObject *t = !rest                        ? NULL
                  : PyDict_GET_SIZE(rest) == 0 ? (Py_INCREF(args), args)
                                               : kw_tuple(args, rest, "expand", names, 1, 1);
    PyObject *r = t ? m_expand(self, t) : NULL;
    Py_XDECREF(t);
    Py_XDECREF(rest);
    return r;
}
KWV(transpose, 0, "dim0", "dim1")
KWV(transpose_, 0, "dim0", "dim1")
KWV(squeeze, 0, "dim")
KWV(squeeze_, 0, "dim")
KWV(narrow, 0, "dim", "start", "length")
KWV(select, 0, "dim", "index")
KWV(size, 0, "dim")
KWV(stride, 0, "dim")
KWV(copy_, 0, "other", "non_blocking")
KWV(where, 0, "condition", "other")

/* each entry's docstring is DOC_<name> from tensor_docs.h (U/B: the in-place one too) */
#define M0(name) {#name, (PyCFunction)m_##name, METH_NOARGS, DOC_##name}
#define M1(name) {#name, (PyCFunction)m_##name, METH_O, DOC_##name}
#define MV(name) {#name, (PyCFunction)m_##name, METH_VARARGS, DOC_##name}
#define MK(name) \
    {#name, (PyCFunction)(void (*)(void))m_##name, METH_VARARGS | METH_KEYWORDS, DOC_##name}
/* FASTCALL methods (pn_parse_args) */
#define MF(name) \
    {#name, (PyCFunction)(void (*)(void))m_##name, METH_FASTCALL | METH_KEYWORDS, DOC_##name}
/* the keyword forms (k_<name>, above) */
#define K1(name) \
    {#name, (PyCFunction)(void (*)(void))k_##name, METH_FASTCALL | METH_KEYWORDS, DOC_##name}
#define KV(name) \
    {#name, (PyCFunction)(void (*)(void))k_##name, METH_VARARGS | METH_KEYWORDS, DOC_##name}
#define U(name) M0(name), M0(name##_)
#define B(name) K1(name), K1(name##_)

PyMethodDef pn_tensor_methods[] = {U(neg),
                                   U(abs),
                                   U(exp),
                                   U(log),
                                   U(sqrt),
                                   U(sigmoid),
                                   U(tanh),
                                   U(relu),
                                   U(sign),
                                   U(reciprocal),
                                   U(square),
                                   U(sin),
                                   U(cos),
                                   U(log1p),
                                   U(expm1),
                                   U(floor),
                                   U(ceil),
                                   U(round),
                                   U(trunc),
                                   U(bitwise_not),
                                   U(log2),
                                   U(log10),
                                   U(erf),
                                   U(erfc),
                                   U(tan),
                                   U(atan),
                                   U(rsqrt),
                                   U(asin),
                                   U(acos),
                                   U(sinh),
                                   U(cosh),
                                   U(asinh),
                                   U(acosh),
                                   U(atanh),
                                   U(exp2),
                                   U(lgamma),
                                   U(digamma),
                                   U(erfinv),
                                   B(polygamma),
                                   B(atan2),
                                   B(hypot),
                                   B(fmod),
                                   B(mul),
                                   B(true_divide),
                                   B(floor_divide),
                                   B(remainder),
                                   B(pow),
                                   B(maximum),
                                   B(minimum),
                                   B(eq),
                                   B(ne),
                                   B(lt),
                                   B(le),
                                   B(gt),
                                   B(ge),
                                   B(bitwise_and),
                                   B(bitwise_or),
                                   B(bitwise_xor),
                                   MF(add),
                                   MF(add_),
                                   MF(sub),
                                   MF(sub_),
                                   MF(div),
                                   MF(div_),
                                   MF(clamp),
                                   MF(clamp_),
                                   MF(sum),
                                   MF(mean),
                                   MF(amax),
                                   MF(amin),
                                   MF(max),
                                   MF(min),
                                   MF(argmax),
                                   MF(argmin),
                                   MF(var),
                                   MF(std),
                                   MF(prod),
                                   MF(logsumexp),
                                   MF(softmax),
                                   MF(log_softmax),
                                   KV(view),
                                   KV(reshape),
                                   KV(expand),
                                   KV(permute),
                                   KV(transpose),
                                   KV(transpose_),
                                   M0(t),
                                   M0(t_),
                                   KV(squeeze),
                                   KV(squeeze_),
                                   MK(as_strided),
                                   MK(as_strided_),
                                   K1(unsqueeze),
                                   K1(unsqueeze_),
                                   KV(narrow),
                                   MV(_split_views),
                                   KV(select),
                                   MF(diagonal),
                                   MF(unfold),
                                   M0(contiguous),
                                   M0(clone),
                                   M0(detach),
                                   M0(detach_),
                                   MK(requires_grad_),
                                   M0(is_contiguous),
                                   KV(size),
                                   KV(stride),
                                   M0(dim),
                                   M0(numel),
                                   M0(element_size),
                                   M0(data_ptr),
                                   M0(storage_offset),
                                   M0(item),
                                   K1(matmul),
                                   K1(mm),
                                   K1(bmm),
                                   K1(fill_),
                                   M0(zero_),
                                   KV(copy_),
                                   KV(where),
                                   M1(_to_dtype),
                                   {"_make_subclass",
                                    (PyCFunction)(void (*)(void))pn_tensor_make_subclass,
                                    METH_VARARGS | METH_KEYWORDS | METH_STATIC, NULL},
                                   {NULL, NULL, 0, NULL}};
