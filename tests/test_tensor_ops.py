"""Elementwise, unary, reduction and matmul ops: pynet vs NumPy (always) and torch (if present).

Every test builds its inputs as NumPy arrays, makes identical pynet / torch tensors from them and
compares values, dtype and shape with conftest.check.
"""
import math
import operator
import warnings

import numpy as np
import pytest

import pynet
from conftest import (DTYPES, FLOAT_DTYPES, P, T, check, dname, expected_exc, pdt, rand_np, tdt,
                      to_np, torch)

HAS_TORCH = torch is not None


def tref(fn, *arrays):
    """fn applied to torch copies of the NumPy inputs, or None without torch."""
    if not HAS_TORCH:
        return None
    return fn(*[T(a) if isinstance(a, np.ndarray) else a for a in arrays])


def both(pn_out, np_ref, t_ref, rtol=1e-6, atol=0.0, np_dtype=False):
    """Check pynet against NumPy (values/shape, dtype if np_dtype) and torch (values/shape/dtype)."""
    check(pn_out, np_ref, rtol=rtol, atol=atol, dtype=np_dtype)
    if t_ref is not None:
        check(pn_out, t_ref, rtol=rtol, atol=atol, dtype=True)


def torch_parity(t_call, p_call, np_call=None, **kw):
    """Compare p_call() with t_call(). If torch raises, pynet must raise the same type, except
    NotImplementedError (torch lacks a kernel for that dtype): pynet may then also refuse, or
    return NumPy's result np_call() (when given)."""
    try:
        t_out = t_call()
    except NotImplementedError:
        try:
            out = p_call()
        except (NotImplementedError, RuntimeError, TypeError, ArithmeticError):
            return
        assert np_call is not None, "torch has no kernel for this and pynet gave a result"
        with np.errstate(all="ignore"):
            check(out, np_call(), dtype=False, **kw)  # NumPy's bool-op dtypes are not torch's
        return
    except Exception as e:
        with pytest.raises(expected_exc(type(e))):
            p_call()
        return
    check(p_call(), t_out, **kw)


def has_bool(*xs):
    """True if any operand is a bool tensor/array or a Python bool."""
    for x in xs:
        if isinstance(x, bool):
            return True
        dt = getattr(x, "dtype", None)
        if dt is not None and dname(dt) == "bool":
            return True
    return False


def tol(dtype):
    """float64 inputs: float64 results; int64/float32 inputs: float32 (or exact integer) results."""
    return dict(rtol=1e-12, atol=0.0) if dtype == "float64" else dict(rtol=1e-6, atol=0.0)


# ---------------------------------------------------------------------------------------------
# binary ops
# ---------------------------------------------------------------------------------------------
ARITH = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
}
CMP = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
    "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}


def maximum(lib):
    return {"pn": pynet.maximum, "np": np.maximum, "t": getattr(torch, "maximum", None)}[lib]


def minimum(lib):
    return {"pn": pynet.minimum, "np": np.minimum, "t": getattr(torch, "minimum", None)}[lib]


def binary_inputs(name, dtype, shape_a, shape_b, seed=0):
    """Inputs with a sane domain for the op (no int division by zero, no negative int powers)."""
    if name == "pow":
        if dtype == "int64":
            a = rand_np(shape_a, dtype, seed, -3, 3)
            b = rand_np(shape_b, dtype, seed + 1, 0, 3)
        else:
            a = rand_np(shape_a, dtype, seed, 0.1, 3)
            b = rand_np(shape_b, dtype, seed + 1, -2, 2)
        return a, b
    a = rand_np(shape_a, dtype, seed, -5, 5)
    b = rand_np(shape_b, dtype, seed + 1, -5, 5, nonzero=name in ("truediv", "floordiv", "mod"))
    return a, b


def apply_np(fn, a, b):
    with np.errstate(all="ignore"):
        return fn(a, b)


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
@pytest.mark.parametrize("name", list(ARITH) + list(CMP))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)),
                                    ((1,), (5,)), ((), (3,)), ((2, 3), ()), ((), ())])
def test_binary_broadcast(name, dtype, shapes):
    fn = {**ARITH, **CMP}[name]
    a, b = binary_inputs(name, dtype, *shapes)
    out = fn(P(a), P(b))
    np_ref = apply_np(fn, a, b)
    # NumPy and torch agree on the result dtype except int/int true division (float64 vs float32)
    np_dtype = not (name == "truediv" and dtype == "int64")
    both(out, np_ref, tref(fn, a, b), np_dtype=np_dtype, **tol(dtype))


@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
@pytest.mark.parametrize("fname", ["maximum", "minimum"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)),
                                    ((), (3,))])
def test_maximum_minimum(fname, dtype, shapes):
    get = maximum if fname == "maximum" else minimum
    a, b = binary_inputs(fname, dtype, *shapes)
    out = get("pn")(P(a), P(b))
    both(out, get("np")(a, b), tref(get("t"), a, b) if HAS_TORCH else None, np_dtype=True)
    # method form
    check(getattr(P(a), fname)(P(b)), get("np")(a, b))


@pytest.mark.parametrize("fname", ["add", "sub", "mul", "div", "floor_divide", "remainder", "pow",
                                   "true_divide", "eq", "ne", "lt", "le", "gt", "ge"])
def test_binary_method_and_function_forms(fname, need_torch):
    a, b = binary_inputs("pow" if fname == "pow" else "truediv", "float32", (2, 3), (3,))
    t_ref = getattr(T(a), fname)(T(b))
    check(getattr(P(a), fname)(P(b)), t_ref)
    check(getattr(pynet, fname)(P(a), P(b)), t_ref)


def test_add_sub_alpha(need_torch):
    a, b = rand_np((3,), "float32"), rand_np((3,), "float32", 1)
    try:
        out = P(a).add(P(b), alpha=2)
    except TypeError:
        pytest.fail("Tensor.add(other, alpha=2) is not supported")
    check(out, T(a).add(T(b), alpha=2))
    check(P(a).sub(P(b), alpha=3), T(a).sub(T(b), alpha=3))


# --- Python scalars on either side -----------------------------------------------------------
SCALARS = [2, -3, 2.5, -0.75, True, False]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "floordiv", "mod", "pow",
                                  "eq", "ne", "lt", "le", "gt", "ge"])
@pytest.mark.parametrize("reverse", [False, True], ids=["tensor_op_scalar", "scalar_op_tensor"])
def test_scalar_operands(name, dtype, scalar, reverse, need_torch):
    fn = {**ARITH, **CMP}[name]
    if name == "pow":
        a = rand_np((2, 3), dtype, 0, 0, 3) if dtype != "bool" else rand_np((2, 3), dtype)
    else:
        a = rand_np((2, 3), dtype, 0, -5, 5, nonzero=reverse)
    if reverse and name in ("truediv", "floordiv", "mod"):
        a[a == 0] = 1  # (bool: all True) no integer division by zero
    if name == "sub" and has_bool(a, scalar):
        pytest.skip("bool subtraction is an error: test_errors.py::test_bool_subtraction_raises")
    if name in ("floordiv", "mod") and not reverse and scalar in (0, False) \
            and dtype in ("int64", "bool") and not isinstance(scalar, float):
        pytest.skip("integer division by zero: test_errors.py::test_integer_division_by_zero")
    call = (lambda x: fn(scalar, x)) if reverse else (lambda x: fn(x, scalar))
    torch_parity(lambda: call(T(a)), lambda: call(P(a)),
                 lambda: call(a) if dtype == "bool" and isinstance(scalar, bool) else None,
                 rtol=1e-6)


# --- type promotion -------------------------------------------------------------------------
def promo_operand(kind, seed):
    """(pynet value, torch value) for an operand kind like 'float32', '0d:int64', 'py:float'."""
    if kind.startswith("py:"):
        v = {"py:int": 3, "py:float": 1.5, "py:bool": True}[kind]
        return v, v
    if kind.startswith("0d:"):
        a = rand_np((), kind[3:], seed, 1, 4, nonzero=True)
    else:
        a = rand_np((4,), kind, seed, 1, 4, nonzero=True)
    if a.dtype != np.bool_:
        a = np.abs(a) + (1 if a.dtype.kind == "i" else 0.5)
    return P(a), T(a)


PROMO_KINDS = DTYPES + ["0d:" + d for d in DTYPES] + ["py:int", "py:float", "py:bool"]


@pytest.mark.parametrize("lhs", PROMO_KINDS)
@pytest.mark.parametrize("rhs", PROMO_KINDS)
@pytest.mark.parametrize("name", ["add", "mul", "truediv", "lt"])
def test_type_promotion(name, lhs, rhs, need_torch):
    if lhs.startswith("py:") and rhs.startswith("py:"):
        pytest.skip("two Python scalars: no tensor involved")
    fn = {**ARITH, **CMP}[name]
    pa, ta = promo_operand(lhs, 0)
    pb, tb = promo_operand(rhs, 1)
    torch_parity(lambda: fn(ta, tb), lambda: fn(pa, pb))


