/* ops_elementwise.c - + - * / ** and friends on tensors: type promotion,
 * broadcasting, in-place forms, and each op's backward.
 *
 * Forward: pick the result dtype (PyTorch's promotion rules), broadcast the
 * shapes, make every input the compute dtype, then let pn_iter run the
 * kernel's inner loop over the (possibly strided, broadcast) operands.
 * Backward of each op sits right under its forward, as a pn_apply_fn.
 */
#include "pynet.h"
#include <math.h>
#include <string.h>

/* -------------------------------------------------------------- operands ---- */

int pn_operand_from(PyObject *o, pn_operand *out) {
    memset(out, 0, sizeof *out);
    if (PNTensor_Check(o)) {
        out->t = (PNTensor *)o;
        return 1;
    }
    if (PyBool_Check(o)) {
        out->kind = 0;
        out->i = o == Py_True;
        out->d = (double)out->i;
        return 1;
    }
    if (PyLong_Check(o)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) {
            PyErr_Format(PyExc_RuntimeError,
                         "value %R cannot be converted to int64 without "
                         "overflow",
                         o);
            return -1;
        }
        if (v == -1 && PyErr_Occurred()) return -1;
        out->kind = 1;
        out->i = v;
        out->d = (double)v;
        return 1;
    }
    if (PyFloat_Check(o)) {
        out->kind = 2;
        out->d = PyFloat_AS_DOUBLE(o);
        return 1;
    }
    /* NumPy scalars and other numbers: integers stay integers. */
    if (PyIndex_Check(o) && !PySequence_Check(o)) {
        PyObject *v = PyNumber_Index(o);
        if (!v) return -1;
        int r = pn_operand_from(v, out);
        Py_DECREF(v);
        return r;
    }
    if (PyNumber_Check(o) && !PySequence_Check(o) && Py_TYPE(o)->tp_as_number->nb_float) {
        double d = PyFloat_AsDouble(o);
        if (d == -1.0 && PyErr_Occurred()) return -1;
        out->kind = 2;
        out->d = d;
        return 1;
    }
    return 0;
}

static pn_dtype scalar_default_dtype(int kind) {
    return kind == 0 ? PN_BOOL : kind == 1 ? PN_INT64 : PN_FLOAT32;
}
static int dtype_category(pn_dtype dt) {
    return dt == PN_BOOL ? 0 : dt == PN_INT64 ? 1 : 2;
}

/* PyTorch's rule: tensors with dimensions decide, unless a 0-d tensor or a
 * Python number is of a higher category (bool < integer < float); then that
 * one decides (a Python number giving the category's default dtype). */
static pn_dtype result_type(const pn_operand *ops, int n) {
    int have_dim = 0, have_zero = 0, scalar_cat = -1;
    pn_dtype dim_dt = PN_BOOL, zero_dt = PN_BOOL;
    for (int k = 0; k < n; k++) {
        const pn_operand *o = &ops[k];
        if (!o->t) {
            if (o->kind > scalar_cat) scalar_cat = o->kind;
        } else if (o->t->ndim > 0) {
            dim_dt = have_dim ? pn_promote(dim_dt, o->t->dtype) : o->t->dtype;
            have_dim = 1;
        } else {
            zero_dt = have_zero ? pn_promote(zero_dt, o->t->dtype) : o->t->dtype;
            have_zero = 1;
        }
    }
    pn_dtype r;
    if (have_dim) {
        r = dim_dt;
        if (have_zero && dtype_category(zero_dt) > dtype_category(r)) r = zero_dt;
    } else if (have_zero) {
        r = zero_dt;
    } else {
        return scalar_default_dtype(scalar_cat < 0 ? 2 : scalar_cat);
    }
    if (scalar_cat > dtype_category(r)) r = scalar_default_dtype(scalar_cat);
    return r;
}

/* ------------------------------------------------------------ broadcasting ---- */

static int broadcast_shapes(int na, const int64_t *sa, int nb, const int64_t *sb, int *nout,
                            int64_t *out, const char *op) {
    int n = na > nb ? na : nb;
    for (int d = 0; d < n; d++) {
        int ia = d - (n - na), ib = d - (n - nb);
        int64_t x = ia >= 0 ? sa[ia] : 1, y = ib >= 0 ? sb[ib] : 1;
        if (x != y && x != 1 && y != 1) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s: The size of tensor a (%lld) must match the size of tensor b (%lld) "
                         "at non-singleton dimension %d",
                         op, (long long)x, (long long)y, d);
            return -1;
        }
        out[d] = x == 1 ? y : x;
    }
    *nout = n;
    return 0;
}

/* Byte strides that read t as if it had shape (ndim, shape): 0 along broadcast dims. */
static void broadcast_strides(const PNTensor *t, int ndim, int64_t *strides) {
    int64_t item = (int64_t)pn_itemsize(t->dtype);
    for (int d = 0; d < ndim; d++) {
        int it = d - (ndim - t->ndim);
        strides[d] = (it < 0 || t->shape[it] == 1) ? 0 : t->strides[it] * item;
    }
}

