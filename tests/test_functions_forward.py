"""pynet.sum(x, ...) and the other top-level functions that are exactly a Tensor method
run as builtins calling the method's C code when the input is a pynet.Tensor
(csrc/pyapi/forward.c); everything else goes to the Python function in _functions.py.
Both ways must agree: same signature and docstring, same results, same exceptions."""
import inspect
import pydoc

import numpy as np
import pytest

import pynet
from pynet import _functions

NAMES = _functions._FORWARDED


def test_every_forwarded_name_is_a_builtin_with_the_python_signature_and_doc():
    for name in NAMES:
        fn, py = getattr(pynet, name), _functions._PYTHON[name]
        assert fn is getattr(_functions, name)
        assert inspect.isbuiltin(fn) and fn.__name__ == name and fn.__module__ == "pynet"
        assert inspect.signature(fn) == inspect.signature(py), name
        assert py.__doc__ in fn.__doc__
        assert "method of" not in pydoc.render_doc(fn)


def _params(f):
    return [(p.name, p.default, p.kind == p.KEYWORD_ONLY)
            for p in list(inspect.signature(f).parameters.values())[1:]]


@pytest.mark.parametrize("name", NAMES)
def test_the_method_takes_the_same_parameters(name):
    """A call is handed to the method as it came, so the method must name and order its
    parameters as the function does (every method takes them by name too, as PyTorch's)."""
    method, py = getattr(pynet.Tensor, name), _functions._PYTHON[name]
    assert _params(method) == _params(py), name


def _x(shape=(3, 4), seed=0):
    return pynet.tensor(np.random.default_rng(seed).uniform(0.5, 2, shape).astype(np.float32))


x, y = _x(), _x(seed=1)
idx = pynet.tensor([[0, 1, 2, 0], [2, 2, 1, 0], [1, 0, 0, 2]])
ints = pynet.tensor([[5, 3], [6, 0]])
# name: calls as (args after input, kwargs)
CALLS = {
    "clamp": [((0.7, 1.5), {}), ((), {"min": 0.8}), ((), {"max": 1.0})],
    "add": [((y,), {}), ((y,), {"alpha": 2}), ((1.5,), {})],
    "sub": [((y,), {}), ((y,), {"alpha": 0.5})],
    "div": [((y,), {}), ((y,), {"rounding_mode": "floor"})],
    "sum": [((), {}), ((0,), {}), ((), {"dim": 1, "keepdim": True}), ((), {"dtype": pynet.float64})],
    "mean": [((), {}), ((1, True), {})],
    "prod": [((), {}), ((), {"dim": 0})],
    "amax": [((), {}), ((), {"dim": (0, 1)})],
    "amin": [((1,), {})],
    "max": [((), {}), ((1,), {}), ((0, True), {}), ((), {"dim": 1, "keepdim": True}), ((y,), {})],
    "min": [((), {}), ((), {"dim": 0}), ((y,), {})],
    "argmax": [((), {}), ((), {"dim": 1}), ((0, True), {})],
    "argmin": [((), {"dim": 0})],
    "logsumexp": [((1,), {}), ((), {"dim": 0, "keepdim": True})],
    "sort": [((), {}), ((), {"dim": 0, "descending": True})],
    "argsort": [((), {"descending": True})],
    "topk": [((2,), {}), ((2,), {"dim": 0, "largest": False})],
    "cumsum": [((1,), {}), ((), {"dim": 0})],
    "cumprod": [((0,), {})],
    "gather": [((1, idx[:, :2]), {})],
    "scatter_add": [((1, idx, y), {})],
    "index_select": [((0, pynet.tensor([2, 0])), {}), ((), {"dim": 1, "index": pynet.tensor([1])})],
    "tril": [((), {}), ((1,), {}), ((), {"diagonal": -1})],
    "triu": [((), {"diagonal": 1})],
    "transpose": [((0, 1), {})],
    "unsqueeze": [((0,), {}), ((), {"dim": 2})],
    "squeeze": [((), {}), ((0,), {})],
    "narrow": [((1, 1, 2), {})],
    "select": [((0, 2), {})],
    "matmul": [((y.t(),), {})],
    "mm": [((y.t(),), {})],
    "bmm": [((y.t().reshape(1, 4, 3),), {})],
    **{f"bitwise_{op}": [((ints,), {}), ((), {"other": ints})] for op in ("and", "or", "xor")},
}
# the input of each call when it is not x
INPUTS = {"bmm": x.reshape(1, 3, 4), "bitwise_not": ints, "bitwise_and": ints,
          "bitwise_or": ints, "bitwise_xor": ints}
BINARY = {"atan2", "mul", "true_divide", "floor_divide", "remainder", "maximum", "minimum",
          "eq", "ne", "lt", "le", "gt", "ge"}


def _calls(name):
    if name in CALLS:
        return CALLS[name]
    if name in BINARY:
        return [((y,), {}), ((2.0,), {}), ((), {"other": y})]
    return [((), {})]  # unary


def _run(f, *args, **kw):
    try:
        return f(*args, **kw)
    except Exception as e:  # noqa: BLE001 (compared below)
        return e


def _same(a, b, message=True):
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b) and (not message or str(a) == str(b)), (a, b)
    elif isinstance(a, tuple):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
    elif isinstance(a, pynet.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    else:
        assert a == b


@pytest.mark.parametrize("name", NAMES)
def test_builtin_and_python_function_agree(name):
    fn, py = getattr(pynet, name), _functions._PYTHON[name]
    inp = INPUTS.get(name, x)
    for args, kw in _calls(name):
        _same(_run(fn, inp, *args, **kw), _run(py, inp, *args, **kw))
        if not args:  # the input by keyword (the Python function's path)
            _same(_run(fn, input=inp, **kw), _run(py, input=inp, **kw))
    # wrong calls raise the same type (the method words the count its own way)
    _same(_run(fn, inp, bogus=1), _run(py, inp, bogus=1), message=False)
    _same(_run(fn, inp, 0, 0, 0, 0, 0, 0), _run(py, inp, 0, 0, 0, 0, 0, 0), message=False)


def test_other_inputs_take_the_python_function():
    """A list, a number, input= by keyword, a Parameter, a subclass that overrides."""
    _same(pynet.sum([1.0, 2.0, 4.0]), pynet.tensor(7.0))
    _same(pynet.exp(0.0), pynet.tensor(1.0))
    _same(pynet.sum(input=x, dim=0), x.sum(0))
    p = pynet.nn.Parameter(x.clone())
    _same(pynet.sum(p, 1), p.sum(1))

    class Doubled(pynet.Tensor):
        def sum(self, *args, **kwargs):
            return super().sum(*args, **kwargs) * 2

    _same(pynet.sum(Doubled(x)), x.sum() * 2)  # the override runs


def test_gradients_flow_through_the_builtins():
    a = x.clone().requires_grad_()
    pynet.sum(pynet.mul(pynet.exp(a), 2.0), dim=0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * np.exp(x.numpy()), rtol=1e-6)
