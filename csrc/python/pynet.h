/* pynet.h - what the CPython binding files share.
 *
 * The binding is the only part of pynet that knows about Python. It owns the
 * Tensor object (a strided view of a refcounted storage), the autograd graph
 * (Node objects linked by edges) and the engine that walks it; the numbers are
 * crunched by the kernel library in ../kernels.
 */
#ifndef PN_PYNET_H
#define PN_PYNET_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "../kernels/common.h"
#include "../kernels/iter.h"
#include "../kernels/elementwise.h"
#include "../kernels/reduce.h"

/* ------------------------------------------------------------- storage ---- */

/* A block of memory shared by a tensor and all its views. `version` counts
 * in-place writes, so autograd can tell when a saved tensor was overwritten. */
typedef struct pn_storage {
    Py_ssize_t refcount; /* touched only with the GIL held */
    int64_t version;
    char *data;
    int64_t nbytes;
    PyObject *owner; /* NULL: we allocated data; else the object that owns it (a NumPy array) */
} pn_storage;

pn_storage *pn_storage_new(int64_t nbytes); /* sets MemoryError on failure */
pn_storage *pn_storage_wrap(char *data, int64_t nbytes, PyObject *owner);
void pn_storage_decref(pn_storage *s);

/* -------------------------------------------------------------- tensor ---- */

typedef struct PNNode PNNode;

typedef struct PNTensor {
    PyObject_HEAD pn_storage *storage;
    char *data; /* first element (storage->data + offset) */
    int ndim;
    pn_dtype dtype;
    int64_t numel;
    int64_t shape[PN_MAX_DIMS];
    int64_t strides[PN_MAX_DIMS]; /* in elements, like Tensor.stride() */
    char requires_grad;
    char retains_grad;
    int output_nr;         /* which output of grad_fn this tensor is */
    PyObject *grad;        /* a Tensor, or NULL */
    PNNode *grad_fn;       /* NULL for leaves */
    PNNode *grad_acc;      /* borrowed: the leaf's AccumulateGrad node while it lives */
    struct PNTensor *base; /* the tensor this one is a view of, or NULL */
    PyObject *dict;
    PyObject *weakrefs;
    PyObject *hooks; /* list of callables run on this tensor's gradient, or NULL */
} PNTensor;

extern PyTypeObject PNTensor_Type;    /* _C.TensorBase */
extern PyTypeObject *pn_tensor_class; /* pynet.Tensor (a Python subclass), used for outputs */
#define PNTensor_Check(o) PyObject_TypeCheck(o, &PNTensor_Type)

/* New contiguous tensor, uninitialised (empty) or zero-filled. NULL + exception on failure. */
PNTensor *pn_empty(pn_dtype dt, int ndim, const int64_t *shape);
PNTensor *pn_zeros(pn_dtype dt, int ndim, const int64_t *shape);
PNTensor *pn_full(pn_dtype dt, int ndim, const int64_t *shape, double value);
/* A view sharing t's storage (no autograd). strides in elements, offset in elements from t->data.
 */
PNTensor *pn_alias(PNTensor *t, int ndim, const int64_t *shape, const int64_t *strides,
                   int64_t offset);
int pn_is_contiguous(const PNTensor *t);
void pn_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);
int pn_check_numel(int ndim, const int64_t *shape, int64_t *numel, const char *op);

/* dtype helpers */
const char *pn_dtype_name(pn_dtype dt);
PyObject *pn_dtype_object(pn_dtype dt);                        /* borrowed pynet.float32 ... */
int pn_parse_dtype(PyObject *o, pn_dtype *dt, const char *op); /* 0 ok, -1 error */
int pn_dtype_converter(PyObject *o, void *addr);               /* for "O&", None -> -1 */
pn_dtype pn_promote(pn_dtype a, pn_dtype b);
void pn_format_shape(char *buf, size_t n, int ndim, const int64_t *shape); /* "(2, 3)" */

/* shape parsing: accepts (2, 3), [2, 3] or 2, 3 as varargs. Returns ndim or -1. */
int pn_parse_shape(PyObject *args, int64_t *shape, const char *op);
int pn_parse_shape_obj(PyObject *o, int64_t *shape, const char *op);
int pn_wrap_dim(int64_t dim, int ndim, int *out, const char *op); /* negative dims, IndexError */

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

#define PN_NODE_SAVED  3
#define PN_NODE_INLINE 2

