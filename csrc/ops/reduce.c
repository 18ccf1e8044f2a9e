/* ops/reduce.c - sum, mean, prod, max/min, argmax/argmin, var/std, logsumexp,
 * with their backward. Dimensions to reduce are a bitmask (bit d set: reduce
 * dimension d; 0 means every dimension). */
#include "compose.h"
#include <string.h>
#include <math.h>

int pn_parse_dims(PyObject *o, int ndim, uint32_t *mask, const char *op) {
    *mask = 0;
    if (!o || o == Py_None) return 0;
    PyObject *seq = PyIndex_Check(o) ? PyTuple_Pack(1, o)
                                     : PySequence_Fast(o, "dim must be an int or a tuple of ints");
    if (!seq) return -1;
    PyObject *fast = PySequence_Fast(seq, "dim must be an int or a tuple of ints");
    Py_DECREF(seq);
    if (!fast) return -1;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(fast); k++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, k);
        long long v =
            PyIndex_Check(item)
                ? PyLong_AsLongLong(item)
                : (PyErr_Format(PyExc_TypeError, "%s: dim must be an int or a tuple of ints", op),
                   -1);
        int d;
        if ((v == -1 && PyErr_Occurred()) || pn_wrap_dim(v, ndim, &d, op) < 0) {
            Py_DECREF(fast);
            return -1;
        }
        if (*mask & (1u << d)) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_RuntimeError,
                         "%s: dim %d appears multiple times in the list of "
                         "dims",
                         op, d);
            return -1;
        }
        *mask |= 1u << d;
    }
    Py_DECREF(fast);
    return 0;
}

static uint32_t full_mask(const PNTensor *a, uint32_t mask) {
    if (mask) return mask;
    return a->ndim ? (uint32_t)((1ull << a->ndim) - 1) : 0;
}

/* Shape of the result: reduced dims become 1 (keepdim) or disappear. */
static int reduced_shape(const PNTensor *a, uint32_t mask, int keepdim, int64_t *shape) {
    int nd = 0;
    for (int d = 0; d < a->ndim; d++) {
        if (mask & (1u << d)) {
            if (keepdim) shape[nd++] = 1;
        } else {
            shape[nd++] = a->shape[d];
        }
    }
    return nd;
}

/* Fold every element of a into its accumulator, times scale (mean's 1 / count:
 * applied to the float64 accumulator of a float32 sum, so that the mean is
 * rounded to float32 once, not as sum, 1 / count and their product); no autograd. */
// a (*) -> scale * acc (a's shape with the masked dims reduced), no autograd
static PNTensor *reduce_scaled(PNTensor *a, pn_reduce_op op, uint32_t mask, int keepdim,
                               pn_dtype out_dt, const char *name, double scale) {
    if ((op == PN_RMAX || op == PN_RMIN) && !mask && a->numel == 0) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s(): Expected reduction dim to be specified for input.numel() == 0. "
                     "Specify the reduction dim with the 'dim' argument.",
                     name);
        return NULL;
    }
    mask = full_mask(a, mask);
    if (op == PN_RMAX || op == PN_RMIN)
        for (int d = 0; d < a->ndim; d++)
            if ((mask & (1u << d)) && a->shape[d] == 0) {
                PyErr_Format(PyExc_IndexError,
                             "%s(): Expected reduction dim %d to have non-zero size.", name, d);
                return NULL;
            }
    pn_dtype acc_dt = pn_reduce_acc_dtype(op, a->dtype);
    if (scale != 1.0 && acc_dt != PN_FLOAT64) { /* mean takes float32 and float64 only */
        PyErr_Format(PyExc_RuntimeError, "%s(): no float64 accumulator to scale", name);
        return NULL;
    }
    /* The accumulators are laid out as the result (reduced dims dropped or kept as 1:
     * the same memory), so they are the result's own memory when the dtypes agree; a
     * float32 sum's float64 accumulators are a buffer, rounded into it after. */
    int narrow = acc_dt == PN_FLOAT64 && out_dt == PN_FLOAT32;
    int64_t shape[PN_MAX_DIMS], in_st[PN_MAX_DIMS];
    int nd = reduced_shape(a, mask, keepdim, shape);
    PNTensor *out = pn_empty(narrow ? out_dt : acc_dt, nd, shape);
    if (!out) return NULL;
    double one, *acc64 = !narrow           ? NULL
                         : out->numel <= 1 ? &one
                                           : PyMem_Malloc((size_t)out->numel * sizeof(double));
    if (narrow && !acc64) {
        Py_DECREF(out);
        return (PNTensor *)PyErr_NoMemory();
    }
    char *acc = narrow ? (char *)acc64 : out->data;
    for (int d = 0; d < a->ndim; d++) in_st[d] = a->strides[d] * (int64_t)pn_itemsize(a->dtype);
    PN_NOGIL_BEGIN(a->numel)
    pn_reduce_run(op, a->dtype, a->ndim, a->shape, mask, a->data, in_st, acc, scale);
    for (int64_t i = 0; narrow && i < out->numel; i++) ((float *)out->data)[i] = (float)acc64[i];
    PN_NOGIL_END
    if (acc64 != &one) PyMem_Free(acc64);
    if (!narrow && acc_dt != out_dt) {
        PNTensor *c = pn_empty(out_dt, out->ndim, out->shape);
        if (!c || pn_copy_into(c, out) < 0) Py_CLEAR(c);
        Py_SETREF(out, c);
    }
    return out;
}

