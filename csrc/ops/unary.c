/* ops/unary.c - elementwise functions of one tensor (neg, exp, log, sqrt,
 * sigmoid, tanh, relu, ...) and clamp, in-place forms and their backward.
 * The loops are the kernels of ../kernels/elementwise.c. */
#include "compose.h"
#include "../kernels/special.h"
#include <string.h>
#include <math.h>

/* ----------------------------------------------------------------- unary ---- */

static const char *unary_names[PN_NUNARY] = {
    [PN_NEG] = "neg",
    [PN_ABS] = "abs",
    [PN_EXP] = "exp",
    [PN_LOG] = "log",
    [PN_SQRT] = "sqrt",
    [PN_SIGMOID] = "sigmoid",
    [PN_TANH] = "tanh",
    [PN_RELU] = "relu",
    [PN_SIGN] = "sign",
    [PN_NOT] = "bitwise_not",
    [PN_RECIPROCAL] = "reciprocal",
    [PN_SQUARE] = "square",
    [PN_SIN] = "sin",
    [PN_COS] = "cos",
    [PN_LOG1P] = "log1p",
    [PN_EXPM1] = "expm1",
    [PN_FLOOR] = "floor",
    [PN_CEIL] = "ceil",
    [PN_ROUND] = "round",
    [PN_TRUNC] = "trunc",
    [PN_LOG2] = "log2",
    [PN_LOG10] = "log10",
    [PN_ERF] = "erf",
    [PN_ERFC] = "erfc",
    [PN_TAN] = "tan",
    [PN_ATAN] = "atan",
    [PN_RSQRT] = "rsqrt",
    [PN_ASIN] = "asin",
    [PN_ACOS] = "acos",
    [PN_SINH] = "sinh",
    [PN_COSH] = "cosh",
    [PN_ASINH] = "asinh",
    [PN_ACOSH] = "acosh",
    [PN_ATANH] = "atanh",
    [PN_EXP2] = "exp2",
    [PN_LGAMMA] = "lgamma",
    [PN_DIGAMMA] = "digamma",
    [PN_ERFINV] = "erfinv",
};

static const char *unary_nodes[PN_NUNARY] = {
    [PN_NEG] = "NegBackward0",       [PN_ABS] = "AbsBackward0",
    [PN_EXP] = "ExpBackward0",       [PN_LOG] = "LogBackward0",
    [PN_SQRT] = "SqrtBackward0",     [PN_SIGMOID] = "SigmoidBackward0",
    [PN_TANH] = "TanhBackward0",     [PN_RELU] = "ReluBackward0",
    [PN_SIGN] = "SignBackward0",     [PN_RECIPROCAL] = "ReciprocalBackward0",
    [PN_SQUARE] = "PowBackward0",    [PN_SIN] = "SinBackward0",
    [PN_COS] = "CosBackward0",       [PN_LOG1P] = "Log1PBackward0",
    [PN_EXPM1] = "Expm1Backward0",   [PN_FLOOR] = "FloorBackward0",
    [PN_CEIL] = "CeilBackward0",     [PN_ROUND] = "RoundBackward0",
    [PN_TRUNC] = "TruncBackward0",   [PN_LOG2] = "Log2Backward0",
    [PN_LOG10] = "Log10Backward0",   [PN_ERF] = "ErfBackward0",
    [PN_ERFC] = "ErfcBackward0",     [PN_TAN] = "TanBackward0",
    [PN_ATAN] = "AtanBackward0",     [PN_RSQRT] = "RsqrtBackward0",
    [PN_ASIN] = "AsinBackward0",     [PN_ACOS] = "AcosBackward0",
    [PN_SINH] = "SinhBackward0",     [PN_COSH] = "CoshBackward0",
    [PN_ASINH] = "AsinhBackward0",   [PN_ACOSH] = "AcoshBackward0",
    [PN_ATANH] = "AtanhBackward0",   [PN_EXP2] = "Exp2Backward0",
    [PN_LGAMMA] = "LgammaBackward0", [PN_DIGAMMA] = "DigammaBackward0",
    [PN_ERFINV] = "ErfinvBackward0",
};

