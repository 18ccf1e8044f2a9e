/* pyapi/seq_methods.c - the Tensor methods of the sequence ops: sort, argsort,
 * topk, cumsum, cumprod, gather, scatter(_), scatter_add(_), index_select,
 * tril(_), triu(_). Each docstring starts with the signature help() shows. */
#include "pyapi.h"
#include <string.h>

#define SELF           ((PNTensor *)self)
#define PARSE(spec, a) (pn_parse_args(spec, args, nargs, kwnames, a) < 0)

static int dim_arg(PNTensor *t, long long dim, int *out, const char *op) {
    return pn_wrap_dim(dim, t->ndim, out, op);
}

static int index_arg(PyObject *o, PNTensor **out, const char *op) {
    *out = pn_tensor_arg(o, op, "index");
    return *out ? 0 : -1;
}

static const char *const DIM_DESC_STABLE[] = {"dim", "descending", "stable"};
static PyObject *m_sort(PyObject *self, FASTARGS) {
    static pn_argspec spec = PN_ARGSPEC("sort", DIM_DESC_STABLE, 3, 2, 0);
    PyObject *a[3]; /* a[2], stable: any value, the sort is always stable */
    long long dim;
    int desc, d;
    if (PARSE(&spec, a) || pn_arg_ll(a[0], -1, &dim) < 0 || pn_arg_bool(a[1], 0, &desc) < 0)
        return NULL;
    PNTensor *v, *ix;
    if (dim_arg(SELF, dim, &d, "sort") < 0 || pn_sort(SELF, d, desc, &v, &ix) < 0) return NULL;
    return pn_make_values_indices(v, ix, "sort");
}

static PyObject *m_argsort(PyObject *self, FASTARGS) {
    static pn_argspec spec = PN_ARGSPEC("argsort", DIM_DESC_STABLE, 3, 2, 0);
    PyObject *a[3];
    long long dim;
    int desc, stable, d;
    if (PARSE(&spec, a) || pn_arg_ll(a[0], -1, &dim) < 0 || pn_arg_bool(a[1], 0, &desc) < 0 ||
        pn_arg_bool(a[2], 0, &stable) < 0)
        return NULL;
    if (dim_arg(SELF, dim, &d, "argsort") < 0) return NULL;
    return (PyObject *)pn_argsort(SELF, d, desc);
}

static PyObject *m_topk(PyObject *self, FASTARGS) {
    static const char *const names[] = {"k", "dim", "largest", "sorted"};
    static pn_argspec spec = PN_ARGSPEC("topk", names, 4, 4, 1);
    PyObject *a[4];
    long long k, dim;
    int largest, sorted, d;
    if (PARSE(&spec, a) || pn_arg_ll(a[0], 0, &k) < 0 || pn_arg_ll(a[1], -1, &dim) < 0 ||
        pn_arg_bool(a[2], 1, &largest) < 0 || pn_arg_bool(a[3], 1, &sorted) < 0)
        return NULL;
    PNTensor *v, *ix;
    if (dim_arg(SELF, dim, &d, "topk") < 0 || pn_topk(SELF, k, d, largest, &v, &ix) < 0)
        return NULL;
    return pn_make_values_indices(v, ix, "topk");
}

static PyObject *scan_method(PyObject *self, FASTARGS, int prod) {
    static const char *const names[] = {"dim", "dtype"};
    static pn_argspec spec[2] = {PN_ARGSPEC("cumsum", names, 2, 1, 1),
                                 PN_ARGSPEC("cumprod", names, 2, 1, 1)};
    const char *op = prod ? "cumprod" : "cumsum";
    PyObject *a[2];
    long long dim;
    int d;
    int dt = -1; /* pn_dtype_converter writes an int: -1 for None */
    if (PARSE(&spec[prod], a) || pn_arg_ll(a[0], 0, &dim) < 0 ||
        (a[1] && !pn_dtype_converter(a[1], &dt)) || dim_arg(SELF, dim, &d, op) < 0)
        return NULL;
    pn_dtype t = dt >= 0 ? (pn_dtype)dt : PN_INT64;
    return (PyObject *)(prod ? pn_cumprod(SELF, d, dt >= 0, t) : pn_cumsum(SELF, d, dt >= 0, t));
}
static PyObject *m_cumsum(PyObject *s, FASTARGS) {
    return scan_method(s, args, nargs, kwnames, 0);
}
static PyObject *m_cumprod(PyObject *s, FASTARGS) {
    return scan_method(s, args, nargs, kwnames, 1);
}

