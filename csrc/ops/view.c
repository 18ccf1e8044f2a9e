/* ops/view.c - ops that return a view: same storage, new shape/strides.
 *
 * No data moves. Each view op still records a backward node, because the
 * gradient must be put back into the input's shape: reshape it, permute it
 * back, or scatter it into zeros at the positions the slice came from.
 */
#include "ops.h"
#include <string.h>

/* Resolve one -1 in a requested shape and check the element count. */
static int infer_shape(const PNTensor *a, int ndim, const int64_t *in, int64_t *out,
                       const char *op) {
    int infer = -1;
    int64_t known = 1;
    for (int d = 0; d < ndim; d++) {
        out[d] = in[d];
        if (in[d] == -1) {
            if (infer >= 0) {
                PyErr_Format(PyExc_RuntimeError, "%s: only one dimension can be inferred", op);
                return -1;
            }
            infer = d;
        } else if (in[d] < 0) {
            PyErr_Format(PyExc_RuntimeError, "%s: invalid shape dimension %lld", op,
                         (long long)in[d]);
            return -1;
        } else if (pn_mul_overflow(known, in[d], &known)) {
            PyErr_Format(PyExc_RuntimeError, "%s: shape is too large", op);
            return -1;
        }
    }
    if (infer >= 0) {
        if (known == 0 || a->numel % known != 0) goto bad;
        out[infer] = a->numel / known;
    } else if (known != a->numel) {
        goto bad;
    }
    return 0;
bad:
    {
        char s[256];
        pn_format_list(s, sizeof s, ndim, in);
        PyErr_Format(PyExc_RuntimeError, "%s: shape '%s' is invalid for input of size %lld", op, s,
                     (long long)a->numel);
        return -1;
    }
}

/* Strides that let a strided tensor be viewed with a new shape without a copy,
 * or 0 if that is impossible. The old shape is cut into chunks whose elements
 * are evenly spaced in memory; each new dimension must fall inside a chunk. */