/* Which ops always produce floats (an int64 input is promoted to float32). */
static int unary_float_only(pn_unary_op op) {
    switch (op) {
    case PN_EXP:
    case PN_LOG:
    case PN_SQRT:
    case PN_SIGMOID:
    case PN_TANH:
    case PN_RECIPROCAL:
    case PN_SIN:
    case PN_COS:
    case PN_LOG1P:
    case PN_EXPM1:
    case PN_LOG2:
    case PN_LOG10:
    case PN_ERF:
    case PN_ERFC:
    case PN_TAN:
    case PN_ATAN:
    case PN_RSQRT:
        return 1;
    default:
        return op >= PN_ASIN; /* the inverse trigonometric ... erfinv: every one */
    }
}

/* Whether backward needs the output (1) or the input (0). */
static int unary_saves_output(pn_unary_op op) {
    return op == PN_EXP || op == PN_SQRT || op == PN_SIGMOID || op == PN_TANH || op == PN_RELU ||
           op == PN_RECIPROCAL || op == PN_EXPM1 || op == PN_TAN || op == PN_RSQRT ||
           op == PN_EXP2 || op == PN_ERFINV;
}

typedef struct {
    pn_unary_op op;
} unary_state;

/* erf'(x) = 2/sqrt(pi) exp(-x^2) = -erfc'(x), times g, written with differentiable ops. */
static PNTensor *erf_backward(pn_unary_op op, PNTensor *g, PNTensor *x) {
    const double two_over_sqrt_pi = 1.12837916709551257390;
    PNTensor *x2 = pn_binary_t(PN_MUL, x, x);
    PNTensor *e = x2 ? pn_binary_s(PN_MUL, x2, -1.0) : NULL;
    PNTensor *d = e ? pn_unary(PN_EXP, e) : NULL;
    PNTensor *k =
        d ? pn_binary_s(PN_MUL, d, op == PN_ERF ? two_over_sqrt_pi : -two_over_sqrt_pi) : NULL;
    PNTensor *r = k ? pn_binary_t(PN_MUL, g, k) : NULL;
    Py_XDECREF(x2), Py_XDECREF(e), Py_XDECREF(d), Py_XDECREF(k);
    return r;
}

/* x^2 + c, or with flip c - x^2: the radicands of the inverse functions' derivatives */
static PNTensor *square_plus(PNTensor *x, double c, int flip) {
    PNTensor *t = pn_binary_t(PN_MUL, x, x);
    PNTensor *r = !t ? NULL : flip ? pn_binary_s_rev(PN_SUB, c, t) : pn_binary_s(PN_ADD, t, c);
    Py_XDECREF(t);
    return r;
}

/* The ops computed in double (PN_ASIN ... PN_ERFINV): dx = g * d, d written with
 * differentiable ops (s is x, or the output y for exp2 and erfinv):
 *   asin: d = 1 / sqrt(1 - x^2)        acos: d = -1 / sqrt(1 - x^2)
 *   sinh: d = cosh(x)                  cosh: d = sinh(x)
 *   asinh: d = 1 / sqrt(x^2 + 1)       acosh: d = 1 / sqrt(x^2 - 1)
 *   atanh: dx = g / (1 - x^2)          exp2: d = y ln 2
 *   lgamma: d = digamma(x)             digamma: d = polygamma(1, x)
 *   erfinv: d = sqrt(pi) / 2 exp(y^2) */
static PNTensor *double_op_backward(pn_unary_op op, PNTensor *g, PNTensor *s) {
    PNTensor *t = NULL, *d = NULL, *r = NULL;
    switch (op) {
    case PN_ASIN:
    case PN_ACOS:
    case PN_ASINH:
    case PN_ACOSH:
        t = square_plus(s, op == PN_ACOSH ? -1.0 : 1.0, op == PN_ASIN || op == PN_ACOS);
        d = t ? pn_unary(PN_RSQRT, t) : NULL;
        break;
    case PN_ATANH:
        t = square_plus(s, 1.0, 1);
        r = t ? pn_binary_t(PN_DIV, g, t) : NULL;
        Py_XDECREF(t);
        return r;
    case PN_SINH:
    case PN_COSH:
        d = pn_unary(op == PN_SINH ? PN_COSH : PN_SINH, s);
        break;
    case PN_EXP2:
        d = pn_binary_s(PN_MUL, s, 0.69314718055994530942);
        break;
    case PN_LGAMMA:
        d = pn_unary(PN_DIGAMMA, s);
        break;
    case PN_DIGAMMA:
        d = pn_polygamma(1, s);
        break;
    case PN_ERFINV:
        t = pn_binary_t(PN_MUL, s, s);
        r = t ? pn_unary(PN_EXP, t) : NULL;
        d = r ? pn_binary_s(PN_MUL, r, 0.88622692545275801365) : NULL; /* sqrt(pi) / 2 */
        Py_XDECREF(r);
        break;
    default:
        PyErr_SetString(PyExc_RuntimeError, "internal: unary op without a backward");
        return NULL;
    }
    r = d ? pn_binary_t(PN_MUL, g, d) : NULL;
    Py_XDECREF(t), Py_XDECREF(d);
    if (r && op == PN_ACOS) Py_SETREF(r, pn_unary(PN_NEG, r));
    return r;
}

