/* ops/matmul.c - matmul / mm / bmm with batch broadcasting, and backward.
 *
 * The core op multiplies a (..., M, K) by b (..., K, N). Each operand's last
 * two dims are handed to the GEMM as they lie in memory: a row-major matrix,
 * or the transpose of one (so x.T @ y never copies). Batch dims broadcast by
 * giving the smaller operand a zero batch stride.
 *   forward:  out = a @ b
 *   backward: da = g @ b^T,  db = a^T @ g   (then summed over broadcast dims)
 */
#include "ops.h"
#include "../kernels/gemm.h"
#include <string.h>
#include <math.h>

typedef struct {
    pn_dtype dt;
    int64_t M, N, K, nbatch;
    int ta, tb;
    int64_t lda, ldb;
    const int64_t *aoff, *boff; /* element offset of each batch's matrix */
    char *A, *B, *C;
} mm_job;

static int run_mm(const mm_job *j) {
    size_t item = pn_itemsize(j->dt);
    int rc = 0;
    for (int64_t b = 0; b < j->nbatch && rc == 0; b++) {
        char *A = j->A + j->aoff[b] * (int64_t)item, *B = j->B + j->boff[b] * (int64_t)item;
        char *C = j->C + b * j->M * j->N * (int64_t)item;
        rc = pn_gemm(j->dt, j->ta, j->tb, j->M, j->N, j->K, A, j->lda, B, j->ldb, 0.0, C, j->N);
    }
    return rc;
}

static PNTensor *matmul_core(PNTensor *a, PNTensor *b, const char *op);

static PNTensor *matmul_record(PNTensor *a, PNTensor *b, const char *op);

// y = a @ b: da = g @ b^T, db = a^T @ g (summed over broadcast batch dims)
static int matmul_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    PNTensor *a = pn_unpack(n, 0), *b = a ? pn_unpack(n, 1) : NULL;
    if (!b) {
        Py_XDECREF(a);
        return -1;
    }
    int rc = -1;
    if (n->next[0].fn) {
        PNTensor *bt = pn_transpose(b, b->ndim - 2, b->ndim - 1);
        gin[0] = bt ? matmul_record(g, bt, "matmul backward") : NULL;
        Py_XDECREF(bt);
        if (!gin[0]) goto out;
    }
    if (n->next[1].fn) {
        PNTensor *at = pn_transpose(a, a->ndim - 2, a->ndim - 1);
        gin[1] = at ? matmul_record(at, g, "matmul backward") : NULL;
        Py_XDECREF(at);
        if (!gin[1]) goto out;
    }
    rc = 0;
out:
    Py_DECREF(a);
    Py_DECREF(b);
    return rc;
}

/* a (..., M, K) @ b (..., K, N), both at least 2-d. */
/* The inner sizes agree and the dtypes match and are multipliable. */
static int check_matmul_args(PNTensor *a, PNTensor *b, const char *op) {
    int64_t K = a->shape[a->ndim - 1], K2 = b->shape[b->ndim - 2];
    if (K != K2) {
        char sa[256], sb[256];
        pn_format_shape(sa, sizeof sa, a->ndim, a->shape);
        pn_format_shape(sb, sizeof sb, b->ndim, b->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "%s: cannot multiply %s by %s: inner sizes %lld and %lld differ", op, sa, sb,
                     (long long)K, (long long)K2);
        return -1;
    }
    if (a->dtype != b->dtype) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s: expected both operands to have the same dtype, but got %s and %s", op,
                     pn_dtype_name(a->dtype), pn_dtype_name(b->dtype));
        return -1;
    }
    if (a->dtype == PN_BOOL) {
        PyErr_Format(PyExc_NotImplementedError, "%s: \"addmm\" not implemented for 'bool'", op);
        return -1;
    }
    return 0;
}

/* a (..., M, K), b (..., K, N): the broadcast batch shape (its ndim, or -1). */
static int matmul_batch_shape(PNTensor *a, PNTensor *b, const char *op, int64_t *bshape) {
    int nbd;
    if (pn_broadcast_shapes(a->ndim - 2, a->shape, b->ndim - 2, b->shape, &nbd, bshape, op) < 0)
        return -1;
    return nbd;
}

/* Element offsets of each batch's matrix in a ([0, nbatch)) and b ([nbatch, 2 nbatch)):
 * batch index i unravelled over bshape, a size-1 (broadcast) batch dim adding nothing. */
static int64_t *batch_offsets(PNTensor *a, PNTensor *b, int nbd, const int64_t *bshape,
                              int64_t nbatch) {
    int na = a->ndim - 2, nb = b->ndim - 2;
    int64_t *off = PyMem_Malloc(sizeof(int64_t) * 2 * (size_t)(nbatch ? nbatch : 1));
    if (!off) {
        PyErr_NoMemory();
        return NULL;
    }
    for (int64_t i = 0; i < nbatch; i++) {
        int64_t rem = i, oa = 0, ob = 0;
        for (int d = nbd - 1; d >= 0; d--) {
            int64_t k = rem % bshape[d];
            rem /= bshape[d];
            int ia = d - (nbd - na), ib = d - (nbd - nb);
            if (ia >= 0 && a->shape[ia] != 1) oa += k * a->strides[ia];
            if (ib >= 0 && b->shape[ib] != 1) ob += k * b->strides[ib];
        }
        off[i] = oa;
        off[nbatch + i] = ob;
    }
    return off;
}