@pytest.mark.parametrize("a_dtype", DTYPES)
@pytest.mark.parametrize("b_dtype", DTYPES)
@pytest.mark.parametrize("fname", ["maximum", "minimum", "eq", "floor_divide", "remainder", "pow"])
def test_type_promotion_functions(fname, a_dtype, b_dtype, need_torch):
    a = rand_np((2, 3), a_dtype, 0, 1, 3, nonzero=True)
    b = rand_np((3,), b_dtype, 1, 1, 3, nonzero=True)
    if b.dtype == np.bool_:
        b[:] = True  # keep integer division defined
    npf = {"maximum": np.maximum, "minimum": np.minimum, "eq": np.equal,
           "floor_divide": np.floor_divide, "remainder": np.remainder, "pow": np.power}[fname]
    torch_parity(lambda: getattr(torch, fname)(T(a), T(b)),
                 lambda: getattr(pynet, fname)(P(a), P(b)), lambda: npf(a, b))


# --- non-contiguous inputs ------------------------------------------------------------------
LAYOUTS = {
    # name: (base shape, transform) -> every transform yields shape (3, 4)
    "contig": ((3, 4), lambda x, lib: x),
    "transposed": ((4, 3), lambda x, lib: x.T),
    "stepped": ((3, 8), lambda x, lib: x[:, ::2]),
    "stepped_rows": ((7, 5), lambda x, lib: x[::3, 1:]),
    "expanded": ((1, 4), lambda x, lib: np.broadcast_to(x, (3, 4)) if lib == "np"
                 else x.expand(3, 4)),
    "expanded_col": ((3, 1), lambda x, lib: np.broadcast_to(x, (3, 4)) if lib == "np"
                     else x.expand(3, 4)),
    "offset": ((5, 4), lambda x, lib: x[2:]),
}


def layout(name, dtype, seed, **kw):
    shape, f = LAYOUTS[name]
    a = rand_np(shape, dtype, seed, **kw)
    pn = f(P(a), "pn")
    t = f(T(a), "t") if HAS_TORCH else None
    return pn, f(a, "np"), t


@pytest.mark.parametrize("la", list(LAYOUTS))
@pytest.mark.parametrize("lb", ["contig", "transposed", "stepped", "expanded"])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "gt"])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_binary_noncontiguous(name, la, lb, dtype):
    fn = {**ARITH, **CMP}[name]
    pa, na, ta = layout(la, dtype, 0)
    pb, nb, tb = layout(lb, dtype, 1, nonzero=True)
    out = fn(pa, pb)
    np_dtype = not (name == "truediv" and dtype == "int64")
    both(out, apply_np(fn, na, nb), fn(ta, tb) if HAS_TORCH else None, np_dtype=np_dtype)
    assert out.is_contiguous() or out.numel() <= 1 or True  # layout of results is free
    # inputs unchanged
    np.testing.assert_array_equal(to_np(pa), na)


@pytest.mark.parametrize("la", list(LAYOUTS))
@pytest.mark.parametrize("uname", ["neg", "exp", "abs", "sqrt"])
def test_unary_noncontiguous(la, uname):
    pa, na, ta = layout(la, "float32", 3, low=0.5, high=3)
    npf = {"neg": np.negative, "exp": np.exp, "abs": np.abs, "sqrt": np.sqrt}[uname]
    both(getattr(pa, uname)(), npf(na), getattr(ta, uname)() if HAS_TORCH else None,
         np_dtype=True)


# --- empty / 0-d / NaN / inf -----------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((0,), (0,)), ((0, 3), (3,)), ((2, 0), (1, 0)), ((0,), ()),
                                    ((3, 0), (3, 1))])
@pytest.mark.parametrize("name", ["add", "mul", "truediv", "eq", "pow"])
def test_binary_empty(name, shapes):
    fn = {**ARITH, **CMP}[name]
    a = rand_np(shapes[0], "float32")
    b = rand_np(shapes[1], "float32", 1)
    both(fn(P(a), P(b)), apply_np(fn, a, b), tref(fn, a, b), np_dtype=True)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "pow", "lt", "eq"])
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_binary_zero_dim(name, dtype):
    fn = {**ARITH, **CMP}[name]
    a, b = binary_inputs(name, dtype, (), ())
    out = fn(P(a), P(b))
    assert out.ndim == 0 and tuple(out.shape) == ()
    np_dtype = not (name == "truediv" and dtype == "int64")
    both(out, apply_np(fn, a, b), tref(fn, a, b), np_dtype=np_dtype)


SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.5, 1e30], dtype=np.float32)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "truediv", "pow", "floordiv", "mod",
                                  "eq", "ne", "lt", "le", "gt", "ge"])
def test_binary_nan_inf(name, dtype):
    fn = {**ARITH, **CMP}[name]
    a = np.repeat(SPECIALS, len(SPECIALS)).astype(dtype)
    b = np.tile(SPECIALS, len(SPECIALS)).astype(dtype)
    np_ref = apply_np(fn, a, b)
    t_ref = tref(fn, a, b)
    out = fn(P(a), P(b))
    if name in ("floordiv", "mod") and t_ref is not None:
        # NumPy and torch disagree on some inf/0 corner cases of floor division; use torch
        check(out, t_ref)
    else:
        both(out, np_ref, t_ref, np_dtype=True)