static int view_strides(const PNTensor *a, int ndim, const int64_t *shape, int64_t *strides) {
    if (a->numel == 0 || a->ndim == 0) {
        pn_contiguous_strides(ndim, shape, strides);
        return 1;
    }
    int view_d = ndim - 1;
    int64_t chunk_base_stride = a->strides[a->ndim - 1];
    int64_t tensor_numel = 1, view_numel = 1;
    for (int d = a->ndim - 1; d >= 0; d--) {
        tensor_numel *= a->shape[d];
        /* end of a chunk: the next-outer dim does not continue this one evenly */
        if (d == 0 ||
            (a->shape[d - 1] != 1 && a->strides[d - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
                strides[view_d] = view_numel * chunk_base_stride;
                view_numel *= shape[view_d];
                view_d--;
            }
            if (view_numel != tensor_numel) return 0;
            if (d > 0) {
                chunk_base_stride = a->strides[d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    return view_d == -1;
}

// y = x.view(shape): dx = g.reshape(x.shape)
static int reshape_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    gin[0] = pn_reshape(g, n->meta[0].ndim, n->meta[0].shape);
    return gin[0] ? 0 : -1;
}

static PNTensor *record_view(PNTensor *out, PNTensor *a, const char *name, pn_apply_fn fn) {
    pn_record(out, name, fn, 1, &a);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

// x (*) -> a view of the same memory with shape `shape` (one -1 inferred)
PNTensor *pn_view(PNTensor *a, int ndim, const int64_t *req, const char *op) {
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    if (infer_shape(a, ndim, req, shape, op) < 0) return NULL;
    if (!view_strides(a, ndim, shape, strides)) {
        PyErr_Format(PyExc_RuntimeError,
                     "%s: view size is not compatible with input tensor's size and stride (at "
                     "least one dimension spans across two contiguous subspaces). Use "
                     ".reshape(...) instead.",
                     op);
        return NULL;
    }
    PNTensor *out = pn_alias(a, ndim, shape, strides, 0);
    return out ? record_view(out, a, "ViewBackward0", reshape_backward) : NULL;
}

// x (*) -> shape `shape`: a view when the strides allow, else a copy
PNTensor *pn_reshape(PNTensor *a, int ndim, const int64_t *req) {
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    if (infer_shape(a, ndim, req, shape, "reshape") < 0) return NULL;
    if (view_strides(a, ndim, shape, strides)) {
        PNTensor *out = pn_alias(a, ndim, shape, strides, 0);
        return out ? record_view(out, a, "ViewBackward0", reshape_backward) : NULL;
    }
    PNTensor *c = pn_clone(a); /* contiguous copy, differentiable */
    if (!c) return NULL;
    PNTensor *out = pn_view(c, ndim, shape, "reshape");
    Py_DECREF(c);
    return out;
}

/* -------------------------------------------------------------- permute ---- */

typedef struct {
    int perm[PN_MAX_DIMS]; /* out dim d is input dim perm[d] */
} permute_state;

// y = x.permute(perm): dx = g.permute(inverse of perm)
static int permute_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const permute_state *st = PN_STATE(n, permute_state);
    int inv[PN_MAX_DIMS];
    for (int d = 0; d < gout[0]->ndim; d++) inv[st->perm[d]] = d;
    gin[0] = pn_permute(gout[0], inv);
    return gin[0] ? 0 : -1;
}

// x (d_0, .., d_n) -> view (d_perm[0], .., d_perm[n])
PNTensor *pn_permute(PNTensor *a, const int *perm) {
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    int seen[PN_MAX_DIMS] = {0};
    for (int d = 0; d < a->ndim; d++) {
        if (perm[d] < 0 || perm[d] >= a->ndim || seen[perm[d]]++) {
            PyErr_SetString(PyExc_RuntimeError, "permute(): dims must be a permutation of the "
                                                "tensor's dimensions (each exactly once)");
            return NULL;
        }
        shape[d] = a->shape[perm[d]];
        strides[d] = a->strides[perm[d]];
    }
    PNTensor *out = pn_alias(a, a->ndim, shape, strides, 0);
    if (!out) return NULL;
    PNNode *n = pn_record(out, "PermuteBackward0", permute_backward, 1, &a);
    permute_state *st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) memcpy(st->perm, perm, sizeof(int) * a->ndim);
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

// x (.., a, .., b, ..) -> view (.., b, .., a, ..)
PNTensor *pn_transpose(PNTensor *a, int d0, int d1) {
    int perm[PN_MAX_DIMS] = {0};
    if (a->ndim == 0) return pn_permute(a, perm); /* transpose of a scalar is itself */
    for (int d = 0; d < a->ndim; d++) perm[d] = d;
    perm[d0] = d1;
    perm[d1] = d0;
    return pn_permute(a, perm);
}

/* --------------------------------------------------------------- expand ---- */

// y = x.expand(shape): dx = g summed over the expanded dims
static int expand_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)n; /* the engine sums the gradient back to the input's shape */
    Py_INCREF(gout[0]);
    gin[0] = gout[0];
    return 0;
}

// x (*) -> view of shape `shape`, stride 0 along the broadcast dims
PNTensor *pn_expand(PNTensor *a, int ndim, const int64_t *req) {
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    if (ndim < a->ndim) {
        PyErr_Format(PyExc_RuntimeError,
                     "expand: the number of sizes provided (%d) must be greater or equal to the "
                     "number of dimensions in the tensor (%d)",
                     ndim, a->ndim);
        return NULL;
    }
    for (int d = 0; d < ndim; d++) {
        int ia = d - (ndim - a->ndim);
        int64_t have = ia >= 0 ? a->shape[ia] : 1;
        int64_t want = req[d] == -1 && ia >= 0 ? have : req[d];
        if (want < 0) {
            PyErr_Format(PyExc_RuntimeError, "expand: invalid size %lld for dimension %d",
                         (long long)req[d], d);
            return NULL;
        }
        if (have != want && have != 1) {
            char t[256], s[256];
            pn_format_list(t, sizeof t, ndim, req);
            pn_format_list(s, sizeof s, a->ndim, a->shape);
            PyErr_Format(PyExc_RuntimeError,
                         "The expanded size of the tensor (%lld) must match the existing size "
                         "(%lld) at non-singleton dimension %d.  Target sizes: %s.  Tensor sizes: "
                         "%s",
                         (long long)want, (long long)have, d, t, s);
            return NULL;
        }
        shape[d] = want;
        strides[d] = (ia < 0 || have != want) ? 0 : a->strides[ia];
    }
    int64_t numel;
    if (pn_check_numel(ndim, shape, &numel, "expand") < 0) return NULL;
    PNTensor *out = pn_alias(a, ndim, shape, strides, 0);
    return out ? record_view(out, a, "ExpandBackward0", expand_backward) : NULL;
}

/* ------------------------------------------------------ squeeze/unsqueeze ---- */

// x (.., 1, ..) -> view without that size-1 dim (or without every one)
PNTensor *pn_squeeze(PNTensor *a, int dim) {
    return pn_squeeze_dims(a, dim < 0 ? UINT32_MAX : (uint32_t)1 << dim);
}

// a (*) -> a without the size-1 dims d in mask (bit d): a view, the other strides kept
PNTensor *pn_squeeze_dims(PNTensor *a, uint32_t mask) {
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < a->ndim; d++) {
        if (a->shape[d] == 1 && ((mask >> d) & 1)) continue;
        shape[nd] = a->shape[d];
        strides[nd++] = a->strides[d];
    }
    PNTensor *out = pn_alias(a, nd, shape, strides, 0);
    return out ? record_view(out, a, "SqueezeBackward0", reshape_backward) : NULL;
}

/* as_strided's checks, as PyTorch's: strides as many as sizes, none negative, an offset
 * >= 0, and every element inside the storage (in elements: need = offset + 1 + the sum of
 * (size - 1) stride; nothing for an empty view). */
static int as_strided_check(PNTensor *a, int ndim, const int64_t *shape, const int64_t *strides,
                            int64_t off) {
    char sz[256], st[256];
    pn_format_list(sz, sizeof sz, ndim, shape);
    pn_format_list(st, sizeof st, ndim, strides);
    int64_t items = a->storage->nbytes / (int64_t)pn_itemsize(a->dtype);
    for (int d = 0; d < ndim; d++) {
        if (strides[d] < 0) {
            PyErr_Format(PyExc_RuntimeError,
                         "as_strided: Negative strides are not supported at the moment, got "
                         "strides: %s",
                         st);
            return -1;
        }
        if (shape[d] < 0) {
            PyErr_Format(PyExc_RuntimeError, "as_strided: negative size in %s", sz);
            return -1;
        }
    }
    int64_t extent = pn_strided_extent(ndim, shape, strides);
    if (extent < 0) {
        PyErr_Format(PyExc_RuntimeError, "as_strided: sizes %s and strides %s overflow", sz, st);
        return -1;
    }
    if (off < 0) {
        PyErr_Format(PyExc_RuntimeError, "as_strided: invalid storage offset %lld", (long long)off);
        return -1;
    }
    /* an empty view reads nothing, wherever it starts; an offset past the memory is out
     * whatever the extent (and off + extent may not be formed then: it could overflow) */
    if (extent && (off > items || extent > items - off)) {
        int64_t need = off > INT64_MAX / 8 ? INT64_MAX / 8 : off + extent;
        PyErr_Format(PyExc_RuntimeError,
                     "setStorage: sizes %s, strides %s, storage offset %lld, and itemsize %d "
                     "requiring a storage size of %lld are out of bounds for storage of size %lld",
                     sz, st, (long long)off, (int)pn_itemsize(a->dtype),
                     (long long)(need * (int64_t)pn_itemsize(a->dtype)),
                     (long long)(items * (int64_t)pn_itemsize(a->dtype)));
        return -1;
    }
    return extent == 0;
}

// x (*) -> the view of x's storage with shape, strides (elements) from storage_offset;
// its gradient (x contiguous, the view inside x) scatters back, adding repeated elements
PNTensor *pn_as_strided(PNTensor *a, int ndim, const int64_t *shape, const int64_t *strides,
                        int64_t storage_offset) {
    size_t isz = pn_itemsize(a->dtype);
    int64_t own = (int64_t)(a->data - a->storage->data) / (int64_t)isz;
    int64_t off = storage_offset < 0 ? own : storage_offset;
    int empty = as_strided_check(a, ndim, shape, strides, off);
    if (empty < 0) return NULL;
    PNTensor *out = pn_alias(a, ndim, shape, strides, off - own);
    if (!out || !pn_grad_mode || !pn_requires_grad(a)) return out;
    int64_t hi = off - own;
    for (int d = 0; d < ndim; d++) hi += (shape[d] - 1) * strides[d];
    if (!empty && (!pn_is_contiguous(a) || off < own || hi >= a->numel)) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_NotImplementedError,
                        "as_strided: pynet differentiates a strided view only of a contiguous "
                        "input and inside it (this one reaches elements outside the input, or "
                        "the input is not contiguous: call .contiguous() on it first)");
        return NULL;
    }
    if (pn_record_as_strided(out, a) < 0) Py_CLEAR(out);
    return out;
}

