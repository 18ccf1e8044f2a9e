/* pyapi/conv_api.c - convolution, unfold, fold and pooling as _C functions.
 *
 * pynet/nn/_functional_layers.py gives them PyTorch's signatures (conv1d,
 * conv2d, unfold, fold), turns int-or-tuple arguments into tuples and padding
 * strings into numbers; these parse the tuples into C values and call the ops
 * of ops/conv.c, ops/pool.c and ops/upsample.c (interpolate).
 */
#include "pyapi.h"

/* A tuple/list of exactly n ints into out; `name` for the message. */
static int int_tuple(PyObject *o, int n, int64_t *out, const char *op, const char *name) {
    PyObject *seq = PySequence_Fast(o, "expected a tuple of ints");
    if (!seq) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    int rc = 0;
    if (len != n) {
        PyErr_Format(PyExc_ValueError, "%s: expected %d values for %s, got %zd", op, n, name, len);
        rc = -1;
    }
    for (Py_ssize_t k = 0; rc == 0 && k < len; k++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, k);
        long long v = PyIndex_Check(it) ? PyLong_AsLongLong(it) : -1;
        if (!PyIndex_Check(it))
            PyErr_Format(PyExc_TypeError,
                         "%s(): argument '%s' must be tuple of ints, but found "
                         "element of type %s at pos %zd",
                         op, name, Py_TYPE(it)->tp_name, k);
        if (PyErr_Occurred()) rc = -1;
        out[k] = v;
    }
    Py_DECREF(seq);
    return rc;
}

/* _convolution(input, weight, bias, stride, padding, dilation, groups, transposed=False,
 * output_padding=None): the tuples have one entry per spatial dim (1 or 2) */
static PyObject *py_convolution(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *wo, *bo, *so, *po, *dob, *opo = Py_None;
    long long groups;
    int transposed = 0;
    if (!PyArg_ParseTuple(args, "OOOOOOL|pO:_convolution", &xo, &wo, &bo, &so, &po, &dob, &groups,
                          &transposed, &opo))
        return NULL;
    PNTensor *x = pn_tensor_arg(xo, "conv", "input"), *w, *b;
    if (!x || !(w = pn_tensor_arg(wo, "conv", "weight")) ||
        pn_opt_tensor_arg(bo, &b, "conv", "bias") < 0)
        return NULL;
    Py_ssize_t nd = PySequence_Size(so);
    if (nd < 0) return NULL;
    if (nd < 1 || nd > 2) {
        PyErr_SetString(PyExc_NotImplementedError, "pynet: only 1-D and 2-D convolutions");
        return NULL;
    }
    pn_conv_args p = {.nd = (int)nd, .transposed = transposed, .groups = groups};
    if (int_tuple(so, p.nd, p.stride, "conv", "stride") < 0 ||
        int_tuple(po, p.nd, p.padding, "conv", "padding") < 0 ||
        int_tuple(dob, p.nd, p.dilation, "conv", "dilation") < 0 ||
        (opo != Py_None && int_tuple(opo, p.nd, p.output_padding, "conv", "output_padding") < 0))
        return NULL;
    return (PyObject *)pn_convolution(x, w, b, &p);
}

/* The four (height, width) pairs shared by unfold and fold. */
static int fold_args(PyObject *k, PyObject *d, PyObject *p, PyObject *s, pn_fold_args *a,
                     const char *op) {
    return int_tuple(k, 2, a->kernel, op, "kernel_size") < 0 ||
                   int_tuple(d, 2, a->dilation, op, "dilation") < 0 ||
                   int_tuple(p, 2, a->padding, op, "padding") < 0 ||
                   int_tuple(s, 2, a->stride, op, "stride") < 0
               ? -1
               : 0;
}

/* _im2col(input, kernel_size, dilation, padding, stride): each a 2-tuple */
static PyObject *py_im2col(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *k, *d, *p, *s;
    if (!PyArg_ParseTuple(args, "OOOOO:_im2col", &xo, &k, &d, &p, &s)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "unfold", "input");
    pn_fold_args a;
    if (!x || fold_args(k, d, p, s, &a, "unfold") < 0) return NULL;
    return (PyObject *)pn_im2col(x, &a);
}