@pytest.mark.parametrize("fname", ["maximum", "minimum"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_maximum_minimum_nan_propagates(fname, dtype):
    get = maximum if fname == "maximum" else minimum
    a = np.repeat(SPECIALS, len(SPECIALS)).astype(dtype)
    b = np.tile(SPECIALS, len(SPECIALS)).astype(dtype)
    out = get("pn")(P(a), P(b))
    both(out, get("np")(a, b), tref(get("t"), a, b) if HAS_TORCH else None, np_dtype=True)


# --- in-place -------------------------------------------------------------------------------
INPLACE_OPS = {
    "iadd": (operator.iadd, "add_"), "isub": (operator.isub, "sub_"),
    "imul": (operator.imul, "mul_"), "itruediv": (operator.itruediv, "div_"),
    "ipow": (operator.ipow, "pow_"), "ifloordiv": (operator.ifloordiv, "floor_divide_"),
    "imod": (operator.imod, "remainder_"),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + ["int64"])
@pytest.mark.parametrize("name", list(INPLACE_OPS))
@pytest.mark.parametrize("rhs_shape", [(3, 4), (4,), (1, 4), ()])
@pytest.mark.parametrize("form", ["operator", "method", "scalar"])
def test_inplace(name, dtype, rhs_shape, form):
    op, meth = INPLACE_OPS[name]
    base = name[1:]
    if dtype == "int64" and base == "truediv":
        pytest.skip("int64 /= is an error (covered in test_errors)")
    a, b = binary_inputs(base, dtype, (3, 4), rhs_shape)
    if form == "scalar":
        b = b.reshape(-1)[0].item()
    expected = apply_np(ARITH[base], a, b).astype(a.dtype)
    x = P(a)
    ptr = x.data_ptr()
    rhs = b if form == "scalar" else P(b)
    if form == "method":
        r = getattr(x, meth)(rhs)
        assert r is x, f"{meth} must return self"
    else:
        y = op(x, rhs)
        assert y is x, f"{name} must return the same tensor object"
    assert x.data_ptr() == ptr, "in-place op reallocated storage"
    check(x, expected, dtype=dtype, **tol(dtype))
    if HAS_TORCH:
        tx = T(a)
        getattr(tx, meth)(b if form == "scalar" else T(b))
        check(x, tx, **tol(dtype))


@pytest.mark.parametrize("meth", ["add_", "sub_", "mul_", "div_", "clamp_", "neg_", "abs_", "exp_", "sqrt_", "zero_", "fill_"])
def test_inplace_through_view_updates_base(meth, need_torch):
    a = rand_np((4, 6), "float32", 0, 0.5, 3)
    b = rand_np((2, 3), "float32", 1, 0.5, 3)
    args = {"add_": (P(b),), "sub_": (P(b),), "mul_": (P(b),), "div_": (P(b),),
            "maximum_": (P(b),), "minimum_": (P(b),), "clamp_": (1.0, 2.0), "fill_": (7.0,)}
    targs = {"add_": (T(b),), "sub_": (T(b),), "mul_": (T(b),), "div_": (T(b),),
             "maximum_": (T(b),), "minimum_": (T(b),), "clamp_": (1.0, 2.0), "fill_": (7.0,)}
    x, tx = P(a), T(a)
    v = x[1::2, ::2]            # non-contiguous view
    tv = tx[1::2, ::2]
    if not hasattr(v, meth):
        pytest.fail(f"Tensor.{meth} missing")
    getattr(v, meth)(*args.get(meth, ()))
    getattr(tv, meth)(*targs.get(meth, ()))
    check(v, tv)
    check(x, tx)


@pytest.mark.parametrize("meth", ["maximum_", "minimum_"])
def test_inplace_maximum_minimum_through_view(meth):
    """pynet extension (torch has no Tensor.maximum_): checked against NumPy."""
    a = rand_np((4, 6), "float32", 0)
    b = rand_np((2, 3), "float32", 1)
    x = P(a)
    v = x[1::2, ::2]
    r = getattr(v, meth)(P(b))
    assert r is v
    ref = a.copy()
    ref[1::2, ::2] = (np.maximum if meth == "maximum_" else np.minimum)(a[1::2, ::2], b)
    check(x, ref)


def test_inplace_float32_with_float64_keeps_dtype(need_torch):
    a, b = rand_np((3,), "float32"), rand_np((3,), "float64", 1)
    x, tx = P(a), T(a)
    x += P(b)
    tx += T(b)
    check(x, tx)
    x.mul_(2.5)
    tx.mul_(2.5)
    check(x, tx)


def test_inplace_int_with_bool_and_int(need_torch):
    a = rand_np((5,), "int64")
    m = rand_np((5,), "bool", 3)
    x, tx = P(a), T(a)
    x += P(m)
    tx += T(m)
    check(x, tx)
    x *= 3
    tx *= 3
    check(x, tx)


def test_inplace_on_expanded_rhs_and_self_alias(need_torch):
    a = rand_np((3, 3), "float32")
    x, tx = P(a), T(a)
    x += x.T.contiguous()
    tx += tx.T.contiguous()
    check(x, tx)
    y, ty = P(a), T(a)
    y.mul_(y)
    ty.mul_(ty)
    check(y, ty)


# ---------------------------------------------------------------------------------------------
# unary ops
# ---------------------------------------------------------------------------------------------
def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


UNARY = {
    # name: (numpy reference computed in float64, input domain)
    "neg": (np.negative, (-5, 5)),
    "abs": (np.abs, (-5, 5)),
    "exp": (np.exp, (-10, 10)),
    "log": (np.log, (0.01, 10)),
    "sqrt": (np.sqrt, (0, 10)),
    "sigmoid": (np_sigmoid, (-20, 20)),
    "tanh": (np.tanh, (-5, 5)),
    "relu": (lambda x: np.maximum(x, 0), (-5, 5)),
    "sign": (np.sign, (-5, 5)),
    "reciprocal": (np.reciprocal, (0.1, 5)),
    "square": (np.square, (-5, 5)),
    "sin": (np.sin, (-6, 6)),
    "cos": (np.cos, (-6, 6)),
    "log1p": (np.log1p, (-0.9, 5)),
    "expm1": (np.expm1, (-5, 5)),
    "floor": (np.floor, (-5, 5)),
    "ceil": (np.ceil, (-5, 5)),
    "round": (np.round, (-5, 5)),
    "trunc": (np.trunc, (-5, 5)),
    "log2": (np.log2, (0.01, 10)),
    "log10": (np.log10, (0.01, 10)),
    "erf": (np.vectorize(math.erf, otypes=[np.float64]), (-4, 4)),
    "erfc": (np.vectorize(math.erfc, otypes=[np.float64]), (-3, 9)),
    "tan": (np.tan, (-1.5, 1.5)),
    "atan": (np.arctan, (-10, 10)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0.01, 10)),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("shape", [(7,), (3, 5), (), (0,), (2, 0, 3)])
def test_unary_float(name, dtype, shape):
    npf, (lo, hi) = UNARY[name]
    a = rand_np(shape, dtype, 0, lo, hi)
    ref = npf(a.astype(np.float64)).astype(dtype)
    out = getattr(P(a), name)()
    t_ref = tref(lambda t: getattr(t, name)(), a)
    # float32: reference rounded from float64; sin/cos near zeros need a tiny absolute slack
    atol = 1e-7 if (dtype == "float32" and name in ("sin", "cos")) else 0.0
    both(out, ref, t_ref, np_dtype=True, atol=atol, **{"rtol": tol(dtype)["rtol"]})
    # the pynet.<fn>(x) function form agrees with the method
    check(getattr(pynet, name)(P(a)), to_np(out), dtype=dname(out.dtype), rtol=0)


@pytest.mark.parametrize("name", ["expm1", "log1p", "sin", "tanh", "sqrt"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_unary_small_argument_accuracy(name, dtype):
    """expm1/log1p exist for tiny arguments: exp(x)-1 would lose all relative precision."""
    a = np.array([1e-10, -3e-9, 1e-7, 2e-5, -1e-6], dtype=dtype)
    if name == "sqrt":
        a = np.abs(a)
    ref = getattr(np, name)(a.astype(np.float64)).astype(dtype)
    both(getattr(P(a), name)(), ref, tref(lambda t: getattr(t, name)(), a),
         np_dtype=True, rtol=tol(dtype)["rtol"] * 4)


def test_round_half_to_even():
    a = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997], dtype=np.float32)
    both(P(a).round(), np.round(a), tref(torch.round, a) if HAS_TORCH else None, np_dtype=True)


def test_sign_and_abs_of_zero_and_nan():
    a = np.array([-0.0, 0.0, np.nan, -np.inf, np.inf, -3.0], dtype=np.float32)
    for name, npf in [("abs", np.abs), ("neg", np.negative),
                      ("relu", lambda x: np.where(np.isnan(x), x, np.maximum(x, 0)))]:
        both(getattr(P(a), name)(), npf(a), tref(lambda t: getattr(t, name)(), a), np_dtype=True)
    # sign bit of abs(-0.0) and neg(0.0)
    assert not np.signbit(to_np(P(a).abs())[0])
    assert np.signbit(to_np(-P(a))[1])


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_special_values(name):
    npf = UNARY[name][0]
    a = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0], dtype=np.float32)
    with np.errstate(all="ignore"):
        ref = npf(a.astype(np.float64)).astype(np.float32)
    if name == "sign":  # NumPy: sign(nan) = nan, torch: sign(nan) = 0; pynet should be torch-like
        pytest.importorskip("torch")
        check(P(a).sign(), T(a).sign())
        return
    both(getattr(P(a), name)(), ref, tref(lambda t: getattr(t, name)(), a), np_dtype=True)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_int_bool_dtype(name, dtype, need_torch):
    a = rand_np((6,), dtype, 0, 1, 5)
    try:
        t_out = getattr(T(a), name)()
    except NotImplementedError:
        # torch has no bool kernel for this op; pynet may refuse too, or give NumPy's bool result
        try:
            out = getattr(P(a), name)()
        except (NotImplementedError, RuntimeError, TypeError):
            return
        check(out, UNARY[name][0](a), dtype=False)  # NumPy gives e.g. float16 for round(bool)
        return
    except Exception as e:
        with pytest.raises(expected_exc(type(e))):
            getattr(P(a), name)()
        return
    check(getattr(P(a), name)(), t_out)


@pytest.mark.parametrize("name", ["neg", "abs", "exp", "log", "sqrt", "sigmoid", "tanh", "relu",
                                  "sign", "reciprocal", "square", "sin", "cos", "log1p",
                                  "expm1", "floor", "ceil", "round", "trunc", "log2", "log10",
                                  "erf", "erfc", "tan", "atan", "rsqrt"])
def test_unary_inplace(name, need_torch):
    a = rand_np((3, 4), "float32", 0, 0.1, 3)
    meth = name + "_"
    x, tx = P(a), T(a)
    v = x[:, 1::2]
    if not hasattr(v, meth):
        pytest.fail(f"Tensor.{meth} missing")
    r = getattr(v, meth)()
    assert r is v
    getattr(tx[:, 1::2], meth)()
    check(x, tx)


def test_unary_operators():
    a = rand_np((2, 3), "float32")
    both(-P(a), -a, tref(operator.neg, a), np_dtype=True)
    both(abs(P(a)), abs(a), tref(abs, a), np_dtype=True)
    both(+P(a), +a, tref(operator.pos, a), np_dtype=True)


# --- clamp ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("bounds", [(-1, 2), (None, 1), (0, None), (2, -1), (-0.5, 0.5),
                                    (1.5, None)], ids=str)
def test_clamp(dtype, bounds, need_torch):
    a = rand_np((4, 5), dtype, 0, -4, 4)
    lo, hi = bounds
    try:
        t_out = T(a).clamp(lo, hi)
    except Exception as e:
        with pytest.raises(expected_exc(type(e))):
            P(a).clamp(lo, hi)
        return
    check(P(a).clamp(lo, hi), t_out)
    check(P(a).clamp(min=lo, max=hi), t_out)
    check(pynet.clamp(P(a), lo, hi), t_out)
    check(P(a).clip(lo, hi), t_out)
    if lo is not None and hi is not None and lo <= hi:
        check(P(a).clamp(lo, hi), np.clip(a, lo, hi), dtype=False)