/* Run a 2-, 3- or 4-operand loop. ops[0] is the output; all shaped like out. */
static void run_loop(pn_loop_fn fn, const void *aux, int nop, PNTensor **ops, char **scalars,
                     int ndim, const int64_t *shape) {
    pn_iter it;
    char *data[PN_ITER_MAXOP];
    int64_t strides[PN_ITER_MAXOP][PN_MAX_DIMS];
    for (int k = 0; k < nop; k++) {
        if (ops[k]) {
            data[k] = ops[k]->data;
            broadcast_strides(ops[k], ndim, strides[k]);
        } else { /* a Python number: one value, stride 0 */
            data[k] = scalars[k];
            memset(strides[k], 0, sizeof strides[k]);
        }
    }
    pn_iter_init(&it, nop, data, ndim, shape, (const int64_t (*)[PN_MAX_DIMS])strides);
    if (it.numel > 65536) {
        Py_BEGIN_ALLOW_THREADS pn_iter_run(&it, fn, aux);
        Py_END_ALLOW_THREADS
    } else {
        pn_iter_run(&it, fn, aux);
    }
}

static void write_scalar(char *buf, pn_dtype dt, const pn_operand *o) {
    switch (dt) {
    case PN_BOOL:
        *(uint8_t *)buf = o->kind == 2 ? o->d != 0 : o->i != 0;
        break;
    case PN_INT64:
        *(int64_t *)buf = o->kind == 2 ? (int64_t)o->d : o->i;
        break;
    case PN_FLOAT32:
        *(float *)buf = (float)o->d;
        break;
    case PN_FLOAT64:
        *(double *)buf = o->d;
        break;
    default:
        break;
    }
}

/* An operand as the kernel wants it: a tensor in dtype dt (converted if needed,
 * new reference in *t), or a Python number written as one dt value into scalar. */
static int prepare_operand(const pn_operand *o, pn_dtype dt, PNTensor **t, char *scalar) {
    *t = NULL;
    if (!o->t) {
        write_scalar(scalar, dt, o);
        return 0;
    }
    *t = pn_to_dtype_nograd(o->t, dt);
    return *t ? 0 : -1;
}

/* ---------------------------------------------------------- copy and cast ---- */

/* Does writing dst elementwise clobber elements of src that are still to be read? */
static int overlaps(const PNTensor *dst, const PNTensor *src) {
    if (src->storage != dst->storage || src->numel == 0 || dst->numel == 0) return 0;
    if (src->data != dst->data || src->ndim != dst->ndim) return 1;
    for (int d = 0; d < src->ndim; d++)
        if (src->shape[d] != dst->shape[d] || src->strides[d] != dst->strides[d]) return 1;
    return 0; /* the very same elements, read then written one by one: safe */
}

int pn_copy_into(PNTensor *dst, PNTensor *src) {
    int nd;
    int64_t shape[PN_MAX_DIMS];
    /* x[i] = y[None]: leading size-1 dims of the source beyond dst's rank are dropped */
    int lead = 0;
    while (src->ndim - lead > dst->ndim && src->shape[lead] == 1) lead++;
    if (lead) {
        PNTensor *v = pn_alias(src, src->ndim - lead, src->shape + lead, src->strides + lead, 0);
        if (!v) return -1;
        int rc = pn_copy_into(dst, v);
        Py_DECREF(v);
        return rc;
    }
    if (broadcast_shapes(dst->ndim, dst->shape, src->ndim, src->shape, &nd, shape, "copy_") < 0)
        return -1;
    int same = nd == dst->ndim;
    for (int d = 0; same && d < nd; d++) same = shape[d] == dst->shape[d];
    if (!same) {
        char a[256], b[256];
        pn_format_shape(a, sizeof a, src->ndim, src->shape);
        pn_format_shape(b, sizeof b, dst->ndim, dst->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "copy: the source of shape %s cannot be broadcast to "
                     "the destination of shape %s",
                     a, b);
        return -1;
    }
    PNTensor *ops[2] = {dst, src};
    /* Overlapping source and destination (x[1:] = x[:-1], x.copy_(x.t())): copy the source first.
     */
    PNTensor *tmp = NULL;
    if (overlaps(dst, src)) {
        tmp = pn_empty(src->dtype, src->ndim, src->shape);
        if (!tmp) return -1;
        PNTensor *cops[2] = {tmp, src};
        run_loop(pn_cast_loop(src->dtype, src->dtype), NULL, 2, cops, NULL, src->ndim, src->shape);
        ops[1] = tmp;
    }
    run_loop(pn_cast_loop(dst->dtype, src->dtype), NULL, 2, ops, NULL, dst->ndim, dst->shape);
    Py_XDECREF(tmp);
    return 0;
}

int pn_fill(PNTensor *dst, double v) {
    char buf[8];
    pn_operand o = {.kind = 2, .d = v, .i = (int64_t)v};
    if (dst->dtype != PN_FLOAT32 && dst->dtype != PN_FLOAT64) {
        if (!isfinite(v) || v >= 9.2e18 || v <= -9.2e18) {
            PyErr_Format(PyExc_RuntimeError,
                         "value %g cannot be converted to type %s without "
                         "overflow",
                         v, pn_dtype_name(dst->dtype));
            return -1;
        }
        o.kind = 1;
    }
    write_scalar(buf, dst->dtype, &o);
    PNTensor *ops[1] = {dst};
    run_loop(pn_fill_loop(dst->dtype), buf, 1, ops, NULL, dst->ndim, dst->shape);
    return 0;
}

static PNTensor *copy_as(PNTensor *a, pn_dtype dt) {
    PNTensor *out = pn_empty(dt, a->ndim, a->shape);
    if (out && pn_copy_into(out, a) < 0) Py_CLEAR(out);
    return out;
}

static int cast_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)n;
    Py_INCREF(gout[0]); /* the engine casts it back to the input's dtype */
    gin[0] = gout[0];
    return 0;
}

