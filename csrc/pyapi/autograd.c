/* pyapi/autograd.c - the Python side of autograd: Node's attributes and hooks,
 * _run_backward, _record_function (autograd.Function) and grad mode. */
#include "pyapi.h"
#include "tensor_docs.h"
#include <string.h>
#include <math.h>

/* --------------------------------------------------------- Python surface ---- */

static PyObject *node_name(PNNode *n, PyObject *u) {
    (void)u;
    return PyUnicode_FromString(n->name);
}

static PyObject *node_repr(PNNode *n) {
    return PyUnicode_FromFormat("<%s object at %p>", n->name, n);
}

static PyObject *node_next_functions(PNNode *n, void *c) {
    (void)c;
    PyObject *t = PyTuple_New(n->n_next);
    if (!t) return NULL;
    for (int k = 0; k < n->n_next; k++) {
        PyObject *fn = n->next[k].fn ? (PyObject *)n->next[k].fn : Py_None;
        PyObject *pair = Py_BuildValue("(Oi)", fn, n->next[k].input_nr);
        if (!pair) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, k, pair);
    }
    return t;
}

static PyObject *node_variable(PNNode *n, void *c) {
    (void)c;
    if (!n->leaf) {
        PyErr_SetString(PyExc_AttributeError, "only AccumulateGrad nodes have .variable");
        return NULL;
    }
    Py_INCREF(n->leaf);
    return (PyObject *)n->leaf;
}

static PyObject *node_saved_tensors(PNNode *n, void *c) {
    (void)c;
    PyObject *t = PyTuple_New(0);
    for (int k = 0; k < PN_NODE_SAVED && t; k++) {
        if (!n->saved[k] && !n->released) continue;
        PNTensor *s = pn_unpack(n, k);
        if (!s) {
            Py_DECREF(t);
            return NULL;
        }
        PyObject *one = PyTuple_Pack(1, s);
        Py_DECREF(s);
        PyObject *cat = one ? PySequence_Concat(t, one) : NULL;
        Py_XDECREF(one);
        Py_DECREF(t);
        t = cat;
    }
    return t;
}

static PyObject *node_register_hook(PNNode *n, PyObject *fn) {
    if (!PyCallable_Check(fn)) {
        PyErr_SetString(PyExc_TypeError, "register_hook expects a callable");
        return NULL;
    }
    if (!n->hooks && !(n->hooks = PyDict_New())) return NULL;
    /* the handle (pynet.utils.hooks.RemovableHandle) owns the key: remove() pops it */
    PyObject *mod = PyImport_ImportModule("pynet.utils.hooks");
    PyObject *handle = mod ? PyObject_CallMethod(mod, "RemovableHandle", "O", n->hooks) : NULL;
    Py_XDECREF(mod);
    PyObject *id = handle ? PyObject_GetAttrString(handle, "id") : NULL;
    int rc = id ? PyDict_SetItem(n->hooks, id, fn) : -1;
    Py_XDECREF(id);
    if (rc < 0) Py_CLEAR(handle);
    return handle;
}

/* _register_pre_hook(output_nr, fn): fn(grad) runs before this node, on the
 * gradient of its output output_nr (used by Tensor.register_hook/retain_grad). */
static PyObject *node_register_pre_hook(PNNode *n, PyObject *args) {
    int k, is_retain = 0;
    PyObject *fn;
    if (!PyArg_ParseTuple(args, "iO|p:_register_pre_hook", &k, &fn, &is_retain)) return NULL;
    if (!n->pre_hooks && !(n->pre_hooks = PyList_New(0))) return NULL;
    PyObject *item = Py_BuildValue("(iOO)", k, fn, is_retain ? Py_True : Py_False);
    if (!item || PyList_Append(n->pre_hooks, item) < 0) {
        Py_XDECREF(item);
        return NULL;
    }
    Py_DECREF(item);
    Py_RETURN_NONE;
}

static PyObject *node_remove_pre_hook(PNNode *n, PyObject *fn) {
    for (Py_ssize_t h = 0; n->pre_hooks && h < PyList_GET_SIZE(n->pre_hooks); h++)
        if (PyTuple_GET_ITEM(PyList_GET_ITEM(n->pre_hooks, h), 1) == fn)
            return PySequence_DelItem(n->pre_hooks, h) < 0 ? NULL : (Py_INCREF(Py_True), Py_True);
    Py_RETURN_FALSE;
}

