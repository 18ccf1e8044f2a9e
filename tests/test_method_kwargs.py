"""Tensor methods take their arguments by name too, under PyTorch's parameter names
(x.unsqueeze(dim=1), x.transpose(dim0=0, dim1=1), x.mul(other=y)) and NumPy's aliases
PyTorch accepts (axis= for dim=, x2= for other=); and memory formats (contiguous_format,
preserve_format, channels_last, channels_last_3d) in contiguous, is_contiguous, clone,
to, the *_like factories and Module.to."""
import numpy as np
import pytest

import pynet
from conftest import raises_like, torch

RNG = np.random.default_rng(7)
A = RNG.standard_normal((2, 3)).astype(np.float32)
B = RNG.standard_normal((2, 3)).astype(np.float32)
M = RNG.standard_normal((3, 2)).astype(np.float32)

# (method, the arguments by position, the same call with some or all by name): "x", "y",
# "m", "c" stand for tensors of A, B, M and A > 0.
CALLS = [
    ("mul", ("y",), (), {"other": "y"}), ("mul", ("y",), (), {"x2": "y"}),
    ("true_divide", ("y",), (), {"other": "y"}), ("floor_divide", ("y",), (), {"other": "y"}),
    ("remainder", ("y",), (), {"other": "y"}), ("fmod", ("y",), (), {"other": "y"}),
    ("pow", (2,), (), {"exponent": 2}), ("eq", ("y",), (), {"other": "y"}),
    ("ne", ("y",), (), {"other": "y"}), ("lt", ("y",), (), {"other": "y"}),
    ("le", (0.5,), (), {"other": 0.5}), ("gt", ("y",), (), {"other": "y"}),
    ("ge", ("y",), (), {"x2": "y"}), ("atan2", ("y",), (), {"other": "y"}),
    ("hypot", ("y",), (), {"other": "y"}), ("maximum", ("y",), (), {"other": "y"}),
    ("minimum", ("y",), (), {"other": "y"}), ("polygamma", (1,), (), {"n": 1}),
    ("matmul", ("m",), (), {"other": "m"}), ("mm", ("m",), (), {"mat2": "m"}),
    ("unsqueeze", (1,), (), {"dim": 1}), ("unsqueeze", (-1,), (), {"axis": -1}),
    ("view", ((3, 2),), (), {"size": (3, 2)}), ("reshape", ((6,),), (), {"shape": [6]}),
    ("expand", ((2, 2, 3),), (), {"size": (2, 2, 3)}),
    ("permute", ((1, 0),), (), {"dims": (1, 0)}),
    ("transpose", (0, 1), (), {"dim0": 0, "dim1": 1}), ("transpose", (0, 1), (0,), {"dim1": 1}),
    ("squeeze", (0,), (), {"dim": 0}), ("squeeze", ((0, 1),), (), {"axis": (0, 1)}),
    ("narrow", (1, 1, 2), (), {"dim": 1, "start": 1, "length": 2}),
    ("narrow", (1, 1, 2), (1,), {"length": 2, "start": 1}),
    ("select", (0, 1), (), {"index": 1, "dim": 0}),
    ("where", ("c", "y"), (), {"condition": "c", "other": "y"}),
    ("where", ("c", 2.0), ("c",), {"other": 2.0}),
    ("mul_", ("y",), (), {"other": "y"}), ("pow_", (2,), (), {"exponent": 2}),
    ("fill_", (3.0,), (), {"value": 3.0}), ("copy_", ("y",), (), {"other": "y"}),
    ("copy_", ("y",), (), {"other": "y", "non_blocking": True}),
    ("transpose_", (0, 1), (), {"dim1": 1, "dim0": 0}), ("unsqueeze_", (0,), (), {"dim": 0}),
    ("atan2_", ("y",), (), {"other": "y"}),
]


def _args(lib, args, kwargs):
    conv = {k: lib.tensor(v) for k, v in {"x": A, "y": B, "m": M}.items()}
    conv["c"] = lib.tensor(A) > 0
    f = (lambda v: conv[v] if isinstance(v, str) else v)
    return tuple(f(a) for a in args), {k: f(v) for k, v in kwargs.items()}


def _call(lib, name, args, kwargs):
    pa, pk = _args(lib, args, kwargs)
    return getattr(lib.tensor(A), name)(*pa, **pk)


@pytest.mark.parametrize("name,ref,args,kwargs", CALLS)
def test_keywords_give_the_positional_result(name, ref, args, kwargs):
    r_pos, r_kw = _call(pynet, name, ref, {}), _call(pynet, name, args, kwargs)
    assert r_kw.shape == r_pos.shape and r_kw.dtype == r_pos.dtype
    np.testing.assert_array_equal(r_kw.numpy(), r_pos.numpy())


@pytest.mark.parametrize("name,ref,args,kwargs", CALLS)
def test_keywords_match_torch(need_torch, name, ref, args, kwargs):
    r, t = _call(pynet, name, args, kwargs), _call(need_torch, name, args, kwargs)
    assert tuple(r.shape) == tuple(t.shape)
    # the keywords are under test here, not accuracy (torch's float32 trigamma near its
    # pole at -1 is 6.5e-6 off; pynet's is within 1e-7 of mpmath's)
    np.testing.assert_allclose(r.numpy().astype(np.float64), t.numpy().astype(np.float64),
                               rtol=1e-5, atol=1e-7)


