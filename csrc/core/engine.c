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

/* PyTorch's legacy type name of a dtype, as its hook messages print it. */
static const char *tensor_type_name(pn_dtype dt) {
    switch (dt) {
    case PN_FLOAT32:
        return "pynet.FloatTensor";
    case PN_FLOAT64:
        return "pynet.DoubleTensor";
    case PN_INT64:
        return "pynet.LongTensor";
    default:
        return "pynet.BoolTensor";
    }
}

/* A hook's replacement gradient must keep the shape and dtype of the one it
 * replaced: the engine would otherwise send a (5,) gradient to a (3,) leaf or
 * leave a float64 .grad on a float32 one. RuntimeError as in PyTorch, naming
 * the hook and both shapes or types. */
static int check_hook_result(PyObject *hook, PNTensor *was, PNTensor *got) {
    int same = was->ndim == got->ndim;
    for (int d = 0; same && d < was->ndim; d++) same = was->shape[d] == got->shape[d];
    if (same && was->dtype == got->dtype) return 0;
    PyObject *name = PyObject_GetAttrString(hook, "__name__");
    if (!name) {
        PyErr_Clear();
        name = PyObject_Repr(hook);
        if (!name) return -1;
    }
    if (!same) {
        char a[256], b[256];
        pn_format_shape(a, sizeof a, was->ndim, was->shape);
        pn_format_shape(b, sizeof b, got->ndim, got->shape);
        PyErr_Format(PyExc_RuntimeError, "hook '%S' has changed the size of value (was %s got %s)",
                     name, a, b);
    } else {
        PyErr_Format(PyExc_RuntimeError, "hook '%S' has changed the type of value (was %s got %s)",
                     name, tensor_type_name(was->dtype), tensor_type_name(got->dtype));
    }
    Py_DECREF(name);
    return -1;
}

/* Call hook(*g): None keeps the gradient, a Tensor of the same shape and
 * dtype replaces it. */
static int call_hook(PyObject *hook, PNTensor **g) {
    PyObject *r = PyObject_CallOneArg(hook, (PyObject *)*g);
    if (!r) return -1;
    if (r == Py_None) {
        Py_DECREF(r);
        return 0;
    }
    if (!PNTensor_Check(r)) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, "a tensor hook must return a Tensor or None");
        return -1;
    }
    if (check_hook_result(hook, *g, (PNTensor *)r) < 0) {
        Py_DECREF(r);
        return -1;
    }
    Py_SETREF(*g, (PNTensor *)r);
    return 0;
}

/* Hooks run from a snapshot of their list taken when the gradient arrives: a
 * hook may register or remove hooks (itself included) without the loop
 * running forever or skipping its neighbour; the change applies from the next
 * backward, as in PyTorch. */
static PyObject *hook_snapshot(PyObject *hooks) {
    return PyList_GetSlice(hooks, 0, PY_SSIZE_T_MAX);
}

/* A hook may change the gradient it is given in place (g.mul_(10)), so it is
 * given a private contiguous copy: the tensor that arrived may be sent along
 * other edges too (add's backward hands one tensor to both inputs), be the
 * caller's own seed gradient, or be expanded (sum's backward), where an
 * in-place write would reach other branches or be refused. Under
 * create_graph the copy is recorded (CloneBackward0), so it stays
 * differentiable. */
static int privatise(PNTensor **g) {
    PNTensor *c = pn_clone(*g);
    if (!c) return -1;
    Py_SETREF(*g, c);
    return 0;
}

/* Run the tensor's own hooks (register_hook) on a gradient; may replace it. */
static int run_tensor_hooks(PyObject *hooks, PNTensor **g) {
    if (!hooks || !PyList_GET_SIZE(hooks)) return 0;
    PyObject *snap = hook_snapshot(hooks);
    if (!snap) return -1;
    int rc = privatise(g);
    for (Py_ssize_t k = 0; rc == 0 && k < PyList_GET_SIZE(snap); k++)
        rc = call_hook(PyList_GET_ITEM(snap, k), g);
    Py_DECREF(snap);
    return rc;
}