static PNTensor *reduce_raw(PNTensor *a, pn_reduce_op op, uint32_t mask, int keepdim,
                            pn_dtype out_dt, const char *name) {
    return reduce_scaled(a, op, mask, keepdim, out_dt, name, 1.0);
}

/* g has the reduced shape; put back the reduced dims (size 1) and expand. */
static PNTensor *expand_back(PNTensor *g, const PNMeta *m, uint32_t mask, int keepdim) {
    int64_t kshape[PN_MAX_DIMS];
    for (int d = 0; d < m->ndim; d++) kshape[d] = (mask & (1u << d)) ? 1 : m->shape[d];
    PNTensor *k = keepdim ? (Py_INCREF(g), g) : pn_reshape(g, m->ndim, kshape);
    if (!k) return NULL;
    PNTensor *e = pn_expand(k, m->ndim, m->shape);
    Py_DECREF(k);
    return e;
}

/* State of every reduction's node: which dims were reduced, and how. */
typedef struct {
    uint32_t mask; /* bit d set: dimension d was reduced */
    int keepdim;
    double scale; /* sum and mean: 1 for sum, 1/N for mean */
    int dim;      /* max/min along a dim: that dim */
} reduce_state;

static reduce_state *record_reduce(PNNode *n, uint32_t mask, int keepdim, double scale) {
    reduce_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) st->mask = mask, st->keepdim = keepdim, st->scale = scale;
    return st;
}

// y = scale * x.sum(dims): dx = scale * g expanded back to x's shape
static int sum_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const reduce_state *st = PN_STATE(n, reduce_state);
    PNTensor *g = gout[0];
    PNTensor *e = expand_back(g, &n->meta[0], st->mask, st->keepdim);
    if (!e) return -1;
    if (st->scale != 1.0) Py_SETREF(e, pn_binary_s(PN_MUL, e, st->scale));
    gin[0] = e;
    return e ? 0 : -1;
}

