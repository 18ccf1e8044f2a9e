/* core/node.c - autograd graph nodes: how an op records itself (the engine that
 * runs them backwards is core/engine.c).
 *
 * Every op that sees an input requiring grad creates a Node ("MulBackward0")
 * that remembers what backward needs (saved tensors, sizes) and an edge per
 * input pointing at the node that produced that input: its grad_fn, or, for
 * a leaf, the leaf's AccumulateGrad node. The output tensor points at the new
 * node (its grad_fn). So the graph is the forward computation, reversed.
 *
 * backward() then:
 *   1. walks the graph from the output and counts, for each node, how many
 *      edges lead into it (its dependencies);
 *   2. starts at the output with gradient 1 and repeatedly takes a node whose
 *      dependencies are all in: it calls the node's apply() with the sum of
 *      the gradients that arrived, and sends each result along the edges;
 *   3. at an AccumulateGrad node adds the gradient into leaf.grad.
 * Counting first guarantees a node runs only once, after all its consumers.
 */
#include "autograd.h"
#include "copy.h"
#include <string.h>
#include <math.h>

_Thread_local int pn_grad_mode = 1;

/* ------------------------------------------------------------------ Node ---- */

static int node_traverse(PNNode *n, visitproc visit, void *arg) {
    for (int k = 0; k < n->n_next; k++) Py_VISIT((PyObject *)n->next[k].fn);
    for (int k = 0; k < PN_NODE_SAVED; k++) Py_VISIT((PyObject *)n->saved[k]);
    for (int k = 0; k < n->state_nrefs; k++) Py_VISIT(((PyObject **)n->state)[k]);
    Py_VISIT((PyObject *)n->leaf);
    Py_VISIT(n->hooks);
    Py_VISIT(n->pre_hooks);
    return 0;
}

void pn_node_release_saved(PNNode *n) {
    for (int k = 0; k < PN_NODE_SAVED; k++) Py_CLEAR(n->saved[k]);
}

static int node_clear(PNNode *n) {
    for (int k = 0; k < n->n_next; k++) Py_CLEAR(n->next[k].fn);
    pn_node_release_saved(n);
    for (int k = 0; k < n->state_nrefs; k++) Py_CLEAR(((PyObject **)n->state)[k]);
    if (n->leaf) {
        if (n->leaf->grad_acc == n) n->leaf->grad_acc = NULL;
        Py_CLEAR(n->leaf);
    }
    Py_CLEAR(n->hooks);
    Py_CLEAR(n->pre_hooks);
    return 0;
}

static void node_dealloc(PNNode *n) {
    PyObject_GC_UnTrack(n);
    /* The trashcan turns the deallocation of a long chain of nodes (a deep
     * graph) from deep C recursion into a loop. */
    Py_TRASHCAN_BEGIN(n, node_dealloc);
    node_clear(n);
    if (n->next != n->next_inline) PyMem_Free(n->next);
    if (n->meta != n->meta_inline) PyMem_Free(n->meta);
    if (n->state != (void *)n->state_inline) PyMem_Free(n->state);
    PyObject_GC_Del(n);
    Py_TRASHCAN_END;
}

static PNNode *node_alloc(const char *name, pn_apply_fn apply, int n_next) {
    PNNode *n = PyObject_GC_New(PNNode, &PNNode_Type);
    if (!n) return NULL;
    memset((char *)n + sizeof(PyObject), 0, sizeof(PNNode) - sizeof(PyObject));
    n->name = name;
    n->apply = apply;
    n->n_out = 1;
    n->n_next = n_next;
    if (n_next <= PN_NODE_INLINE) {
        n->next = n->next_inline;
        n->meta = n->meta_inline;
    } else {
        n->next = PyMem_Calloc((size_t)n_next, sizeof(PNEdge));
        n->meta = PyMem_Calloc((size_t)n_next, sizeof(PNMeta));
        if (!n->next || !n->meta) {
            PyMem_Free(n->next);
            PyMem_Free(n->meta);
            n->next = n->next_inline;
            n->meta = n->meta_inline;
            n->n_next = 0;
            Py_DECREF(n);
            PyErr_NoMemory();
            return NULL;
        }
    }
    PyObject_GC_Track(n);
    return n;
}

/* The leaf's AccumulateGrad node, created once and cached (weakly) on the leaf. */
static PNNode *grad_accumulator(PNTensor *leaf) {
    if (leaf->grad_acc) {
        Py_INCREF(leaf->grad_acc);
        return leaf->grad_acc;
    }
    PNNode *n = node_alloc("AccumulateGrad", pn_accumulate_grad_apply, 0);
    if (!n) return NULL;
    Py_INCREF(leaf);
    n->leaf = leaf;
    leaf->grad_acc = n;
    return n;
}

/* The edge along which gradient for tensor t must travel. */
int pn_edge_for(PNTensor *t, PNEdge *e) {
    if (pn_refresh_view(t) < 0) return -1;
    if (t->grad_fn) {
        Py_INCREF(t->grad_fn);
        e->fn = t->grad_fn;
        e->input_nr = t->output_nr;
        return 0;
    }
    e->fn = grad_accumulator(t);
    e->input_nr = 0;
    return e->fn ? 0 : -1;
}

