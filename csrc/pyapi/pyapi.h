/* pyapi/pyapi.h - the CPython surface of pynet._C: what module.c gathers.
 *
 * Floor 4 (kernels -> core -> ops -> pyapi). Files here parse Python
 * arguments, fill in the Python side of the core types (methods, attributes,
 * operators) and list the module's functions; the work is done by ops/.
 */
#ifndef PN_PYAPI_H
#define PN_PYAPI_H
#include "../ops/ops.h"

/* Module function tables, one per file, added to pynet._C by module.c. */
extern PyMethodDef pn_module_methods_creation[]; /* creation.c: zeros, randn's fillers, seeds */
extern PyMethodDef pn_module_methods_autograd[]; /* autograd.c: backward, Function, grad mode */
extern PyMethodDef pn_module_methods_numpy[];    /* numpy_interop.c: from_numpy, _to_numpy */
extern PyMethodDef pn_module_methods_nn[];       /* functional.c: layer ops */
extern PyMethodDef pn_module_methods_conv[];    /* conv_api.c: convolution, unfold, fold, pooling */
extern PyMethodDef pn_module_methods_loss[];    /* losses.c: loss functions */
extern PyMethodDef pn_module_methods_optim[];   /* optimizer.c: fused optimizer updates */
extern PyMethodDef pn_module_methods_forward[]; /* forward.c: top-level functions as methods */
extern PyMethodDef pn_module_methods_linalg[];  /* linalg_api.c: the Jacobi sweeps */

/* Types: each init readies its type(s) and adds them to the module. */
int pn_tensor_type_init(PyObject *module); /* tensor_type.c: TensorBase */
int pn_node_type_init(PyObject *module);   /* autograd.c: Node */
int pn_dtype_init(PyObject *module);       /* core/dtype.c: the dtype objects */
int pn_optim_init(PyObject *module);       /* optimizer.c: OptimizerBase */
int pn_nn_module_init(PyObject *module);   /* nn_module.c: Module, Sequential */

/* The Tensor type's Python side (tensor_methods.c, tensor_slots.c, tensor_type.c). */
extern PyMethodDef pn_tensor_methods[];
int pn_tensor_seq_methods_init(PyTypeObject *type); /* seq_methods.c: sort, gather, cumsum.. */
extern PyNumberMethods pn_tensor_as_number;
extern PyMappingMethods pn_tensor_as_mapping;
PyObject *pn_tensor_richcompare(PyObject *a, PyObject *b, int op);
PyObject *pn_tensor_make_subclass(PyObject *unused, PyObject *args, PyObject *kwargs);
PyObject *pn_set_size_class(PyObject *m, PyObject *cls);
/* t's shape as a pynet.Size (a tuple until pynet sets the class). */
PyObject *pn_shape_tuple(int ndim, const int64_t *shape);
/* The Python number held by a one-element tensor (Tensor.item()). */
PyObject *pn_item(PNTensor *t);
/* (values, indices) as pynet.return_types (module.c); steals both */
PyObject *pn_make_values_indices(PNTensor *v, PNTensor *ix, const char *op);

/* Arguments of METH_FASTCALL | METH_KEYWORDS methods (args.c). A method keeps one
 * static spec, e.g. for sum(dim=None, keepdim=False, *, dtype=None):
 *   static const char *const names[] = {"dim", "keepdim", "dtype"};
 *   static pn_argspec spec = PN_ARGSPEC("sum", names, 3, 2, 0);
 * (name, parameter names, their count, how many may come by position, how many
 * are required); the interned keys are filled in on the first call. */
#define PN_MAX_PARAMS 8
typedef struct {
    const char *fname;
    const char *const *names;
    int nparams, npos, nrequired;
    int interned;
    PyObject *keys[PN_MAX_PARAMS];
} pn_argspec;
#define PN_ARGSPEC(fname, names, nparams, npos, nrequired) \
    { \
        fname, names, nparams, npos, nrequired, 0, { \
            NULL \
        } \
    }
/* out[i] = the object passed for parameter i (borrowed), or NULL if it was not
 * passed. Returns 0, or -1 with Python's TypeError for too many positional
 * arguments, an unknown keyword, a parameter given twice or a missing one. */
/* The parameters of a METH_FASTCALL | METH_KEYWORDS method after self. */
#define FASTARGS PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames
int pn_parse_args(pn_argspec *spec, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                  PyObject **out);
/* *out = dflt if o is NULL, else the truth of o (as PyArg's "p"). 0 or -1. */
int pn_arg_bool(PyObject *o, int dflt, int *out);
/* *out = dflt if o is NULL, else o as an integer (as PyArg's "L": ints and
 * objects with __index__; a float is a TypeError). 0 or -1. */
int pn_arg_ll(PyObject *o, long long dflt, long long *out);

#endif