/* Hooks on a non-leaf tensor (register_hook, retain_grad) see the gradient of
 * output k of its grad_fn before the node runs, and may replace it. Two
 * passes: user hooks first, then retain_grad's, which must see the final
 * gradient. */
static int run_pre_hooks(PNNode *fn) {
    PyObject *snap = hook_snapshot(fn->pre_hooks);
    char *own = PyMem_Calloc(fn->n_out, 1); /* own[k]: buf[k] already privatised */
    int rc = snap && own ? 0 : -1;
    if (!own) PyErr_NoMemory();
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        for (Py_ssize_t h = 0; rc == 0 && h < PyList_GET_SIZE(snap); h++) {
            PyObject *item = PyList_GET_ITEM(snap, h);
            if (PyObject_IsTrue(PyTuple_GET_ITEM(item, 2)) != pass) continue;
            int k = (int)PyLong_AsLong(PyTuple_GET_ITEM(item, 0));
            if (k < 0 || k >= fn->n_out || !fn->buf[k]) continue;
            /* retain_grad's hook only copies the gradient: no private copy needed */
            if (!pass && !own[k]) rc = privatise(&fn->buf[k]);
            own[k] = 1;
            if (rc == 0) rc = call_hook(PyTuple_GET_ITEM(item, 1), &fn->buf[k]);
        }
    }
    PyMem_Free(own);
    Py_XDECREF(snap);
    return rc;
}

/* g is a view that is the only user of its base's whole memory (a reshape's
 * gradient, say), and only the engine holds g: then g may become a plain tensor
 * owning that memory, as nothing else can see it. Returns 1 when it did. Saves a
 * leaf's first gradient a copy:
 * softmax over x.reshape(-1, 16), 4M floats, 1 thread, backward 5.2 -> 3.3 ms. */
