"""A picture of the template: LibreOffice recalculates it (Tarifa's functions through the
bridge) and prints it to PDF; pdftoppm (poppler-utils) renders the page of one sheet to PNG.

    .venv/bin/python -m workbook.template.picture dist/Tarifa.xlsx docs/template.png --sheet mSign
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from workbook import libreoffice
from workbook.template import build


def to_pdf(src: Path, folder: Path, timeout: float = 180) -> Path:
    """``src`` recalculated and printed to PDF by LibreOffice (the bridge's profile).

    First ``tarifa recalc`` (arrays and spill references fitted to the Tables, every formula
    computed, saved with its values), then that file printed: LibreOffice sets the heights
    of rows with wrapped text (the Check column) from the values it loads, so they must be
    the computed ones, not the 0 a freshly built template holds."""
    soffice = libreoffice.find_soffice()
    if soffice is None:
        raise libreoffice.RecalcError("LibreOffice is not installed")
    computed = libreoffice.recalculate(src, folder / f"{src.stem}-computed.xlsx", timeout)
    profile = libreoffice.ensure_profile(soffice, libreoffice.bridge_config())
    libreoffice.run_soffice(soffice, profile, ["--convert-to", "pdf", "--outdir", str(folder),
                                               str(computed)], timeout)
    pdf = folder / f"{computed.stem}.pdf"
    if not pdf.is_file():
        raise libreoffice.RecalcError(f"LibreOffice wrote no PDF for {src}")
    return pdf


def page_of(pdf: Path, text: str) -> int:
    """The first page (1-based) whose text holds ``text`` (pdftotext, poppler-utils)."""
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    for i, page in enumerate(pages, start=1):
        if text in page:
            return i
    raise ValueError(f"no page of {pdf} shows {text!r}")


def text_box(pdf: Path, page: int) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in points around every word of ``page``."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], capture_output=True, text=True, check=True).stdout
    boxes = [tuple(float(v) for v in m) for m in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', html)]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def render(src: Path, png: Path, title: str, dpi: int = 100) -> Path:
    """The page whose text holds ``title`` as PNG at ``dpi``, cropped to its content."""
    if shutil.which("pdftoppm") is None:
        raise RuntimeError("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory(prefix="tarifa-picture-") as tmp:
        pdf = to_pdf(Path(src).resolve(), Path(tmp))
        page = page_of(pdf, title)
        x0, y0, x1, y1 = text_box(pdf, page)
        px = dpi / 72
        margin = 12
        crop = [int(x0 * px) - margin, int(y0 * px) - margin,
                int((x1 - x0) * px) + 2 * margin, int((y1 - y0) * px) + 2 * margin]
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                        "-x", str(max(crop[0], 0)), "-y", str(max(crop[1], 0)),
                        "-W", str(crop[2]), "-H", str(crop[3]),
                        "-singlefile", str(pdf), str(stem)], check=True)
        png.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(f"{stem}.png", png)
    return png


TITLES = {"mSign": "mSign - use beyond the package", "Bill": "Bill - the month's bills",
          "eSign": "eSign - licences", "NENSI": "NENSI - maintenance", "Quote": "Quote - a",
          "Estimate": "Estimate - your monthly", "Tariffs": "Tariffs - price lists"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("template", type=Path, nargs="?", help="default: a freshly built template")
    p.add_argument("png", type=Path)
    p.add_argument("--sheet", default="mSign", choices=sorted(TITLES))
    p.add_argument("--dpi", type=int, default=100)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tarifa-picture-") as tmp:
        src = args.template or build(Path(tmp) / "Tarifa.xlsx").path
        render(src, args.png, TITLES[args.sheet], args.dpi)
    print(f"Written: {args.png} ({args.png.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