// a (*) -> sum over the masked dims (kept as size 1 with keepdim)
PNTensor *pn_sum(PNTensor *a, uint32_t mask, int keepdim, int has_dtype, pn_dtype dt) {
    if (!has_dtype) dt = pn_is_float(a->dtype) ? a->dtype : PN_INT64;
    /* dtype= casts each element first, as PyTorch (float -> int64 truncates before adding) */
    PNTensor *src = pn_to_dtype(a, has_dtype && dt != PN_BOOL ? dt : a->dtype);
    if (!src) return NULL;
    const char *name = mask ? "SumBackward1" : "SumBackward0"; /* sum(dim) / sum() */
    mask = full_mask(src, mask);
    PNTensor *out = reduce_raw(src, PN_RSUM, mask, keepdim, dt, "sum");
    if (out && pn_is_float(dt)) {
        PNNode *n = pn_record(out, name, sum_backward, 1, &src);
        record_reduce(n, mask, keepdim, 1.0);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_DECREF(src);
    return out;
}

// a (*) -> mean over the masked dims = sum / count
PNTensor *pn_mean(PNTensor *a, uint32_t mask, int keepdim) {
    if (!pn_is_float(a->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "mean(): could not infer output dtype. Input dtype must be either a floating "
                     "point or complex dtype. Got: %s",
                     pn_dtype_name(a->dtype));
        return NULL;
    }
    const char *name = mask ? "MeanBackward1" : "MeanBackward0";
    mask = full_mask(a, mask);
    int64_t count = 1;
    for (int d = 0; d < a->ndim; d++)
        if (mask & (1u << d)) count *= a->shape[d];
    double scale = count ? 1.0 / (double)count : NAN;
    PNTensor *out = reduce_scaled(a, PN_RSUM, mask, keepdim, a->dtype, "mean", scale);
    if (!out) return NULL;
    PNNode *n = pn_record(out, name, sum_backward, 1, &a);
    record_reduce(n, mask, keepdim, scale);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* prod: d/dx_i = product of the others. With no zero that is out / x_i; with
 * exactly one zero only that position gets the product of the rest; with two
 * or more every gradient is zero. */
// y = prod(x): dx_i = g * prod_{j != i} x_j
static int prod_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    uint32_t mask = PN_STATE(n, reduce_state)->mask;
    int keepdim = PN_STATE(n, reduce_state)->keepdim;
    PNTensor *x = pn_unpack(n, 0), *out = x ? pn_unpack(n, 1) : NULL;
    if (!out) {
        Py_XDECREF(x);
        return -1;
    }
    PNTensor *g = expand_back(gout[0], &n->meta[0], mask, keepdim);
    PNTensor *o = g ? expand_back(out, &n->meta[0], mask, keepdim) : NULL;
    PNTensor *iszero = o ? pn_binary_s(PN_EQ, x, 0.0) : NULL;
    PNTensor *nz = iszero ? pn_where_t(iszero, NULL, 1.0, x) : NULL;
    PNTensor *pnz = NULL, *cnt = NULL, *one = NULL, *pz = NULL, *q = NULL, *sel = NULL;
    if (nz) {
        pnz = pn_prod_mask(nz, mask, 1);
        cnt = pnz ? reduce_raw(iszero, PN_RSUM, mask, 1, PN_INT64, "prod") : NULL;
    }
    if (cnt) {
        int prev = pn_set_grad_mode(0);
        one = pn_binary_s(PN_EQ, cnt, 1.0);
        pn_set_grad_mode(prev);
    }
    pz = one ? pn_where_t(one, pnz, 0.0, NULL) : NULL;
    q = pz ? pn_binary_t(PN_DIV, o, x) : NULL;
    sel = q ? pn_where_t(iszero, pz, 0.0, q) : NULL;
    gin[0] = sel ? pn_binary_t(PN_MUL, g, sel) : NULL;
    Py_XDECREF(x), Py_XDECREF(out), Py_XDECREF(g), Py_XDECREF(o), Py_XDECREF(iszero);
    Py_XDECREF(nz), Py_XDECREF(pnz), Py_XDECREF(cnt), Py_XDECREF(one), Py_XDECREF(pz);
    Py_XDECREF(q), Py_XDECREF(sel);
    return gin[0] ? 0 : -1;
}

// a (*) -> product over the masked dims
PNTensor *pn_prod_mask(PNTensor *a, uint32_t mask, int keepdim) {
    pn_dtype dt = pn_is_float(a->dtype) ? a->dtype : PN_INT64;
    mask = full_mask(a, mask);
    PNTensor *out = reduce_raw(a, PN_RPROD, mask, keepdim, dt, "prod");
    if (out && pn_is_float(dt)) {
        PNNode *n = pn_record(out, "ProdBackward1", prod_backward, 1, &a);
        if (record_reduce(n, mask, keepdim, 1.0) && pn_save(n, 0, a, 0) == 0) pn_save(n, 1, out, 1);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    return out;
}

PNTensor *pn_prod(PNTensor *a, int dim, int keepdim) {
    return pn_prod_mask(a, dim < 0 ? 0 : 1u << dim, keepdim);
}

/* amax/amin: the gradient is shared evenly by the elements equal to the result, as
 * PyTorch's (g / count) * mask, so a NaN result (no element equals it) gives NaN. max()
 * and min() over everything (nan_picks) take the NaN elements as the ones equal to a NaN
 * result, as PyTorch's MaxBackward1. */
// y = amax(x): dx = g / count where x == y, else 0
static int extreme_backward(PNNode *n, PNTensor **gout, PNTensor **gin, int nan_picks) {
    uint32_t mask = PN_STATE(n, reduce_state)->mask;
    int keepdim = PN_STATE(n, reduce_state)->keepdim;
    scope s = {.n = 0};
    PNTensor *x = keep(&s, pn_unpack(n, 0)), *out = x ? keep(&s, pn_unpack(n, 1)) : NULL;
    PNTensor *o = out ? keep(&s, expand_back(out, &n->meta[0], mask, keepdim)) : NULL;
    int prev = pn_set_grad_mode(0);
    PNTensor *eq = B(&s, PN_EQ, x, o);
    double v = !out || out->numel != 1    ? 0
               : out->dtype == PN_FLOAT32 ? *(const float *)out->data
                                          : *(const double *)out->data;
    if (eq && nan_picks && isnan(v)) eq = B(&s, PN_NE, x, x); /* the NaN elements */
    PNTensor *cnt = keep(&s, eq ? reduce_raw(eq, PN_RSUM, mask, 1, gout[0]->dtype, "amax") : NULL);
    PNTensor *m = keep(&s, eq ? pn_to_dtype(eq, gout[0]->dtype) : NULL);
    pn_set_grad_mode(prev);
    PNTensor *g = cnt ? keep(&s, expand_back(gout[0], &n->meta[0], mask, keepdim)) : NULL;
    gin[0] = give(&s, B(&s, PN_MUL, B(&s, PN_DIV, g, cnt), m));
    return gin[0] ? 0 : -1;
}
static int amax_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    return extreme_backward(n, gout, gin, 0);
}
static int max_all_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    return extreme_backward(n, gout, gin, 1);
}