// y = f(x), x (*) -> y (*): dx = g * f'(x), from x or from y (unary_saves_output)
static int unary_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    pn_unary_op op = PN_STATE(n, unary_state)->op;
    PNTensor *g = gout[0], *r = NULL, *t = NULL, *u = NULL;
    if (op == PN_NEG) {
        gin[0] = pn_unary(PN_NEG, g);
        return gin[0] ? 0 : -1;
    }
    if (op == PN_SIGN || op == PN_FLOOR || op == PN_CEIL || op == PN_ROUND || op == PN_TRUNC) {
        gin[0] = pn_zeros(g->dtype, g->ndim, g->shape);
        return gin[0] ? 0 : -1;
    }
    PNTensor *s = pn_unpack(n, 0); /* input x or output y, see unary_saves_output */
    if (!s) return -1;
    switch (op) {
    case PN_ABS:
        t = pn_unary(PN_SIGN, s), r = t ? pn_binary_t(PN_MUL, g, t) : NULL;
        break;
    case PN_EXP:
        r = pn_binary_t(PN_MUL, g, s);
        break;
    case PN_LOG:
        r = pn_binary_t(PN_DIV, g, s);
        break;
    case PN_SQRT:
        t = pn_binary_s(PN_MUL, s, 2.0), r = t ? pn_binary_t(PN_DIV, g, t) : NULL;
        break;
    case PN_SIGMOID: /* g * y * (1 - y), one fused op (itself differentiable) */
        r = pn_binary_t(PN_SIGMOID_BACKWARD, g, s);
        break;
    case PN_TANH: /* g * (1 - y^2) */
        r = pn_binary_t(PN_TANH_BACKWARD, g, s);
        break;
    case PN_RELU: /* y > 0 ? g : 0 */
        r = pn_binary_t(PN_RELU_BACKWARD, g, s);
        break;
    case PN_RECIPROCAL: /* -g * y^2 */
        t = pn_binary_t(PN_MUL, s, s);
        u = t ? pn_binary_t(PN_MUL, g, t) : NULL;
        r = u ? pn_unary(PN_NEG, u) : NULL;
        break;
    case PN_SQUARE:
        t = pn_binary_s(PN_MUL, s, 2.0), r = t ? pn_binary_t(PN_MUL, g, t) : NULL;
        break;
    case PN_SIN:
        t = pn_unary(PN_COS, s), r = t ? pn_binary_t(PN_MUL, g, t) : NULL;
        break;
    case PN_COS:
        t = pn_unary(PN_SIN, s);
        u = t ? pn_binary_t(PN_MUL, g, t) : NULL;
        r = u ? pn_unary(PN_NEG, u) : NULL;
        break;
    case PN_LOG1P:
        t = pn_binary_s(PN_ADD, s, 1.0), r = t ? pn_binary_t(PN_DIV, g, t) : NULL;
        break;
    case PN_EXPM1:
        t = pn_binary_s(PN_ADD, s, 1.0), r = t ? pn_binary_t(PN_MUL, g, t) : NULL;
        break;
    case PN_LOG2:  /* g / (x ln 2) */
    case PN_LOG10: /* g / (x ln 10) */
        t = pn_binary_s(PN_MUL, s, op == PN_LOG2 ? 0.69314718055994530942 : 2.30258509299404568402);
        r = t ? pn_binary_t(PN_DIV, g, t) : NULL;
        break;
    case PN_ERF: /* g * 2/sqrt(pi) exp(-x^2); erfc: its negative */
    case PN_ERFC:
        r = erf_backward(op, g, s);
        break;
    case PN_TAN: /* g * (1 + y^2) */
        t = pn_binary_t(PN_MUL, s, s), u = t ? pn_binary_s(PN_ADD, t, 1.0) : NULL;
        r = u ? pn_binary_t(PN_MUL, g, u) : NULL;
        break;
    case PN_ATAN: /* g / (1 + x^2) */
        t = pn_binary_t(PN_MUL, s, s), u = t ? pn_binary_s(PN_ADD, t, 1.0) : NULL;
        r = u ? pn_binary_t(PN_DIV, g, u) : NULL;
        break;
    case PN_RSQRT: /* y = x^(-1/2): g * (-1/2) y^3 */
        t = pn_binary_s(PN_POW, s, 3.0), u = t ? pn_binary_s(PN_MUL, t, -0.5) : NULL;
        r = u ? pn_binary_t(PN_MUL, g, u) : NULL;
        break;
    default:
        r = double_op_backward(op, g, s);
    }
    Py_XDECREF(t);
    Py_XDECREF(u);
    Py_DECREF(s);
    gin[0] = r;
    return r ? 0 : -1;
}

