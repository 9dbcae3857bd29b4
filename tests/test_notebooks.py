"""Every notebook runs top to bottom (outputs are not committed, so they cannot rot silently).

The parameters cell of each notebook is followed by an injected cell with smaller values for CI.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CI_PARAMETERS = {
    "quickstart.ipynb": {},
    "evaluate.ipynb": {"LIMIT": 2},
    "adapters.ipynb": {"STEPS": 4, "SAMPLES": 16, "HELDOUT": 2},
}


def execute(name: str, overrides: dict, tmp_path: Path) -> nbformat.NotebookNode:
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    index = next(i for i, c in enumerate(book.cells) if "parameters" in c.metadata.get("tags", []))
    source = "\n".join(f"{key} = {json.dumps(value)}" for key, value in overrides.items()) or "pass"
    book.cells.insert(index + 1, nbformat.v4.new_code_cell("# injected by the test suite\n" + source))
    NotebookClient(book, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return book


def test_outputs_are_not_committed() -> None:
    for path in NOTEBOOKS.glob("*.ipynb"):
        book = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in book.cells if c.cell_type == "code"), path.name


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_runs_top_to_bottom(name: str, tmp_path: Path) -> None:
    book = execute(name, CI_PARAMETERS.get(name, {}), tmp_path)
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
