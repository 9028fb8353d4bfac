"""The ``tarifa`` command line. Each sub-command lives in its own module of ``addin/``
with ``add_arguments(parser)`` and ``run(args) -> int``; they are imported only when used."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = {
    "demo": ("addin.demo", "price a few sample lines with the built-in price lists"),
    "build": ("addin.build", "build the Excel template dist/Tarifa.xlsx"),
    "new": ("addin.new", "write a fresh working copy of the template (never over a file)"),
    "import": ("addin.importing", "append a usage export (.csv/.xlsx) to a Table of a workbook"),
    "bill": ("addin.billing", "bill one month of a workbook's usage sheets"),
    "invoice": ("addin.invoicing", "write a month's e-invoices (CII XML + Factur-X PDF)"),
    "quote": ("addin.invoicing", "write the Quote sheet as a PDF quote"),
    "recalc": ("addin.recalc", "recalculate a workbook in headless LibreOffice"),
    "lite": ("addin.lite", "generate the xlwings Lite bundle (main.py + requirements.txt)"),
    "serve": ("addin.server", "start xlwings Server with Tarifa's functions on 127.0.0.1"),
    "desktop": ("addin.desktop", "set up desktop xlwings (Windows with Excel only)"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tarifa",
        description="Tarifa: price mSign, Tresorit eSign and NENSI usage in Excel workbooks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)  # exits with usage on an unknown command
    try:
        return importlib.import_module(COMMANDS[args.command][0]).run(args)
    except BrokenPipeError:
        # `tarifa bill ... | head`: the reader of our output left. No traceback; stdout goes
        # to /dev/null so that Python's flush at exit cannot raise again. Exit 1: what the
        # command had not printed (or written) yet did not happen.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
