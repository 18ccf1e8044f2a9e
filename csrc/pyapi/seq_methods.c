/* pyapi/seq_methods.c - the Tensor methods of the sequence ops: sort, argsort,
 * topk, cumsum, cumprod, gather, scatter(_), scatter_add(_), index_select,
 * tril(_), triu(_). Each docstring starts with the signature help() shows. */
#include "pyapi.h"
#include <string.h>

#define SELF ((PNTensor *)self)

static int dim_arg(PNTensor *t, long long dim, int *out, const char *op) {
    return pn_wrap_dim(dim, t->ndim, out, op);
}

static int index_arg(PyObject *o, PNTensor **out, const char *op) {
    *out = pn_tensor_arg(o, op, "index");
    return *out ? 0 : -1;
}

static PyObject *m_sort(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"dim", "descending", "stable", NULL};
    long long dim = -1;
    int desc = 0, d;
    PyObject *stable = Py_None; /* any value: the sort is always stable */
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|Lp$O:sort", kwlist, &dim, &desc, &stable))
        return NULL;
    PNTensor *v, *ix;
    if (dim_arg(SELF, dim, &d, "sort") < 0 || pn_sort(SELF, d, desc, &v, &ix) < 0) return NULL;
    return pn_make_values_indices(v, ix, "sort");
}

static PyObject *m_argsort(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"dim", "descending", "stable", NULL};
    long long dim = -1;
    int desc = 0, stable = 0, d;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|Lp$p:argsort", kwlist, &dim, &desc, &stable))
        return NULL;
    if (dim_arg(SELF, dim, &d, "argsort") < 0) return NULL;
    return (PyObject *)pn_argsort(SELF, d, desc);
}

static PyObject *m_topk(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"k", "dim", "largest", "sorted", NULL};
    long long k, dim = -1;
    int largest = 1, sorted = 1, d;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "L|Lpp:topk", kwlist, &k, &dim, &largest, &sorted))
        return NULL;
    PNTensor *v, *ix;
    if (dim_arg(SELF, dim, &d, "topk") < 0 || pn_topk(SELF, k, d, largest, &v, &ix) < 0)
        return NULL;
    return pn_make_values_indices(v, ix, "topk");
}

static PyObject *scan_method(PyObject *self, PyObject *args, PyObject *kw, int prod) {
    static char *kwlist[] = {"dim", "dtype", NULL};
    const char *op = prod ? "cumprod" : "cumsum";
    long long dim;
    int d;
    int dt = -1; /* pn_dtype_converter writes an int: -1 for None */
    if (!PyArg_ParseTupleAndKeywords(args, kw, prod ? "L|$O&:cumprod" : "L|$O&:cumsum", kwlist,
                                     &dim, pn_dtype_converter, &dt) ||
        dim_arg(SELF, dim, &d, op) < 0)
        return NULL;
    pn_dtype t = dt >= 0 ? (pn_dtype)dt : PN_INT64;
    return (PyObject *)(prod ? pn_cumprod(SELF, d, dt >= 0, t) : pn_cumsum(SELF, d, dt >= 0, t));
}
static PyObject *m_cumsum(PyObject *s, PyObject *a, PyObject *k) {
    return scan_method(s, a, k, 0);
}
static PyObject *m_cumprod(PyObject *s, PyObject *a, PyObject *k) {
    return scan_method(s, a, k, 1);
}

static PyObject *m_gather(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"dim", "index", "sparse_grad", NULL};
    long long dim;
    int d, sparse = 0;
    PyObject *io;
    PNTensor *idx;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "LO|$p:gather", kwlist, &dim, &io, &sparse) ||
        index_arg(io, &idx, "gather") < 0 || dim_arg(SELF, dim, &d, "gather") < 0)
        return NULL;
    if (sparse)
        return PyErr_Format(PyExc_NotImplementedError,
                            "gather(): sparse_grad=True needs sparse tensors, which pynet has not");
    return (PyObject *)pn_gather(SELF, d, idx);
}

static PyObject *m_index_select(PyObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"dim", "index", NULL};
    long long dim;
    int d;
    PyObject *io;
    PNTensor *idx;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "LO:index_select", kwlist, &dim, &io) ||
        index_arg(io, &idx, "index_select") < 0 || dim_arg(SELF, dim, &d, "index_select") < 0)
        return NULL;
    return (PyObject *)pn_index_select(SELF, d, idx);
}