struct PNNode {
    PyObject_HEAD const char *name; /* "MulBackward0" */
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
    double d[4];   /* op arguments */
    int64_t i[2 + 2 * PN_MAX_DIMS];
    PyObject *obj;  /* an op argument that is a Python object (index spec, Function) */
    PNTensor *leaf; /* AccumulateGrad only */
    /* engine scratch */
    PNTensor **buf;
    int deps;
    uint64_t owner;      /* id of the backward run using buf/deps, 0 when none */
    PyObject *hooks;     /* post hooks: list of callables, or NULL */
    PyObject *pre_hooks; /* list of (output_nr, callable), or NULL */
};

extern PyTypeObject PNNode_Type;
extern _Thread_local int pn_grad_mode;

/* 1 when an op on these inputs must record a graph node. */
static inline int pn_any_requires_grad(PNTensor *a, PNTensor *b) {
    return pn_grad_mode && ((a && a->requires_grad) || (b && b->requires_grad));
}
/* Node for an op with n inputs (NULL inputs allowed: no edge). */
PNNode *pn_node_new(const char *name, pn_apply_fn apply, int n, PNTensor **inputs);
/* Make `out` output number output_nr of node (takes no reference from the caller). */
void pn_set_history(PNTensor *out, PNNode *node, int output_nr);
int pn_save(PNNode *n, int slot, PNTensor *t, int is_output);
PNTensor *pn_unpack(PNNode *n, int slot); /* new reference, or NULL + RuntimeError */
/* Record a single-output op: node with the given inputs, output history set. Returns node
 * (borrowed: owned by out) or NULL on error. Does nothing (returns NULL, no error) if no input
 * requires grad. Check PyErr_Occurred() to tell the two apart. */
PNNode *pn_record(PNTensor *out, const char *name, pn_apply_fn apply, int n, PNTensor **inputs);
/* Check that t may be written in place (leaf/view rules) and bump its version. */
int pn_check_inplace(PNTensor *t, const char *op);
void pn_bump_version(PNTensor *t);
PyObject *pn_run_backward(PyObject *outputs, PyObject *grads, int retain_graph, int create_graph,
                          PyObject *inputs, int allow_unused);

/* ------------------------------------------------------------------ ops ---- */
/* Every op returns a new reference (a Tensor), or NULL with a Python exception set. */

/* Operand of an elementwise op: a tensor or a Python number. */
typedef struct {
    PNTensor *t; /* NULL for a Python scalar */
    int kind;    /* scalar kind: 0 bool, 1 int, 2 float */
    double d;
    int64_t i;
} pn_operand;
int pn_operand_from(PyObject *o, pn_operand *out); /* 1 ok, 0 not a number/tensor, -1 error */

PNTensor *pn_binary(pn_binary_op op, PyObject *a, PyObject *b);
PNTensor *pn_binary_t(pn_binary_op op, PNTensor *a, PNTensor *b);
PNTensor *pn_binary_s(pn_binary_op op, PNTensor *a, double s); /* tensor op python-float */
PyObject *pn_binary_inplace(pn_binary_op op, PNTensor *a, PyObject *b);
PNTensor *pn_unary(pn_unary_op op, PNTensor *a);
PyObject *pn_unary_inplace(pn_unary_op op, PNTensor *a);
PNTensor *pn_clamp(PNTensor *a, PyObject *lo, PyObject *hi);
PNTensor *pn_where(PNTensor *cond, PyObject *a, PyObject *b);
PNTensor *pn_cast(PNTensor *a, pn_dtype dt);     /* always a new tensor (differentiable) */
PNTensor *pn_to_dtype(PNTensor *a, pn_dtype dt); /* a itself (new ref) when dtype matches */
int pn_copy_into(PNTensor *dst, PNTensor *src);
/* in-place ops (inplace.c): write src into dst and rewire dst's (and its base's) history */
int pn_inplace_finish(PNTensor *dst, PNTensor *src);
/* pn_inplace_finish(dst, res), stealing res (NULL: error passed on); returns dst (new ref) */
PyObject *pn_inplace_result(PNTensor *dst, PNTensor *res);
int pn_fill_inplace(PNTensor *t, double value, const char *op); /* fill_/zero_ with autograd */
PNTensor *pn_to_dtype_nograd(PNTensor *a, pn_dtype dt);
PNTensor *pn_where_t(PNTensor *cond, PNTensor *a, double s, PNTensor *b); /* NULL = number s */
PNTensor *pn_binary_s_rev(pn_binary_op op, double s, PNTensor *t);
/* s op t */ /* broadcasting copy with cast, no autograd */
int pn_fill(PNTensor *dst, double v);
PNTensor *pn_contiguous(PNTensor *a);
PNTensor *pn_clone(PNTensor *a);
PNTensor *pn_detach(PNTensor *a);