static int adopt_base_memory(PNTensor *g) {
    PNTensor *b = g->base;
    pn_storage *st = g->storage;
    if (!b || Py_REFCNT(b) != 1 || b->grad_fn || b->storage != st || st->refcount != 2 ||
        st->owner || g->data != st->data || !pn_is_contiguous(g) ||
        g->numel * (int64_t)pn_itemsize(g->dtype) != st->nbytes)
        return 0;
    g->base = NULL, g->multi_view = 0, g->view_in_no_grad = 0, g->view_of_history = 0;
    Py_DECREF(b);
    return 1;
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
        /* Keep a detached, contiguous copy unless we may take g itself: held by no
         * one but the engine (gout[0] and this reference; a tensor a hook returned
         * is not in gout[0], so one reference more is someone else's). */
        Py_ssize_t ours = g == gout[0] ? 2 : 1;
        if (!pn_grad_mode && !g->grad_fn && Py_REFCNT(g) <= ours) adopt_base_memory(g);
        if (!pn_grad_mode &&
            (g->grad_fn || Py_REFCNT(g) > ours || !pn_is_contiguous(g) || g->base)) {
            PNTensor *c = pn_clone(g);
            Py_DECREF(g);
            if (!c) return -1;
            g = c;
        }
        if (pn_grad_mode && g->base) { /* create_graph: a differentiable copy, not a view */
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
        if (!r) {
            /* the message reads g's shape: g is released only afterwards */
            if (PyErr_ExceptionMatches(PyExc_RuntimeError)) {
                char a[256], b[256];
                pn_format_shape(a, sizeof a, g->ndim, g->shape);
                pn_format_shape(b, sizeof b, m->ndim, m->shape);
                PyErr_Format(PyExc_RuntimeError,
                             "Function %s returned an invalid gradient at index %d - got %s but "
                             "expected shape compatible with %s",
                             n->name, k, a, b);
            }
            Py_DECREF(g);
            return NULL;
        }
        Py_SETREF(g, r);
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

/* One backward run: the nodes it claimed and those ready to run. With capture
 * (autograd.grad), gradients arriving at the given (node, input_nr) pairs are
 * stored in captured[] instead of being accumulated into .grad. */
typedef struct {
    uint64_t id;
    node_list all;   /* every node reached; their buf/deps/owner belong to this run */
    node_list ready; /* nodes whose consumers have all delivered their gradients */
    int retain_graph;
    int ncap;
    PNEdge *capture;
    PNTensor **captured;
} engine_state;

/* Make fn part of run r (gradient buffer, owner): 0 if new, 1 if it already was. */
static int claim(engine_state *r, PNNode *fn) {
    if (fn->buf) {
        if (fn->owner == r->id) return 1;
        PyErr_SetString(
            PyExc_RuntimeError,
            "backward: another thread is running backward through the same graph "
            "nodes (e.g. the same parameters); run those backward passes one at a time");
        return -1;
    }
    if (list_push(&r->all, fn) < 0) return -1;
    fn->buf = PyMem_Calloc((size_t)fn->n_out, sizeof(PNTensor *));
    if (!fn->buf) {
        PyErr_NoMemory();
        return -1;
    }
    fn->owner = r->id;
    return 0;
}

static int make_ready(engine_state *r, PNNode *fn) {
    fn->deps = -1; /* queued */
    return list_push(&r->ready, fn);
}

/* 1. discover: claim every node reachable from the roots, counting for each
 *    the edges that lead into it (its dependencies). Iterative DFS. */
static int discover(engine_state *r, int n, const PNEdge *roots) {
    node_list stack = {0};
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        int c = claim(r, roots[k].fn);
        if (c != 0)
            rc = c < 0 ? -1 : 0;
        else
            rc = list_push(&stack, roots[k].fn);
    }
    while (rc == 0 && stack.len) {
        PNNode *fn = stack.items[--stack.len];
        for (int k = 0; k < fn->n_next && rc == 0; k++) {
            PNNode *next = fn->next[k].fn;
            if (!next) continue;
            int c = claim(r, next);
            if (c < 0) {
                rc = -1;
                break;
            }
            next->deps++; /* one more consumer must deliver before next runs */
            if (c == 0) rc = list_push(&stack, next);
        }
    }
    PyMem_Free(stack.items);
    return rc;
}

/* 2. seed: each root gets its starting gradient; a root no other root feeds is ready. */
static int seed(engine_state *r, int n, const PNEdge *roots, PNTensor **grads) {
    for (int k = 0; k < n; k++) {
        Py_INCREF(grads[k]);
        if (buffer_add(roots[k].fn, roots[k].input_nr, grads[k]) < 0) return -1;
    }
    for (int k = 0; k < n; k++)
        if (roots[k].fn->deps == 0 && make_ready(r, roots[k].fn) < 0) return -1;
    return 0;
}

/* autograd.grad: keep the gradient arriving at each captured input (a leaf's own
 * hooks apply to it, as they would to .grad). */
static int capture_gradients(engine_state *r, PNNode *fn) {
    for (int c = 0; c < r->ncap; c++) {
        if (r->capture[c].fn != fn) continue;
        PNTensor *g = fn->buf[r->capture[c].input_nr];
        if (!g) continue;
        Py_INCREF(g);
        if (fn->leaf && run_tensor_hooks(fn->leaf->hooks, &g) < 0) {
            Py_DECREF(g);
            return -1;
        }
        Py_XSETREF(r->captured[c], g);
    }
    return 0;
}

/* Post hooks (Node.register_hook, a dict id -> fn): fn(grad_inputs, grad_outputs)
 * after the node ran. */
static int run_post_hooks(PNNode *fn, PNTensor **gin) {
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
    PyObject *snap = ok ? PyDict_Values(fn->hooks) : NULL; /* see hook_snapshot */
    ok = snap != NULL;
    for (Py_ssize_t h = 0; ok && h < PyList_GET_SIZE(snap); h++) {
        PyObject *res = PyObject_CallFunctionObjArgs(PyList_GET_ITEM(snap, h), gi, go, NULL);
        ok = res != NULL;
        Py_XDECREF(res);
    }
    Py_XDECREF(snap);
    Py_XDECREF(gi);
    Py_XDECREF(go);
    return ok ? 0 : -1;
}

/* Without retain_graph a node frees what it saved once it has run; a second
 * backward through it then raises. An autograd.Function is told too. */
static int free_saved(PNNode *fn) {
    for (int k = 0; k < PN_NODE_SAVED; k++)
        if (fn->saved[k]) fn->released = 1;
    pn_node_release_saved(fn);
    PyObject *bw = fn->apply == pn_python_apply ? PN_STATE(fn, pn_python_state)->backward : NULL;
    if (!bw || !PyObject_HasAttrString(bw, "_release")) return 0;
    PyObject *res = PyObject_CallMethod(bw, "_release", NULL);
    Py_XDECREF(res);
    return res ? 0 : -1;
}

/* Hooks, then the node's backward: gin[k] = gradient for input k (or NULL). */
static int call_node(engine_state *r, PNNode *fn, PNTensor **gin) {
    if (fn->pre_hooks && run_pre_hooks(fn) < 0) return -1;
    if (capture_gradients(r, fn) < 0) return -1;
    int any = 0;
    for (int k = 0; k < fn->n_out; k++) any |= fn->buf[k] != NULL;
    /* nothing arrived, or autograd.grad (which accumulates into no .grad) */
    if (!any || (r->ncap && fn->apply == pn_accumulate_grad_apply)) return 0;
    if (fn->apply(fn, fn->buf, gin) < 0) return -1;
    if (fn->hooks && run_post_hooks(fn, gin) < 0) return -1;
    return r->retain_graph ? 0 : free_saved(fn);
}

/* Send each input gradient along its edge, summed into what already arrived
 * there (after validate_grad fits it to the input); a node whose consumers
 * have now all delivered is ready. Takes the references in gin. */
static int send_gradients(engine_state *r, PNNode *fn, PNTensor **gin) {
    int rc = 0;
    for (int k = 0; k < fn->n_next; k++) {
        PNNode *next = fn->next[k].fn;
        PNTensor *g = gin[k];
        gin[k] = NULL;
        if (!next || rc < 0) {
            Py_XDECREF(g);
            continue;
        }
        if (g && (!(g = validate_grad(fn, k, g)) || buffer_add(next, fn->next[k].input_nr, g) < 0))
            rc = -1;
        else if (--next->deps == 0)
            rc = make_ready(r, next);
    }
    return rc;
}

/* 3. run one node and pass its input gradients on. */
static int run_node(engine_state *r, PNNode *fn) {
    PNTensor *gin_inline[4] = {0};
    PNTensor **gin =
        fn->n_next <= 4 ? gin_inline : PyMem_Calloc((size_t)fn->n_next, sizeof(PNTensor *));
    if (!gin) {
        PyErr_NoMemory();
        return -1;
    }
    int rc = call_node(r, fn, gin);
    for (int k = 0; k < fn->n_out; k++) Py_CLEAR(fn->buf[k]);
    if (rc == 0) rc = send_gradients(r, fn, gin);
    for (int k = 0; k < fn->n_next; k++) Py_CLEAR(gin[k]); /* left over after an error */
    if (gin != gin_inline) PyMem_Free(gin);
    return rc;
}

/* 4. release: give back every claimed node's scratch. */
static void release_run(engine_state *r) {
    for (Py_ssize_t k = 0; k < r->all.len; k++) {
        PNNode *fn = r->all.items[k];
        for (int j = 0; fn->buf && j < fn->n_out; j++) Py_CLEAR(fn->buf[j]);
        PyMem_Free(fn->buf);
        fn->buf = NULL;
        fn->deps = 0;
        fn->owner = 0;
    }
    PyMem_Free(r->all.items);
    PyMem_Free(r->ready.items);
}

/* Backpropagate from n roots, starting from root_grads: the four steps above. */
static int engine_run(int n, PNTensor **roots, PNTensor **root_grads, int retain_graph, int ncap,
                      PNEdge *capture, PNTensor **captured) {
    if (engine_depth > 0) {
        /* A backward inside a custom Function's backward would share the nodes'
         * scratch fields with the outer run. */
        PyErr_SetString(PyExc_RuntimeError, "pynet does not support calling backward() or "
                                            "autograd.grad() from inside a backward pass");
        return -1;
    }
    PNEdge *edges = PyMem_Calloc((size_t)n + 1, sizeof(PNEdge));
    if (!edges) {
        PyErr_NoMemory();
        return -1;
    }
    engine_state r = {.id = ++engine_runs,
                      .retain_graph = retain_graph,
                      .ncap = ncap,
                      .capture = capture,
                      .captured = captured};
    engine_depth++;
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) rc = pn_edge_for(roots[k], &edges[k]);
    if (rc == 0) rc = discover(&r, n, edges);
    if (rc == 0) rc = seed(&r, n, edges, root_grads);
    while (rc == 0 && r.ready.len) rc = run_node(&r, r.ready.items[--r.ready.len]);
    release_run(&r);
    for (int k = 0; k < n; k++) Py_XDECREF(edges[k].fn);
    PyMem_Free(edges);
    engine_depth--;
    return rc;
}

