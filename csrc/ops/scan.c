/* ops/scan.c - cumsum, cumprod, cummax / cummin and logcumsumexp along one dimension,
 * with their backward:
 *
 *   y = cumsum(x):   dx = reversed cumsum of g (a cumsum from the end; its own
 *                    backward is the forward cumsum)
 *   y = cumprod(x):  dx_i = sum_{j >= i} g_j prod_{m <= j, m != i} x_m, written
 *                    with ops so that zeros in x are handled (see cumprod_backward)
 *
 * Integer and bool inputs scan in int64, as in PyTorch; `dtype` casts the input
 * first (a differentiable cast), so the scans themselves never change dtype.
 */
#include "compose.h"
#include "../kernels/sort.h"

typedef struct {
    int dim, reverse;
} scan_state;

/* x's shape around dim as (outer, n, inner) */
static void split_at(const PNTensor *x, int dim, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = *inner = *n = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (d < dim) *outer *= x->shape[d];
        if (d == dim) *n = x->shape[d];
        if (d > dim) *inner *= x->shape[d];
    }
}

// x (*) -> scanned along dim, same shape and dtype (int64, float32 or float64), no autograd.
// A contiguous x is read by the scan itself; another is copied contiguous first.
static PNTensor *scan_raw(PNTensor *x, int dim, int op, int reverse) {
    int direct = pn_is_contiguous(x);
    PNTensor *out = direct ? pn_empty(x->dtype, x->ndim, x->shape) : pn_copy_as(x, x->dtype);
    if (!out) return NULL;
    int64_t outer, n, inner;
    split_at(x, dim, &outer, &n, &inner);
    const char *src = direct ? x->data : out->data;
    if (out->numel) {
        PN_NOGIL_BEGIN(out->numel)
        pn_scan(out->dtype, op, reverse, outer, n, inner, src, out->data);
        PN_NOGIL_END
    }
    return out;
}

static PNTensor *cumsum_dir(PNTensor *x, int dim, int reverse);

// y = cumsum(x) (reverse: from the end): dx = the cumsum in the other direction
static int cumsum_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const scan_state *st = PN_STATE(n, scan_state);
    gin[0] = cumsum_dir(gout[0], st->dim, !st->reverse);
    return gin[0] ? 0 : -1;
}

static PNTensor *cumsum_dir(PNTensor *x, int dim, int reverse) {
    if (!x) return NULL;
    PNTensor *out = scan_raw(x, dim, PN_SCAN_SUM, reverse);
    if (!out || !pn_is_float(x->dtype)) return out;
    PNNode *n = pn_record(out, "CumsumBackward0", cumsum_backward, 1, &x);
    scan_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) st->dim = dim, st->reverse = reverse;
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* x in the dtype the scan runs in: dt if given (has_dt), else int64 for bool/int64 */
static PNTensor *scan_input(PNTensor *x, int has_dt, pn_dtype dt, const char *op) {
    if (!has_dt) dt = pn_is_float(x->dtype) ? x->dtype : PN_INT64;
    if (dt == PN_BOOL)
        return pn_error_c(PyExc_NotImplementedError, "%s: not implemented for dtype bool", op),
               NULL;
    return pn_to_dtype(x, dt);
}

// x (*) -> cumulative sums along dim (int inputs: int64; dtype: cast first)
PNTensor *pn_cumsum(PNTensor *x, int dim, int has_dt, pn_dtype dt) {
    PNTensor *xc = scan_input(x, has_dt, dt, "cumsum");
    PNTensor *out = xc ? cumsum_dir(xc, dim, 0) : NULL;
    Py_XDECREF(xc);
    return out;
}

/* ------------------------------------------------------------ cumprod ---- */

static PNTensor *W(scope *s, PNTensor *c, PNTensor *a, double v, PNTensor *b) {
    return keep(s, c && (a || b) ? pn_where_t(c, a, v, b) : NULL);
}

/* With k the first zero of a row (k = n if none), x_i != 0 for i < k and
 *   i < k:  dx_i = (sum_{j >= i} g_j y_j) / x_i     (y_j = 0 for j >= k)
 *   i = k:  dx_k = sum_{j >= k} g_j cumprod(x with x_k := 1)_j
 *   i > k:  dx_i = 0                                  (every product holds x_k)
 * The masks hold x's zeros fixed: right as a value, not as a function to
 * differentiate again (see cumprod_grad_pairs). */
