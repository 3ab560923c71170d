"""Execute the example notebooks in place, so that they are stored with their outputs.

Run after changing a notebook or the code it shows (``python scripts/execute_notebooks.py``
or with names: ``... 02_gravity``). Each notebook runs top to bottom in a fresh kernel with
``notebooks/`` as working directory; a cell that fails stops the script with its error. The
tests execute the notebooks again (``tests/test_notebooks.py``) and check that no cell writes
to stderr, so the stored outputs are what a user sees.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def main(names: list[str]) -> None:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if names:
        paths = [p for p in paths if p.stem in names]
    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        ).execute()
        for cell in nb.cells:  # keep the files diff-friendly: no execution timestamps
            cell.get("metadata", {}).pop("execution", None)
        nbformat.write(nb, path)


if __name__ == "__main__":
    main(sys.argv[1:])