/* The starting gradient of root t: grad as given (checked against t's shape),
 * or ones when None and t has one element. New reference, or NULL + error. */
static PNTensor *root_grad(PNTensor *t, PyObject *g, Py_ssize_t k) {
    if (g == Py_None) {
        if (t->numel != 1) {
            PyErr_SetString(PyExc_RuntimeError,
                            "grad can be implicitly created only for scalar outputs");
            return NULL;
        }
        return pn_full(t->dtype, t->ndim, t->shape, 1.0);
    }
    if (!PNTensor_Check(g)) {
        PyErr_Format(PyExc_TypeError, "backward: gradient must be a Tensor, got %s",
                     Py_TYPE(g)->tp_name);
        return NULL;
    }
    PNTensor *gt = (PNTensor *)g;
    int same = gt->ndim == t->ndim;
    for (int d = 0; same && d < t->ndim; d++) same = gt->shape[d] == t->shape[d];
    if (!same) {
        char a[256], b[256];
        pn_format_shape(a, sizeof a, gt->ndim, gt->shape);
        pn_format_shape(b, sizeof b, t->ndim, t->shape);
        PyErr_Format(PyExc_RuntimeError,
                     "Mismatch in shape: grad_output[%zd] has a shape of %s and output[%zd] has "
                     "a shape of %s.",
                     k, a, k, b);
        return NULL;
    }
    Py_INCREF(gt);
    return gt;
}

