/* ops/linear.c - F.linear: y = x W^T + b on our GEMM, and backward:
 *   dx = g W,  dW = g^T x,  db = sum over rows of g.
 * When the backward runs with grad mode on (create_graph=True) it is built
 * from differentiable ops instead, so gradients of gradients work. */
#include "ops.h"
#include "../kernels/gemm.h"
#include "../kernels/nn.h"
#include <string.h>
#include <math.h>

/* --------------------------------------------------------------- linear ---- */

/* How to hand a (rows, cols) matrix with element strides (srow, scol) to the
 * GEMM: as itself (trans 0, leading dim srow) or as the transpose of a
 * stored (cols, rows) matrix (trans 1, leading dim scol). 0: neither, copy. */
static int mat_layout(int64_t rows, int64_t cols, int64_t srow, int64_t scol, int *trans,
                      int64_t *ld) {
    if (rows <= 1) srow = cols > 1 ? cols : 1; /* a stride along a size-1 dim is meaningless */
    if (cols <= 1) scol = 1;
    if (scol == 1 && srow >= cols && srow >= 1) {
        *trans = 0, *ld = srow;
        return 1;
    }
    if (srow == 1 && scol >= rows && scol >= 1) {
        *trans = 1, *ld = scol;
        return 1;
    }
    return 0;
}

/* The (M, K) matrix view of x (*, K): its layout for the GEMM, or a
 * contiguous copy in *copy when it has none. */
static int x_layout(PNTensor *x, int64_t M, int64_t K, PNTensor **copy, int *trans, int64_t *ld) {
    *copy = NULL;
    if (x->ndim == 2 && mat_layout(M, K, x->strides[0], x->strides[1], trans, ld)) return 0;
    if (x->ndim != 2 && pn_is_contiguous(x)) {
        *trans = 0, *ld = K > 1 ? K : 1;
        return 0;
    }
    if (!(*copy = pn_to_contiguous_nograd(x))) return -1;
    *trans = 0, *ld = K > 1 ? K : 1;
    return 0;
}

static int gemm(pn_dtype dt, int ta, int tb, int64_t M, int64_t N, int64_t K, const char *A,
                int64_t lda, const char *B, int64_t ldb, double beta, char *C, int64_t ldc) {
    if (M == 0 || N == 0) return 0;
    if (K == 0) { /* nothing to add: C = beta C */
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                if (dt == PN_FLOAT32)
                    ((float *)C)[i * ldc + j] = beta ? ((float *)C)[i * ldc + j] : 0.0f;
                else
                    ((double *)C)[i * ldc + j] = beta ? ((double *)C)[i * ldc + j] : 0.0;
            }
        return 0;
    }
    int rc;
    int big = M * N * K > 32768;
    PyThreadState *ts = big ? PyEval_SaveThread() : NULL;
    if (dt == PN_FLOAT32)
        rc = pn_sgemm(ta, tb, M, N, K, 1.0f, (const float *)A, lda, (const float *)B, ldb,
                      (float)beta, (float *)C, ldc);
    else
        rc = pn_dgemm(ta, tb, M, N, K, 1.0, (const double *)A, lda, (const double *)B, ldb, beta,
                      (double *)C, ldc);
    if (ts) PyEval_RestoreThread(ts);
    if (rc != 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* x (*, K), w (N, K) -> (*, N) = x @ w^T + b, without autograd. */
static PNTensor *linear_raw(PNTensor *x, PNTensor *w, PNTensor *b) {
    int64_t K = x->shape[x->ndim - 1], N = w->shape[0], M = K ? x->numel / K : 1;
    if (!K)
        for (int d = 0; d < x->ndim - 1; d++) M *= x->shape[d];
    int64_t oshape[PN_MAX_DIMS];
    for (int d = 0; d < x->ndim - 1; d++) oshape[d] = x->shape[d];
    oshape[x->ndim - 1] = N;
    PNTensor *xc = NULL, *wc = NULL, *bc = NULL, *out = NULL;
    int ta = 0, tb = 0, wt = 0;
    int64_t lda = 1, ldb = 1;
    if (x_layout(x, M, K, &xc, &ta, &lda) < 0) return NULL;
    /* w (N, K) is op(B)^T: op(B) = w^T (K, N). A contiguous w is the transpose
     * of a stored matrix (tb = 1); w = v.T of a contiguous v is v itself (tb = 0). */
    if (!mat_layout(N, K, w->strides[0], w->strides[1], &wt, &ldb)) {
        if (!(wc = pn_to_contiguous_nograd(w))) goto fail;
        mat_layout(N, K, wc->strides[0], wc->strides[1], &wt, &ldb);
    }
    tb = !wt;
    PNTensor *W = wc ? wc : w, *X = xc ? xc : x;
    out = pn_empty(x->dtype, x->ndim, oshape);
    if (!out) goto fail;
    double beta = 0.0;
    if (b && M > 0 && N > 0) {
        if (!(bc = pn_contiguous_as(b, b->dtype))) goto fail;
        if (x->dtype == PN_FLOAT32)
            pn_fill_rows_f32(F32(out), F32(bc), M, N);
        else
            pn_fill_rows_f64(F64(out), F64(bc), M, N);
        beta = 1.0;
    }
    if (gemm(x->dtype, ta, tb, M, N, K, X->data, lda, W->data, ldb, beta, out->data, N) < 0)
        goto fail;
    Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc);
    return out;
fail:
    Py_XDECREF(xc), Py_XDECREF(wc), Py_XDECREF(bc), Py_XDECREF(out);
    return NULL;
}