def test_clamp_nan_passthrough():
    a = np.array([np.nan, -5.0, 5.0, 0.3], dtype=np.float32)
    both(P(a).clamp(-1, 1), np.clip(a, -1, 1), tref(lambda t: t.clamp(-1, 1), a), np_dtype=True)


def test_clamp_tensor_bounds(need_torch):
    a = rand_np((3, 4), "float32")
    lo = rand_np((4,), "float32", 1, -2, 0)
    hi = rand_np((3, 1), "float32", 2, 0, 2)
    check(P(a).clamp(P(lo), P(hi)), T(a).clamp(T(lo), T(hi)))
    check(P(a).clamp(min=P(lo)), T(a).clamp(min=T(lo)))


# --- where ----------------------------------------------------------------------------------
@pytest.mark.parametrize("x_dtype", DTYPES)
@pytest.mark.parametrize("y_dtype", DTYPES)
def test_where_dtypes(x_dtype, y_dtype, need_torch):
    c = rand_np((3, 1), "bool", 0)
    x = rand_np((3, 4), x_dtype, 1)
    y = rand_np((4,), y_dtype, 2)
    check(pynet.where(P(c), P(x), P(y)), torch.where(T(c), T(x), T(y)))
    check(pynet.where(P(c), P(x), P(y)), np.where(c, x, y), dtype=False)


@pytest.mark.parametrize("scal", [0, 1.5, True], ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "int64", "float64"])
def test_where_scalars(scal, dtype, need_torch):
    c = rand_np((2, 3), "bool", 0)
    x = rand_np((2, 3), dtype, 1)
    check(pynet.where(P(c), P(x), scal), torch.where(T(c), T(x), scal))
    check(pynet.where(P(c), scal, P(x)), torch.where(T(c), scal, T(x)))
    check(P(x).where(P(c), scal), T(x).where(T(c), scal))


def test_where_noncontiguous_condition():
    c = rand_np((4, 3), "bool", 0)
    x = rand_np((3, 4), "float32", 1)
    y = rand_np((3, 4), "float32", 2)
    out = pynet.where(P(c).T, P(x), P(y)[:, ::1])
    both(out, np.where(c.T, x, y), tref(lambda c_, x_, y_: torch.where(c_.T, x_, y_), c, x, y),
         np_dtype=True)


# --- bitwise / logical ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["bool", "int64"])
@pytest.mark.parametrize("name", ["and", "or", "xor"])
@pytest.mark.parametrize("rhs", ["tensor", "broadcast", "scalar"])
def test_bitwise(name, dtype, rhs):
    fn = {"and": operator.and_, "or": operator.or_, "xor": operator.xor}[name]
    a = rand_np((3, 4), dtype, 0, -8, 8)
    if rhs == "tensor":
        b = rand_np((3, 4), dtype, 1, -8, 8)
    elif rhs == "broadcast":
        b = rand_np((4,), dtype, 1, -8, 8)
    else:
        b = True if dtype == "bool" else 6
    pb = P(b) if isinstance(b, np.ndarray) else b
    both(fn(P(a), pb), fn(a, b), tref(fn, a, b), np_dtype=True)
    # reversed
    both(fn(b, P(a)) if rhs == "scalar" else fn(pb, P(a)), fn(b, a), tref(fn, b, a),
         np_dtype=True)
    # method forms
    both(getattr(P(a), f"bitwise_{name}")(pb), fn(a, b), None, np_dtype=True)


@pytest.mark.parametrize("dtype", ["bool", "int64"])
def test_invert(dtype):
    a = rand_np((3, 4), dtype, 0, -8, 8)
    both(~P(a), ~a, tref(operator.invert, a), np_dtype=True)
    both(P(a).bitwise_not(), ~a, None, np_dtype=True)
    # on a non-contiguous view
    both(~P(a).T, ~a.T, None, np_dtype=True)


@pytest.mark.parametrize("name", ["and", "or", "xor"])
def test_bitwise_inplace(name):
    fn = {"and": operator.iand, "or": operator.ior, "xor": operator.ixor}[name]
    a, b = rand_np((5,), "bool", 0), rand_np((5,), "bool", 1)
    x = P(a)
    y = fn(x, P(b))
    assert y is x
    check(x, fn(a.copy(), b))


def test_invert_float_raises(need_torch):
    a = rand_np((3,), "float32")
    with pytest.raises(Exception) as te:
        ~T(a)
    with pytest.raises(expected_exc(te.type)):
        ~P(a)


@pytest.mark.parametrize("fname", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_logical(fname, dtype):
    a = rand_np((3, 4), dtype, 0, -2, 2)
    b = rand_np((4,), dtype, 1, -2, 2)
    both(getattr(pynet, fname)(P(a), P(b)), getattr(np, fname)(a, b),
         tref(getattr(torch, fname, None), a, b) if HAS_TORCH else None, np_dtype=True)
    both(pynet.logical_not(P(a)), np.logical_not(a),
         tref(torch.logical_not, a) if HAS_TORCH else None, np_dtype=True)


# ---------------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------------
DIMS = [None, 0, 1, -1, 2, (0, 2), (-1, 0), (1,), (0, 1, 2)]


def np_dim(dim):
    return tuple(dim) if isinstance(dim, (tuple, list)) else dim


def red_kwargs(dim, keepdim):
    return {} if dim is None else {"dim": dim, "keepdim": keepdim}


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin"])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_reduce_float(name, dim, keepdim, dtype):
    a = rand_np((3, 4, 5), dtype, 0, 0.5, 1.5)
    npf = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "amax": np.amax, "amin": np.amin}[name]
    if name == "prod" and isinstance(dim, tuple):
        # torch.prod takes a single int dim only: pynet must refuse a tuple the same way
        torch_ = pytest.importorskip("torch")
        with pytest.raises(Exception) as te:
            T(a).prod(dim=dim, keepdim=keepdim)
        with pytest.raises(expected_exc(te.type)):
            P(a).prod(dim=dim, keepdim=keepdim)
        assert torch_ is not None
        return
    if dim is None:
        ref = npf(a.astype(np.float64)).astype(dtype)
        if keepdim:
            pytest.skip("keepdim without dim is not part of the API")
    else:
        ref = npf(a.astype(np.float64), axis=np_dim(dim), keepdims=keepdim).astype(dtype)
    out = getattr(P(a), name)(**red_kwargs(dim, keepdim))
    t_ref = tref(lambda t: getattr(t, name)(**red_kwargs(dim, keepdim)), a)
    rtol = 1e-6 if dtype == "float32" else 1e-12
    both(out, ref, t_ref, np_dtype=True, rtol=rtol)
    check(getattr(pynet, name)(P(a), **red_kwargs(dim, keepdim)), ref, rtol=rtol)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "max", "min",
                                  "argmax", "argmin", "var", "std", "logsumexp"])
def test_reduce_positional_dim_keepdim(name, need_torch):
    a = rand_np((3, 4, 5), "float64", 0, 0.5, 1.5)
    check(getattr(P(a), name)(1, True) if name not in ("max", "min") else
          getattr(P(a), name)(1, True)[0],
          getattr(T(a), name)(1, True) if name not in ("max", "min") else
          getattr(T(a), name)(1, True)[0], rtol=1e-12)


@pytest.mark.parametrize("dtype", ["bool", "int64"])
@pytest.mark.parametrize("name", ["sum", "prod", "amax", "amin", "mean"])
@pytest.mark.parametrize("dim", [None, 0, (0, 1), -1], ids=str)
def test_reduce_int_bool(name, dtype, dim, need_torch):
    a = rand_np((4, 5), dtype, 0, -3, 3)
    kw = red_kwargs(dim, False)
    try:
        t_out = getattr(T(a), name)(**kw)
    except Exception as e:
        with pytest.raises(expected_exc(type(e))):
            getattr(P(a), name)(**kw)
        return
    check(getattr(P(a), name)(**kw), t_out)
    if name in ("sum", "prod"):
        npf = getattr(np, name)
        check(getattr(P(a), name)(**kw), npf(a, axis=np_dim(dim), dtype=np.int64), dtype="int64")


def test_sum_dtype_argument(need_torch):
    a = rand_np((3, 4), "int64")
    for dt in ["float32", "float64", "int64"]:
        try:
            out = P(a).sum(dtype=pdt(dt))
        except TypeError:
            pytest.fail("sum(dtype=...) not supported")
        check(out, T(a).sum(dtype=tdt(dt)))
    b = rand_np((3, 4), "float32")
    check(P(b).mean(dtype=pynet.float64), T(b).mean(dtype=torch.float64))


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "int64", "float64"])
def test_max_min_dim(name, dim, keepdim, dtype):
    a = np.random.default_rng(0).permutation(60).reshape(3, 4, 5).astype(dtype)  # no ties
    out = getattr(P(a), name)(dim, keepdim=keepdim)
    values, indices = out
    assert out.values is values and out.indices is indices
    npf = np.amax if name == "max" else np.amin
    npa = np.argmax if name == "max" else np.argmin
    check(values, npf(a, axis=dim, keepdims=keepdim))
    check(indices, npa(a, axis=dim, keepdims=keepdim), dtype="int64")
    if HAS_TORCH:
        tv, ti = getattr(T(a), name)(dim, keepdim=keepdim)
        check(values, tv)
        check(indices, ti)
    # full reduction: a single 0-d tensor
    check(getattr(P(a), name)(), npf(a))
    # pynet.max(x, dim) function form
    fv, fi = getattr(pynet, name)(P(a), dim, keepdim)
    check(fi, npa(a, axis=dim, keepdims=keepdim), dtype="int64")


