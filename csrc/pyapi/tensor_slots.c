/* pyapi/tensor_slots.c - Python operators on tensors: + - * / // % ** @ & | ^ ~,
 * comparisons, len(), t[i], t[i] = v, bool(), int(), float(). */
#include "pyapi.h"

/* a op b where either side may be the tensor (Python tries a.__add__, then
 * b.__radd__; both land here). Not a number or tensor: NotImplemented. */
static PyObject *slot_binary(pn_binary_op op, PyObject *a, PyObject *b) {
    pn_operand oa, ob;
    int ra = pn_operand_from(a, &oa);
    if (ra < 0) return NULL;
    int rb = pn_operand_from(b, &ob);
    if (rb < 0) return NULL;
    if (!ra || !rb) Py_RETURN_NOTIMPLEMENTED;
    /* 2 * t arrives here as (2, t); like torch (t.__rmul__(2) is t * 2), put the
     * tensor first for + and *, so grad_fn.next_functions read the same. */
    if (!oa.t && ob.t && (op == PN_ADD || op == PN_MUL)) return (PyObject *)pn_binary(op, b, a);
    return (PyObject *)pn_binary(op, a, b);
}

static PyObject *slot_inplace(pn_binary_op op, PyObject *a, PyObject *b) {
    pn_operand ob;
    int rb = pn_operand_from(b, &ob);
    if (rb < 0) return NULL;
    if (!rb || !PNTensor_Check(a)) Py_RETURN_NOTIMPLEMENTED;
    return pn_binary_inplace(op, (PNTensor *)a, b);
}

#define SLOT2(NAME, OP) \
    static PyObject *NAME(PyObject *a, PyObject *b) { \
        return slot_binary(OP, a, b); \
    } \
    static PyObject *NAME##_inplace(PyObject *a, PyObject *b) { \
        return slot_inplace(OP, a, b); \
    }
SLOT2(nb_add, PN_ADD)
SLOT2(nb_sub, PN_SUB)
SLOT2(nb_mul, PN_MUL)
SLOT2(nb_truediv, PN_DIV)
SLOT2(nb_floordiv, PN_FLOORDIV)
SLOT2(nb_rem, PN_REM)
SLOT2(nb_and, PN_AND)
SLOT2(nb_or, PN_OR)
SLOT2(nb_xor, PN_XOR)

static PyObject *nb_pow(PyObject *a, PyObject *b, PyObject *mod) {
    if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return slot_binary(PN_POW, a, b);
}
static PyObject *nb_pow_inplace(PyObject *a, PyObject *b, PyObject *mod) {
    if (mod != Py_None) Py_RETURN_NOTIMPLEMENTED;
    return slot_inplace(PN_POW, a, b);
}

static PyObject *nb_matmul(PyObject *a, PyObject *b) {
    if (!PNTensor_Check(a) || !PNTensor_Check(b)) Py_RETURN_NOTIMPLEMENTED;
    return (PyObject *)pn_matmul((PNTensor *)a, (PNTensor *)b, "matmul");
}

static PyObject *nb_neg(PyObject *a) {
    return (PyObject *)pn_unary(PN_NEG, (PNTensor *)a);
}
static PyObject *nb_pos(PyObject *a) {
    Py_INCREF(a);
    return a;
}
static PyObject *nb_abs(PyObject *a) {
    return (PyObject *)pn_unary(PN_ABS, (PNTensor *)a);
}
static PyObject *nb_invert(PyObject *a) {
    PNTensor *t = (PNTensor *)a;
    if (pn_is_float(t->dtype)) {
        PyErr_Format(PyExc_TypeError,
                     "~ (bitwise_not) is only defined for bool and integer "
                     "tensors, got %s",
                     pn_dtype_name(t->dtype));
        return NULL;
    }
    return (PyObject *)pn_unary(PN_NOT, t);
}

/* The one value of a one-element tensor, as a Python number. */
PyObject *pn_item(PNTensor *t) {
    if (t->numel != 1) {
        PyErr_Format(PyExc_RuntimeError,
                     "a Tensor with %lld elements cannot be converted to "
                     "Scalar",
                     (long long)t->numel);
        return NULL;
    }
    switch (t->dtype) {
    case PN_FLOAT32:
        return PyFloat_FromDouble(*(float *)t->data);
    case PN_FLOAT64:
        return PyFloat_FromDouble(*(double *)t->data);
    case PN_INT64:
        return PyLong_FromLongLong(*(int64_t *)t->data);
    default:
        return PyBool_FromLong(*(uint8_t *)t->data);
    }
}

