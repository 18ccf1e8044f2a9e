/* pyapi/optimizer.c - the optimizer base type and the fused update steps.
 *
 * _C.OptimizerBase holds what every optimizer has: `defaults` (a dict of
 * options), `param_groups` (a list of dicts, each with a "params" list) and
 * `state` (per-parameter dicts, keyed by the parameter tensor). It is meant to
 * be subclassed: pynet.optim.Optimizer (Python) adds the constructor checks,
 * add_param_group and state_dict; SGD, Adam, ... add a step(). zero_grad is
 * here because it runs over every parameter on every iteration.
 *
 * _C._sgd_step, _C._adam_step, ... apply one step to a list of parameters with
 * the fused kernels of ../kernels/optim.c. They take the state tensors as
 * lists parallel to the parameter list and update everything in place, with
 * no autograd recording, bumping each written tensor's version counter.
 */
#include "pyapi.h"
#include "tensor_docs.h"
#include "../kernels/optim.h"
#include <structmember.h>

/* ------------------------------------------------------- OptimizerBase ---- */

typedef struct {
    PyObject_HEAD
    PyObject *defaults;
    PyObject *state;
    PyObject *param_groups;
    PyObject *dict;
    PyObject *weakrefs;
} PNOptimizer;

static int opt_traverse(PNOptimizer *self, visitproc visit, void *arg) {
    Py_VISIT(self->defaults);
    Py_VISIT(self->state);
    Py_VISIT(self->param_groups);
    Py_VISIT(self->dict);
    return 0;
}
static int opt_clear(PNOptimizer *self) {
    Py_CLEAR(self->defaults);
    Py_CLEAR(self->state);
    Py_CLEAR(self->param_groups);
    Py_CLEAR(self->dict);
    return 0;
}
static void opt_dealloc(PNOptimizer *self) {
    PyObject_GC_UnTrack(self);
    if (self->weakrefs) PyObject_ClearWeakRefs((PyObject *)self);
    opt_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}
/* The Python subclass's __init__ does the work; the base accepts any arguments. */
static int opt_init(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self, (void)args, (void)kw;
    return 0;
}

/* zero_grad(set_to_none=True): drop every parameter's .grad, or fill it with zeros. */
static PyObject *opt_zero_grad(PNOptimizer *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"set_to_none", NULL};
    int set_to_none = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|p:zero_grad", kwlist, &set_to_none)) return NULL;
    if (!self->param_groups) {
        PyErr_SetString(PyExc_AttributeError, "optimizer has no param_groups");
        return NULL;
    }
    PyObject *groups = PySequence_Fast(self->param_groups, "param_groups must be a list");
    if (!groups) return NULL;
    for (Py_ssize_t gi = 0; gi < PySequence_Fast_GET_SIZE(groups); gi++) {
        PyObject *group = PySequence_Fast_GET_ITEM(groups, gi);
        PyObject *params = PyMapping_GetItemString(group, "params");
        PyObject *seq = params ? PySequence_Fast(params, "params must be a list") : NULL;
        Py_XDECREF(params);
        if (!seq) goto fail;
        for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(seq); k++) {
            PyObject *o = PySequence_Fast_GET_ITEM(seq, k);
            if (!PNTensor_Check(o)) continue;
            PNTensor *p = (PNTensor *)o;
            if (!p->grad) continue;
            if (set_to_none) {
                Py_CLEAR(p->grad);
                continue;
            }
            PNTensor *g = (PNTensor *)p->grad;
            if (g->grad_fn) { /* detach_(): the gradient stops being part of a graph */
                PyObject *r = PyObject_CallMethod((PyObject *)g, "detach_", NULL);
                if (!r) {
                    Py_DECREF(seq);
                    goto fail;
                }
                Py_DECREF(r);
            }
            g->requires_grad = 0;
            if (pn_fill(g, 0.0) < 0) {
                Py_DECREF(seq);
                goto fail;
            }
            pn_bump_version(g);
        }
        Py_DECREF(seq);
    }
    Py_DECREF(groups);
    Py_RETURN_NONE;