PNTensor *pn_cast(PNTensor *a, pn_dtype dt) {
    PNTensor *out = copy_as(a, dt);
    if (!out) return NULL;
    if (pn_is_float(dt) && pn_is_float(a->dtype)) {
        pn_record(out, "ToCopyBackward0", cast_backward, 1, &a);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    return out;
}

PNTensor *pn_to_dtype(PNTensor *a, pn_dtype dt) {
    if (a->dtype == dt) {
        Py_INCREF(a);
        return a;
    }
    return pn_cast(a, dt);
}

static int clone_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)n;
    Py_INCREF(gout[0]);
    gin[0] = gout[0];
    return 0;
}

PNTensor *pn_clone(PNTensor *a) {
    PNTensor *out = copy_as(a, a->dtype);
    if (!out) return NULL;
    pn_record(out, "CloneBackward0", clone_backward, 1, &a);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

PNTensor *pn_contiguous(PNTensor *a) {
    if (pn_is_contiguous(a)) {
        Py_INCREF(a);
        return a;
    }
    return pn_clone(a);
}

PNTensor *pn_detach(PNTensor *a) {
    PNTensor *t = pn_alias(a, a->ndim, a->shape, a->strides, 0);
    if (t) Py_CLEAR(t->base);
    return t;
}

/* ---------------------------------------------------------------- binary ---- */

static const char *binary_names[PN_NBINARY] = {
    [PN_ADD] = "add",
    [PN_SUB] = "sub",
    [PN_MUL] = "mul",
    [PN_DIV] = "div",
    [PN_FLOORDIV] = "floor_divide",
    [PN_REM] = "remainder",
    [PN_POW] = "pow",
    [PN_MAXIMUM] = "maximum",
    [PN_MINIMUM] = "minimum",
    [PN_EQ] = "eq",
    [PN_NE] = "ne",
    [PN_LT] = "lt",
    [PN_LE] = "le",
    [PN_GT] = "gt",
    [PN_GE] = "ge",
    [PN_AND] = "bitwise_and",
    [PN_OR] = "bitwise_or",
    [PN_XOR] = "bitwise_xor",
    [PN_RELU_BACKWARD] = "threshold_backward",
    [PN_SIGMOID_BACKWARD] = "sigmoid_backward",
    [PN_TANH_BACKWARD] = "tanh_backward",
};

static void attach_binary_grad(pn_binary_op op, PNTensor *out, pn_operand *a, pn_operand *b);

/* The dtype the kernel computes in and the dtype of the result. */
static int binary_dtypes(pn_binary_op op, pn_operand *a, pn_operand *b, pn_dtype *compute,
                         pn_dtype *result) {
    pn_operand ops[2] = {*a, *b};
    pn_dtype dt = result_type(ops, 2);
    const char *name = binary_names[op];
    if (op == PN_DIV && !pn_is_float(dt)) dt = PN_FLOAT32; /* true division */
    pn_dtype rdt = pn_binary_is_comparison(op) ? PN_BOOL : dt;
    /* bool has no // % ** kernels: compute in int64 (bool ** bool stays bool, as in torch) */
    if (dt == PN_BOOL && (op == PN_FLOORDIV || op == PN_REM || op == PN_POW)) {
        dt = PN_INT64;
        rdt = op == PN_POW ? PN_BOOL : PN_INT64;
    }
    int a_bool = a->t ? a->t->dtype == PN_BOOL : a->kind == 0;
    int b_bool = b->t ? b->t->dtype == PN_BOOL : b->kind == 0;
    if (op == PN_SUB && (a_bool || b_bool)) { /* torch refuses any bool operand */
        PyErr_SetString(PyExc_RuntimeError,
                        "Subtraction, the `-` operator, with a bool tensor is not supported. "
                        "If you are trying to invert a mask, use the `~` or `logical_not()` "
                        "operator instead.");
        return -1;
    }
    if (!pn_binary_loop(op, dt)) {
        PyErr_Format(PyExc_RuntimeError, "\"%s\" not implemented for '%s'", name,
                     pn_dtype_name(dt));
        return -1;
    }
    *compute = dt;
    *result = rdt;
    return 0;
}

/* Integer // and % by zero, and integers to negative powers, are errors. */
static int check_integer_args(pn_binary_op op, pn_dtype dt, PNTensor *bt, const pn_operand *b) {
    if (dt != PN_INT64 || (op != PN_FLOORDIV && op != PN_REM && op != PN_POW)) return 0;
    int bad = 0;
    if (!bt) {
        bad = op == PN_POW ? b->i < 0 : b->i == 0;
    } else {
        PNTensor *c = pn_contiguous(bt);
        if (!c) return -1;
        const int64_t *v = (const int64_t *)c->data;
        for (int64_t k = 0; k < c->numel && !bad; k++) bad = op == PN_POW ? v[k] < 0 : v[k] == 0;
        Py_DECREF(c);
    }
    if (!bad) return 0;
    if (op == PN_POW)
        PyErr_SetString(PyExc_RuntimeError, "Integers to negative integer powers are not allowed.");
    else
        PyErr_SetString(PyExc_RuntimeError, "ZeroDivisionError"); /* what torch raises */
    return -1;
}

/* out = a op b; out_inplace is a (the in-place form) or NULL. */
static PNTensor *binary_impl(pn_binary_op op, pn_operand *a, pn_operand *b, PNTensor *inplace) {
    pn_dtype cdt, rdt;
    if (binary_dtypes(op, a, b, &cdt, &rdt) < 0) return NULL;
    const char *name = binary_names[op];
    int nd;
    int64_t shape[PN_MAX_DIMS];
    static const int64_t none[1] = {1};
    if (broadcast_shapes(a->t ? a->t->ndim : 0, a->t ? a->t->shape : none, b->t ? b->t->ndim : 0,
                         b->t ? b->t->shape : none, &nd, shape, name) < 0)
        return NULL;
    if (inplace) {
        int same = nd == inplace->ndim;
        for (int d = 0; same && d < nd; d++) same = shape[d] == inplace->shape[d];
        if (!same) {
            char s1[256], s2[256];
            pn_format_shape(s1, sizeof s1, inplace->ndim, inplace->shape);
            pn_format_shape(s2, sizeof s2, nd, shape);
            PyErr_Format(PyExc_RuntimeError,
                         "%s_: output with shape %s doesn't match the broadcast shape %s", name, s1,
                         s2);
            return NULL;
        }
        if ((pn_is_float(rdt) && !pn_is_float(inplace->dtype)) ||
            (rdt != PN_BOOL && inplace->dtype == PN_BOOL)) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s_: result type %s can't be cast to the desired output type %s", name,
                         pn_dtype_name(rdt), pn_dtype_name(inplace->dtype));
            return NULL;
        }
    }
    PNTensor *ta = NULL, *tb = NULL, *out = NULL;
    char sa[8], sb[8];
    if (prepare_operand(a, cdt, &ta, sa) < 0) return NULL;
    if (prepare_operand(b, cdt, &tb, sb) < 0) goto fail;
    if (check_integer_args(op, cdt, tb, b) < 0) goto fail; /* on b as the kernel will see it */
    /* x += x.t(): an input that overlaps the output differently is read from a copy */
    if (inplace && tb && overlaps(inplace, tb)) {
        PNTensor *c = pn_empty(tb->dtype, tb->ndim, tb->shape);
        if (!c || pn_copy_into(c, tb) < 0) {
            Py_XDECREF(c);
            goto fail;
        }
        Py_SETREF(tb, c);
    }
    /* The kernel writes its own dtype (bool for comparisons); anything else
     * (float32 += float64, bool ** bool via int64) is computed, then converted. */
    pn_dtype kdt = pn_binary_is_comparison(op) ? PN_BOOL : cdt;
    PNTensor *dst = inplace ? inplace : NULL;
    int direct = dst ? dst->dtype == kdt : rdt == kdt;
    out = direct && dst ? (Py_INCREF(dst), dst) : pn_empty(kdt, nd, shape);
    if (!out) goto fail;
    PNTensor *ops[3] = {out, ta, tb};
    char *scal[3] = {NULL, sa, sb};
    run_loop(pn_binary_loop(op, cdt), NULL, 3, ops, scal, nd, shape);
    Py_XDECREF(ta);
    Py_XDECREF(tb);
    if (!direct) {
        PNTensor *conv = dst ? (Py_INCREF(dst), dst) : pn_empty(rdt, nd, shape);
        int rc = conv ? pn_copy_into(conv, out) : -1;
        Py_DECREF(out);
        if (rc < 0) {
            Py_XDECREF(conv);
            return NULL;
        }
        out = conv;
    }
    return out;