/* A Python number (or one-element tensor) as a 0-d tensor of dtype dt. */
static PNTensor *value_tensor(PyObject *v, pn_dtype dt, const char *op) {
    PyObject *num = PNTensor_Check(v) ? pn_item((PNTensor *)v) : (Py_INCREF(v), v);
    if (!num) return NULL;
    pn_operand o;
    int r = pn_operand_from(num, &o);
    PNTensor *t = NULL, *unused = NULL;
    if (r == 0)
        PyErr_Format(PyExc_TypeError, "%s(): argument 'value' must be Number, not %s", op,
                     Py_TYPE(num)->tp_name);
    char buf[8];
    if (r > 0 && pn_prepare_operand(&o, dt, &unused, buf) == 0 && (t = pn_empty(dt, 0, NULL)))
        memcpy(t->data, buf, pn_itemsize(dt));
    Py_XDECREF(unused);
    Py_DECREF(num);
    return t;
}

/* scatter(dim, index, src | value, *, reduce=None) and scatter_add(dim, index, src),
 * out of place or in place */
static PyObject *scatter_method(PyObject *self, PyObject *args, PyObject *kw, int add,
                                int inplace) {
    static char *kwlist[] = {"dim", "index", "src", "value", "reduce", NULL};
    static char *kwlist_add[] = {"dim", "index", "src", NULL};
    const char *op =
        add ? (inplace ? "scatter_add_" : "scatter_add") : (inplace ? "scatter_" : "scatter");
    long long dim;
    int d;
    PyObject *io, *src = NULL, *value = NULL;
    const char *reduce = NULL;
    char fmt[40];
    snprintf(fmt, sizeof fmt, "%s:%s", add ? "LOO" : "LO|OO$z", op);
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, add ? kwlist_add : kwlist, &dim, &io, &src,
                                     &value, &reduce))
        return NULL;
    PNTensor *idx;
    if (index_arg(io, &idx, op) < 0 || dim_arg(SELF, dim, &d, op) < 0) return NULL;
    if (src == Py_None) src = NULL;
    if (value == Py_None) value = NULL;
    if (src && !PNTensor_Check(src) && !value && !add) value = src, src = NULL;
    if (!src == !value)
        return PyErr_Format(PyExc_TypeError,
                            "%s(): expected exactly one of 'src' (a Tensor) or "
                            "'value' (a number)",
                            op);
    if (src && !PNTensor_Check(src))
        return PyErr_Format(PyExc_TypeError, "%s(): argument 'src' must be Tensor, not %s", op,
                            Py_TYPE(src)->tp_name);
    int acc = add;
    if (reduce && !strcmp(reduce, "add")) {
        acc = 1;
    } else if (reduce && !strcmp(reduce, "multiply")) {
        return PyErr_Format(PyExc_NotImplementedError,
                            "%s(): reduce='multiply' is not supported by pynet", op);
    } else if (reduce) {
        return PyErr_Format(PyExc_RuntimeError, "reduce argument must be either add or multiply.");
    }
    PNTensor *s = src ? (Py_INCREF(src), (PNTensor *)src) : value_tensor(value, SELF->dtype, op);
    if (!s) return NULL;
    PyObject *r = inplace ? pn_scatter_inplace(SELF, d, idx, s, !src, acc)
                          : (PyObject *)pn_scatter(SELF, d, idx, s, !src, acc);
    Py_DECREF(s);
    return r;
}
static PyObject *m_scatter(PyObject *s, PyObject *a, PyObject *k) {
    return scatter_method(s, a, k, 0, 0);
}
static PyObject *m_scatter_(PyObject *s, PyObject *a, PyObject *k) {
    return scatter_method(s, a, k, 0, 1);
}
static PyObject *m_scatter_add(PyObject *s, PyObject *a, PyObject *k) {
    return scatter_method(s, a, k, 1, 0);
}
static PyObject *m_scatter_add_(PyObject *s, PyObject *a, PyObject *k) {
    return scatter_method(s, a, k, 1, 1);
}