def test_max_binary_form(need_torch):
    a, b = rand_np((3, 4), "float32"), rand_np((4,), "float32", 1)
    check(pynet.max(P(a), P(b)), torch.max(T(a), T(b)))
    check(pynet.min(P(a), P(b)), torch.min(T(a), T(b)))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("layout_", ["contig", "transposed"])
def test_argmax_argmin(name, dim, keepdim, layout_):
    a = np.random.default_rng(1).permutation(20).reshape(4, 5).astype(np.float32)
    if layout_ == "transposed":
        a = np.ascontiguousarray(a.T)
        x = P(a.T.copy()).T
    else:
        x = P(a)
    npf = getattr(np, name)
    kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    out = getattr(x, name)(**kw)
    if dim is None:
        ref = np.asarray(npf(a))
        if keepdim:
            ref = ref.reshape(1, 1)
            out = getattr(x, name)(keepdim=True)
    else:
        ref = npf(a, axis=dim, keepdims=keepdim)
    check(out, ref, dtype="int64")
    if HAS_TORCH:
        ta = T(a)
        check(out, getattr(ta, name)(**kw) if not (dim is None and keepdim)
              else getattr(ta, name)(keepdim=True))


def test_argmax_ties_first_occurrence():
    a = np.array([[1, 3, 3, 0], [2, 2, 2, 2]], dtype=np.float32)
    check(P(a).argmax(1), np.argmax(a, 1), dtype="int64")
    check(P(a).argmin(1), np.argmin(a, 1), dtype="int64")
    check(P(a).argmax(), np.argmax(a), dtype="int64")


def test_max_nan_propagates(need_torch):
    a = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, -1.0]], dtype=np.float32)
    check(P(a).max(), T(a).max())
    check(P(a).amax(1), T(a).amax(1))
    check(P(a).max(1).values, T(a).max(1).values)
    check(P(a).max(1).indices, T(a).max(1).indices)
    check(P(a).argmax(1), T(a).argmax(1))
    check(P(a).sum(1), T(a).sum(1))


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 2)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("ddof", [1, 0])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_var_std(name, dim, keepdim, ddof, dtype):
    a = rand_np((3, 4, 5), dtype, 0, -2, 5)
    npf = getattr(np, name)
    if dim is None:
        if keepdim:
            pytest.skip("keepdim without dim")
        ref = npf(a.astype(np.float64), ddof=ddof).astype(dtype)
        out = getattr(P(a), name)(unbiased=bool(ddof))
        out2 = getattr(P(a), name)(correction=ddof)
        t_ref = tref(lambda t: getattr(t, name)(correction=ddof), a)
    else:
        ref = npf(a.astype(np.float64), axis=np_dim(dim), ddof=ddof, keepdims=keepdim).astype(dtype)
        out = getattr(P(a), name)(dim, unbiased=bool(ddof), keepdim=keepdim)
        out2 = getattr(P(a), name)(dim=dim, correction=ddof, keepdim=keepdim)
        t_ref = tref(lambda t: getattr(t, name)(dim=dim, correction=ddof, keepdim=keepdim), a)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    both(out, ref, t_ref, np_dtype=True, rtol=rtol)
    check(out2, ref, rtol=rtol)


def test_var_large_offset_stable():
    """var of values with a large common offset: naive E[x^2]-E[x]^2 cancels catastrophically."""
    rng = np.random.default_rng(0)
    a = (1e4 + rng.random(1000)).astype(np.float32)
    ref = np.var(a.astype(np.float64), ddof=1)
    both(P(a).var(), np.float32(ref), tref(lambda t: t.var(), a), np_dtype=True, rtol=1e-4)


@pytest.mark.parametrize("shape,dim", [((300001,), None), ((3, 200001), -1), ((2, 3, 70001), (1, 2)),
                                       ((5, 7), None), ((4, 1), 1), ((1, 9), -1)], ids=str)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_var_of_trailing_dims_in_double(shape, dim, dtype):
    # var over the trailing dims of a contiguous tensor takes the mean and the squared
    # deviations in double (reduce_parallel.c's pn_var_rows, rows of more than 65536
    # elements cut into chunks), rounded once: float32 within an ulp of float64 NumPy,
    # with an offset that a float32 mean would lose; the same bits at 1 and 2 threads
    rng = np.random.default_rng(len(shape))
    a = (3e4 + rng.standard_normal(shape)).astype(dtype)
    axis = np_dim(dim) if dim is not None else None
    for ddof in (0, 1):
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's, where n - ddof = 0
            ref = np.var(a.astype(np.float64), axis=axis, ddof=ddof)
        if ref.size and np.isnan(ref).all():
            with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
                P(a).var(dim, correction=ddof)
        outs = []
        for threads in (1, 2):
            prev = pynet.get_num_threads()
            pynet.set_num_threads(threads)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    outs.append((P(a).var(correction=ddof) if dim is None
                                 else P(a).var(dim, correction=ddof)).numpy())
            finally:
                pynet.set_num_threads(prev)
        assert outs[0].tobytes() == outs[1].tobytes()
        out = outs[0].astype(np.float64)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))  # n - ddof = 0: nan
        ok = ~np.isnan(ref)
        tol = (np.spacing(np.abs(ref[ok]).astype(np.float32)).astype(np.float64)
               if dtype == "float32" else 1e-13 * np.abs(ref[ok]))
        assert (np.abs(out[ok] - ref[ok]) <= tol).all()