static int nb_bool(PyObject *a) {
    PNTensor *t = (PNTensor *)a;
    if (t->numel != 1) {
        PyErr_Format(PyExc_RuntimeError, "Boolean value of Tensor with %s values is ambiguous",
                     t->numel == 0 ? "no" : "more than one");
        return -1;
    }
    PyObject *v = pn_item(t);
    if (!v) return -1;
    int r = PyObject_IsTrue(v);
    Py_DECREF(v);
    return r;
}
static int one_element(PyObject *a) {
    if (((PNTensor *)a)->numel == 1) return 1;
    PyErr_SetString(PyExc_ValueError, "only one element tensors can be converted to Python "
                                      "scalars");
    return 0;
}
static PyObject *nb_int(PyObject *a) {
    if (!one_element(a)) return NULL;
    PyObject *v = pn_item((PNTensor *)a);
    if (!v) return NULL;
    PyObject *r = PyNumber_Long(v);
    Py_DECREF(v);
    return r;
}
static PyObject *nb_float(PyObject *a) {
    if (!one_element(a)) return NULL;
    PyObject *v = pn_item((PNTensor *)a);
    if (!v) return NULL;
    PyObject *r = PyNumber_Float(v);
    Py_DECREF(v);
    return r;
}
static PyObject *nb_index(PyObject *a) {
    PNTensor *t = (PNTensor *)a;
    if (t->numel != 1 || pn_is_float(t->dtype)) {
        PyErr_SetString(PyExc_TypeError, "only integer tensors of a single element can be "
                                         "converted to an index");
        return NULL;
    }
    PyObject *v = pn_item(t); /* an int or a bool */
    if (!v) return NULL;
    PyObject *r = PyNumber_Long(v);
    Py_DECREF(v);
    return r;
}

PyNumberMethods pn_tensor_as_number = {
    .nb_add = nb_add,
    .nb_subtract = nb_sub,
    .nb_multiply = nb_mul,
    .nb_remainder = nb_rem,
    .nb_power = nb_pow,
    .nb_negative = nb_neg,
    .nb_positive = nb_pos,
    .nb_absolute = nb_abs,
    .nb_bool = nb_bool,
    .nb_invert = nb_invert,
    .nb_and = nb_and,
    .nb_xor = nb_xor,
    .nb_or = nb_or,
    .nb_int = nb_int,
    .nb_float = nb_float,
    .nb_inplace_add = nb_add_inplace,
    .nb_inplace_subtract = nb_sub_inplace,
    .nb_inplace_multiply = nb_mul_inplace,
    .nb_inplace_remainder = nb_rem_inplace,
    .nb_inplace_power = nb_pow_inplace,
    .nb_inplace_and = nb_and_inplace,
    .nb_inplace_xor = nb_xor_inplace,
    .nb_inplace_or = nb_or_inplace,
    .nb_floor_divide = nb_floordiv,
    .nb_true_divide = nb_truediv,
    .nb_inplace_floor_divide = nb_floordiv_inplace,
    .nb_inplace_true_divide = nb_truediv_inplace,
    .nb_index = nb_index,
    .nb_matrix_multiply = nb_matmul,
};

PyObject *pn_tensor_richcompare(PyObject *a, PyObject *b, int op) {
    static const pn_binary_op ops[] = {[Py_LT] = PN_LT, [Py_LE] = PN_LE, [Py_EQ] = PN_EQ,
                                       [Py_NE] = PN_NE, [Py_GT] = PN_GT, [Py_GE] = PN_GE};
    return slot_binary(ops[op], a, b);
}

static Py_ssize_t mp_length(PyObject *a) {
    PNTensor *t = (PNTensor *)a;
    if (t->ndim == 0) {
        PyErr_SetString(PyExc_TypeError, "len() of a 0-d tensor");
        return -1;
    }
    return (Py_ssize_t)t->shape[0];
}
static PyObject *mp_subscript(PyObject *a, PyObject *index) {
    return pn_getitem((PNTensor *)a, index);
}
static int mp_ass_subscript(PyObject *a, PyObject *index, PyObject *v) {
    return pn_setitem((PNTensor *)a, index, v);
}

PyMappingMethods pn_tensor_as_mapping = {mp_length, mp_subscript, mp_ass_subscript};
