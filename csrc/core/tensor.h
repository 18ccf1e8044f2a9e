/* core/tensor.h - the objects every other file works on: storage, Tensor, dtype.
 *
 * Floor 2 of pynet's C code (kernels -> core -> ops -> pyapi). A tensor is a
 * strided view (shape, strides in elements, data pointer) of a refcounted
 * storage; views share the storage. Nothing here does op math.
 */
#ifndef PN_CORE_TENSOR_H
#define PN_CORE_TENSOR_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "../kernels/common.h"

/* ------------------------------------------------------------- storage ---- */

/* A block of memory shared by a tensor and all its views. `version` counts
 * in-place writes, so autograd can tell when a saved tensor was overwritten. */
typedef struct pn_storage {
    Py_ssize_t refcount; /* touched only with the GIL held */
    int64_t version;
    char *data;
    int64_t nbytes;
    PyObject *owner; /* NULL: we allocated data; else the object that owns it (a NumPy array) */
    char readonly;   /* the owner's memory must not be written (a read-only NumPy array) */
} pn_storage;

pn_storage *pn_storage_new(int64_t nbytes); /* sets MemoryError on failure */
pn_storage *pn_storage_wrap(char *data, int64_t nbytes, PyObject *owner);
void pn_storage_decref(pn_storage *s);
void pn_storage_cache_info(int large, size_t *bytes, size_t *blocks, size_t *capacity);

/* -------------------------------------------------------------- tensor ---- */

typedef struct PNNode PNNode;

typedef struct PNTensor {
    PyObject_HEAD
    pn_storage *storage;
    char *data; /* first element (storage->data + offset) */
    int ndim;
    pn_dtype dtype;
    int64_t numel;
    int64_t shape[PN_MAX_DIMS];
    int64_t strides[PN_MAX_DIMS]; /* in elements, like Tensor.stride() */
    char requires_grad;
    char retains_grad;
    char multi_view;       /* a view from split/unbind (or a view of one): no in-place with grad */
    char view_in_no_grad;  /* a view made (or its first view made) while grad mode was off */
    int output_nr;         /* which output of grad_fn this tensor is */
    PyObject *grad;        /* a Tensor, or NULL */
    PNNode *grad_fn;       /* NULL for leaves */
    PNNode *grad_acc;      /* borrowed: the leaf's AccumulateGrad node while it lives */
    struct PNTensor *base; /* the tensor this one is a view of, or NULL */
    /* history_id: a number new each time grad_fn is set (pn_set_history). A view keeps
     * its base's in view_of_history when its own history is made; when base's differs,
     * an in-place op rewrote base since, and the view's history is rebuilt before use
     * (pn_refresh_view). Numbers, not node pointers: a freed node's address may be
     * reused, and a reference to the node would make cycles through saved outputs. */
    uint64_t history_id, view_of_history;
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
/* New uninitialised tensor of `shape` (t's ndim; NULL: t's shape) whose memory is
 * ordered as t's is: dims by decreasing stride of t, packed densely
 * (torch.empty_like keeps a layout so), so that a transposed t gives a transposed
 * result. Contiguous when t's last dim is not its innermost or t has a stride 0. */
PNTensor *pn_empty_like_layout(PNTensor *t, const int64_t *shape, pn_dtype dt);
/* t stops being a view (of its base, for autograd): base released, and with it
 * the view's flags (split piece, made in no_grad mode). Memory stays shared. */
static inline void pn_forget_base(PNTensor *t) {
    Py_CLEAR(t->base);
    t->multi_view = 0;
    t->view_in_no_grad = 0;
}
/* A view sharing t's storage (no autograd). strides in elements, offset in elements from t->data.
 */
PNTensor *pn_alias(PNTensor *t, int ndim, const int64_t *shape, const int64_t *strides,
                   int64_t offset);
int pn_is_contiguous(const PNTensor *t);
void pn_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);
int pn_check_numel(int ndim, const int64_t *shape, int64_t *numel, const char *op);
/* The elements memory must hold for a view of sizes shape (>= 0) and strides (>= 0)
 * from its first element: 1 + sum (shape - 1) stride, 0 for an empty view. -1 (no
 * exception) when that overflows. */