/* t's last two dims (rows, cols) as a GEMM operand: t itself, or a contiguous
 * copy (*copy) when they are neither row- nor column-major. */
static PNTensor *gemm_operand(PNTensor *t, int64_t rows, int64_t cols, int *trans, int64_t *ld,
                              PNTensor **copy) {
    *copy = NULL;
    if (pn_gemm_layout(rows, cols, t->strides[t->ndim - 2], t->strides[t->ndim - 1], trans, ld))
        return t;
    if (!(t = *copy = pn_to_contiguous_nograd(t))) return NULL;
    pn_gemm_layout(rows, cols, t->strides[t->ndim - 2], t->strides[t->ndim - 1], trans, ld);
    return t;
}

// a (..., M, K), b (..., K, N) -> out (broadcast ..., M, N), without autograd
static PNTensor *matmul_core(PNTensor *a, PNTensor *b, const char *op) {
    if (check_matmul_args(a, b, op) < 0) return NULL;
    int64_t M = a->shape[a->ndim - 2], K = a->shape[a->ndim - 1], N = b->shape[b->ndim - 1];
    int64_t oshape[PN_MAX_DIMS];
    int nbd = matmul_batch_shape(a, b, op, oshape);
    if (nbd < 0) return NULL;
    oshape[nbd] = M, oshape[nbd + 1] = N;
    int64_t nbatch = 1;
    for (int d = 0; d < nbd; d++) nbatch *= oshape[d];
    PNTensor *ac = NULL, *bc = NULL, *out = NULL;
    int64_t *off = NULL;
    mm_job job = {.dt = a->dtype, .M = M, .N = N, .K = K, .nbatch = nbatch};
    if (!(a = gemm_operand(a, M, K, &job.ta, &job.lda, &ac)) ||
        !(b = gemm_operand(b, K, N, &job.tb, &job.ldb, &bc)) ||
        !(out = pn_empty(a->dtype, nbd + 2, oshape)) ||
        !(off = batch_offsets(a, b, nbd, oshape, nbatch)))
        goto fail;
    job.aoff = off, job.boff = off + nbatch, job.A = a->data, job.B = b->data, job.C = out->data;
    int rc;
    if (M * N * K * nbatch > 32768) {
        Py_BEGIN_ALLOW_THREADS
        rc = run_mm(&job);
        Py_END_ALLOW_THREADS
    } else {
        rc = run_mm(&job);
    }
    if (rc != 0) {
        PyErr_NoMemory();
        goto fail;
    }
    PyMem_Free(off);
    Py_XDECREF(ac), Py_XDECREF(bc);
    return out;
fail:
    PyMem_Free(off);
    Py_XDECREF(ac), Py_XDECREF(bc), Py_XDECREF(out);
    return NULL;
}

static PNTensor *matmul_record(PNTensor *a, PNTensor *b, const char *op) {
    PNTensor *out = matmul_core(a, b, op);
    if (!out || !pn_is_float(out->dtype)) return out;
    PNTensor *ins[2] = {a, b};
    const char *name = a->ndim == 2 && b->ndim == 2 ? "MmBackward0" : "BmmBackward0";
    PNNode *n = pn_record(out, name, matmul_backward, 2, ins);
    if (n && (pn_save(n, 0, a, 0) < 0 || pn_save(n, 1, b, 0) < 0)) Py_CLEAR(out);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* torch.matmul semantics: 1-d operands get a dim added (and removed after). */
// a (.., M, K) @ b (.., K, N) -> (.., M, N); 1-d operands as in torch.matmul
PNTensor *pn_matmul(PNTensor *a, PNTensor *b, const char *op) {
    if (a->ndim == 0 || b->ndim == 0) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s: both arguments to matmul need to be at least 1D, "
                     "but they are %dD and %dD",
                     op, a->ndim, b->ndim);
        return NULL;
    }
    PNTensor *a2 = a->ndim == 1 ? pn_unsqueeze(a, 0) : (Py_INCREF(a), a);
    PNTensor *b2 = !a2 ? NULL : b->ndim == 1 ? pn_unsqueeze(b, 1) : (Py_INCREF(b), b);
    if (!b2) {
        Py_XDECREF(a2);
        return NULL;
    }
    PNTensor *out = matmul_record(a2, b2, op);
    if (out && b->ndim == 1) Py_SETREF(out, pn_squeeze(out, out->ndim - 1));
    if (out && a->ndim == 1) Py_SETREF(out, pn_squeeze(out, out->ndim - (b->ndim == 1 ? 1 : 2)));
    Py_DECREF(a2);
    Py_DECREF(b2);
    return out;
}
