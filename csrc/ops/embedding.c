/* ops/embedding.c - F.embedding (rows of a weight gathered by index, with
 * padding_idx) and its backward (rows scattered-added), and F.one_hot. */
#include "ops.h"
#include "../kernels/nn.h"
#include <string.h>
#include <math.h>

/* ------------------------------------------------------------ embedding ---- */

static PNTensor *embedding_gather(PNTensor *idx, PNTensor *w, int64_t pad, int zero_pad);

/* Backward of the dense backward: it is linear in g, so d/dg is a gather of
 * gg's rows (with the padding positions, which got no gradient, zeroed).
 * Saved: idx. i[0]: pad. */
/* State of EmbeddingBackward0 and of its backward's node. */
typedef struct {
    int64_t padding_idx; /* the row that gets no gradient (-1: none) */
    int64_t num_weights; /* rows of the weight (V) */
} embedding_state;

/* Give node n (if any) its state and save the indices. */
static void record_embedding(PNNode *n, int64_t padding_idx, int64_t num_weights, PNTensor *idx) {
    embedding_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (!st) return;
    st->padding_idx = padding_idx, st->num_weights = num_weights;
    pn_save(n, 0, idx, 0);
}

static int embedding_dense_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *idx = pn_unpack(n, 0);
    if (!idx) return -1;
    gin[0] = embedding_gather(idx, gout[0], PN_STATE(n, embedding_state)->padding_idx, 1);
    Py_DECREF(idx);
    return gin[0] ? 0 : -1;
}

/* dweight (V, D): g's rows (idx.shape + (D,)) added into the rows idx names. */
static PNTensor *embedding_dense_backward(PNTensor *g, PNTensor *idx, int64_t V, int64_t pad) {
    int64_t D = g->shape[g->ndim - 1], shape[2] = {V, D};
    PNTensor *gc = pn_to_contiguous_nograd(g), *ic = gc ? pn_to_contiguous_nograd(idx) : NULL;
    PNTensor *out = ic ? pn_zeros(g->dtype, 2, shape) : NULL;
    if (out) {
        if (g->dtype == PN_FLOAT32)
            pn_embedding_backward_f32((int64_t *)ic->data, idx->numel, F32(gc), D, F32(out), pad);
        else
            pn_embedding_backward_f64((int64_t *)ic->data, idx->numel, F64(gc), D, F64(out), pad);
        PNNode *n = pn_record(out, "EmbeddingDenseBackwardBackward0",
                              embedding_dense_backward_backward, 1, &g);
        record_embedding(n, pad, V, idx);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_XDECREF(gc), Py_XDECREF(ic);
    return out;
}

/* Saved: idx (slot 0); state: embedding_state. */
static int embedding_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *idx = pn_unpack(n, 0);
    if (!idx) return -1;
    const embedding_state *st = PN_STATE(n, embedding_state);
    gin[0] = embedding_dense_backward(gout[0], idx, st->num_weights, st->padding_idx);
    Py_DECREF(idx);
    return gin[0] ? 0 : -1;
}

