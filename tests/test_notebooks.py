"""Every notebook runs top to bottom without error (its asserts check the course's worked
numbers), so the notebooks cannot silently go stale.

With nbclient and ipykernel installed (the `test` extra has them) each notebook is executed
as Jupyter would, by a kernel in a separate process: what a reader gets when they press "Run
All". Without them the code cells run with exec() in one namespace instead, so the suite still
checks every cell where Jupyter is not installed. Either way matplotlib is optional: each
notebook's first cell sets HAVE_PLT and the plotting cells are guarded by it; where it is
installed the plots are drawn off-screen (Agg).
"""
import json
import os
import pathlib
import sys

import pytest

import pynet

FOLDER = pathlib.Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))

try:
    import nbclient
    import nbformat
    import ipykernel  # noqa: F401  (the kernel nbclient starts)
except ImportError:
    nbclient = None


def code_cells(path):
    nb = json.loads(path.read_text())
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def _notebook_env():
    """What the notebook sees: never a plot window, shrunk work (PYNET_FAST), the checkout's
    data/ (also when the pynet under test is a copy elsewhere: the ASan build, an installed
    wheel; notebooks read $PYNET_DATA first), and the pynet under test first on the path."""
    pkg_parent = str(pathlib.Path(pynet.__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    return {"MPLBACKEND": "Agg", "PYNET_FAST": "1", "PYNET_DATA": str(FOLDER.parent / "data"),
            "PYTHONPATH": pkg_parent + (os.pathsep + path if path else "")}


def _run_with_kernel(path, env):
    """Execute the notebook in a fresh Python kernel (as Jupyter's "Run All" does); a cell
    that raises fails the test with the cell's traceback."""
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(FOLDER)}})
    client.execute(env={**os.environ, **env})


def _run_with_exec(path):
    """Execute the code cells with exec() in one namespace in this process."""
    namespace = {"__name__": "__notebook__"}
    rc = sys.modules.get("matplotlib")
    rc_saved = dict(rc.rcParams) if rc is not None else None
    try:
        for i, source in code_cells(path):
            exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)
    finally:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")
        mpl = sys.modules.get("matplotlib")
        if mpl is not None:  # the notebook's style settings do not leak into later tests
            if rc_saved is None:
                mpl.rcdefaults()
            else:
                mpl.rcParams.update(rc_saved)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    env = _notebook_env()
    if nbclient is not None:
        _run_with_kernel(path, env)
        return
    for key, value in env.items():
        if key != "PYTHONPATH":  # this process already imported the pynet under test
            monkeypatch.setenv(key, value)
    _run_with_exec(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_run_and_checks_numbers(path):
    """Committed with the outputs of a full run (so it reads well on GitHub), in order, and
    asserting something (its worked numbers)."""
    nb = json.loads(path.read_text())
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
    assert None not in counts, f"{path.name}: run it top to bottom and save it with its outputs"
    assert counts == sorted(counts), f"{path.name}: cells were run out of order"
    assert any("assert " in source for _, source in code_cells(path))
    assert path.name[:2].isdigit() and path.name[2] == "_", "name notebooks NN_topic.ipynb"


def test_there_are_notebooks():
    if not FOLDER.is_dir():  # tests run from an installed wheel carry no notebooks/
        pytest.skip(f"no notebooks folder at {FOLDER} (tests run outside a source checkout)")
    assert NOTEBOOKS
