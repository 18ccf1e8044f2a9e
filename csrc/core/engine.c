/* core/engine.c - backward(): run the graph from the outputs to the leaves.
 *
 *   1. discover: walk the graph from the roots and count, for each node, how
 *      many edges lead into it (its dependencies);
 *   2. seed: give each root its starting gradient (ones for a scalar loss);
 *   3. run: repeatedly take a node whose dependencies are all in, call its
 *      apply() with the sum of the gradients that arrived, and send each
 *      result along its edges; an AccumulateGrad node adds into leaf.grad;
 *   4. release: free saved tensors (unless retain_graph) and the scratch.
 * Counting first guarantees a node runs only once, after all its consumers.
 */
#include "autograd.h"
#include "copy.h"
/* The one upward include: gradients are summed, cast and reduced with the
 * differentiable ops, so create_graph=True records those sums too. */
#include "../ops/ops.h"
#include <string.h>
#include <math.h>

/* ---------------------------------------------------------------- engine ---- */

/* Run the tensor's own hooks (register_hook) on a gradient; may replace it. */
static int run_tensor_hooks(PyObject *hooks, PNTensor **g) {
    if (!hooks) return 0;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(hooks); k++) {
        PyObject *r = PyObject_CallOneArg(PyList_GET_ITEM(hooks, k), (PyObject *)*g);
        if (!r) return -1;
        if (r == Py_None) {
            Py_DECREF(r);
            continue;
        }
        if (!PNTensor_Check(r)) {
            Py_DECREF(r);
            PyErr_SetString(PyExc_TypeError, "a tensor hook must return a Tensor or None");
            return -1;
        }
        Py_SETREF(*g, (PNTensor *)r);
    }
    return 0;
}

/* Hooks on a non-leaf tensor (register_hook, retain_grad) see the gradient of
 * output k of its grad_fn before the node runs, and may replace it. */
static int run_pre_hooks(PNNode *fn) {
    /* Two passes: user hooks first, then retain_grad's, which must see the final gradient. */
    for (Py_ssize_t h = 0; h < 2 * PyList_GET_SIZE(fn->pre_hooks); h++) {
        Py_ssize_t len = PyList_GET_SIZE(fn->pre_hooks);
        if (h >= 2 * len) break;
        PyObject *item = PyList_GET_ITEM(fn->pre_hooks, h % len);
        if (PyObject_IsTrue(PyTuple_GET_ITEM(item, 2)) != (h >= len)) continue;
        int k = (int)PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
        if (k < 0 || k >= fn->n_out || !fn->buf[k]) continue;
        PyObject *r = PyObject_CallOneArg(PyTuple_GET_ITEM(item, 1), (PyObject *)fn->buf[k]);
        if (!r) return -1;
        if (r == Py_None) {
            Py_DECREF(r);
            continue;
        }
        if (!PNTensor_Check(r)) {
            Py_DECREF(r);
            PyErr_SetString(PyExc_TypeError, "a tensor hook must return a Tensor or None");
            return -1;
        }
        Py_SETREF(fn->buf[k], (PNTensor *)r);
    }
    return 0;
}