static PyObject *tri_method(PyObject *self, PyObject *args, PyObject *kw, int lower, int inplace) {
    static char *kwlist[] = {"diagonal", NULL};
    long long k = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|L", kwlist, &k)) return NULL;
    return inplace ? pn_tri_inplace(SELF, k, lower) : (PyObject *)pn_tri(SELF, k, lower);
}
static PyObject *m_tril(PyObject *s, PyObject *a, PyObject *k) {
    return tri_method(s, a, k, 1, 0);
}
static PyObject *m_tril_(PyObject *s, PyObject *a, PyObject *k) {
    return tri_method(s, a, k, 1, 1);
}
static PyObject *m_triu(PyObject *s, PyObject *a, PyObject *k) {
    return tri_method(s, a, k, 0, 0);
}
static PyObject *m_triu_(PyObject *s, PyObject *a, PyObject *k) {
    return tri_method(s, a, k, 0, 1);
}

#define MK(name, doc) \
    {#name, (PyCFunction)(void (*)(void))m_##name, METH_VARARGS | METH_KEYWORDS, doc}

static PyMethodDef seq_methods[] = {
    MK(sort, "sort($self, /, dim=-1, descending=False, *, stable=False)\n--\n\n"
             "(values, indices): the elements sorted along dim (stable; NaN is largest)."),
    MK(argsort, "argsort($self, /, dim=-1, descending=False, *, stable=False)\n--\n\n"
                "The indices that sort the tensor along dim (stable; NaN is largest)."),
    MK(topk, "topk($self, /, k, dim=-1, largest=True, sorted=True)\n--\n\n"
             "(values, indices) of the k largest (or smallest) elements along dim; ties keep "
             "their order."),
    MK(cumsum, "cumsum($self, /, dim, *, dtype=None)\n--\n\n"
               "Cumulative sums along dim (bool and int64 inputs sum in int64)."),
    MK(cumprod, "cumprod($self, /, dim, *, dtype=None)\n--\n\n"
                "Cumulative products along dim (bool and int64 inputs multiply in int64)."),
    MK(gather, "gather($self, /, dim, index, *, sparse_grad=False)\n--\n\n"
               "out[i][j] = self[index[i][j]][j] (dim 0), shaped like index."),
    MK(scatter, "scatter($self, /, dim, index, src=None, value=None, *, reduce=None)\n--\n\n"
                "A copy with src's elements (or value) written at index along dim."),
    MK(scatter_, "scatter_($self, /, dim, index, src=None, value=None, *, reduce=None)\n--\n\n"
                 "In place: write src's elements (or value) at index along dim."),
    MK(scatter_add, "scatter_add($self, /, dim, index, src)\n--\n\n"
                    "A copy with src's elements added at index along dim (repeats add up)."),
    MK(scatter_add_, "scatter_add_($self, /, dim, index, src)\n--\n\n"
                     "In place: add src's elements at index along dim (repeats add up)."),
    MK(index_select, "index_select($self, /, dim, index)\n--\n\n"
                     "The slices of self at the positions in the 1-D index along dim."),
    MK(tril, "tril($self, /, diagonal=0)\n--\n\n"
             "The lower triangle of the last two dims (j - i <= diagonal), the rest zero."),
    MK(tril_, "tril_($self, /, diagonal=0)\n--\n\n"
              "In place: zero the elements above the diagonal of the last two dims."),
    MK(triu, "triu($self, /, diagonal=0)\n--\n\n"
             "The upper triangle of the last two dims (j - i >= diagonal), the rest zero."),
    MK(triu_, "triu_($self, /, diagonal=0)\n--\n\n"
              "In place: zero the elements below the diagonal of the last two dims."),
    {NULL, NULL, 0, NULL}};

/* Add these methods to the (readied) TensorBase type. */
int pn_tensor_seq_methods_init(PyTypeObject *type) {
    for (PyMethodDef *m = seq_methods; m->ml_name; m++) {
        PyObject *descr = PyDescr_NewMethod(type, m);
        int rc = descr ? PyDict_SetItemString(type->tp_dict, m->ml_name, descr) : -1;
        Py_XDECREF(descr);
        if (rc < 0) return -1;
    }
    PyType_Modified(type);
    return 0;
}
