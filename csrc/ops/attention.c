/* ops/attention.c - F.scaled_dot_product_attention as one fused op.
 *
 * The math and its backward are in kernels/attention.c: scores are made and
 * used one block of query rows at a time, never as an L x S matrix, and
 * is_causal is a rule (j > i is masked), not a built mask. The backward is a
 * kernel too, so it can be differentiated only once (create_graph records a
 * node that says so: pn_record_once_differentiable).
 */
#include "ops.h"
#include "../core/generator.h"
#include "../kernels/attention.h"
#include <math.h>
#include <string.h>

/* ---------------------------------------------- scaled_dot_product_attention ---- */

/* What the backward needs beside q, k, v and the output (saved tensors 0-3). */
typedef struct {
    PNTensor *lse, *mask, *moff; /* owned: log-sum-exps, mask view, its offsets */
    double scale, dropout_p;
    int causal, mask_is_bool;
    uint64_t seed;
    int64_t BH, mstride_i, mstride_j;
} attn_state;

/* Head bh's offset into t (in elements) for each of the BH heads that t's batch
 * dims (all but the last two) flatten to: a new int64 tensor (BH). */
static PNTensor *head_offsets(PNTensor *t, int64_t BH) {
    int nd = t->ndim;
    PNTensor *offs = pn_empty(PN_INT64, 1, &BH);
    if (!offs) return NULL;
    int64_t *off = (int64_t *)offs->data;
    for (int64_t bh = 0; bh < BH; bh++) { /* bh's batch index, digit by digit */
        int64_t rest = bh, o = 0;
        for (int d = nd - 3; d >= 0; d--)
            o += (rest % t->shape[d]) * t->strides[d], rest /= t->shape[d];
        off[bh] = o;
    }
    return offs;
}

/* An operand (*, rows, cols) as the kernel takes it, and the tensors that must
 * live through the call (owned). */
typedef struct {
    pn_attn_mat m;
    PNTensor *copy, *off;
} attn_operand;

/* t read (or, for an output, written) in place when its rows are contiguous and
 * do not overlap, else through a contiguous copy of dtype dt (inputs only). */
static int attn_operand_of(PNTensor *t, pn_dtype dt, int64_t BH, attn_operand *op) {
    int nd = t->ndim;
    int64_t rows = t->shape[nd - 2], cols = t->shape[nd - 1], one = cols > 1 ? cols : 1;
    int inplace = t->dtype == dt && (cols <= 1 || t->strides[nd - 1] == 1) &&
                  (rows <= 1 || t->strides[nd - 2] >= one);
    PNTensor *u = t;
    if (!inplace && !(u = op->copy = pn_contiguous_as(t, dt))) return -1;
    if (!(op->off = head_offsets(u, BH))) return -1;
    op->m.data = u->data, op->m.off = (const int64_t *)op->off->data;
    op->m.ld = rows > 1 && u->strides[nd - 2] >= one ? u->strides[nd - 2] : one;
    return 0;
}

static void attn_operand_clear(attn_operand *op) {
    Py_CLEAR(op->copy);
    Py_CLEAR(op->off);
}

/* The kernel's description of a call: sizes from q (BH.., L, E), k, v. */
static pn_attn_args attn_args(const attn_state *st, PNTensor *q, PNTensor *k, PNTensor *v) {
    int nd = q->ndim;
    pn_attn_args a = {.dt = q->dtype,
                      .BH = st->BH,
                      .L = q->shape[nd - 2],
                      .S = k->shape[nd - 2],
                      .E = q->shape[nd - 1],
                      .Ev = v->shape[nd - 1],
                      .scale = st->scale,
                      .dropout_p = st->dropout_p,
                      .causal = st->causal,
                      .mask_is_bool = st->mask_is_bool,
                      .seed = st->seed};
    a.mask = st->mask ? st->mask->data : NULL;
    a.moff = st->moff ? (const int64_t *)st->moff->data : NULL;
    a.mstride_i = st->mstride_i, a.mstride_j = st->mstride_j;
    a.lse = (double *)st->lse->data;
    return a;
}

/* The backward's operands: q, k, v, o (ins[0..3]), dout, and dq, dk, dv (outs). */
enum { OP_Q, OP_K, OP_V, OP_O, OP_DOUT, OP_DQ, OP_DK, OP_DV, OP_N };

