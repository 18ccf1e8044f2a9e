/* pyapi/losses.c - the Python entry points of the loss functions (ops/loss.c).
 *
 * pynet/nn/_functional_loss.py checks the reduction string and passes it as an
 * int: 0 'none', 1 'mean', 2 'sum' (PN_REDUCTION_*).
 */
#include "pyapi.h"

/* _C.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)
 * x (N, C, *), target (N, *) or (N, C, *), weight (C) -> loss () or (N, *) */
static PyObject *py_cross_entropy(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *t, *w;
    PyObject *wobj;
    long long ignore_index;
    int reduction;
    double eps;
    if (!PyArg_ParseTuple(args, "O!O!OLid:cross_entropy", &PNTensor_Type, &x, &PNTensor_Type, &t,
                          &wobj, &ignore_index, &reduction, &eps) ||
        pn_opt_tensor_arg(wobj, &w, "cross_entropy", "weight") < 0)
        return NULL;
    return (PyObject *)pn_cross_entropy(x, t, w, ignore_index, reduction, eps);
}

/* _C.nll_loss(input, target, weight, ignore_index, reduction)
 * x (N, C, *) or (C), target (N, *) or (), weight (C) -> loss () or (N, *) */
static PyObject *py_nll_loss(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *t, *w;
    PyObject *wobj;
    long long ignore_index;
    int reduction;
    if (!PyArg_ParseTuple(args, "O!O!OLi:nll_loss", &PNTensor_Type, &x, &PNTensor_Type, &t, &wobj,
                          &ignore_index, &reduction) ||
        pn_opt_tensor_arg(wobj, &w, "nll_loss", "weight") < 0)
        return NULL;
    return (PyObject *)pn_nll_loss(x, t, w, ignore_index, reduction);
}

/* _C.<loss>(input, target, reduction[, param]): a pointwise loss without weights. */
static PyObject *simple_loss(PyObject *args, pn_pointwise_loss kind, const char *fmt) {
    PNTensor *x, *y;
    int reduction;
    double param = 0;
    if (!PyArg_ParseTuple(args, fmt, &PNTensor_Type, &x, &PNTensor_Type, &y, &reduction, &param))
        return NULL;
    return (PyObject *)pn_elementwise_loss(kind, x, y, NULL, NULL, param, reduction);
}

/* mse_loss: x, y (*) -> (x - y)^2, reduced */
static PyObject *py_mse_loss(PyObject *self, PyObject *args) {
    (void)self;
    return simple_loss(args, PN_LOSS_MSE, "O!O!i:mse_loss");
}
/* l1_loss: x, y (*) -> |x - y|, reduced */
static PyObject *py_l1_loss(PyObject *self, PyObject *args) {
    (void)self;
    return simple_loss(args, PN_LOSS_L1, "O!O!i:l1_loss");
}
/* smooth_l1_loss: x, y (*) -> |d| < beta ? 0.5 d^2 / beta : |d| - 0.5 beta, reduced */
static PyObject *py_smooth_l1_loss(PyObject *self, PyObject *args) {
    (void)self;
    return simple_loss(args, PN_LOSS_SMOOTH_L1, "O!O!id:smooth_l1_loss");
}
/* huber_loss: x, y (*) -> |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta), reduced */
static PyObject *py_huber_loss(PyObject *self, PyObject *args) {
    (void)self;
    return simple_loss(args, PN_LOSS_HUBER, "O!O!id:huber_loss");
}

/* _C.kl_div(input, target, reduction, log_target)
 * x, y (*) -> y (log y - x) (exp(y) (y - x) with log_target), reduced */
static PyObject *py_kl_div(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *y;
    int reduction, log_target;
    if (!PyArg_ParseTuple(args, "O!O!ip:kl_div", &PNTensor_Type, &x, &PNTensor_Type, &y, &reduction,
                          &log_target))
        return NULL;
    pn_pointwise_loss kind = log_target ? PN_LOSS_KL_LOG : PN_LOSS_KL;
    return (PyObject *)pn_elementwise_loss(kind, x, y, NULL, NULL, 0, reduction);
}

/* _C.binary_cross_entropy(input, target, weight, reduction)
 * x, y, weight (*) -> -w (y log x + (1 - y) log(1 - x)), reduced */
static PyObject *py_binary_cross_entropy(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *y, *w;
    PyObject *wo;
    int reduction;
    if (!PyArg_ParseTuple(args, "O!O!Oi:binary_cross_entropy", &PNTensor_Type, &x, &PNTensor_Type,
                          &y, &wo, &reduction) ||
        pn_opt_tensor_arg(wo, &w, "binary_cross_entropy", "weight") < 0)
        return NULL;
    return (PyObject *)pn_elementwise_loss(PN_LOSS_BCE, x, y, w, NULL, 0, reduction);
}

/* _C.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)
 * x, y, weight, pos_weight (*) -> -w (pw y log s + (1 - y) log(1 - s)), s = sigmoid(x),
 * reduced */
static PyObject *py_binary_cross_entropy_with_logits(PyObject *self, PyObject *args) {
    (void)self;
    PNTensor *x, *y, *w, *pw;
    PyObject *wo, *pwo;
    int reduction;
    const char *op = "binary_cross_entropy_with_logits";
    if (!PyArg_ParseTuple(args, "O!O!OOi:binary_cross_entropy_with_logits", &PNTensor_Type, &x,
                          &PNTensor_Type, &y, &wo, &pwo, &reduction) ||
        pn_opt_tensor_arg(wo, &w, op, "weight") < 0 ||
        pn_opt_tensor_arg(pwo, &pw, op, "pos_weight") < 0)
        return NULL;
    return (PyObject *)pn_elementwise_loss(PN_LOSS_BCE_LOGITS, x, y, w, pw, 0, reduction);
}

PyMethodDef pn_module_methods_loss[] = {
    {"cross_entropy", py_cross_entropy, METH_VARARGS,
     "cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)"},
    {"nll_loss", py_nll_loss, METH_VARARGS,
     "nll_loss(input, target, weight, ignore_index, reduction)"},
    {"mse_loss", py_mse_loss, METH_VARARGS, "mse_loss(input, target, reduction)"},
    {"l1_loss", py_l1_loss, METH_VARARGS, "l1_loss(input, target, reduction)"},
    {"smooth_l1_loss", py_smooth_l1_loss, METH_VARARGS,
     "smooth_l1_loss(input, target, reduction, beta)"},
    {"huber_loss", py_huber_loss, METH_VARARGS, "huber_loss(input, target, reduction, delta)"},
    {"kl_div", py_kl_div, METH_VARARGS, "kl_div(input, target, reduction, log_target)"},
    {"binary_cross_entropy", py_binary_cross_entropy, METH_VARARGS,
     "binary_cross_entropy(input, target, weight, reduction)"},
    {"binary_cross_entropy_with_logits", py_binary_cross_entropy_with_logits, METH_VARARGS,
     "binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)"},
    {NULL, NULL, 0, NULL}};
