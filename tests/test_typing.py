"""pynet ships type information (PEP 561): pynet/py.typed and the stub pynet/_C.pyi of the
C extension. The stub must cover everything pynet._C has and agree with the C side's text
signatures (read here with `ast`, so a method added in C without its stub entry fails), and
mypy must use it: a realistic training script checks clean, wrong calls are reported.
The mypy checks skip when mypy is not installed (it is in the `test` extra). Needs no torch.
"""
import ast
import inspect
import os
import re
import subprocess
import sys
import textwrap
import types

import pytest

import pynet
import pynet._C as _C

PKG = os.path.dirname(os.path.abspath(pynet.__file__))
STUB = os.path.join(PKG, "_C.pyi")
PROPERTY_TYPES = (types.GetSetDescriptorType, types.MemberDescriptorType)
MODULE_ATTRS = {"__doc__", "__file__", "__loader__", "__name__", "__package__", "__spec__"}
C_TYPES = sorted((name for name, obj in vars(_C).items() if isinstance(obj, type)))

# What the stub leaves out of a C type on purpose, or declares differently, and why.
LEFT_OUT = {
    "TensorBase.__delitem__": "it only raises TypeError (tensor items cannot be deleted)",
    "ModuleBase.__getattribute__": "it looks up the registries; declared, it would make every "
                                   "attribute of every module Any",
    "ModuleBase.__new__": "object's",
    "OptimizerBase.__new__": "object's",
}
DECLARED_AS_ATTRIBUTE = {
    # forward(self, *input) in C, but each subclass gives it its own signature: declared as
    # `forward: Callable[..., Any]` so that overriding it is not an incompatible override.
    "ModuleBase.forward", "SequentialBase.forward",
}
SIGNATURE_DIFFERS = {
    "TensorBase.__new__": "Tensor(*size) / Tensor(data): two overloads of (*args, **kwargs)",
    "TensorBase.__pow__": "pow()'s third argument (always None) is left out, so that **= "
                          "type-checks against __ipow__",
    "TensorBase.__rpow__": "as __pow__",
    "where": "where(condition) / where(condition, input, other): two overloads of one function",
}


# --- the stub, read with ast ------------------------------------------------------------

def _decorators(fn):
    return {ast.unparse(d) for d in fn.decorator_list}


def _members(body):
    """{name: [nodes]} of the definitions in a module or class body (overloads in order)."""
    out = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.setdefault(node.target.id, []).append(node)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, []).append(node)
    return out


@pytest.fixture(scope="module")
def stub():
    assert os.path.exists(STUB), f"{STUB} is missing (is it in the package data?)"
    with open(STUB, encoding="utf-8") as f:
        tree = ast.parse(f.read(), STUB)
    module = _members(tree.body)
    classes = {name: nodes[0] for name, nodes in module.items()
               if isinstance(nodes[0], ast.ClassDef)}
    return module, classes


def _class_member(classes, cls_name, name):
    """The stub's nodes for cls_name.name, looking through the stub's base classes too."""
    cls = classes.get(cls_name)
    while cls is not None:
        found = _members(cls.body).get(name)
        if found:
            return found
        bases = [b.id for b in cls.bases if isinstance(b, ast.Name) and b.id in classes]
        cls = classes[bases[0]] if bases else None
    return None