fail:
    Py_DECREF(groups);
    return NULL;
}

static PyMethodDef opt_methods[] = {{"zero_grad", (PyCFunction)(void (*)(void))opt_zero_grad,
                                     METH_VARARGS | METH_KEYWORDS, DOC_optimizer_zero_grad},
                                    {NULL, NULL, 0, NULL}};

static PyMemberDef opt_members[] = {
    {"defaults", T_OBJECT, offsetof(PNOptimizer, defaults), 0, "default options of the groups"},
    {"state", T_OBJECT, offsetof(PNOptimizer, state), 0, "per-parameter state"},
    {"param_groups", T_OBJECT, offsetof(PNOptimizer, param_groups), 0, "list of group dicts"},
    {NULL, 0, 0, 0, NULL}};

static PyGetSetDef opt_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject PNOptimizer_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynet._C.OptimizerBase",
    .tp_basicsize = sizeof(PNOptimizer),
    .tp_dealloc = (destructor)opt_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Base of pynet.optim.Optimizer: defaults, param_groups, state and zero_grad.",
    .tp_traverse = (traverseproc)opt_traverse,
    .tp_clear = (inquiry)opt_clear,
    .tp_weaklistoffset = offsetof(PNOptimizer, weakrefs),
    .tp_methods = opt_methods,
    .tp_members = opt_members,
    .tp_getset = opt_getset,
    .tp_dictoffset = offsetof(PNOptimizer, dict),
    .tp_init = opt_init,
    .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------ step helpers ---- */

/* One tensor taking part in an update. The kernels want contiguous memory:
 * a strided tensor is copied to a contiguous buffer (`work`) first, and copied
 * back after the step if the step writes it. */
typedef struct {
    PNTensor *orig, *work;
    int write;
} slot;