fail:
    Py_XDECREF(ta);
    Py_XDECREF(tb);
    return NULL;
}

/* Differentiable ops record their node on the result. */
static PNTensor *binary_op(pn_binary_op op, pn_operand *a, pn_operand *b) {
    PNTensor *out = binary_impl(op, a, b, NULL);
    if (!out) return NULL;
    if (pn_grad_mode && pn_is_float(out->dtype) &&
        ((a->t && a->t->requires_grad) || (b->t && b->t->requires_grad))) {
        attach_binary_grad(op, out, a, b);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    return out;
}

PNTensor *pn_binary(pn_binary_op op, PyObject *a, PyObject *b) {
    pn_operand oa, ob;
    int ra = pn_operand_from(a, &oa);
    if (ra < 0) return NULL;
    int rb = pn_operand_from(b, &ob);
    if (rb < 0) return NULL;
    if (!ra || !rb) {
        PyObject *bad = ra ? b : a;
        PyErr_Format(PyExc_TypeError, "%s(): unsupported operand type %s", binary_names[op],
                     Py_TYPE(bad)->tp_name);
        return NULL;
    }
    return binary_op(op, &oa, &ob);
}

PNTensor *pn_binary_t(pn_binary_op op, PNTensor *a, PNTensor *b) {
    pn_operand oa = {.t = a}, ob = {.t = b};
    return binary_op(op, &oa, &ob);
}

PNTensor *pn_binary_s(pn_binary_op op, PNTensor *a, double s) {
    pn_operand oa = {.t = a}, ob = {.kind = 2, .d = s};
    return binary_op(op, &oa, &ob);
}

/* a op= b. With autograd involved, a's old value is cloned into the graph and
 * the result is written back, so the graph sees a fresh op (see pn_check_inplace
 * for what is refused). */
PyObject *pn_binary_inplace(pn_binary_op op, PNTensor *a, PyObject *b) {
    pn_operand oa = {.t = a}, ob;
    int r = pn_operand_from(b, &ob);
    if (r <= 0) {
        if (r == 0)
            PyErr_Format(PyExc_TypeError, "%s_(): unsupported operand type %s", binary_names[op],
                         Py_TYPE(b)->tp_name);
        return NULL;
    }
    if (pn_check_inplace(a, binary_names[op]) < 0) return NULL;
    int needs_grad = pn_grad_mode && (a->requires_grad || (ob.t && ob.t->requires_grad));
    if (!needs_grad) {
        PNTensor *out = binary_impl(op, &oa, &ob, a);
        return (PyObject *)out;
    }
    if (!pn_is_float(a->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s_: cannot write a gradient-requiring result into a "
                     "%s tensor",
                     binary_names[op], pn_dtype_name(a->dtype));
        return NULL;
    }
    PNTensor *old = pn_clone(a);
    if (!old) return NULL;
    pn_operand oold = {.t = old};
    PNTensor *res = binary_op(op, &oold, &ob);
    Py_DECREF(old);
    return pn_inplace_result(a, res);
}

PNTensor *pn_to_dtype_nograd(PNTensor *a, pn_dtype dt) {
    if (a->dtype == dt) {
        Py_INCREF(a);
        return a;
    }
    return copy_as(a, dt);
}

/* ------------------------------------------------------- binary backward ---- */

/* The scalar operand (if any) is stored in node->d[0], its position in i[0]. */
static PNTensor *operand_or_scalar(PNNode *n, int slot, int k, int *is_scalar, double *s) {
    *is_scalar = 0;
    if (n->i[0] == k + 1) { /* operand k was a Python number */
        *is_scalar = 1;
        *s = n->d[0];
        return NULL;
    }
    return pn_unpack(n, slot);
}

/* Both operands of a binary node: each a saved tensor (new reference) or a number. */
static int unpack_operands(PNNode *n, PNTensor **a, int *sca, double *sa, PNTensor **b, int *scb,
                           double *sb) {
    *a = operand_or_scalar(n, 0, 0, sca, sa);
    if (!*a && !*sca) return -1;
    *b = operand_or_scalar(n, 1, 1, scb, sb);
    if (!*b && !*scb) {
        Py_XDECREF(*a);
        return -1;
    }
    return 0;
}

static int add_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    if (n->next[0].fn) {
        Py_INCREF(g);
        gin[0] = g;
    }
    if (n->next[1].fn) {
        if (n->d[1] == 1.0) {
            Py_INCREF(g);
            gin[1] = g;
        } else if (!(gin[1] = pn_binary_s(PN_MUL, g, n->d[1]))) {
            return -1;
        }
    }
    return 0;
}