def test_size_and_stride_by_name():
    x = pynet.zeros(2, 3, 4).transpose(0, 2)
    assert x.size(dim=1) == 3 and x.size(axis=-1) == 2 and x.stride(dim=0) == 1
    assert x.size() == (4, 3, 2) and x.stride(dim=-1) == 12


BAD = [
    ("transpose", (0,), {"dim0": 1}),       # dim0 by position and by name
    ("transpose", (), {"dim1": 1}),         # dim0 missing
    ("squeeze", (), {"foo": 1}),
    ("view", (2, 3), {"size": (6,)}),
    ("mul", ("y",), {"other": "y"}),
    ("mul", (), {"other": "y", "foo": 1}),
    ("mul", (), {}),
    ("pow", (), {"x2": 2}),                 # x2 is other's alias only
    ("narrow", (0,), {"start": 0}),
    ("permute", (1, 0), {"dims": (1, 0)}),
    ("unsqueeze", (), {}),
    ("transpose", (0, 1, 2), {}),
    ("expand", (), {"size": (2, 3), "implicit": 1}),
    ("squeeze", (), {"dim": 0, "axis": 0}),
]


@pytest.mark.parametrize("name,args,kwargs", BAD)
def test_bad_calls_raise_type_error_as_torch(name, args, kwargs):
    raises_like(lambda: _call(pynet, name, args, kwargs),
                (lambda: _call(torch, name, args, kwargs)) if torch else None, exc=TypeError)


def test_expand_implicit_is_accepted_as_torch():
    x = pynet.tensor(A)
    assert x.expand(2, 2, 3, implicit=True).shape == (2, 2, 3)
    assert x.expand(size=(2, 2, 3), implicit=False).stride() == (0, 3, 1)


def test_top_level_functions_forward_keywords_to_the_methods():
    x, y = pynet.tensor(A), pynet.tensor(B)
    assert pynet.mul(x, other=y).tolist() == (x * y).tolist()
    assert pynet.transpose(x, dim0=1, dim1=0).shape == (3, 2)
    assert pynet.unsqueeze(x, dim=0).shape == (1, 2, 3)
    assert pynet.narrow(x, dim=1, start=1, length=1).tolist() == x[:, 1:2].tolist()


# ---- memory formats

def _cl_strides(shape):
    """channels-last strides of (N, C, *spatial), from NumPy: the (N, *spatial, C) copy's
    strides put back in (N, C, *spatial) order."""
    moved = np.zeros((shape[0],) + tuple(shape[2:]) + (shape[1],), np.float32)
    s = [st // 4 for st in moved.strides]
    return (s[0], s[-1]) + tuple(s[1:-1])


@pytest.mark.parametrize("shape,fmt", [((2, 3, 4, 5), "channels_last"),
                                       ((1, 3, 2, 2, 2), "channels_last_3d"),
                                       ((2, 1, 4, 5), "channels_last"),
                                       ((0, 3, 2, 2), "channels_last")])
def test_contiguous_in_channels_last(shape, fmt):
    a = RNG.standard_normal(shape)
    x = pynet.tensor(a, requires_grad=True)
    y = x.contiguous(memory_format=getattr(pynet, fmt))
    if shape[1] == 1:  # row-major already is channels-last: x itself
        assert y is x
    elif 0 not in shape:
        assert y.stride() == _cl_strides(shape)
        assert not x.is_contiguous(memory_format=getattr(pynet, fmt))
    assert y.is_contiguous(memory_format=getattr(pynet, fmt))
    assert y.contiguous(memory_format=getattr(pynet, fmt)) is y
    np.testing.assert_array_equal(y.detach().numpy(), a)
    (y * pynet.tensor(a)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), a)  # d(sum(y * a))/dx = a
    np.testing.assert_array_equal(y.detach().contiguous().numpy(), a)
    assert y.contiguous().is_contiguous()


def test_channels_last_needs_its_rank_and_preserve_is_refused():
    x = pynet.zeros(2, 3, 4)
    raises_like(lambda: x.contiguous(memory_format=pynet.channels_last),
                (lambda: torch.zeros(2, 3, 4).contiguous(memory_format=torch.channels_last))
                if torch else None, exc=RuntimeError)
    xt = x.transpose(0, 2)  # preserve_format: contiguous() refuses to copy, as PyTorch's
    assert x.contiguous(memory_format=pynet.preserve_format) is x
    assert not xt.is_contiguous(memory_format=pynet.preserve_format)
    raises_like(lambda: xt.contiguous(memory_format=pynet.preserve_format),
                (lambda: torch.zeros(2, 3, 4).transpose(0, 2).contiguous(
                    memory_format=torch.preserve_format)) if torch else None, exc=RuntimeError)
    assert not x.is_contiguous(memory_format=pynet.channels_last)
    with pytest.raises(TypeError):
        x.contiguous(memory_format="channels_last")