// x (*) -> view with a new size-1 dim at dim
PNTensor *pn_unsqueeze(PNTensor *a, int dim) {
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    if (a->ndim + 1 > PN_MAX_DIMS) {
        PyErr_Format(PyExc_RuntimeError, "unsqueeze: tensors have at most %d dimensions",
                     PN_MAX_DIMS);
        return NULL;
    }
    for (int d = 0, s = 0; d <= a->ndim; d++) {
        if (d == dim) {
            shape[d] = 1;
            strides[d] = d < a->ndim ? a->strides[d] * a->shape[d] : 1;
        } else {
            shape[d] = a->shape[s];
            strides[d] = a->strides[s++];
        }
    }
    PNTensor *out = pn_alias(a, a->ndim + 1, shape, strides, 0);
    return out ? record_view(out, a, "UnsqueezeBackward0", reshape_backward) : NULL;
}

/* --------------------------------------------------------------- slicing ---- */

/* A basic index (slice / select / new axis) is a list of steps applied in
 * order; backward replays the same steps on a zero tensor of the input's
 * shape and copies the gradient into that view. */

PNTensor *pn_apply_slices_raw(PNTensor *a, const pn_slice_op *ops, int n) {
    int nd = a->ndim;
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS], offset = 0;
    memcpy(shape, a->shape, sizeof(int64_t) * nd);
    memcpy(strides, a->strides, sizeof(int64_t) * nd);
    for (int k = 0; k < n; k++) {
        const pn_slice_op *o = &ops[k];
        int d = o->dim;
        if (o->kind == PN_SLICE_SLICE) {
            offset += o->start * strides[d];
            shape[d] = o->len;
            strides[d] *= o->step;
        } else if (o->kind == PN_SLICE_SELECT) {
            offset += o->start * strides[d];
            memmove(shape + d, shape + d + 1, sizeof(int64_t) * (nd - d - 1));
            memmove(strides + d, strides + d + 1, sizeof(int64_t) * (nd - d - 1));
            nd--;
        } else { /* new axis */
            if (nd + 1 > PN_MAX_DIMS) {
                PyErr_Format(PyExc_IndexError, "index: too many dimensions (at most %d)",
                             PN_MAX_DIMS);
                return NULL;
            }
            memmove(shape + d + 1, shape + d, sizeof(int64_t) * (nd - d));
            memmove(strides + d + 1, strides + d, sizeof(int64_t) * (nd - d));
            shape[d] = 1;
            strides[d] = 1;
            nd++;
        }
    }
    return pn_alias(a, nd, shape, strides, offset);
}