/* State of AddmmBackward0/MmBackward0 (x and w are saved tensors, slots 0 and 1). */
typedef struct {
    int64_t M, K; /* x seen as an (M, K) matrix: its leading dims flattened */
} linear_state;

static int linear_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *x = pn_unpack(n, 0), *w = x ? pn_unpack(n, 1) : NULL;
    if (!w) {
        Py_XDECREF(x);
        return -1;
    }
    const linear_state *st = PN_STATE(n, linear_state);
    int64_t M = st->M, K = st->K, N = w->shape[0];
    int64_t gshape[2] = {M, N}, xshape[2] = {M, K};
    int rc = -1;
    PNTensor *g = NULL, *x2 = NULL;
    if (pn_grad_mode) { /* create_graph: the same math with differentiable ops */
        g = pn_reshape(gout[0], 2, gshape);
        x2 = g ? pn_reshape(x, 2, xshape) : NULL;
        if (!x2) goto out;
        if (n->next[0].fn) {
            PNTensor *d = pn_matmul(g, w, "linear backward");
            gin[0] = d ? pn_reshape(d, x->ndim, x->shape) : NULL;
            Py_XDECREF(d);
            if (!gin[0]) goto out;
        }
        if (n->next[1].fn) {
            PNTensor *gt = pn_transpose(g, 0, 1);
            gin[1] = gt ? pn_matmul(gt, x2, "linear backward") : NULL;
            Py_XDECREF(gt);
            if (!gin[1]) goto out;
        }
        if (n->next[2].fn && !(gin[2] = pn_sum(g, 1u, 0, 0, PN_FLOAT32))) goto out;
        rc = 0;
        goto out;
    }
    pn_dtype dt = x->dtype;
    if (!(g = pn_contiguous_as(gout[0], dt))) goto out;
    if (n->next[0].fn) { /* dx (M, K) = g (M, N) @ w (N, K) */
        int wt = 0;
        int64_t ldb = 1;
        PNTensor *wc = NULL;
        if (!mat_layout(N, K, w->strides[0], w->strides[1], &wt, &ldb)) {
            if (!(wc = pn_to_contiguous_nograd(w))) goto out;
            mat_layout(N, K, wc->strides[0], wc->strides[1], &wt, &ldb);
        }
        gin[0] = pn_empty(dt, x->ndim, x->shape);
        int r = gin[0] ? gemm(dt, 0, wt, M, K, N, g->data, N > 1 ? N : 1, (wc ? wc : w)->data, ldb,
                              0.0, gin[0]->data, K)
                       : -1;
        Py_XDECREF(wc);
        if (r < 0) goto out;
    }
    if (n->next[1].fn) { /* dw (N, K) = g^T (N, M) @ x (M, K): g passed transposed, no copy */
        int tb = 0;
        int64_t ldb = 1;
        PNTensor *xc;
        if (x_layout(x, M, K, &xc, &tb, &ldb) < 0) goto out;
        gin[1] = pn_empty(dt, 2, w->shape);
        int r = gin[1] ? gemm(dt, 1, tb, N, K, M, g->data, N > 1 ? N : 1, (xc ? xc : x)->data, ldb,
                              0.0, gin[1]->data, K)
                       : -1;
        Py_XDECREF(xc);
        if (r < 0) goto out;
    }
    if (n->next[2].fn) { /* db (N) = g summed over the batch rows */
        if (!(gin[2] = pn_empty(dt, 1, &N))) goto out;
        if (dt == PN_FLOAT32)
            pn_sum_rows_f32(F32(g), F32(gin[2]), M, N);
        else
            pn_sum_rows_f64(F64(g), F64(gin[2]), M, N);
    }
    rc = 0;