// a (*) -> max (or min) over the masked dims; all_dims: max() / min() (MaxBackward1)
static PNTensor *extreme(PNTensor *a, uint32_t mask, int keepdim, int is_max, int all_dims) {
    const char *name = is_max ? "amax" : "amin";
    PNTensor *out = reduce_raw(a, is_max ? PN_RMAX : PN_RMIN, mask, keepdim, a->dtype, name);
    if (out && pn_is_float(a->dtype)) {
        const char *node = all_dims ? (is_max ? "MaxBackward1" : "MinBackward1")
                                    : (is_max ? "AmaxBackward0" : "AminBackward0");
        PNNode *n = pn_record(out, node, all_dims ? max_all_backward : amax_backward, 1, &a);
        if (record_reduce(n, full_mask(a, mask), keepdim, 1.0) && pn_save(n, 0, a, 0) == 0)
            pn_save(n, 1, out, 1);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    return out;
}
PNTensor *pn_amax(PNTensor *a, uint32_t mask, int keepdim, int is_max) {
    return extreme(a, mask, keepdim, is_max, 0);
}
PNTensor *pn_max_all(PNTensor *a, int is_max) {
    return extreme(a, 0, 0, is_max, 1);
}

/* ------------------------------------------------------------ max(dim) ---- */

/* Run a row kernel: for each position of `outs` (shape of a with `dim` kept
 * as size 1), walk the row of a along dim. */
void pn_run_rows(pn_loop_fn fn, PNTensor *a, int dim, int nout, PNTensor **outs) {
    pn_row_args r = {a->ndim ? a->shape[dim] : 1,
                     a->ndim ? a->strides[dim] * (int64_t)pn_itemsize(a->dtype) : 0, 0};
    int64_t shape[PN_MAX_DIMS];
    int64_t st[PN_ITER_MAXOP][PN_MAX_DIMS];
    char *data[PN_ITER_MAXOP];
    int nop = nout + 1;
    for (int d = 0; d < a->ndim; d++) shape[d] = d == dim ? 1 : a->shape[d];
    for (int k = 0; k < nout; k++) {
        data[k] = outs[k]->data;
        for (int d = 0; d < a->ndim; d++)
            st[k][d] = outs[k]->strides[d] * (int64_t)pn_itemsize(outs[k]->dtype);
    }
    if (a->ndim) /* outs[0]'s row step (kernels with a one-value output ignore it) */
        r.out_stride = outs[0]->strides[dim] * (int64_t)pn_itemsize(outs[0]->dtype);
    data[nout] = a->data;
    for (int d = 0; d < a->ndim; d++) st[nout][d] = a->strides[d] * (int64_t)pn_itemsize(a->dtype);
    pn_iter it;
    pn_iter_init(&it, nop, data, a->ndim, shape, (const int64_t (*)[PN_MAX_DIMS])st);
    /* each position walks a whole row: split the rows across threads by work */
    PN_NOGIL_BEGIN(a->numel)
    pn_iter_run_weighted(&it, fn, &r, r.n);
    PN_NOGIL_END
}

/* values[..] = a[.., idx, ..]: the gradient goes to the index positions. */
// values, indices = x.max(dim): dx = zeros with g scattered at indices
static int max_dim_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const reduce_state *st = PN_STATE(n, reduce_state);
    int dim = st->dim, keepdim = st->keepdim;
    const PNMeta *m = &n->meta[0];
    PNTensor *idx = pn_unpack(n, 0);
    if (!idx) return -1;
    if (!keepdim && m->ndim) Py_SETREF(idx, pn_unsqueeze(idx, dim));
    PNTensor *g =
        idx ? (keepdim || !m->ndim ? (Py_INCREF(gout[0]), gout[0]) : pn_unsqueeze(gout[0], dim))
            : NULL;
    /* positions along dim: arange shaped (1, .., n, .., 1) */
    int64_t len = m->ndim ? m->shape[dim] : 1;
    int64_t ashape[PN_MAX_DIMS];
    for (int d = 0; d < m->ndim; d++) ashape[d] = d == dim ? len : 1;
    PNTensor *ar = g ? pn_empty(PN_INT64, m->ndim, ashape) : NULL;
    PNTensor *hit = NULL;
    if (ar) {
        for (int64_t k = 0; k < len; k++) ((int64_t *)ar->data)[k] = k;
        hit = pn_binary_t(PN_EQ, ar, idx);
    }
    gin[0] = hit ? pn_where_t(hit, g, 0.0, NULL) : NULL;
    Py_XDECREF(idx), Py_XDECREF(g), Py_XDECREF(ar), Py_XDECREF(hit);
    return gin[0] ? 0 : -1;
}

