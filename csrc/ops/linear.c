/* ops/linear.c - F.linear: y = x W^T + b in one GEMM (b added tile by tile),
 * and its backward, written once with matmul and sum:
 *   dx = g W,  dW = g^T x,  db = sum over rows of g. */
#include "ops.h"
#include "../kernels/gemm.h"

/* --------------------------------------------------------------- linear ---- */

/* The (M, K) matrix view of x (*, K): its layout for the GEMM, or a
 * contiguous copy in *copy when it has none. */
static int x_layout(PNTensor *x, int64_t M, int64_t K, PNTensor **copy, int *trans, int64_t *ld) {
    *copy = NULL;
    if (x->ndim == 2 && pn_gemm_layout(M, K, x->strides[0], x->strides[1], trans, ld)) return 0;
    if (x->ndim != 2 && pn_is_contiguous(x)) {
        *trans = 0, *ld = K > 1 ? K : 1;
        return 0;
    }
    if (!(*copy = pn_to_contiguous_nograd(x))) return -1;
    *trans = 0, *ld = K > 1 ? K : 1;
    return 0;
}

/* C = op(A) op(B) (+ bias[j] on every row when bias is not NULL) by pn_gemm or
 * pn_gemm_bias, with the GIL released when the product is big enough to be worth it. */
static int gemm(pn_dtype dt, int ta, int tb, int64_t M, int64_t N, int64_t K, const char *A,
                int64_t lda, const char *B, int64_t ldb, const char *bias, char *C, int64_t ldc) {
    PyThreadState *ts = M * N * K > 32768 ? PyEval_SaveThread() : NULL;
    int rc = bias ? pn_gemm_bias(dt, ta, tb, M, N, K, A, lda, B, ldb, bias, 1, C, ldc)
                  : pn_gemm(dt, ta, tb, M, N, K, A, lda, B, ldb, 0.0, C, ldc);
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
    if (!pn_gemm_layout(N, K, w->strides[0], w->strides[1], &wt, &ldb)) {
        if (!(wc = pn_to_contiguous_nograd(w))) goto fail;
        pn_gemm_layout(N, K, wc->strides[0], wc->strides[1], &wt, &ldb);
    }
    tb = !wt;
    PNTensor *W = wc ? wc : w, *X = xc ? xc : x;
    out = pn_empty(x->dtype, x->ndim, oshape);
    if (!out) goto fail;
    if (b && M > 0 && N > 0 && !(bc = pn_contiguous_as(b, b->dtype))) goto fail;
    if (gemm(x->dtype, ta, tb, M, N, K, X->data, lda, W->data, ldb, bc ? bc->data : NULL, out->data,
             N) < 0)
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

// y (M, N) = x (M, K) @ w^T + b:
//     dx = g @ w,  dw = g^T @ x,  db = g summed over rows
// written with matmul/sum, which read transposed operands in place (no copy),
// and which record their own nodes when create_graph=True.
// The node's inputs are PyTorch's: AddmmBackward0 (b, x, w), MmBackward0 (x, w).
static int linear_backward(PNNode *n, PNTensor **gout, PNTensor **gin_all) {
    PNTensor **gin = gin_all + (n->n_next == 3); /* gin[0] dx, gin[1] dw */
    int has_bias = n->n_next == 3;
    PNTensor *x = pn_unpack(n, 0), *w = x ? pn_unpack(n, 1) : NULL;
    if (!w) {
        Py_XDECREF(x);
        return -1;
    }
    const linear_state *st = PN_STATE(n, linear_state);
    int64_t gshape[2] = {st->M, w->shape[0]}, xshape[2] = {st->M, st->K};
    int rc = -1;
    PNTensor *g = pn_reshape(gout[0], 2, gshape), *x2 = NULL, *gt = NULL, *d = NULL;
    if (!g) goto out;
    if (n->next[has_bias].fn) {
        d = pn_matmul(g, w, "linear backward");
        if (!d || !(gin[0] = pn_reshape(d, x->ndim, x->shape))) goto out;
    }
    if (n->next[has_bias + 1].fn) {
        x2 = pn_reshape(x, 2, xshape);
        gt = x2 ? pn_transpose(g, 0, 1) : NULL;
        if (!gt || !(gin[1] = pn_matmul(gt, x2, "linear backward"))) goto out;
    }
    if (has_bias && n->next[0].fn && !(gin_all[0] = pn_sum(g, 1u, 0, 0, g->dtype))) goto out;
    rc = 0;
out:
    Py_XDECREF(g), Py_XDECREF(x2), Py_XDECREF(gt), Py_XDECREF(d);
    Py_DECREF(x), Py_DECREF(w);
    return rc;
}

// x (*, K), w (N, K), b (N) or NULL -> y (*, N) = x @ w^T + b
PNTensor *pn_linear(PNTensor *x, PNTensor *w, PNTensor *b) {
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
        PyErr_Format(PyExc_NotImplementedError, "\"addmm_impl_cpu_\" not implemented for '%s'",
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
    /* inputs in PyTorch's order, so grad_fn.next_functions reads as it does there */
    PNTensor *ins[3] = {b ? b : x, b ? x : w, w};
    PNNode *n = b ? pn_record(out, "AddmmBackward0", linear_backward, 3, ins)
                  : pn_record(out, "MmBackward0", linear_backward, 2, ins);
    linear_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        st->M = M, st->K = K;
        if (pn_save(n, 0, x, 0) == 0) pn_save(n, 1, w, 0);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}