/* State of a basic-indexing node: the view steps that made the output. */
typedef struct {
    int n;
    pn_slice_op ops[]; /* n of them */
} slices_state;

/* create_graph: the backward below is linear in g; its own backward applies the slices again. */
static int slice_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const slices_state *st = PN_STATE(n, slices_state);
    gin[0] = pn_apply_slices(gout[0], st->ops, st->n);
    return gin[0] ? 0 : -1;
}

/* The end of the backward of a view: z (rc 0), the zeros with g written or added where the
 * view's elements came from, is the gradient. That map is linear in g: with create_graph,
 * z records `name`, whose backward (bb) applies the view to its gradient again. */
static int finish_view_backward(PNNode *n, PNTensor *z, PNTensor *g, int rc, const char *name,
                                pn_apply_fn bb, PNTensor **gin) {
    if (rc == 0 && pn_grad_mode && pn_requires_grad(g)) {
        PNNode *node = pn_record(z, name, bb, 1, &g);
        if (node) pn_node_copy_state(node, n);
        rc = PyErr_Occurred() ? -1 : 0;
    }
    if (rc < 0) {
        Py_XDECREF(z);
        return -1;
    }
    gin[0] = z;
    return 0;
}

// y = x[slices] (a view): dx = zeros(x.shape) with g copied into the view
static int slice_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *g = gout[0];
    PNTensor *z = pn_zeros(g->dtype, n->meta[0].ndim, n->meta[0].shape);
    if (!z) return -1;
    const slices_state *st = PN_STATE(n, slices_state);
    PNTensor *v = pn_apply_slices_raw(z, st->ops, st->n);
    int rc = v ? pn_copy_into(v, g) : -1;
    Py_XDECREF(v);
    return finish_view_backward(n, z, g, rc, "SliceBackwardBackward0", slice_backward_backward,
                                gin);
}

