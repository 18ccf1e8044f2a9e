"""Autograd semantics of pynet, checked against PyTorch's documented behaviour.

Expected values come from hand calculation / numpy / math, or from torch in the
parity tests; never from pynet itself.
"""
import gc
import os
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pynet
from pynet.autograd import Function

F64 = pynet.float64


def t64(data, requires_grad=False):
    return pynet.tensor(np.asarray(data, dtype=np.float64), dtype=F64, requires_grad=requires_grad)


def arr(t):
    return np.asarray(t.detach().numpy())


# ============================================================ .grad accumulation

def test_grad_is_none_before_backward():
    x = t64([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    y = x * 3.0
    assert x.grad is None and y.grad_fn is not None


def test_grad_accumulates_across_backward_calls():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 4.0, 6.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [4.0, 8.0, 12.0])
    (x * 10.0).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [14.0, 18.0, 22.0])


def test_grad_reset_to_none_and_zero_():
    x = t64([1.0, -1.0], requires_grad=True)
    (x * 5.0).sum().backward()
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0])
    x.grad.zero_()
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [3.0, 3.0])


def test_accumulation_does_not_alias_upstream_gradient():
    # The first .grad must not be a tensor that a later backward mutates in place
    # while the user holds a reference to it: torch's AccumulateGrad accumulates
    # in place into .grad, but the *gradient passed in* is never written.
    x = t64([1.0, 2.0], requires_grad=True)
    g = t64([1.0, 1.0])
    y = x * 1.0
    y.backward(g)
    (x * 1.0).backward(t64([5.0, 5.0]))
    np.testing.assert_array_equal(arr(g), [1.0, 1.0])
    np.testing.assert_array_equal(arr(x.grad), [6.0, 6.0])


def test_leaf_grad_through_a_reshape_owns_its_memory():
    # a reshape's gradient is a view of the gradient before it; a leaf's first .grad
    # takes that memory when nothing else holds it (engine.c's adopt_base_memory), and
    # copies it when something does: a retained gradient or the caller's own tensor
    x = pynet.ones((4, 4), requires_grad=True)
    (x.reshape(2, 8) * 3.0).sum().backward()
    assert x.grad._base is None and x.grad.is_contiguous()
    (x.reshape(16) * 2.0).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), np.full((4, 4), 5.0))

    x.grad = None
    y = x.reshape(2, 8)
    y.retain_grad()
    (y * 3.0).sum().backward()
    x.grad.mul_(2.0)
    np.testing.assert_array_equal(arr(y.grad), np.full((2, 8), 3.0))
    np.testing.assert_array_equal(arr(x.grad), np.full((4, 4), 6.0))

    x.grad = None
    g = pynet.ones(16)
    x.reshape(16).backward(g)
    g.mul_(7.0)
    np.testing.assert_array_equal(arr(x.grad), np.ones((4, 4)))
    x.grad.mul_(3.0)
    np.testing.assert_array_equal(arr(g), np.full(16, 7.0))

    # a gradient that a hook returned and the caller keeps is copied too, view or not
    for make in (lambda: pynet.full((16,), 7.0).view(16), lambda: pynet.full((16,), 7.0)):
        keep = []
        x = pynet.zeros(16, requires_grad=True)
        x.register_hook(lambda g, make=make, keep=keep: keep.append(make()) or keep[-1])
        (x * 2.0).sum().backward()
        assert x.grad is not keep[0]
        keep[0].add_(1.0)
        np.testing.assert_array_equal(arr(x.grad), np.full(16, 7.0))


def test_leaf_grads_do_not_alias_each_other():
    # AddBackward passes the same gradient to both inputs; accumulating into one
    # leaf's .grad must not change the other's.
    a = t64([1.0, 1.0], requires_grad=True)
    b = t64([1.0, 1.0], requires_grad=True)
    (a + b).sum().backward()
    (a * 2.0).sum().backward()
    np.testing.assert_array_equal(arr(a.grad), [3.0, 3.0])
    np.testing.assert_array_equal(arr(b.grad), [1.0, 1.0])
    a.grad.mul_(5.0)
    np.testing.assert_array_equal(arr(b.grad), [1.0, 1.0])


def test_backward_on_leaf_does_not_mutate_passed_gradient():
    x = t64([1.0, 1.0], requires_grad=True)
    g = t64([1.0, 2.0])
    x.backward(g)
    x.backward(g)
    np.testing.assert_array_equal(arr(g), [1.0, 2.0])
    np.testing.assert_array_equal(arr(x.grad), [2.0, 4.0])


def test_assigning_grad_of_wrong_shape_or_dtype_raises():
    x = pynet.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        x.grad = pynet.zeros(4)
    with pytest.raises(RuntimeError):
        x.grad = pynet.zeros(3, dtype=F64)


def test_user_assigned_grad_is_accumulated_into():
    x = t64([1.0, 2.0], requires_grad=True)
    x.grad = t64([10.0, 20.0])
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [13.0, 23.0])


def test_same_leaf_used_multiple_times_in_one_graph():
    x = t64(2.0, requires_grad=True)
    y = x * x * x + x * 4.0 + x   # dy/dx = 3x^2 + 5 = 17
    y.backward()
    assert x.grad.item() == 17.0


def test_only_leaves_requiring_grad_get_grad():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0])
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_array_equal(arr(a.grad), [3.0, 4.0])


# ============================================================ retain_graph

SAVING_OPS = {
    "mul": lambda x: x * x,
    "div": lambda x: x / (x + 3.0),
    "exp": lambda x: x.exp(),
    "log": lambda x: (x + 3.0).log(),
    "pow": lambda x: x ** 3,
    "sigmoid": lambda x: x.sigmoid(),
    "tanh": lambda x: x.tanh(),
    "matmul": lambda x: x.unsqueeze(0) @ x.unsqueeze(1),
    "softmax": lambda x: x.softmax(0),
    "prod": lambda x: x.prod(),
}


@pytest.mark.parametrize("op", sorted(SAVING_OPS))
def test_backward_twice_without_retain_graph_raises(op):
    x = t64([0.5, 1.0, 1.5], requires_grad=True)
    y = SAVING_OPS[op](x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_twice_mul_message():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0], requires_grad=True)
    y = (a * b).sum()
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert "second time" in str(info.value)


def test_backward_twice_through_shared_subgraph_raises():
    x = t64([1.0, 2.0], requires_grad=True)
    h = x * x
    (h * 2.0).sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 3.0).sum().backward()


def test_retain_graph_allows_second_backward():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0], requires_grad=True)
    y = (a * b).exp().sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    e = np.exp(np.array([3.0, 8.0]))
    np.testing.assert_allclose(arr(a.grad), 3 * e * [3.0, 4.0], rtol=1e-12)
    np.testing.assert_allclose(arr(b.grad), 3 * e * [1.0, 2.0], rtol=1e-12)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_second_backward_through_nonsaving_ops_is_allowed():
    # PyTorch: AddBackward saves nothing, so a second backward is fine.
    a = t64([1.0, 2.0], requires_grad=True)
    y = a + 1.0
    y.sum().backward()
    y.sum().backward()
    np.testing.assert_array_equal(arr(a.grad), [2.0, 2.0])


# ============================================================ backward() arguments

def test_backward_non_scalar_without_gradient_raises():
    x = t64([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2.0).backward()
    assert x.grad is None


def test_backward_with_gradient_argument():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(gradient=t64([1.0, 0.5, -2.0]))
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0, -12.0])


def test_backward_gradient_positional_and_2d():
    x = t64([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.exp()
    g = t64([[1.0, 0.0], [2.0, -1.0]])
    y.backward(g)
    np.testing.assert_allclose(arr(x.grad), np.exp(arr(x)) * arr(g), rtol=1e-12)


def test_backward_gradient_wrong_shape_raises():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        (x * 2.0).backward(t64([1.0, 2.0]))


def test_backward_scalar_with_explicit_scalar_gradient():
    x = t64([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward(t64(2.0))
    np.testing.assert_array_equal(arr(x.grad), [6.0, 6.0])


def test_backward_on_tensor_not_requiring_grad_raises():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError):
        x.sum().backward()


def test_backward_inputs_argument_restricts_accumulation():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    np.testing.assert_array_equal(arr(a.grad), [3.0, 4.0])
    assert b.grad is None


def test_autograd_backward_multiple_roots():
    x = t64([1.0, 2.0], requires_grad=True)
    y1 = (x * 2.0).sum()
    y2 = (x * x).sum()
    pynet.autograd.backward([y1, y2])
    np.testing.assert_array_equal(arr(x.grad), [4.0, 6.0])


# ============================================================ requires_grad / is_leaf

def test_requires_grad_propagation():
    a = t64([1.0], requires_grad=True)
    b = t64([2.0])
    assert (a + b).requires_grad
    assert (b + a).requires_grad
    assert not (b * b).requires_grad
    assert (b * b).grad_fn is None
    assert (a.exp() * b).requires_grad
    assert pynet.cat([b, a]).requires_grad
    assert pynet.stack([b, b]).requires_grad is False
    assert pynet.where(b > 0, b, a).requires_grad


def test_comparison_and_integer_results_do_not_require_grad():
    a = t64([1.0, -2.0], requires_grad=True)
    assert not (a > 0).requires_grad
    assert not a.argmax().requires_grad
    assert not a.max(0).indices.requires_grad
    assert a.max(0).values.requires_grad


def test_is_leaf():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([1.0, 2.0])
    assert a.is_leaf and b.is_leaf
    assert not (a * 2.0).is_leaf
    assert (b * 2.0).is_leaf            # no grad history -> leaf
    assert a.detach().is_leaf
    assert (a * 2.0).detach().is_leaf
    with pynet.no_grad():
        assert (a * 2.0).is_leaf


def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(RuntimeError):
        pynet.tensor([1, 2, 3]).requires_grad_()


def test_requires_grad_():
    x = t64([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad
    (x * 4.0).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [4.0, 4.0])
    x.requires_grad_(False)
    assert not x.requires_grad
    assert not (x * 4.0).requires_grad


def test_requires_grad_false_on_non_leaf_raises():
    x = t64([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        (x * 2.0).requires_grad_(False)


def test_requires_grad_setter():
    x = t64([1.0, 2.0])
    x.requires_grad = True
    (x * x).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 4.0])


# ============================================================ grad_fn / next_functions

def test_grad_fn_name_mul_and_next_functions():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0], requires_grad=True)
    c = a * b
    assert c.grad_fn.name() == "MulBackward0"
    nf = c.grad_fn.next_functions
    assert isinstance(nf, tuple) and len(nf) == 2
    (fa, ia), (fb, ib) = nf
    assert fa.name() == "AccumulateGrad" and fb.name() == "AccumulateGrad"
    assert ia == 0 and ib == 0
    assert fa.variable is a and fb.variable is b
    assert a.grad_fn is None


def test_next_functions_chain_and_constants():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0])
    c = a * b
    d = c.exp()
    e = d + c
    assert e.grad_fn.name() == "AddBackward0"
    (f0, _), (f1, _) = e.grad_fn.next_functions
    assert f0 is d.grad_fn and f1 is c.grad_fn
    assert d.grad_fn.name() == "ExpBackward0"
    assert d.grad_fn.next_functions[0][0] is c.grad_fn
    # the input that does not require grad has no edge
    (m0, _), (m1, _) = c.grad_fn.next_functions
    assert m0.name() == "AccumulateGrad" and m0.variable is a
    assert m1 is None


