/* ops/rnn.c - one recurrent layer (RNN, LSTM or GRU) in one direction, as one op.
 *
 * nn.RNN, nn.LSTM and nn.GRU (pynet/nn/modules/rnn.py) project the whole
 * input sequence of a layer with one F.linear (xg = x W_ih^T + b_ih), then
 * call this op for the recurrence, which runs in C step by step
 * (kernels/rnn.c): one GEMM and one fused gate pass per step. The op records
 * one node for the whole sequence; its backward walks the steps back in C.
 *
 * That backward is a kernel, not a formula written with ops, so a graph
 * through it cannot be differentiated again: with create_graph=True its
 * results record a node whose backward raises NotImplementedError
 * (pn_record_once_differentiable).
 */
#include "ops.h"
#include "../kernels/rnn.h"
#include <string.h>

/* ----------------------------------------------------------- rnn_layer ---- */

/* What the backward reads beside the weights (saved tensors 0, 1): the
 * forward's per-step record (kernels/rnn.h) and the sizes. */
typedef struct {
    PNTensor *gates, *hprev, *cprev, *aux, *htil, *batch_sizes; /* owned; NULL when unused */
    int mode, reverse;
    int64_t T, B, H, P;
} rnn_state;

/* The kernel's view of a layer: sizes from the state, pointers from tensors. */
static pn_rnn_args rnn_args(const rnn_state *st, pn_dtype dt, PNTensor *w_hh, PNTensor *w_hr) {
    pn_rnn_args a = {.mode = st->mode,
                     .reverse = st->reverse,
                     .dt = dt,
                     .T = st->T,
                     .B = st->B,
                     .H = st->H,
                     .P = st->P};
    a.batch_sizes = st->batch_sizes ? (const int64_t *)st->batch_sizes->data : NULL;
    a.w_hh = w_hh->data, a.w_hr = w_hr ? w_hr->data : NULL;
    a.gates = st->gates->data, a.hprev = st->hprev->data;
    a.cprev = st->cprev ? st->cprev->data : NULL, a.aux = st->aux ? st->aux->data : NULL;
    a.htil = st->htil ? st->htil->data : NULL;
    return a;
}

/* A private contiguous copy of t in dtype dt (no autograd), or zeros of the
 * given shape when t is NULL: the kernel overwrites it (h, c, dh, dc). */
static PNTensor *state_copy(PNTensor *t, pn_dtype dt, int ndim, const int64_t *shape) {
    if (!t) return pn_zeros(dt, ndim, shape);
    PNTensor *c = pn_contiguous_as(t, dt), *r = c ? pn_empty(dt, c->ndim, c->shape) : NULL;
    if (r) memcpy(r->data, c->data, (size_t)c->numel * pn_itemsize(dt));
    Py_XDECREF(c);
    return r;
}