/* views */
PNTensor *pn_view(PNTensor *a, int ndim, const int64_t *shape, const char *op);
PNTensor *pn_reshape(PNTensor *a, int ndim, const int64_t *shape);
PNTensor *pn_permute(PNTensor *a, const int *perm);
PNTensor *pn_transpose(PNTensor *a, int d0, int d1);
PNTensor *pn_expand(PNTensor *a, int ndim, const int64_t *shape);
PNTensor *pn_squeeze(PNTensor *a, int dim); /* dim < 0 after wrapping: all size-1 dims */
PNTensor *pn_unsqueeze(PNTensor *a, int dim);
PNTensor *pn_narrow(PNTensor *a, int dim, int64_t start, int64_t length);
PNTensor *pn_select(PNTensor *a, int dim, int64_t index);
/* Basic indexing as a list of view steps (see ops_view.c). */
enum { PN_SLICE_SLICE = 0, PN_SLICE_SELECT = 1, PN_SLICE_NEWAXIS = 2 };
typedef struct {
    int kind, dim;
    int64_t start, len, step;
} pn_slice_op;
PNTensor *pn_apply_slices(PNTensor *a, const pn_slice_op *ops, int n);     /* with autograd */
PNTensor *pn_apply_slices_raw(PNTensor *a, const pn_slice_op *ops, int n); /* without */
PNTensor *pn_sum_to(PNTensor *g, int ndim, const int64_t *shape); /* reduce broadcast dims */

/* reductions; dims: bitmask of reduced dims (0 means all) */
PNTensor *pn_sum(PNTensor *a, uint32_t dims, int keepdim, int has_dtype, pn_dtype dt);
PNTensor *pn_mean(PNTensor *a, uint32_t dims, int keepdim);
PNTensor *pn_prod(PNTensor *a, int dim, int keepdim); /* dim < 0: all */
PNTensor *pn_amax(PNTensor *a, uint32_t dims, int keepdim, int is_max);
int pn_max_dim(PNTensor *a, int dim, int keepdim, int is_max, PNTensor **values,
               PNTensor **indices);
PNTensor *pn_var(PNTensor *a, uint32_t dims, int keepdim, double correction, int take_sqrt);
PNTensor *pn_logsumexp(PNTensor *a, uint32_t dims, int keepdim);
PNTensor *pn_softmax(PNTensor *a, int dim, int log);
PNTensor *pn_prod_mask(PNTensor *a, uint32_t mask, int keepdim);
PNTensor *pn_squeeze_mask(PNTensor *a, uint32_t mask);
PNTensor *pn_argmax(PNTensor *a, PyObject *dim, int keepdim, int is_max);
int pn_max_dim_nograd(PNTensor *a, int dim, int keepdim, int is_max, PNTensor **v, PNTensor **ix);
PNTensor *pn_view_nograd(PNTensor *a, int ndim, const int64_t *shape);
int pn_parse_dims(PyObject *o, int ndim, uint32_t *mask, const char *op); /* None -> 0 */

PyObject *pn_make_values_indices(PNTensor *v, PNTensor *ix, const char *op); /* steals both */
/* matmul */
PNTensor *pn_to_contiguous_nograd(PNTensor *a);
PNTensor *pn_matmul(PNTensor *a, PNTensor *b, const char *op);

/* join */
PNTensor *pn_cat(PyObject *seq, int64_t dim);
PNTensor *pn_stack(PyObject *seq, int64_t dim);

/* indexing */
PyObject *pn_getitem(PNTensor *self, PyObject *index);
int pn_setitem(PNTensor *self, PyObject *index, PyObject *value);

/* the global random generator (creation.c); see ../kernels/random.h */
void *pn_global_rng_ptr(void); /* a pn_rng * (kernels/random.h) */

/* errors */
PyObject *pn_shape_error(PyObject *exc, const char *fmt, ...);

/* method tables defined in other files, chained into the module and the type */
extern PyMethodDef pn_module_methods_creation[];
extern PyMethodDef pn_module_methods_autograd[];
extern PyMethodDef pn_module_methods_ops[];
extern PyMethodDef pn_tensor_methods[];

#endif
