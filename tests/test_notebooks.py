"""Every notebook's code cells run top to bottom without error (their asserts check
the course's worked numbers), so the notebooks cannot silently go stale.

The cells run with exec() in one namespace: no Jupyter needed, and no matplotlib either
(each notebook's first cell sets HAVE_PLT and the plotting cells are guarded by it). Where
matplotlib is installed the plots are drawn off-screen (Agg) and closed afterwards.
"""
import json
import pathlib
import sys

import pytest

FOLDER = pathlib.Path(__file__).parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def code_cells(path):
    nb = json.loads(path.read_text())
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")   # never open a window, even with a display
    monkeypatch.setenv("PYNET_FAST", "1")     # notebooks may shrink their work under it
    # the checkout's data/, also when the pynet under test is a copy elsewhere (the ASan
    # build, an installed wheel): notebooks read $PYNET_DATA first
    monkeypatch.setenv("PYNET_DATA", str(FOLDER.parent / "data"))
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
