"""Command-line options for reading a user's flow table, shared by the sub-commands."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from migflows.errors import InvalidOptionError

if TYPE_CHECKING:  # pandas and the readers load when a file is read, not for --help
    import pandas as pd

    from migflows.data.panel import FlowPanel

EXCEL = (".xlsx", ".xls", ".xlsm")


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that describe a flow file (layout, column names, extra tables)."""
    group = parser.add_argument_group("reading a flow file")
    group.add_argument(
        "--layout",
        choices=("auto", "long", "matrix"),
        default="auto",
        help="long table (one row per origin, destination, year) or square OD matrix; "
        "auto picks long when the origin, destination and flow columns exist (default: auto)",
    )
    group.add_argument(
        "--origin", default="origin", metavar="COL", help="origin column (default: origin)"
    )
    group.add_argument(
        "--destination",
        default="destination",
        metavar="COL",
        help="destination column (default: destination)",
    )
    group.add_argument(
        "--year-column", default="year", metavar="COL", help="year column (default: year)"
    )
    group.add_argument("--flow", default="flow", metavar="COL", help="flow column (default: flow)")
    group.add_argument(
        "--matrix-year",
        type=int,
        metavar="YEAR",
        help="year of a single OD matrix (an Excel workbook without it is read sheet by sheet, "
        "sheets named by year)",
    )
    group.add_argument(
        "--region-names",
        choices=("none", "kazakhstan"),
        default="none",
        help="translate region labels to keys: 'kazakhstan' recognises English, Russian and "
        "Kazakh spellings of Kazakhstan's regions (default: none, labels are kept)",
    )
    group.add_argument(
        "--self-flows",
        choices=("error", "drop", "keep"),
        help="rows with origin == destination: refuse, drop (with a warning) or keep apart as "
        "intra-regional moves (default: error for long tables, keep for matrices)",
    )
    group.add_argument(
        "--duplicates",
        choices=("error", "sum"),
        help="repeated (origin, destination, year) rows: refuse or add up (default: error)",
    )
    group.add_argument(
        "--missing",
        choices=("error", "drop"),
        help="rows with an empty flow cell: refuse or drop them with a warning (default: error)",
    )
    group.add_argument(
        "--fill-zeros",
        action="store_true",
        help="read origin-destination pairs absent from a year as zero flows (default: absent)",
    )
    group.add_argument(
        "--totals",
        choices=("drop", "error"),
        help="total rows/columns of an OD matrix: drop them or refuse (default: drop)",
    )
    group.add_argument(
        "--regions",
        type=Path,
        metavar="PATH",
        help="CSV of region-year attributes: columns region, year and numeric attributes "
        "(e.g. population, wage)",
    )
    group.add_argument(
        "--coords",
        type=Path,
        metavar="PATH",
        help="CSV of admin-centre coordinates: columns region, lat, lon (enables distances "
        "and the flow map)",
    )


def _read_csv(path: Path, **kwargs: Any) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    return pd.read_csv(path, **kwargs)


def read_long_table(path: Path, args: argparse.Namespace) -> pd.DataFrame | None:
    """The raw long table at ``path`` (as read, unvalidated), or None for an OD matrix."""
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    import pandas as pd

    excel = path.suffix.lower() in EXCEL
    if args.layout == "matrix":
        return None
    frame = pd.read_excel(path) if excel else pd.read_csv(path)
    wanted = {args.origin, args.destination, args.flow}
    if args.layout == "auto" and not wanted <= {str(c) for c in frame.columns}:
        return None
    return frame


def read_input(path: Path, args: argparse.Namespace) -> FlowPanel:
    """Read the flow file at ``path`` with the options of :func:`add_input_options`.

    Raises
    ------
    FileNotFoundError
        A file does not exist.
    MigflowsError
        The data violate the flow-panel contract (the message says what and how to fix).
    """
    from migflows.data.io import read_od_matrix, read_table

    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    excel = path.suffix.lower() in EXCEL
    layout = args.layout
    table = read_table(path, 0)  # dialect and encoding sniffed; corrupt files refused
    if layout == "auto":
        header = table.columns
        wanted = {args.origin, args.destination, args.flow}
        layout = "long" if wanted <= {str(c) for c in header} else "matrix"
    options: dict[str, Any] = {}
    if args.regions is not None:
        options["regions"] = _read_csv(args.regions)
    if args.coords is not None:
        options["coords"] = _read_csv(args.coords)
    if args.self_flows is not None:
        options["self_flows"] = args.self_flows
    if args.duplicates is not None:
        options["duplicates"] = args.duplicates
    if getattr(args, "missing", None) is not None:
        options["missing"] = args.missing
    if getattr(args, "fill_zeros", False):
        options["fill_zeros"] = True
    names = None if args.region_names == "none" else args.region_names
    if layout == "long":
        return read_od_matrix(
            path,
            layout="long",
            region_names=names,
            origin=args.origin,
            destination=args.destination,
            year_column=args.year_column,
            flow=args.flow,
            **options,
        )
    if args.matrix_year is None and not excel:
        raise InvalidOptionError(
            f"{path} looks like an OD matrix (it has no {args.origin!r}, {args.destination!r} "
            f"and {args.flow!r} columns); give its year with --matrix-year YEAR, or name the "
            f"columns of a long table with --origin/--destination/--flow."
        )
    if getattr(args, "totals", None) is not None:
        options["totals"] = args.totals
    return read_od_matrix(
        path,
        year=args.matrix_year,
        layout="matrix",
        sheet=0 if args.matrix_year is not None else None,
        region_names=names,
        **options,
    )


def check_out(path: Path | None, *, create_folders: bool = False) -> None:
    """Refuse an ``--out`` path that cannot be written, before any work is done.

    ``create_folders`` (the report) accepts a folder that does not exist yet if it can be
    created.

    Raises
    ------
    InvalidOptionError
        The path is a directory, its folder does not exist (and may not be created), or it
        is not writable.
    """
    if path is None:
        return
    if path.is_dir():
        raise InvalidOptionError(
            f"--out {path} is a directory; give a file name in it, e.g. --out "
            f"{path / 'output.txt'}."
        )
    folder = path.parent if str(path.parent) else Path(".")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not folder.is_dir() and (not create_folders or not existing.is_dir()):
        raise InvalidOptionError(
            f"--out {path}: the folder {folder} does not exist; create it first or choose "
            f"another path."
        )
    target = path if path.exists() else existing
    if not os.access(target, os.W_OK):
        raise InvalidOptionError(
            f"--out {path} is not writable (no write permission on {target}); choose another path."
        )


def write_out(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (checked by :func:`check_out`), naming the path on failure."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise InvalidOptionError(
            f"--out {path} could not be written ({err.strerror or err}); choose another path."
        ) from None