static PNTensor *cumprod_grad_masked(PNTensor *x, PNTensor *y, PNTensor *g, PNTensor *z, int dim) {
    scope s = {.n = 0};
    int prev = pn_set_grad_mode(0);
    PNTensor *c = keep(&s, pn_cumsum(z, dim, 0, PN_INT64)); /* zeros so far */
    PNTensor *before = BS(&s, PN_EQ, c, 0.0);
    PNTensor *at = B(&s, PN_AND, z, BS(&s, PN_EQ, c, 1.0));
    pn_set_grad_mode(prev);
    PNTensor *t1 = keep(&s, cumsum_dir(B(&s, PN_MUL, g, y), dim, 1));
    t1 = W(&s, before, B(&s, PN_DIV, t1, W(&s, before, x, 1.0, NULL)), 0.0, NULL);
    PNTensor *p = keep(&s, at ? pn_cumprod(W(&s, at, NULL, 1.0, x), dim, 0, PN_INT64) : NULL);
    PNTensor *t2 = keep(&s, cumsum_dir(B(&s, PN_MUL, g, p), dim, 1));
    return give(&s, B(&s, PN_ADD, t1, W(&s, at, t2, 0.0, NULL)));
}

/* dx_i = sum_{j >= i} g_j C[i, j] with C[i, :] = cumprod(x with x_i := 1): a polynomial
 * in x written with ops, so its own derivative is right at zeros too. O(n^2) memory
 * along dim; used only when recording (create_graph) through an input with zeros. */
static PNTensor *cumprod_grad_pairs(PNTensor *x, PNTensor *g, int dim) {
    scope s = {.n = 0};
    int last = x->ndim - 1;
    int64_t n = x->shape[dim], sq[2] = {n, n};
    int prev = pn_set_grad_mode(0);
    PNTensor *ones = keep(&s, pn_full(PN_BOOL, 2, sq, 1.0));
    PNTensor *upper = keep(&s, ones ? pn_tri(ones, 0, 0) : NULL); /* j >= i */
    PNTensor *eye = keep(&s, upper ? pn_tri(upper, 0, 1) : NULL);
    pn_set_grad_mode(prev);
    PNTensor *xl = keep(&s, pn_transpose(x, dim, last)); /* (.., n) */
    PNTensor *gl = keep(&s, pn_transpose(g, dim, last));
    PNTensor *xr = keep(&s, xl ? pn_unsqueeze(xl, last) : NULL); /* (.., 1, n) */
    PNTensor *gr = keep(&s, gl ? pn_unsqueeze(gl, last) : NULL);
    PNTensor *c = keep(&s, pn_cumprod(W(&s, eye, NULL, 1.0, xr), last + 1, 0, PN_INT64));
    PNTensor *t = W(&s, upper, B(&s, PN_MUL, c, gr), 0.0, NULL); /* (.., n_i, n_j) */
    PNTensor *d = keep(&s, t ? pn_sum(t, 1u << (last + 1), 0, 0, t->dtype) : NULL);
    return give(&s, keep(&s, d ? pn_transpose(d, dim, last) : NULL));
}

static int any_true(PNTensor *z) { /* z: a contiguous bool tensor */
    for (int64_t k = 0; k < z->numel; k++)
        if (z->data[k]) return 1;
    return 0;
}

// y = cumprod(x): dx_i = sum_{j >= i} g_j prod_{m <= j, m != i} x_m
static int cumprod_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    int dim = PN_STATE(n, scan_state)->dim;
    PNTensor *x = pn_unpack(n, 0), *y = x ? pn_unpack(n, 1) : NULL, *z = NULL;
    if (y) {
        int prev = pn_set_grad_mode(0);
        z = pn_binary_s(PN_EQ, x, 0.0);
        pn_set_grad_mode(prev);
    }
    if (z)
        gin[0] = pn_grad_mode && x->ndim && any_true(z)
                     ? cumprod_grad_pairs(x, gout[0], dim)
                     : cumprod_grad_masked(x, y, gout[0], z, dim);
    Py_XDECREF(x), Py_XDECREF(y), Py_XDECREF(z);
    return gin[0] ? 0 : -1;
}

