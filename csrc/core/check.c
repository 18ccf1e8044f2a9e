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
