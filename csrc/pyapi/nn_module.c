/* pyapi/nn_module.c - the Module and Sequential base types (pynet.nn.Module and
 * pynet.nn.Sequential are their Python subclasses).
 *
 * A Module keeps three ordered registries: _parameters, _buffers and
 * _modules. Assigning an attribute sorts the value into the right one
 * (`self.fc = Linear(...)` registers a sub-module, `self.w = Parameter(...)`
 * a parameter), and reading an attribute looks there first. Calling a module
 * runs its forward between the optional pre- and post-hooks; Sequential's
 * forward is a loop in C over its sub-modules.
 */
#include "pyapi.h"
#include "tensor_docs.h"
#include <stddef.h>

typedef struct {
    PyObject_HEAD
    PyObject *params;         /* dict name -> Parameter or None */
    PyObject *buffers;        /* dict name -> Tensor or None */
    PyObject *modules;        /* dict name -> Module or None */
    PyObject *non_persistent; /* set of buffer names left out of state_dict */
    PyObject *pre_hooks;      /* dict id -> fn(module, args) */
    PyObject *hooks;          /* dict id -> fn(module, args, output) */
    PyObject *dict;
    PyObject *weakrefs;
    char training;
} PNModule;

static PyTypeObject PNModule_Type, PNSequential_Type;
static PyObject *parameter_class = NULL; /* pynet.nn.Parameter, set from Python */

static PyObject *module_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    (void)args, (void)kw;
    PNModule *m = (PNModule *)type->tp_alloc(type, 0);
    if (!m) return NULL;
    m->params = PyDict_New();
    m->buffers = PyDict_New();
    m->modules = PyDict_New();
    m->non_persistent = PySet_New(NULL);
    m->pre_hooks = PyDict_New();
    m->hooks = PyDict_New();
    m->training = 1;
    if (!m->params || !m->buffers || !m->modules || !m->non_persistent || !m->pre_hooks ||
        !m->hooks) {
        Py_DECREF(m);
        return NULL;
    }
    return (PyObject *)m;
}

static int module_init(PyObject *self, PyObject *args, PyObject *kw) {
    (void)self;
    if (PyTuple_GET_SIZE(args) || (kw && PyDict_GET_SIZE(kw))) {
        PyErr_Format(PyExc_TypeError, "%s.__init__() got unexpected arguments",
                     Py_TYPE(self)->tp_name);
        return -1;
    }
    return 0;
}

static int module_traverse(PNModule *m, visitproc visit, void *arg) {
    Py_VISIT(m->params);
    Py_VISIT(m->buffers);
    Py_VISIT(m->modules);
    Py_VISIT(m->non_persistent);
    Py_VISIT(m->pre_hooks);
    Py_VISIT(m->hooks);
    Py_VISIT(m->dict);
    return 0;
}

static int module_clear(PNModule *m) {
    Py_CLEAR(m->params);
    Py_CLEAR(m->buffers);
    Py_CLEAR(m->modules);
    Py_CLEAR(m->non_persistent);
    Py_CLEAR(m->pre_hooks);
    Py_CLEAR(m->hooks);
    Py_CLEAR(m->dict);
    return 0;
}

static void module_dealloc(PNModule *m) {
    PyObject_GC_UnTrack(m);
    if (m->weakrefs) PyObject_ClearWeakRefs((PyObject *)m);
    module_clear(m);
    Py_TYPE(m)->tp_free((PyObject *)m);
}

/* Remove name from every registry and the instance dict (before re-registering it). */
static int forget(PNModule *m, PyObject *name, PyObject *keep) {
    PyObject *regs[3] = {m->params, m->buffers, m->modules};
    for (int k = 0; k < 3; k++) {
        if (regs[k] == keep) continue;
        int has = PyDict_Contains(regs[k], name);
        if (has < 0 || (has && PyDict_DelItem(regs[k], name) < 0)) return -1;
    }
    if (m->dict) {
        int has = PyDict_Contains(m->dict, name);
        if (has < 0 || (has && PyDict_DelItem(m->dict, name) < 0)) return -1;
    }
    return 0;
}

static int is_parameter(PyObject *v) {
    return parameter_class && PyObject_TypeCheck(v, (PyTypeObject *)parameter_class);
}