// a (.., n, ..) -> values, indices (.., ..) along dim
int pn_max_dim(PNTensor *a, int dim, int keepdim, int is_max, PNTensor **values,
               PNTensor **indices) {
    const char *name = is_max ? "max" : "min";
    if (a->ndim && a->shape[dim] == 0) {
        PyErr_Format(PyExc_IndexError, "%s(): Expected reduction dim %d to have non-zero size.",
                     name, dim);
        return -1;
    }
    int64_t kshape[PN_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++) kshape[d] = d == dim ? 1 : a->shape[d];
    PNTensor *v = pn_empty(a->dtype, a->ndim, kshape);
    PNTensor *ix = v ? pn_empty(PN_INT64, a->ndim, kshape) : NULL;
    if (!ix) {
        Py_XDECREF(v);
        return -1;
    }
    int64_t inner = 1;
    for (int d = dim + 1; d < a->ndim; d++) inner *= a->shape[d];
    if (inner > 1 && pn_is_contiguous(a)) { /* columns as vector lanes, rows read in order */
        int64_t n = a->shape[dim], outer = n ? a->numel / (n * inner) : 0;
        PN_NOGIL_BEGIN(a->numel)
        pn_argreduce_cols(is_max, a->dtype, a->data, outer, n, inner, v->data, (int64_t *)ix->data);
        PN_NOGIL_END
    } else {
        PNTensor *outs[2] = {ix, v};
        pn_run_rows(pn_argreduce_loop(is_max, a->dtype), a, dim, 2, outs);
    }
    if (!keepdim && a->ndim) {
        Py_SETREF(v, pn_squeeze(v, dim));
        if (v) Py_SETREF(ix, pn_squeeze(ix, dim));
        if (!v || !ix) {
            Py_XDECREF(v);
            Py_XDECREF(ix);
            return -1;
        }
        pn_forget_base(v);
        pn_forget_base(ix);
    }
    if (pn_is_float(a->dtype)) {
        PNNode *n = pn_record(v, is_max ? "MaxBackward0" : "MinBackward0", max_dim_backward, 1, &a);
        reduce_state *st = record_reduce(n, 1u << dim, keepdim, 1.0);
        if (st) {
            st->dim = dim;
            pn_save(n, 0, ix, 0);
        }
        if (PyErr_Occurred()) goto fail;
    }
    *values = v;
    *indices = ix;
    return 0;
fail:
    Py_DECREF(v);
    Py_DECREF(ix);
    return -1;
}

/* ------------------------------------------------------------- var, std ---- */

/* std = sqrt(var). sqrt's derivative 1 / (2 std) is infinite where std == 0
 * (a constant input), and infinity times var's zero derivative is nan.
 * PyTorch defines the gradient there as 0, and so does this node: it takes
 * the place of sqrt's, with the zero-std entries masked. Written with the
 * differentiable ops, so create_graph records it. */
static int std_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    if (!n->next[0].fn) return 0;
    PNTensor *s = pn_unpack(n, 0); /* the output std */
    if (!s) return -1;
    int prev = pn_set_grad_mode(0);
    PNTensor *zero = pn_binary_s(PN_EQ, s, 0.0);
    pn_set_grad_mode(prev);
    PNTensor *twice = zero ? pn_binary_s(PN_MUL, s, 2.0) : NULL;
    PNTensor *q = twice ? pn_binary_t(PN_DIV, gout[0], twice) : NULL;
    gin[0] = q ? pn_where_t(zero, NULL, 0.0, q) : NULL;
    Py_DECREF(s);
    Py_XDECREF(zero), Py_XDECREF(twice), Py_XDECREF(q);
    return gin[0] ? 0 : -1;
}

// var (*) -> std = sqrt(var), recording StdBackward0 (see std_backward)
static PNTensor *std_of_var(PNTensor *v) {
    int prev = pn_set_grad_mode(0);
    PNTensor *s = pn_unary(PN_SQRT, v);
    pn_set_grad_mode(prev);
    if (!s) return NULL;
    PNNode *n = pn_record(s, "StdBackward0", std_backward, 1, &v);
    if (n) pn_save(n, 0, s, 1);
    if (PyErr_Occurred()) Py_CLEAR(s);
    return s;
}

static PNTensor *var_impl(PNTensor *a, uint32_t mask, int keepdim, double correction, int take_sqrt,
                          int warn);

/* float32 var/std whose squares overflowed (|x - mean| above 1.8e19) though the result
 * may be a float (or a float32 var beyond float32, whose std is not): its values again
 * in double, rounded once (as torch's accumulation), written into v's memory (v is a
 * new contiguous tensor; the graph recorded on it, whose gradient formulas are fine in
 * float, is kept) */
static int var_values_in_double(PNTensor *v, PNTensor *a, uint32_t mask, int keepdim,
                                double correction, int take_sqrt) {
    const float *p = (const float *)v->data;
    int64_t k = 0;
    while (k < v->numel && isfinite(p[k])) k++;
    if (k == v->numel) return 0;
    int prev = pn_set_grad_mode(0);
    PNTensor *a64 = pn_to_dtype(a, PN_FLOAT64);
    PNTensor *v64 = a64 ? var_impl(a64, mask, keepdim, correction, take_sqrt, 0) : NULL;
    PNTensor *v32 = v64 ? pn_to_dtype(v64, PN_FLOAT32) : NULL;
    pn_set_grad_mode(prev);
    if (v32) memcpy(v->data, v32->data, (size_t)v->numel * sizeof(float));
    Py_XDECREF(a64), Py_XDECREF(v64), Py_XDECREF(v32);
    return v32 ? 0 : -1;
}

/* s / denom, or s / 0 (inf, or nan for s = 0) where no degrees of freedom are left
 * (denom <= 0), as in PyTorch; written as a product so no division by zero is made */
static double var_divide(double s, double denom) {
    return denom > 0 ? s / denom : s * INFINITY;
}

