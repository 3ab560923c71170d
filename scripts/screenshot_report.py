"""Look at the report and the notebooks as a reader does: headless Chromium, page by page.

Prints the report (an HTML file, built with ``migflows report`` when none is given) to PDF
with Chromium's print engine (the same a user gets from the browser's "Print to PDF"), then
renders every PDF page to PNG with ``pdftoppm``; the executed notebooks are converted to HTML
with nbconvert and screenshotted the same way. Open the PNGs (or the PDF) and look.

Needs Debian ``chromium`` and ``poppler-utils`` (``apt-get install -y chromium
poppler-utils``) and nbconvert (installed with ``migflows[jupyter]``).

Run::

    python scripts/screenshot_report.py [--report FILE.html] [--out DIR] [--fast]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("no Chromium found: apt-get install -y chromium")


def to_pdf(html: Path, pdf: Path) -> None:
    subprocess.run(
        [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}", html.resolve().as_uri(),
        ],
        check=True, capture_output=True,
    )  # fmt: skip


def to_pngs(pdf: Path, prefix: Path, dpi: int) -> list[Path]:
    if shutil.which("pdftoppm") is None:
        sys.exit("no pdftoppm: apt-get install -y poppler-utils")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(prefix)], check=True)
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="report HTML (default: build one)")
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="output folder")
    parser.add_argument("--fast", action="store_true", help="build the report with --fast")
    parser.add_argument("--dpi", type=int, default=60, help="PNG resolution (default 60)")
    parser.add_argument("--no-notebooks", action="store_true", help="only the report")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    report = args.report
    if report is None:
        report = args.out / "report.html"
        cmd = [sys.executable, "-m", "migflows.reports.cli", "report", "--out", str(report)]
        subprocess.run([*cmd, "--no-progress", *(["--fast"] if args.fast else [])], check=True)
    pdf = args.out / "report.pdf"
    to_pdf(report, pdf)
    pages = to_pngs(pdf, args.out / "report", args.dpi)
    print(f"report: {pdf} and {len(pages)} page images in {args.out}/")
    if args.no_notebooks:
        return
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        html = args.out / f"{nb.stem}.html"
        subprocess.run(
            [sys.executable, "-m", "nbconvert", "--to", "html", "--output", html.resolve(), nb],
            check=True, capture_output=True,
        )  # fmt: skip
        nb_pdf = args.out / f"{nb.stem}.pdf"
        to_pdf(html, nb_pdf)
        shots = to_pngs(nb_pdf, args.out / nb.stem, args.dpi)
        print(f"{nb.stem}: {len(shots)} page images")


if __name__ == "__main__":
    main(sys.argv[1:])