def test_clone_preserves_dense_strides_only():
    a = RNG.standard_normal((3, 4))
    x = pynet.tensor(a, requires_grad=True)
    c = x.t().clone()
    assert c.stride() == (1, 4) and c.storage_offset() == 0
    np.testing.assert_array_equal(c.detach().numpy(), a.T)
    c.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((3, 4)))
    assert x[:, ::2].clone().stride() == (2, 1)            # a gap: row-major
    assert x[:1].expand(5, 4).clone().stride() == (4, 1)    # overlaps: row-major
    assert x.t().clone(memory_format=pynet.contiguous_format).stride() == (3, 1)
    assert pynet.clone(x.t()).stride() == (1, 4)


def test_like_factories_follow_the_input_layout():
    x = pynet.zeros(3, 4).t()
    for f in (pynet.zeros_like, pynet.ones_like, pynet.empty_like, pynet.rand_like,
              pynet.randn_like):
        assert f(x).stride() == (1, 4) and f(x).shape == (4, 3)
        assert f(x, memory_format=pynet.contiguous_format).stride() == (3, 1)
    assert pynet.full_like(x, 2.5).stride() == (1, 4)
    assert pynet.full_like(x, 2.5).tolist() == [[2.5] * 3] * 4
    assert pynet.randint_like(x, 5).stride() == (1, 4)
    r = pynet.zeros_like(x, requires_grad=True)
    assert r.is_leaf and r.requires_grad
    # random values lie in memory in the order they were drawn
    pynet.manual_seed(3)
    flat = pynet.rand(12)
    pynet.manual_seed(3)
    r = pynet.rand_like(x)
    np.testing.assert_array_equal(r.numpy(), flat.numpy().reshape(3, 4).T)
    y = pynet.zeros(2, 3, 4, 5)
    assert pynet.zeros_like(y, memory_format=pynet.channels_last).stride() == \
        _cl_strides((2, 3, 4, 5))


def test_to_with_memory_format():
    a = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    x = pynet.tensor(a)
    y = x.to(memory_format=pynet.channels_last)
    assert y.stride() == _cl_strides(a.shape)
    assert y.to(memory_format=pynet.channels_last) is y
    z = y.to(pynet.float64)  # preserve_format keeps the channels-last strides
    assert z.dtype == pynet.float64 and z.stride() == y.stride()
    np.testing.assert_array_equal(z.numpy(), a.astype(np.float64))
    assert x.to(pynet.float64, memory_format=pynet.contiguous_format).is_contiguous()
    assert x.to(memory_format=pynet.preserve_format) is x


def test_module_to_channels_last():
    conv, lin = pynet.nn.Conv2d(3, 4, 3), pynet.nn.Linear(3, 2)
    m = pynet.nn.Sequential(conv, lin)
    assert m.to(memory_format=pynet.channels_last) is m
    assert conv.weight.stride() == _cl_strides((4, 3, 3, 3)) and lin.weight.stride() == (3, 1)
    assert isinstance(conv.weight, pynet.nn.Parameter)
    m.to(pynet.float64, non_blocking=True)
    assert conv.weight.dtype == pynet.float64 and conv.weight.stride() == _cl_strides((4, 3, 3, 3))
    raises_like(lambda: m.to(foo=1), (lambda: torch.nn.Linear(2, 2).to(foo=1))
                if torch else None, exc=TypeError)


def test_layouts_match_torch(need_torch):
    t = need_torch
    a = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    pairs = [
        (lambda L, x: x.contiguous(memory_format=L.channels_last)),
        (lambda L, x: x.permute(0, 2, 3, 1).clone()),
        (lambda L, x: x[:, :, ::2].clone()),
        (lambda L, x: L.zeros_like(x.transpose(1, 3))),
        (lambda L, x: x.transpose(0, 1).to(L.float64)),
        (lambda L, x: L.empty_like(x, memory_format=L.channels_last)),
        (lambda L, x: x.to(memory_format=L.channels_last).clone()),
    ]
    for f in pairs:
        p, q = f(pynet, pynet.tensor(a)), f(t, t.tensor(a))
        assert p.stride() == q.stride()
        assert p.is_contiguous() == q.is_contiguous()
        assert p.is_contiguous(memory_format=pynet.channels_last) == \
            q.is_contiguous(memory_format=t.channels_last)
    for shape in [(2, 1, 4, 5), (2, 3, 1, 1), (1, 3, 4, 1)]:
        b = np.zeros(shape, np.float32)
        for perm in [(0, 1, 2, 3), (0, 2, 3, 1)]:
            p = pynet.tensor(b).permute(*perm).contiguous().permute(*np.argsort(perm))
            q = t.tensor(b).permute(*perm).contiguous().permute(*np.argsort(perm).tolist())
            assert p.is_contiguous(memory_format=pynet.channels_last) == \
                q.is_contiguous(memory_format=t.channels_last), (shape, perm)
    assert repr(pynet.channels_last) == "pynet.channels_last"