/* roots[k] (borrowed) and root_grads[k] (new references) from the outputs and
 * grads sequences, both of length n. */
static int parse_roots(PyObject *outs, PyObject *gs, Py_ssize_t n, PNTensor **roots,
                       PNTensor **root_grads) {
    if (PySequence_Fast_GET_SIZE(gs) != n) {
        PyErr_Format(PyExc_RuntimeError, "backward: got %zd tensors and %zd gradients", n,
                     PySequence_Fast_GET_SIZE(gs));
        return -1;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(outs, k);
        if (!PNTensor_Check(o)) {
            PyErr_Format(PyExc_TypeError, "backward: expected a Tensor, got %s",
                         Py_TYPE(o)->tp_name);
            return -1;
        }
        roots[k] = (PNTensor *)o;
        if (!pn_requires_grad(roots[k])) {
            PyErr_Format(PyExc_RuntimeError,
                         "element %zd of tensors does not require grad and does not have a "
                         "grad_fn",
                         k);
            return -1;
        }
        root_grads[k] = root_grad(roots[k], PySequence_Fast_GET_ITEM(gs, k), k);
        if (!root_grads[k]) return -1;
    }
    return 0;
}

/* autograd.grad's inputs: the edge along which each one's gradient arrives. */
static int parse_inputs(PyObject *ins, Py_ssize_t ncap, PNEdge *capture) {
    for (Py_ssize_t k = 0; k < ncap; k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(ins, k);
        if (!PNTensor_Check(o) || !pn_requires_grad((PNTensor *)o)) {
            PyErr_Format(PyExc_RuntimeError,
                         "One of the differentiated Tensors does not require grad");
            return -1;
        }
        if (pn_edge_for((PNTensor *)o, &capture[k]) < 0) return -1;
    }
    return 0;
}

/* autograd.grad's result: a tuple of the captured gradients (taken from
 * captured[]), None for unused inputs where allow_unused, else an error. */