def test_accumulate_grad_node_is_shared_per_leaf():
    a = t64([1.0, 2.0], requires_grad=True)
    y1 = a * 2.0
    y2 = a.exp()
    assert y1.grad_fn.next_functions[0][0] is y2.grad_fn.next_functions[0][0]


def test_multi_output_node_output_nr():
    x = t64([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    m = x.max(1)
    assert m.values.grad_fn.name() == "MaxBackward0"


GRAD_FN_NAME_CASES = {
    "add": lambda L, a, b: a + b,
    "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b,
    "div": lambda L, a, b: a / b,
    "pow": lambda L, a, b: a ** b,
    "pow_scalar": lambda L, a, b: a ** 2,
    "neg": lambda L, a, b: -a,
    "exp": lambda L, a, b: a.exp(),
    "log": lambda L, a, b: a.log(),
    "sqrt": lambda L, a, b: a.sqrt(),
    "sigmoid": lambda L, a, b: a.sigmoid(),
    "tanh": lambda L, a, b: a.tanh(),
    "relu": lambda L, a, b: a.relu(),
    "abs": lambda L, a, b: a.abs(),
    "sin": lambda L, a, b: a.sin(),
    "cos": lambda L, a, b: a.cos(),
    "sum_dim": lambda L, a, b: a.sum(0),
    "sum_all": lambda L, a, b: a.sum(),
    "mean_dim": lambda L, a, b: a.mean(1),
    "mm": lambda L, a, b: a.mm(b.t()),
    "bmm": lambda L, a, b: a.unsqueeze(0).bmm(b.t().unsqueeze(0)),
    "softmax": lambda L, a, b: a.softmax(1),
    "log_softmax": lambda L, a, b: a.log_softmax(1),
    "index": lambda L, a, b: a[L.tensor([0, 1])],
    "cat": lambda L, a, b: L.cat([a, b]),
    "permute": lambda L, a, b: a.permute(1, 0),
    "expand": lambda L, a, b: a[:1].expand(3, 3),
    "unsqueeze": lambda L, a, b: a.unsqueeze(0),
    "view": lambda L, a, b: a.view(9),
    "clone": lambda L, a, b: a.clone(),
    "where": lambda L, a, b: L.where(a > 1, a, b),
    "maximum": lambda L, a, b: L.maximum(a, b),
    "clamp": lambda L, a, b: a.clamp(0.0, 1.0),
    "amax": lambda L, a, b: a.amax(1),
}


@pytest.mark.parametrize("name", sorted(GRAD_FN_NAME_CASES))
def test_grad_fn_names_match_torch(name):
    torch = pytest.importorskip("torch")
    data_a = np.arange(1.0, 10.0).reshape(3, 3)
    data_b = np.arange(2.0, 11.0).reshape(3, 3)[::-1].copy()
    fn = GRAD_FN_NAME_CASES[name]
    p = fn(pynet, t64(data_a, True), t64(data_b, True))
    t = fn(torch, torch.tensor(data_a, requires_grad=True), torch.tensor(data_b, requires_grad=True))
    assert p.grad_fn.name() == t.grad_fn.name()


# ============================================================ grad modes

def test_no_grad_context_manager():
    x = t64([1.0], requires_grad=True)
    with pynet.no_grad():
        y = x * 2.0
        assert not pynet.is_grad_enabled()
    assert pynet.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad():
    x = t64([1.0], requires_grad=True)
    with pynet.no_grad():
        with pynet.enable_grad():
            y = x * 2.0
        z = x * 2.0
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad
    y.sum().backward()
    assert x.grad.item() == 2.0


def test_no_grad_decorator():
    x = t64([1.0], requires_grad=True)

    @pynet.no_grad()
    def f(t):
        assert not pynet.is_grad_enabled()
        return t * 2.0

    y = f(x)
    assert not y.requires_grad
    assert pynet.is_grad_enabled()
    assert f.__name__ == "f"


def test_no_grad_decorator_without_parentheses():
    # torch >= 2.0 accepts @torch.no_grad as well as @torch.no_grad()
    x = t64([1.0], requires_grad=True)

    @pynet.no_grad
    def f(t):
        return t * 2.0

    assert not f(x).requires_grad
    assert pynet.is_grad_enabled()


def test_enable_grad_decorator():
    x = t64([1.0], requires_grad=True)

    @pynet.enable_grad()
    def f(t):
        return t * 2.0

    with pynet.no_grad():
        y = f(x)
        assert not pynet.is_grad_enabled()
    assert y.requires_grad


def test_set_grad_enabled_context_and_function():
    x = t64([1.0], requires_grad=True)
    with pynet.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert pynet.is_grad_enabled()
    with pynet.set_grad_enabled(True):
        assert (x * 2.0).requires_grad
    pynet.set_grad_enabled(False)
    try:
        assert not pynet.is_grad_enabled()
        assert not (x * 2.0).requires_grad
    finally:
        pynet.set_grad_enabled(True)
    assert pynet.is_grad_enabled()
    with pynet.no_grad():
        with pynet.set_grad_enabled(True):
            assert (x * 2.0).requires_grad
        assert not pynet.is_grad_enabled()


def test_set_grad_enabled_decorator():
    x = t64([1.0], requires_grad=True)

    @pynet.set_grad_enabled(False)
    def f(t):
        return t * 2.0

    assert pynet.is_grad_enabled()      # creating the decorator must not switch modes
    assert not f(x).requires_grad
    assert pynet.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with pynet.no_grad():
            raise ValueError("boom")
    assert pynet.is_grad_enabled()

    @pynet.no_grad()
    def f():
        raise KeyError("x")

    with pytest.raises(KeyError):
        f()
    assert pynet.is_grad_enabled()


def test_nested_no_grad_restores_outer_state():
    with pynet.no_grad():
        with pynet.no_grad():
            pass
        assert not pynet.is_grad_enabled()
    assert pynet.is_grad_enabled()


def test_grad_mode_is_thread_local():
    import threading

    seen = {}

    def worker():
        seen["enabled"] = pynet.is_grad_enabled()
        x = t64([1.0], requires_grad=True)
        seen["req"] = (x * 2.0).requires_grad

    with pynet.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert not pynet.is_grad_enabled()
    assert seen == {"enabled": True, "req": True}


def test_no_grad_in_place_update_of_leaf_allowed():
    w = t64([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pynet.no_grad():
        w -= 0.5 * w.grad
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_array_equal(arr(w), [0.0, 0.0])


# ============================================================ detach

def test_detach_shares_storage_and_cuts_graph():
    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d[0] = 100.0      # shares memory with y
    assert arr(y)[0] == 100.0
    z = (d * x).sum()
    z.backward()
    np.testing.assert_array_equal(arr(x.grad), [100.0, 6.0])


def test_detach_blocks_gradient():
    x = t64([2.0], requires_grad=True)
    y = x * x.detach()          # d/dx = x (the detached factor is constant)
    y.sum().backward()
    assert x.grad.item() == 2.0


def test_detach_inplace():
    x = t64([2.0], requires_grad=True)
    y = x * 2.0
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


# ============================================================ in-place semantics

@pytest.mark.parametrize("modify", ["add_", "mul_", "setitem", "zero_", "exp_", "copy_"])
def test_inplace_modification_of_saved_output_detected(modify):
    x = t64([0.5, 1.0], requires_grad=True)
    y = x.exp()                     # ExpBackward saves its output y
    if modify == "add_":
        y.add_(1)
    elif modify == "mul_":
        y.mul_(2.0)
    elif modify == "setitem":
        y[0] = 3.0
    elif modify == "zero_":
        y.zero_()
    elif modify == "exp_":
        y.exp_()
    else:
        y.copy_(t64([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_inplace_modification_of_saved_input_detected():
    x = t64([1.0, 2.0], requires_grad=True)
    a = x * 1.0
    b = a * a                       # MulBackward saves a
    a.add_(1.0)
    with pytest.raises(RuntimeError, match="inplace"):
        b.sum().backward()


def test_inplace_modification_of_saved_constant_detected():
    x = t64([1.0, 2.0], requires_grad=True)
    w = t64([3.0, 4.0])             # does not require grad, but is saved for x's gradient
    y = x * w
    w.mul_(2.0)
    with pytest.raises(RuntimeError, match="inplace"):
        y.sum().backward()


def test_inplace_modification_through_view_of_saved_tensor_detected():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    w = t64([3.0, 4.0, 5.0])
    y = (x * w).sum()
    v = w[1:]
    v.fill_(0.0)
    with pytest.raises(RuntimeError, match="inplace"):
        y.backward()


def test_inplace_sigmoid_tanh_outputs_detected():
    for op in ("sigmoid", "tanh", "sqrt"):
        x = t64([0.5, 1.0], requires_grad=True)
        y = getattr(x, op)()
        y.mul_(2.0)
        with pytest.raises(RuntimeError, match="inplace"):
            y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = t64([1.0, 2.0], requires_grad=True)
    for op in (lambda t: t.add_(1.0), lambda t: t.mul_(2.0), lambda t: t.zero_(),
               lambda t: t.exp_(), lambda t: t.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError):
            op(x)
    np.testing.assert_array_equal(arr(x), [1.0, 2.0])


def test_inplace_on_view_of_leaf_requiring_grad_raises():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        x[1:].mul_(2.0)
    np.testing.assert_array_equal(arr(x), [1.0, 2.0, 3.0])


def test_inplace_on_nonleaf_then_backward_add():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    np.testing.assert_array_equal(arr(y), [3.0, 5.0, 7.0])
    assert y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0, 2.0])


def test_inplace_on_nonleaf_chain_mul_exp():
    x = t64([0.5, -1.0], requires_grad=True)
    y = x * 2.0
    y.mul_(3.0)            # y = 6x
    y.exp_()               # y = exp(6x), dy/dx = 6 exp(6x)
    y.sum().backward()
    np.testing.assert_allclose(arr(x.grad), 6 * np.exp(6 * np.array([0.5, -1.0])), rtol=1e-12)


def test_inplace_ops_on_nonleaf_match_torch():
    torch = pytest.importorskip("torch")
    data = np.array([[0.3, -1.2, 2.0], [1.5, -0.4, 0.8]])

    def run(L, x):
        y = x * 1.5
        y.sub_(0.25)
        y.mul_(2.0)
        y.sigmoid_()         # saves its output y; y is not modified again below
        z = x.tanh() + 0.0   # AddBackward saves nothing, so z may be modified
        z.add_(y)
        w = z.clone()
        w.sub_(0.5)            # (clamp_ is covered by test_inplace_unary_on_nonleaf_matches_torch)
        w.relu_()
        return (w * x).sum()

    p = t64(data, True)
    t = torch.tensor(data, requires_grad=True)
    run(pynet, p).backward()
    run(torch, t).backward()
    np.testing.assert_allclose(arr(p.grad), t.grad.numpy(), rtol=1e-10, atol=1e-12)


INPLACE_UNARY = ["clamp_(0.0, 1.5)", "clip_(0.0, 1.5)", "relu_()", "abs_()", "sqrt_()",
                 "sigmoid_()", "tanh_()", "exp_()", "log_()", "pow_(2)", "mul_(2.0)",
                 "div_(2.0)", "neg_()", "sin_()", "cos_()", "reciprocal_()", "square_()",
                 "log1p_()", "expm1_()", "remainder_(0.7)", "add_(3.0)", "sub_(1.0)"]


@pytest.mark.parametrize("op", INPLACE_UNARY)
def test_inplace_unary_on_nonleaf_matches_torch(op):
    torch = pytest.importorskip("torch")
    data = np.array([0.5, 1.0, 2.0, 0.25])

    def run(L, x):
        y = x * 1.0
        r = eval("y." + op, {"y": y})
        assert r is y
        return (y * y).sum()

    p = t64(data, True)
    t = torch.tensor(data, requires_grad=True)
    run(pynet, p).backward()
    run(torch, t).backward()
    np.testing.assert_allclose(arr(p.grad), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_inplace_index_assignment_on_nonleaf_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.arange(1.0, 7.0).reshape(2, 3)
    val = np.array([10.0, 20.0, 30.0])

    def run(L, x, v):
        y = x * 2.0
        y[1] = v * v
        y[0, 2] = 0.0
        return (y * y).sum()

    p, pv = t64(data, True), t64(val, True)
    t, tv = torch.tensor(data, requires_grad=True), torch.tensor(val, requires_grad=True)
    run(pynet, p, pv).backward()
    run(torch, t, tv).backward()
    np.testing.assert_allclose(arr(p.grad), t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(arr(pv.grad), tv.grad.numpy(), rtol=1e-12)


def test_inplace_on_view_of_nonleaf_never_silently_wrong():
    # torch gives x.grad == [10, 1, 1]; pynet may reject in-place on views of graph
    # tensors, but if it accepts the op the gradient must be right.
    x = t64([1.0, 1.0, 1.0], requires_grad=True)
    y = x * 1.0
    try:
        y[0].mul_(10.0)
    except RuntimeError:
        return
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [10.0, 1.0, 1.0])


def test_version_counter_increments():
    x = t64([1.0, 2.0])
    v0 = x._version
    x.add_(1.0)
    x.mul_(2.0)
    assert x._version == v0 + 2
    x[0] = 1.0
    assert x._version == v0 + 3


# ============================================================ autograd.grad

def test_grad_returns_without_touching_dot_grad():
    x = t64([1.0, 2.0], requires_grad=True)
    y = t64([3.0, 5.0], requires_grad=True)
    z = (x * x * y).sum()
    gx, gy = pynet.autograd.grad(z, [x, y])
    np.testing.assert_array_equal(arr(gx), [6.0, 20.0])
    np.testing.assert_array_equal(arr(gy), [1.0, 4.0])
    assert x.grad is None and y.grad is None


def test_grad_single_input_returns_tuple():
    x = t64([1.0, 2.0], requires_grad=True)
    res = pynet.autograd.grad((x * 3.0).sum(), x)
    assert isinstance(res, tuple) and len(res) == 1
    np.testing.assert_array_equal(arr(res[0]), [3.0, 3.0])


def test_grad_with_respect_to_intermediate():
    x = t64([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    z = (h * h).sum()
    (gh,) = pynet.autograd.grad(z, h)
    np.testing.assert_array_equal(arr(gh), [6.0, 12.0])
    assert x.grad is None


def test_grad_unused_input_raises_without_allow_unused():
    x = t64([1.0], requires_grad=True)
    u = t64([1.0], requires_grad=True)
    z = (x * 2.0).sum()
    with pytest.raises(RuntimeError):
        pynet.autograd.grad(z, [x, u], retain_graph=True)
    gx, gu = pynet.autograd.grad(z, [x, u], allow_unused=True)
    assert gu is None
    assert gx.item() == 2.0


def test_grad_materialize_grads():
    x = t64([1.0], requires_grad=True)
    u = t64([[1.0, 2.0]], requires_grad=True)
    gx, gu = pynet.autograd.grad((x * 2.0).sum(), [x, u], materialize_grads=True)
    np.testing.assert_array_equal(arr(gu), [[0.0, 0.0]])


def test_grad_with_grad_outputs():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = pynet.autograd.grad(x * x, x, grad_outputs=t64([1.0, -1.0, 0.5]))
    np.testing.assert_array_equal(arr(g), [2.0, -4.0, 3.0])


def test_grad_non_scalar_without_grad_outputs_raises():
    x = t64([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        pynet.autograd.grad(x * 2.0, x)


def test_grad_frees_graph_unless_retained():
    x = t64([1.0, 2.0], requires_grad=True)
    z = (x * x).sum()
    pynet.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match="second time"):
        pynet.autograd.grad(z, x)
    z2 = (x * x).sum()
    pynet.autograd.grad(z2, x, retain_graph=True)
    (g,) = pynet.autograd.grad(z2, x)
    np.testing.assert_array_equal(arr(g), [2.0, 4.0])


def test_grad_input_not_requiring_grad_raises():
    x = t64([1.0, 2.0], requires_grad=True)
    c = t64([1.0, 2.0])
    with pytest.raises(RuntimeError):
        pynet.autograd.grad((x * c).sum(), c)


def test_grad_multiple_outputs_sum():
    x = t64([1.0, 2.0], requires_grad=True)
    (g,) = pynet.autograd.grad([(x * 2.0).sum(), (x * x).sum()], x)
    np.testing.assert_array_equal(arr(g), [4.0, 6.0])


# ============================================================ higher order

def _d2(f, x0):
    x = t64(x0, requires_grad=True)
    y = f(x).sum()
    (g,) = pynet.autograd.grad(y, x, create_graph=True)
    assert g.requires_grad
    (h,) = pynet.autograd.grad(g.sum(), x)
    return arr(g), arr(h)


XS = np.array([0.3, 0.9, 1.7, 2.5])


def _sig(v):
    return 1 / (1 + np.exp(-v))


SECOND_DERIVATIVES = {
    # name: (f, f', f'')
    "cube": (lambda x: x ** 3, lambda v: 3 * v ** 2, lambda v: 6 * v),
    "cube_mul": (lambda x: x * x * x, lambda v: 3 * v ** 2, lambda v: 6 * v),
    "sigmoid": (lambda x: x.sigmoid(), lambda v: _sig(v) * (1 - _sig(v)),
                lambda v: _sig(v) * (1 - _sig(v)) * (1 - 2 * _sig(v))),
    "tanh": (lambda x: x.tanh(), lambda v: 1 - np.tanh(v) ** 2,
             lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
    "exp": (lambda x: x.exp(), np.exp, np.exp),
    "log": (lambda x: x.log(), lambda v: 1 / v, lambda v: -1 / v ** 2),
    "sqrt": (lambda x: x.sqrt(), lambda v: 0.5 / np.sqrt(v), lambda v: -0.25 * v ** -1.5),
    "reciprocal": (lambda x: x.reciprocal(), lambda v: -1 / v ** 2, lambda v: 2 / v ** 3),
    "div": (lambda x: 1.0 / x, lambda v: -1 / v ** 2, lambda v: 2 / v ** 3),
    "sin": (lambda x: x.sin(), np.cos, lambda v: -np.sin(v)),
    "cos": (lambda x: x.cos(), lambda v: -np.sin(v), lambda v: -np.cos(v)),
    "pow_scalar_base": (lambda x: 2.0 ** x, lambda v: np.log(2) * 2 ** v,
                        lambda v: np.log(2) ** 2 * 2 ** v),
    "pow_self": (lambda x: x ** x, lambda v: v ** v * (np.log(v) + 1),
                 lambda v: v ** v * (np.log(v) + 1) ** 2 + v ** (v - 1)),
    "log1p": (lambda x: x.log1p(), lambda v: 1 / (1 + v), lambda v: -1 / (1 + v) ** 2),
    "expm1": (lambda x: x.expm1(), np.exp, np.exp),
    "log2": (lambda x: x.log2(), lambda v: 1 / (v * np.log(2)), lambda v: -1 / (v ** 2 * np.log(2))),
    "erf": (lambda x: x.erf(), lambda v: 2 / np.sqrt(np.pi) * np.exp(-v ** 2),
            lambda v: -4 * v / np.sqrt(np.pi) * np.exp(-v ** 2)),
    "tan": (lambda x: x.tan(), lambda v: 1 / np.cos(v) ** 2,
            lambda v: 2 * np.tan(v) / np.cos(v) ** 2),
    "atan": (lambda x: x.atan(), lambda v: 1 / (1 + v ** 2), lambda v: -2 * v / (1 + v ** 2) ** 2),
    "rsqrt": (lambda x: x.rsqrt(), lambda v: -0.5 * v ** -1.5, lambda v: 0.75 * v ** -2.5),
    "square": (lambda x: x.square(), lambda v: 2 * v, lambda v: 2 * np.ones_like(v)),
    "relu_sq": (lambda x: x.relu() * x, lambda v: 2 * v, lambda v: 2 * np.ones_like(v)),
}


@pytest.mark.parametrize("name", sorted(SECOND_DERIVATIVES))
def test_double_backward_elementwise(name):
    f, d1, d2 = SECOND_DERIVATIVES[name]
    g, h = _d2(f, XS)
    np.testing.assert_allclose(g, d1(XS), rtol=1e-12)
    np.testing.assert_allclose(h, d2(XS), rtol=1e-12)


def test_triple_derivative_of_cube():
    x = t64(1.7, requires_grad=True)
    y = x ** 3
    (g1,) = pynet.autograd.grad(y, x, create_graph=True)
    (g2,) = pynet.autograd.grad(g1, x, create_graph=True)
    (g3,) = pynet.autograd.grad(g2, x)
    assert g1.item() == pytest.approx(3 * 1.7 ** 2, rel=1e-14)
    assert g2.item() == pytest.approx(6 * 1.7, rel=1e-14)
    assert g3.item() == pytest.approx(6.0, rel=1e-14)


def _d3(f, x0):
    """First, second and third derivative of an elementwise f at x0, each by
    autograd through the previous one."""
    x = t64(x0, requires_grad=True)
    (g1,) = pynet.autograd.grad(f(x).sum(), x, create_graph=True)
    (g2,) = pynet.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = pynet.autograd.grad(g2.sum(), x)
    return arr(g1), arr(g2), arr(g3)


def _tanh_d(v):
    t = np.tanh(v)
    return 1 - t * t, -2 * t * (1 - t * t), (1 - t * t) * (6 * t * t - 2)


def _sigmoid_d(v):
    s = _sig(v)
    d1 = s * (1 - s)
    return d1, d1 * (1 - 2 * s), d1 * ((1 - 2 * s) ** 2 - 2 * d1)


@pytest.mark.parametrize("name,f,ref", [
    ("tanh", lambda x: x.tanh(), _tanh_d),
    ("sigmoid", lambda x: x.sigmoid(), _sigmoid_d),
    ("relu", lambda x: x.relu() * x * x,  # x^3 where x > 0: 3 x^2, 6 x, 6
     lambda v: (3 * v * v * (v > 0), 6 * v * (v > 0), 6.0 * (v > 0))),
])
def test_third_derivative_through_fused_backward_ops(name, f, ref):
    """The fused tanh/sigmoid/threshold backward ops record their own nodes, so
    derivatives of any order go through them."""
    xs = np.array([-1.3, -0.2, 0.4, 1.1, 2.0])
    for got, want in zip(_d3(f, xs), ref(xs)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_backward_create_graph_grad_has_history():
    x = t64([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [6.0, 12.0])


def test_mixed_second_derivative():
    # f = x^2 y^3 ; d2f/dxdy = 6 x y^2
    x = t64(1.5, requires_grad=True)
    y = t64(-2.0, requires_grad=True)
    f = x * x * y ** 3
    (gx,) = pynet.autograd.grad(f, x, create_graph=True)
    (gxy,) = pynet.autograd.grad(gx, y)
    assert gxy.item() == pytest.approx(6 * 1.5 * 4.0, rel=1e-14)


DOUBLE_BACKWARD_TORCH = {
    "mlp_tanh": lambda L, x, w: ((x @ w).tanh() @ w.t()).sum(),
    "softmax": lambda L, x, w: ((x @ w).softmax(1) * w[0]).sum(),
    "log_softmax": lambda L, x, w: ((x @ w).log_softmax(1) ** 2).sum(),
    "logsumexp": lambda L, x, w: ((x @ w).logsumexp(1) ** 2).sum(),
    "prod": lambda L, x, w: (x.prod(1) * w.sum()).sum(),
    "var_std": lambda L, x, w: x.var(1).sum() * w.std(),
    "index": lambda L, x, w: ((x[L.tensor([0, 0, 2])] @ w) ** 2).sum(),
    "cat_div": lambda L, x, w: (L.cat([x, w.t()], 1) / (w.sum() + 10.0)).exp().sum(),
    "amax_mean": lambda L, x, w: ((x @ w).amax(1) * (x @ w).mean(1)).sum(),
    "sigmoid_pow": lambda L, x, w: ((x @ w).sigmoid() ** 3).sum(),
    "where_abs": lambda L, x, w: L.where(x > 0, x * x, x.abs() * 3.0).sum() * w.sum(),
    "sqrt_log": lambda L, x, w: ((x * x + 1.0).sqrt() * (w * w + 2.0).log().sum()).sum(),
    # isolated ops: the first-order gradient must itself be differentiable
    "mm_only": lambda L, x, w: ((x @ w) ** 2).sum(),
    "mm_linear": lambda L, x, w: (x @ w).sum() * 1.0,
    "matvec": lambda L, x, w: ((x @ w[:, 0]) ** 2).sum(),
    "dot": lambda L, x, w: x[0].dot(w[:, 0]) ** 2,
    "bmm": lambda L, x, w: (x.unsqueeze(0).bmm(w.unsqueeze(0)) ** 2).sum(),
    "adv_index_only": lambda L, x, w: (x[L.tensor([0, 0, 2])] ** 3).sum() + (w ** 2).sum(),
    "bool_mask_only": lambda L, x, w: (x[x > 0] ** 3).sum() + (w ** 2).sum(),
    "index_put": lambda L, x, w: _index_put_sq(L, x, w),
    "softmax_only": lambda L, x, w: (x.softmax(1) * w.t()).sum(),
    "log_softmax_only": lambda L, x, w: (x.log_softmax(0) * w.t()).sum(),
    "max_dim_only": lambda L, x, w: (x.max(1).values ** 2).sum() + (w ** 2).sum(),
}


def _index_put_sq(L, x, w):
    o = x * 1.0
    o[L.tensor([0, 2])] = w.t()[:2] * w.t()[:2]
    return (o ** 3).sum()


@pytest.mark.parametrize("name", sorted(DOUBLE_BACKWARD_TORCH))
def test_double_backward_matches_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    xd, wd = rng.standard_normal((3, 4)), rng.standard_normal((4, 3))
    vx, vw = rng.standard_normal((3, 4)), rng.standard_normal((4, 3))
    f = DOUBLE_BACKWARD_TORCH[name]

    def hvp(L, mk, grad):
        x, w = mk(xd), mk(wd)
        y = f(L, x, w)
        gx, gw = grad(y, [x, w], create_graph=True)
        s = (gx * mk(vx, False)).sum() + (gw * mk(vw, False)).sum()
        return [arr_ for arr_ in grad(s, [x, w])], [gx, gw]

    (phx, phw), (pgx, pgw) = hvp(pynet, lambda a, rg=True: t64(a, rg), pynet.autograd.grad)
    (thx, thw), (tgx, tgw) = hvp(
        torch, lambda a, rg=True: torch.tensor(a, requires_grad=rg), torch.autograd.grad)
    np.testing.assert_allclose(arr(pgx), tgx.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(arr(pgw), tgw.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(arr(phx), thx.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(arr(phw), thw.numpy(), rtol=1e-10, atol=1e-12)


# ============================================================ custom Function

class MulAdd(Function):
    """out = a * b + c, with a non-tensor scale argument; records what backward saw."""

    seen = {}

    @staticmethod
    def forward(ctx, a, b, scale, c):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        MulAdd.seen["grad_enabled_in_forward"] = pynet.is_grad_enabled()
        return (a * b + c) * scale

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        MulAdd.seen["needs"] = ctx.needs_input_grad
        ga = g * b * ctx.scale if ctx.needs_input_grad[0] else None
        gb = g * a * ctx.scale if ctx.needs_input_grad[1] else None
        gc = g * ctx.scale if ctx.needs_input_grad[3] else None
        return ga, gb, None, gc


def test_custom_function_basic():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0], requires_grad=True)
    c = t64([0.5, 0.5], requires_grad=True)
    out = MulAdd.apply(a, b, 2.0, c)
    np.testing.assert_array_equal(arr(out), [7.0, 17.0])
    assert out.requires_grad and not out.is_leaf
    assert MulAdd.seen["grad_enabled_in_forward"] is False
    out.sum().backward()
    np.testing.assert_array_equal(arr(a.grad), [6.0, 8.0])
    np.testing.assert_array_equal(arr(b.grad), [2.0, 4.0])
    np.testing.assert_array_equal(arr(c.grad), [2.0, 2.0])
    assert MulAdd.seen["needs"] == (True, True, False, True)


def test_custom_function_needs_input_grad_partial():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0])
    c = t64([0.0, 0.0])
    out = MulAdd.apply(a, b, 1.0, c)
    out.sum().backward()
    assert MulAdd.seen["needs"] == (True, False, False, False)
    np.testing.assert_array_equal(arr(a.grad), [3.0, 4.0])
    assert b.grad is None


def test_custom_function_grad_fn_name_and_edges():
    a = t64([1.0], requires_grad=True)
    b = t64([3.0], requires_grad=True)
    out = MulAdd.apply(a, b, 1.0, t64([0.0]))
    assert out.grad_fn.name() == "MulAddBackward"
    nf = out.grad_fn.next_functions
    assert len(nf) == 3                       # one edge per tensor argument, in order
    assert nf[0][0].name() == "AccumulateGrad" and nf[0][0].variable is a
    assert nf[1][0].name() == "AccumulateGrad" and nf[1][0].variable is b
    assert nf[2][0] is None                   # the constant tensor has no edge


def test_custom_function_no_grad_returns_plain_tensor():
    a = t64([1.0], requires_grad=True)
    with pynet.no_grad():
        out = MulAdd.apply(a, a, 1.0, a)
    assert not out.requires_grad and out.grad_fn is None


class SplitTwo(Function):
    """Two outputs: (x * 2, x ** 2); backward combines both incoming gradients."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2.0, x * x

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * 2.0 + g2 * 2.0 * x


def test_custom_function_multiple_outputs():
    x = t64([1.0, 3.0], requires_grad=True)
    y1, y2 = SplitTwo.apply(x)
    (y1.sum() * 5.0 + y2.sum()).backward()
    np.testing.assert_array_equal(arr(x.grad), [12.0, 16.0])


def test_custom_function_only_one_output_used_gets_zero_grad_for_other():
    x = t64([1.0, 3.0], requires_grad=True)
    y1, y2 = SplitTwo.apply(x)
    y2.sum().backward()          # g1 must be materialized as zeros
    np.testing.assert_array_equal(arr(x.grad), [2.0, 6.0])


def test_custom_function_saved_tensors_freed_after_backward():
    x = t64([1.0, 3.0], requires_grad=True)
    _, y2 = SplitTwo.apply(x)
    s = y2.sum()
    s.backward()
    with pytest.raises(RuntimeError, match="second time"):
        s.backward()


def test_custom_function_retain_graph():
    x = t64([1.0, 3.0], requires_grad=True)
    _, y2 = SplitTwo.apply(x)
    s = y2.sum()
    s.backward(retain_graph=True)
    s.backward()
    np.testing.assert_array_equal(arr(x.grad), [4.0, 12.0])


def test_custom_function_inplace_on_saved_detected():
    x = t64([1.0, 3.0], requires_grad=True)
    h = x * 1.0
    _, y2 = SplitTwo.apply(h)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="inplace"):
        y2.sum().backward()


def test_custom_function_wrong_number_of_grads_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g

    a = t64([1.0], requires_grad=True)
    b = t64([1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        Bad.apply(a, b).sum().backward()


def test_custom_function_returning_input_unchanged():
    class Ident(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3.0

    x = t64([1.0, 2.0], requires_grad=True)
    y = Ident.apply(x)
    assert y.grad_fn is not None and y.grad_fn.name() == "IdentBackward"
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [3.0, 3.0])


def test_custom_function_mark_non_differentiable():
    class SortLike(Function):
        @staticmethod
        def forward(ctx, x):
            idx = x.argmax()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x)
            return x * 1.0, idx

        @staticmethod
        def backward(ctx, g, gidx):
            return g

    x = t64([1.0, 5.0, 2.0], requires_grad=True)
    y, idx = SortLike.apply(x)
    assert not idx.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [1.0, 1.0, 1.0])


def test_custom_function_in_chain_and_double_use():
    x = t64([0.5, 1.5], requires_grad=True)
    h = x.exp()
    y1, y2 = SplitTwo.apply(h)
    z = (y1 * y2).sum()          # 2h * h^2 = 2 h^3; dz/dx = 6 h^3
    z.backward()
    np.testing.assert_allclose(arr(x.grad), 6 * np.exp(3 * np.array([0.5, 1.5])), rtol=1e-12)


def test_custom_function_ctx_attributes_and_non_tensor_kw():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, factor, name):
            ctx.factor = factor
            ctx.name = name
            return x * factor

        @staticmethod
        def backward(ctx, g):
            assert ctx.name == "s"
            return g * ctx.factor, None, None

    x = t64([1.0, 2.0], requires_grad=True)
    Scale.apply(x, 4.0, "s").sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [4.0, 4.0])


# ============================================================ hooks / retain_grad

def test_hook_on_leaf_modifies_gradient():
    x = t64([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(arr(g).copy()))
    x.register_hook(lambda g: g * 10.0)
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(arr(x.grad), [30.0, 30.0])


def test_hook_on_nonleaf_modifies_gradient_flowing_back():
    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    seen = []

    def hook(g):
        seen.append(arr(g).copy())
        return g * 0.5

    y.register_hook(hook)
    (y * y).sum().backward()          # dL/dy = 2y = [4, 8]
    np.testing.assert_array_equal(seen[0], [4.0, 8.0])
    np.testing.assert_array_equal(arr(x.grad), [4.0, 8.0])   # 0.5 * 2y * 2
    assert y.grad is None


def test_hooks_run_in_registration_order():
    x = t64([1.0], requires_grad=True)
    y = x * 1.0
    y.register_hook(lambda g: g + 1.0)
    y.register_hook(lambda g: g * 3.0)
    y.sum().backward()
    assert x.grad.item() == 6.0      # (1 + 1) * 3


def test_hook_on_nonleaf_runs_once_with_summed_gradient():
    x = t64([1.0], requires_grad=True)
    y = x * 1.0
    calls = []
    y.register_hook(lambda g: calls.append(g.item()))
    (y * 2.0 + y * 3.0).sum().backward()
    assert calls == [5.0]


def test_hook_remove_on_leaf():
    x = t64([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 3.0)
    h.remove()
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0])


def test_hook_remove_on_nonleaf():
    # torch: after handle.remove() the hook no longer runs -> x.grad == [2, 2]
    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    h = y.register_hook(lambda g: g * 3.0)
    h.remove()
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0])


def test_hook_runs_on_every_backward():
    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: g * 3.0)
    y.sum().backward(retain_graph=True)
    np.testing.assert_array_equal(arr(x.grad), [6.0, 6.0])
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [12.0, 12.0])


def test_leaf_hook_sees_only_new_gradient_not_accumulated():
    x = t64([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(arr(g).tolist()))
    (x * 2.0).sum().backward()
    (x * 3.0).sum().backward()
    assert seen == [[2.0, 2.0], [3.0, 3.0]]
    np.testing.assert_array_equal(arr(x.grad), [5.0, 5.0])


def test_hook_returning_wrong_shape_raises():
    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_leaf_hook_applies_to_autograd_grad():
    # torch: tensor hooks also run when the tensor's gradient is captured by
    # torch.autograd.grad -> (20, 20)
    x = t64([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 10.0)
    (g,) = pynet.autograd.grad((x * 2.0).sum(), x)
    np.testing.assert_array_equal(arr(g), [20.0, 20.0])


def test_nonleaf_hook_applies_to_autograd_grad():
    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y.register_hook(lambda g: g * 10.0)
    (g,) = pynet.autograd.grad((y * 2.0).sum(), y)
    np.testing.assert_array_equal(arr(g), [20.0, 20.0])


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        t64([1.0]).register_hook(lambda g: g)


def test_retain_grad_on_nonleaf():
    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    y.retain_grad()
    assert y.retains_grad
    z = y * y
    z.sum().backward()
    np.testing.assert_array_equal(arr(y.grad), [6.0, 12.0])
    np.testing.assert_array_equal(arr(x.grad), [18.0, 36.0])
    assert z.grad is None


def test_retain_grad_accumulates():
    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    y.retain_grad()
    s = (y * 2.0).sum()
    s.backward(retain_graph=True)
    s.backward()
    np.testing.assert_array_equal(arr(y.grad), [4.0, 4.0])


def test_retain_grad_sees_hook_modified_gradient():
    # torch >= 2.0: retains_grad hooks run after all other tensor hooks, regardless
    # of registration order, so .grad is the hook-modified gradient (3, not 1).
    x = t64([1.0, 1.0, 1.0], requires_grad=True)
    y = x * 2.0
    y.retain_grad()
    y.register_hook(lambda g: g * 3.0)
    (y * 1.0).sum().backward()
    np.testing.assert_array_equal(arr(y.grad), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(arr(x.grad), [6.0, 6.0, 6.0])


def test_retain_grad_on_leaf_is_noop():
    x = t64([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0])


def test_retain_grad_does_not_keep_tensor_alive():
    import weakref

    x = t64([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    y.retain_grad()
    r = weakref.ref(y)
    del y
    gc.collect()
    assert r() is None


# ============================================================ deep graphs

def _run_isolated(code, timeout=120):
    """Run code in a fresh interpreter so a C-level crash (stack overflow) fails
    this test instead of killing the whole test session."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"exit code {proc.returncode}\n{proc.stderr[-2000:]}"
    return proc.stdout


def test_deep_graph_backward_and_dealloc_no_crash():
    out = _run_isolated("""
        import pynet
        x = pynet.tensor([1.0, 2.0], dtype=pynet.float64, requires_grad=True)
        y = x
        for _ in range(20000):
            y = y + x
        y.sum().backward()
        print(x.grad.tolist())
        del y
        # a deep graph that is never backwarded, then dropped
        z = x * 1.0
        for _ in range(50000):
            z = z * 1.0
        del z
        # deep graph of saving ops, backward with retain_graph, then dropped
        w = x
        for _ in range(20000):
            w = w.exp().log()
        w.sum().backward(retain_graph=True)
        print(x.grad.tolist())
        del w
        print("ok")
    """)
    lines = out.split("\n")
    assert lines[0] == "[20001.0, 20001.0]"
    second = [float(v) for v in lines[1].strip("[]").split(",")]
    assert second == pytest.approx([20002.0, 20002.0], rel=1e-6)
    assert lines[2] == "ok"


def test_deep_graph_values():
    x = t64([1.5], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 5000, rel=1e-10)


# ============================================================ course worked examples

def test_course_000_compute_graph_linear_regression():
    # 000_9ef787da092ffee8.txt, "Compute graph - For a single data-point {x = 2, y = 2}":
    #   "o = wx + b = 2 * 2 + 1 = 5"
    #   "L = 1/2 (o - y)^2 = 1/2 (5 - 2)^2 = 0.5 * 3^2 = 4.5"
    #   backward: dL/do = (o - y); dL/dw = x * (o - y); dL/db = 1 * (o - y)
    #   update:   "w <- 2 - 0.1 * 6",  "b <- 1 - 0.1 * 3"
    x = t64(2.0)
    y = t64(2.0)
    w = t64(2.0, requires_grad=True)
    b = t64(1.0, requires_grad=True)
    o = w * x + b
    o.retain_grad()
    L = 0.5 * (o - y) ** 2
    assert o.item() == 5.0
    assert L.item() == 4.5
    L.backward()
    assert o.grad.item() == 3.0          # (o - y)
    assert w.grad.item() == 6.0          # x * (o - y)
    assert b.grad.item() == 3.0          # 1 * (o - y)
    alpha = 0.1
    with pynet.no_grad():
        w -= alpha * w.grad
        b -= alpha * b.grad
    assert w.item() == pytest.approx(2 - 0.1 * 6)
    assert b.item() == pytest.approx(1 - 0.1 * 3)


def test_course_000_artificial_neuron():
    # 000_*.txt, "Artificial Neuron": x = [1, 2, 3], w = [1, 0.5, 1], b = 0.5,
    #   "o = phi(1*1 + 2*0.5 + 3*1 + 0.5) = phi(5.5)", with phi(x) = x: o = 5.5
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    w = t64([1.0, 0.5, 1.0], requires_grad=True)
    b = t64(0.5, requires_grad=True)
    o = w.dot(x) + b
    assert o.item() == 5.5
    o.backward()
    np.testing.assert_array_equal(arr(w.grad), [1.0, 2.0, 3.0])   # do/dw = x
    np.testing.assert_array_equal(arr(x.grad), [1.0, 0.5, 1.0])   # do/dx = w
    assert b.grad.item() == 1.0


def test_course_000_logistic_neuron_gradient():
    # 000_*.txt, "Compute Graph" for classification: L = -log o,
    #   dL/do = -1/o,  do/dtheta = (1 - logit)(logit)  =>  dL/dz = -(1 - o) = o - 1 (y = 1)
    xv, wv, bv = np.array([0.5, -1.0]), np.array([1.2, 0.4]), 0.3
    z = wv @ xv + bv
    o = 1 / (1 + math.exp(-z))
    x = t64(xv)
    w = t64(wv, requires_grad=True)
    b = t64(bv, requires_grad=True)
    out = (w.dot(x) + b).sigmoid()
    out.retain_grad()
    L = -out.log()
    L.backward()
    assert out.item() == pytest.approx(o, rel=1e-14)
    assert out.grad.item() == pytest.approx(-1 / o, rel=1e-14)
    assert b.grad.item() == pytest.approx((-1 / o) * o * (1 - o), rel=1e-12)
    np.testing.assert_allclose(arr(w.grad), (o - 1) * xv, rtol=1e-12)


def test_course_002_activation_derivatives():
    # 002_2c3dcc564de0663f.txt, "Common activation functions":
    #   sigmoid g'(z) = g(z)(1 - g(z));  tanh g'(z) = 1 - g(z)^2;
    #   ReLU g'(z) = 1 if z > 0 else 0
    zs = np.array([-3.0, -0.5, 0.25, 1.0, 4.0])
    for op, d in (("sigmoid", lambda v: _sig(v) * (1 - _sig(v))),
                  ("tanh", lambda v: 1 - np.tanh(v) ** 2),
                  ("relu", lambda v: (v > 0).astype(float))):
        z = t64(zs, requires_grad=True)
        getattr(z, op)().sum().backward()
        np.testing.assert_allclose(arr(z.grad), d(zs), rtol=1e-13, err_msg=op)


def test_course_softmax_nll_gradient():
    # 000_*.txt "Output layer Softmax", "Loss function: Cross entropy L = -log o_y";
    # 002_*.txt "p(c_k=1|x) = e^{o_k} / sum_j e^{o_j}", "L = -sum_j y_j log p(c_j|x)".
    # dL/do = softmax(o) - onehot(y)
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    labels = np.array([0, 2])
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    onehot = np.eye(3)[labels]
    o = t64(logits, requires_grad=True)
    loss = -(o.log_softmax(1)[pynet.arange(2), pynet.tensor(labels)]).sum()
    assert loss.item() == pytest.approx(-np.log(p[[0, 1], labels]).sum(), rel=1e-13)
    loss.backward()
    np.testing.assert_allclose(arr(o.grad), p - onehot, rtol=1e-12, atol=1e-15)
    # same through softmax + log + one-hot sum (the slide's form)
    o2 = t64(logits, requires_grad=True)
    loss2 = -(pynet.tensor(onehot, dtype=F64) * o2.softmax(1).log()).sum()
    loss2.backward()
    np.testing.assert_allclose(arr(o2.grad), p - onehot, rtol=1e-10, atol=1e-14)


def test_course_004_jacobian_rules():
    # 004_d3f0840d87e4a917.txt, "The Jacobian": d(Ax)/dx = A ;
    # "If f is a function applied elementwise, df(x)/dx = diag(f'(x))"
    A = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, 1.5]])
    xv = np.array([0.2, -0.7, 1.1])
    x = t64(xv, requires_grad=True)
    y = t64(A) @ x
    rows = []
    for i in range(2):
        (g,) = pynet.autograd.grad(y, x, grad_outputs=t64(np.eye(2)[i]), retain_graph=True)
        rows.append(arr(g))
    np.testing.assert_array_equal(np.array(rows), A)
    x2 = t64(xv, requires_grad=True)
    f = x2.tanh()
    J = np.array([arr(pynet.autograd.grad(f, x2, grad_outputs=t64(np.eye(3)[i]),
                                         retain_graph=True)[0]) for i in range(3)])
    np.testing.assert_allclose(J, np.diag(1 - np.tanh(xv) ** 2), rtol=1e-14, atol=0)


def _numpy_backprop(x, y, Ws, bs, fs):
    """004_*.txt "function Backpropagation(x, y, {W_i, b_i, f_i}, l)" with l = 1/2||z_k - y||^2:
        z_{i+1}, z'_{i+1} <- f_i(W_i z_i + b_i), f'_i(W_i z_i + b_i)
        g_k <- dl/dz_k
        g_i = W_i^T (g_{i+1} o z'_{i+1});  grad_b_i = g_{i+1} o z'_{i+1};
        grad_W_i = (g_{i+1} o z'_{i+1}) z_i^T
    """
    zs, dzs = [x], []
    for W, b, (f, df) in zip(Ws, bs, fs):
        a = W @ zs[-1] + b
        zs.append(f(a))
        dzs.append(df(a))
    loss = 0.5 * np.sum((zs[-1] - y) ** 2)
    g = zs[-1] - y
    gW, gb = [None] * len(Ws), [None] * len(Ws)
    for i in reversed(range(len(Ws))):
        d = g * dzs[i]
        gb[i] = d
        gW[i] = np.outer(d, zs[i])
        g = Ws[i].T @ d
    return loss, gW, gb, g


def test_course_004_backprop_recursion_matches_autograd():
    rng = np.random.default_rng(11)
    sizes = [4, 5, 3, 2]
    Ws = [rng.standard_normal((sizes[i + 1], sizes[i])) for i in range(3)]
    bs = [rng.standard_normal(sizes[i + 1]) for i in range(3)]
    x = rng.standard_normal(4)
    y = rng.standard_normal(2)
    acts = [(np.tanh, lambda a: 1 - np.tanh(a) ** 2),
            (lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)),
            (_sig, lambda a: _sig(a) * (1 - _sig(a)))]
    loss, gW, gb, gx = _numpy_backprop(x, y, Ws, bs, acts)

    pW = [t64(W, True) for W in Ws]
    pb = [t64(b, True) for b in bs]
    px = t64(x, True)
    z = px
    for W, b, name in zip(pW, pb, ["tanh", "relu", "sigmoid"]):
        z = getattr(W @ z + b, name)()
    L = 0.5 * ((z - t64(y)) ** 2).sum()
    assert L.item() == pytest.approx(loss, rel=1e-13)
    L.backward()
    for i in range(3):
        np.testing.assert_allclose(arr(pW[i].grad), gW[i], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(arr(pb[i].grad), gb[i], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(arr(px.grad), gx, rtol=1e-12, atol=1e-15)


def test_course_001_two_layer_net_batch():
    # 001_589f833831d5d3b8.txt "An example in pytorch": N, D_in, H, D_out = 64, 1000, 100, 10,
    # Linear -> ReLU -> Linear, MSELoss(size_average=False) (sum of squares).
    # Gradients by the slide's delta rule: delta^(l) = f'(a^(l)) o (W^(l+1)^T delta^(l+1)),
    # grad W^(l) = delta^(l) x^(l)^T  (here batched: rows are examples).
    rng = np.random.default_rng(3)
    N, D_in, H, D_out = 64, 1000, 100, 10
    x = rng.standard_normal((N, D_in))
    y = rng.standard_normal((N, D_out))
    W1 = rng.standard_normal((H, D_in)) * 0.03
    b1 = rng.standard_normal(H) * 0.1
    W2 = rng.standard_normal((D_out, H)) * 0.1
    b2 = rng.standard_normal(D_out) * 0.1
    a1 = x @ W1.T + b1
    h = np.maximum(a1, 0)
    pred = h @ W2.T + b2
    loss = np.sum((pred - y) ** 2)
    d2 = 2 * (pred - y)
    gW2, gb2 = d2.T @ h, d2.sum(0)
    d1 = (a1 > 0) * (d2 @ W2)
    gW1, gb1 = d1.T @ x, d1.sum(0)

    pW1, pb1, pW2, pb2 = (t64(v, True) for v in (W1, b1, W2, b2))
    ppred = (t64(x) @ pW1.t() + pb1).relu() @ pW2.t() + pb2
    pl = ((ppred - t64(y)) ** 2).sum()
    assert pl.item() == pytest.approx(loss, rel=1e-12)
    pl.backward()
    for got, want in ((pW1, gW1), (pb1, gb1), (pW2, gW2), (pb2, gb2)):
        np.testing.assert_allclose(arr(got.grad), want, rtol=1e-9, atol=1e-10)


# ============================================================ torch parity: compositions

def _mlp(L, x, W1, b1, W2, b2, labels):
    h = (x @ W1 + b1).relu()
    logp = (h @ W2 + b2).log_softmax(1)
    return -logp[L.arange(x.shape[0]), labels].mean()


def _attention(L, x, Wq, Wk, Wv):
    q, k, v = x @ Wq, x @ Wk, x @ Wv
    att = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1)
    return ((att @ v).tanh() ** 2).mean()


def _layernorm_mlp(L, x, W, g, b):
    h = x @ W
    mu = h.mean(-1, keepdim=True)
    var = ((h - mu) ** 2).mean(-1, keepdim=True)
    hn = (h - mu) / (var + 1e-5).sqrt() * g + b
    return hn.sigmoid().logsumexp(1).sum()


def _rnn(L, x, Wx, Wh, h0):
    h = h0
    outs = []
    for t in range(x.shape[1]):
        h = (x[:, t] @ Wx + h @ Wh).tanh()
        outs.append(h)
    return L.stack(outs, 1).amax(1).sum() + h.std()


def _misc(L, a, b, c):
    m = L.maximum(a, b.t()) * L.minimum(a, c)
    s = L.cat([m, a.exp()], 0).split(2, 0)
    w = L.where(a > 0, a * c, (a - c).abs())
    return (s[0] * s[-1][:2].clamp(-1.0, 1.0)).sum() + w.prod(1).sum() + (a / (b.t().abs() + 1.0)).var()


def _mlp_inputs(rng, dtype):
    n, d, hdim, k = 6, 5, 7, 4
    return ([rng.standard_normal((n, d)), rng.standard_normal((d, hdim)) * 0.5,
             rng.standard_normal(hdim) * 0.1, rng.standard_normal((hdim, k)) * 0.5,
             rng.standard_normal(k) * 0.1],
            [rng.integers(0, k, size=n)])


def _attn_inputs(rng, dtype):
    return [rng.standard_normal((2, 5, 4)), rng.standard_normal((4, 3)),
            rng.standard_normal((4, 3)), rng.standard_normal((4, 3))], []


def _ln_inputs(rng, dtype):
    return [rng.standard_normal((4, 6)), rng.standard_normal((6, 5)),
            rng.standard_normal(5), rng.standard_normal(5)], []


def _rnn_inputs(rng, dtype):
    return [rng.standard_normal((3, 6, 4)), rng.standard_normal((4, 5)) * 0.5,
            rng.standard_normal((5, 5)) * 0.5, rng.standard_normal((3, 5))], []


def _misc_inputs(rng, dtype):
    return [rng.standard_normal((4, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 3))], []


COMPOSITIONS = {
    "mlp": (_mlp, _mlp_inputs),
    "attention": (_attention, _attn_inputs),
    "layernorm": (_layernorm_mlp, _ln_inputs),
    "rnn": (_rnn, _rnn_inputs),
    "misc": (_misc, _misc_inputs),
}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_compositions_match_torch(name, dtype, seed):
    torch = pytest.importorskip("torch")
    fn, make = COMPOSITIONS[name]
    rng = np.random.default_rng(1000 + seed)
    floats, ints = make(rng, dtype)
    npdt = np.float32 if dtype == "float32" else np.float64
    rtol = 1e-5 if dtype == "float32" else 1e-10
    atol = 1e-6 if dtype == "float32" else 1e-12
    floats = [f.astype(npdt) for f in floats]
    pin = [pynet.tensor(f, requires_grad=True) for f in floats]
    tin = [torch.tensor(f, requires_grad=True) for f in floats]
    pi = [pynet.tensor(i.astype(np.int64)) for i in ints]
    ti = [torch.tensor(i.astype(np.int64)) for i in ints]
    pl = fn(pynet, *pin, *pi)
    tl = fn(torch, *tin, *ti)
    assert pl.dtype == (pynet.float32 if dtype == "float32" else F64)
    np.testing.assert_allclose(pl.item(), tl.item(), rtol=rtol, atol=atol)
    pl.backward()
    tl.backward()
    for k, (p, t) in enumerate(zip(pin, tin)):
        assert p.grad is not None and p.grad.dtype == p.dtype
        np.testing.assert_allclose(arr(p.grad), t.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{name}: input {k}")


def test_sgd_training_loop_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = rng.standard_normal((16, 3))
    yl = rng.integers(0, 3, size=16)
    W0 = rng.standard_normal((3, 8)) * 0.5
    V0 = rng.standard_normal((8, 3)) * 0.5

    def train(L, mk):
        W, V = mk(W0), mk(V0)
        X, Y = L.tensor(x), L.tensor(yl)
        losses = []
        for _ in range(25):
            loss = -(((X @ W).tanh() @ V).log_softmax(1)[L.arange(16), Y]).mean()
            loss.backward()
            with L.no_grad():
                W -= 0.5 * W.grad
                V -= 0.5 * V.grad
            W.grad = None
            V.grad = None
            losses.append(loss.item())
        return losses, W.detach().numpy().copy()

    pl, pW = train(pynet, lambda a: t64(a, True))
    tl, tW = train(torch, lambda a: torch.tensor(a, requires_grad=True))
    np.testing.assert_allclose(pl, tl, rtol=1e-10)
    np.testing.assert_allclose(pW, tW, rtol=1e-10, atol=1e-12)
    assert pl[-1] < pl[0]


def test_activation_second_derivative_works_third_raises():
    """F.elu's backward is a fused op with its own node: the second derivative goes
    through it; a third derivative of an activation is not provided and says so."""
    import pynet.nn.functional as F

    xs = np.array([-1.5, -0.3, 0.7, 2.0])
    x = t64(xs, requires_grad=True)
    (g1,) = pynet.autograd.grad(F.elu(x, alpha=1.3).sum(), x, create_graph=True)
    assert g1.grad_fn.name() == "EluBackwardBackward0"
    (g2,) = pynet.autograd.grad(g1.sum(), x, create_graph=True)
    np.testing.assert_allclose(arr(g1), np.where(xs > 0, 1.0, 1.3 * np.exp(xs)), rtol=1e-13)
    np.testing.assert_allclose(arr(g2), np.where(xs > 0, 0.0, 1.3 * np.exp(xs)), rtol=1e-13)
    with pytest.raises(NotImplementedError, match="third derivatives"):
        pynet.autograd.grad(g2.sum(), x)


# issue #9 High 2: tensor hooks (on a leaf and on a non-leaf) and Node post hooks run
# from a snapshot: a hook registering a hook does not loop, one removing itself does not
# skip its neighbour; the change applies from the next backward, as in PyTorch.
def _grad_hooks_mutated(L, where, action):
    a = L.ones(3, requires_grad=True)
    t = a if where == "leaf" else a * 2
    calls, handles = [], {}
    if where == "node":
        register = t.grad_fn.register_hook
        def wrap(f): return lambda gi, go: f()  # noqa: E306,E704
    else:
        register = t.register_hook
        def wrap(f): return lambda g: f()  # noqa: E306,E704

    def x():
        calls.append("x")
        if action == "remove":
            handles["x"].remove()
        elif len(calls) < 100:  # bounded: a live walk of the hook list would never end
            register(hx)

    hx = wrap(x)
    handles["x"] = register(hx)
    register(wrap(lambda: calls.append("y")))
    (t * 1).sum().backward(retain_graph=True)
    first = list(calls)
    (t * 1).sum().backward()
    return first, calls[len(first):]


_HOOK_MUTATIONS = {
    "remove": (["x", "y"], ["y"]),
    "register": (["x", "y"], ["x", "y", "x"]),
}


@pytest.mark.parametrize("where", ["leaf", "nonleaf", "node"])
@pytest.mark.parametrize("action", sorted(_HOOK_MUTATIONS))
def test_grad_hook_registering_or_removing_hooks_while_running(where, action):
    assert _grad_hooks_mutated(pynet, where, action) == _HOOK_MUTATIONS[action]


@pytest.mark.parametrize("where", ["leaf", "nonleaf", "node"])
@pytest.mark.parametrize("action", sorted(_HOOK_MUTATIONS))
def test_grad_hook_mutation_while_running_matches_torch(where, action, need_torch):
    assert _grad_hooks_mutated(pynet, where, action) == _grad_hooks_mutated(need_torch, where, action)


def test_node_register_hook_returns_a_removable_handle():
    a = pynet.ones(2, requires_grad=True)
    b = a * 3
    seen = []
    handle = b.grad_fn.register_hook(lambda gi, go: seen.append(1))
    handle.remove()
    b.sum().backward()
    assert seen == []
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


# issue #9 High 3: a tensor hook may change its gradient in place. The engine hands hooks a
# private copy, so the change reaches only that tensor's own branch: not other inputs fed
# the same gradient tensor (add's backward sends one tensor to both), not the caller's seed
# gradient, and an expanded gradient (sum's backward) is not multiplied per element.
def test_inplace_hook_on_expanded_gradient_scales_once():
    a = pynet.ones(3, requires_grad=True)
    b = a * 2
    b.register_hook(lambda g: g.mul_(10))
    b.sum().backward()                      # b's gradient arrives as ones(1) expanded
    assert a.grad.tolist() == [20.0, 20.0, 20.0]


def _inplace_hook_plain_gradient(L):
    a = L.ones(3, requires_grad=True)
    b = a * 2
    b.register_hook(lambda g: g.mul_(10))
    (b * L.ones(3)).sum().backward()        # a gradient with memory of its own
    return a.grad.tolist()


def test_inplace_hook_on_plain_gradient():
    assert _inplace_hook_plain_gradient(pynet) == [20.0, 20.0, 20.0]


def test_inplace_hook_on_plain_gradient_matches_torch(need_torch):
    assert _inplace_hook_plain_gradient(pynet) == _inplace_hook_plain_gradient(need_torch)


@pytest.mark.parametrize("hooked", ["b", "c"])
def test_inplace_hook_does_not_leak_into_a_branch_sharing_the_gradient(hooked):
    a1 = pynet.ones(3, requires_grad=True)
    a2 = pynet.ones(3, requires_grad=True)
    b, c = a1 * 2, a2 * 3
    (b if hooked == "b" else c).register_hook(lambda g: g.mul_(10))
    ((b + c) * pynet.ones(3)).sum().backward()   # add's backward: one tensor for b and c
    assert a1.grad.tolist() == [20.0 if hooked == "b" else 2.0] * 3
    assert a2.grad.tolist() == [30.0 if hooked == "c" else 3.0] * 3


def test_inplace_leaf_hook_does_not_leak_into_other_leaf_or_direct_path():
    a1 = pynet.ones(3, requires_grad=True)
    a2 = pynet.ones(3, requires_grad=True)
    a1.register_hook(lambda g: g.mul_(10))
    ((a1 + a2) * pynet.ones(3)).sum().backward()
    assert (a1.grad.tolist(), a2.grad.tolist()) == ([10.0] * 3, [1.0] * 3)
    a = pynet.ones(3, requires_grad=True)
    b = a * 1
    b.register_hook(lambda g: g.add_(100))
    ((a + b) * pynet.ones(3)).sum().backward()  # direct path 1, through b 1 + 100
    assert a.grad.tolist() == [102.0] * 3


def test_inplace_hook_leaves_the_seed_gradient_alone():
    a = pynet.ones(3, requires_grad=True)
    b = a * 2
    b.register_hook(lambda g: g.mul_(10))
    seed = pynet.ones(3)
    b.backward(seed)
    assert a.grad.tolist() == [20.0] * 3 and seed.tolist() == [1.0] * 3
    (ga,) = pynet.autograd.grad(a * 2, a, seed)
    assert seed.tolist() == [1.0] * 3 and ga.tolist() == [2.0] * 3


def _inplace_hook_create_graph(L):
    a = L.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * a
    b.register_hook(lambda g: g.mul_(10))
    (ga,) = L.autograd.grad((b * L.ones(3)).sum(), a, create_graph=True)
    ga.sum().backward()
    return ga.tolist(), a.grad.tolist()


def test_inplace_hook_under_create_graph_stays_differentiable():
    assert _inplace_hook_create_graph(pynet) == ([20.0, 40.0, 60.0], [20.0, 20.0, 20.0])


def test_inplace_hook_under_create_graph_matches_torch(need_torch):
    assert _inplace_hook_create_graph(pynet) == _inplace_hook_create_graph(need_torch)


# issue #9 Medium 6: a hook's replacement must keep the gradient's shape and dtype
# (a (5,) result used to become the .grad of a (3,) leaf).
_BAD_HOOK_RESULTS = {
    "bigger": (lambda L: (lambda g: L.ones(5)), "size", "(was (3,) got (5,))"),
    "broadcastable": (lambda L: (lambda g: L.ones(1)), "size", "(was (3,) got (1,))"),
    "float64": (lambda L: (lambda g: g.double()), "type",
                "(was pynet.FloatTensor got pynet.DoubleTensor)"),
    "int64": (lambda L: (lambda g: L.ones(3, dtype=L.int64)), "type",
              "(was pynet.FloatTensor got pynet.LongTensor)"),
}


def _bad_hook(L, case, leaf):
    a = L.ones(3, requires_grad=True)
    t = a if leaf else a * 2
    t.register_hook(_BAD_HOOK_RESULTS[case][0](L))
    with pytest.raises(RuntimeError, match=f"hook '<lambda>' has changed the "
                                           f"{_BAD_HOOK_RESULTS[case][1]} of value") as info:
        (t * L.ones(3)).sum().backward()
    assert a.grad is None
    return str(info.value)


@pytest.mark.parametrize("leaf", [True, False])
@pytest.mark.parametrize("case", sorted(_BAD_HOOK_RESULTS))
def test_hook_changing_gradient_shape_or_dtype_raises(case, leaf):
    assert _BAD_HOOK_RESULTS[case][2] in _bad_hook(pynet, case, leaf)


@pytest.mark.parametrize("leaf", [True, False])
@pytest.mark.parametrize("case", sorted(_BAD_HOOK_RESULTS))
def test_hook_changing_gradient_shape_or_dtype_raises_like_torch(case, leaf, need_torch):
    _bad_hook(need_torch, case, leaf)


# issue #9 Medium 13: the invalid-gradient message read the gradient's shape after
# releasing it; under PYTHONMALLOC=debug the freed memory said "got ()".
def test_invalid_gradient_message_names_the_shape_returned():
    code = textwrap.dedent("""
        import pynet
        class F(pynet.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2
            @staticmethod
            def backward(ctx, g):
                return pynet.ones(5)
        x = pynet.ones(3, requires_grad=True)
        try:
            F.apply(x).sum().backward()
        except RuntimeError as e:
            print(e)
    """)
    root = os.path.dirname(os.path.dirname(pynet.__file__))  # this pynet, not another one
    env = dict(os.environ, PYTHONMALLOC="debug",
               PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert ("FBackward returned an invalid gradient at index 0 - got (5,) but expected shape "
            "compatible with (3,)") in out.stdout


# issue #9 Medium 7: std's gradient at a constant input is 0 (PyTorch's convention), not
# the nan of sqrt's infinite derivative times var's zero one.
def _std_grad_constant(L, dtype, **kw):
    x = L.tensor([[0.3, 0.3, 0.3], [1.0, 2.0, 4.0]], dtype=getattr(L, dtype), requires_grad=True)
    y = x.std(**kw)
    (y * L.ones(y.shape, dtype=y.dtype)).sum().backward()
    return y.grad_fn.name(), x.grad.tolist()


@pytest.mark.parametrize("kw", [{"dim": 1}, {"dim": 1, "keepdim": True},
                                {"dim": 1, "unbiased": False}])
def test_std_gradient_of_a_constant_row_is_zero(kw):
    name, g = _std_grad_constant(pynet, "float32", **kw)
    assert name == "StdBackward0"
    assert g[0] == [0.0, 0.0, 0.0]
    assert all(math.isfinite(v) for v in g[1]) and g[1][0] < 0 < g[1][2]


# float32 only: in float64 pynet's mean of three 0.3s is off by one ulp (sum, then divide),
# so that row's std is 7e-17 rather than PyTorch's exact 0 and its gradient tiny, not 0.
@pytest.mark.parametrize("dtype", ["float32"])
def test_std_gradient_of_a_constant_row_matches_torch(dtype, need_torch):
    got = _std_grad_constant(pynet, dtype, dim=1)
    want = _std_grad_constant(need_torch, dtype, dim=1)
    assert got[0] == want[0] and got[1][0] == want[1][0]
    np.testing.assert_allclose(got[1][1], want[1][1], rtol=1e-6)


def test_std_of_all_equal_values_has_zero_gradient():
    x = pynet.tensor([2.0, 2.0, 2.0, 2.0], requires_grad=True)
    x.std().backward()
    assert x.grad.tolist() == [0.0] * 4


# issue #9 Medium 8: d(x ** y)/dy where x == 0 and y >= 0 is 0 (PyTorch's convention), not
# -inf/nan from log(0); for y < 0 it stays -inf as in PyTorch.
def _pow_exponent_grads(L):
    x = L.tensor([0.0, 0.0, 0.0, 0.0, 2.0, -0.0], requires_grad=True)
    y = L.tensor([2.0, 0.0, -1.0, 0.5, 3.0, 1.0], requires_grad=True)
    (x ** y).sum().backward()
    y0 = L.tensor([2.0, 0.0, -1.0, 0.5], requires_grad=True)
    (0.0 ** y0).sum().backward()
    return x.grad.tolist(), y.grad.tolist(), y0.grad.tolist()


def test_pow_exponent_gradient_is_zero_where_the_base_is_zero():
    gx, gy, gy0 = _pow_exponent_grads(pynet)
    assert gy[:2] == [0.0, 0.0] and gy[3] == 0.0 and gy[5] == 0.0
    assert gy[2] == -math.inf and gy[4] == pytest.approx(8 * math.log(2))
    assert gy0 == [0.0, 0.0, -math.inf, 0.0]


def test_pow_exponent_gradient_at_zero_base_matches_torch(need_torch):
    assert _pow_exponent_grads(pynet) == _pow_exponent_grads(need_torch)


def test_learnable_exponent_after_relu_trains():
    p = pynet.tensor(2.0, requires_grad=True)
    x = pynet.tensor([-1.0, 0.5, 2.0]).relu()
    (x ** p).sum().backward()
    assert math.isfinite(p.grad.item())
    assert p.grad.item() == pytest.approx(0.25 * math.log(0.5) + 4 * math.log(2), rel=1e-6)


# issue #9 Medium 14: a tensor that requires grad cannot be given integer data.
def _set_int_data(L):
    w = L.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients must "
                                           "be floating point"):
        w.data = L.arange(3)
    assert w.dtype == L.float32 and w.requires_grad
    w.data = L.ones(3, dtype=L.float64)        # another float dtype is fine
    v = L.ones(3)
    v.data = L.arange(3)                        # and so is anything without requires_grad
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        w.data = [1, 2]
    return w.dtype, v.dtype


def test_setting_integer_data_on_a_tensor_requiring_grad_raises():
    assert _set_int_data(pynet) == (pynet.float64, pynet.int64)


def test_setting_integer_data_on_a_tensor_requiring_grad_raises_like_torch(need_torch):
    _set_int_data(need_torch)


# issue #9 Medium 11: a grad-mode decorator on a generator function applies to the body each
# time it runs (and the caller's mode is back between items), as in PyTorch.
def _grad_mode_generators(L):
    x = L.ones(2, requires_grad=True)

    @L.no_grad()
    def gen():
        for _ in range(2):
            yield (x * 2).requires_grad, L.is_grad_enabled()
        return "done"

    g = gen()
    out = [next(g), L.is_grad_enabled(), g.send(None), L.is_grad_enabled()]
    with pytest.raises(StopIteration) as stop:
        next(g)
    out.append(stop.value.value)

    @L.enable_grad()
    def on():
        yield (x * 2).requires_grad

    @L.set_grad_enabled(False)
    def off():
        yield (x * 2).requires_grad

    with L.no_grad():
        out.append(list(on()))
    out += [list(off()), list(L.no_grad(lambda: (yield (x * 2).requires_grad))()),
            L.is_grad_enabled()]

    @L.no_grad()
    def catcher():
        try:
            yield 1
        except ValueError:
            yield "caught", L.is_grad_enabled()

    c = catcher()
    next(c)
    out.append(c.throw(ValueError()))
    return out


def test_grad_mode_decorators_apply_inside_generators():
    assert _grad_mode_generators(pynet) == [
        (False, False), True, (False, False), True, "done", [True], [False], [False], True,
        ("caught", False)]


def test_grad_mode_decorators_on_generators_match_torch(need_torch):
    assert _grad_mode_generators(pynet) == _grad_mode_generators(need_torch)


# Found by tests/test_differential.py: gradients at nan and at tiny values, as PyTorch.
def _nan_and_tiny_grads(L):
    x = L.tensor([float("nan"), -1.0, 2.0], requires_grad=True)
    x.relu().sum().backward()                     # relu'(nan) passes the gradient
    a = L.tensor([0.0, float("nan"), 3.0, 1.0], requires_grad=True)
    b = L.tensor([float("nan"), 0.0, 1.0, 1.0], requires_grad=True)
    (L.maximum(a, b) * L.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    p = L.tensor([0.0, 1.0], requires_grad=True)
    q = L.tensor([1.1754944e-38, 2.0], requires_grad=True)
    (p / q).sum().backward()                      # (a / b) / b: no 0 / 0 from b * b
    return x.grad.tolist(), a.grad.tolist(), b.grad.tolist(), p.grad.tolist(), q.grad.tolist()


def test_gradients_at_nan_and_tiny_values():
    gx, ga, gb, gp, gq = _nan_and_tiny_grads(pynet)
    assert gx == [1.0, 0.0, 1.0]
    assert ga == [1.0, 2.0, 3.0, 2.0] and gb == [1.0, 2.0, 0.0, 2.0]  # nan: both; tie: half
    assert gq[0] == 0.0 and gq[1] == -0.25 and math.isfinite(gp[0])


def test_gradients_at_nan_and_tiny_values_match_torch(need_torch):
    assert _nan_and_tiny_grads(pynet) == _nan_and_tiny_grads(need_torch)