out:
    Py_XDECREF(g), Py_XDECREF(x2), Py_DECREF(x), Py_DECREF(w);
    return rc;
}

PyObject *nn_linear(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *wo, *bo = Py_None;
    if (!PyArg_ParseTuple(args, "OO|O:linear", &xo, &wo, &bo)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "linear", "input"), *w, *b;
    if (!x || !(w = pn_tensor_arg(wo, "linear", "weight")) ||
        pn_opt_tensor_arg(bo, &b, "linear", "bias") < 0)
        return NULL;
    if (x->ndim == 0 || w->ndim != 2) {
        PyErr_Format(PyExc_RuntimeError,
                     "linear: expected input to be at least 1-D and weight "
                     "to be 2-D, but got %dD input and %dD weight",
                     x->ndim, w->ndim);
        return NULL;
    }
    int64_t K = x->shape[x->ndim - 1], N = w->shape[0], M = 1;
    for (int d = 0; d < x->ndim - 1; d++) M *= x->shape[d];
    if (w->shape[1] != K) { /* PyTorch's wording: mat1 is x as (M, K), mat2 is w^T */
        PyErr_Format(PyExc_RuntimeError,
                     "mat1 and mat2 shapes cannot be multiplied (%lldx%lld "
                     "and %lldx%lld)",
                     (long long)M, (long long)K, (long long)w->shape[1], (long long)N);
        return NULL;
    }
    if (x->dtype != w->dtype || (b && b->dtype != x->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "mat1 and mat2 must have the same dtype, but got %s and "
                     "%s",
                     pn_dtype_name(x->dtype),
                     pn_dtype_name(x->dtype != w->dtype ? w->dtype : b->dtype));
        return NULL;
    }
    if (!pn_is_float(x->dtype)) {
        PyErr_Format(PyExc_RuntimeError, "\"addmm_impl_cpu_\" not implemented for '%s'",
                     pn_dtype_name(x->dtype));
        return NULL;
    }
    if (b && !(b->numel == N && b->ndim <= 1)) {
        char s[256];
        pn_format_shape(s, sizeof s, b->ndim, b->shape);
        PyErr_Format(PyExc_RuntimeError, "linear: expected bias of shape (%lld,), but got %s",
                     (long long)N, s);
        return NULL;
    }
    PNTensor *out = linear_raw(x, w, b);
    if (!out) return NULL;
    PNTensor *ins[3] = {x, w, b};
    PNNode *n = pn_record(out, b ? "AddmmBackward0" : "MmBackward0", linear_backward, 3, ins);
    linear_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->M = M, st->K = K;
        if (pn_save(n, 0, x, 0) == 0) pn_save(n, 1, w, 0);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return (PyObject *)out;
}
