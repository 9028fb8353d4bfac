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
"""

from __future__ import annotations

import argparse
from pathlib import Path

from workbook.template import build

DEFAULT = Path("dist/Tarifa.xlsx")


def variants(path: Path, namespace: str = "TARIFA") -> dict[Path, str]:
    """Output path -> function-name prefix, per runtime."""
    server = f"_xldudf_{namespace}_" if namespace else "_xldudf_"
    return {path: "",
            path.with_name(f"{path.stem}-Lite{path.suffix}"): "_xldudf_",
            path.with_name(f"{path.stem}-Server{path.suffix}"): server}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT,
                        help=f"where to write the template (default {DEFAULT}); the Lite and "
                             "Server variants go next to it")
    parser.add_argument("--namespace", default="TARIFA",
                        help="xlwings Server's function namespace (default TARIFA, as "
                             "tarifa serve)")
    parser.add_argument("--only-plain", action="store_true",
                        help="write only the plain-name template (desktop / LibreOffice)")


def run(args: argparse.Namespace) -> int:
    for path, prefix in variants(args.output, args.namespace).items():
        if prefix and args.only_plain:
            continue
        built = build(path, prefix=prefix)
        kind = {"": "desktop xlwings, LibreOffice", "_xldudf_": "xlwings Lite"}.get(
            prefix, "xlwings Server")
        print(f"Template written: {built.path} ({kind})")
    return 0
