/* ops/binary.c - + - * / ** // % max min comparisons and logical ops, and
 * where: type promotion, broadcasting, in-place forms, each op's backward.
 *
 * Forward: pick the result dtype (PyTorch's promotion rules), broadcast the
 * shapes, make every input the compute dtype, then let pn_iter run the
 * kernel's inner loop over the (possibly strided, broadcast) operands.
 * Backward of each op sits right under its forward, as a pn_apply_fn.
 */
#include "ops.h"
#include "../kernels/threadpool.h"
#include <string.h>
#include <math.h>

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
    [PN_ATAN2] = "atan2",
    [PN_FMOD] = "fmod",
    [PN_HYPOT] = "hypot",
    [PN_TRUNCDIV] = "div",
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
    pn_dtype dt = pn_result_type(ops, 2);
    const char *name = binary_names[op];
    /* true division; atan2 of integers (hypot of integers is an error) */
    if ((op == PN_DIV || op == PN_ATAN2) && !pn_is_float(dt)) dt = pn_default_float;
    pn_dtype rdt = pn_binary_is_comparison(op) ? PN_BOOL : dt;
    /* bool // % ** bool: not implemented, as in torch (bool ** 2 promotes to int64 first),
     * but for a bool tensor ** a bool number, computed in int64 and kept bool */
    if (dt == PN_BOOL && op == PN_POW && a->t && !b->t) {
        dt = PN_INT64;
        rdt = PN_BOOL;
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
        PyErr_Format(PyExc_NotImplementedError, "\"%s\" not implemented for '%s'", name,
                     pn_dtype_name(dt));
        return -1;
    }
    *compute = dt;
    *result = rdt;
    return 0;
}

/* Integer //, % and fmod by zero, and integers to a negative number power, are errors
 * (a tensor of negative exponents is not: torch truncates 1 / x^|y|). */