/* _col2im(input, output_size, kernel_size, dilation, padding, stride): each a 2-tuple */
static PyObject *py_col2im(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *o, *k, *d, *p, *s;
    if (!PyArg_ParseTuple(args, "OOOOOO:_col2im", &xo, &o, &k, &d, &p, &s)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "fold", "input");
    pn_fold_args a;
    int64_t out_size[2];
    if (!x || int_tuple(o, 2, out_size, "fold", "output_size") < 0 ||
        fold_args(k, d, p, s, &a, "fold") < 0)
        return NULL;
    return (PyObject *)pn_col2im(x, out_size, &a);
}

/* _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
 * the four sizes are 2-tuples */
static PyObject *py_max_pool2d(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *k, *s, *p, *d;
    int ceil_mode, ret_idx;
    if (!PyArg_ParseTuple(args, "OOOOOpp:_max_pool2d", &xo, &k, &s, &p, &d, &ceil_mode, &ret_idx))
        return NULL;
    PNTensor *x = pn_tensor_arg(xo, "max_pool2d", "input"), *idx = NULL;
    pn_pool_args a = {.ceil_mode = ceil_mode};
    if (!x || int_tuple(k, 2, a.kernel, "max_pool2d", "kernel_size") < 0 ||
        int_tuple(s, 2, a.stride, "max_pool2d", "stride") < 0 ||
        int_tuple(p, 2, a.padding, "max_pool2d", "padding") < 0 ||
        int_tuple(d, 2, a.dilation, "max_pool2d", "dilation") < 0)
        return NULL;
    PNTensor *y = pn_max_pool2d(x, &a, ret_idx ? &idx : NULL);
    if (!y || !ret_idx) return (PyObject *)y;
    return Py_BuildValue("(NN)", y, idx);
}

/* _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
 * divisor_override): sizes are 2-tuples, divisor_override None or an int */
static PyObject *py_avg_pool2d(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *k, *s, *p, *dov;
    int ceil_mode, count_pad;
    if (!PyArg_ParseTuple(args, "OOOOppO:_avg_pool2d", &xo, &k, &s, &p, &ceil_mode, &count_pad,
                          &dov))
        return NULL;
    PNTensor *x = pn_tensor_arg(xo, "avg_pool2d", "input");
    pn_pool_args a = {.dilation = {1, 1}, .ceil_mode = ceil_mode, .count_include_pad = count_pad};
    if (!x || int_tuple(k, 2, a.kernel, "avg_pool2d", "kernel_size") < 0 ||
        int_tuple(s, 2, a.stride, "avg_pool2d", "stride") < 0 ||
        int_tuple(p, 2, a.padding, "avg_pool2d", "padding") < 0)
        return NULL;
    if (dov != Py_None) {
        long long v = PyLong_AsLongLong(dov);
        if (v == -1 && PyErr_Occurred()) return NULL;
        if (v == 0) {
            PyErr_SetString(PyExc_RuntimeError, "divisor must be not zero");
            return NULL;
        }
        a.divisor = v;
    }
    return (PyObject *)pn_avg_pool2d(x, &a);
}

/* _adaptive_pool2d(input, output_size, max, return_indices): output_size a 2-tuple */
static PyObject *py_adaptive_pool2d(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *o;
    int max, ret_idx;
    if (!PyArg_ParseTuple(args, "OOpp:_adaptive_pool2d", &xo, &o, &max, &ret_idx)) return NULL;
    const char *op = max ? "adaptive_max_pool2d" : "adaptive_avg_pool2d";
    PNTensor *x = pn_tensor_arg(xo, op, "input"), *idx = NULL;
    int64_t out_size[2];
    if (!x || int_tuple(o, 2, out_size, op, "output_size") < 0) return NULL;
    PNTensor *y = pn_adaptive_pool2d(x, out_size, max, max && ret_idx ? &idx : NULL);
    if (!y || !(max && ret_idx)) return (PyObject *)y;
    return Py_BuildValue("(NN)", y, idx);
}