static int slot_open(slot *s, PyObject *o, PNTensor *param, const char *what, const char *op,
                     int write) {
    s->orig = s->work = NULL;
    s->write = write;
    if (!PNTensor_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s: %s must be a Tensor, not %s", op, what,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    PNTensor *t = (PNTensor *)o;
    if (param) {
        int same = t->ndim == param->ndim && t->dtype == param->dtype;
        for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == param->shape[d];
        if (!same) {
            char a[256], b[256];
            pn_format_shape(a, sizeof a, t->ndim, t->shape);
            pn_format_shape(b, sizeof b, param->ndim, param->shape);
            PyErr_Format(PyExc_RuntimeError,
                         "%s: %s has shape %s and dtype %s but the parameter has shape %s and "
                         "dtype %s",
                         op, what, a, pn_dtype_name(t->dtype), b, pn_dtype_name(param->dtype));
            return -1;
        }
    } else if (!pn_is_float(t->dtype)) {
        PyErr_Format(PyExc_TypeError, "%s: can only optimize float32 or float64 tensors, got %s",
                     op, pn_dtype_name(t->dtype));
        return -1;
    }
    /* an expanded parameter or state would be written once per element */
    if (write && (pn_check_no_overlap(t, op) < 0 || pn_check_not_readonly(t, op) < 0)) return -1;
    s->work = pn_contiguous(t); /* t itself (new reference) when already contiguous */
    if (!s->work) return -1;
    Py_INCREF(t);
    s->orig = t;
    return 0;
}
/* Write back (if needed) and release. With ok == 0 only releases. */
static int slot_close(slot *s, int ok) {
    int r = 0;
    if (ok && s->write && s->orig) {
        if (s->work != s->orig) r = pn_copy_into(s->orig, s->work);
        pn_bump_version(s->orig);
    }
    Py_CLEAR(s->work);
    Py_CLEAR(s->orig);
    return r;
}
static void *slot_data(slot *s) {
    return s->work ? s->work->data : NULL;
}

/* state["step"] += 1 for a one-element tensor; returns the new value in *step. */
static int bump_step(PyObject *o, double *step, const char *op) {
    if (!PNTensor_Check(o) || ((PNTensor *)o)->numel != 1) {
        PyErr_Format(PyExc_TypeError, "%s: state['step'] must be a one-element Tensor", op);
        return -1;
    }
    PNTensor *t = (PNTensor *)o;
    switch (t->dtype) {
    case PN_FLOAT32:
        *step = (double)(*(float *)t->data += 1.0f);
        break;
    case PN_FLOAT64:
        *step = (*(double *)t->data += 1.0);
        break;
    case PN_INT64:
        *step = (double)(*(int64_t *)t->data += 1);
        break;
    default:
        PyErr_Format(PyExc_TypeError, "%s: state['step'] has dtype bool", op);
        return -1;
    }
    pn_bump_version(t);
    return 0;
}

/* The i-th item of a list argument, or NULL (no error) when the list is None. */
typedef struct {
    PyObject *seq;
} list_arg;
static int list_open(list_arg *l, PyObject *o, Py_ssize_t n, const char *name, const char *op) {
    l->seq = NULL;
    if (o == Py_None) return 0;
    if (!PyList_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s: %s must be a list", op, name);
        return -1;
    }
    if (PyList_GET_SIZE(o) != n) {
        PyErr_Format(PyExc_ValueError, "%s: %s has %zd items, expected %zd", op, name,
                     PyList_GET_SIZE(o), n);
        return -1;
    }
    l->seq = o;
    return 0;
}
static PyObject *list_item(list_arg *l, Py_ssize_t i) {
    return l->seq ? PyList_GET_ITEM(l->seq, i) : NULL;
}

static PyObject *kernel_error(int rc, const char *op) {
    if (rc == PN_ENOMEM) return PyErr_NoMemory();
    PyErr_Format(PyExc_RuntimeError, "%s: invalid arguments to the update kernel", op);
    return NULL;
}

/* Every step function has the same frame: for each parameter i, open the
 * parameter and its gradient and the state tensors, bump the step counter,
 * run the kernel with the GIL released, and close (write back) everything.
 * Autograd is off throughout: the copies made for strided tensors must not
 * be recorded. */
#define MAX_SLOTS 6

typedef int (*step_kernel)(pn_dtype dt, int64_t n, void **ptrs, double step, void *args);

static PyObject *run_steps(const char *op, PyObject *params, PyObject *grads,
                           PyObject **state_lists, const char **state_names, int n_states,
                           PyObject *steps, step_kernel kernel, void *args) {
    if (!PyList_Check(params) || !PyList_Check(grads)) {
        PyErr_Format(PyExc_TypeError, "%s: params and grads must be lists", op);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(params);
    list_arg gl, sl, lists[MAX_SLOTS];
    if (list_open(&gl, grads, n, "grads", op) < 0) return NULL;
    if (list_open(&sl, steps ? steps : Py_None, n, "steps", op) < 0) return NULL;
    for (int k = 0; k < n_states; k++)
        if (list_open(&lists[k], state_lists[k], n, state_names[k], op) < 0) return NULL;
    int saved_mode = pn_set_grad_mode(0);
    PyObject *result = Py_None;
    for (Py_ssize_t i = 0; i < n; i++) {
        slot s[2 + MAX_SLOTS] = {{0}};
        int ok = 0;
        double step = 0;
        PNTensor *p = NULL;
        if (slot_open(&s[0], PyList_GET_ITEM(params, i), NULL, "param", op, 1) < 0) goto close;
        p = s[0].orig;
        if (slot_open(&s[1], list_item(&gl, i), p, "grad", op, 0) < 0) goto close;
        for (int k = 0; k < n_states; k++) {
            PyObject *o = list_item(&lists[k], i);
            if (o && o != Py_None && slot_open(&s[2 + k], o, p, state_names[k], op, 1) < 0)
                goto close;
        }
        if (sl.seq && bump_step(list_item(&sl, i), &step, op) < 0) goto close;
        void *ptrs[2 + MAX_SLOTS];
        for (int k = 0; k < 2 + n_states; k++) ptrs[k] = slot_data(&s[k]);
        int rc;
        {
            Py_BEGIN_ALLOW_THREADS;
            rc = kernel(p->dtype, p->numel, ptrs, step, args);
            Py_END_ALLOW_THREADS;
        }
        if (rc != PN_OK) {
            kernel_error(rc, op);
            goto close;
        }
        ok = 1;
    close:;
        int bad = !ok;
        for (int k = 0; k < 2 + n_states; k++)
            if (slot_close(&s[k], ok) < 0) bad = 1;
        if (bad) {
            result = NULL;
            break;
        }
    }
    pn_set_grad_mode(saved_mode);
    Py_XINCREF(result);
    return result;
}

/* ------------------------------------------------------------------ SGD ---- */

typedef struct {
    pn_sgd_args a;
} sgd_kargs;

static int sgd_kernel(pn_dtype dt, int64_t n, void **ptrs, double step, void *args) {
    (void)step;
    pn_sgd_args a = *(pn_sgd_args *)args;
    a.first = 0;
    return pn_sgd_step(dt, ptrs[0], ptrs[1], ptrs[2], n, &a);
}
static int sgd_first_kernel(pn_dtype dt, int64_t n, void **ptrs, double step, void *args) {
    (void)step;
    pn_sgd_args a = *(pn_sgd_args *)args;
    a.first = 1;
    return pn_sgd_step(dt, ptrs[0], ptrs[1], ptrs[2], n, &a);
}

/* _sgd_step(params, grads, momentum_buffers, lr, momentum, dampening, weight_decay,
 *           nesterov, maximize). momentum_buffers: a list with None where no buffer
 * exists yet; the step creates those (the first gradient) and stores them in the list. */
static PyObject *py_sgd_step(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *params, *grads, *bufs;
    pn_sgd_args a = {0};
    if (!PyArg_ParseTuple(args, "O!O!Oddddpp:_sgd_step", &PyList_Type, &params, &PyList_Type,
                          &grads, &bufs, &a.lr, &a.momentum, &a.dampening, &a.weight_decay,
                          &a.nesterov, &a.maximize))
        return NULL;
    if (a.momentum == 0) {
        PyObject *none[1] = {Py_None};
        const char *names[1] = {"momentum_buffer"};
        return run_steps("sgd", params, grads, none, names, 1, NULL, sgd_kernel, &a);
    }
    if (!PyList_Check(bufs) || PyList_GET_SIZE(bufs) != PyList_GET_SIZE(params)) {
        PyErr_SetString(PyExc_TypeError, "sgd: momentum_buffers must be a list like params");
        return NULL;
    }
    /* Parameters with and without a buffer take different kernels: split them. */
    Py_ssize_t n = PyList_GET_SIZE(params);
    PyObject *lists[6];
    for (int k = 0; k < 6; k++) lists[k] = PyList_New(0);
    PyObject *idx_new = PyList_New(0), *r = NULL;
    for (int k = 0; k < 6; k++)
        if (!lists[k]) goto done;
    if (!idx_new) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = PyList_GET_ITEM(bufs, i), *p = PyList_GET_ITEM(params, i);
        PyObject *g = PyList_GET_ITEM(grads, i);
        if (b == Py_None) {
            PNTensor *pt = PNTensor_Check(p) ? (PNTensor *)p : NULL;
            if (!pt) {
                PyErr_SetString(PyExc_TypeError, "sgd: params must be Tensors");
                goto done;
            }
            PyObject *nb = (PyObject *)pn_empty(pt->dtype, pt->ndim, pt->shape);
            PyObject *ix = PyLong_FromSsize_t(i);
            int bad = !nb || !ix || PyList_Append(lists[3], p) < 0 ||
                      PyList_Append(lists[4], g) < 0 || PyList_Append(lists[5], nb) < 0 ||
                      PyList_Append(idx_new, ix) < 0;
            Py_XDECREF(nb);
            Py_XDECREF(ix);
            if (bad) goto done;
        } else if (PyList_Append(lists[0], p) < 0 || PyList_Append(lists[1], g) < 0 ||
                   PyList_Append(lists[2], b) < 0)
            goto done;
    }
    const char *names[1] = {"momentum_buffer"};
    r = run_steps("sgd", lists[0], lists[1], &lists[2], names, 1, NULL, sgd_kernel, &a);
    if (!r) goto done;
    Py_DECREF(r);
    r = run_steps("sgd", lists[3], lists[4], &lists[5], names, 1, NULL, sgd_first_kernel, &a);
    if (!r) goto done;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(idx_new); j++) {
        Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(idx_new, j));
        PyObject *nb = PyList_GET_ITEM(lists[5], j);
        Py_INCREF(nb);
        PyList_SetItem(bufs, i, nb); /* steals nb */
    }