// Backward of  (y, h_n, c_n) = rnn_layer(xg, w_hh, b_hh, h0, c0, w_hr):
//   (dxg, dw_hh, db_hh, dh0, dc0, dw_hr) from (dy, dh_n, dc_n), by pn_rnn_backward
static int rnn_layer_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const rnn_state *st = PN_STATE(n, rnn_state);
    PNTensor *w_hh = pn_unpack(n, 0), *w_hr = w_hh && n->saved[1] ? pn_unpack(n, 1) : NULL;
    if (!w_hh || (n->saved[1] && !w_hr)) {
        Py_XDECREF(w_hh);
        return -1;
    }
    pn_dtype dt = w_hh->dtype;
    int64_t G = st->gates->shape[1], hs[2] = {st->B, st->P}, cs[2] = {st->B, st->H};
    PNTensor *dy = gout[0] ? pn_contiguous_as(gout[0], dt) : NULL;
    PNTensor *dh = state_copy(gout[1], dt, 2, hs);
    PNTensor *dc = st->mode == PN_RNN_LSTM ? state_copy(gout[2], dt, 2, cs) : NULL;
    PNTensor *dxg = pn_empty(dt, 2, st->gates->shape);
    PNTensor *dw = n->next[1].fn ? pn_empty(dt, 2, w_hh->shape) : NULL;
    PNTensor *db = n->next[2].fn ? pn_empty(dt, 1, &G) : NULL;
    PNTensor *dwr = w_hr && n->next[5].fn ? pn_empty(dt, 2, w_hr->shape) : NULL;
    /* the kernel reads the weights as contiguous rows, as the forward's copies were */
    PNTensor *whc = pn_contiguous_as(w_hh, dt), *wrc = w_hr ? pn_contiguous_as(w_hr, dt) : NULL;
    int rc = -1;
    if (!PyErr_Occurred()) {
        pn_rnn_args a = rnn_args(st, dt, whc, wrc);
        pn_rnn_grads d = {dy ? dy->data : NULL,  dh->data,
                          dc ? dc->data : NULL,  dxg->data,
                          dw ? dw->data : NULL,  db ? db->data : NULL,
                          dwr ? dwr->data : NULL};
        PyThreadState *ts = PyEval_SaveThread();
        int err = pn_rnn_backward(&a, &d);
        PyEval_RestoreThread(ts);
        if (err)
            PyErr_NoMemory();
        else {
            const PNMeta *m = &n->meta[0]; /* xg's shape: (T, B, G) or packed (N, G) */
            gin[0] = n->next[0].fn ? pn_reshape(dxg, m->ndim, m->shape) : NULL;
            gin[1] = dw, gin[2] = db, gin[5] = dwr, dw = db = dwr = NULL;
            gin[3] = n->next[3].fn ? (Py_INCREF(dh), dh) : NULL;
            gin[4] = n->next[4].fn && dc ? (Py_INCREF(dc), dc) : NULL;
            PNTensor *ins[5] = {gout[0], gout[1], gout[2], w_hh, w_hr};
            rc = PyErr_Occurred()
                     ? -1
                     : pn_record_once_differentiable("RnnLayerBackwardBackward0", "nn.RNN/LSTM/GRU",
                                                     5, ins, 6, gin);
        }
    }
    Py_XDECREF(dy), Py_XDECREF(dh), Py_XDECREF(dc), Py_XDECREF(dxg);
    Py_XDECREF(dw), Py_XDECREF(db), Py_XDECREF(dwr), Py_DECREF(w_hh), Py_XDECREF(w_hr);
    Py_XDECREF(whc), Py_XDECREF(wrc);
    return rc;
}

/* The sizes of a layer call, checked: T steps, B batch rows (batch_sizes[0]
 * when packed), N rows in all, H hidden, P output (projection or H). */
typedef struct {
    int64_t T, B, N, H, P;
} rnn_sizes;

static int bad(const char *what, int ndim, const int64_t *shape, const char *expected) {
    char got[160];
    pn_format_list(got, sizeof got, ndim, shape);
    PyErr_Format(PyExc_RuntimeError, "rnn_layer: %s must be %s, got %s", what, expected, got);
    return -1;
}

/* batch_sizes: int64 (T), 1 <= each <= batch_sizes[0], non-increasing, summing to N. */
static int check_batch_sizes(PNTensor *bs, rnn_sizes *z) {
    if (bs->dtype != PN_INT64 || bs->ndim != 1 || !pn_is_contiguous(bs))
        return bad("batch_sizes", bs->ndim, bs->shape, "a contiguous 1-D int64 tensor");
    const int64_t *v = (const int64_t *)bs->data;
    int64_t sum = 0;
    z->T = bs->shape[0], z->B = z->T ? v[0] : 0;
    for (int64_t t = 0; t < z->T; t++) {
        if (v[t] < 1 || v[t] > (t ? v[t - 1] : v[0]) || __builtin_add_overflow(sum, v[t], &sum)) {
            PyErr_Format(PyExc_RuntimeError,
                         "rnn_layer: batch_sizes must be positive and non-increasing, got %lld "
                         "at step %lld",
                         (long long)v[t], (long long)t);
            return -1;
        }
    }
    if (sum != z->N) {
        PyErr_Format(PyExc_RuntimeError,
                     "rnn_layer: batch_sizes sum to %lld but the packed input has %lld rows",
                     (long long)sum, (long long)z->N);
        return -1;
    }
    return 0;
}

