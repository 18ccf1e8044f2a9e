/* ops/sort.c - sort, argsort and topk along one dimension.
 *
 * The kernel (kernels/sort.c) sorts contiguous rows, so the input is copied
 * with `dim` moved last, sorted, and the results moved back. The values are
 * x's elements picked at the indices, so the backward is gather's
 * (pn_record_gather): dx = zeros_like(x) with g added at the indices. The sort
 * is stable (ties keep their order, also descending) and NaN counts as the
 * largest value, as PyTorch's CPU sort.
 */
#include "ops.h"
#include "../kernels/sort.h"
#include <string.h>

/* a view of t with dims a and b swapped (no history, no base) */
static PNTensor *swapped(PNTensor *t, int a, int b) {
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) {
        int s = d == a ? b : d == b ? a : d;
        shape[d] = t->shape[s];
        strides[d] = t->strides[s];
    }
    PNTensor *v = pn_alias(t, t->ndim, shape, strides, 0);
    if (v) pn_forget_base(v);
    return v;
}

/* a contiguous copy of t with dims dim and last swapped (the same swap undoes it) */
static PNTensor *swapped_copy(PNTensor *t, int dim) {
    PNTensor *v = swapped(t, dim, t->ndim - 1);
    PNTensor *c = v ? pn_copy_as(v, v->dtype) : NULL;
    Py_XDECREF(v);
    return c;
}

// x (.., n, ..) -> values (x's shape, sorted along dim), indices (int64), no autograd
static int sort_raw(PNTensor *x, int dim, int descending, PNTensor **values, PNTensor **indices) {
    if (x->ndim == 0) {
        *values = pn_copy_as(x, x->dtype);
        *indices = *values ? pn_zeros(PN_INT64, 0, NULL) : NULL;
        if (!*indices) Py_CLEAR(*values);
        return *values ? 0 : -1;
    }
    PNTensor *xt = swapped_copy(x, dim);
    PNTensor *vt = xt ? pn_empty(x->dtype, xt->ndim, xt->shape) : NULL;
    PNTensor *it = vt ? pn_empty(PN_INT64, xt->ndim, xt->shape) : NULL;
    int rc = -1;
    if (!it) goto out;
    int64_t n = x->shape[dim], rows = n ? x->numel / n : 0;
    int err;
    Py_BEGIN_ALLOW_THREADS
    err = pn_sort_rows(x->dtype, rows, n, xt->data, vt->data, (int64_t *)it->data, descending);
    Py_END_ALLOW_THREADS
    if (err) {
        PyErr_NoMemory();
        goto out;
    }
    *values = swapped_copy(vt, dim);
    *indices = *values ? swapped_copy(it, dim) : NULL;
    if (!*indices) {
        Py_CLEAR(*values);
        goto out;
    }
    rc = 0;
out:
    Py_XDECREF(xt);
    Py_XDECREF(vt);
    Py_XDECREF(it);
    return rc;
}

int pn_sort(PNTensor *x, int dim, int descending, PNTensor **values, PNTensor **indices) {
    if (sort_raw(x, dim, descending, values, indices) < 0) return -1;
    if (pn_is_float(x->dtype) && pn_record_gather(*values, "SortBackward0", x, dim, *indices) < 0) {
        Py_CLEAR(*values);
        Py_CLEAR(*indices);
        return -1;
    }
    return 0;
}

PNTensor *pn_argsort(PNTensor *x, int dim, int descending) {
    PNTensor *v, *ix;
    if (sort_raw(x, dim, descending, &v, &ix) < 0) return NULL;
    Py_DECREF(v);
    return ix;
}

// x (.., n, ..) -> values, indices (.., k, ..): the first k of the sorted rows, no autograd
static int topk_raw(PNTensor *x, int64_t k, int dim, int largest, PNTensor **values,
                    PNTensor **indices) {
    if (x->ndim == 0) return sort_raw(x, dim, largest, values, indices);
    PNTensor *xt = swapped_copy(x, dim), *vt = NULL, *it = NULL;
    int64_t shape[PN_MAX_DIMS], n = x->shape[dim], rows = n ? x->numel / n : 0;
    int rc = -1, err;
    if (!xt) return -1;
    memcpy(shape, xt->shape, sizeof shape);
    shape[xt->ndim - 1] = k;
    vt = pn_empty(x->dtype, xt->ndim, shape);
    it = vt ? pn_empty(PN_INT64, xt->ndim, shape) : NULL;
    if (!it) goto out;
    Py_BEGIN_ALLOW_THREADS
    err = pn_topk_rows(x->dtype, rows, n, k, xt->data, vt->data, (int64_t *)it->data, largest);
    Py_END_ALLOW_THREADS
    if (err) {
        PyErr_NoMemory();
        goto out;
    }
    *values = swapped_copy(vt, dim);
    *indices = *values ? swapped_copy(it, dim) : NULL;
    if (!*indices) Py_CLEAR(*values);
    rc = *values ? 0 : -1;
out:
    Py_XDECREF(xt), Py_XDECREF(vt), Py_XDECREF(it);
    return rc;
}

// x (.., n, ..) -> values, indices (.., k, ..): the k largest (smallest) along dim
int pn_topk(PNTensor *x, int64_t k, int dim, int largest, PNTensor **values, PNTensor **indices) {
    if (x->dtype == PN_BOOL)
        return pn_error_c(PyExc_RuntimeError, "topk does not support bool dtypes on CPU"), -1;
    int64_t n = x->ndim ? x->shape[dim] : 1;
    if (k < 0 || k > n)
        return pn_error_c(PyExc_RuntimeError,
                          "topk: selected index k out of range (k = %lld, size of dimension %d "
                          "is %lld)",
                          (long long)k, dim, (long long)n),
               -1;
    if (topk_raw(x, k, dim, largest, values, indices) < 0) return -1;
    if (pn_is_float(x->dtype) && pn_record_gather(*values, "TopkBackward0", x, dim, *indices) < 0) {
        Py_CLEAR(*values);
        Py_CLEAR(*indices);
        return -1;
    }
    return 0;
}
