/* core/check.c - argument checks shared by the ops, raising what PyTorch raises. */
#include "autograd.h"
#include "copy.h"
#include <string.h>
#include <math.h>

PNTensor *pn_tensor_arg(PyObject *o, const char *op, const char *name) {
    if (!PNTensor_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s(): argument '%s' must be Tensor, not %s", op, name,
                     Py_TYPE(o)->tp_name);
        return NULL;
    }
    return (PNTensor *)o;
}

/* None -> NULL (ok); a tensor -> borrowed; anything else -> TypeError. */
int pn_opt_tensor_arg(PyObject *o, PNTensor **out, const char *op, const char *name) {
    *out = NULL;
    if (!o || o == Py_None) return 0;
    return (*out = pn_tensor_arg(o, op, name)) ? 0 : -1;
}

int pn_require_float(PNTensor *t, const char *op) {
    if (pn_is_float(t->dtype)) return 0;
    PyErr_Format(PyExc_NotImplementedError, "\"%s\" not implemented for '%s'", op,
                 pn_dtype_name(t->dtype));
    return -1;
}

int pn_same_dtype(PNTensor *a, PNTensor *b, const char *op) {
    if (!b || a->dtype == b->dtype) return 0;
    PyErr_Format(PyExc_RuntimeError,
                 "%s: expected all tensors to have the same dtype, but got %s "
                 "and %s",
                 op, pn_dtype_name(a->dtype), pn_dtype_name(b->dtype));
    return -1;
}

/* Two elements of t share one memory location exactly when a dim of size > 1
 * has stride 0 (expand, numpy's broadcast_to). An in-place op would then write
 * that location once per element, each write seeing the previous one's
 * result (ones(1).expand(5).exp_() gave e^e^e^e^e = inf). PyTorch refuses
 * these writes with this message; other overlapping layouts (as_strided
 * windows from NumPy) are, as in PyTorch, not detected. */
int pn_has_internal_overlap(const PNTensor *t) {
    if (t->numel == 0) return 0; /* nothing to write */
    for (int d = 0; d < t->ndim; d++)
        if (t->shape[d] > 1 && t->strides[d] == 0) return 1;
    return 0;
}

int pn_may_overlap(const PNTensor *t) {
    int64_t stride[PN_MAX_DIMS], size[PN_MAX_DIMS];
    int n = 0;
    if (t->numel == 0) return 0;
    for (int d = 0; d < t->ndim; d++) /* the dims that step, by increasing stride */
        if (t->shape[d] > 1) {
            int k = n++;
            for (; k > 0 && stride[k - 1] > t->strides[d]; k--)
                stride[k] = stride[k - 1], size[k] = size[k - 1];
            stride[k] = t->strides[d], size[k] = t->shape[d];
        }
    /* each stride must step past everything the smaller ones reach */
    int64_t reach = 0;
    for (int k = 0; k < n; k++) {
        if (stride[k] <= reach) return 1;
        reach += (size[k] - 1) * stride[k];
    }
    return 0;
}

int pn_check_no_overlap(PNTensor *t, const char *op) {
    if (!pn_has_internal_overlap(t)) return 0;
    char shape[256], strides[256];
    pn_format_shape(shape, sizeof shape, t->ndim, t->shape);
    pn_format_shape(strides, sizeof strides, t->ndim, t->strides);
    PyErr_Format(PyExc_RuntimeError,
                 "%s on a tensor of shape %s with strides %s: unsupported operation: more than "
                 "one element of the written-to tensor refers to a single memory location. "
                 "Please clone() the tensor before performing the operation.",
                 op, shape, strides);
    return -1;
}

/* A read-only NumPy array (a read-only memmap, np.frombuffer of bytes,
 * broadcast_to) may sit in memory that cannot be written at all: a write
 * would crash or change bytes Python promised were constant. PyTorch only
 * warns when such an array is wrapped; pynet refuses the write. */
int pn_check_not_readonly(PNTensor *t, const char *op) {
    if (!t->storage->readonly) return 0;
    PyErr_Format(PyExc_RuntimeError,
                 "%s: the tensor shares memory with a read-only NumPy array (from_numpy), "
                 "which cannot be written; clone() the tensor, or make the array writable "
                 "before from_numpy",
                 op);
    return -1;
}