done:
    for (int k = 0; k < 6; k++) Py_XDECREF(lists[k]);
    Py_XDECREF(idx_new);
    return r;
}

/* ----------------------------------------------------------------- Adam ---- */

static int adam_kernel(pn_dtype dt, int64_t n, void **ptrs, double step, void *args) {
    pn_adam_args a = *(pn_adam_args *)args;
    a.step = step;
    return pn_adam_step(dt, ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], n, &a);
}

/* _adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs or None, steps,
 *            lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled) */
static PyObject *py_adam_step(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *params, *grads, *lists[3], *steps;
    pn_adam_args a = {0};
    if (!PyArg_ParseTuple(args, "O!O!OOOO!dddddppp:_adam_step", &PyList_Type, &params, &PyList_Type,
                          &grads, &lists[0], &lists[1], &lists[2], &PyList_Type, &steps, &a.lr,
                          &a.beta1, &a.beta2, &a.eps, &a.weight_decay, &a.amsgrad, &a.maximize,
                          &a.decoupled))
        return NULL;
    if (a.amsgrad && lists[2] == Py_None) {
        PyErr_SetString(PyExc_ValueError, "adam: amsgrad needs max_exp_avg_sqs");
        return NULL;
    }
    if (!a.amsgrad) lists[2] = Py_None;
    const char *names[3] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    return run_steps("adam", params, grads, lists, names, 3, steps, adam_kernel, &a);
}