int64_t pn_strided_extent(int ndim, const int64_t *shape, const int64_t *strides);

/* dtype helpers */
const char *pn_dtype_name(pn_dtype dt);
PyObject *pn_dtype_object(pn_dtype dt);                        /* borrowed pynet.float32 ... */
int pn_parse_dtype(PyObject *o, pn_dtype *dt, const char *op); /* 0 ok, -1 error */
int pn_dtype_converter(PyObject *o, void *addr);               /* for "O&", None -> -1 */
pn_dtype pn_promote(pn_dtype a, pn_dtype b);
/* The dtype of floating-point tensors made without one (set_default_dtype): float32 or
 * float64. Python floats, true division and float-only ops of integers take it too. */
extern pn_dtype pn_default_float;
void pn_format_shape(char *buf, size_t n, int ndim, const int64_t *shape); /* "(2, 3)" */
void pn_format_list(char *buf, size_t n, int ndim, const int64_t *shape);  /* "[2, 3]" */

/* shape parsing: accepts (2, 3), [2, 3] or 2, 3 as varargs. Returns ndim or -1. */
int pn_parse_shape(PyObject *args, int64_t *shape, const char *op);
int pn_parse_shape_obj(PyObject *o, int64_t *shape, const char *op);
int pn_wrap_dim(int64_t dim, int ndim, int *out, const char *op); /* negative dims, IndexError */

/* Typed views of a contiguous tensor's data. */
#define F32(t) ((float *)(t)->data)
#define F64(t) ((double *)(t)->data)

/* A new contiguous tensor of dtype dt and shape `shape` holding v[0..n) (n == numel). */
PNTensor *pn_from_doubles(const double *v, int64_t n, pn_dtype dt, int ndim, const int64_t *shape);
/* Give t src's memory, shape, strides and dtype (t.data = src, nn.Parameter). */
void pn_share_layout(PNTensor *t, PNTensor *src);
/* New tensor object of `type` (NULL: pynet.Tensor), every field zero. */
PNTensor *pn_tensor_alloc(PyTypeObject *type);

/* ----------------------------------------------------- argument checks ---- */
/* (core/check.c) Each returns 0 / a tensor on success, or -1 / NULL with the
 * exception PyTorch raises, naming the op and the argument. */
PNTensor *pn_tensor_arg(PyObject *o, const char *op, const char *name); /* borrowed */
int pn_opt_tensor_arg(PyObject *o, PNTensor **out, const char *op,
                      const char *name); /* None -> NULL */
int pn_require_float(PNTensor *t, const char *op);
int pn_same_dtype(PNTensor *a, PNTensor *b, const char *op); /* b NULL: ok */
/* Refuse an in-place write to t when several of its elements share memory
 * (a stride-0 dim of size > 1), with PyTorch's RuntimeError. */
int pn_has_internal_overlap(const PNTensor *t);
/* 0 when no two elements of t share memory, as its strides show (every stride, in
 * increasing order, steps past all the smaller ones reach); 1 when they may (a
 * stride 0, overlapping windows of as_strided or unfold). */
int pn_may_overlap(const PNTensor *t);
int pn_check_no_overlap(PNTensor *t, const char *op);
/* Refuse an in-place write to memory borrowed read-only (from_numpy of a
 * read-only array), with a RuntimeError naming op. */
int pn_check_not_readonly(PNTensor *t, const char *op);

/* errors */
PyObject *pn_shape_error(PyObject *exc, const char *fmt, ...);
/* Like PyErr_Format with C's printf conversions (%g, %lld, %s; no %S/%R). */
PyObject *pn_error_c(PyObject *exc, const char *fmt, ...);

#endif