// a (*) -> var over the masked dims, any layout, no autograd: two passes of ops,
// mean first, then the mean squared deviation (stable)
static PNTensor *var_composite(PNTensor *a, uint32_t mask, int keepdim, double denom) {
    PNTensor *m = pn_mean(a, mask, 1);
    PNTensor *dev = m ? pn_binary_t(PN_SUB, a, m) : NULL;
    PNTensor *sq = dev ? pn_binary_t(PN_MUL, dev, dev) : NULL;
    PNTensor *s = sq ? pn_sum(sq, mask, keepdim, 0, a->dtype) : NULL;
    PNTensor *v = !s          ? NULL
                  : denom > 0 ? pn_binary_s(PN_MUL, s, 1.0 / denom)
                              : pn_binary_s(PN_DIV, s, 0.0);
    Py_XDECREF(m), Py_XDECREF(dev), Py_XDECREF(sq), Py_XDECREF(s);
    return v;
}

// a (R, C as its leading and reduced trailing dims, contiguous) -> var (R), no autograd:
// pn_var_rows's mean and squared deviations in double, with no temporaries, divided and
// rounded once. NULL without an exception when a is not laid out so (or is empty).
static PNTensor *var_rows(PNTensor *a, uint32_t mask, int keepdim, double denom) {
    int k = a->ndim;
    while (k > 0 && (mask & (1u << (k - 1)))) k--;
    if (!a->numel || !a->ndim || (mask & ((1u << k) - 1)) || !pn_is_contiguous(a)) return NULL;
    int64_t R = 1, C = 1, shape[PN_MAX_DIMS];
    for (int d = 0; d < a->ndim; d++) *(d < k ? &R : &C) *= a->shape[d];
    PNTensor *v = pn_empty(a->dtype, reduced_shape(a, mask, keepdim, shape), shape);
    double *buf = v ? PyMem_Malloc((size_t)R * 2 * sizeof(double)) : NULL;
    if (!buf) {
        if (v) PyErr_NoMemory();
        Py_XDECREF(v);
        return NULL;
    }
    int rc;
    PN_NOGIL_BEGIN(a->numel)
    rc = pn_var_rows(a->dtype, a->data, R, C, buf, buf + R);
    for (int64_t r = 0; rc == PN_OK && r < R; r++) {
        double q = var_divide(buf[R + r], denom);
        if (a->dtype == PN_FLOAT32)
            ((float *)v->data)[r] = (float)q;
        else
            ((double *)v->data)[r] = q;
    }
    PN_NOGIL_END
    PyMem_Free(buf);
    if (rc != PN_OK) {
        PyErr_NoMemory();
        Py_CLEAR(v);
    }
    return v;
}

/* The state of var's node: the reduced dims and the divisor. */
typedef struct {
    uint32_t mask;
    int keepdim;
    int all;      /* var() without dims (or of a 0-d tensor) */
    double denom; /* count - correction (<= 0: no degrees of freedom) */
} var_state;

// v = sum((x - mean(x))^2) / denom over the masked dims:  dx = g * 2 (x - mean(x)) / denom
// (with the differentiable ops, so create_graph records it; the mean is taken again).
// As PyTorch where no degrees of freedom are left: with dims, 2 / denom as it is (inf
// for 0, negative below); without, g * (nan where x == mean, inf elsewhere).
static int var_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const var_state *st = PN_STATE(n, var_state);
    PNTensor *x = pn_unpack(n, 0);
    if (!x) return -1;
    int inf_nan = st->all && st->denom <= 0;
    PNTensor *m = pn_mean(x, st->mask, 1);
    PNTensor *d = !m ? NULL : inf_nan ? pn_binary_t(PN_NE, x, m) : pn_binary_t(PN_SUB, x, m);
    PNTensor *e = d ? expand_back(gout[0], &n->meta[0], st->mask, st->keepdim) : NULL;
    PNTensor *s = NULL;
    if (e && inf_nan) {
        PNTensor *f = pn_binary_s(PN_DIV, d, 0.0); /* (x != mean) / 0: inf, or 0 / 0 = nan */
        gin[0] = f ? pn_binary_t(PN_MUL, e, f) : NULL;
        Py_XDECREF(f);
    } else {
        s = e ? pn_binary_s(PN_MUL, e, st->denom != 0 ? 2.0 / st->denom : INFINITY) : NULL;
        gin[0] = s ? pn_binary_t(PN_MUL, s, d) : NULL;
    }
    Py_DECREF(x);
    Py_XDECREF(m), Py_XDECREF(d), Py_XDECREF(e), Py_XDECREF(s);
    return gin[0] ? 0 : -1;
}

// a (*) -> var (or std) over the masked dims (0: all) with Bessel correction `correction`
PNTensor *pn_var(PNTensor *a, uint32_t mask, int keepdim, double correction, int take_sqrt) {
    return var_impl(a, mask, keepdim, correction, take_sqrt, 1);
}

/* pn_var, with or without the UserWarning where no degrees of freedom are left (not
 * again when var_values_in_double redoes a float32 var in float64) */
