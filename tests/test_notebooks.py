"""Every notebook's code cells run top to bottom without error (their asserts check
the course's worked numbers), so the notebooks cannot silently go stale."""
import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path):
    nb = json.loads(path.read_text())
    namespace = {"__name__": "__notebook__"}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        exec(compile(source, f"{path.name}[cell {i}]", "exec"), namespace)


def test_there_are_notebooks():
    folder = pathlib.Path(__file__).parent.parent / "notebooks"
    if not folder.is_dir():  # tests run from an installed wheel carry no notebooks/
        pytest.skip(f"no notebooks folder at {folder} (tests run outside a source checkout)")
    assert NOTEBOOKS