static int module_setattro(PyObject *self, PyObject *name, PyObject *value) {
    PNModule *m = (PNModule *)self;
    if (!value) { /* del module.attr */
        PyObject *regs[3] = {m->params, m->buffers, m->modules};
        for (int k = 0; k < 3; k++) {
            int has = PyDict_Contains(regs[k], name);
            if (has < 0) return -1;
            if (has) return PyDict_DelItem(regs[k], name);
        }
        return PyObject_GenericSetAttr(self, name, value);
    }
    int has;
    if (is_parameter(value)) {
        if (forget(m, name, m->params) < 0 || (has = PyDict_Contains(m->params, name)) < 0)
            return -1;
        if (!has && _PyType_Lookup(Py_TYPE(self), name)) { /* m.forward = Parameter(...) */
            PyErr_Format(PyExc_KeyError, "attribute '%U' already exists", name);
            return -1;
        }
        return PyDict_SetItem(m->params, name, value);
    }
    /* a registered parameter takes only a Parameter or None (a module too: PyTorch's order) */
    if ((has = PyDict_Contains(m->params, name)) < 0) return -1;
    if (!has && PyObject_TypeCheck(value, &PNModule_Type)) {
        if (forget(m, name, m->modules) < 0) return -1;
        return PyDict_SetItem(m->modules, name, value);
    }
    if (has) {
        if (value != Py_None) {
            PyErr_Format(PyExc_TypeError,
                         "cannot assign '%s' object to parameter '%U' (pynet.nn.Parameter or "
                         "None required)",
                         Py_TYPE(value)->tp_name, name);
            return -1;
        }
        return PyDict_SetItem(m->params, name, value);
    }
    if ((has = PyDict_Contains(m->modules, name)) < 0) return -1;
    if (has) {
        if (value != Py_None) {
            PyErr_Format(PyExc_TypeError,
                         "cannot assign '%s' object to child module '%U' (pynet.nn.Module or "
                         "None expected)",
                         Py_TYPE(value)->tp_name, name);
            return -1;
        }
        return PyDict_SetItem(m->modules, name, value);
    }
    if ((has = PyDict_Contains(m->buffers, name)) < 0) return -1;
    if (has) {
        if (value != Py_None && !PNTensor_Check(value)) {
            PyErr_Format(PyExc_TypeError,
                         "cannot assign '%s' object to buffer '%U' (pynet.Tensor or None "
                         "expected)",
                         Py_TYPE(value)->tp_name, name);
            return -1;
        }
        return PyDict_SetItem(m->buffers, name, value);
    }
    return PyObject_GenericSetAttr(self, name, value);
}

/* Registered parameters, buffers and sub-modules are found before the normal
 * lookup: they are what a forward reads most (self.weight, self.fc1). */
static PyObject *module_getattro(PyObject *self, PyObject *name) {
    PNModule *m = (PNModule *)self;
    if (m->params) {
        PyObject *regs[3] = {m->params, m->buffers, m->modules};
        for (int k = 0; k < 3; k++) {
            PyObject *v = PyDict_GetItemWithError(regs[k], name);
            if (v) {
                Py_INCREF(v);
                return v;
            }
            if (PyErr_Occurred()) return NULL;
        }
    }
    return PyObject_GenericGetAttr(self, name);
}

/* Hooks run in the order they were registered (dicts keep insertion order),
 * from a snapshot of the dict taken when the call starts: a hook may register
 * or remove hooks (itself included) without hanging the loop or skipping its
 * neighbour; what it changes applies from the next call, as in PyTorch. */
static PyObject *hook_snapshot(PyObject *hooks) {
    return hooks && PyDict_GET_SIZE(hooks) ? PyDict_Values(hooks) : PyList_New(0);
}

/* Forward pre-hooks: fn(module, args); a non-None result replaces the inputs
 * (a tuple as is, anything else as a 1-tuple). Updates *args in place. */
static int run_forward_pre_hooks(PNModule *m, PyObject **args) {
    PyObject *snap = hook_snapshot(m->pre_hooks);
    if (!snap) return -1;
    int rc = 0;
    for (Py_ssize_t h = 0; rc == 0 && h < PyList_GET_SIZE(snap); h++) {
        PyObject *r = PyObject_CallFunctionObjArgs(PyList_GET_ITEM(snap, h), m, *args, NULL);
        if (!r) {
            rc = -1;
        } else if (r != Py_None) {
            PyObject *t = PyTuple_Check(r) ? (Py_INCREF(r), r) : PyTuple_Pack(1, r);
            if (t)
                Py_SETREF(*args, t);
            else
                rc = -1;
        }
        Py_XDECREF(r);
    }
    Py_DECREF(snap);
    return rc;
}

/* Forward hooks: fn(module, args, output); a non-None result replaces the
 * output. Steals out, returns the final output (NULL on error). */
static PyObject *run_forward_hooks(PNModule *m, PyObject *args, PyObject *out) {
    PyObject *snap = hook_snapshot(m->hooks);
    if (!snap) {
        Py_DECREF(out);
        return NULL;
    }
    for (Py_ssize_t h = 0; out && h < PyList_GET_SIZE(snap); h++) {
        PyObject *r = PyObject_CallFunctionObjArgs(PyList_GET_ITEM(snap, h), m, args, out, NULL);
        if (!r)
            Py_CLEAR(out);
        else if (r != Py_None)
            Py_SETREF(out, r);
        else
            Py_DECREF(r);
    }
    Py_DECREF(snap);
    return out;
}

static PyObject *module_call(PyObject *self, PyObject *args, PyObject *kw) {
    PNModule *m = (PNModule *)self;
    PyObject *call_args = args;
    Py_INCREF(call_args);
    if (m->pre_hooks && PyDict_GET_SIZE(m->pre_hooks) && run_forward_pre_hooks(m, &call_args) < 0) {
        Py_DECREF(call_args);
        return NULL;
    }
    PyObject *forward = PyObject_GetAttrString(self, "forward");
    PyObject *out = forward ? PyObject_Call(forward, call_args, kw) : NULL;
    Py_XDECREF(forward);
    if (out && m->hooks && PyDict_GET_SIZE(m->hooks)) out = run_forward_hooks(m, call_args, out);
    Py_DECREF(call_args);
    return out;
}

