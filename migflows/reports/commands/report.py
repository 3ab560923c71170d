"""``migflows report``: write the self-contained HTML report."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from migflows.reports.commands import COMMAND_HELP
from migflows.reports.commands.inputs import add_input_options, check_out, read_input

DEFAULT_OUT = "migflows-report.html"


def register(subparsers: Any) -> None:
    """Add the ``report`` sub-command (sections are imported only when the report runs)."""
    parser = subparsers.add_parser(
        "report",
        help=COMMAND_HELP["report"],
        description="Write one self-contained HTML file (figures embedded, no external "
        "resources) describing a migration panel: data overview and quality checks, flows, "
        "regional balances, descriptive indices and a methods appendix; model families add "
        "their own sections. Without --data it reports on the embedded Kazakhstan data.",
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="PATH",
        help="your own flow file (CSV or Excel, long table or OD matrix) instead of the "
        "embedded Kazakhstan data",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(DEFAULT_OUT),
        metavar="FILE",
        help=f"HTML file to write (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--sections",
        metavar="A,B",
        help="comma-separated sections to include (default: all; --list-sections prints "
        "their names)",
    )
    parser.add_argument(
        "--list-sections", action="store_true", help="print the available sections and exit"
    )
    parser.add_argument(
        "--years",
        type=int,
        nargs="+",
        metavar="YEAR",
        help="years to include (default: every year of your data; for the embedded data the "
        "years not flagged as corrupt or partial)",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="skip slow steps (e.g. posterior sampling in model sections)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="base random seed for sections that draw random numbers (default: 0)",
    )
    parser.add_argument("--title", help="report title")
    parser.add_argument(
        "--boundaries",
        type=Path,
        metavar="GEOJSON",
        help="region outlines for the maps (a GeoJSON FeatureCollection; default: the shipped "
        "Kazakhstan outlines when they cover the regions, else no maps)",
    )
    parser.add_argument(
        "--boundaries-key",
        default="region",
        metavar="PROPERTY",
        help="feature property holding the region keys (default: region)",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also print the report to PDF next to the HTML, with headless Chromium (Debian "
        "package chromium)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_input_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the report; 0 on success."""
    from migflows.data.kazakhstan import load_kazakhstan
    from migflows.reports.html import build_report
    from migflows.reports.sections import available_sections, get_section

    if args.list_sections:
        for name in available_sections():
            print(f"{name:<12} {get_section(name).title}")
        return 0
    sections = None
    if args.sections:
        sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    check_out(args.out, create_folders=True)
    started = time.perf_counter()
    if args.data is None:
        panel = load_kazakhstan(years=args.years)
    else:
        panel = read_input(args.data, args)
        if args.years:
            panel = panel.select(years=args.years)
    shapes = None
    if args.boundaries is not None:
        from migflows.data.boundaries import read_boundaries

        shapes = read_boundaries(args.boundaries, key=args.boundaries_key)
    path = build_report(
        panel,
        args.out,
        sections=sections,
        random_seed=args.seed,
        fast=args.fast,
        progress=not args.no_progress,
        title=args.title,
        boundaries=shapes,
    )
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.1f} MB) in {time.perf_counter() - started:.1f} s")
    if args.pdf:
        pdf = print_pdf(path)
        print(f"wrote {pdf} (printed by Chromium)")
    return 0


def print_pdf(html: Path) -> Path:
    """Print ``html`` to a PDF beside it with headless Chromium (the browser's print engine)."""
    import shutil
    import subprocess

    from migflows.errors import InvalidOptionError

    browser = next(
        (b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )
    if browser is None:
        raise InvalidOptionError(
            "--pdf needs headless Chromium, which is not installed: apt-get install -y "
            "chromium (or open the HTML in a browser and print it to PDF)."
        )
    pdf = html.with_suffix(".pdf")
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf.resolve()}", html.resolve().as_uri()],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return pdf