// xg (T, B, G*H) or packed (N, G*H), w_hh (G*H, P), b_hh (G*H), h0 (B, P),
// c0 (B, H) (LSTM only), w_hr (P, H) (LSTM projection only): all one float dtype
static int check_layer(int mode, PNTensor *xg, PNTensor *w_hh, PNTensor *b_hh, PNTensor *h0,
                       PNTensor *c0, PNTensor *w_hr, PNTensor *bs, rnn_sizes *z) {
    PNTensor *all[5] = {w_hh, b_hh, h0, c0, w_hr};
    int G = pn_rnn_gates(mode);
    if (!pn_is_float(xg->dtype)) return bad("xg", xg->ndim, xg->shape, "float32 or float64");
    for (int k = 0; k < 5; k++)
        if (all[k] && all[k]->dtype != xg->dtype) {
            PyErr_Format(PyExc_RuntimeError, "rnn_layer: expected all tensors to be %s, got %s",
                         pn_dtype_name(xg->dtype), pn_dtype_name(all[k]->dtype));
            return -1;
        }
    if (w_hh->ndim != 2 || w_hh->shape[0] % G)
        return bad("w_hh", w_hh->ndim, w_hh->shape, "(gates * hidden, output)");
    z->H = w_hh->shape[0] / G, z->P = w_hh->shape[1];
    if (xg->ndim != (bs ? 2 : 3) || xg->shape[xg->ndim - 1] != G * z->H)
        return bad("xg", xg->ndim, xg->shape,
                   bs ? "(N, gates * hidden)" : "(T, B, gates * hidden)");
    z->N = bs ? xg->shape[0] : xg->shape[0] * xg->shape[1];
    if (bs ? check_batch_sizes(bs, z) : 0) return -1;
    if (!bs) z->T = xg->shape[0], z->B = xg->shape[1];
    if (bs && z->T == 0) z->B = h0->ndim == 2 ? h0->shape[0] : -1; /* nothing packed */
    if (b_hh && (b_hh->ndim != 1 || b_hh->shape[0] != G * z->H))
        return bad("b_hh", b_hh->ndim, b_hh->shape, "(gates * hidden)");
    if (h0->ndim != 2 || h0->shape[0] != z->B || h0->shape[1] != z->P)
        return bad("h0", h0->ndim, h0->shape, "(batch, output)");
    if ((mode == PN_RNN_LSTM) != (c0 != NULL) ||
        (c0 && (c0->ndim != 2 || c0->shape[0] != z->B || c0->shape[1] != z->H)))
        return bad("c0", c0 ? c0->ndim : 0, c0 ? c0->shape : NULL, "(batch, hidden) for LSTM only");
    if (w_hr && (mode != PN_RNN_LSTM || w_hr->ndim != 2 || w_hr->shape[0] != z->P ||
                 w_hr->shape[1] != z->H))
        return bad("w_hr", w_hr->ndim, w_hr->shape, "(output, hidden) for LSTM only");
    if (!w_hr && mode == PN_RNN_LSTM && z->P != z->H)
        return bad("w_hh", w_hh->ndim, w_hh->shape, "(4 * hidden, hidden) without a projection");
    return 0;
}

/* Record the layer's node: inputs (xg, w_hh, b_hh, h0, c0, w_hr), outputs
 * (y, h_n, c_n); the state keeps the record, the weights are saved. */
static int record_rnn_layer(PNTensor **ins, PNTensor **out, rnn_state *rec) {
    int any = 0;
    for (int k = 0; k < 6; k++) any |= ins[k] && pn_requires_grad(ins[k]);
    if (!pn_grad_mode || !any) return 0;
    PNNode *n = pn_node_new("RnnLayerBackward0", rnn_layer_backward, 6, ins);
    rnn_state *st = n ? pn_node_state(n, sizeof *st, 6) : NULL;
    if (st) {
        *st = *rec; /* the node owns the record now */
        memset(rec, 0, 6 * sizeof(PNTensor *));
        n->n_out = 3;
        for (int k = 0; k < 3; k++)
            if (out[k]) pn_set_history(out[k], n, k);
        if (pn_save(n, 0, ins[1], 0) == 0 && ins[5]) pn_save(n, 1, ins[5], 0);
    }
    Py_XDECREF(n);
    return PyErr_Occurred() ? -1 : 0;
}

