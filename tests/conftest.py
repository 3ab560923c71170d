"""Shared test fixtures: paths to ../shared and the embedded data."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# CI runs the property tests on a fixed sequence of examples so a submission cannot fail on a
# rare draw that a local run never saw; locally they keep exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MIGFLOWS_SHARED", ROOT.parent / "shared"))
EXTERNAL = SHARED / "data" / "external"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def external(folder: str) -> Path:
    """Return ``../shared/data/external/<folder>``, skipping the test when it is absent.

    A user's fresh clone has no ``../shared``; CI has it, so these tests run there.
    """
    path = EXTERNAL / folder
    if not path.is_dir():
        pytest.skip(
            f"needs the source folder {path} (../shared/data/external/{folder}), absent here"
        )
    return path