/* -------------------------------------------------------------- Adagrad ---- */

static int adagrad_kernel(pn_dtype dt, int64_t n, void **ptrs, double step, void *args) {
    pn_adagrad_args a = *(pn_adagrad_args *)args;
    a.step = step;
    return pn_adagrad_step(dt, ptrs[0], ptrs[1], ptrs[2], n, &a);
}

/* _adagrad_step(params, grads, state_sums, steps, lr, lr_decay, weight_decay, eps, maximize) */
static PyObject *py_adagrad_step(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *params, *grads, *lists[1], *steps;
    pn_adagrad_args a = {0};
    if (!PyArg_ParseTuple(args, "O!O!OO!ddddp:_adagrad_step", &PyList_Type, &params, &PyList_Type,
                          &grads, &lists[0], &PyList_Type, &steps, &a.lr, &a.lr_decay,
                          &a.weight_decay, &a.eps, &a.maximize))
        return NULL;
    const char *names[1] = {"sum"};
    return run_steps("adagrad", params, grads, lists, names, 1, steps, adagrad_kernel, &a);
}

/* ------------------------------------------------------------- Adadelta ---- */

static int adadelta_kernel(pn_dtype dt, int64_t n, void **ptrs, double step, void *args) {
    (void)step;
    return pn_adadelta_step(dt, ptrs[0], ptrs[1], ptrs[2], ptrs[3], n, args);
}

