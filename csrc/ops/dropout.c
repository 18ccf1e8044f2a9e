/* ops/dropout.c - F.dropout in training mode: y = x * mask / (1 - p), mask
 * drawn from the global generator; backward multiplies by the same scaled mask. */
#include "ops.h"
#include "../core/generator.h"
#include "../kernels/nn.h"
#include <string.h>
#include <math.h>

/* -------------------------------------------------------------- dropout ---- */

/* Saved: the scaled mask (0 or 1/(1-p)). dx = g * mask: an ordinary
 * differentiable multiplication, so double backward comes for free. */
static int dropout_backward(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PNTensor *mask = pn_unpack(n, 0);
    if (!mask) return -1;
    gin[0] = pn_binary_t(PN_MUL, gout[0], mask);
    Py_DECREF(mask);
    return gin[0] ? 0 : -1;
}

/* _dropout(input, p, inplace): training mode with 0 < p <= 1 (the wrapper
 * handles the identity cases and checks p). */
// x (*) -> y (*) = x * mask / (1 - p), mask ~ Bernoulli(1 - p); in place or not
PyObject *pn_dropout(PNTensor *x, double p, int inplace) {
    if (!pn_is_float(x->dtype)) {
        PyErr_Format(PyExc_RuntimeError,
                     "dropout: result type float32 can't be cast to the "
                     "desired output type %s",
                     pn_dtype_name(x->dtype));
        return NULL;
    }
    if (!(p >= 0.0 && p <= 1.0)) {
        pn_error_c(PyExc_ValueError, "dropout probability has to be between 0 and 1, but got %g",
                   p);
        return NULL;
    }
    if (inplace && pn_check_inplace(x, "dropout_") < 0) return NULL;
    PNTensor *mask = pn_empty(x->dtype, x->ndim, x->shape);
    if (!mask) return NULL;
    pn_rng *g = pn_global_rng();
    if (x->dtype == PN_FLOAT32)
        pn_dropout_mask_f32(g, F32(mask), mask->numel, p);
    else
        pn_dropout_mask_f64(g, F64(mask), mask->numel, p);
    PNTensor *out;
    { /* y = x * mask, recorded as one dropout node below */
        int prev = pn_set_grad_mode(0);
        out = pn_binary_t(PN_MUL, x, mask);
        pn_set_grad_mode(prev);
    }
    if (out) {
        PNNode *n = pn_record(out, "NativeDropoutBackward0", dropout_backward, 1, &x);
        if (n && pn_save(n, 0, mask, 0) < 0) Py_CLEAR(out);
        if (PyErr_Occurred()) Py_CLEAR(out);
    }
    Py_DECREF(mask);
    if (!out || !inplace) return (PyObject *)out;
    if (!(pn_grad_mode && pn_requires_grad(x))) {
        int rc = pn_copy_into(x, out);
        Py_DECREF(out);
        if (rc < 0) return NULL;
        Py_INCREF(x);
        return (PyObject *)x;
    }
    return pn_inplace_result(x, out);
}