// x (*) -> x[basic index]: the view steps in ops, with autograd
PNTensor *pn_apply_slices(PNTensor *a, const pn_slice_op *ops, int n) {
    PNTensor *out = pn_apply_slices_raw(a, ops, n);
    if (!out || !pn_grad_mode || !pn_requires_grad(a)) return out;
    const char *name = n == 1 && ops[0].kind == PN_SLICE_SELECT  ? "SelectBackward0"
                       : n == 1 && ops[0].kind == PN_SLICE_SLICE ? "SliceBackward0"
                                                                 : "IndexBackward0";
    PNNode *node = pn_record(out, name, slice_backward, 1, &a);
    slices_state *st = node ? pn_node_state(node, sizeof *st + sizeof *ops * n, 0) : NULL;
    if (st) {
        st->n = n;
        memcpy(st->ops, ops, sizeof *ops * n);
    }
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

// x (.., n, ..) -> view (.., length, ..) starting at start
PNTensor *pn_narrow(PNTensor *a, int dim, int64_t start, int64_t length) {
    int64_t size = a->shape[dim];
    if (start < 0) start += size;
    if (start < 0 || start > size || length < 0 || start + length > size) {
        PyErr_Format(PyExc_RuntimeError,
                     "narrow: start (%lld) + length (%lld) exceeds dimension size (%lld).",
                     (long long)start, (long long)length, (long long)size);
        return NULL;
    }
    pn_slice_op op = {PN_SLICE_SLICE, dim, start, length, 1};
    return pn_apply_slices(a, &op, 1);
}

// x (.., n, ..) -> view (.., ..) at index along dim
PNTensor *pn_select(PNTensor *a, int dim, int64_t index) {
    int64_t size = a->shape[dim];
    if (index < -size || index >= size) {
        PyErr_Format(PyExc_IndexError,
                     "select(): index %lld out of range for tensor of size %lld at dimension %d",
                     (long long)index, (long long)size, dim);
        return NULL;
    }
    pn_slice_op op = {PN_SLICE_SELECT, dim, index < 0 ? index + size : index, 0, 0};
    return pn_apply_slices(a, &op, 1);
}

/* -------------------------------------------------------------- diagonal ---- */

typedef struct {
    int64_t offset;
    int dim1, dim2;
} diagonal_state;

/* The diagonal view without autograd: dims dim1 < or > dim2 removed, the diagonal
 * appended last; element k is x[.., k + max(0, -offset), .., k + max(0, offset), ..]
 * (dim1's index first), so its stride is the sum of the two. */
static PNTensor *diagonal_raw(PNTensor *a, int64_t offset, int dim1, int dim2) {
    int64_t n1 = a->shape[dim1], n2 = a->shape[dim2], len, start = 0;
    len =
        offset >= 0 ? (n2 - offset < n1 ? n2 - offset : n1) : (n1 + offset < n2 ? n1 + offset : n2);
    if (len <= 0)
        len = 0;
    else
        start = offset >= 0 ? offset * a->strides[dim2] : -offset * a->strides[dim1];
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < a->ndim; d++)
        if (d != dim1 && d != dim2) shape[nd] = a->shape[d], strides[nd++] = a->strides[d];
    shape[nd] = len, strides[nd++] = a->strides[dim1] + a->strides[dim2];
    return pn_alias(a, nd, shape, strides, start);
}