def test_var_without_degrees_of_freedom_as_torch():
    # correction >= n: the value is s / 0 (inf, or nan for s = 0) with a UserWarning; the
    # gradient, as PyTorch's var_backward: without dims, g * (inf, nan where x == mean);
    # with dims, 2 / (n - correction) as it is
    v = np.array([1.0, 2.0, 4.0])
    cases = [(dict(correction=3), np.full(3, np.inf)),
             (dict(dim=-1, correction=5), 2 / (3 - 5) * (v - v.mean())),
             (dict(dim=-1, correction=3), np.inf * (v - v.mean()))]
    for kw, want in cases:
        x = pynet.tensor(v, requires_grad=True)
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            y = x.var(**kw)
        assert y.item() == np.inf
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-14)
    x = pynet.tensor([2.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning):
        x.var(correction=2).backward()
    assert np.isnan(x.grad.numpy()).all()
    # float32 values whose float32 mean overflows: redone in float64, 0 / 0 = nan
    with pytest.warns(UserWarning):
        r = pynet.tensor(np.full((2, 16), 3e38, np.float32)).var(1, correction=16)
    assert np.isnan(r.numpy()).all()


def test_var_gradient_and_its_gradient():
    # VarBackward0: dx = g 2 (x - mean) / (n - correction), itself differentiable:
    # d/dx of w . dx is 2 / (n - correction) (w - mean(w)) for a fixed w; on the fused
    # path (contiguous) and the composite one (a transposed view)
    rng = np.random.default_rng(5)
    x0, w = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    for view in (False, True):
        base = pynet.tensor(x0.T.copy() if view else x0, requires_grad=True)
        x = base.t() if view else base
        v = x.var(1)
        assert v.grad_fn.name() == "VarBackward0"
        g, = pynet.autograd.grad(v.sum(), x, create_graph=True)
        m = x0.mean(1, keepdims=True)
        np.testing.assert_allclose(g.detach().numpy(), 2 * (x0 - m) / 4, rtol=1e-12)
        h, = pynet.autograd.grad((g * pynet.tensor(w)).sum(), base)
        h = h.numpy().T if view else h.numpy()
        np.testing.assert_allclose(h, 2 / 4 * (w - w.mean(1, keepdims=True)), rtol=1e-12,
                                   atol=1e-15)


@pytest.mark.parametrize("dim", [0, 1, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_logsumexp(dim, keepdim, dtype, scale):
    a = rand_np((3, 4, 5), dtype, 0, -2, 2) * np.asarray(scale, dtype)
    a64 = a.astype(np.float64)
    m = np.max(a64, axis=np_dim(dim), keepdims=True)
    ref = np.log(np.sum(np.exp(a64 - m), axis=np_dim(dim), keepdims=True)) + m
    if not keepdim:
        ref = np.squeeze(ref, axis=np_dim(dim))
    out = P(a).logsumexp(dim, keepdim=keepdim)
    # m + log(sum(exp(a - m))) carries an absolute rounding error of a few ulp of max|a|
    atol = 4 * np.finfo(dtype).eps * np.abs(a64).max()
    both(out, ref.astype(dtype), tref(lambda t: t.logsumexp(dim, keepdim=keepdim), a),
         np_dtype=True, rtol=tol(dtype)["rtol"] * 2, atol=atol)


def test_logsumexp_all_neg_inf(need_torch):
    a = np.full((2, 3), -np.inf, dtype=np.float32)
    a[1, 0] = 0.0
    check(P(a).logsumexp(1), T(a).logsumexp(1))


def np_softmax(a, dim):
    a = a.astype(np.float64)
    e = np.exp(a - a.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@pytest.mark.parametrize("fname", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("scale", [1.0, 500.0])
@pytest.mark.parametrize("transposed", [False, True])
def test_softmax(fname, dim, dtype, scale, transposed):
    a = rand_np((3, 4, 5), dtype, 0, -3, 3) * np.asarray(scale, dtype)
    x = P(a)
    if transposed:
        a = np.ascontiguousarray(a.transpose(2, 0, 1))
        x = x.permute(2, 0, 1)
    ref = np_softmax(a, dim)
    if fname == "log_softmax":
        with np.errstate(divide="ignore"):
            aa = a.astype(np.float64)
            mx = aa.max(axis=dim, keepdims=True)
            ref = aa - mx - np.log(np.exp(aa - mx).sum(axis=dim, keepdims=True))
    out = getattr(x, fname)(dim)
    t_ref = tref(lambda t: getattr(t, fname)(dim), a)
    rt = tol(dtype)["rtol"] * 2
    if fname == "softmax":
        at = 1e-7 if dtype == "float32" else 1e-15  # outputs near 0 are absolute-accurate
    else:  # a - max - log(sum): absolute rounding error of a few ulp of max|a|
        at = 4 * np.finfo(dtype).eps * np.abs(a).max()
    both(out, ref.astype(dtype), t_ref, np_dtype=True, rtol=rt, atol=at)
    check(getattr(pynet, fname)(x, dim=dim), to_np(out), rtol=0, dtype=dtype)
    if fname == "softmax":
        np.testing.assert_allclose(to_np(out).astype(np.float64).sum(axis=dim), 1.0, rtol=1e-5)


def test_softmax_with_neg_inf(need_torch):
    a = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, 2.0]], dtype=np.float32)
    check(P(a).softmax(-1), T(a).softmax(-1))
    check(P(a).log_softmax(-1), T(a).log_softmax(-1))


def test_softmax_int_input_dtype(need_torch):
    a = rand_np((2, 3), "int64")
    for fname in ["softmax", "log_softmax"]:
        try:
            t_out = getattr(T(a), fname)(1)
        except RuntimeError:  # torch: no integer kernel. Refusing or promoting are both fine
            try:
                out = getattr(P(a), fname)(1)
            except RuntimeError:
                continue
            t_out = getattr(T(a).float(), fname)(1)
        check(getattr(P(a), fname)(1), t_out)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "logsumexp", "var",
                                  "argmax"])
@pytest.mark.parametrize("dim", [0, 1])
def test_reduce_noncontiguous(name, dim):
    a = rand_np((6, 8), "float32", 0, 0.5, 1.5)
    x = P(a)[::2, 1::3]
    sub = a[::2, 1::3]
    out = getattr(x, name)(dim)
    t_ref = tref(lambda t: getattr(t[::2, 1::3], name)(dim), a)
    if t_ref is not None:
        check(out, t_ref, rtol=2e-6)
    npf = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "amax": np.amax, "amin": np.amin,
           "var": lambda v, axis: np.var(v, axis=axis, ddof=1), "argmax": np.argmax,
           "logsumexp": lambda v, axis: np.log(np.exp(v.astype(np.float64)).sum(axis=axis))}[name]
    check(out, np.asarray(npf(sub.astype(np.float64) if name != "argmax" else sub, axis=dim)),
          rtol=2e-6, dtype=False)


def test_reduce_expanded_input():
    a = rand_np((1, 5), "float32")
    x = P(a).expand(4, 5)
    ref = np.broadcast_to(a, (4, 5))
    check(x.sum(0), ref.sum(0), rtol=1e-6)
    check(x.sum(), ref.astype(np.float64).sum().astype(np.float32), rtol=1e-6)
    check(x.amax(1), ref.max(1))


@pytest.mark.parametrize("name", ["sum", "prod", "amax", "mean"])
def test_reduce_empty(name, need_torch):
    a = np.zeros((0, 3), dtype=np.float32)
    for kw in [{}, {"dim": 0}, {"dim": 1}]:
        try:
            t_out = getattr(T(a), name)(**kw)
        except Exception as e:
            with pytest.raises(expected_exc(type(e))):
                getattr(P(a), name)(**kw)
            continue
        check(getattr(P(a), name)(**kw), t_out)


def test_reduce_zero_dim(need_torch):
    a = np.array(2.5, dtype=np.float32)
    for name in ["sum", "mean", "prod", "amax", "amin", "max", "argmax", "logsumexp"]:
        kw_t = {} if name != "logsumexp" else {"dim": 0}
        check(getattr(P(a), name)(**kw_t), getattr(T(a), name)(**kw_t))
    check(P(a).sum(0), T(a).sum(0))
    check(P(a).sum(-1, keepdim=True), T(a).sum(-1, keepdim=True))
    check(P(a).softmax(0), T(a).softmax(0))


def test_sum_bool_counts():
    a = rand_np((1000,), "bool", 5)
    out = P(a).sum()
    check(out, np.sum(a, dtype=np.int64), dtype="int64")
    check((P(a) == True).sum(), np.sum(a, dtype=np.int64), dtype="int64")  # noqa: E712


def test_int64_sum_no_overflow_or_float_rounding():
    a = np.array([2 ** 53, 1, 1, 2 ** 40, -3], dtype=np.int64)
    check(P(a).sum(), np.sum(a), dtype="int64")
    big = np.array([2 ** 62, 2 ** 61, -(2 ** 62)], dtype=np.int64)
    check(P(big).sum(), np.sum(big), dtype="int64")
    check(P(a[:3]).prod(), np.prod(a[:3]), dtype="int64")


def test_large_float32_sum_accuracy():
    a = np.random.default_rng(0).random(4_000_000).astype(np.float32)
    ref = a.astype(np.float64).sum()
    out = P(a).sum()
    assert out.dtype == pynet.float32
    # a pairwise/blocked sum is within a few ulp; a naive float32 loop is off by ~1e-5
    np.testing.assert_allclose(out.item(), ref, rtol=1e-6)
    np.testing.assert_allclose(P(a).mean().item(), ref / a.size, rtol=1e-6)
    # summing along a dim of a 2-D view
    b = a.reshape(1000, 4000)
    np.testing.assert_allclose(to_np(P(b).sum(1)), b.astype(np.float64).sum(1), rtol=1e-6)
    np.testing.assert_allclose(to_np(P(b).sum(0)), b.astype(np.float64).sum(0), rtol=1e-6)


