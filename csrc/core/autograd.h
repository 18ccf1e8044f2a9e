/* core/autograd.h - the autograd graph: nodes, edges, saved tensors, the engine.
 *
 * An op that sees an input requiring grad records a node (its grad_fn): the
 * function computing input gradients from output gradients, plus what it
 * saved. core/node.c builds nodes, core/engine.c runs them backwards,
 * core/inplace.c rewires history when a tensor is modified in place.
 */
#ifndef PN_CORE_AUTOGRAD_H
#define PN_CORE_AUTOGRAD_H
#include "tensor.h"

/* -------------------------------------------------------------- autograd ---- */

typedef struct {
    PNNode *fn; /* NULL: this input needs no gradient */
    int input_nr;
} PNEdge;

typedef struct {
    int ndim;
    pn_dtype dtype;
    int64_t shape[PN_MAX_DIMS];
} PNMeta;

/* Compute gradients of a node's inputs from the gradients of its outputs.
 * gout[k] (borrowed, never NULL for single-output nodes) is d(loss)/d(output k);
 * the function stores new references in gin[j] (NULL = zero) for each input j
 * whose edge is set. Returns 0, or -1 with a Python exception set. */
typedef int (*pn_apply_fn)(PNNode *node, PNTensor **gout, PNTensor **gin);

#define PN_NODE_SAVED        4
#define PN_NODE_INLINE       2
#define PN_NODE_STATE_INLINE 192 /* bytes of op state kept inside the node */

struct PNNode {
    PyObject_HEAD
    const char *name; /* "MulBackward0" */
    pn_apply_fn apply;
    int n_next, n_out;
    PNEdge *next; /* n_next edges, one per differentiable input */
    PNMeta *meta; /* shape/dtype of each input, to check and reduce gradients */
    PNEdge next_inline[PN_NODE_INLINE];
    PNMeta meta_inline[PN_NODE_INLINE];
    PNTensor *saved[PN_NODE_SAVED];
    int64_t saved_version[PN_NODE_SAVED];
    char saved_is_output[PN_NODE_SAVED];
    char released; /* saved tensors were freed by a backward without retain_graph */
    /* What else the backward needs (dims, flags, scalars): a struct declared by
     * the op next to its backward, read with PN_STATE(node, type). See pn_node_state. */
    void *state;
    size_t state_size;
    int state_nrefs; /* the struct starts with this many owned PyObject * members */
    _Alignas(16) unsigned char state_inline[PN_NODE_STATE_INLINE];
    PNTensor *leaf; /* AccumulateGrad only */
    /* engine scratch */
    PNTensor **buf;
    int deps;
    uint64_t owner;      /* id of the backward run using buf/deps, 0 when none */
    PyObject *hooks;     /* post hooks: dict handle id -> callable, or NULL */
    PyObject *pre_hooks; /* list of (output_nr, callable), or NULL */
};

extern PyTypeObject PNNode_Type;
extern _Thread_local int pn_grad_mode;

/* Switch recording on or off (like `with torch.no_grad()`) and return the
 * previous mode, to restore after:  int prev = pn_set_grad_mode(0); ...;
 * pn_set_grad_mode(prev); */
static inline int pn_set_grad_mode(int on) {
    int prev = pn_grad_mode;
    pn_grad_mode = on;
    return prev;
}

/* Whether t requires grad. Besides t's own flag: a view made before an in-place op
 * gave its base a history (y = zeros(4); a = y[:2]; y.add_(w)) now shows base's new
 * values, so it requires grad too, as in PyTorch; its history is made when first used
 * (pn_edge_for -> pn_refresh_view). Every "does this input need a gradient" test on an
 * op's input reads this, not the flag. */
static inline int pn_requires_grad(const PNTensor *t) {
    return t->requires_grad ||
           (t->base && !t->grad_fn && t->base->grad_fn &&
            t->base->history_id != t->view_of_history && t->storage == t->base->storage);
}

/* 1 when an op on these inputs must record a graph node. */
static inline int pn_any_requires_grad(PNTensor *a, PNTensor *b) {
    return pn_grad_mode && ((a && pn_requires_grad(a)) || (b && pn_requires_grad(b)));
}
/* Node for an op with n inputs (NULL inputs allowed: no edge). */
PNNode *pn_node_new(const char *name, pn_apply_fn apply, int n, PNTensor **inputs);
/* Make `out` output number output_nr of node (takes no reference from the caller). */
void pn_set_history(PNTensor *out, PNNode *node, int output_nr);
int pn_save(PNNode *n, int slot, PNTensor *t, int is_output);
/* Give node n a zero-filled state of `size` bytes: the op's own struct, e.g.
 *     typedef struct { uint32_t mask; int keepdim; } sum_state;
 *     sum_state *st = pn_node_state(n, sizeof *st, 0);
 * and in the backward `const sum_state *st = PN_STATE(n, sum_state);`.
 * If the struct holds Python objects, they are its first `nrefs` members
 * (PyObject * or PNTensor *, NULL allowed): the node owns them and drops them
 * with itself. Returns NULL with MemoryError set on failure. */