/* A tuple/list of exactly n floats into out (interpolate's scale factors). */
static int float_tuple(PyObject *o, int n, double *out, const char *name) {
    PyObject *seq = PySequence_Fast(o, "expected a tuple of floats");
    if (!seq) return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    int rc = 0;
    if (len != n) {
        PyErr_Format(PyExc_ValueError, "interpolate: expected %d values for %s, got %zd", n, name,
                     len);
        rc = -1;
    }
    for (Py_ssize_t k = 0; rc == 0 && k < len; k++) {
        out[k] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(seq, k));
        if (out[k] == -1.0 && PyErr_Occurred()) rc = -1;
    }
    Py_DECREF(seq);
    return rc;
}

/* _interpolate(input, mode, output_size, scale_factors, align_corners, antialias=False):
 * mode "nearest", "nearest-exact" or "linear" (1 to 3 spatial dims; antialias: "linear"
 * with 2); output_size a tuple of ints or None, scale_factors a tuple of floats or None
 * (one per spatial dim; at least one given) */
static PyObject *py_interpolate(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *so, *fo;
    const char *mode;
    int align_corners, antialias = 0;
    if (!PyArg_ParseTuple(args, "OsOOp|p:_interpolate", &xo, &mode, &so, &fo, &align_corners,
                          &antialias))
        return NULL;
    PNTensor *x = pn_tensor_arg(xo, "interpolate", "input");
    if (!x) return NULL;
    int md = !strcmp(mode, "nearest")         ? PN_UPSAMPLE_NEAREST
             : !strcmp(mode, "nearest-exact") ? PN_UPSAMPLE_NEAREST_EXACT
             : !strcmp(mode, "linear")        ? PN_UPSAMPLE_LINEAR
                                              : -1;
    int nd = x->ndim - 2;
    if (antialias && md == PN_UPSAMPLE_LINEAR) md = PN_UPSAMPLE_LINEAR_AA;
    if (md < 0 || nd < 1 || nd > 3 || (so == Py_None && fo == Py_None) ||
        (antialias && (md != PN_UPSAMPLE_LINEAR_AA || nd != 2))) {
        PyErr_Format(PyExc_ValueError,
                     "_interpolate: mode %s, a 3-D to 5-D input (4-D with antialias, mode "
                     "linear) and a size or scale expected",
                     mode);
        return NULL;
    }
    int64_t size[3];
    double scales[3];
    if ((so != Py_None && int_tuple(so, nd, size, "interpolate", "output_size") < 0) ||
        (fo != Py_None && float_tuple(fo, nd, scales, "scale_factors") < 0))
        return NULL;
    return (PyObject *)pn_interpolate(x, md, so != Py_None ? size : NULL,
                                      fo != Py_None ? scales : NULL, align_corners);
}

PyMethodDef pn_module_methods_conv[] = {
    {"_interpolate", py_interpolate, METH_VARARGS,
     "_interpolate(input, mode, output_size, scale_factors, align_corners, antialias=False)"},
    {"_adaptive_pool2d", py_adaptive_pool2d, METH_VARARGS,
     "_adaptive_pool2d(input, output_size, max, return_indices)"},
    {"_max_pool2d", py_max_pool2d, METH_VARARGS,
     "_max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)"},
    {"_avg_pool2d", py_avg_pool2d, METH_VARARGS,
     "_avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, "
     "divisor_override)"},
    {"_convolution", py_convolution, METH_VARARGS,
     "_convolution(input, weight, bias, stride, padding, dilation, groups, transposed=False, "
     "output_padding=None)"},
    {"_im2col", py_im2col, METH_VARARGS, "_im2col(input, kernel_size, dilation, padding, stride)"},
    {"_col2im", py_col2im, METH_VARARGS,
     "_col2im(input, output_size, kernel_size, dilation, padding, stride)"},
    {NULL, NULL, 0, NULL}};