PNNode *pn_node_new(const char *name, pn_apply_fn apply, int n, PNTensor **inputs) {
    PNNode *node = node_alloc(name, apply, n);
    if (!node) return NULL;
    for (int k = 0; k < n; k++) {
        PNTensor *t = inputs[k];
        if (!t) continue;
        node->meta[k].ndim = t->ndim;
        node->meta[k].dtype = t->dtype;
        memcpy(node->meta[k].shape, t->shape, sizeof(int64_t) * t->ndim);
        if (pn_requires_grad(t) && pn_edge_for(t, &node->next[k]) < 0) {
            Py_DECREF(node);
            return NULL;
        }
    }
    return node;
}

void pn_set_history(PNTensor *out, PNNode *node, int output_nr) {
    static uint64_t last_history_id; /* under the GIL, like every graph change */
    out->history_id = ++last_history_id;
    Py_INCREF(node);
    Py_XSETREF(out->grad_fn, node);
    out->output_nr = output_nr;
    out->requires_grad = 1;
}

PNNode *pn_record(PNTensor *out, const char *name, pn_apply_fn apply, int n, PNTensor **inputs) {
    int any = 0;
    if (!pn_grad_mode) return NULL;
    for (int k = 0; k < n; k++)
        if (inputs[k] && pn_requires_grad(inputs[k])) any = 1;
    if (!any) return NULL;
    PNNode *node = pn_node_new(name, apply, n, inputs);
    if (!node) return NULL;
    pn_set_history(out, node, 0);
    Py_DECREF(node); /* out owns it now */
    return node;
}

/* The backward of a node recorded by pn_record_once_differentiable. */
static int once_differentiable_apply(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)gout, (void)gin;
    PyErr_Format(PyExc_NotImplementedError,
                 "%s: this gradient was computed by a fused kernel of %s, which cannot be "
                 "differentiated again (double backward through it is not supported)",
                 n->name, *PN_STATE(n, const char *));
    return -1;
}

int pn_record_once_differentiable(const char *name, const char *op, int nin, PNTensor **ins,
                                  int nout, PNTensor **outs) {
    int any = 0;
    for (int k = 0; k < nin; k++) any |= ins[k] && pn_requires_grad(ins[k]);
    if (!pn_grad_mode || !any) return 0;
    PNNode *n = pn_node_new(name, once_differentiable_apply, nin, ins);
    const char **st = n ? pn_node_state(n, sizeof *st, 0) : NULL;
    if (st) {
        *st = op;
        n->n_out = nout;
        for (int k = 0; k < nout; k++)
            if (outs[k]) pn_set_history(outs[k], n, k);
    }
    Py_XDECREF(n);
    return PyErr_Occurred() ? -1 : 0;
}

void *pn_node_state(PNNode *n, size_t size, int nrefs) {
    if (n->state) { /* an op asks once; a second call would leak the first state's refs */
        PyErr_Format(PyExc_SystemError, "%s: node state set twice", n->name);
        return NULL;
    }
    void *p = size <= sizeof n->state_inline ? (void *)n->state_inline : PyMem_Calloc(1, size);
    if (!p) {
        PyErr_NoMemory();
        return NULL;
    }
    n->state = p;
    n->state_size = size;
    n->state_nrefs = nrefs;
    return p;
}

int pn_node_copy_state(PNNode *dst, const PNNode *src) {
    void *p = pn_node_state(dst, src->state_size, src->state_nrefs);
    if (!p) return -1;
    memcpy(p, src->state, src->state_size);
    for (int k = 0; k < src->state_nrefs; k++) Py_XINCREF(((PyObject **)p)[k]);
    return 0;
}

/* Saving an op's own output would make a cycle (output -> grad_fn -> output),
 * so an output is saved as a bare alias of its memory, without grad_fn. */
int pn_save(PNNode *n, int slot, PNTensor *t, int is_output) {
    PNTensor *s = t;
    if (is_output) {
        s = pn_alias(t, t->ndim, t->shape, t->strides, 0);
        if (!s) return -1;
        pn_forget_base(s);
    } else {
        Py_INCREF(s);
    }
    Py_XSETREF(n->saved[slot], s);
    n->saved_version[slot] = t->storage->version;
    n->saved_is_output[slot] = (char)is_output;
    return 0;
}