static int mul_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    for (int k = 0; k < 2; k++) {
        if (!n->next[k].fn) continue;
        int sc;
        double s;
        PNTensor *other = operand_or_scalar(n, 1 - k, 1 - k, &sc, &s);
        if (!other && !sc) return -1;
        gin[k] = sc ? pn_binary_s(PN_MUL, g, s) : pn_binary_t(PN_MUL, g, other);
        Py_XDECREF(other);
        if (!gin[k]) return -1;
    }
    return 0;
}

/* d(a/b)/da = 1/b;  d(a/b)/db = -a/b^2 */
static int div_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    int sca, scb;
    double sa = 0, sb = 0;
    PNTensor *a = NULL, *b = operand_or_scalar(n, 1, 1, &scb, &sb);
    if (!b && !scb) return -1;
    if (n->next[0].fn) {
        gin[0] = scb ? pn_binary_s(PN_MUL, g, 1.0 / sb) : pn_binary_t(PN_DIV, g, b);
        if (!gin[0]) goto fail;
    }
    if (n->next[1].fn) {
        a = operand_or_scalar(n, 0, 0, &sca, &sa);
        if (!a && !sca) goto fail;
        PNTensor *ga = sca ? pn_binary_s(PN_MUL, g, -sa) : pn_binary_t(PN_MUL, g, a);
        if (ga && !sca) Py_SETREF(ga, pn_unary(PN_NEG, ga));
        PNTensor *b2 = ga ? pn_binary_t(PN_MUL, b, b) : NULL;
        gin[1] = b2 ? pn_binary_t(PN_DIV, ga, b2) : NULL;
        Py_XDECREF(ga);
        Py_XDECREF(b2);
        if (!gin[1]) goto fail;
    }
    Py_XDECREF(a);
    Py_XDECREF(b);
    return 0;
fail:
    Py_XDECREF(a);
    Py_XDECREF(b);
    return -1;
}