@pytest.mark.parametrize("n", [1, 31, 32, 33, 64, 100, 4097, 300001])
def test_float32_sum_of_a_run_within_one_rounding_of_sum_abs(n):
    """A contiguous float32 run is summed in pairs, then in double: the error before the
    result is rounded to float32 stays below 2^-24 sum|x|, however much the terms cancel
    (a float32 accumulator is off by up to ~n 2^-24 sum|x|)."""
    rng = np.random.default_rng(n)
    a = (rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3, n)).astype(np.float32)
    a[1::2] = -a[0::2][: n // 2] * np.float32(1 + 2 ** -20)  # heavy cancellation
    exact = a.astype(np.float64).sum()
    out = P(a).sum(dtype=pynet.float64).item()
    assert abs(out - exact) <= 2.0 ** -24 * np.abs(a.astype(np.float64)).sum() * 1.0001
    got32 = P(a).sum().item()
    assert abs(got32 - exact) <= 2.0 ** -24 * np.abs(a.astype(np.float64)).sum() * 1.0001 + \
        np.spacing(np.float32(abs(exact)))


@pytest.mark.parametrize("n", [40, 1000, 65537])
def test_float32_sum_big_terms_do_not_swallow_small_ones(n):
    """+-2^27 early in the run and ones after them: a float32 partial sum holding 2^27
    would drop every later 1 (its ulp is 16); pairs then double partial sums lose at
    most the 1 paired with each big term."""
    a = np.ones(n, np.float32)
    a[0], a[5] = 2.0 ** 27, -(2.0 ** 27)
    assert abs(P(a).sum().item() - (n - 2)) <= 2


@pytest.mark.parametrize("shape,dims", [
    ((7, 3), 0), ((2, 5), 0), ((1, 9), 0), ((333, 77), 0), ((4, 6, 5), (0, 1)),
    ((129, 2, 40), 0), ((3000, 50), 0), ((40000, 8), 0), ((6, 1, 7), (0, 1)),
])
def test_float32_sum_over_leading_dims(shape, dims):
    """Sums over the leading dims of a contiguous float32 tensor take the column-sum
    kernel (rows added four at a time in float, (a + b) + (c + d), then in double): within
    2^-23 sum|x| of the exact sums before the final rounding (each of the three float
    additions rounds by at most 2^-24 of its result, and the results' magnitudes add up to
    at most twice the four terms'), big terms not swallowing later small ones, the same bits
    at 1 and 2 threads and as the same sum over a non-contiguous copy's general path
    (up to that bound), keepdim and mean alike."""
    rng = np.random.default_rng(sum(shape))
    a = (rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 3, shape)).astype(np.float32)
    a.reshape(-1)[: a.size // 3] = 1.0
    a[0] = 2.0 ** 27  # big first and last rows, ones in between
    if a.shape[0] > 1:
        a[-1] = -(2.0 ** 27)
    ax = dims if isinstance(dims, tuple) else (dims,)
    exact = a.astype(np.float64).sum(axis=ax)
    bound = 2.0 ** -23 * np.abs(a.astype(np.float64)).sum(axis=ax) * 1.0001
    t = P(a)
    got = to_np(t.sum(dims, dtype=pynet.float64))
    assert np.all(np.abs(got - exact) <= bound)
    prev = pynet.get_num_threads()
    try:
        outs = []
        for n in (1, 2):
            pynet.set_num_threads(n)
            outs.append(to_np(t.sum(dims)))
    finally:
        pynet.set_num_threads(prev)
    assert outs[0].tobytes() == outs[1].tobytes()
    assert np.all(np.abs(outs[0] - exact) <= bound + np.spacing(np.abs(exact).astype(np.float32)))
    strided = P(np.asfortranarray(a)).sum(dims)  # not C-contiguous: the general loop
    assert np.all(np.abs(to_np(strided) - exact) <= bound + np.spacing(np.abs(exact).astype(np.float32)))
    assert to_np(t.sum(dims, keepdim=True)).shape == np.sum(a, axis=ax, keepdims=True).shape
    np.testing.assert_allclose(to_np(t.mean(dims)), exact / np.prod([shape[d] for d in ax]),
                               rtol=1e-6, atol=1e-6 * np.abs(a).max())


def test_large_float32_sum_of_ones_exact():
    n = 2 ** 24 + 100  # a naive float32 accumulator gets stuck at 2**24
    x = pynet.ones(n)
    assert x.sum().item() == float(n)
    assert x.mean().item() == 1.0


# ---------------------------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((4,), (4,)), ((3,), (3, 5)), ((3, 4), (4,)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)), ((1, 1), (1, 1)), ((0, 4), (4, 3)), ((3, 0), (0, 2)), ((3, 4), (4, 0)),
    ((0,), (0,)), ((2, 0, 3), (3, 4)), ((1, 4), (4, 1)), ((65, 33), (33, 17)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_matmul(shapes, dtype):
    sa, sb = shapes
    a = rand_np(sa, dtype, 0, -2, 2)
    b = rand_np(sb, dtype, 1, -2, 2)
    ref = np.matmul(a.astype(np.float64) if dtype != "int64" else a,
                    b.astype(np.float64) if dtype != "int64" else b).astype(dtype)
    rtol, atol = (1e-5, 1e-5) if dtype == "float32" else (1e-12, 1e-12)
    out = P(a) @ P(b)
    both(out, ref, tref(operator.matmul, a, b), np_dtype=True, rtol=rtol, atol=atol)
    check(P(a).matmul(P(b)), ref, rtol=rtol, atol=atol)
    check(pynet.matmul(P(a), P(b)), ref, rtol=rtol, atol=atol)


@pytest.mark.parametrize("ta_", [False, True])
@pytest.mark.parametrize("tb_", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mm_transposed_operands(ta_, tb_, dtype):
    a = rand_np((5, 3) if ta_ else (3, 5), dtype, 0)
    b = rand_np((4, 5) if tb_ else (5, 4), dtype, 1)
    x = P(a).t() if ta_ else P(a)
    y = P(b).t() if tb_ else P(b)
    na = a.T if ta_ else a
    nb = b.T if tb_ else b
    ref = (na.astype(np.float64) @ nb.astype(np.float64)).astype(dtype)
    rtol, atol = (1e-5, 1e-6) if dtype == "float32" else (1e-12, 1e-12)
    check(x.mm(y), ref, rtol=rtol, atol=atol)
    check(pynet.mm(x, y), ref, rtol=rtol, atol=atol)
    check(x @ y, ref, rtol=rtol, atol=atol)


def test_matmul_stepped_and_expanded_operands():
    a = rand_np((6, 8), "float64", 0)
    b = rand_np((4, 1), "float64", 1)
    x = P(a)[::2, 1::2]          # (3, 4), non-unit strides in both dims
    y = P(b).expand(4, 5)        # stride 0
    ref = a[::2, 1::2] @ np.broadcast_to(b, (4, 5))
    check(x @ y, ref, rtol=1e-12)
    # batched with a broadcast (stride-0) batch dimension
    c = rand_np((1, 3, 4), "float64", 2)
    d = rand_np((5, 4, 2), "float64", 3)
    check(P(c).expand(5, 3, 4) @ P(d), np.broadcast_to(c, (5, 3, 4)) @ d, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bmm(dtype):
    a = rand_np((3, 2, 4), dtype, 0)
    b = rand_np((3, 4, 5), dtype, 1)
    ref = (a.astype(np.float64) @ b.astype(np.float64)).astype(dtype)
    rtol, atol = (1e-5, 1e-6) if dtype == "float32" else (1e-12, 1e-12)
    both(P(a).bmm(P(b)), ref, tref(torch.bmm, a, b) if HAS_TORCH else None, np_dtype=True,
         rtol=rtol, atol=atol)
    check(pynet.bmm(P(a), P(b).transpose(1, 2).contiguous().transpose(1, 2)), ref,
          rtol=rtol, atol=atol)


def test_dot():
    a, b = rand_np((7,), "float64", 0), rand_np((7,), "float64", 1)
    check(pynet.dot(P(a), P(b)), np.dot(a, b), rtol=1e-12)
    check(P(a).dot(P(b)), np.dot(a, b), rtol=1e-12)
    ai, bi = rand_np((7,), "int64", 0), rand_np((7,), "int64", 1)
    check(P(ai).dot(P(bi)), np.dot(ai, bi), dtype="int64")


def test_matmul_large_accuracy():
    a = rand_np((64, 1000), "float32", 0, -1, 1)
    b = rand_np((1000, 48), "float32", 1, -1, 1)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(to_np(P(a) @ P(b)), ref, rtol=1e-4, atol=1e-4)


def test_rmatmul_with_numpy_array_not_silently_numpy():
    a = rand_np((2, 3), "float32")
    b = rand_np((3, 2), "float32")
    out = P(a) @ P(b)
    assert isinstance(out, pynet.Tensor)


def test_matmul_mixed_dtype(need_torch):
    a = rand_np((2, 3), "float32")
    b = rand_np((3, 2), "float64", 1)
    try:
        t_out = T(a) @ T(b)
    except Exception as e:
        with pytest.raises(expected_exc(type(e))):
            P(a) @ P(b)
        return
    check(P(a) @ P(b), t_out)


# ---------------------------------------------------------------------------------------------
# larger tensors, with 1 and 2 threads (kernels may take blocked / parallel paths)
# ---------------------------------------------------------------------------------------------
LARGE_A = np.random.default_rng(42).standard_normal((257, 1031)).astype(np.float32)
LARGE_OPS = {
    "sum0": (lambda t: t.sum(0), lambda a: a.astype(np.float64).sum(0)),
    "sum1": (lambda t: t.sum(1), lambda a: a.astype(np.float64).sum(1)),
    "sum_all": (lambda t: t.sum(), lambda a: a.astype(np.float64).sum()),
    "T_sum0": (lambda t: t.T.sum(0), lambda a: a.T.astype(np.float64).sum(0)),
    "mean_step": (lambda t: t[::3, 1::2].mean(1), lambda a: a[::3, 1::2].astype(np.float64).mean(1)),
    "amax0": (lambda t: t.amax(0), lambda a: a.max(0)),
    "argmax1": (lambda t: t.argmax(1), lambda a: a.argmax(1)),
    "argmax_all_T": (lambda t: t.T.argmax(), lambda a: a.T.argmax()),
    "max1_idx": (lambda t: t.max(1).indices, lambda a: a.argmax(1)),
    "var0": (lambda t: t.var(0), lambda a: a.astype(np.float64).var(0, ddof=1)),
    "std_all": (lambda t: t.std(), lambda a: a.astype(np.float64).std(ddof=1)),
    "logsumexp0": (lambda t: t.logsumexp(0), lambda a: np.log(np.exp(a.astype(np.float64)).sum(0))),
    "softmax1": (lambda t: t.softmax(1), lambda a: np_softmax(a, 1)),
    "exp_T": (lambda t: t.T.exp(), lambda a: np.exp(a.T.astype(np.float64))),
    "add_bcast_row": (lambda t: t + t[0], lambda a: a.astype(np.float64) + a[0]),
    "mul_T_T": (lambda t: t.T * t.T, lambda a: a.T.astype(np.float64) ** 2),
    "where": (lambda t: pynet.where(t > 0, t, t * 2), lambda a: np.where(a > 0, a, a * 2)),
    "stepped_sub": (lambda t: t[:256:2, ::3] - t[1::2, ::3],
                    lambda a: a[:256:2, ::3].astype(np.float64) - a[1::2, ::3]),
    "matmul": (lambda t: t[:, :300].T @ t[:, 300:400],
               lambda a: a[:, :300].T.astype(np.float64) @ a[:, 300:400].astype(np.float64)),
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", list(LARGE_OPS))
def test_large_tensors(name, threads):
    prev = pynet.get_num_threads()
    pynet.set_num_threads(threads)
    try:
        pf, nf = LARGE_OPS[name]
        out = pf(P(LARGE_A))
    finally:
        pynet.set_num_threads(prev)
    ref = np.asarray(nf(LARGE_A))
    if ref.dtype.kind == "i":
        check(out, ref, dtype="int64")
    else:
        # float32 results: a few ulp of the largest magnitude (matmul: of its sum of |a||b|)
        scale = np.abs(ref).max() if name != "matmul" else (
            np.abs(LARGE_A[:, :300]).T @ np.abs(LARGE_A[:, 300:400])).max()
        check(out, ref.astype(np.float32), rtol=2e-6, atol=8 * np.finfo(np.float32).eps * scale,
              dtype="float32")


def test_nonzero_zero_dim(need_torch):
    for v in [0.0, 1.5]:
        check(pynet.tensor(v).nonzero(), torch.tensor(v).nonzero())


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 0), (0,)], ids=str)
def test_nonzero(shape, need_torch):
    a = (np.arange(int(np.prod(shape))).reshape(shape) % 3 == 0).astype(np.float32)
    check(P(a).nonzero(), T(a).nonzero())
    for p, t in zip(P(a).nonzero(as_tuple=True), T(a).nonzero(as_tuple=True)):
        check(p, t)


# issue #9 Medium 4: flip's dims are checked (IndexError naming the dim, duplicates refused)
# instead of wrapping modulo ndim; a 0-d tensor flips to a copy of itself.
_FLIP_BAD = {
    "too_big": ((2,), IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], "
                                  r"but got 2\)"),
    "too_small": ((-3,), IndexError, r"but got -3\)"),
    "repeated": ((0, 0), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    "repeated_negative": ((0, -2), RuntimeError, "dim 0 appears multiple times"),
}


def _flip_bad(L, case):
    dims, exc, msg = _FLIP_BAD[case]
    x = L.arange(6.0).reshape(2, 3)
    with pytest.raises(exc, match=msg):
        x.flip(dims)
    with pytest.raises(exc, match=msg):
        L.flip(x, dims)


@pytest.mark.parametrize("case", sorted(_FLIP_BAD))
def test_flip_bad_dims_raise(case):
    _flip_bad(pynet, case)


@pytest.mark.parametrize("case", sorted(_FLIP_BAD))
def test_flip_bad_dims_raise_like_torch(case):
    if torch is None:
        pytest.skip("needs torch")
    _flip_bad(torch, case)


def test_flip_of_0d_tensor_is_a_copy():
    x = pynet.tensor(3.0)
    for dims in (0, -1, ()):
        y = x.flip(dims)
        assert y.ndim == 0 and y.item() == 3.0
        y.fill_(1.0)
        assert x.item() == 3.0
    with pytest.raises(IndexError, match="flip: Dimension out of range"):
        x.flip(1)


# issue #9 Medium 9: masked_fill keeps self's dtype (a float value into an int64 tensor is
# truncated, into a bool one made true when nonzero), takes only a 0-d value tensor and a
# bool mask, and refuses values that cannot fit.
_MASK = [True, False, True]
_MF_CASES = {
    "int64_float": ([1, 2, 3], "int64", 2.5, [2, 2, 2]),
    "int64_negative_float": ([1, 2, 3], "int64", -2.9, [-2, 2, -2]),
    "int64_int": ([1, 2, 3], "int64", 7, [7, 2, 7]),
    "bool_float": ([True, False, False], "bool", 0.5, [True, False, True]),
    "bool_zero": ([True, False, False], "bool", 0, [False, False, False]),
    "float32_int": ([1.0, 1.0, 1.0], "float32", 7, [7.0, 1.0, 7.0]),
    "float32_inf": ([1.0, 1.0, 1.0], "float32", math.inf, [math.inf, 1.0, math.inf]),
}


def _masked_fill(L, case, inplace, value_tensor=False):
    data, dt, value, _ = _MF_CASES[case]
    x = L.tensor(data, dtype=getattr(L, dt))
    if value_tensor:
        value = L.tensor(value)
    mask = L.tensor(_MASK)
    y = x.masked_fill_(mask, value) if inplace else x.masked_fill(mask, value)
    return dname(y.dtype), y.tolist()


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("case", sorted(_MF_CASES))
def test_masked_fill_keeps_the_dtype(case, inplace):
    data, dt, value, want = _MF_CASES[case]
    assert _masked_fill(pynet, case, inplace) == (dt, want)


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("case", sorted(_MF_CASES))
def test_masked_fill_keeps_the_dtype_like_torch(case, inplace):
    if torch is None:
        pytest.skip("needs torch")
    for value_tensor in (False, True):
        assert (_masked_fill(pynet, case, inplace, value_tensor)
                == _masked_fill(torch, case, inplace, value_tensor))


_MF_BAD = {
    "value_1d": (lambda L: L.ones(3).masked_fill(L.tensor(_MASK), L.tensor([5.0])), RuntimeError,
                 "only supports a 0-dimensional value tensor, but got tensor with 1 dimension"),
    "value_1d_inplace": (lambda L: L.ones(3).masked_fill_(L.tensor(_MASK), L.tensor([5.0, 6, 7])),
                         RuntimeError, "only supports a 0-dimensional value tensor"),
    "float_mask": (lambda L: L.ones(3).masked_fill(L.ones(3), 1.0), RuntimeError,
                   "only supports boolean masks, but got mask with dtype"),
    "nan_into_int": (lambda L: L.tensor([1, 2, 3]).masked_fill(L.tensor(_MASK), math.nan),
                     RuntimeError, "value cannot be converted to type int64_t without overflow"),
    "too_big_for_int": (lambda L: L.tensor([1, 2, 3]).masked_fill(L.tensor(_MASK), 2**63),
                        RuntimeError, "value cannot be converted to type int64_t"),
    "too_big_for_float32": (lambda L: L.ones(3).masked_fill(L.tensor(_MASK), 1e300), RuntimeError,
                            "value cannot be converted to type float without overflow"),
    "mask_bigger_inplace": (lambda L: L.ones(3).masked_fill_(L.ones(2, 3, dtype=L.bool), 1.0),
                            RuntimeError, r"output with shape \[3\] doesn't match the broadcast "
                                          r"shape \[2, 3\]"),
}


@pytest.mark.parametrize("case", sorted(_MF_BAD))
def test_masked_fill_bad_arguments_raise(case):
    fn, exc, msg = _MF_BAD[case]
    with pytest.raises(exc, match=msg):
        fn(pynet)


@pytest.mark.parametrize("case", sorted(_MF_BAD))
def test_masked_fill_bad_arguments_raise_like_torch(case):
    if torch is None:
        pytest.skip("needs torch")
    fn, exc, msg = _MF_BAD[case]
    with pytest.raises(exc, match=msg):
        fn(torch)


def test_masked_fill_broadcasts_out_of_place_and_sends_gradient_to_a_0d_value():
    v = pynet.tensor(2.0, requires_grad=True)
    x = pynet.ones(2, 3, requires_grad=True)
    y = pynet.ones(3).masked_fill(pynet.tensor([[True, False, True]] * 2), v)
    assert y.shape == (2, 3)
    (x * 1).masked_fill_(pynet.tensor(_MASK), v).sum().backward()
    assert v.grad.item() == 4.0 and x.grad.tolist() == [[0.0, 1.0, 0.0]] * 2


def test_filling_a_bool_tensor_with_a_nonzero_fraction_gives_true():
    assert pynet.zeros(2, dtype=pynet.bool).fill_(0.5).tolist() == [True, True]
    assert pynet.full((2,), 0.25, dtype=pynet.bool).tolist() == [True, True]
    assert pynet.zeros(1, dtype=pynet.bool).fill_(math.nan).tolist() == [True]
