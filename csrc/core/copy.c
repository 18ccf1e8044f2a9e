/* core/copy.c - operands, broadcasting, elementwise loops, copy and cast
 * without autograd: the primitives every op file shares (see copy.h). */
#include "autograd.h"
#include "copy.h"
#include "../kernels/transpose.h"
#include <string.h>
#include <math.h>

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
    return kind == 0 ? PN_BOOL : kind == 1 ? PN_INT64 : pn_default_float;
}

static int dtype_category(pn_dtype dt) {
    return dt == PN_BOOL ? 0 : dt == PN_INT64 ? 1 : 2;
}

/* PyTorch's rule: tensors with dimensions decide, unless a 0-d tensor or a
 * Python number is of a higher category (bool < integer < float); then that
 * one decides (a Python number giving the category's default dtype). */
pn_dtype pn_result_type(const pn_operand *ops, int n) {
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

int pn_broadcast_shapes(int na, const int64_t *sa, int nb, const int64_t *sb, int *nout,
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
void pn_broadcast_strides(const PNTensor *t, int ndim, int64_t *strides) {
    int64_t item = (int64_t)pn_itemsize(t->dtype);
    for (int d = 0; d < ndim; d++) {
        int it = d - (ndim - t->ndim);
        strides[d] = (it < 0 || t->shape[it] == 1) ? 0 : t->strides[it] * item;
    }
}

/* The iterator of a 2-, 3- or 4-operand loop (see pn_run_loop). */
static void loop_iter(pn_iter *it, int nop, PNTensor **ops, char **scalars, int ndim,
                      const int64_t *shape) {
    char *data[PN_ITER_MAXOP];
    int64_t strides[PN_ITER_MAXOP][PN_MAX_DIMS];
    for (int k = 0; k < nop; k++) {
        if (ops[k]) {
            data[k] = ops[k]->data;
            pn_broadcast_strides(ops[k], ndim, strides[k]);
        } else { /* a Python number: one value, stride 0 */
            data[k] = scalars[k];
            memset(strides[k], 0, sizeof strides[k]);
        }
    }
    pn_iter_init(it, nop, data, ndim, shape, (const int64_t (*)[PN_MAX_DIMS])strides);
}

/* Run a 2-, 3- or 4-operand loop. ops[0] is the output; all shaped like out. */
void pn_run_loop(pn_loop_fn fn, const void *aux, int nop, PNTensor **ops, char **scalars, int ndim,
                 const int64_t *shape) {
    pn_iter it;
    loop_iter(&it, nop, ops, scalars, ndim, shape);
    PN_NOGIL_BEGIN(it.numel)
    pn_iter_run(&it, fn, aux);
    PN_NOGIL_END
}

void pn_run_loop_serial(pn_loop_fn fn, const void *aux, int nop, PNTensor **ops, int ndim,
                        const int64_t *shape) {
    pn_iter it;
    loop_iter(&it, nop, ops, NULL, ndim, shape);
    pn_iter_run_range(&it, fn, aux, 0, it.numel);
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
int pn_prepare_operand(const pn_operand *o, pn_dtype dt, PNTensor **t, char *scalar) {
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
int pn_overlaps(const PNTensor *dst, const PNTensor *src) {
    if (src->storage != dst->storage || src->numel == 0 || dst->numel == 0) return 0;
    if (src->data != dst->data || src->ndim != dst->ndim) return 1;
    for (int d = 0; d < src->ndim; d++)
        if (src->shape[d] != dst->shape[d] || src->strides[d] != dst->strides[d]) return 1;
    return 0; /* the very same elements, read then written one by one: safe */
}

/* dst = src for tensors of one dtype and shape: the row-copy and blocked-transpose
 * paths of transpose.h when the layout has one, else the elementwise copy loop. */
static void copy_same_dtype(PNTensor *dst, PNTensor *src) {
    pn_iter it;
    char *data[2] = {dst->data, src->data};
    int64_t strides[2][PN_MAX_DIMS];
    pn_broadcast_strides(dst, dst->ndim, strides[0]);
    pn_broadcast_strides(src, dst->ndim, strides[1]);
    pn_iter_init(&it, 2, data, dst->ndim, dst->shape, (const int64_t (*)[PN_MAX_DIMS])strides);
    pn_loop_fn fn = pn_cast_loop(dst->dtype, dst->dtype);
    size_t item = pn_itemsize(dst->dtype);
    PN_NOGIL_BEGIN(it.numel)
    if (!pn_copy_fast(&it, item, it.numel > PN_NOGIL_MIN)) pn_iter_run(&it, fn, NULL);
    PN_NOGIL_END
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
    if (pn_broadcast_shapes(dst->ndim, dst->shape, src->ndim, src->shape, &nd, shape, "copy_") < 0)
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
    if (pn_overlaps(dst, src)) {
        tmp = pn_empty(src->dtype, src->ndim, src->shape);
        if (!tmp) return -1;
        copy_same_dtype(tmp, src);
        ops[1] = tmp;
    }
    if (dst->dtype == src->dtype)
        copy_same_dtype(dst, ops[1]);
    else
        pn_run_loop(pn_cast_loop(dst->dtype, src->dtype), NULL, 2, ops, NULL, dst->ndim,
                    dst->shape);
    Py_XDECREF(tmp);
    return 0;
}

int pn_fill(PNTensor *dst, double v) {
    char buf[8];
    pn_operand o = {.kind = 2, .d = v, .i = 0};
    if (dst->dtype == PN_BOOL) { /* any nonzero value (nan, 0.5 too) is true, as in PyTorch */
        o.kind = 1;
        o.i = v != 0;
    } else if (dst->dtype != PN_FLOAT32 && dst->dtype != PN_FLOAT64) {
        if (!isfinite(v) || v >= 9.2e18 || v <= -9.2e18) {
            pn_error_c(PyExc_RuntimeError,
                       "value %g cannot be converted to type %s without "
                       "overflow",
                       v, pn_dtype_name(dst->dtype));
            return -1;
        }
        o.kind = 1;
        o.i = (int64_t)v;
    }
    write_scalar(buf, dst->dtype, &o);
    PNTensor *ops[1] = {dst};
    pn_run_loop(pn_fill_loop(dst->dtype), buf, 1, ops, NULL, dst->ndim, dst->shape);
    return 0;
}

PNTensor *pn_dense_copy(PNTensor *a, pn_dtype dt, int ndim, const int64_t *shape) {
    PNTensor *out = pn_empty(dt, ndim, shape);
    if (out && pn_copy_into(out, a) < 0) Py_CLEAR(out);
    return out;
}

PNTensor *pn_copy_as(PNTensor *a, pn_dtype dt) {
    return pn_dense_copy(a, dt, a->ndim, a->shape);
}

PNTensor *pn_to_dtype_nograd(PNTensor *a, pn_dtype dt) {
    if (a->dtype == dt) {
        Py_INCREF(a);
        return a;
    }
    return pn_copy_as(a, dt);
}

PNTensor *pn_to_contiguous_nograd(PNTensor *a) {
    if (pn_is_contiguous(a)) {
        Py_INCREF(a);
        return a;
    }
    return pn_copy_as(a, a->dtype);
}

/* A contiguous tensor of dtype dt holding t's values (t itself when it already is). */
PNTensor *pn_contiguous_as(PNTensor *t, pn_dtype dt) {
    return t->dtype == dt ? pn_to_contiguous_nograd(t) : pn_copy_as(t, dt);
}

/* Every kernel reads a bool byte as a number (a sum adds it, a cast copies
 * it), so a byte 2 that came from outside (NumPy's .view(bool) of other data,
 * a crafted file) made sum() count it twice. The entry points call this to
 * make such bytes 1, which is what NumPy means by them too. Walks t's
 * elements in order with an odometer over its strides. */
int64_t pn_bool_normalize(PNTensor *t, int write) {
    if (t->dtype != PN_BOOL || t->numel == 0) return 0;
    int64_t idx[PN_MAX_DIMS] = {0}, off = 0, bad = 0;
    uint8_t *p = (uint8_t *)t->data;
    for (int64_t k = 0;;) {
        if (p[off] > 1) {
            bad++;
            if (write) p[off] = 1;
        }
        if (++k == t->numel) break;
        for (int d = t->ndim - 1; d >= 0; d--) {
            off += t->strides[d];
            if (++idx[d] < t->shape[d]) break;
            off -= t->strides[d] * t->shape[d];
            idx[d] = 0;
        }
    }
    return bad;
}