static PyObject *captured_tuple(PNTensor **captured, Py_ssize_t ncap, int allow_unused) {
    PyObject *result = PyTuple_New(ncap);
    for (Py_ssize_t k = 0; result && k < ncap; k++) {
        PyObject *g = (PyObject *)captured[k];
        if (!g && !allow_unused) {
            Py_CLEAR(result);
            PyErr_SetString(PyExc_RuntimeError,
                            "One of the differentiated Tensors appears to not have been used in "
                            "the graph. Set allow_unused=True if this is the desired behavior.");
            break;
        }
        captured[k] = NULL;
        PyTuple_SET_ITEM(result, k, g ? g : (Py_INCREF(Py_None), Py_None));
    }
    return result;
}

/* What one backward()/autograd.grad() call holds while it runs. */
typedef struct {
    PyObject *outs, *gs, *ins; /* the argument sequences (PySequence_Fast) */
    Py_ssize_t n, ncap;
    PNTensor **roots, **root_grads;
    PNEdge *capture;
    PNTensor **captured;
} backward_call;

static void backward_call_free(backward_call *c) {
    for (Py_ssize_t k = 0; c->root_grads && k < c->n; k++) Py_XDECREF(c->root_grads[k]);
    for (Py_ssize_t k = 0; k < c->ncap; k++) {
        if (c->capture) Py_XDECREF(c->capture[k].fn);
        if (c->captured) Py_XDECREF(c->captured[k]);
    }
    PyMem_Free(c->capture);
    PyMem_Free(c->captured);
    PyMem_Free(c->roots);
    PyMem_Free(c->root_grads);
    Py_XDECREF(c->ins);
    Py_XDECREF(c->outs);
    Py_XDECREF(c->gs);
}

/* Parse the arguments of _run_backward into c (freed by backward_call_free). */
static int backward_call_parse(backward_call *c, PyObject *outputs, PyObject *grads,
                               PyObject *inputs) {
    if (!(c->outs = PySequence_Fast(outputs, "outputs must be a sequence of tensors")) ||
        !(c->gs = PySequence_Fast(grads, "grad_tensors must be a sequence")))
        return -1;
    c->n = PySequence_Fast_GET_SIZE(c->outs);
    c->roots = PyMem_Calloc((size_t)c->n + 1, sizeof(PNTensor *));
    c->root_grads = PyMem_Calloc((size_t)c->n + 1, sizeof(PNTensor *));
    if (!c->roots || !c->root_grads) {
        PyErr_NoMemory();
        return -1;
    }
    if (parse_roots(c->outs, c->gs, c->n, c->roots, c->root_grads) < 0) return -1;
    if (!inputs || inputs == Py_None) return 0;
    if (!(c->ins = PySequence_Fast(inputs, "inputs must be a sequence of tensors"))) return -1;
    Py_ssize_t ncap = PySequence_Fast_GET_SIZE(c->ins);
    c->capture = PyMem_Calloc((size_t)ncap + 1, sizeof(PNEdge));
    c->captured = PyMem_Calloc((size_t)ncap + 1, sizeof(PNTensor *));
    if (!c->capture || !c->captured) {
        PyErr_NoMemory();
        return -1;
    }
    c->ncap = ncap;
    return parse_inputs(c->ins, ncap, c->capture);
}

/* _run_backward(outputs, grads, retain_graph, create_graph, inputs, allow_unused)
 * outputs: sequence of tensors; grads: sequence of tensors or None (ones for a
 * one-element output). inputs None: accumulate into leaves' .grad (backward);
 * else return a tuple with the gradient of each input (autograd.grad). */
PyObject *pn_run_backward(PyObject *outputs, PyObject *grads, int retain_graph, int create_graph,
                          PyObject *inputs, int allow_unused) {
    backward_call c = {0};
    PyObject *result = NULL;
    if (backward_call_parse(&c, outputs, grads, inputs) == 0) {
        int prev_mode = pn_set_grad_mode(
            create_graph); /* the backward graph is recorded only for create_graph */
        int rc = engine_run((int)c.n, c.roots, c.root_grads, retain_graph || create_graph,
                            (int)c.ncap, c.capture, c.captured);
        pn_set_grad_mode(prev_mode);
        if (rc == 0)
            result = c.ins ? captured_tuple(c.captured, c.ncap, allow_unused)
                           : (Py_INCREF(Py_None), Py_None);
    }
    backward_call_free(&c);
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