static PNTensor *var_impl(PNTensor *a, uint32_t mask, int keepdim, double correction, int take_sqrt,
                          int warn) {
    if (!pn_is_float(a->dtype)) {
        PyErr_Format(PyExc_RuntimeError, "%s(): input dtype should be floating point, got %s",
                     take_sqrt ? "std" : "var", pn_dtype_name(a->dtype));
        return NULL;
    }
    int all = !mask || !a->ndim;
    mask = full_mask(a, mask);
    int64_t count = 1;
    for (int d = 0; d < a->ndim; d++)
        if (mask & (1u << d)) count *= a->shape[d];
    double denom = (double)count - correction;
    if (warn && denom <= 0 &&
        PyErr_WarnFormat(PyExc_UserWarning, 1,
                         "%s(): degrees of freedom is <= 0. Correction should be "
                         "strictly less than the reduction factor (input numel "
                         "divided by output numel).",
                         take_sqrt ? "std" : "var") < 0)
        return NULL;
    int prev = pn_set_grad_mode(0);
    PNTensor *v = var_rows(a, mask, keepdim, denom);
    if (!v && !PyErr_Occurred()) v = var_composite(a, mask, keepdim, denom);
    pn_set_grad_mode(prev);
    if (v) {
        PNNode *n = pn_record(v, "VarBackward0", var_backward, 1, &a);
        var_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
        if (st) {
            st->mask = mask, st->keepdim = keepdim, st->denom = denom, st->all = all;
            pn_save(n, 0, a, 0);
        }
        if (PyErr_Occurred()) Py_CLEAR(v);
    }
    if (v && take_sqrt) Py_SETREF(v, std_of_var(v));
    if (v && a->dtype == PN_FLOAT32 &&
        var_values_in_double(v, a, mask, keepdim, correction, take_sqrt) < 0)
        Py_CLEAR(v);
    return v;
}

/* ------------------------------------------------------------ logsumexp ---- */

typedef struct {
    int dim, keepdim;
} lse_state;

/* y = logsumexp(x) along dim:  dx = g * exp(x - y)  (= g * softmax(x)), as
 * PyTorch; with g and y unsqueezed at dim unless keepdim. Written with the
 * differentiable ops and y saved as the op's output, so that create_graph
 * records a graph that differentiates again. */
static int logsumexp_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const lse_state *st = PN_STATE(n, lse_state);
    PNTensor *x = pn_unpack(n, 0), *y = x ? pn_unpack(n, 1) : NULL;
    if (!y) {
        Py_XDECREF(x);
        return -1;
    }
    PNTensor *g = gout[0];
    Py_INCREF(g);
    if (!st->keepdim && n->meta[0].ndim) {
        Py_SETREF(g, pn_unsqueeze(g, st->dim));
        Py_SETREF(y, pn_unsqueeze(y, st->dim));
    }
    /* no graph to record and contiguous rows: one fused pass (pn_logsumexp_backward_loop) */
    if (g && y && !pn_grad_mode && g->dtype == x->dtype && y->dtype == x->dtype &&
        x->strides[st->dim] == 1) {
        gin[0] = pn_empty(x->dtype, x->ndim, x->shape);
        if (gin[0]) {
            PNTensor *ops[3] = {gin[0], g, y};
            pn_run_rows(pn_logsumexp_backward_loop(x->dtype), x, st->dim, 3, ops);
        }
        Py_DECREF(x), Py_DECREF(y), Py_DECREF(g);
        return gin[0] ? 0 : -1;
    }
    PNTensor *d = g && y ? pn_binary_t(PN_SUB, x, y) : NULL;
    PNTensor *e = d ? pn_unary(PN_EXP, d) : NULL;
    gin[0] = e ? pn_binary_t(PN_MUL, g, e) : NULL;
    Py_DECREF(x), Py_XDECREF(y), Py_XDECREF(g), Py_XDECREF(d), Py_XDECREF(e);
    return gin[0] ? 0 : -1;
}

/* x (.., n, ..) -> (.., [1,] ..): one fused row kernel (max, then the sum of
 * exp(x - max) in double, pn_logsumexp_loop) instead of six ops. */
