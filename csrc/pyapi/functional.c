/* pyapi/functional.c - the layer ops of torch.nn.functional as _C functions.
 *
 * pynet/nn/_functional_layers.py gives each PyTorch's signature and defaults
 * and calls these; they turn the Python arguments into C values and call the
 * ops in ops/linear.c, activation.c, dropout.c, embedding.c, pad.c, norm.c, rnn.c and
 * attention.c.
 */
#include "pyapi.h"

/* _linear(input, weight, bias=None). METH_FASTCALL: the arguments as they lie, no
 * tuple to build and parse (a Linear layer's forward at a small batch is mostly
 * this call's overhead). */
static PyObject *py_linear(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    (void)m;
    if (nargs < 2 || nargs > 3) {
        PyErr_Format(PyExc_TypeError, "linear() takes 2 or 3 arguments (%zd given)", nargs);
        return NULL;
    }
    PNTensor *x = pn_tensor_arg(args[0], "linear", "input"), *w, *b;
    if (!x || !(w = pn_tensor_arg(args[1], "linear", "weight")) ||
        pn_opt_tensor_arg(nargs > 2 ? args[2] : Py_None, &b, "linear", "bias") < 0)
        return NULL;
    return (PyObject *)pn_linear(x, w, b);
}

/* _activation(input, kind, a, b, inplace=False): kind a pn_act, a and b its
 * parameters (METH_FASTCALL, as _linear) */
static PyObject *py_activation(PyObject *m, PyObject *const *args, Py_ssize_t nargs) {
    (void)m;
    if (nargs < 4 || nargs > 5) {
        PyErr_Format(PyExc_TypeError, "_activation() takes 4 or 5 arguments (%zd given)", nargs);
        return NULL;
    }
    long kind = PyLong_AsLong(args[1]);
    double a = PyFloat_AsDouble(args[2]), b = PyFloat_AsDouble(args[3]);
    int inplace = nargs > 4 ? PyObject_IsTrue(args[4]) : 0;
    if (PyErr_Occurred() || inplace < 0) return NULL;
    if (kind < 0 || kind >= PN_NACT) {
        PyErr_SetString(PyExc_ValueError, "_activation: unknown activation");
        return NULL;
    }
    PNTensor *x = pn_tensor_arg(args[0], pn_activation_name((pn_act)kind), "input");
    pn_act_args p = {(pn_act)kind, a, b};
    return x ? pn_activation(x, p, inplace) : NULL;
}

/* _relu_(input): relu in place */
static PyObject *py_relu_(PyObject *m, PyObject *xo) {
    (void)m;
    PNTensor *x = pn_tensor_arg(xo, "relu_", "input");
    return x ? pn_unary_inplace(PN_RELU, x) : NULL;
}

/* _prelu(input, weight) */
static PyObject *py_prelu(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *wo;
    if (!PyArg_ParseTuple(args, "OO:prelu", &xo, &wo)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "prelu", "input"), *w;
    if (!x || !(w = pn_tensor_arg(wo, "prelu", "weight"))) return NULL;
    return (PyObject *)pn_prelu(x, w);
}

/* _dropout(input, p, inplace=False), training mode */
static PyObject *py_dropout(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo;
    double p;
    int inplace = 0;
    if (!PyArg_ParseTuple(args, "Od|p:_dropout", &xo, &p, &inplace)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "dropout", "input");
    return x ? pn_dropout(x, p, inplace) : NULL;
}

/* _embedding(input, weight, padding_idx=-1) */
static PyObject *py_embedding(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *io, *wo;
    long long pad = -1;
    if (!PyArg_ParseTuple(args, "OO|L:_embedding", &io, &wo, &pad)) return NULL;
    PNTensor *idx = pn_tensor_arg(io, "embedding", "input"), *w;
    if (!idx || !(w = pn_tensor_arg(wo, "embedding", "weight"))) return NULL;
    return (PyObject *)pn_embedding(idx, w, pad);
}

/* _one_hot(tensor, num_classes=-1) */
static PyObject *py_one_hot(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *to;
    long long nc = -1;
    if (!PyArg_ParseTuple(args, "O|L:one_hot", &to, &nc)) return NULL;
    PNTensor *t = pn_tensor_arg(to, "one_hot", "input");
    return t ? (PyObject *)pn_one_hot(t, nc) : NULL;
}