// Backward of  o = sdpa(q, k, v):  (dq, dk, dv) from do, by pn_attn_backward;
// each gradient is laid out as its input is (pn_empty_like_layout)
static int sdpa_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const attn_state *st = PN_STATE(n, attn_state);
    PNTensor *raw[4] = {NULL}, *d[3] = {NULL};
    attn_operand op[OP_N];
    memset(op, 0, sizeof op);
    int rc = -1;
    for (int k = 0; k < 4; k++)
        if (!(raw[k] = pn_unpack(n, k))) goto out;
    pn_dtype dt = raw[0]->dtype;
    for (int k = 0; k < 4; k++)
        if (attn_operand_of(raw[k], dt, st->BH, &op[k]) < 0) goto out;
    if (attn_operand_of(gout[0], dt, st->BH, &op[OP_DOUT]) < 0) goto out;
    for (int k = 0; k < 3; k++)
        if (n->next[k].fn && (!(d[k] = pn_empty_like_layout(raw[k], NULL, dt)) ||
                              attn_operand_of(d[k], dt, st->BH, &op[OP_DQ + k]) < 0))
            goto out;
    pn_attn_args a = attn_args(st, raw[0], raw[1], raw[2]);
    a.q = op[OP_Q].m, a.k = op[OP_K].m, a.v = op[OP_V].m, a.o = op[OP_O].m;
    pn_attn_grads g = {op[OP_DOUT].m, op[OP_DQ].m, op[OP_DK].m, op[OP_DV].m};
    PyThreadState *ts = PyEval_SaveThread();
    int err = pn_attn_backward(&a, &g);
    PyEval_RestoreThread(ts);
    if (err) {
        PyErr_NoMemory();
    } else {
        PNTensor *ins[4] = {gout[0], raw[0], raw[1], raw[2]};
        for (int k = 0; k < 3; k++) gin[k] = d[k], d[k] = NULL;
        rc = pn_record_once_differentiable("ScaledDotProductAttentionBackwardBackward0",
                                           "scaled_dot_product_attention", 4, ins, 3, gin);
    }
out:
    for (int k = 0; k < OP_N; k++) attn_operand_clear(&op[k]);
    for (int k = 0; k < 4; k++) Py_XDECREF(raw[k]);
    for (int k = 0; k < 3; k++) Py_XDECREF(d[k]);
    return rc;
}

// q (*, L, E), k (*, S, E), v (*, S, Ev): one float dtype, the same batch dims *
static int sdpa_check(PNTensor *q, PNTensor *k, PNTensor *v, PNTensor *mask, double p, int causal) {
    char a[160], b[160], c[160];
    int nd = q->ndim;
    if (q->dtype != k->dtype || q->dtype != v->dtype || !pn_is_float(q->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "scaled_dot_product_attention: expected query, key and value to have the "
                     "same floating dtype, but got query.dtype: %s, key.dtype: %s and "
                     "value.dtype: %s instead",
                     pn_dtype_name(q->dtype), pn_dtype_name(k->dtype), pn_dtype_name(v->dtype));
        return -1;
    }
    int ok = nd >= 2 && k->ndim == nd && v->ndim == nd && q->shape[nd - 1] == k->shape[nd - 1] &&
             k->shape[nd - 2] == v->shape[nd - 2];
    for (int d = 0; ok && d < nd - 2; d++)
        ok = q->shape[d] == k->shape[d] && q->shape[d] == v->shape[d];
    if (!ok) {
        pn_format_list(a, sizeof a, q->ndim, q->shape),
            pn_format_list(b, sizeof b, k->ndim, k->shape);
        pn_format_list(c, sizeof c, v->ndim, v->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "scaled_dot_product_attention: expected query (*, L, E), key (*, S, E) and "
                     "value (*, S, Ev) with the same batch sizes *, but got query %s, key %s "
                     "and value %s",
                     a, b, c);
        return -1;
    }
    if (mask && causal) {
        PyErr_SetString(PyExc_RuntimeError, "_scaled_dot_product_attention: Explicit attn_mask "
                                            "should not be set when is_causal=True");
        return -1;
    }
    if (mask && mask->dtype != PN_BOOL && mask->dtype != q->dtype) {
        PyErr_Format(PyExc_RuntimeError,
                     "scaled_dot_product_attention: expected attn_mask dtype to be bool or to "
                     "match query dtype, but got attn_mask.dtype: %s and query.dtype: %s",
                     pn_dtype_name(mask->dtype), pn_dtype_name(q->dtype));
        return -1;
    }
    if (mask && pn_requires_grad(mask) && pn_grad_mode) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "scaled_dot_product_attention: a float attn_mask that requires grad is "
                        "not supported (its gradient is not computed)");
        return -1;
    }
    if (!(p >= 0 && p <= 1)) {
        PyErr_Format(PyExc_RuntimeError,
                     "scaled_dot_product_attention: dropout_p must be in [0, 1], got %g", p);
        return -1;
    }
    return 0;
}