// x (*) -> cumulative products along dim (int inputs: int64; dtype: cast first)
PNTensor *pn_cumprod(PNTensor *x, int dim, int has_dt, pn_dtype dt) {
    if (!x) return NULL;
    PNTensor *xc = scan_input(x, has_dt, dt, "cumprod");
    PNTensor *out = xc ? scan_raw(xc, dim, PN_SCAN_PROD, 0) : NULL;
    if (out && pn_is_float(xc->dtype)) {
        PNNode *n = pn_record(out, "CumprodBackward0", cumprod_backward, 1, &xc);
        scan_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
        if (st && pn_save(n, 0, xc, 0) == 0 && pn_save(n, 1, out, 1) == 0) st->dim = dim;
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_XDECREF(xc);
    return out;
}

/* ------------------------------------------------- cummax, cummin ---- */

// x (*) -> values (*), indices (*): the running max (min) along dim and where it was
// (the last among ties); dx = g scatter-added at the indices (pn_record_gather)
int pn_cum_extreme_op(PNTensor *x, int dim, int is_max, PNTensor **values, PNTensor **indices) {
    PNTensor *c = pn_contiguous(x);
    if (!c) return -1;
    *values = pn_empty(x->dtype, x->ndim, x->shape);
    *indices = *values ? pn_empty(PN_INT64, x->ndim, x->shape) : NULL;
    if (*indices) {
        int64_t outer, n, inner;
        split_at(x, dim, &outer, &n, &inner);
        PN_NOGIL_BEGIN(x->numel)
        pn_cum_extreme(x->dtype, is_max, outer, n, inner, c->data, (*values)->data,
                       (int64_t *)(*indices)->data);
        PN_NOGIL_END
        if (pn_is_float(x->dtype))
            pn_record_gather(*values, is_max ? "CummaxBackward0" : "CumminBackward0", x, dim,
                             *indices);
    }
    Py_DECREF(c);
    if (!*indices || PyErr_Occurred()) {
        Py_CLEAR(*values);
        Py_CLEAR(*indices);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------ logcumsumexp ---- */

// y = logcumsumexp(x) without autograd
static PNTensor *logcumsumexp_raw(PNTensor *x, int dim) {
    PNTensor *c = pn_contiguous(x), *out = c ? pn_empty(x->dtype, x->ndim, x->shape) : NULL;
    if (out) {
        int64_t outer, n, inner;
        int rc;
        split_at(x, dim, &outer, &n, &inner);
        PN_NOGIL_BEGIN(x->numel)
        rc = pn_logcumsumexp_scan(x->dtype, outer, n, inner, c->data, out->data);
        PN_NOGIL_END
        if (rc != PN_OK) {
            PyErr_NoMemory();
            Py_CLEAR(out);
        }
    }
    Py_XDECREF(c);
    return out;
}

/* t reversed along dim, scanned, reversed back: logcumsumexp from the end */
static PNTensor *reverse_lcse(scope *s, PNTensor *t, int dim) {
    PNTensor *f = keep(s, t ? pn_flip(t, 1u << dim) : NULL);
    PNTensor *l = keep(s, f ? pn_logcumsumexp(f, dim) : NULL);
    return keep(s, l ? pn_flip(l, 1u << dim) : NULL);
}

// y = logcumsumexp(x): dx_i = sum_{j >= i} g_j exp(x_i - y_j), summed in log space with the
// positive and the negative g apart (no exp of a large y):
//   dx = exp(x + rlcse(log g+ - y)) - exp(x + rlcse(log g- - y)),  rlcse from the end,
// log g+- = log |g| where g > 0 (< 0), the dtype's lowest number elsewhere
static int logcumsumexp_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    int dim = PN_STATE(n, scan_state)->dim;
    scope s = {.n = 0};
    PNTensor *x = keep(&s, pn_unpack(n, 0)), *y = x ? keep(&s, pn_unpack(n, 1)) : NULL;
    PNTensor *g = gout[0];
    double lowest = g->dtype == PN_FLOAT32 ? -3.4028234663852886e38 : -1.7976931348623157e308;
    PNTensor *lg = U(&s, PN_LOG, U(&s, PN_ABS, g)), *part[2];
    for (int k = 0; k < 2; k++) {
        PNTensor *mask = BS(&s, k ? PN_LT : PN_GT, g, 0.0);
        PNTensor *l = keep(&s, mask && lg ? pn_where_t(mask, lg, lowest, NULL) : NULL);
        part[k] = U(&s, PN_EXP, B(&s, PN_ADD, reverse_lcse(&s, B(&s, PN_SUB, l, y), dim), x));
    }
    gin[0] = give(&s, B(&s, PN_SUB, part[0], part[1]));
    return gin[0] ? 0 : -1;
}

// x (*) -> y (*) = log(cumsum(exp(x))) along dim, floats only
PNTensor *pn_logcumsumexp(PNTensor *x, int dim) {
    if (!pn_is_float(x->dtype))
        return pn_error_c(PyExc_NotImplementedError,
                          "\"logcumsumexp_out_cpu\" not implemented for '%s'",
                          pn_dtype_name(x->dtype)),
               NULL;
    PNTensor *out = logcumsumexp_raw(x, dim);
    if (!out || !pn_grad_mode || !pn_requires_grad(x)) return out;
    PNNode *n = pn_record(out, "LogcumsumexpBackward0", logcumsumexp_backward, 1, &x);
    scan_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st && pn_save(n, 0, x, 0) == 0 && pn_save(n, 1, out, 1) == 0) st->dim = dim;
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}