static PNTensor *logsumexp_dim(PNTensor *src, int dim, int keepdim) {
    int64_t kshape[PN_MAX_DIMS];
    for (int d = 0; d < src->ndim; d++) kshape[d] = d == dim ? 1 : src->shape[d];
    PNTensor *out = pn_empty(src->dtype, src->ndim, kshape);
    if (!out) return NULL;
    pn_run_rows(pn_logsumexp_loop(src->dtype), src, dim, 1, &out);
    if (!keepdim) {
        Py_SETREF(out, pn_squeeze(out, dim));
        if (!out) return NULL;
        pn_forget_base(out); /* a fresh tensor: the view needs no base */
    }
    PNNode *n = pn_record(out, "LogsumexpBackward0", logsumexp_backward, 1, &src);
    lse_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->dim = dim, st->keepdim = keepdim;
        pn_save(n, 0, src, 0);
        pn_save(n, 1, out, 1);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* log(sum(exp(x))) = m + log(sum(exp(x - m))) with m = max(x), so no exp
 * overflows; an infinite m is replaced by 0 to avoid inf - inf. One dim goes
 * to logsumexp_dim. Several dims are moved last (the kept dims first, in
 * order) and flattened into one, a copy unless they already are contiguous so,
 * and go to logsumexp_dim too: its accuracy (the max and log(sum) composed of
 * float ops were 1237 ulps off where they cancel; PyTorch's, 1321), with the
 * gradient through the permute and reshape. */
// a (*) -> log(sum(exp(a))) over the masked dims, as m + log(sum(exp(a - m)))
PNTensor *pn_logsumexp(PNTensor *a, uint32_t mask, int keepdim) {
    PNTensor *src = pn_is_float(a->dtype) ? (Py_INCREF(a), a) : pn_cast(a, pn_default_float);
    if (!src) return NULL;
    mask = full_mask(src, mask);
    if (src->numel && src->ndim && !(mask & (mask - 1))) {
        PNTensor *out = logsumexp_dim(src, __builtin_ctz(mask), keepdim);
        Py_DECREF(src);
        return out;
    }
    if (src->numel == 0) {
        PNTensor *s = pn_sum(src, mask, keepdim, 0, src->dtype);
        Py_DECREF(src);
        if (s) Py_SETREF(s, pn_unary(PN_LOG, s));
        return s;
    }
    int perm[PN_MAX_DIMS], np = 0, nk = 0, ndim = src->ndim;
    int64_t shape[PN_MAX_DIMS + 1], kshape[PN_MAX_DIMS], len = 1;
    for (int d = 0; d < src->ndim; d++) {
        int kept = !(mask & (1u << d));
        kshape[d] = kept ? src->shape[d] : 1;
        if (kept) perm[np++] = d, shape[nk++] = src->shape[d];
    }
    for (int d = 0; d < src->ndim; d++)
        if (mask & (1u << d)) perm[np++] = d, len *= src->shape[d];
    shape[nk] = len;
    PNTensor *p = pn_permute(src, perm);
    Py_DECREF(src);
    PNTensor *flat = p ? pn_reshape(p, nk + 1, shape) : NULL;
    Py_XDECREF(p);
    PNTensor *out = flat ? logsumexp_dim(flat, nk, 0) : NULL;
    Py_XDECREF(flat);
    if (out && keepdim) Py_SETREF(out, pn_reshape(out, ndim, kshape));
    return out;
}

/* ------------------------------------------------------------ argmax ---- */

// a (*) -> int64 index of the max (min) along dim, or of the flattened tensor
PNTensor *pn_argmax(PNTensor *a, PyObject *dimobj, int keepdim, int is_max) {
    const char *name = is_max ? "argmax" : "argmin";
    if (a->dtype == PN_BOOL) {
        PyErr_Format(PyExc_RuntimeError, "\"%s_cpu\" not implemented for 'Bool'", name);
        return NULL;
    }
    if (!dimobj || dimobj == Py_None) {
        if (a->numel == 0) {
            PyErr_Format(PyExc_IndexError,
                         "%s(): Expected reduction dim to be specified for "
                         "input.numel() == 0.",
                         name);
            return NULL;
        }
        int64_t flat = a->numel;
        PNTensor *c = pn_contiguous(a);
        PNTensor *f = c ? pn_view_nograd(c, 1, &flat) : NULL;
        Py_XDECREF(c);
        if (!f) return NULL;
        PNTensor *v, *ix;
        int rc = pn_max_dim_nograd(f, 0, 0, is_max, &v, &ix);
        Py_DECREF(f);
        if (rc < 0) return NULL;
        Py_DECREF(v);
        if (keepdim) {
            int64_t ones[PN_MAX_DIMS];
            for (int d = 0; d < a->ndim; d++) ones[d] = 1;
            Py_SETREF(ix, pn_reshape(ix, a->ndim, ones));
        }
        return ix;
    }
    long long dl = PyLong_AsLongLong(dimobj);
    int dim;
    if ((dl == -1 && PyErr_Occurred()) || pn_wrap_dim(dl, a->ndim, &dim, name) < 0) return NULL;
    PNTensor *v, *ix;
    if (pn_max_dim_nograd(a, dim, keepdim, is_max, &v, &ix) < 0) return NULL;
    Py_DECREF(v);
    return ix;
}

int pn_max_dim_nograd(PNTensor *a, int dim, int keepdim, int is_max, PNTensor **v, PNTensor **ix) {
    int prev = pn_set_grad_mode(0);
    int rc = pn_max_dim(a, dim, keepdim, is_max, v, ix);
    pn_set_grad_mode(prev);
    return rc;
}

PNTensor *pn_view_nograd(PNTensor *a, int ndim, const int64_t *shape) {
    int prev = pn_set_grad_mode(0);
    PNTensor *r = pn_view(a, ndim, shape, "view");
    pn_set_grad_mode(prev);
    return r;
}