/* The mask broadcast to (*, L, S) as a view, and each head's offset into it
 * (st->mask, st->moff, st->mstride_*). */
static int sdpa_mask(attn_state *st, PNTensor *q, PNTensor *k, PNTensor *mask) {
    int nd = q->ndim;
    int64_t shape[PN_MAX_DIMS];
    memcpy(shape, q->shape, sizeof(int64_t) * (size_t)nd);
    shape[nd - 1] = k->shape[nd - 2];
    if (mask->ndim > nd) {
        PyErr_Format(PyExc_RuntimeError,
                     "scaled_dot_product_attention: attn_mask has %d dims, more than query's %d",
                     mask->ndim, nd);
        return -1;
    }
    if (!(st->mask = pn_expand(mask, nd, shape)) || !(st->moff = head_offsets(st->mask, st->BH)))
        return -1;
    st->mstride_i = st->mask->strides[nd - 2], st->mstride_j = st->mask->strides[nd - 1];
    return 0;
}

// q (*, L, E), k (*, S, E), v (*, S, Ev), attn_mask broadcastable to (*, L, S) or NULL
//   -> o (*, L, Ev) = softmax(scale q k^T + mask) v     (scale NAN: 1 / sqrt(E))
PNTensor *pn_scaled_dot_product_attention(PNTensor *q, PNTensor *k, PNTensor *v, PNTensor *mask,
                                          double dropout_p, int causal, double scale) {
    if (sdpa_check(q, k, v, mask, dropout_p, causal) < 0) return NULL;
    int nd = q->ndim;
    int64_t E = q->shape[nd - 1], L = q->shape[nd - 2], oshape[PN_MAX_DIMS];
    attn_state st = {.scale = isnan(scale) ? 1.0 / sqrt((double)(E ? E : 1)) : scale,
                     .dropout_p = dropout_p,
                     .causal = causal,
                     .BH = 1};
    for (int d = 0; d < nd - 2; d++) st.BH *= q->shape[d];
    memcpy(oshape, q->shape, sizeof(int64_t) * (size_t)nd);
    oshape[nd - 1] = v->shape[nd - 1];
    int64_t nlse = st.BH * L;
    PNTensor *out = NULL, *ins[3] = {q, k, v};
    attn_operand op[4]; /* q, k, v, out */
    memset(op, 0, sizeof op);
    st.mask_is_bool = mask && mask->dtype == PN_BOOL;
    if (dropout_p > 0) st.seed = pn_rng_next(pn_global_rng());
    if ((mask && sdpa_mask(&st, q, k, mask) < 0) || !(st.lse = pn_empty(PN_FLOAT64, 1, &nlse)))
        goto fail;
    for (int j = 0; j < 3; j++)
        if (attn_operand_of(ins[j], q->dtype, st.BH, &op[j]) < 0) goto fail;
    /* laid out as q is, as PyTorch's is: heads cut from (B, T, H, D) memory give an
     * output whose transpose(1, 2) is contiguous */
    if (!(out = pn_empty_like_layout(op[0].copy ? op[0].copy : q, oshape, q->dtype)) ||
        attn_operand_of(out, q->dtype, st.BH, &op[3]) < 0)
        goto fail;
    pn_attn_args a = attn_args(&st, q, k, v);
    a.q = op[0].m, a.k = op[1].m, a.v = op[2].m, a.o = op[3].m;
    PyThreadState *ts = PyEval_SaveThread();
    int err = pn_attn_forward(&a);
    PyEval_RestoreThread(ts);
    if (err) {
        PyErr_NoMemory();
        goto fail;
    }
    PNNode *n = pn_record(out, "ScaledDotProductAttentionBackward0", sdpa_backward, 3, ins);
    attn_state *ns = n ? pn_node_state(n, sizeof *ns, 3) : NULL;
    if (ns) {
        *ns = st, st.lse = st.mask = st.moff = NULL; /* the node owns them now */
        for (int j = 0; j < 3; j++) pn_save(n, j, ins[j], 0);
        pn_save(n, 3, out, 1); /* changed in place, it makes the backward raise */
    }
    if (PyErr_Occurred()) goto fail;
    for (int j = 0; j < 4; j++) attn_operand_clear(&op[j]);
    Py_XDECREF(st.lse), Py_XDECREF(st.mask), Py_XDECREF(st.moff);
    return out;
fail:
    for (int j = 0; j < 4; j++) attn_operand_clear(&op[j]);
    Py_XDECREF(st.lse), Py_XDECREF(st.mask), Py_XDECREF(st.moff), Py_XDECREF(out);
    return NULL;
}