/* x^y: dx = g * y * x^(y-1) (0 where y == 0);  dy = g * x^y * log(x) */
static int pow_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    int scx, scy;
    double sx = 0, sy = 0;
    PNTensor *x, *y;
    if (unpack_operands(n, &x, &scx, &sx, &y, &scy, &sy) < 0) return -1;
    int rc = -1;
    if (n->next[0].fn) { /* x is a tensor here */
        PNTensor *p, *t;
        if (scy) {
            if (sy == 0) {
                gin[0] = pn_zeros(g->dtype, g->ndim, g->shape);
                if (!gin[0]) goto out;
            } else {
                p = pn_binary_s(PN_POW, x, sy - 1);
                t = p ? pn_binary_s(PN_MUL, p, sy) : NULL;
                Py_XDECREF(p);
                gin[0] = t ? pn_binary_t(PN_MUL, g, t) : NULL;
                Py_XDECREF(t);
                if (!gin[0]) goto out;
            }
        } else {
            PNTensor *ym1 = pn_binary_s(PN_SUB, y, 1.0);
            p = ym1 ? pn_binary_t(PN_POW, x, ym1) : NULL;
            Py_XDECREF(ym1);
            t = p ? pn_binary_t(PN_MUL, p, y) : NULL;
            Py_XDECREF(p);
            PNTensor *gt = t ? pn_binary_t(PN_MUL, g, t) : NULL;
            Py_XDECREF(t);
            PNTensor *yz = gt ? pn_binary_s(PN_EQ, y, 0.0) : NULL;
            gin[0] = yz ? pn_where_t(yz, NULL, 0.0, gt) : NULL;
            Py_XDECREF(yz);
            Py_XDECREF(gt);
            if (!gin[0]) goto out;
        }
    }
    if (n->next[1].fn) { /* y is a tensor here */
        PNTensor *out = scx ? pn_binary_s_rev(PN_POW, sx, y) : pn_binary_t(PN_POW, x, y);
        PNTensor *lg;
        if (scx) {
            lg = out ? pn_binary_s(PN_MUL, out, log(sx)) : NULL;
        } else {
            PNTensor *l = out ? pn_unary(PN_LOG, x) : NULL;
            lg = l ? pn_binary_t(PN_MUL, out, l) : NULL;
            Py_XDECREF(l);
        }
        Py_XDECREF(out);
        gin[1] = lg ? pn_binary_t(PN_MUL, g, lg) : NULL;
        Py_XDECREF(lg);
        if (!gin[1]) goto out;
    }
    rc = 0;
out:
    Py_XDECREF(x);
    Py_XDECREF(y);
    return rc;
}

/* maximum: the gradient goes to the larger input, split evenly on ties. */
static int maxmin_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    int is_max = (int)n->i[1];
    int sca, scb;
    double sa = 0, sb = 0;
    PNTensor *a, *b;
    if (unpack_operands(n, &a, &sca, &sa, &b, &scb, &sb) < 0) return -1;
    int rc = -1;
    PNTensor *half = pn_binary_s(PN_MUL, g, 0.5);
    for (int k = 0; k < 2 && half; k++) {
        if (!n->next[k].fn) continue;
        /* x is this input, y the other; x wins where x > y (max) or x < y (min) */
        PNTensor *x = k == 0 ? a : b, *y = k == 0 ? b : a;
        int scy = k == 0 ? scb : sca;
        double sy = k == 0 ? sb : sa;
        pn_binary_op win = is_max ? PN_GT : PN_LT;
        PNTensor *wins = scy ? pn_binary_s(win, x, sy) : pn_binary_t(win, x, y);
        PNTensor *tie = scy ? pn_binary_s(PN_EQ, x, sy) : pn_binary_t(PN_EQ, x, y);
        PNTensor *h = (wins && tie) ? pn_where_t(tie, half, 0.0, NULL) : NULL;
        gin[k] = h ? pn_where_t(wins, g, 0.0, h) : NULL;
        Py_XDECREF(wins);
        Py_XDECREF(tie);
        Py_XDECREF(h);
        if (!gin[k]) goto out;
    }
    rc = half ? 0 : -1;
out:
    Py_XDECREF(half);
    Py_XDECREF(a);
    Py_XDECREF(b);
    return rc;
}

/* remainder(a, b) = a - floor(a/b) * b */
static int rem_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    if (n->next[0].fn) {
        Py_INCREF(g);
        gin[0] = g;
    }
    if (n->next[1].fn) {
        int sca, scb;
        double sa = 0, sb = 0;
        PNTensor *a, *b;
        if (unpack_operands(n, &a, &sca, &sa, &b, &scb, &sb) < 0) return -1;
        PNTensor *q = sca ? pn_binary_s_rev(PN_FLOORDIV, sa, b) : pn_binary_t(PN_FLOORDIV, a, b);
        PNTensor *gq = q ? pn_binary_t(PN_MUL, g, q) : NULL;
        gin[1] = gq ? pn_unary(PN_NEG, gq) : NULL;
        Py_XDECREF(q);
        Py_XDECREF(gq);
        Py_XDECREF(a);
        Py_XDECREF(b);
        if (!gin[1]) return -1;
    }
    return 0;
}

static int zero_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    for (int k = 0; k < n->n_next; k++)
        if (n->next[k].fn &&
            !(gin[k] = pn_zeros(n->meta[k].dtype, n->meta[k].ndim, n->meta[k].shape)))
            return -1;
    (void)gout;
    return 0;
}

static void attach_binary_grad(pn_binary_op op, PNTensor *out, pn_operand *a, pn_operand *b) {
    PNTensor *ins[2] = {a->t, b->t};
    const char *name;
    pn_apply_fn fn;
    int save_a = 0, save_b = 0;
    double alpha = 1.0;
    switch (op) {
    case PN_ADD:
        name = "AddBackward0", fn = add_backward;
        break;
    case PN_SUB:
        name = "SubBackward0", fn = add_backward, alpha = -1.0;
        break;
    case PN_MUL:
        name = "MulBackward0", fn = mul_backward, save_a = save_b = 1;
        break;
    case PN_DIV:
        name = "DivBackward0", fn = div_backward, save_a = save_b = 1;
        break;
    case PN_POW: /* torch numbers them: tensor ** number, tensor ** tensor, number ** tensor */
        name = !b->t ? "PowBackward0" : a->t ? "PowBackward1" : "PowBackward2";
        fn = pow_backward, save_a = save_b = 1;
        break;
    case PN_MAXIMUM:
        name = "MaximumBackward0", fn = maxmin_backward, save_a = save_b = 1;
        break;
    case PN_MINIMUM:
        name = "MinimumBackward0", fn = maxmin_backward, save_a = save_b = 1;
        break;
    case PN_REM:
        name = "RemainderBackward0", fn = rem_backward, save_a = save_b = 1;
        break;
    case PN_FLOORDIV:
        name = "FloorDivideBackward0", fn = zero_backward;
        break;
    default:
        return; /* comparisons and bit ops have no gradient */
    }
    PNNode *n = pn_record(out, name, fn, 2, ins);
    if (!n) return;
    n->d[1] = alpha;
    n->i[1] = op == PN_MAXIMUM;
    if (!a->t) n->i[0] = 1, n->d[0] = a->d;
    if (!b->t) n->i[0] = 2, n->d[0] = b->d;
    if (save_a && a->t && pn_save(n, 0, a->t, 0) < 0) return;
    if (save_b && b->t && pn_save(n, 1, b->t, 0) < 0) return;
}