static PyMethodDef node_methods[] = {
    {"_remove_pre_hook", (PyCFunction)node_remove_pre_hook, METH_O, NULL},
    {"_register_pre_hook", (PyCFunction)node_register_pre_hook, METH_VARARGS, NULL},
    {"name", (PyCFunction)node_name, METH_NOARGS, "the node's type name, e.g. MulBackward0"},
    {"register_hook", (PyCFunction)node_register_hook, METH_O,
     "fn(grad_inputs, grad_outputs) runs after this node's backward; returns a handle "
     "whose remove() unregisters it"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef node_getset[] = {
    {"next_functions", (getter)node_next_functions, NULL, NULL, NULL},
    {"variable", (getter)node_variable, NULL, NULL, NULL},
    {"saved_tensors", (getter)node_saved_tensors, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

/* _record_function(name, backward, inputs, outputs): connect outputs to a new
 * node whose backward is the Python callable. The name must stay alive: it is
 * kept in a module-level cache of interned names. */
static PyObject *name_cache = NULL;

static PyObject *record_function(PyObject *m, PyObject *args) {
    (void)m;
    PyObject *name, *backward, *inputs, *outputs;
    if (!PyArg_ParseTuple(args, "UOOO:_record_function", &name, &backward, &inputs, &outputs))
        return NULL;
    if (!name_cache && !(name_cache = PyDict_New())) return NULL;
    PyObject *cached = PyDict_GetItemWithError(name_cache, name);
    if (!cached) {
        if (PyErr_Occurred() || PyDict_SetItem(name_cache, name, name) < 0) return NULL;
        cached = name;
    }
    PyObject *ins = PySequence_Fast(inputs, "inputs must be a sequence");
    if (!ins) return NULL;
    PyObject *outs = PySequence_Fast(outputs, "outputs must be a sequence");
    if (!outs) {
        Py_DECREF(ins);
        return NULL;
    }
    Py_ssize_t ni = PySequence_Fast_GET_SIZE(ins), no = PySequence_Fast_GET_SIZE(outs);
    PNTensor **tin = PyMem_Calloc((size_t)ni + 1, sizeof(PNTensor *));
    PNNode *node = NULL;
    if (!tin) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t k = 0; k < ni; k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(ins, k);
        tin[k] = PNTensor_Check(o) ? (PNTensor *)o : NULL;
    }
    node = pn_node_new(PyUnicode_AsUTF8(cached), pn_python_apply, (int)ni, tin);
    if (!node) goto fail;
    node->n_out = (int)no;
    pn_python_state *st = pn_node_state(node, sizeof *st, 1);
    if (!st) goto fail;
    Py_INCREF(backward);
    st->backward = backward;
    for (Py_ssize_t k = 0; k < no; k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(outs, k);
        if (!PNTensor_Check(o)) continue;
        PNTensor *t = (PNTensor *)o;
        if (!pn_is_float(t->dtype)) continue;
        pn_set_history(t, node, (int)k);
    }
    PyMem_Free(tin);
    Py_DECREF(ins);
    Py_DECREF(outs);
    return (PyObject *)node;
fail:
    Py_XDECREF(node);
    PyMem_Free(tin);
    Py_DECREF(ins);
    Py_DECREF(outs);
    return NULL;
}

static PyObject *py_run_backward(PyObject *m, PyObject *args, PyObject *kw) {
    (void)m;
    static char *kwlist[] = {"outputs",      "grads", "retain_graph", "create_graph", "inputs",
                             "allow_unused", NULL};
    PyObject *outputs, *grads, *inputs = Py_None;
    int retain = 0, create = 0, allow_unused = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|ppOp:_run_backward", kwlist, &outputs, &grads,
                                     &retain, &create, &inputs, &allow_unused))
        return NULL;
    return pn_run_backward(outputs, grads, retain, create, inputs, allow_unused);
}

static PyObject *set_grad_enabled(PyObject *m, PyObject *arg) {
    (void)m;
    int v = PyObject_IsTrue(arg);
    if (v < 0) return NULL;
    return PyBool_FromLong(pn_set_grad_mode(v));
}

static PyObject *is_grad_enabled(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return PyBool_FromLong(pn_grad_mode);
}

PyMethodDef pn_module_methods_autograd[] = {
    {"_run_backward", (PyCFunction)(void (*)(void))py_run_backward, METH_VARARGS | METH_KEYWORDS,
     NULL},
    {"_record_function", record_function, METH_VARARGS, NULL},
    {"_set_grad_enabled", set_grad_enabled, METH_O, DOC_fn__set_grad_enabled},
    {"is_grad_enabled", is_grad_enabled, METH_NOARGS, DOC_fn_is_grad_enabled},
    {NULL, NULL, 0, NULL}};

int pn_node_type_init(PyObject *module) {
    PNNode_Type.tp_repr = (reprfunc)node_repr;
    PNNode_Type.tp_methods = node_methods;
    PNNode_Type.tp_getset = node_getset;
    if (PyType_Ready(&PNNode_Type) < 0) return -1;
    Py_INCREF(&PNNode_Type);
    return PyModule_AddObject(module, "Node", (PyObject *)&PNNode_Type);
}