static PyObject *module_forward(PyObject *self, PyObject *args) {
    (void)args;
    PyErr_Format(PyExc_NotImplementedError,
                 "Module [%s] is missing the required \"forward\" function",
                 Py_TYPE(self)->tp_name);
    return NULL;
}

static PyObject *get_training(PNModule *m, void *c) {
    (void)c;
    return PyBool_FromLong(m->training);
}
static int set_training(PNModule *m, PyObject *v, void *c) {
    (void)c;
    int t = v ? PyObject_IsTrue(v) : 0;
    if (t < 0) return -1;
    m->training = (char)t;
    return 0;
}
#define REGISTRY_GETTER(NAME, FIELD) \
    static PyObject *NAME(PNModule *m, void *c) { \
        (void)c; \
        Py_INCREF(m->FIELD); \
        return m->FIELD; \
    }
REGISTRY_GETTER(get_params, params)
REGISTRY_GETTER(get_buffers, buffers)
REGISTRY_GETTER(get_modules, modules)
REGISTRY_GETTER(get_non_persistent, non_persistent)
REGISTRY_GETTER(get_pre_hooks, pre_hooks)
REGISTRY_GETTER(get_hooks, hooks)

static PyGetSetDef module_getset[] = {
    {"training", (getter)get_training, (setter)set_training, "True in training mode", NULL},
    {"_parameters", (getter)get_params, NULL, NULL, NULL},
    {"_buffers", (getter)get_buffers, NULL, NULL, NULL},
    {"_modules", (getter)get_modules, NULL, NULL, NULL},
    {"_non_persistent_buffers_set", (getter)get_non_persistent, NULL, NULL, NULL},
    {"_forward_pre_hooks", (getter)get_pre_hooks, NULL, NULL, NULL},
    {"_forward_hooks", (getter)get_hooks, NULL, NULL, NULL},
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef module_methods[] = {
    {"forward", module_forward, METH_VARARGS, DOC_module_forward}, {NULL, NULL, 0, NULL}};

static PyTypeObject PNModule_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynet._C.ModuleBase",
    .tp_basicsize = sizeof(PNModule),
    .tp_dealloc = (destructor)module_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C core of pynet.nn.Module: parameter/buffer/sub-module registries and __call__.",
    .tp_traverse = (traverseproc)module_traverse,
    .tp_clear = (inquiry)module_clear,
    .tp_new = module_new,
    .tp_init = module_init,
    .tp_call = module_call,
    .tp_getattro = module_getattro,
    .tp_setattro = module_setattro,
    .tp_getset = module_getset,
    .tp_methods = module_methods,
    .tp_dictoffset = offsetof(PNModule, dict),
    .tp_weaklistoffset = offsetof(PNModule, weakrefs),
};

/* Sequential.forward: feed the input through each sub-module in order. */
static PyObject *sequential_forward(PyObject *self, PyObject *input) {
    PNModule *m = (PNModule *)self;
    PyObject *x = input, *key, *mod;
    Py_ssize_t pos = 0;
    Py_INCREF(x);
    while (PyDict_Next(m->modules, &pos, &key, &mod)) {
        if (mod == Py_None) continue;
        PyObject *y = PyObject_CallOneArg(mod, x);
        Py_DECREF(x);
        if (!y) return NULL;
        x = y;
    }
    return x;
}

static PyMethodDef sequential_methods[] = {
    {"forward", sequential_forward, METH_O, DOC_sequential_forward}, {NULL, NULL, 0, NULL}};

static PyTypeObject PNSequential_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynet._C.SequentialBase",
    .tp_basicsize = sizeof(PNModule),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The C core of pynet.nn.Sequential: a forward loop over the sub-modules.",
    .tp_traverse = (traverseproc)module_traverse,
    .tp_clear = (inquiry)module_clear,
    .tp_methods = sequential_methods,
};

static PyObject *set_parameter_class(PyObject *m, PyObject *cls) {
    (void)m;
    Py_INCREF(cls);
    Py_XSETREF(parameter_class, cls);
    Py_RETURN_NONE;
}

static PyMethodDef nn_module_functions[] = {
    {"_set_parameter_class", set_parameter_class, METH_O, NULL}, {NULL, NULL, 0, NULL}};

int pn_nn_module_init(PyObject *module) {
    PNSequential_Type.tp_base = &PNModule_Type;
    if (PyType_Ready(&PNModule_Type) < 0 || PyType_Ready(&PNSequential_Type) < 0) return -1;
    Py_INCREF(&PNModule_Type);
    if (PyModule_AddObject(module, "ModuleBase", (PyObject *)&PNModule_Type) < 0) return -1;
    Py_INCREF(&PNSequential_Type);
    if (PyModule_AddObject(module, "SequentialBase", (PyObject *)&PNSequential_Type) < 0) return -1;
    return PyModule_AddFunctions(module, nn_module_functions);
}