def _stub_params(fn, drop_first):
    """[(name, kind, default)] of a stub function, as inspect.Parameter kinds."""
    a = fn.args
    positional = [(p, inspect.Parameter.POSITIONAL_ONLY) for p in a.posonlyargs] + \
                 [(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in a.args]
    defaults = [inspect.Parameter.empty] * (len(positional) - len(a.defaults)) + \
               [ast.literal_eval(d) for d in a.defaults]
    out = [(p.arg, kind, d) for (p, kind), d in zip(positional, defaults)]
    if drop_first:
        out = out[1:]
    if a.vararg:
        out.append((a.vararg.arg, inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.empty))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((p.arg, inspect.Parameter.KEYWORD_ONLY,
                    inspect.Parameter.empty if d is None else ast.literal_eval(d)))
    if a.kwarg:
        out.append((a.kwarg.arg, inspect.Parameter.VAR_KEYWORD, inspect.Parameter.empty))
    return out


def _runtime_params(obj, drop_first):
    params = list(inspect.signature(obj).parameters.values())
    if drop_first:
        params = params[1:]
    return [(p.name, p.kind, p.default) for p in params]


def _fmt(params):
    """[(name, kind, default)] as a signature string, e.g. (dim, start, /, *, alpha=1)."""
    parts, kinds = [], [p[1] for p in params]
    for i, (name, kind, default) in enumerate(params):
        if kind == inspect.Parameter.KEYWORD_ONLY and inspect.Parameter.VAR_POSITIONAL not in \
                kinds and (i == 0 or kinds[i - 1] != inspect.Parameter.KEYWORD_ONLY):
            parts.append("*")
        prefix = {inspect.Parameter.VAR_POSITIONAL: "*",
                  inspect.Parameter.VAR_KEYWORD: "**"}.get(kind, "")
        parts.append(prefix + name + ("" if default is inspect.Parameter.empty
                                      else f"={default!r}"))
        if kind == inspect.Parameter.POSITIONAL_ONLY and (
                i + 1 == len(params) or kinds[i + 1] != inspect.Parameter.POSITIONAL_ONLY):
            parts.append("/")
    return "(" + ", ".join(parts) + ")"


def _compare(qualname, stub_fn, obj, drop_first, problems):
    if not getattr(obj, "__text_signature__", None) or qualname in SIGNATURE_DIFFERS:
        return
    want = _runtime_params(obj, drop_first)
    got = _stub_params(stub_fn, drop_first)
    if qualname.split(".")[-1].startswith("__"):
        # slot wrappers name their operands (value, key...); only kinds and defaults count
        want = [("_", kind, d) for _, kind, d in want]
        got = [("_", kind, d) for _, kind, d in got]
    if want != got:
        problems.append(f"{qualname}: the stub has {_fmt(got)}, the C side {_fmt(want)}")


# --- coverage and signatures --------------------------------------------------------------

def test_c_types_are_the_expected_ones():
    assert {"TensorBase", "ModuleBase", "SequentialBase", "OptimizerBase", "Node",
            "dtype"} <= set(C_TYPES)


def test_every_name_of_the_extension_is_in_the_stub(stub):
    module, _ = stub
    missing = sorted(set(dir(_C)) - MODULE_ATTRS - set(module))
    assert not missing, f"pynet._C names missing from _C.pyi: {missing}"


def test_every_public_name_of_the_stub_exists(stub):
    module, classes = stub
    stale = [n for n in module if not n.startswith("_") and not hasattr(_C, n)]
    for cls_name, cls in classes.items():
        if cls_name.startswith("_"):
            continue
        stale += [f"{cls_name}.{n}" for n in _members(cls.body)
                  if (not n.startswith("_") or n.startswith("__"))
                  and not hasattr(getattr(_C, cls_name), n)]
    assert not stale, f"_C.pyi declares names pynet._C does not have: {stale}"


@pytest.mark.parametrize("cls_name", C_TYPES)
def test_every_member_of_a_c_type_is_in_the_stub(stub, cls_name):
    _, classes = stub
    cls = getattr(_C, cls_name)
    assert cls_name in classes, f"class {cls_name} missing from _C.pyi"
    problems = []
    for name, raw in sorted(vars(cls).items()):
        qualname = f"{cls_name}.{name}"
        if name in ("__dict__", "__doc__", "__module__") or qualname in LEFT_OUT:
            continue
        nodes = _class_member(classes, cls_name, name)
        if not nodes:
            problems.append(f"{qualname}: missing")
            continue
        first = nodes[0]
        if isinstance(raw, PROPERTY_TYPES):  # a property or a plain attribute in the stub
            if isinstance(first, ast.FunctionDef) and "property" not in _decorators(first):
                problems.append(f"{qualname}: a property at runtime, a method in the stub")
        elif isinstance(first, ast.AnnAssign):
            if qualname not in DECLARED_AS_ATTRIBUTE:
                problems.append(f"{qualname}: a method at runtime, an attribute in the stub")
        elif isinstance(first, ast.FunctionDef):
            static = "staticmethod" in _decorators(first)
            _compare(qualname, first, getattr(cls, name), not static, problems)
    assert not problems, "\n".join(problems)


def test_function_signatures_match_the_text_signatures(stub):
    module, _ = stub
    problems = []
    checked = 0
    for name in sorted(dir(_C)):
        obj = getattr(_C, name)
        if isinstance(obj, types.BuiltinFunctionType) and name in module:
            _compare(name, module[name][0], obj, False, problems)
            checked += bool(getattr(obj, "__text_signature__", None))
    assert checked >= 15
    assert not problems, "\n".join(problems)


def test_text_signatures_are_compared():
    # the comparison above sees the C methods' text signatures (not a fallback)
    assert inspect.signature(_C.TensorBase.add).parameters["alpha"].kind == \
        inspect.Parameter.KEYWORD_ONLY
    assert _C.TensorBase.sum.__text_signature__


def test_py_typed_marker_ships_with_the_package():
    assert os.path.isfile(os.path.join(PKG, "py.typed"))


# --- mypy uses the stubs ------------------------------------------------------------------

GOOD = '''
from typing import TYPE_CHECKING

import pynet
import pynet.nn as nn
import pynet.nn.functional as F
import pynet.optim as optim
from pynet import Tensor


class MLP(nn.Module):
    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.relu(self.fc1(x)))


def train(steps: int = 5) -> float:
    pynet.manual_seed(0)
    model = MLP(4, 16, 3)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = pynet.randn(32, 4), pynet.randint(0, 3, (32,))
    loss_value = 0.0
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_value = loss.item()
    with pynet.no_grad():
        pred = model(x).argmax(dim=1)
        accuracy = (pred == y).float().mean().item()
    w = pynet.randn(3, requires_grad=True)
    z = ((w * 2 + 1).exp().sum() / w.numel()) ** 2
    z.backward()
    assert w.grad is not None
    first: Tensor = w.grad[0]
    rows = x[:2, 1:] @ pynet.ones(3, 2)
    n: int = rows.shape[0] + rows.size(1) + x.dim() + len(x)
    values, indices = x.max(dim=1)
    top = x.topk(2).values.sum(dim=-1, keepdim=True)
    x[0, 0] = 1.0
    x += 0.5
    x.add_(pynet.zeros(32, 4), alpha=2).clamp_(min=-3.0, max=3.0)
    mask = (x > 0) & (x < 1)
    return (loss_value + accuracy + float(first) + n + values.sum().item() + top.mean().item()
            + int(indices[0]) + mask.sum().item())


x = pynet.randn(3)
y = x @ x + 1
if TYPE_CHECKING:
    reveal_type(y)
    reveal_type(pynet.randn(2, 3).sum(dim=0))
    reveal_type(pynet.zeros(2)[0].exp_())
    reveal_type(x.max(0))
    reveal_type(x.shape)
    reveal_type(x.item())
print(train())
'''

# each line that mypy must reject, with the error code it must give
BAD = '''
import pynet

x = pynet.randn(3)
x.no_such_method()  # attr-defined
x.unsqueeze("0")  # arg-type
pynet.zeros(2, dtype="float32")  # arg-type
n: int = x + 1  # assignment
x.view(2, 3).transpose(0)  # call-arg
'''


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory):
    """One mypy run over the two scripts and pynet itself (found on the path as an
    installed package would be, through py.typed): (its folder, its output)."""
    pytest.importorskip("mypy")
    d = tmp_path_factory.mktemp("typing")
    (d / "good.py").write_text(textwrap.dedent(GOOD))
    (d / "bad.py").write_text(textwrap.dedent(BAD))
    # pynet's optional dependencies: may be absent, and are not followed (torch is large)
    (d / "mypy.ini").write_text("[mypy]\n[mypy-torch.*,matplotlib.*,tqdm.*]\n"
                                "follow_imports = skip\nignore_missing_imports = True\n")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PKG), MYPYPATH=str(d))
    env.pop("LD_PRELOAD", None)  # mypy never imports pynet: no AddressSanitizer runtime
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "mypy.ini",
                           "--cache-dir", str(d / "cache"), "--no-color-output",
                           "--no-error-summary", "--show-error-codes",
                           "-m", "good", "-m", "bad", "-p", "pynet"],
                          cwd=d, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return d, proc.stdout


