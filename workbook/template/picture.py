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


def to_pdf(src: Path, folder: Path, timeout: float = 180, fit: tuple[str, ...] = ()) -> Path:
    """``src`` recalculated and printed to PDF by LibreOffice (the bridge's profile).

    First ``tarifa recalc`` (arrays and spill references fitted to the Tables, every formula
    computed, saved with its values), then that file printed: LibreOffice sets the heights
    of rows with wrapped text (the Check column) from the values it loads, so they must be
    the computed ones, not the 0 a freshly built template holds. ``fit``: sheets printed one
    page wide here (a picture of the whole sheet), whatever their print settings."""
    soffice = libreoffice.find_soffice()
    if soffice is None:
        raise libreoffice.RecalcError("LibreOffice is not installed")
    computed = libreoffice.recalculate(src, folder / f"{src.stem}-computed.xlsx", timeout)
    pdf = folder / f"{computed.stem}.pdf"
    python = uno_python()
    profile = libreoffice.ensure_profile(soffice, libreoffice.bridge_config())
    if python is not None:  # rows fitted to their wrapped texts (uno_print.py)
        subprocess.run([python, str(Path(__file__).with_name("uno_print.py")), str(profile),
                        str(computed), str(pdf), ",".join(fit)], env=libreoffice.clean_env(),
                       capture_output=True, timeout=timeout, check=False)
    if not pdf.is_file():  # no python3-uno: LibreOffice's own conversion
        libreoffice.run_soffice(soffice, profile, ["--convert-to", "pdf", "--outdir",
                                                   str(folder), str(computed)], timeout)
    if not pdf.is_file():
        raise libreoffice.RecalcError(f"LibreOffice wrote no PDF for {src}")
    return pdf


def uno_python() -> str | None:
    """A Python that imports LibreOffice's ``uno`` (the system's, where python3-uno is)."""
    env = libreoffice.clean_env()
    for python in ("/usr/bin/python3", shutil.which("python3", path=env["PATH"])):
        if python and subprocess.run([python, "-c", "import uno"], env=env,
                                     capture_output=True).returncode == 0:
            return python
    return None


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
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    boxes = [tuple(float(v) for v in m) for m in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', html)]
    boxes = [b for b in boxes if b[3] < height - 40]  # not the footer (sheet name, page)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def render(src: Path, png: Path, title: str, dpi: int = 100, fit: tuple[str, ...] = ()) -> Path:
    """The page whose text holds ``title`` as PNG at ``dpi``, cropped to its content."""
    if shutil.which("pdftoppm") is None:
        raise RuntimeError("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory(prefix="tarifa-picture-") as tmp:
        pdf = to_pdf(Path(src).resolve(), Path(tmp), fit=fit)
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
        render(src, args.png, TITLES[args.sheet], args.dpi, fit=(args.sheet,))
    print(f"Written: {args.png} ({args.png.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