// create_graph: the backward below is linear in g; its own backward takes the diagonal again
static int diagonal_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const diagonal_state *st = PN_STATE(n, diagonal_state);
    gin[0] = pn_diagonal(gout[0], st->offset, st->dim1, st->dim2);
    return gin[0] ? 0 : -1;
}

// y = x.diagonal(offset, dim1, dim2) (a view): dx = zeros(x.shape) with g on that diagonal
static int diagonal_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const diagonal_state *st = PN_STATE(n, diagonal_state);
    PNTensor *g = gout[0], *z = pn_zeros(g->dtype, n->meta[0].ndim, n->meta[0].shape);
    PNTensor *v = z ? diagonal_raw(z, st->offset, st->dim1, st->dim2) : NULL;
    int rc = v ? pn_copy_into(v, g) : -1;
    Py_XDECREF(v);
    return finish_view_backward(n, z, g, rc, "DiagonalBackwardBackward0",
                                diagonal_backward_backward, gin);
}

// x (.., n1, .., n2, ..) -> view (.., ..) + (diagonal length,): the elements
// x[.., i, .., i + offset, ..] of dims dim1 and dim2 (offset > 0: above the main diagonal)
PNTensor *pn_diagonal(PNTensor *a, int64_t offset, int dim1, int dim2) {
    if (dim1 == dim2) {
        PyErr_Format(PyExc_RuntimeError, "diagonal dimensions cannot be identical %d, %d", dim1,
                     dim2);
        return NULL;
    }
    PNTensor *out = diagonal_raw(a, offset, dim1, dim2);
    if (!out || !pn_grad_mode || !pn_requires_grad(a)) return out;
    PNNode *node = pn_record(out, "DiagonalBackward0", diagonal_backward, 1, &a);
    diagonal_state *st = node ? pn_node_state(node, sizeof *st, 0) : NULL;
    if (st) st->offset = offset, st->dim1 = dim1, st->dim2 = dim2;
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* ---------------------------------------------------------------- unfold ---- */

typedef struct {
    int dim;
    int64_t size, step;
} unfold_state;

/* The windows view without autograd: dim becomes the window count (n - size) / step + 1,
 * with stride step * s, and a last dim of length size with dim's stride s. A 0-d x is
 * seen as one element (torch: x.unfold(0, 1, 1) is [x]). */
static PNTensor *unfold_raw(PNTensor *a, int dim, int64_t size, int64_t step) {
    int64_t shape[PN_MAX_DIMS], strides[PN_MAX_DIMS];
    int nd = a->ndim;
    memcpy(shape, a->shape, sizeof(int64_t) * nd);
    memcpy(strides, a->strides, sizeof(int64_t) * nd);
    int64_t n = nd ? shape[dim] : 1, s = nd ? strides[dim] : 1;
    if (nd) shape[dim] = (n - size) / step + 1, strides[dim] = s * step;
    shape[nd] = size, strides[nd] = s;
    return pn_alias(a, nd + 1, shape, strides, 0);
}

// create_graph: the backward below is linear in g; its own backward unfolds again
static int unfold_backward_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const unfold_state *st = PN_STATE(n, unfold_state);
    gin[0] = pn_unfold_windows(gout[0], st->dim, st->size, st->step);
    return gin[0] ? 0 : -1;
}