/* _pad(input, pad, value=0): constant padding; pad is a sequence of ints */
static PyObject *py_pad(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *xo, *po;
    double value = 0;
    if (!PyArg_ParseTuple(args, "OO|d:_pad", &xo, &po, &value)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "pad", "input");
    if (!x) return NULL;
    PyObject *seq = PySequence_Fast(po, "pad(): argument 'pad' must be tuple of ints");
    if (!seq) return NULL;
    Py_ssize_t np = PySequence_Fast_GET_SIZE(seq);
    int64_t pads[2 * PN_MAX_DIMS];
    if (np % 2) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_RuntimeError, "Length of pad must be even but instead it equals %zd",
                     np);
        return NULL;
    }
    if (np > 2 * x->ndim) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_RuntimeError,
                     "Length of pad should be no more than twice the number "
                     "of dimensions of the input. Pad length is %zd while the "
                     "input has %d dimensions.",
                     np, x->ndim);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < np; k++) {
        PyObject *it = PySequence_Fast_GET_ITEM(seq, k);
        if (!PyIndex_Check(it)) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_TypeError,
                         "pad(): argument 'pad' must be tuple of ints, but found "
                         "element of type %s at pos %zd",
                         Py_TYPE(it)->tp_name, k);
            return NULL;
        }
        long long v = PyLong_AsLongLong(it);
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        pads[k] = v;
    }
    Py_DECREF(seq);
    return (PyObject *)pn_pad(x, (int)np, pads, value);
}

/* _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
 * x (N, C, *), running_mean, running_var, weight, bias (C) -> y (N, C, *) */
static PyObject *py_batch_norm(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *xo, *rmo, *rvo, *wo, *bo;
    int training;
    double momentum, eps;
    if (!PyArg_ParseTuple(args, "OOOOOpdd:_batch_norm", &xo, &rmo, &rvo, &wo, &bo, &training,
                          &momentum, &eps))
        return NULL;
    PNTensor *x = pn_tensor_arg(xo, "batch_norm", "input"), *rm, *rv, *w, *b;
    if (!x || pn_opt_tensor_arg(rmo, &rm, "batch_norm", "running_mean") < 0 ||
        pn_opt_tensor_arg(rvo, &rv, "batch_norm", "running_var") < 0 ||
        pn_opt_tensor_arg(wo, &w, "batch_norm", "weight") < 0 ||
        pn_opt_tensor_arg(bo, &b, "batch_norm", "bias") < 0)
        return NULL;
    return (PyObject *)pn_batch_norm(x, rm, rv, w, b, training, momentum, eps);
}

/* _layer_norm(input, normalized_shape, weight, bias, eps)
 * x (*, D...), weight, bias (D...) with D... = normalized_shape -> y (*, D...) */
static PyObject *py_layer_norm(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *xo, *nso, *wo, *bo;
    double eps;
    if (!PyArg_ParseTuple(args, "OOOOd:_layer_norm", &xo, &nso, &wo, &bo, &eps)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "layer_norm", "input"), *w, *b;
    if (!x || pn_opt_tensor_arg(wo, &w, "layer_norm", "weight") < 0 ||
        pn_opt_tensor_arg(bo, &b, "layer_norm", "bias") < 0)
        return NULL;
    int64_t ns[PN_MAX_DIMS];
    int k = pn_parse_shape_obj(nso, ns, "layer_norm");
    if (k < 0) return NULL;
    return (PyObject *)pn_layer_norm(x, k, ns, w, b, eps);
}

/* _group_norm(input, num_groups, weight, bias, eps) */
static PyObject *py_group_norm(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *xo, *wo, *bo;
    long long G;
    double eps;
    if (!PyArg_ParseTuple(args, "OLOOd:_group_norm", &xo, &G, &wo, &bo, &eps)) return NULL;
    PNTensor *x = pn_tensor_arg(xo, "group_norm", "input"), *w, *b;
    if (!x || pn_opt_tensor_arg(wo, &w, "group_norm", "weight") < 0 ||
        pn_opt_tensor_arg(bo, &b, "group_norm", "bias") < 0)
        return NULL;
    return (PyObject *)pn_group_norm(x, G, w, b, eps);
}

