"""Every public method and property of pynet.Tensor, every function pynet re-exports from
the C extension (pynet._C), and the public methods of nn.Module, nn.Sequential and
optim.Optimizer have a docstring, and every such callable has a signature that
inspect.signature (and so help()) can read. The C-implemented ones carry CPython text
signatures (csrc/pyapi/tensor_docs.h); a sample of them is checked against what the C
code parses. Needs no torch.
"""
import inspect
import types

import pytest

import pynet
import pynet._C as _C
import pynet.nn as nn
import pynet.optim as optim

PROPERTY_TYPES = (property, types.GetSetDescriptorType, types.MemberDescriptorType)

# Public names that are allowed to lack a docstring or a signature. Empty: everything
# is covered. (Names inherited from object, e.g. __init__, are not walked.)
UNCOVERED = set()


def public_members(cls):
    """(name, raw attribute, is_property) of cls's public attributes not from object."""
    out = []
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        owner = next(c for c in cls.__mro__ if name in c.__dict__)
        if owner is object:
            continue
        raw = owner.__dict__[name]
        out.append((name, raw, isinstance(raw, PROPERTY_TYPES)))
    return out


def c_functions():
    """The functions of pynet's top-level namespace that are pynet._C's."""
    return sorted(name for name, obj in vars(pynet).items()
                  if not name.startswith("_") and isinstance(obj, types.BuiltinFunctionType)
                  and obj.__self__ is _C)


def has_doc(obj):
    return bool((getattr(obj, "__doc__", None) or "").strip())


def check_callable(qualname, obj, problems):
    if not has_doc(obj):
        problems.append(f"{qualname}: no docstring")
    elif "\n--\n\n" in obj.__doc__:  # a text signature CPython did not accept
        problems.append(f"{qualname}: text signature not parsed: {obj.__doc__.splitlines()[0]!r}")
    try:
        inspect.signature(obj)
    except (ValueError, TypeError) as e:
        problems.append(f"{qualname}: no signature ({e})")


@pytest.mark.parametrize("cls", [pynet.Tensor, nn.Module, nn.Sequential, optim.Optimizer],
                         ids=lambda c: c.__qualname__)
def test_public_members_have_docstring_and_signature(cls):
    members = public_members(cls)
    assert len(members) > 5
    problems = []
    for name, raw, is_prop in members:
        if f"{cls.__name__}.{name}" in UNCOVERED:
            continue
        if is_prop:
            if not has_doc(raw):
                problems.append(f"{cls.__name__}.{name}: property without docstring")
            continue
        obj = getattr(cls, name)
        if callable(obj):
            check_callable(f"{cls.__name__}.{name}", obj, problems)
    assert not problems, "\n".join(problems)


def test_c_tensor_methods_are_walked():
    # the walk above really covers the C methods (TensorBase), not only the Python ones
    names = {n for n, raw, _ in public_members(pynet.Tensor)}
    c_names = {n for n in _C.TensorBase.__dict__ if not n.startswith("_")}
    assert len(c_names) > 150
    assert c_names <= names