// y[.., w, .., k] = x[.., w step + k, ..]: dx = zeros, then for each k of the window the
// slice g[.., :, .., k] added at positions k, k + step, ... (windows overlap when
// step < size, so the adds accumulate)
static int unfold_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const unfold_state *st = PN_STATE(n, unfold_state);
    PNTensor *g = gout[0], *z = pn_zeros(g->dtype, n->meta[0].ndim, n->meta[0].shape);
    int nd = n->meta[0].ndim, rc = z ? 0 : -1, prev = pn_set_grad_mode(0);
    int64_t windows = nd ? g->shape[st->dim] : 1;
    for (int64_t k = 0; rc == 0 && k < st->size && windows; k++) {
        pn_slice_op at = {PN_SLICE_SLICE, st->dim, k, windows, st->step};
        PNTensor *dst = nd ? pn_apply_slices_raw(z, &at, 1) : (Py_INCREF(z), z);
        pn_slice_op pick = {PN_SLICE_SELECT, nd, k, 0, 0};
        PNTensor *src = dst ? pn_apply_slices_raw(g, &pick, 1) : NULL;
        PyObject *r = src ? pn_binary_inplace(PN_ADD, dst, (PyObject *)src) : NULL;
        rc = r ? 0 : -1;
        Py_XDECREF(r), Py_XDECREF(src), Py_XDECREF(dst);
    }
    pn_set_grad_mode(prev);
    return finish_view_backward(n, z, g, rc, "UnfoldBackwardBackward0", unfold_backward_backward,
                                gin);
}

// x (.., n, ..) -> windows (.., (n - size) / step + 1, .., size): a view
PNTensor *pn_unfold_windows(PNTensor *a, int dim, int64_t size, int64_t step) {
    int64_t n = a->ndim ? a->shape[dim] : 1;
    if (size > n)
        return pn_error_c(PyExc_RuntimeError,
                          "maximum size for tensor at dimension %d is %lld but size is %lld", dim,
                          (long long)n, (long long)size),
               NULL;
    if (step <= 0)
        return pn_error_c(PyExc_RuntimeError, "step is %lld but must be > 0", (long long)step),
               NULL;
    if (size < 0)
        return pn_error_c(PyExc_RuntimeError, "size is %lld but must be >= 0", (long long)size),
               NULL;
    if (a->ndim + 1 > PN_MAX_DIMS)
        return pn_error_c(PyExc_RuntimeError, "unfold: too many dimensions (at most %d)",
                          PN_MAX_DIMS),
               NULL;
    PNTensor *out = unfold_raw(a, dim, size, step);
    if (!out || !pn_grad_mode || !pn_requires_grad(a)) return out;
    PNNode *node = pn_record(out, "UnfoldBackward0", unfold_backward, 1, &a);
    unfold_state *st = node ? pn_node_state(node, sizeof *st, 0) : NULL;
    if (st) st->dim = dim, st->size = size, st->step = step;
    if (PyErr_Occurred()) Py_CLEAR(out);
    return out;
}

/* ----------------------------------------------------------------- split ---- */

/* split/chunk/unbind: n views of x along dim, recorded as ONE node with n
 * outputs (as PyTorch's SplitBackward0). Its backward joins the pieces'
 * gradients with one cat, where n slice nodes would each fill a zero tensor
 * of x's full shape and the engine would then add the n of them. */
typedef struct {
    int dim, unbind; /* unbind: the pieces lost dim (each is x.select(dim, k)) */
    int n;
    int64_t sizes[]; /* n of them: piece k spans sizes[k] along dim */
} split_state;