/* _adadelta_step(params, grads, square_avgs, acc_deltas, steps, lr, rho, eps, weight_decay,
 *                maximize) */
static PyObject *py_adadelta_step(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *params, *grads, *lists[2], *steps;
    pn_adadelta_args a = {0};
    if (!PyArg_ParseTuple(args, "O!O!OOO!ddddp:_adadelta_step", &PyList_Type, &params, &PyList_Type,
                          &grads, &lists[0], &lists[1], &PyList_Type, &steps, &a.lr, &a.rho, &a.eps,
                          &a.weight_decay, &a.maximize))
        return NULL;
    const char *names[2] = {"square_avg", "acc_delta"};
    return run_steps("adadelta", params, grads, lists, names, 2, steps, adadelta_kernel, &a);
}

/* -------------------------------------------------------------- RMSprop ---- */

static int rmsprop_kernel(pn_dtype dt, int64_t n, void **ptrs, double step, void *args) {
    (void)step;
    return pn_rmsprop_step(dt, ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], n, args);
}

/* _rmsprop_step(params, grads, square_avgs, grad_avgs or None, momentum_buffers or None, steps,
 *               lr, alpha, eps, weight_decay, momentum, centered, maximize) */
static PyObject *py_rmsprop_step(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *params, *grads, *lists[3], *steps;
    pn_rmsprop_args a = {0};
    if (!PyArg_ParseTuple(args, "O!O!OOOO!dddddpp:_rmsprop_step", &PyList_Type, &params,
                          &PyList_Type, &grads, &lists[0], &lists[1], &lists[2], &PyList_Type,
                          &steps, &a.lr, &a.alpha, &a.eps, &a.weight_decay, &a.momentum,
                          &a.centered, &a.maximize))
        return NULL;
    if ((a.centered && lists[1] == Py_None) || (a.momentum > 0 && lists[2] == Py_None)) {
        PyErr_SetString(PyExc_ValueError, "rmsprop: missing grad_avgs or momentum_buffers");
        return NULL;
    }
    if (!a.centered) lists[1] = Py_None;
    if (!(a.momentum > 0)) lists[2] = Py_None;
    const char *names[3] = {"square_avg", "grad_avg", "momentum_buffer"};
    return run_steps("rmsprop", params, grads, lists, names, 3, steps, rmsprop_kernel, &a);
}

PyMethodDef pn_module_methods_optim[] = {
    {"_sgd_step", py_sgd_step, METH_VARARGS,
     "_sgd_step(params, grads, momentum_buffers, lr, momentum, dampening, weight_decay, "
     "nesterov, maximize)"},
    {"_adam_step", py_adam_step, METH_VARARGS,
     "_adam_step(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr, beta1, "
     "beta2, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay)"},
    {"_adagrad_step", py_adagrad_step, METH_VARARGS,
     "_adagrad_step(params, grads, state_sums, steps, lr, lr_decay, weight_decay, eps, "
     "maximize)"},
    {"_adadelta_step", py_adadelta_step, METH_VARARGS,
     "_adadelta_step(params, grads, square_avgs, acc_deltas, steps, lr, rho, eps, "
     "weight_decay, maximize)"},
    {"_rmsprop_step", py_rmsprop_step, METH_VARARGS,
     "_rmsprop_step(params, grads, square_avgs, grad_avgs, momentum_buffers, steps, lr, alpha, "
     "eps, weight_decay, momentum, centered, maximize)"},
    {NULL, NULL, 0, NULL}};

/* Called from PyInit__C: register the optimizer base type with the module. */
int pn_optim_init(PyObject *module) {
    if (PyType_Ready(&PNOptimizer_Type) < 0) return -1;
    Py_INCREF(&PNOptimizer_Type);
    if (PyModule_AddObject(module, "OptimizerBase", (PyObject *)&PNOptimizer_Type) < 0) {
        Py_DECREF(&PNOptimizer_Type);
        return -1;
    }
    return 0;
}