/* Run the kernel over contiguous copies of the inputs into out (y, h_n, c_n),
 * filling the record rec. */
static int run_rnn_layer(PNTensor **ins, const rnn_sizes *z, rnn_state *rec, PNTensor **out) {
    PNTensor *c[6] = {NULL};
    pn_dtype dt = ins[0]->dtype;
    int rc = -1, G = pn_rnn_gates(rec->mode);
    for (int k = 0; k < 6; k++)
        if (ins[k] && k != 3 && k != 4 && !(c[k] = pn_contiguous_as(ins[k], dt))) goto out;
    int64_t ng[2] = {z->N, G * z->H}, np[2] = {z->N, z->P}, nh[2] = {z->N, z->H};
    int64_t bp[2] = {z->B, z->P}, bh[2] = {z->B, z->H};
    int lstm = rec->mode == PN_RNN_LSTM;
    if (!(rec->gates = pn_empty(dt, 2, ng)) || !(rec->hprev = pn_empty(dt, 2, np)) ||
        (lstm && !(rec->cprev = pn_empty(dt, 2, nh))) ||
        (rec->mode >= PN_RNN_LSTM && !(rec->aux = pn_empty(dt, 2, nh))) ||
        (c[5] && !(rec->htil = pn_empty(dt, 2, nh))) || !(out[1] = state_copy(ins[3], dt, 2, bp)) ||
        (lstm && !(out[2] = state_copy(ins[4], dt, 2, bh))))
        goto out;
    int64_t ys[3] = {z->T, z->B, z->P};
    if (!(out[0] = rec->batch_sizes ? pn_empty(dt, 2, np) : pn_empty(dt, 3, ys))) goto out;
    pn_rnn_args a = rnn_args(rec, dt, c[1], c[5]);
    a.xg = c[0]->data, a.b_hh = c[2] ? c[2]->data : NULL;
    a.y = out[0]->data, a.h = out[1]->data, a.c = lstm ? out[2]->data : NULL;
    PyThreadState *ts = PyEval_SaveThread();
    int err = pn_rnn_forward(&a);
    PyEval_RestoreThread(ts);
    rc = err ? (PyErr_NoMemory(), -1) : 0;
out:
    for (int k = 0; k < 6; k++) Py_XDECREF(c[k]);
    return rc;
}

// xg (T, B, G*H) or packed (N, G*H), w_hh (G*H, P), b_hh (G*H) or NULL, h0 (B, P),
// c0 (B, H) (LSTM) or NULL, w_hr (P, H) or NULL, batch_sizes (T) int64 or NULL
//   -> out[0] y (T, B, P) or packed (N, P), out[1] h_n (B, P), out[2] c_n (B, H) (LSTM)
// reverse: walk the sequence from its end (the second direction of a bidirectional layer)
int pn_rnn_layer(int mode, PNTensor *xg, PNTensor *w_hh, PNTensor *b_hh, PNTensor *h0, PNTensor *c0,
                 PNTensor *w_hr, PNTensor *batch_sizes, int reverse, PNTensor **out) {
    out[0] = out[1] = out[2] = NULL;
    if (mode < PN_RNN_TANH || mode > PN_RNN_GRU) {
        PyErr_Format(PyExc_ValueError, "rnn_layer: unknown mode %d", mode);
        return -1;
    }
    rnn_sizes z;
    if (check_layer(mode, xg, w_hh, b_hh, h0, c0, w_hr, batch_sizes, &z) < 0) return -1;
    rnn_state rec = {.mode = mode, .reverse = reverse, .T = z.T, .B = z.B, .H = z.H, .P = z.P};
    rec.batch_sizes = batch_sizes;
    Py_XINCREF(batch_sizes);
    PNTensor *ins[6] = {xg, w_hh, b_hh, h0, c0, w_hr};
    int rc = run_rnn_layer(ins, &z, &rec, out) < 0 ? -1 : record_rnn_layer(ins, out, &rec);
    PNTensor **owned = &rec.gates;
    for (int k = 0; k < 6; k++) Py_XDECREF(owned[k]);
    if (rc < 0)
        for (int k = 0; k < 3; k++) Py_CLEAR(out[k]);
    return rc;
}