static PNTensor *unary_impl(pn_unary_op op, PNTensor *a, PNTensor *inplace) {
    pn_dtype dt = a->dtype;
    if (unary_float_only(op) && !pn_is_float(dt)) dt = pn_default_float;
    if (op == PN_SQUARE && dt == PN_BOOL) dt = PN_INT64; /* square is pow(x, 2) */
    if (op == PN_NEG && dt == PN_BOOL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                        "trying to invert a mask, use the `~` or `logical_not()` operator "
                        "instead.");
        return NULL;
    }
    pn_loop_fn fn = pn_unary_loop(op, dt);
    if (!fn) {
        PyErr_Format(PyExc_NotImplementedError, "\"%s\" not implemented for '%s'", unary_names[op],
                     pn_dtype_name(dt));
        return NULL;
    }
    if (inplace && inplace->dtype != dt) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s_: result type %s can't be cast to the desired "
                     "output type %s",
                     unary_names[op], pn_dtype_name(dt), pn_dtype_name(inplace->dtype));
        return NULL;
    }
    PNTensor *src = pn_to_dtype_nograd(a, dt);
    if (!src) return NULL;
    PNTensor *out = inplace ? (Py_INCREF(inplace), inplace) : pn_empty(dt, a->ndim, a->shape);
    if (out) {
        PNTensor *ops[2] = {out, src};
        pn_run_loop(fn, NULL, 2, ops, NULL, a->ndim, a->shape);
    }
    Py_DECREF(src);
    return out;
}

