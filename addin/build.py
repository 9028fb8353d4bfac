"""``tarifa build``: write the Excel template dist/Tarifa.xlsx from the built-in price lists."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbook.template import build

DEFAULT = Path("dist/Tarifa.xlsx")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT,
                        help=f"where to write the template (default {DEFAULT})")


def run(args: argparse.Namespace) -> int:
    built = build(args.output)
    print(f"Template written: {built.path}")
    return 0