/* _rnn_layer(mode, xg, w_hh, b_hh, h0, c0, w_hr, batch_sizes, reverse) -> (y, h_n, c_n)
 * one recurrent layer in one direction (ops/rnn.c); mode 0 tanh, 1 relu, 2 LSTM,
 * 3 GRU; b_hh, c0, w_hr and batch_sizes may be None; c_n is None except for LSTM. */
static PyObject *py_rnn_layer(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *o[8];
    int mode, reverse;
    if (!PyArg_ParseTuple(args, "iOOOOOOOp:_rnn_layer", &mode, &o[0], &o[1], &o[2], &o[3], &o[4],
                          &o[5], &o[6], &reverse))
        return NULL;
    static const char *const names[7] = {"xg", "w_hh", "b_hh", "h0", "c0", "w_hr", "batch_sizes"};
    PNTensor *t[7];
    for (int k = 0; k < 7; k++) {
        int optional = k == 2 || k == 4 || k == 5 || k == 6;
        if (optional ? pn_opt_tensor_arg(o[k], &t[k], "_rnn_layer", names[k]) < 0
                     : !(t[k] = pn_tensor_arg(o[k], "_rnn_layer", names[k])))
            return NULL;
    }
    PNTensor *out[3];
    if (pn_rnn_layer(mode, t[0], t[1], t[2], t[3], t[4], t[5], t[6], reverse, out) < 0) return NULL;
    return Py_BuildValue("(NNN)", out[0], out[1], out[2] ? (PyObject *)out[2] : Py_NewRef(Py_None));
}

/* _sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale) -> output
 * (ops/attention.c); attn_mask and scale may be None. */
static PyObject *py_sdpa(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *qo, *ko, *vo, *mo, *so;
    double p;
    int causal;
    if (!PyArg_ParseTuple(args, "OOOOdpO:scaled_dot_product_attention", &qo, &ko, &vo, &mo, &p,
                          &causal, &so))
        return NULL;
    const char *op = "scaled_dot_product_attention";
    PNTensor *q = pn_tensor_arg(qo, op, "query"), *k, *v, *m;
    if (!q || !(k = pn_tensor_arg(ko, op, "key")) || !(v = pn_tensor_arg(vo, op, "value")) ||
        pn_opt_tensor_arg(mo, &m, op, "attn_mask") < 0)
        return NULL;
    double scale = so == Py_None ? NAN : PyFloat_AsDouble(so);
    if (scale == -1.0 && PyErr_Occurred()) return NULL;
    return (PyObject *)pn_scaled_dot_product_attention(q, k, v, m, p, causal, scale);
}

PyMethodDef pn_module_methods_nn[] = {
    {"_sdpa", py_sdpa, METH_VARARGS,
     "_sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale) -> output"},
    {"_rnn_layer", py_rnn_layer, METH_VARARGS,
     "_rnn_layer(mode, xg, w_hh, b_hh, h0, c0, w_hr, batch_sizes, reverse) -> (y, h_n, c_n)"},
    {"_linear", (PyCFunction)(void (*)(void))py_linear, METH_FASTCALL,
     "linear(input, weight, bias=None)"},
    {"_activation", (PyCFunction)(void (*)(void))py_activation, METH_FASTCALL,
     "_activation(input, kind, a, b, inplace=False)"},
    {"_relu_", py_relu_, METH_O, "relu in place"},
    {"_prelu", py_prelu, METH_VARARGS, "prelu(input, weight)"},
    {"_dropout", py_dropout, METH_VARARGS, "_dropout(input, p, inplace): training mode"},
    {"_batch_norm", py_batch_norm, METH_VARARGS,
     "_batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)"},
    {"_layer_norm", py_layer_norm, METH_VARARGS,
     "_layer_norm(input, normalized_shape, weight, bias, eps)"},
    {"_group_norm", py_group_norm, METH_VARARGS,
     "_group_norm(input, num_groups, weight, bias, eps)"},
    {"_embedding", py_embedding, METH_VARARGS, "_embedding(input, weight, padding_idx=-1)"},
    {"_one_hot", py_one_hot, METH_VARARGS, "_one_hot(tensor, num_classes=-1)"},
    {"_pad", py_pad, METH_VARARGS, "_pad(input, pad, value=0): constant padding"},
    {NULL, NULL, 0, NULL}};
