"""The public function namespaces are explicit: pynet's top-level tensor functions
(pynet/_functions.py) and pynet.nn.functional (_functional_layers.py and
_functional_loss.py). Every exported function has a docstring and a real
signature, and no name is defined twice (a later definition or a star import
silently replacing an earlier one). Needs no torch.
"""
import ast
import collections
import inspect
import pathlib

import pytest

import pynet
import pynet._functions
import pynet.nn.functional as F

PKG = pathlib.Path(pynet.__file__).parent
FUNCTIONAL_SOURCES = ["nn/functional.py", "nn/_functional_layers.py", "nn/_functional_loss.py"]


def top_level_definitions(path):
    """(name, line) of every def, class and assignment at module level of a source file,
    including those nested in module-level if/try blocks."""
    tree = ast.parse((PKG / path).read_text(), filename=str(path))
    out = []

    def visit(body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.append((node.name, node.lineno))
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name):
                            out.append((n.id, node.lineno))
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for h in node.handlers:
                    visit(h.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return tree, out


def imported_names(tree):
    """Names bound by module-level imports; '*' for a star import."""
    names = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [a.asname or a.name.split(".")[0] for a in node.names]
    return names


# ------------------------------------------------------------ nn.functional

def test_functional_exports_are_explicit_and_documented():
    assert len(F.__all__) == len(set(F.__all__)), "duplicate names in F.__all__"
    public = {n for n in dir(F) if not n.startswith("_")}
    # every public name is exported (nothing leaks in, e.g. helper imports) ...
    assert public == set(F.__all__), sorted(public ^ set(F.__all__))
    # ... and every exported name is a documented function of a source module
    for name in F.__all__:
        fn = getattr(F, name)
        assert callable(fn), name
        assert inspect.getdoc(fn), f"pynet.nn.functional.{name} has no docstring"
        assert fn.__module__ in ("pynet.nn._functional_layers", "pynet.nn._functional_loss"), \
            (name, fn.__module__)


def test_functional_sources_have_no_star_imports():
    for path in FUNCTIONAL_SOURCES:
        tree, _ = top_level_definitions(path)
        assert "*" not in imported_names(tree), f"star import in {path}"


@pytest.mark.parametrize("path", FUNCTIONAL_SOURCES)
def test_functional_source_defines_each_name_once(path):
    tree, defs = top_level_definitions(path)
    counts = collections.Counter(name for name, _ in defs)
    twice = {n: [ln for m, ln in defs if m == n] for n, c in counts.items() if c > 1}
    assert not twice, f"{path}: defined more than once (name: lines): {twice}"
    # nor is a name both defined and imported in the same module
    clash = set(counts) & set(imported_names(tree))
    assert not clash, f"{path}: names both imported and defined: {sorted(clash)}"


def test_functional_name_defined_in_exactly_one_module():
    where = collections.defaultdict(list)
    for path in FUNCTIONAL_SOURCES:
        for name, line in top_level_definitions(path)[1]:
            if not name.startswith("_"):
                where[name].append(f"{path}:{line}")
    for name in F.__all__:
        assert len(where[name]) == 1, f"{name} defined at {where[name]}"
    # the facade module itself only re-exports
    assert {n for n, _ in top_level_definitions("nn/functional.py")[1]} == {"__all__"}


def test_functional_all_matches_source_modules():
    from pynet.nn import _functional_layers, _functional_loss

    assert set(F.__all__) == set(_functional_layers.__all__) | set(_functional_loss.__all__)
    for mod in (_functional_layers, _functional_loss):
        for name in mod.__all__:
            assert getattr(F, name) is getattr(mod, name), name


# ------------------------------------------------------- pynet's top level

def test_top_level_functions_explicit_and_documented():
    names = pynet._functions.__all__
    assert len(names) == len(set(names)), "duplicate names in _functions.__all__"
    for name in names:
        fn = getattr(pynet, name)
        assert fn is getattr(pynet._functions, name), f"pynet.{name} is not _functions.{name}"
        # a function, or the builtin that runs its method's C code for a Tensor
        # (_functions._FORWARDED; tests/test_functions_forward.py)
        forwarded = name in pynet._functions._FORWARDED and inspect.isbuiltin(fn)
        assert (inspect.isfunction(fn) or forwarded) and fn.__name__ == name, name
        doc = inspect.getdoc(fn)
        assert doc and "\n" not in doc, f"pynet.{name}: needs a one-line docstring"
        params = list(inspect.signature(fn).parameters.values())
        # the tensor first, named as torch names it
        assert params and params[0].name in ("input", "tensor", "tensors", "LU_data", "weight",
                                             "input1", "x1", "anchor"), (name, params)
        assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, name
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
            assert "Forms:" in doc, f"pynet.{name}(*args) must list its forms in the docstring"


def test_top_level_functions_defined_once():
    tree, defs = top_level_definitions("_functions.py")
    counts = collections.Counter(name for name, _ in defs)
    assert not [n for n, c in counts.items() if c > 1]
    defined = {n for n, _ in defs}
    assert set(pynet._functions.__all__) <= defined
    # every public function of the module is exported
    public_defs = {n.name for n in tree.body
                   if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    assert public_defs == set(pynet._functions.__all__), sorted(
        public_defs ^ set(pynet._functions.__all__))
    # and pynet/__init__.py binds none of these names itself (it imports them)
    init_tree, init_defs = top_level_definitions("__init__.py")
    assert not {n for n, _ in init_defs} & defined


def test_top_level_functions_take_non_tensor_input():
    assert pynet.sum([1.0, 2.0, 3.0]).item() == 6.0
    assert pynet.exp(0.0).item() == 1.0
    assert pynet.numel([[1, 2], [3, 4]]) == 4
    assert pynet.pow(2, 3).item() == 8
    assert pynet.pow(2, pynet.tensor([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert pynet.maximum([1.0, 5.0], pynet.tensor([3.0, 2.0])).tolist() == [3.0, 5.0]