static int check_integer_args(pn_binary_op op, pn_dtype dt, PNTensor *bt, const pn_operand *b) {
    if (dt != PN_INT64 ||
        (op != PN_FLOORDIV && op != PN_TRUNCDIV && op != PN_REM && op != PN_FMOD && op != PN_POW))
        return 0;
    int bad = 0;
    if (!bt) {
        bad = op == PN_POW ? b->i < 0 : b->i == 0;
    } else {
        PNTensor *c = pn_contiguous(bt);
        if (!c) return -1;
        const int64_t *v = (const int64_t *)c->data;
        for (int64_t k = 0; k < c->numel && !bad && op != PN_POW; k++) bad = v[k] == 0;
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
    if (pn_broadcast_shapes(a->t ? a->t->ndim : 0, a->t ? a->t->shape : none, b->t ? b->t->ndim : 0,
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
    if (pn_prepare_operand(a, cdt, &ta, sa) < 0) return NULL;
    if (pn_prepare_operand(b, cdt, &tb, sb) < 0) goto fail;
    int64_t count = 1; /* an empty result divides nothing by zero (torch: no error) */
    for (int d = 0; d < nd; d++) count *= shape[d];
    if (count && check_integer_args(op, cdt, tb, b) < 0) goto fail; /* b as the kernel sees it */
    /* x += x.t(): an input that pn_overlaps the output differently is read from a copy */
    if (inplace && tb && pn_overlaps(inplace, tb)) {
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
    /* tensor ** number takes PyTorch's shortcuts (x ** 0.5 is sqrt(x)); see pn_binary_loop */
    const void *aux = op == PN_POW && !b->t ? (const void *)b : NULL;
    pn_run_loop(pn_binary_loop(op, cdt), aux, 3, ops, scal, nd, shape);
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
// a (*), b (*) (tensors or numbers) -> out (broadcast shape), result dtype
static PNTensor *binary_op(pn_binary_op op, pn_operand *a, pn_operand *b) {
    PNTensor *out = binary_impl(op, a, b, NULL);
    if (!out) return NULL;
    if (pn_grad_mode && pn_is_float(out->dtype) &&
        ((a->t && pn_requires_grad(a->t)) || (b->t && pn_requires_grad(b->t)))) {
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
    int needs_grad = pn_grad_mode && (pn_requires_grad(a) || (ob.t && pn_requires_grad(ob.t)));
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
    if (res && pn_binary_is_comparison(op)) { /* 0 and 1: the old values get no gradient */
        static const char *const names[2][6] = {{"EqBackward0", "NeBackward0", "LtBackward0",
                                                 "LeBackward0", "GtBackward0", "GeBackward0"},
                                                {"EqBackward1", "NeBackward1", "LtBackward1",
                                                 "LeBackward1", "GtBackward1", "GeBackward1"}};
        int rc = pn_overwrite(a, res, names[ob.t != NULL][op - PN_EQ]);
        Py_DECREF(res);
        return rc < 0 ? NULL : (Py_INCREF(a), (PyObject *)a);
    }
    return pn_inplace_result(a, res);
}

/* ------------------------------------------------------- binary backward ---- */

/* State of a binary op's node. At most one operand is a Python number: its
 * value is kept here (the tensor operands are saved tensors, slots 0 and 1). */
typedef struct {
    int scalar_pos; /* 0: both operands are tensors; 1 or 2: operand a or b is `scalar` */
    double scalar;
    double alpha; /* add/sub: out = a + alpha * b */
    int is_max;   /* maximum (1) or minimum (0) */
} binary_state;

static PNTensor *operand_or_scalar(PNNode *n, int slot, int k, int *is_scalar, double *s) {
    const binary_state *st = PN_STATE(n, binary_state);
    *is_scalar = 0;
    if (st->scalar_pos == k + 1) { /* operand k was a Python number */
        *is_scalar = 1;
        *s = st->scalar;
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

// y = a + alpha * b: da = g, db = alpha * g
static int add_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    double alpha = PN_STATE(n, binary_state)->alpha;
    PNTensor *g = gout[0];
    if (n->next[0].fn) {
        Py_INCREF(g);
        gin[0] = g;
    }
    if (n->next[1].fn) {
        if (alpha == 1.0) {
            Py_INCREF(g);
            gin[1] = g;
        } else if (!(gin[1] = pn_binary_s(PN_MUL, g, alpha))) {
            return -1;
        }
    }
    return 0;
}

// y = a * b: da = g * b, db = g * a
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

/* atan2's gradients by one kernel pass each (pn_atan2_backward_f32/_f64, the
 * composed ops' bits but for NaN signs) over contiguous copies of g, a and b of
 * one shape and dtype, split across the thread pool; as softmax's, only without
 * create_graph, so the formula below stays the differentiable one. The composed
 * form takes nine ops and as many temporaries: at 4M floats 33 ms at 1 thread and
 * 96 ms at 2 (their fresh pages faulted in on both cores), where the forward
 * takes 3. */
typedef struct {
    const char *g, *a, *b;
    char *da, *db;
    size_t es; /* element size */
} atan2_job;

static void atan2_backward_range(void *ctx, int64_t lo, int64_t hi) {
    const atan2_job *j = ctx;
    size_t o = (size_t)lo * j->es;
    char *da = j->da ? j->da + o : NULL, *db = j->db ? j->db + o : NULL;
    if (j->es == sizeof(float))
        pn_atan2_backward_f32((const float *)(j->g + o), (const float *)(j->a + o),
                              (const float *)(j->b + o), (float *)da, (float *)db, hi - lo);
    else
        pn_atan2_backward_f64((const double *)(j->g + o), (const double *)(j->a + o),
                              (const double *)(j->b + o), (double *)da, (double *)db, hi - lo);
}

/* Returns 1 when it does not apply (grad mode on: create_graph needs the ops; other
 * shapes or dtypes), else 0 (gin set for the wanted operands) or -1. */
static int atan2_backward_fused(PNTensor *g, PNTensor *a, PNTensor *b, int want_a, int want_b,
                                PNTensor **gin) {
    if (pn_grad_mode || !pn_is_float(g->dtype) || a->dtype != g->dtype || b->dtype != g->dtype ||
        a->ndim != g->ndim || b->ndim != g->ndim || !g->numel)
        return 1;
    for (int d = 0; d < g->ndim; d++)
        if (a->shape[d] != g->shape[d] || b->shape[d] != g->shape[d]) return 1;
    PNTensor *gc = pn_to_contiguous_nograd(g), *ac = gc ? pn_to_contiguous_nograd(a) : NULL;
    PNTensor *bc = ac ? pn_to_contiguous_nograd(b) : NULL;
    int ok = bc != NULL;
    if (ok && want_a) ok = (gin[0] = pn_empty(g->dtype, g->ndim, g->shape)) != NULL;
    if (ok && want_b) ok = (gin[1] = pn_empty(g->dtype, g->ndim, g->shape)) != NULL;
    if (ok) {
        atan2_job j = {gc->data,
                       ac->data,
                       bc->data,
                       want_a ? gin[0]->data : NULL,
                       want_b ? gin[1]->data : NULL,
                       pn_itemsize(g->dtype)};
        PN_NOGIL_BEGIN(g->numel)
        pn_parallel_for(g->numel, 1 << 15, atan2_backward_range, &j);
        PN_NOGIL_END
    }
    Py_XDECREF(gc), Py_XDECREF(ac), Py_XDECREF(bc);
    return ok ? 0 : -1;
}

/* d atan2(a, b) = (b da - a db) / (a^2 + b^2), in PyTorch's order of operations:
 * r = 1 / (a a + b b), then g b r and g (-a) r. Both operands are tensors (the
 * Python surface refuses numbers, as torch does). */
// y = atan2(a, b): da = g * b / (a^2 + b^2), db = -g * a / (a^2 + b^2)
static int atan2_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *a, *b, *g = gout[0];
    int sca, scb;
    double sa, sb;
    if (unpack_operands(n, &a, &sca, &sa, &b, &scb, &sb) < 0) return -1;
    if (sca || scb) {
        Py_XDECREF(a), Py_XDECREF(b);
        PyErr_SetString(PyExc_RuntimeError, "internal: atan2 recorded with a number operand");
        return -1;
    }
    int rc = atan2_backward_fused(g, a, b, n->next[0].fn != NULL, n->next[1].fn != NULL, gin);
    if (rc <= 0) {
        Py_DECREF(a), Py_DECREF(b);
        return rc;
    }
    PNTensor *aa = pn_binary_t(PN_MUL, a, a), *bb = pn_binary_t(PN_MUL, b, b);
    PNTensor *d = aa && bb ? pn_binary_t(PN_ADD, aa, bb) : NULL;
    PNTensor *rd = d ? pn_unary(PN_RECIPROCAL, d) : NULL;
    PNTensor *at0 = rd ? pn_binary_s(PN_EQ, d, 0.0) : NULL; /* (0, 0): gradient 0, as torch */
    PNTensor *r = at0 ? pn_where_t(at0, NULL, 0.0, rd) : NULL, *t = NULL, *na = NULL;
    Py_XDECREF(rd), Py_XDECREF(at0);
    int ok = r != NULL;
    if (ok && n->next[0].fn) {
        t = pn_binary_t(PN_MUL, g, b);
        ok = t && (gin[0] = pn_binary_t(PN_MUL, t, r)) != NULL;
        Py_CLEAR(t);
    }
    if (ok && n->next[1].fn) {
        na = pn_unary(PN_NEG, a);
        t = na ? pn_binary_t(PN_MUL, g, na) : NULL;
        ok = t && (gin[1] = pn_binary_t(PN_MUL, t, r)) != NULL;
    }
    Py_XDECREF(a), Py_XDECREF(b), Py_XDECREF(aa), Py_XDECREF(bb), Py_XDECREF(d);
    Py_XDECREF(r), Py_XDECREF(t), Py_XDECREF(na);
    return ok ? 0 : -1;
}

/* d(a/b)/da = 1/b;  d(a/b)/db = -a/b^2 */
// y = a / b: da = g / b, db = -g * a / b^2
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
        /* db = -g * ((a / b) / b), in PyTorch's order: a / (b * b) would overflow or
         * underflow b * b first (b = 1e-38 in float32 gave 0 / 0 = nan, not 0) */
        PNTensor *q = sca ? pn_binary_s_rev(PN_DIV, sa, b) : pn_binary_t(PN_DIV, a, b);
        PNTensor *q2 = q ? pn_binary_t(PN_DIV, q, b) : NULL;
        PNTensor *gq = q2 ? pn_binary_t(PN_MUL, g, q2) : NULL;
        gin[1] = gq ? pn_unary(PN_NEG, gq) : NULL;
        Py_XDECREF(q), Py_XDECREF(q2), Py_XDECREF(gq);
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

/* d(x^y)/dy = x^y * log(x), except where x == 0 and y >= 0: x^y is 0 or 1
 * there and log(0) = -inf, which gave -inf or nan. PyTorch defines the
 * derivative there as 0 (a learnable exponent after a ReLU must not poison
 * training), and so does pynet. x is a tensor, or the number sx when scx. */
static PNTensor *pow_exponent_factor(PNTensor *x, int scx, double sx, PNTensor *y) {
    PNTensor *out = scx ? pn_binary_s_rev(PN_POW, sx, y) : pn_binary_t(PN_POW, x, y);
    PNTensor *l = out && !scx ? pn_unary(PN_LOG, x) : NULL;
    PNTensor *lg = !out || (!scx && !l) ? NULL
                   : scx                ? pn_binary_s(PN_MUL, out, log(sx))
                                        : pn_binary_t(PN_MUL, out, l);
    Py_XDECREF(out);
    Py_XDECREF(l);
    if (!lg || (scx && sx != 0)) return lg;
    int prev = pn_set_grad_mode(0); /* the mask is data, not part of the graph */
    PNTensor *mask = pn_binary_s(PN_GE, y, 0.0);
    if (mask && !scx) {
        PNTensor *xz = pn_binary_s(PN_EQ, x, 0.0);
        Py_SETREF(mask, xz ? pn_binary_t(PN_AND, mask, xz) : NULL);
        Py_XDECREF(xz);
    }
    pn_set_grad_mode(prev);
    PNTensor *r = mask ? pn_where_t(mask, NULL, 0.0, lg) : NULL;
    Py_XDECREF(mask);
    Py_DECREF(lg);
    return r;
}

/* x^y: dx = g * y * x^(y-1) (0 where y == 0);  dy = g * x^y * log(x) (see above) */
// y = a ** b: da = g * b * a^(b-1), db = g * y * log(a)
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
        PNTensor *lg = pow_exponent_factor(x, scx, sx, y);
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

/* maximum: the gradient goes to the larger input, split evenly on ties. An
 * input gets nothing only where it lost: where a comparison with nan is false
 * both get g, as in PyTorch (the nan result came from both). */
// y = maximum(a, b): da = 0 where a < b, db = 0 where b < a, g/2 each on ties, else g
static int maxmin_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    int is_max = PN_STATE(n, binary_state)->is_max;
    int sca, scb;
    double sa = 0, sb = 0;
    PNTensor *a, *b;
    if (unpack_operands(n, &a, &sca, &sa, &b, &scb, &sb) < 0) return -1;
    int rc = -1;
    PNTensor *half = pn_binary_s(PN_MUL, g, 0.5);
    for (int k = 0; k < 2 && half; k++) {
        if (!n->next[k].fn) continue;
        /* x is this input, y the other; x loses where x < y (max) or x > y (min) */
        PNTensor *x = k == 0 ? a : b, *y = k == 0 ? b : a;
        int scy = k == 0 ? scb : sca;
        double sy = k == 0 ? sb : sa;
        pn_binary_op lose = is_max ? PN_LT : PN_GT;
        PNTensor *loses = scy ? pn_binary_s(lose, x, sy) : pn_binary_t(lose, x, y);
        PNTensor *tie = scy ? pn_binary_s(PN_EQ, x, sy) : pn_binary_t(PN_EQ, x, y);
        PNTensor *h = (loses && tie) ? pn_where_t(tie, half, 0.0, g) : NULL;
        gin[k] = h ? pn_where_t(loses, NULL, 0.0, h) : NULL;
        Py_XDECREF(loses);
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
// y = a % b = a - floor(a / b) * b: da = g, db = -g * floor(a / b)
static int quotient_backward(PNNode *n, PNTensor **gout, PNTensor **gin, int trunc) {
    PNTensor *g = gout[0];
    if (n->next[0].fn) {
        Py_INCREF(g);
        gin[0] = g;
    }
    if (n->next[1].fn) {
        int sca, scb;
        double sa = 0, sb = 0;
        PNTensor *a, *b, *q;
        if (unpack_operands(n, &a, &sca, &sa, &b, &scb, &sb) < 0) return -1;
        if (!trunc)
            q = sca ? pn_binary_s_rev(PN_FLOORDIV, sa, b) : pn_binary_t(PN_FLOORDIV, a, b);
        else if ((q = sca ? pn_binary_s_rev(PN_DIV, sa, b) : pn_binary_t(PN_DIV, a, b)))
            Py_SETREF(q, pn_unary(PN_TRUNC, q));
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
// y = a % b = a - floor(a / b) b: da = g, db = -g floor(a / b)
static int rem_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    return quotient_backward(n, gout, gin, 0);
}
// y = fmod(a, b) = a - trunc(a / b) b: da = g, db = -g trunc(a / b)
static int fmod_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    return quotient_backward(n, gout, gin, 1);
}

// y = hypot(a, b) = sqrt(a^2 + b^2): da = g a / y, db = g b / y
static int hypot_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *a, *b;
    int sca, scb;
    double sa, sb;
    if (unpack_operands(n, &a, &sca, &sa, &b, &scb, &sb) < 0) return -1;
    if (sca || scb) {
        Py_XDECREF(a), Py_XDECREF(b);
        PyErr_SetString(PyExc_RuntimeError, "internal: hypot recorded with a number operand");
        return -1;
    }
    PNTensor *y = pn_binary_t(PN_HYPOT, a, b);
    PNTensor *gy = y ? pn_binary_t(PN_DIV, gout[0], y) : NULL;
    int ok = gy != NULL;
    if (ok && n->next[0].fn) ok = (gin[0] = pn_binary_t(PN_MUL, gy, a)) != NULL;
    if (ok && n->next[1].fn) ok = (gin[1] = pn_binary_t(PN_MUL, gy, b)) != NULL;
    Py_XDECREF(a), Py_XDECREF(b), Py_XDECREF(y), Py_XDECREF(gy);
    return ok ? 0 : -1;
}

// y = a // b (piecewise constant): da = db = 0
static int zero_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    for (int k = 0; k < n->n_next; k++)
        if (n->next[k].fn &&
            !(gin[k] = pn_zeros(n->meta[k].dtype, n->meta[k].ndim, n->meta[k].shape)))
            return -1;
    (void)gout;
    return 0;
}

/* The fused backward kernels of sigmoid, tanh and relu are ops too: with
 * create_graph=True they record these nodes, so second derivatives go through
 * them. Saved: g (slot 0), y (slot 1). */

// z = sigmoid_backward(g, y) = g * y * (1 - y):
//     dg = sigmoid_backward(gz, y),  dy = gz * g * (1 - 2y)
static int sigmoid_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = pn_unpack(n, 0), *y = g ? pn_unpack(n, 1) : NULL, *t = NULL, *u = NULL;
    int rc = -1;
    if (!y) goto out;
    if (n->next[0].fn && !(gin[0] = pn_binary_t(PN_SIGMOID_BACKWARD, gout[0], y))) goto out;
    if (n->next[1].fn) {
        t = pn_binary_s(PN_MUL, y, -2.0);
        u = t ? pn_binary_s(PN_ADD, t, 1.0) : NULL;
        Py_XSETREF(t, u ? pn_binary_t(PN_MUL, gout[0], g) : NULL);
        if (!t || !(gin[1] = pn_binary_t(PN_MUL, t, u))) goto out;
    }
    rc = 0;
out:
    Py_XDECREF(g), Py_XDECREF(y), Py_XDECREF(t), Py_XDECREF(u);
    return rc;
}

// z = tanh_backward(g, y) = g * (1 - y^2):
//     dg = tanh_backward(gz, y),  dy = -2 * gz * g * y
static int tanh_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = pn_unpack(n, 0), *y = g ? pn_unpack(n, 1) : NULL, *t = NULL, *u = NULL;
    int rc = -1;
    if (!y) goto out;
    if (n->next[0].fn && !(gin[0] = pn_binary_t(PN_TANH_BACKWARD, gout[0], y))) goto out;
    if (n->next[1].fn) {
        t = pn_binary_t(PN_MUL, gout[0], g);
        u = t ? pn_binary_t(PN_MUL, t, y) : NULL;
        if (!u || !(gin[1] = pn_binary_s(PN_MUL, u, -2.0))) goto out;
    }
    rc = 0;
out:
    Py_XDECREF(g), Py_XDECREF(y), Py_XDECREF(t), Py_XDECREF(u);
    return rc;
}

// z = threshold_backward(g, y) = (y > 0 ? g : 0):
//     dg = threshold_backward(gz, y),  dy = 0 (the step is flat almost everywhere)
static int threshold_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *y = pn_unpack(n, 1);
    if (!y) return -1;
    if (n->next[0].fn) gin[0] = pn_binary_t(PN_RELU_BACKWARD, gout[0], y);
    Py_DECREF(y);
    if (n->next[0].fn && !gin[0]) return -1;
    if (n->next[1].fn && !(gin[1] = pn_zeros(n->meta[1].dtype, n->meta[1].ndim, n->meta[1].shape)))
        return -1;
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
    case PN_ATAN2:
        name = "Atan2Backward0", fn = atan2_backward, save_a = save_b = 1;
        break;
    case PN_REM:
        name = "RemainderBackward0", fn = rem_backward, save_a = save_b = 1;
        break;
    case PN_FMOD: /* torch numbers them: fmod(tensor, number), fmod(tensor, tensor) */
        name = b->t ? "FmodBackward1" : "FmodBackward0", fn = fmod_backward, save_a = save_b = 1;
        break;
    case PN_HYPOT:
        name = "HypotBackward0", fn = hypot_backward, save_a = save_b = 1;
        break;
    case PN_FLOORDIV:
        name = "FloorDivideBackward0", fn = zero_backward;
        break;
    case PN_TRUNCDIV: /* torch's DivBackward with rounding_mode: zero */
        name = "DivBackward2", fn = zero_backward;
        break;
    case PN_SIGMOID_BACKWARD:
        name = "SigmoidBackwardBackward0", fn = sigmoid_backward_backward, save_a = save_b = 1;
        break;
    case PN_TANH_BACKWARD:
        name = "TanhBackwardBackward0", fn = tanh_backward_backward, save_a = save_b = 1;
        break;
    case PN_RELU_BACKWARD:
        name = "ThresholdBackwardBackward0", fn = threshold_backward_backward, save_b = 1;
        break;
    default:
        return; /* comparisons and bit ops have no gradient */
    }
    PNNode *n = pn_record(out, name, fn, 2, ins);
    binary_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (!st) return;
    st->alpha = alpha;
    st->is_max = op == PN_MAXIMUM;
    if (!a->t) st->scalar_pos = 1, st->scalar = a->d;
    if (!b->t) st->scalar_pos = 2, st->scalar = b->d;
    if (save_a && a->t && pn_save(n, 0, a->t, 0) < 0) return;
    if (save_b && b->t && pn_save(n, 1, b->t, 0) < 0) return;
}

/* s op t, for backward formulas with a number on the left. */
PNTensor *pn_binary_s_rev(pn_binary_op op, double s, PNTensor *t) {
    pn_operand oa = {.kind = 2, .d = s}, ob = {.t = t};
    return binary_op(op, &oa, &ob);
}

/* ----------------------------------------------------------------- where ---- */

// y = where(cond, a, b): da = where(cond, g, 0), db = where(cond, 0, g)
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

// cond (*), a (*), b (*) -> out (broadcast shape)
static PNTensor *where_impl(PNTensor *cond, pn_operand *a, pn_operand *b) {
    if (cond->dtype != PN_BOOL) {
        PyErr_Format(PyExc_RuntimeError,
                     "where expected condition to be a boolean tensor, but "
                     "got a tensor with dtype %s",
                     pn_dtype_name(cond->dtype));
        return NULL;
    }
    pn_operand ops[2] = {*a, *b};
    pn_dtype dt = pn_result_type(ops, 2);
    int nd, nd2;
    int64_t s1[PN_MAX_DIMS], s2[PN_MAX_DIMS];
    static const int64_t none[1] = {1};
    if (pn_broadcast_shapes(a->t ? a->t->ndim : 0, a->t ? a->t->shape : none, b->t ? b->t->ndim : 0,
                            b->t ? b->t->shape : none, &nd, s1, "where") < 0 ||
        pn_broadcast_shapes(cond->ndim, cond->shape, nd, s1, &nd2, s2, "where") < 0)
        return NULL;
    PNTensor *ta = NULL, *tb = NULL, *out = NULL;
    char sa[8], sb[8];
    if (pn_prepare_operand(a, dt, &ta, sa) < 0) return NULL;
    if (pn_prepare_operand(b, dt, &tb, sb) < 0) goto out;
    out = pn_empty(dt, nd2, s2);
    if (!out) goto out;
    PNTensor *ops4[4] = {out, cond, ta, tb};
    char *scal[4] = {NULL, NULL, sa, sb};
    pn_run_loop(pn_where_loop(dt), NULL, 4, ops4, scal, nd2, s2);
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
