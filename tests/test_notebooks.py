"""Execute every notebook in notebooks/ top to bottom so the examples never rot."""

from __future__ import annotations

import re
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
    foreign = [t for t in stderr if not re.search(r": (\w+Warning): ", t) or not _ours(t)]
    assert not foreign, foreign


def _ours(text: str) -> bool:
    """Every warning in ``text`` is a subclass of migflows' MigflowsWarning."""
    import migflows.errors as errors
    import migflows.estimation.panel.phtest as panel_phtest

    names = re.findall(r": (\w+Warning): ", text)
    classes = [getattr(errors, n, None) or getattr(panel_phtest, n, None) for n in names]
    return all(isinstance(c, type) and issubclass(c, errors.MigflowsWarning) for c in classes)


def test_notebooks_are_stored_with_outputs() -> None:
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any(c.get("outputs") for c in code), f"{path.name}: run scripts/execute_notebooks.py"


def test_stored_tables_read_well() -> None:
    # What a reader of the stored notebooks sees in tables: counts as integers (161, not
    # 161.0) and no scientific notation (a repr's p-value such as 2.975e-32 is text, not a
    # table, and is allowed). The executed outputs are what scripts/execute_notebooks.py wrote.
    found = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in (c for c in nb.cells if c.cell_type == "code"):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                table = data.get("text/html", "") if "<table" in data.get("text/html", "") else ""
                if not table:
                    continue
                cells = re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", table)
                found += [
                    (path.stem, v)
                    for v in cells
                    if re.fullmatch(r"-?\d\.\d+e[-+]\d+", v) or re.fullmatch(r"-?[\d,]{3,}\.0", v)
                ]
    assert found == []