static PNTensor *embedding_gather(PNTensor *idx, PNTensor *w, int64_t pad, int zero_pad) {
    int64_t V = w->shape[0], D = w->shape[1], shape[PN_MAX_DIMS];
    if (idx->ndim + 1 > PN_MAX_DIMS) {
        PyErr_SetString(PyExc_RuntimeError, "embedding: too many dimensions");
        return NULL;
    }
    memcpy(shape, idx->shape, sizeof(int64_t) * (size_t)idx->ndim);
    shape[idx->ndim] = D;
    PNTensor *ic = pn_to_contiguous_nograd(idx), *wc = ic ? pn_to_contiguous_nograd(w) : NULL;
    PNTensor *out = wc ? pn_empty(w->dtype, idx->ndim + 1, shape) : NULL;
    if (out) {
        int64_t bad = 0;
        int rc = w->dtype == PN_FLOAT32 ? pn_embedding_f32((int64_t *)ic->data, idx->numel, F32(wc),
                                                           V, D, F32(out), zero_pad, pad, &bad)
                                        : pn_embedding_f64((int64_t *)ic->data, idx->numel, F64(wc),
                                                           V, D, F64(out), zero_pad, pad, &bad);
        if (rc != PN_OK) {
            PyErr_Format(PyExc_IndexError,
                         "index out of range in self (index %lld, num_embeddings "
                         "%lld)",
                         (long long)bad, (long long)V);
            Py_CLEAR(out);
        }
    }
    if (out) {
        PNNode *n = pn_record(out, "EmbeddingBackward0", embedding_backward, 1, &w);
        record_embedding(n, pad, V, ic);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_XDECREF(ic), Py_XDECREF(wc);
    return out;
}

/* _embedding(input, weight, padding_idx): padding_idx already wrapped, -1 for none. */
// idx (*) int64, w (V, D) -> y (*, D) = w[idx]; row padding_idx (or -1) gets no gradient
PNTensor *pn_embedding(PNTensor *idx, PNTensor *w, int64_t pad) {
    if (idx->dtype != PN_INT64) {
        PyErr_Format(PyExc_RuntimeError,
                     "Expected tensor for argument #1 'indices' to have one "
                     "of the following scalar types: Long, Int; but got %s "
                     "instead (while checking arguments for embedding)",
                     pn_dtype_name(idx->dtype));
        return NULL;
    }
    if (w->ndim != 2) {
        PyErr_SetString(PyExc_RuntimeError, "'weight' must be 2-D");
        return NULL;
    }
    if (pn_require_float(w, "embedding") < 0) return NULL;
    return embedding_gather(idx, w, pad, 0);
}

/* -------------------------------------------------------------- one_hot ---- */

// t (*) int64 -> (*, nc) int64 with a 1 at each t's class (nc -1: max(t) + 1)
PNTensor *pn_one_hot(PNTensor *t, int64_t nc) {
    if (t->dtype != PN_INT64) {
        PyErr_SetString(PyExc_RuntimeError,
                        "one_hot is only applicable to index tensor of type LongTensor.");
        return NULL;
    }
    if (t->ndim + 1 > PN_MAX_DIMS) {
        PyErr_SetString(PyExc_RuntimeError, "one_hot: too many dimensions");
        return NULL;
    }
    PNTensor *c = pn_to_contiguous_nograd(t);
    if (!c) return NULL;
    const int64_t *v = (const int64_t *)c->data;
    int64_t lo = 0, hi = -1;
    for (int64_t k = 0; k < t->numel; k++) {
        if (v[k] < lo) lo = v[k];
        if (v[k] > hi) hi = v[k];
    }
    PyObject *err = NULL;
    const char *msg = NULL;
    if (nc == -1) {
        if (t->numel == 0)
            err = PyExc_RuntimeError, msg = "Can not infer total number of classes from empty "
                                            "tensor.";
        else
            nc = hi + 1;
    } else if (nc < -1) {
        err = PyExc_RuntimeError, msg = "num_classes should be positive"; /* wording not torch's */
    }
    if (!err && lo < 0) err = PyExc_RuntimeError, msg = "Class values must be non-negative.";
    if (!err && hi >= nc)
        err = PyExc_RuntimeError, msg = "Class values must be smaller than "
                                        "num_classes.";
    if (err) {
        Py_DECREF(c);
        PyErr_SetString(err, msg);
        return NULL;
    }
    int64_t shape[PN_MAX_DIMS];
    memcpy(shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
    shape[t->ndim] = nc;
    PNTensor *out = pn_zeros(PN_INT64, t->ndim + 1, shape);
    if (out)
        for (int64_t k = 0; k < t->numel; k++) ((int64_t *)out->data)[k * nc + v[k]] = 1;
    Py_DECREF(c);
    return out;
}