// y_0, .., y_n-1 = split(x, sizes, dim): dx = cat(g_0, .., g_n-1; dim) (stack for unbind),
// with zeros for a piece whose gradient is missing. cat records its own node under
// create_graph, so this backward is differentiable as written.
static int split_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    const split_state *st = PN_STATE(n, split_state);
    const PNMeta *m = &n->meta[0];
    PyObject *parts = PyList_New(st->n);
    if (!parts) return -1;
    for (int k = 0; k < st->n; k++) {
        PNTensor *g = gout[k];
        if (g) {
            Py_INCREF(g);
        } else { /* piece k's shape: x's, with sizes[k] (or nothing) at dim */
            int64_t shape[PN_MAX_DIMS];
            int nd = 0;
            for (int d = 0; d < m->ndim; d++)
                if (d != st->dim)
                    shape[nd++] = m->shape[d];
                else if (!st->unbind)
                    shape[nd++] = st->sizes[k];
            g = pn_zeros(m->dtype, nd, shape);
            if (!g) {
                Py_DECREF(parts);
                return -1;
            }
        }
        PyList_SET_ITEM(parts, k, (PyObject *)g);
    }
    gin[0] = st->unbind ? pn_stack(parts, st->dim) : pn_cat(parts, st->dim);
    Py_DECREF(parts);
    return gin[0] ? 0 : -1;
}

// x (.., sum sizes, ..) -> outs[k] (.., sizes[k], ..), views along dim; unbind: sizes all 1
// and outs[k] = x.select(dim, k). name: the node ("SplitBackward0", ...). Fills outs[0..n)
// with new references and returns 0, or returns -1 with an exception set (outs cleared).
int pn_split(PNTensor *a, int dim, int n, const int64_t *sizes, int unbind, const char *name,
             PNTensor **outs) {
    int64_t start = 0;
    int made = 0;
    for (; made < n; made++) {
        pn_slice_op op = {unbind ? PN_SLICE_SELECT : PN_SLICE_SLICE, dim, start, sizes[made], 1};
        if (!(outs[made] = pn_apply_slices_raw(a, &op, 1))) goto fail;
        start += sizes[made];
    }
    if (!pn_grad_mode || n == 0) return 0;
    for (int k = 0; k < n; k++) /* in-place writes with grad would bypass the node: refused */
        outs[k]->multi_view = 1;
    if (!pn_requires_grad(a)) return 0;
    PNNode *node = pn_node_new(name, split_backward, 1, &a);
    split_state *st = node ? pn_node_state(node, sizeof *st + sizeof(int64_t) * n, 0) : NULL;
    if (st) {
        st->dim = dim, st->unbind = unbind, st->n = n;
        memcpy(st->sizes, sizes, sizeof(int64_t) * n);
        node->n_out = n;
        for (int k = 0; k < n; k++) pn_set_history(outs[k], node, k);
    }
    Py_XDECREF(node);
    if (st) return 0;
fail:
    for (int k = 0; k < made; k++) Py_CLEAR(outs[k]);
    return -1;
}

/* ---------------------------------------------------------------- sum_to ---- */

/* Sum g over the dimensions that broadcasting added or stretched, so that it
 * has `shape` again. RuntimeError if g cannot have come from that shape. */
// g (broadcast shape) -> shape: summed over the dims that were broadcast
PNTensor *pn_sum_to(PNTensor *g, int ndim, const int64_t *shape) {
    int lead = g->ndim - ndim;
    uint32_t mask = 0;
    if (lead < 0) goto bad;
    for (int d = 0; d < g->ndim; d++) {
        if (d < lead) {
            mask |= 1u << d;
        } else if (shape[d - lead] != g->shape[d]) {
            if (shape[d - lead] != 1) goto bad;
            mask |= 1u << d;
        }
    }
    if (!mask) {
        Py_INCREF(g);
        return g;
    }
    PNTensor *s = pn_sum(g, mask, 1, 0, g->dtype);
    if (!s) return NULL;
    if (lead == 0) return s;
    PNTensor *r = pn_reshape(s, ndim, shape);
    Py_DECREF(s);
    return r;
bad:
    PyErr_SetString(PyExc_RuntimeError, "sum_to: gradient shape does not match the input shape");
    return NULL;
}