def _lines(output, filename, kind):
    pat = re.compile(rf"^{filename}:(\d+): {kind}: (.*)$")
    return [(int(m.group(1)), m.group(2)) for m in map(pat.match, output.splitlines()) if m]


def test_mypy_checks_a_training_script_clean(mypy_output):
    _, out = mypy_output
    assert _lines(out, "good.py", "error") == [], out


def test_mypy_sees_tensors_through_the_stub(mypy_output):
    _, out = mypy_output
    revealed = [msg for _, msg in _lines(out, "good.py", "note")]
    tensor = 'Revealed type is "pynet._tensor.Tensor"'
    assert revealed[:3] == [tensor] * 3, out
    assert "pynet._C._ValuesIndices" in revealed[3], out
    assert revealed[4] == 'Revealed type is "pynet._tensor.Size"', out
    # item(): "int | float", or "Union[builtins.int, builtins.float]" for Python 3.9
    assert "int" in revealed[5] and "float" in revealed[5] and "Tensor" not in revealed[5], out


def test_mypy_reports_wrong_calls(mypy_output):
    _, out = mypy_output
    src = textwrap.dedent(BAD).splitlines()
    expected = {(i + 1, line.split("# ")[1]) for i, line in enumerate(src) if "  # " in line}
    got = {(line, msg.rsplit("[", 1)[1].rstrip("]")) for line, msg in _lines(out, "bad.py",
                                                                            "error")}
    assert got == expected, out