static PyObject *m_gather(PyObject *self, FASTARGS) {
    static const char *const names[] = {"dim", "index", "sparse_grad"};
    static pn_argspec spec = PN_ARGSPEC("gather", names, 3, 2, 2);
    PyObject *a[3];
    long long dim;
    int d, sparse;
    PNTensor *idx;
    if (PARSE(&spec, a) || pn_arg_ll(a[0], 0, &dim) < 0 || pn_arg_bool(a[2], 0, &sparse) < 0 ||
        index_arg(a[1], &idx, "gather") < 0 || dim_arg(SELF, dim, &d, "gather") < 0)
        return NULL;
    if (sparse)
        return PyErr_Format(PyExc_NotImplementedError,
                            "gather(): sparse_grad=True needs sparse tensors, which pynet has not");
    return (PyObject *)pn_gather(SELF, d, idx);
}

static PyObject *m_index_select(PyObject *self, FASTARGS) {
    static const char *const names[] = {"dim", "index"};
    static pn_argspec spec = PN_ARGSPEC("index_select", names, 2, 2, 2);
    PyObject *a[2];
    long long dim;
    int d;
    PNTensor *idx;
    if (PARSE(&spec, a) || pn_arg_ll(a[0], 0, &dim) < 0 ||
        index_arg(a[1], &idx, "index_select") < 0 || dim_arg(SELF, dim, &d, "index_select") < 0)
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
static PyObject *scatter_method(PyObject *self, FASTARGS, int add, int inplace) {
    static const char *const names[] = {"dim", "index", "src", "value", "reduce"};
    static pn_argspec spec[4] = {
        PN_ARGSPEC("scatter", names, 5, 4, 2), PN_ARGSPEC("scatter_", names, 5, 4, 2),
        PN_ARGSPEC("scatter_add", names, 3, 3, 3), PN_ARGSPEC("scatter_add_", names, 3, 3, 3)};
    pn_argspec *sp = &spec[2 * add + inplace];
    const char *op = sp->fname;
    PyObject *a[5];
    long long dim;
    int d;
    if (PARSE(sp, a) || pn_arg_ll(a[0], 0, &dim) < 0) return NULL;
    PyObject *src = a[2], *value = add ? NULL : a[3];
    const char *reduce = NULL;
    if (!add && a[4] && a[4] != Py_None) {
        if (!PyUnicode_Check(a[4]))
            return PyErr_Format(PyExc_TypeError,
                                "%s(): argument 'reduce' must be str or None, not %s", op,
                                Py_TYPE(a[4])->tp_name);
        if (!(reduce = PyUnicode_AsUTF8(a[4]))) return NULL;
    }
    PNTensor *idx;
    if (index_arg(a[1], &idx, op) < 0 || dim_arg(SELF, dim, &d, op) < 0) return NULL;
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
/* m_NAME: IMPL with two flags (scatter: add, in place; tril/triu: lower, in place) */
#define FLAGGED_METHOD(NAME, IMPL, F1, F2) \
    static PyObject *m_##NAME(PyObject *s, FASTARGS) { \
        return IMPL(s, args, nargs, kwnames, F1, F2); \
    }
FLAGGED_METHOD(scatter, scatter_method, 0, 0)
FLAGGED_METHOD(scatter_, scatter_method, 0, 1)
FLAGGED_METHOD(scatter_add, scatter_method, 1, 0)
FLAGGED_METHOD(scatter_add_, scatter_method, 1, 1)

/* cummax(dim), cummin(dim): (values, indices); logcumsumexp(dim) */
static PyObject *dim_only_method(PyObject *self, FASTARGS, int kind) {
    static const char *const names[] = {"dim"};
    static pn_argspec spec[3] = {PN_ARGSPEC("cummax", names, 1, 1, 1),
                                 PN_ARGSPEC("cummin", names, 1, 1, 1),
                                 PN_ARGSPEC("logcumsumexp", names, 1, 1, 1)};
    PyObject *a[1];
    long long dim;
    int d;
    if (PARSE(&spec[kind], a) || pn_arg_ll(a[0], 0, &dim) < 0 ||
        dim_arg(SELF, dim, &d, spec[kind].fname) < 0)
        return NULL;
    if (kind == 2) return (PyObject *)pn_logcumsumexp(SELF, d);
    PNTensor *v, *ix;
    if (pn_cum_extreme_op(SELF, d, kind == 0, &v, &ix) < 0) return NULL;
    return pn_make_values_indices(v, ix, spec[kind].fname);
}
static PyObject *m_cummax(PyObject *s, FASTARGS) {
    return dim_only_method(s, args, nargs, kwnames, 0);
}
static PyObject *m_cummin(PyObject *s, FASTARGS) {
    return dim_only_method(s, args, nargs, kwnames, 1);
}
static PyObject *m_logcumsumexp(PyObject *s, FASTARGS) {
    return dim_only_method(s, args, nargs, kwnames, 2);
}

static PyObject *tri_method(PyObject *self, FASTARGS, int lower, int inplace) {
    static const char *const names[] = {"diagonal"};
    static pn_argspec spec[4] = {
        PN_ARGSPEC("triu", names, 1, 1, 0), PN_ARGSPEC("triu_", names, 1, 1, 0),
        PN_ARGSPEC("tril", names, 1, 1, 0), PN_ARGSPEC("tril_", names, 1, 1, 0)};
    PyObject *a[1];
    long long k;
    if (PARSE(&spec[2 * lower + inplace], a) || pn_arg_ll(a[0], 0, &k) < 0) return NULL;
    return inplace ? pn_tri_inplace(SELF, k, lower) : (PyObject *)pn_tri(SELF, k, lower);
}
FLAGGED_METHOD(tril, tri_method, 1, 0)
FLAGGED_METHOD(tril_, tri_method, 1, 1)
FLAGGED_METHOD(triu, tri_method, 0, 0)
FLAGGED_METHOD(triu_, tri_method, 0, 1)

/* _flip(mask): Tensor.flip's kernel once it has checked the dims (bit d: reverse dim d) */
static PyObject *m__flip(PyObject *self, PyObject *arg) {
    unsigned long mask = PyLong_AsUnsignedLong(arg);
    if (mask == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    if (mask >> SELF->ndim)
        return PyErr_Format(PyExc_IndexError, "flip: dims mask %lu out of range for %d dims", mask,
                            SELF->ndim);
    return (PyObject *)pn_flip(SELF, (uint32_t)mask);
}

#define MK(name, doc) \
    {#name, (PyCFunction)(void (*)(void))m_##name, METH_FASTCALL | METH_KEYWORDS, doc}

static PyMethodDef seq_methods[] = {
    {"_flip", m__flip, METH_O,
     "_flip($self, mask, /)\n--\n\nflip's kernel: a copy reversed along the dims whose bit is "
     "set in mask."},
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
    MK(cummax, "cummax($self, /, dim)\n--\n\n"
               "(values, indices): the running maximum along dim and its position (the last "
               "among equal values; NaN from where it appears)."),
    MK(cummin, "cummin($self, /, dim)\n--\n\n"
               "(values, indices): the running minimum along dim and its position (the last "
               "among equal values; NaN from where it appears)."),
    MK(logcumsumexp, "logcumsumexp($self, /, dim)\n--\n\n"
                     "log(cumsum(exp(self))) along dim, computed without overflow."),
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