// x (*) -> y (*) = f(x), f one of neg, exp, log, sqrt, sigmoid, tanh, relu, ...
PNTensor *pn_unary(pn_unary_op op, PNTensor *a) {
    PNTensor *out = unary_impl(op, a, NULL);
    if (!out || !pn_grad_mode || !pn_requires_grad(a) || !pn_is_float(out->dtype) || op == PN_NOT)
        return out;
    PNNode *n = pn_record(out, unary_nodes[op], unary_backward, 1, &a);
    unary_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->op = op;
        if (op != PN_NEG && op != PN_SIGN && op != PN_FLOOR && op != PN_CEIL && op != PN_ROUND &&
            op != PN_TRUNC)
            pn_save(n, 0, unary_saves_output(op) ? out : a, unary_saves_output(op));
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

PyObject *pn_unary_inplace(pn_unary_op op, PNTensor *a) {
    if (pn_check_inplace(a, unary_names[op]) < 0) return NULL;
    if (!(pn_grad_mode && pn_requires_grad(a))) return (PyObject *)unary_impl(op, a, a);
    PNTensor *old = pn_clone(a);
    if (!old) return NULL;
    PNTensor *res = pn_unary(op, old);
    Py_DECREF(old);
    return pn_inplace_result(a, res);
}

/* ------------------------------------------------------------- polygamma ---- */

typedef struct {
    int64_t n;
} polygamma_state;

// y = polygamma(n, x): dx = g * polygamma(n + 1, x)
static int polygamma_backward(PNNode *node, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(node, 0);
    if (!x) return -1;
    PNTensor *d = pn_polygamma(PN_STATE(node, polygamma_state)->n + 1, x);
    gin[0] = d ? pn_binary_t(PN_MUL, gout[0], d) : NULL;
    Py_XDECREF(d);
    Py_DECREF(x);
    return gin[0] ? 0 : -1;
}

// x (*) -> y (*) = polygamma(n, x), the n-th derivative of digamma (n >= 0)
PNTensor *pn_polygamma(int64_t n, PNTensor *a) {
    if (n < 0) {
        PyErr_SetString(PyExc_RuntimeError, "polygamma(n, x) does not support negative n.");
        return NULL;
    }
    pn_dtype dt = pn_is_float(a->dtype) ? a->dtype : pn_default_float;
    PNTensor *src = pn_to_dtype_nograd(a, dt);
    PNTensor *out = src ? pn_empty(dt, a->ndim, a->shape) : NULL;
    if (out) {
        PNTensor *ops[2] = {out, src};
        pn_run_loop(pn_polygamma_loop(dt), &n, 2, ops, NULL, a->ndim, a->shape);
    }
    Py_XDECREF(src);
    if (!out || !pn_grad_mode || !pn_requires_grad(a)) return out;
    PNNode *node = pn_record(out, "PolygammaBackward0", polygamma_backward, 1, &a);
    polygamma_state *st = node ? pn_node_state(node, sizeof *st, 0) : NULL;
    if (st) st->n = n, pn_save(node, 0, a, 0);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

PyObject *pn_polygamma_inplace(int64_t n, PNTensor *a) {
    if (pn_check_inplace(a, "polygamma_") < 0) return NULL;
    if (!pn_is_float(a->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "polygamma_: result type Float can't be cast to the desired output type %s",
                     pn_dtype_name(a->dtype));
        return NULL;
    }
    /* the node saves its input: with a history to record, compute from a copy */
    int record = pn_grad_mode && pn_requires_grad(a);
    PNTensor *in = record ? pn_clone(a) : (Py_INCREF(a), a);
    PNTensor *res = in ? pn_polygamma(n, in) : NULL;
    Py_XDECREF(in);
    return pn_inplace_result(a, res);
}

/* ----------------------------------------------------------------- clamp ---- */

typedef struct {
    double lo, hi;
    int has_lo, has_hi; /* clamp(min=None) has no lower bound */
} clamp_state;

/* The gradient passes where lo <= x <= hi (saved input x). */
// y = clamp(x, lo, hi): dx = g where lo <= x <= hi, else 0
static int clamp_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const clamp_state *st = PN_STATE(n, clamp_state);
    PNTensor *x = pn_unpack(n, 0);
    if (!x) return -1;
    PNTensor *lo = st->has_lo ? pn_binary_s(PN_GE, x, st->lo) : NULL;
    PNTensor *hi = st->has_hi ? pn_binary_s(PN_LE, x, st->hi) : NULL;
    Py_DECREF(x);
    PNTensor *mask = NULL;
    if ((!st->has_lo || lo) && (!st->has_hi || hi))
        mask = lo && hi ? pn_binary_t(PN_AND, lo, hi) : (Py_INCREF(lo ? lo : hi), lo ? lo : hi);
    Py_XDECREF(lo);
    Py_XDECREF(hi);
    if (!mask) return -1;
    gin[0] = pn_where_t(mask, gout[0], 0.0, NULL);
    Py_DECREF(mask);
    return gin[0] ? 0 : -1;
}

// x (*) -> y (*) = min(max(x, lo), hi)
PNTensor *pn_clamp(PNTensor *a, PyObject *lo, PyObject *hi) {
    pn_clamp_args c = {0, 0, lo && lo != Py_None, hi && hi != Py_None};
    if (!c.has_lo && !c.has_hi) {
        PyErr_SetString(PyExc_RuntimeError, "clamp: At least one of 'min' or 'max' must not be "
                                            "None");
        return NULL;
    }
    if (c.has_lo && (c.lo = PyFloat_AsDouble(lo)) == -1.0 && PyErr_Occurred()) return NULL;
    if (c.has_hi && (c.hi = PyFloat_AsDouble(hi)) == -1.0 && PyErr_Occurred()) return NULL;
    pn_dtype dt = a->dtype;
    if (dt == PN_BOOL) dt = PN_INT64;
    if (dt == PN_INT64 && ((c.has_lo && !PyLong_Check(lo)) || (c.has_hi && !PyLong_Check(hi))))
        dt = pn_default_float;
    PNTensor *src = pn_to_dtype_nograd(a, dt);
    if (!src) return NULL;
    PNTensor *out = pn_empty(dt, a->ndim, a->shape);
    if (out) {
        PNTensor *ops[2] = {out, src};
        pn_run_loop(pn_clamp_loop(dt), &c, 2, ops, NULL, a->ndim, a->shape);
        if (pn_is_float(dt)) {
            PNNode *n = pn_record(out, "ClampBackward1", clamp_backward, 1, &a);
            clamp_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
            if (st) {
                st->lo = c.lo, st->hi = c.hi, st->has_lo = c.has_lo, st->has_hi = c.has_hi;
                pn_save(n, 0, a, 0);
            }
            if (PyErr_Occurred()) Py_CLEAR(out);
        }
    }
    Py_DECREF(src);
    return out;
}

/* clamp with tensor bounds: saved x, lo, hi (slots 0-2, a bound that is None unsaved) */
typedef struct {
    int has_lo, has_hi;
} clamp_t_state;

/* where(p, g, 0) summed to the shape and dtype of input k of the node */
static PNTensor *masked_grad(scope *s, PNNode *n, int k, PNTensor *p, PNTensor *g) {
    PNTensor *w = keep(s, p ? pn_where_t(p, g, 0.0, NULL) : NULL);
    PNTensor *r = keep(s, w ? pn_sum_to(w, n->meta[k].ndim, n->meta[k].shape) : NULL);
    return r ? pn_to_dtype(r, n->meta[k].dtype) : NULL;
}

// y = clamp(x, lo, hi), tensor bounds (PyTorch's rule at ties: the gradient goes to x):
//   dx = g where lo <= x <= hi,  dlo = g where x < lo < hi,  dhi = g where x > hi or hi < lo
static int clamp_t_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const clamp_t_state *st = PN_STATE(n, clamp_t_state);
    scope s = {.n = 0};
    PNTensor *g = gout[0], *x = keep(&s, pn_unpack(n, 0));
    PNTensor *lo = st->has_lo ? keep(&s, pn_unpack(n, 1)) : NULL;
    PNTensor *hi = st->has_hi ? keep(&s, pn_unpack(n, 2)) : NULL;
    if (!x || (st->has_lo && !lo) || (st->has_hi && !hi)) return scope_free(&s), -1;
    int prev = pn_set_grad_mode(0), ok = 1;
    PNTensor *ge = lo ? B(&s, PN_GE, x, lo) : NULL, *le = hi ? B(&s, PN_LE, x, hi) : NULL;
    PNTensor *in = lo && hi ? B(&s, PN_AND, ge, le) : lo ? ge : le;
    PNTensor *below = lo ? B(&s, PN_LT, x, lo) : NULL, *above = hi ? B(&s, PN_GT, x, hi) : NULL;
    if (lo && hi) {
        below = B(&s, PN_AND, below, B(&s, PN_LT, lo, hi));
        above = B(&s, PN_OR, above, B(&s, PN_LT, hi, lo));
    }
    pn_set_grad_mode(prev);
    if (n->next[0].fn) ok = ok && (gin[0] = masked_grad(&s, n, 0, in, g)) != NULL;
    if (lo && n->next[1].fn) ok = ok && (gin[1] = masked_grad(&s, n, 1, below, g)) != NULL;
    if (hi && n->next[2].fn) ok = ok && (gin[2] = masked_grad(&s, n, 2, above, g)) != NULL;
    scope_free(&s);
    return ok ? 0 : -1;
}