def test_mypy_checks_pynet_itself_clean(mypy_output):
    # pynet's own modules against the stub: the annotated ones (creation functions, the
    # Python methods of Tensor) and the module-level code of the others
    _, out = mypy_output
    errors = [line for line in out.splitlines() if ": error:" in line
              and not line.startswith(("good.py:", "bad.py:"))]
    assert not errors, out


def test_the_checked_script_runs(mypy_output):
    # the script mypy accepts is real: it trains
    d, _ = mypy_output
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PKG))
    proc = subprocess.run([sys.executable, "good.py"], cwd=d, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    float(proc.stdout.strip())


STUBTEST_ALLOWLIST = """
# PEP 800 (@disjoint_base, typing_extensions 4.15) is too new for the mypy versions users have
pynet._C.TensorBase
pynet._C.ModuleBase
pynet._C.OptimizerBase
# pow()'s third argument (always None) is left out so that **= type-checks against __ipow__
pynet._C.TensorBase.__pow__
pynet._C.TensorBase.__rpow__
"""


@pytest.mark.skipif(os.environ.get("PYNET_ASAN") == "1",
                    reason="a static check: nothing for AddressSanitizer to watch")
def test_stubtest_agrees_with_the_extension(tmp_path):
    pytest.importorskip("mypy.stubtest")
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text(STUBTEST_ALLOWLIST)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(PKG))
    proc = subprocess.run([sys.executable, "-m", "mypy.stubtest", "pynet._C",
                           "--allowlist", str(allowlist), "--ignore-unused-allowlist",
                           "--mypy-config-file", os.devnull],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