/* s op t, for backward formulas with a number on the left. */
PNTensor *pn_binary_s_rev(pn_binary_op op, double s, PNTensor *t) {
    pn_operand oa = {.kind = 2, .d = s}, ob = {.t = t};
    return binary_op(op, &oa, &ob);
}

/* ----------------------------------------------------------------- where ---- */

static int where_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *c = pn_unpack(n, 0);
    if (!c) return -1;
    if (n->next[1].fn && !(gin[1] = pn_where_t(c, gout[0], 0.0, NULL))) goto fail;
    if (n->next[2].fn && !(gin[2] = pn_where_t(c, NULL, 0.0, gout[0]))) goto fail;
    Py_DECREF(c);
    return 0;
fail:
    Py_DECREF(c);
    return -1;
}

static PNTensor *where_impl(PNTensor *cond, pn_operand *a, pn_operand *b) {
    if (cond->dtype != PN_BOOL) {
        PyErr_Format(PyExc_RuntimeError,
                     "where expected condition to be a boolean tensor, but "
                     "got a tensor with dtype %s",
                     pn_dtype_name(cond->dtype));
        return NULL;
    }
    pn_operand ops[2] = {*a, *b};
    pn_dtype dt = result_type(ops, 2);
    int nd, nd2;
    int64_t s1[PN_MAX_DIMS], s2[PN_MAX_DIMS];
    static const int64_t none[1] = {1};
    if (broadcast_shapes(a->t ? a->t->ndim : 0, a->t ? a->t->shape : none, b->t ? b->t->ndim : 0,
                         b->t ? b->t->shape : none, &nd, s1, "where") < 0 ||
        broadcast_shapes(cond->ndim, cond->shape, nd, s1, &nd2, s2, "where") < 0)
        return NULL;
    PNTensor *ta = NULL, *tb = NULL, *out = NULL;
    char sa[8], sb[8];
    if (prepare_operand(a, dt, &ta, sa) < 0) return NULL;
    if (prepare_operand(b, dt, &tb, sb) < 0) goto out;
    out = pn_empty(dt, nd2, s2);
    if (!out) goto out;
    PNTensor *ops4[4] = {out, cond, ta, tb};
    char *scal[4] = {NULL, NULL, sa, sb};
    run_loop(pn_where_loop(dt), NULL, 4, ops4, scal, nd2, s2);
    if (pn_is_float(dt)) {
        PNTensor *ins[3] = {NULL, a->t, b->t};
        PNNode *n = pn_record(out, "WhereBackward0", where_backward, 3, ins);
        if (n && pn_save(n, 0, cond, 0) < 0) Py_CLEAR(out);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
out:
    Py_XDECREF(ta);
    Py_XDECREF(tb);
    return out;
}

/* where(cond, a, b) where a missing tensor means the number s. */
PNTensor *pn_where_t(PNTensor *cond, PNTensor *a, double s, PNTensor *b) {
    pn_operand oa = {.t = a, .kind = 2, .d = s}, ob = {.t = b, .kind = 2, .d = s};
    return where_impl(cond, &oa, &ob);
}

PNTensor *pn_where(PNTensor *cond, PyObject *a, PyObject *b) {
    pn_operand oa, ob;
    int ra = pn_operand_from(a, &oa), rb = ra > 0 ? pn_operand_from(b, &ob) : 0;
    if (ra < 0 || rb < 0) return NULL;
    if (!ra || !rb) {
        PyErr_SetString(PyExc_TypeError, "where(): expected tensors or numbers");
        return NULL;
    }
    return where_impl(cond, &oa, &ob);
}

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
};
static const char *unary_nodes[PN_NUNARY] = {
    [PN_NEG] = "NegBackward0",     [PN_ABS] = "AbsBackward0",
    [PN_EXP] = "ExpBackward0",     [PN_LOG] = "LogBackward0",
    [PN_SQRT] = "SqrtBackward0",   [PN_SIGMOID] = "SigmoidBackward0",
    [PN_TANH] = "TanhBackward0",   [PN_RELU] = "ReluBackward0",
    [PN_SIGN] = "SignBackward0",   [PN_RECIPROCAL] = "ReciprocalBackward0",
    [PN_SQUARE] = "PowBackward0",  [PN_SIN] = "SinBackward0",
    [PN_COS] = "CosBackward0",     [PN_LOG1P] = "Log1PBackward0",
    [PN_EXPM1] = "Expm1Backward0", [PN_FLOOR] = "FloorBackward0",
    [PN_CEIL] = "CeilBackward0",   [PN_ROUND] = "RoundBackward0",
    [PN_TRUNC] = "TruncBackward0",
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
        return 1;
    default:
        return 0;
    }
}
/* Whether backward needs the output (1) or the input (0). */
static int unary_saves_output(pn_unary_op op) {
    return op == PN_EXP || op == PN_SQRT || op == PN_SIGMOID || op == PN_TANH || op == PN_RELU ||
           op == PN_RECIPROCAL || op == PN_EXPM1;
}