PNTensor *pn_unpack(PNNode *n, int slot) {
    PNTensor *s = n->saved[slot];
    if (n->released || !s) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Trying to backward through the graph a second time (or directly access "
                        "saved tensors after they have already been freed). Saved intermediate "
                        "values of the graph are freed when you call .backward() or "
                        "autograd.grad(). Specify retain_graph=True if you need to backward "
                        "through the graph a second time or if you need to access saved tensors "
                        "after calling backward.");
        return NULL;
    }
    if (s->storage->version != n->saved_version[slot]) {
        char shape[256];
        pn_format_shape(shape, sizeof shape, s->ndim, s->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "one of the variables needed for gradient computation has been modified by "
                     "an inplace operation: [%s tensor of shape %s], which is saved by %s, is at "
                     "version %lld; expected version %lld instead.",
                     pn_dtype_name(s->dtype), shape, n->name, (long long)s->storage->version,
                     (long long)n->saved_version[slot]);
        return NULL;
    }
    if (n->saved_is_output[slot] && pn_grad_mode) {
        /* create_graph: the output must be reconnected to this node so that
         * gradients of the backward computation flow through it. */
        PNTensor *r = pn_alias(s, s->ndim, s->shape, s->strides, 0);
        if (!r) return NULL;
        pn_forget_base(r);
        pn_set_history(r, n, 0);
        return r;
    }
    Py_INCREF(s);
    return s;
}

void pn_bump_version(PNTensor *t) {
    t->storage->version++;
}

/* The in-place guard, as PyTorch's: in grad mode a tensor that requires grad
 * may not be overwritten when it is a leaf (its .grad would describe a value
 * that no longer exists) nor when it is a view whose base is a leaf: base is
 * pynet's root of the view chain, so this covers a slice of a leaf, a leaf
 * that is itself a view (randn(100).reshape(10, 10).requires_grad_()) and a
 * slice of that. Under no_grad every write is allowed (manual SGD). The
 * message names the in-place method (sub_ for -=) and says what to do. */
#define PN_LEAF_INPLACE_HINT \
    " To update it (e.g. a manual SGD step), do it under 'with pynet.no_grad():' or write " \
    "to its .data; to make the change part of the graph, clone() it first."

void pn_node_op_name(const PNNode *n, char *buf, size_t size) {
    snprintf(buf, size, "%s", n->name);
    char *cut = strstr(buf, "Backward");
    if (cut) *cut = 0;
}

static int check_autograd_inplace(PNTensor *t, const char *op) {
    if (pn_grad_mode) {
        if (pn_refresh_view(t) < 0) return -1; /* a stale view is written as it is now */
        size_t n = strlen(op);
        const char *us = n && op[n - 1] == '_' ? "" : "_";
        if (t->multi_view && pn_requires_grad(t) && t->grad_fn) {
            char fn[64];
            pn_node_op_name(t->grad_fn, fn, sizeof fn);
            PyErr_Format(PyExc_RuntimeError,
                         "%s%s: Output %d of %s is a view and is being modified "
                         "inplace. " PN_MULTI_VIEW_REASON,
                         op, us, t->output_nr, fn);
            return -1;
        }
        if (t->base && pn_requires_grad(t) && !t->base->grad_fn) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s%s: a view of a leaf Variable that requires grad is being used in an "
                         "in-place operation." PN_LEAF_INPLACE_HINT,
                         op, us);
            return -1;
        }
        if (pn_requires_grad(t) && !t->grad_fn && !t->base) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s%s: a leaf Variable that requires grad is being used in an in-place "
                         "operation." PN_LEAF_INPLACE_HINT,
                         op, us);
            return -1;
        }
        if (t->base && t->base->requires_grad && !pn_requires_grad(t)) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s: a view was created in no_grad mode and is being modified inplace "
                         "with grad mode enabled. " PN_NO_GRAD_VIEW_REASON,
                         op);
            return -1;
        }
    }
    return 0;
}

int pn_check_inplace(PNTensor *t, const char *op) {
    if (check_autograd_inplace(t, op) < 0 || pn_check_no_overlap(t, op) < 0 ||
        pn_check_not_readonly(t, op) < 0)
        return -1;
    pn_bump_version(t);
    return 0;
}

/* t_, transpose_, squeeze_, unsqueeze_ change only t's shape and strides: the
 * leaf and view rules of a write apply (PyTorch refuses them on a leaf that
 * requires grad), and the version moves on, so that a backward that saved t
 * in its old shape refuses to run instead of reading it in the new one. */
int pn_check_inplace_view(PNTensor *t, const char *op) {
    if (check_autograd_inplace(t, op) < 0) return -1;
    pn_bump_version(t);
    return 0;
}

/* fill_/zero_ write the same value to every element, which is well defined
 * even when elements share memory (PyTorch allows it on expanded tensors). */
int pn_check_inplace_fill(PNTensor *t, const char *op) {
    if (check_autograd_inplace(t, op) < 0 || pn_check_not_readonly(t, op) < 0) return -1;
    pn_bump_version(t);
    return 0;
}

/* The Node type's lifetime slots; pyapi/autograd.c adds its Python side
 * (name(), next_functions, hooks, repr). */
PyTypeObject PNNode_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pynet._C.Node",
    .tp_basicsize = sizeof(PNNode),
    .tp_dealloc = (destructor)node_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A node of the autograd graph: computes input gradients from output gradients.",
    .tp_traverse = (traverseproc)node_traverse,
    .tp_clear = (inquiry)node_clear,
};
