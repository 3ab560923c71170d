"""Execute every notebook in notebooks/ top to bottom so the examples never rot."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    # The per-cell timeout only stops a hung kernel; notebook run times are measured in
    # benchmarks/, not asserted here.
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    # Warning-free: nothing on stderr (no TqdmWarning, PyMC log lines, library deprecations)
    # except migflows' own warnings, which state something true about the data.
    stderr = [
        o["text"]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]
    ours = ("MigflowsWarning", "DroppedRowsWarning", "DataQualityWarning", "CollinearityWarning",
            "SeparationWarning")  # fmt: skip
    foreign = [t for t in stderr if not any(name in t for name in ours)]
    assert not foreign, foreign


def test_notebooks_are_stored_with_outputs() -> None:
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any(c.get("outputs") for c in code), f"{path.name}: run scripts/execute_notebooks.py"