static int unary_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    pn_unary_op op = (pn_unary_op)n->i[0];
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
    int graph = pn_grad_mode; /* create_graph: use differentiable compositions */
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
    case PN_SIGMOID:
        if (graph) { /* g * y * (1 - y) */
            t = pn_binary_s_rev(PN_SUB, 1.0, s);
            u = t ? pn_binary_t(PN_MUL, s, t) : NULL;
            r = u ? pn_binary_t(PN_MUL, g, u) : NULL;
        } else {
            r = pn_binary_t(PN_SIGMOID_BACKWARD, g, s);
        }
        break;
    case PN_TANH:
        if (graph) { /* g * (1 - y^2) */
            t = pn_binary_t(PN_MUL, s, s);
            u = t ? pn_binary_s_rev(PN_SUB, 1.0, t) : NULL;
            r = u ? pn_binary_t(PN_MUL, g, u) : NULL;
        } else {
            r = pn_binary_t(PN_TANH_BACKWARD, g, s);
        }
        break;
    case PN_RELU:
        if (graph) {
            t = pn_binary_s(PN_GT, s, 0.0);
            r = t ? pn_where_t(t, g, 0.0, NULL) : NULL;
        } else {
            r = pn_binary_t(PN_RELU_BACKWARD, g, s);
        }
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
    default:
        PyErr_SetString(PyExc_RuntimeError, "internal: unary op without a backward");
    }
    Py_XDECREF(t);
    Py_XDECREF(u);
    Py_DECREF(s);
    gin[0] = r;
    return r ? 0 : -1;
}

static PNTensor *unary_impl(pn_unary_op op, PNTensor *a, PNTensor *inplace) {
    pn_dtype dt = a->dtype;
    if (unary_float_only(op) && !pn_is_float(dt)) dt = PN_FLOAT32;
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
        PyErr_Format(PyExc_RuntimeError, "\"%s\" not implemented for '%s'", unary_names[op],
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
        run_loop(fn, NULL, 2, ops, NULL, a->ndim, a->shape);
    }
    Py_DECREF(src);
    return out;
}

PNTensor *pn_unary(pn_unary_op op, PNTensor *a) {
    PNTensor *out = unary_impl(op, a, NULL);
    if (!out || !pn_grad_mode || !a->requires_grad || !pn_is_float(out->dtype) || op == PN_NOT)
        return out;
    PNNode *n = pn_record(out, unary_nodes[op], unary_backward, 1, &a);
    if (n) {
        n->i[0] = op;
        if (op != PN_NEG && op != PN_SIGN && op != PN_FLOOR && op != PN_CEIL && op != PN_ROUND &&
            op != PN_TRUNC &&
            pn_save(n, 0, unary_saves_output(op) ? out : a, unary_saves_output(op)) < 0)
            Py_CLEAR(out);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

PyObject *pn_unary_inplace(pn_unary_op op, PNTensor *a) {
    if (pn_check_inplace(a, unary_names[op]) < 0) return NULL;
    if (!(pn_grad_mode && a->requires_grad)) return (PyObject *)unary_impl(op, a, a);
    PNTensor *old = pn_clone(a);
    if (!old) return NULL;
    PNTensor *res = pn_unary(op, old);
    Py_DECREF(old);
    return pn_inplace_result(a, res);
}

/* ----------------------------------------------------------------- clamp ---- */

/* The gradient passes where lo <= x <= hi (saved input x; bounds in d[]). */
static int clamp_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0);
    if (!x) return -1;
    PNTensor *lo = n->i[0] ? pn_binary_s(PN_GE, x, n->d[0]) : NULL;
    PNTensor *hi = n->i[1] ? pn_binary_s(PN_LE, x, n->d[1]) : NULL;
    Py_DECREF(x);
    PNTensor *mask = NULL;
    if ((!n->i[0] || lo) && (!n->i[1] || hi))
        mask = lo && hi ? pn_binary_t(PN_AND, lo, hi) : (Py_INCREF(lo ? lo : hi), lo ? lo : hi);
    Py_XDECREF(lo);
    Py_XDECREF(hi);
    if (!mask) return -1;
    gin[0] = pn_where_t(mask, gout[0], 0.0, NULL);
    Py_DECREF(mask);
    return gin[0] ? 0 : -1;
}

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
        dt = PN_FLOAT32;
    PNTensor *src = pn_to_dtype_nograd(a, dt);
    if (!src) return NULL;
    PNTensor *out = pn_empty(dt, a->ndim, a->shape);
    if (out) {
        PNTensor *ops[2] = {out, src};
        run_loop(pn_clamp_loop(dt), &c, 2, ops, NULL, a->ndim, a->shape);
        if (pn_is_float(dt)) {
            PNNode *n = pn_record(out, "ClampBackward1", clamp_backward, 1, &a);
            if (n) {
                n->d[0] = c.lo, n->d[1] = c.hi, n->i[0] = c.has_lo, n->i[1] = c.has_hi;
                if (pn_save(n, 0, a, 0) < 0) Py_CLEAR(out);
            }
            if (PyErr_Occurred()) Py_CLEAR(out);
        }
    }
    Py_DECREF(src);
    return out;
}