// x (*), lo, hi (tensors or None, broadcast) -> y = min(max(x, lo), hi)
PNTensor *pn_clamp_t(PNTensor *x, PyObject *lo, PyObject *hi) {
    int prev = pn_set_grad_mode(0);
    PNTensor *r = x;
    Py_INCREF(r);
    if (lo != Py_None) Py_SETREF(r, pn_binary(PN_MAXIMUM, (PyObject *)r, lo));
    if (r && hi != Py_None) Py_SETREF(r, pn_binary(PN_MINIMUM, (PyObject *)r, hi));
    pn_set_grad_mode(prev);
    int grad = pn_requires_grad(x) || (PNTensor_Check(lo) && pn_requires_grad((PNTensor *)lo)) ||
               (PNTensor_Check(hi) && pn_requires_grad((PNTensor *)hi));
    if (!r || !pn_grad_mode || !grad || !pn_is_float(r->dtype)) return r;
    PNTensor *ins[3] = {x, lo != Py_None ? (PNTensor *)lo : NULL,
                        hi != Py_None ? (PNTensor *)hi : NULL};
    PNNode *n = pn_record(r, "ClampBackward0", clamp_t_backward, 3, ins);
    clamp_t_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->has_lo = ins[1] != NULL, st->has_hi = ins[2] != NULL;
        for (int k = 0; k < 3; k++)
            if (ins[k]) pn_save(n, k, ins[k], 0);
    }
    if (PyErr_Occurred()) Py_CLEAR(r);
    return r;
}
