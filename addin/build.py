"""``tarifa build``: write the Excel template from the built-in price lists.

Writes one file per way Excel stores Tarifa's function names (docs/runtimes.md, "Names in
formulas, and how Excel stores them in an .xlsx"):

* ``dist/Tarifa.xlsx`` -- plain names (``MSIGN_OVERAGE(...)``): desktop xlwings and LibreOffice
  (``tarifa recalc``, ``tarifa bill`` reads any of the three);
* ``dist/Tarifa-Lite.xlsx`` -- ``_xldudf_MSIGN_OVERAGE(...)``: how Excel stores an Office.js
  custom function without namespace (xlwings Lite);
* ``dist/Tarifa-Server.xlsx`` -- ``_xldudf_TARIFA_MSIGN_OVERAGE(...)``: xlwings Server with the
  namespace TARIFA (``tarifa serve``'s default).

The two Office.js forms follow Microsoft's statements and real workbooks, not a check in
Excel (none here); if Excel shows #NAME? after the add-in has loaded, Find & Replace "=" with
"=" over the workbook makes Excel re-read every formula.

**A workbook someone worked in is never overwritten** (``addin.keep``): a file that is not
byte for byte what the last build wrote there is kept, and the new build goes to
``NAME-new.xlsx`` (or ``NAME-new-2.xlsx``, ...), which the command says.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from addin import keep
from workbook.template import build

DEFAULT = Path("dist/Tarifa.xlsx")


def variants(path: Path, namespace: str = "TARIFA") -> dict[Path, str]:
    """Output path -> function-name prefix, per runtime."""
    server = f"_xldudf_{namespace}_" if namespace else "_xldudf_"
    return {path: "",
            path.with_name(f"{path.stem}-Lite{path.suffix}"): "_xldudf_",
            path.with_name(f"{path.stem}-Server{path.suffix}"): server}


def build_kept(path: Path, prefix: str = "") -> tuple[Path, bool]:
    """Build the template for ``path`` without overwriting a workbook someone changed:
    (where it went, whether that is ``path``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    target = keep.destination(path)
    built = build(target, prefix=prefix).path
    keep.usual_mode(built)
    keep.remember(built)
    return built, target == path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT,
                        help=f"where to write the template (default {DEFAULT}); the Lite and "
                             "Server variants go next to it. A file there that differs from "
                             "what the last build wrote is kept: the build then goes to "
                             "NAME-new.xlsx")
    parser.add_argument("--namespace", default="TARIFA",
                        help="xlwings Server's function namespace (default TARIFA, as "
                             "tarifa serve)")
    parser.add_argument("--only-plain", action="store_true",
                        help="write only the plain-name template (desktop / LibreOffice)")


def run(args: argparse.Namespace) -> int:
    for path, prefix in variants(args.output, args.namespace).items():
        if prefix and args.only_plain:
            continue
        built, same = build_kept(path, prefix=prefix)
        kind = {"": "desktop xlwings, LibreOffice", "_xldudf_": "xlwings Lite"}.get(
            prefix, "xlwings Server")
        print(f"Template written: {built} ({kind})")
        if not same:
            print(f"  {path} was changed since it was built (someone's work): kept as it "
                  f"is; the new template is {built}")
    print("Work in your own copy, never in the built file: tarifa new my-month.xlsx")
    return 0