void *pn_node_state(PNNode *n, size_t size, int nrefs);
#define PN_STATE(node, type) ((type *)(node)->state)
/* Give dst a copy of src's state (new references to its objects): for a
 * backward node that needs the same description as its forward. */
int pn_node_copy_state(PNNode *dst, const PNNode *src);
PNTensor *pn_unpack(PNNode *n, int slot); /* new reference, or NULL + RuntimeError */
/* Record a single-output op: node with the given inputs, output history set. Returns node
 * (borrowed: owned by out) or NULL on error. Does nothing (returns NULL, no error) if no input
 * requires grad. Check PyErr_Occurred() to tell the two apart. */
PNNode *pn_record(PNTensor *out, const char *name, pn_apply_fn apply, int n, PNTensor **inputs);
/* For a backward computed by a fused kernel with no formula written in ops:
 * under create_graph, make its results outs[0..nout) (NULL: skipped) outputs
 * of a node over the nin tensors they depend on (the incoming gradients and the
 * weights), whose own backward raises NotImplementedError naming `op` (a
 * static string). Does nothing unless grad mode is on and an input requires
 * grad. Returns 0, or -1 with an exception set. */
int pn_record_once_differentiable(const char *name, const char *op, int nin, PNTensor **ins,
                                  int nout, PNTensor **outs);
/* Check that t may be written in place (leaf/view rules, no two elements
 * sharing memory) and bump its version. */
int pn_check_inplace(PNTensor *t, const char *op);
/* The same for writes of one value to every element (fill_, zero_), which
 * may target elements that share memory. */
int pn_check_inplace_fill(PNTensor *t, const char *op);
/* The same for ops that change only t's shape and strides (t_, unsqueeze_...). */
int pn_check_inplace_view(PNTensor *t, const char *op);
/* Record as_strided's backward on view, a view of the contiguous input inside it. */
int pn_record_as_strided(PNTensor *view, PNTensor *input);
void pn_bump_version(PNTensor *t);
PyObject *pn_run_backward(PyObject *outputs, PyObject *grads, int retain_graph, int create_graph,
                          PyObject *inputs, int allow_unused);

/* (core/node.c) */
void pn_node_release_saved(PNNode *n);   /* drop saved tensors (backward done) */
int pn_edge_for(PNTensor *t, PNEdge *e); /* the edge t's gradient travels along */
/* (core/engine.c) the two node kinds the engine itself knows */
int pn_accumulate_grad_apply(PNNode *n, PNTensor **gout, PNTensor **gin); /* leaf.grad += g */
int pn_python_apply(PNNode *n, PNTensor **gout, PNTensor **gin);          /* backward(*gout) */
typedef struct {
    PyObject *backward; /* owned: called with the output gradients (autograd.Function) */
} pn_python_state;

/* (core/inplace.c) in-place ops: write src into dst and rewire dst's (and its base's) history */
int pn_inplace_finish(PNTensor *dst, PNTensor *src);
/* pn_inplace_finish(dst, res), stealing res (NULL: error passed on); returns dst (new ref) */
PyObject *pn_inplace_result(PNTensor *dst, PNTensor *res);
/* PyTorch's reasons, quoted by the errors about writing to (or through) such views. */
#define PN_NO_GRAD_VIEW_REASON \
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify " \
    "your code by moving both the view and the inplace either both inside the no_grad block " \
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace to " \
    "be tracked)."
#define PN_MULTI_VIEW_REASON \
    "This view is the output of a function that returns multiple views. Such functions do not " \
    "allow the output views to be modified inplace. You should replace the inplace operation " \
    "by an out-of-place one."
/* If t is a view whose base was rewritten in place since t's history was made (or, for
 * a view with no history, since t was made, base now requiring grad), give t a history
 * through base's current one (AsStridedBackward0), as PyTorch regenerates a stale view's
 * grad_fn. A piece of split/unbind, or a view made in no_grad mode: RuntimeError as
 * PyTorch. Returns 0, or -1 with an exception set. (pn_edge_for calls it before any use
 * of t's history.) */
int pn_refresh_view(PNTensor *t);
/* The op's name as torch's view errors give it: node "SplitBackward0" -> "Split". */
void pn_node_op_name(const PNNode *n, char *buf, size_t size);

#endif