def test_c_functions_have_docstring_and_signature():
    names = c_functions()
    expected = {"zeros", "ones", "empty", "full", "cat", "stack", "where", "from_numpy",
                "manual_seed", "get_num_threads", "set_num_threads", "get_rng_state",
                "set_rng_state", "initial_seed", "is_grad_enabled"}
    assert expected <= set(names)
    problems = []
    for name in names:
        if name not in UNCOVERED:
            check_callable(f"pynet.{name}", getattr(pynet, name), problems)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("obj, sig", [
    (pynet.Tensor.abs, "(self, /)"),
    (pynet.Tensor.abs_, "(self, /)"),
    (pynet.Tensor.mul, "(self, /, other)"),
    (pynet.Tensor.pow_, "(self, /, exponent)"),
    (pynet.Tensor.add, "(self, /, other, *, alpha=1)"),
    (pynet.Tensor.sub_, "(self, /, other, *, alpha=1)"),
    (pynet.Tensor.div, "(self, /, other, *, rounding_mode=None)"),
    (pynet.Tensor.clamp, "(self, /, min=None, max=None)"),
    (pynet.Tensor.sum, "(self, /, dim=None, keepdim=False, *, dtype=None)"),
    (pynet.Tensor.max, "(self, /, dim=None, keepdim=False)"),
    (pynet.Tensor.var, "(self, /, dim=None, unbiased=True, keepdim=False, *, correction=None)"),
    (pynet.Tensor.logsumexp, "(self, /, dim, keepdim=False)"),
    (pynet.Tensor.softmax, "(self, /, dim=None, dtype=None)"),
    (pynet.Tensor.view, "(self, /, *size)"),
    (pynet.Tensor.permute, "(self, /, *dims)"),
    (pynet.Tensor.transpose, "(self, /, dim0, dim1)"),
    (pynet.Tensor.size, "(self, /, dim=None)"),
    (pynet.Tensor.narrow, "(self, /, dim, start, length)"),
    (pynet.Tensor.copy_, "(self, /, other, non_blocking=False)"),
    (pynet.Tensor.requires_grad_, "(self, /, requires_grad=True)"),
    (pynet.Tensor.where, "(self, /, condition, other)"),
    (pynet.Tensor.sort, "(self, /, dim=-1, descending=False, *, stable=False)"),
    (pynet.zeros, "(*size, dtype=None, device=None, requires_grad=False)"),
    (pynet.full, "(size, fill_value, /, *, dtype=None, device=None, requires_grad=False)"),
    (pynet.cat, "(tensors, dim=0)"),
    (pynet.stack, "(tensors, dim=0)"),
    (pynet.where, "(condition, input=None, other=None, /)"),
    (pynet.manual_seed, "(seed, /)"),
    (pynet.get_rng_state, "()"),
    (pynet.set_num_threads, "(int, /)"),
    (pynet.from_numpy, "(ndarray, /)"),
    (nn.Module.forward, "(self, /, *input)"),
    (nn.Sequential.forward, "(self, input, /)"),
    (optim.Optimizer.zero_grad, "(self, /, set_to_none=True)"),
], ids=lambda x: getattr(x, "__qualname__", None))
def test_signatures(obj, sig):
    assert str(inspect.signature(obj)) == sig


def test_c_signatures_match_what_the_methods_accept():
    # the keyword names in the text signatures are the ones the C parsers take
    x = pynet.tensor([[3.0, -1.0], [2.0, 5.0]])
    assert pynet.Tensor.add(x, other=x, alpha=2).tolist() == (x * 3).tolist()
    assert x.sum(dim=1, keepdim=True, dtype=pynet.float64).dtype == pynet.float64
    assert x.var(dim=0, unbiased=False, keepdim=False, correction=None).shape == (2,)
    assert x.clamp(min=0, max=4).tolist() == [[3.0, 0.0], [2.0, 4.0]]
    assert x.div(other=2, rounding_mode="floor").tolist() == [[1.0, -1.0], [1.0, 2.0]]
    assert x.logsumexp(dim=0, keepdim=False).shape == (2,)
    assert x.softmax(dim=1, dtype=pynet.float64).dtype == pynet.float64
    assert x.max(dim=0, keepdim=True)[0].shape == (1, 2)
    assert x.clone().requires_grad_(requires_grad=True).requires_grad
    assert pynet.zeros(size=(2, 3), dtype=pynet.int64, device="cpu").shape == (2, 3)
    assert pynet.cat(tensors=[x, x], dim=1).shape == (2, 4)
    assert x.size(dim=0) == 2 and x.transpose(dim0=0, dim1=1).stride(dim=0) == 1
    assert x.mul(other=x).tolist() == (x * x).tolist() and x.pow(exponent=2).shape == (2, 2)
    assert x.size(axis=0) == 2 and x.mul(x2=x).shape == (2, 2)  # NumPy's names, as PyTorch
    with pytest.raises(TypeError):
        x.pow(x2=2)  # x2 is other's alias only


def test_help_shows_signature_and_text():
    text = pynet.Tensor.add_.__doc__
    assert text.startswith("In place: adds other")
    assert pynet.Tensor.add_.__text_signature__ == "($self, /, other, *, alpha=1)"
    assert pynet.Tensor.shape.__doc__
    assert pynet.Tensor.grad.__doc__ and pynet.Tensor.requires_grad.__doc__