/* leaf.grad += g (or leaf.grad = g the first time). */
int pn_accumulate_grad_apply(PNNode *n, PNTensor **gout, PNTensor **gin) {
    (void)gin;
    PNTensor *leaf = n->leaf, *g = gout[0];
    if (!leaf) return 0; /* the leaf is gone; nobody can read its grad */
    Py_INCREF(g);
    if (run_tensor_hooks(leaf->hooks, &g) < 0) {
        Py_DECREF(g);
        return -1;
    }
    if (!leaf->grad) {
        /* Keep a detached, contiguous copy unless we may take g itself. */
        if (!pn_grad_mode && (g->grad_fn || Py_REFCNT(g) > 2 || !pn_is_contiguous(g) || g->base)) {
            PNTensor *c = pn_clone(g);
            Py_DECREF(g);
            if (!c) return -1;
            g = c;
        }
        if (!pn_grad_mode && g->grad_fn) {
            Py_CLEAR(g->grad_fn);
            g->requires_grad = 0;
        }
        leaf->grad = (PyObject *)g;
        return 0;
    }
    PNTensor *old = (PNTensor *)leaf->grad;
    if (pn_grad_mode) { /* create_graph: build a new, differentiable sum */
        PNTensor *sum = pn_binary_t(PN_ADD, old, g);
        Py_DECREF(g);
        if (!sum) return -1;
        Py_SETREF(leaf->grad, (PyObject *)sum);
        return 0;
    }
    PyObject *r = pn_binary_inplace(PN_ADD, old, (PyObject *)g);
    Py_DECREF(g);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* Make gradient g fit the input it belongs to: sum over broadcast dims and
 * cast back to the input's dtype. Steals g, returns a new reference. */
static PNTensor *validate_grad(PNNode *n, int k, PNTensor *g) {
    PNMeta *m = &n->meta[k];
    int same = g->ndim == m->ndim;
    for (int d = 0; same && d < m->ndim; d++) same = g->shape[d] == m->shape[d];
    if (!same) {
        PNTensor *r = pn_sum_to(g, m->ndim, m->shape);
        Py_DECREF(g);
        if (!r) {
            if (PyErr_ExceptionMatches(PyExc_RuntimeError)) {
                char a[256], b[256];
                pn_format_shape(a, sizeof a, g->ndim, g->shape);
                pn_format_shape(b, sizeof b, m->ndim, m->shape);
                PyErr_Format(PyExc_RuntimeError,
                             "Function %s returned an invalid gradient at index %d - got %s but "
                             "expected shape compatible with %s",
                             n->name, k, a, b);
            }
            return NULL;
        }
        g = r;
    }
    if (g->dtype != m->dtype && pn_is_float(m->dtype)) {
        PNTensor *r = pn_cast(g, m->dtype);
        Py_DECREF(g);
        g = r;
    }
    return g;
}

typedef struct {
    PNNode **items;
    Py_ssize_t len, cap;
} node_list;

static int list_push(node_list *l, PNNode *n) {
    if (l->len == l->cap) {
        Py_ssize_t cap = l->cap ? 2 * l->cap : 64;
        PNNode **p = PyMem_Realloc(l->items, sizeof(PNNode *) * (size_t)cap);
        if (!p) {
            PyErr_NoMemory();
            return -1;
        }
        l->items = p;
        l->cap = cap;
    }
    l->items[l->len++] = n;
    return 0;
}

/* Add g into node n's gradient buffer for output k (steals g). */
static int buffer_add(PNNode *n, int k, PNTensor *g) {
    if (!n->buf[k]) {
        n->buf[k] = g;
        return 0;
    }
    PNTensor *sum = pn_binary_t(PN_ADD, n->buf[k], g);
    Py_DECREF(g);
    if (!sum) return -1;
    Py_SETREF(n->buf[k], sum);
    return 0;
}

/* Backward runs are per thread: kernels release the GIL, so another thread may
 * start its own backward meanwhile. A node being used by one run is owned by
 * it (owner != 0) until the run ends; another run touching it raises. */
static _Thread_local int engine_depth = 0;

static uint64_t engine_runs = 0; /* run ids; written with the GIL held */

/* roots/root_grads: n tensors and their starting gradients. With capture (the
 * autograd.grad case) gradients arriving at the given (node, input_nr) pairs
 * are stored in captured[] instead of being accumulated into .grad. */
static int engine_run(int n, PNTensor **roots, PNTensor **root_grads, int retain_graph, int ncap,
                      PNEdge *capture, PNTensor **captured) {
    node_list all = {0}, ready = {0};
    int rc = -1;
    PNEdge *root_edges = PyMem_Calloc((size_t)n, sizeof(PNEdge));
    if (!root_edges) {
        PyErr_NoMemory();
        return -1;
    }
    const uint64_t run = ++engine_runs;
    if (engine_depth > 0) {
        /* A backward inside a custom Function's backward would share the nodes'
         * scratch fields with the outer run. */
        PyMem_Free(root_edges);
        PyErr_SetString(PyExc_RuntimeError, "pynet does not support calling backward() or "
                                            "autograd.grad() from inside a backward pass");
        return -1;
    }
    engine_depth++;
    for (int r = 0; r < n; r++)
        if (pn_edge_for(roots[r], &root_edges[r]) < 0) goto done;

    /* 1. Discover the graph and count dependencies (iterative DFS). */
    {
        node_list stack = {0};
        for (int r = 0; r < n; r++) {
            PNNode *fn = root_edges[r].fn;
            if (fn->buf && fn->owner != run) {
                PyMem_Free(stack.items);
                goto busy;
            }
            if (fn->buf) continue;
            fn->buf = PyMem_Calloc((size_t)fn->n_out, sizeof(PNTensor *));
            fn->owner = run;
            if (!fn->buf || list_push(&all, fn) < 0 || list_push(&stack, fn) < 0) {
                if (!fn->buf) PyErr_NoMemory();
                PyMem_Free(stack.items);
                goto done;
            }
        }
        while (stack.len) {
            PNNode *fn = stack.items[--stack.len];
            for (int k = 0; k < fn->n_next; k++) {
                PNNode *next = fn->next[k].fn;
                if (!next) continue;
                if (next->buf && next->owner != run) {
                    PyMem_Free(stack.items);
                    goto busy;
                }
                next->deps++;
                if (next->buf) continue;
                next->buf = PyMem_Calloc((size_t)next->n_out, sizeof(PNTensor *));
                next->owner = run;
                if (!next->buf || list_push(&all, next) < 0 || list_push(&stack, next) < 0) {
                    if (!next->buf) PyErr_NoMemory();
                    PyMem_Free(stack.items);
                    goto done;
                }
            }
        }
        PyMem_Free(stack.items);
    }

    /* 2. Seed the roots. */
    for (int r = 0; r < n; r++) {
        Py_INCREF(root_grads[r]);
        if (buffer_add(root_edges[r].fn, root_edges[r].input_nr, root_grads[r]) < 0) goto done;
    }
    for (int r = 0; r < n; r++) {
        PNNode *fn = root_edges[r].fn;
        if (fn->deps == 0) {
            fn->deps = -1; /* queued */
            if (list_push(&ready, fn) < 0) goto done;
        }
    }

    /* 3. Run nodes whose every consumer has delivered its gradient. */
    while (ready.len) {
        PNNode *fn = ready.items[--ready.len];
        PNTensor *gin_inline[4] = {0};
        PNTensor **gin =
            fn->n_next <= 4 ? gin_inline : PyMem_Calloc((size_t)fn->n_next, sizeof(PNTensor *));
        if (!gin) {
            PyErr_NoMemory();
            goto done;
        }
        if (fn->pre_hooks && run_pre_hooks(fn) < 0) {
            if (gin != gin_inline) PyMem_Free(gin);
            goto done;
        }
        for (int c = 0; c < ncap; c++) {
            if (capture[c].fn != fn) continue;
            PNTensor *g = fn->buf[capture[c].input_nr];
            if (!g) continue;
            Py_INCREF(g);
            /* a leaf's own hooks apply to the gradient autograd.grad returns */
            if (fn->leaf && run_tensor_hooks(fn->leaf->hooks, &g) < 0) {
                Py_DECREF(g);
                if (gin != gin_inline) PyMem_Free(gin);
                goto done;
            }
            Py_XSETREF(captured[c], g);
        }
        int any = 0;
        for (int k = 0; k < fn->n_out; k++) any |= fn->buf[k] != NULL;
        int skip = !any || (ncap && fn->apply == pn_accumulate_grad_apply);
        if (!skip) {
            if (fn->apply(fn, fn->buf, gin) < 0) {
                for (int k = 0; k < fn->n_next; k++) Py_XDECREF(gin[k]);
                if (gin != gin_inline) PyMem_Free(gin);
                goto done;
            }
            if (fn->hooks) {
                PyObject *gi = PyTuple_New(fn->n_next), *go = PyTuple_New(fn->n_out);
                int ok = gi && go;
                for (int k = 0; ok && k < fn->n_next; k++) {
                    PyObject *v = gin[k] ? (PyObject *)gin[k] : Py_None;
                    Py_INCREF(v);
                    PyTuple_SET_ITEM(gi, k, v);
                }
                for (int k = 0; ok && k < fn->n_out; k++) {
                    PyObject *v = fn->buf[k] ? (PyObject *)fn->buf[k] : Py_None;
                    Py_INCREF(v);
                    PyTuple_SET_ITEM(go, k, v);
                }
                for (Py_ssize_t h = 0; ok && h < PyList_GET_SIZE(fn->hooks); h++) {
                    PyObject *r =
                        PyObject_CallFunctionObjArgs(PyList_GET_ITEM(fn->hooks, h), gi, go, NULL);
                    if (!r) ok = 0;
                    Py_XDECREF(r);
                }
                Py_XDECREF(gi);
                Py_XDECREF(go);
                if (!ok) {
                    for (int k = 0; k < fn->n_next; k++) Py_XDECREF(gin[k]);
                    if (gin != gin_inline) PyMem_Free(gin);
                    goto done;
                }
            }
            if (!retain_graph) {
                for (int k = 0; k < PN_NODE_SAVED; k++)
                    if (fn->saved[k]) fn->released = 1;
                pn_node_release_saved(fn);
                PyObject *bw =
                    fn->apply == pn_python_apply ? PN_STATE(fn, pn_python_state)->backward : NULL;
                if (bw && PyObject_HasAttrString(bw, "_release")) {
                    PyObject *r = PyObject_CallMethod(bw, "_release", NULL);
                    if (!r) {
                        for (int k = 0; k < fn->n_next; k++) Py_XDECREF(gin[k]);
                        if (gin != gin_inline) PyMem_Free(gin);
                        goto done;
                    }
                    Py_DECREF(r);
                }
            }
        }
        for (int k = 0; k < fn->n_out; k++) Py_CLEAR(fn->buf[k]);
        for (int k = 0; k < fn->n_next; k++) {
            PNNode *next = fn->next[k].fn;
            if (!next) {
                Py_CLEAR(gin[k]);
                continue;
            }
            if (gin[k]) {
                PNTensor *g = validate_grad(fn, k, gin[k]);
                gin[k] = NULL;
                if (!g || buffer_add(next, fn->next[k].input_nr, g) < 0) {
                    for (int j = k + 1; j < fn->n_next; j++) Py_XDECREF(gin[j]);
                    if (gin != gin_inline) PyMem_Free(gin);
                    goto done;
                }
            }
            if (--next->deps == 0) {
                next->deps = -1;
                if (list_push(&ready, next) < 0) {
                    for (int j = k + 1; j < fn->n_next; j++) Py_XDECREF(gin[j]);
                    if (gin != gin_inline) PyMem_Free(gin);
                    goto done;
                }
            }
        }
        if (gin != gin_inline) PyMem_Free(gin);
    }
    rc = 0;
    goto done;
busy:
    PyErr_SetString(PyExc_RuntimeError,
                    "backward: another thread is running backward through the same graph nodes "
                    "(e.g. the same parameters); run those backward passes one at a time");
done:
    for (Py_ssize_t k = 0; k < all.len; k++) {
        PNNode *fn = all.items[k];
        for (int j = 0; j < fn->n_out; j++) Py_CLEAR(fn->buf[j]);
        PyMem_Free(fn->buf);
        fn->buf = NULL;
        fn->deps = 0;
        fn->owner = 0;
    }
    for (int r = 0; r < n; r++) Py_XDECREF(root_edges[r].fn);
    PyMem_Free(root_edges);
    PyMem_Free(all.items);
    PyMem_Free(ready.items);
    engine_depth--;
    return rc;
}

/* _run_backward(outputs, grads, retain_graph, create_graph, inputs, allow_unused)
 * outputs: sequence of tensors; grads: sequence of tensors or None (ones for a
 * one-element output). inputs None: accumulate into leaves' .grad (backward);
 * else return a tuple with the gradient of each input (autograd.grad). */
PyObject *pn_run_backward(PyObject *outputs, PyObject *grads, int retain_graph, int create_graph,
                          PyObject *inputs, int allow_unused) {
    PyObject *outs = PySequence_Fast(outputs, "outputs must be a sequence of tensors");
    if (!outs) return NULL;
    PyObject *gs = PySequence_Fast(grads, "grad_tensors must be a sequence");
    if (!gs) {
        Py_DECREF(outs);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(outs);
    PyObject *result = NULL, *ins = NULL;
    PNTensor **roots = PyMem_Calloc((size_t)n + 1, sizeof(PNTensor *));
    PNTensor **root_grads = PyMem_Calloc((size_t)n + 1, sizeof(PNTensor *));
    PNEdge *capture = NULL;
    PNTensor **captured = NULL;
    Py_ssize_t ncap = 0;
    int prev_mode = pn_grad_mode;
    if (!roots || !root_grads) {
        PyErr_NoMemory();
        goto out;
    }
    if (PySequence_Fast_GET_SIZE(gs) != n) {
        PyErr_Format(PyExc_RuntimeError, "backward: got %zd tensors and %zd gradients", n,
                     PySequence_Fast_GET_SIZE(gs));
        goto out;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(outs, k), *g = PySequence_Fast_GET_ITEM(gs, k);
        if (!PNTensor_Check(o)) {
            PyErr_Format(PyExc_TypeError, "backward: expected a Tensor, got %s",
                         Py_TYPE(o)->tp_name);
            goto out;
        }
        PNTensor *t = (PNTensor *)o;
        if (!t->requires_grad) {
            PyErr_Format(PyExc_RuntimeError,
                         "element %zd of tensors does not require grad and does not have a "
                         "grad_fn",
                         k);
            goto out;
        }
        roots[k] = t;
        if (g == Py_None) {
            if (t->numel != 1) {
                PyErr_SetString(PyExc_RuntimeError,
                                "grad can be implicitly created only for scalar outputs");
                goto out;
            }
            root_grads[k] = pn_full(t->dtype, t->ndim, t->shape, 1.0);
            if (!root_grads[k]) goto out;
        } else {
            if (!PNTensor_Check(g)) {
                PyErr_Format(PyExc_TypeError, "backward: gradient must be a Tensor, got %s",
                             Py_TYPE(g)->tp_name);
                goto out;
            }
            PNTensor *gt = (PNTensor *)g;
            int same = gt->ndim == t->ndim;
            for (int d = 0; same && d < t->ndim; d++) same = gt->shape[d] == t->shape[d];
            if (!same) {
                char a[256], b[256];
                pn_format_shape(a, sizeof a, gt->ndim, gt->shape);
                pn_format_shape(b, sizeof b, t->ndim, t->shape);
                PyErr_Format(PyExc_RuntimeError,
                             "Mismatch in shape: grad_output[%zd] has a shape of %s and "
                             "output[%zd] has a shape of %s.",
                             k, a, k, b);
                goto out;
            }
            Py_INCREF(gt);
            root_grads[k] = gt;
        }
    }
    if (inputs && inputs != Py_None) {
        ins = PySequence_Fast(inputs, "inputs must be a sequence of tensors");
        if (!ins) goto out;
        ncap = PySequence_Fast_GET_SIZE(ins);
        capture = PyMem_Calloc((size_t)ncap + 1, sizeof(PNEdge));
        captured = PyMem_Calloc((size_t)ncap + 1, sizeof(PNTensor *));
        if (!capture || !captured) {
            PyErr_NoMemory();
            goto out;
        }
        for (Py_ssize_t k = 0; k < ncap; k++) {
            PyObject *o = PySequence_Fast_GET_ITEM(ins, k);
            if (!PNTensor_Check(o) || !((PNTensor *)o)->requires_grad) {
                PyErr_Format(PyExc_RuntimeError,
                             "One of the differentiated Tensors does not require grad");
                goto out;
            }
            if (pn_edge_for((PNTensor *)o, &capture[k]) < 0) goto out;
        }
    }
    pn_grad_mode = create_graph;
    int rc = engine_run((int)n, roots, root_grads, retain_graph || create_graph, (int)ncap, capture,
                        captured);
    pn_grad_mode = prev_mode;
    if (rc < 0) goto out;
    if (ins) {
        result = PyTuple_New(ncap);
        if (!result) goto out;
        for (Py_ssize_t k = 0; k < ncap; k++) {
            PyObject *g = (PyObject *)captured[k];
            if (!g) {
                if (!allow_unused) {
                    Py_CLEAR(result);
                    PyErr_SetString(PyExc_RuntimeError,
                                    "One of the differentiated Tensors appears to not have been "
                                    "used in the graph. Set allow_unused=True if this is the "
                                    "desired behavior.");
                    goto out;
                }
                g = Py_None;
                Py_INCREF(g);
            } else {
                /* Gradients for a non-leaf input arrive shaped like that input already. */
                captured[k] = NULL;
            }
            PyTuple_SET_ITEM(result, k, g);
        }
    } else {
        result = Py_None;
        Py_INCREF(result);
    }
out:
    pn_grad_mode = prev_mode;
    if (root_grads)
        for (Py_ssize_t k = 0; k < n; k++) Py_XDECREF(root_grads[k]);
    for (Py_ssize_t k = 0; k < ncap; k++) {
        if (capture) Py_XDECREF(capture[k].fn);
        if (captured) Py_XDECREF(captured[k]);
    }
    PyMem_Free(capture);
    PyMem_Free(captured);
    PyMem_Free(roots);
    PyMem_Free(root_grads);
    Py_XDECREF(ins);
    Py_DECREF(outs);
    Py_DECREF(gs);
    return result;
}

/* ---------------------------------------------- nodes that call Python ---- */

/* A node whose backward is a Python callable: pynet.autograd.Function uses it.
 * Its state (pn_python_state) holds the callable; it receives the output gradients (None for the
 * missing ones) and returns one gradient (or None) per input. */
int pn_python_apply(PNNode *n, PNTensor **gout, PNTensor **gin) {
    PyObject *args = PyTuple_New(n->n_out);
    if (!args) return -1;
    for (int k = 0; k < n->n_out; k++) {
        PyObject *g = gout[k] ? (PyObject *)gout[k] : Py_None;
        Py_INCREF(g);
        PyTuple_SET_ITEM(args, k, g);
    }
    PyObject *r = PyObject_Call(PN_STATE(n, pn_python_state)->backward, args, NULL);
    Py_DECREF(args);
    if (!r) return -1;
    PyObject *seq = PyTuple_Check(r) ? (Py_INCREF(r), r) : PyTuple_Pack(1, r);
    Py_DECREF(r);
    if (!seq) return -1;
    if (PyTuple_GET_SIZE(seq) < n->n_next) {
        PyErr_Format(PyExc_RuntimeError,
                     "function %s returned an incorrect number of gradients (expected %d, got "
                     "%zd)",
                     n->name, n->n_next, PyTuple_GET_SIZE(seq));
        Py_DECREF(seq);
        return -1;
    }
    for (int k = 0; k < n->n_next; k++) {
        PyObject *g = PyTuple_GET_ITEM(seq, k);
        if (g == Py_None) continue;
        if (!PNTensor_Check(g)) {
            PyErr_Format(PyExc_TypeError,
                         "function %s returned a gradient of type %s at index "
                         "%d; expected a Tensor or None",
                         n->name, Py_TYPE(g)->tp_name, k);
            Py_DECREF(seq);
            for (int j = 0; j < k; j++) Py_CLEAR(gin[j]);
            return -1;
        }
        if (n->next[k].fn) {
            Py_INCREF(g);
            gin[k] = (PNTensor *)g;
        }
    }
    Py_DECREF(seq);
    return 0;
}
