"""``tarifa import WORKBOOK FILE.csv|FILE.xlsx --table NAME -o OUT``: append a usage export's
rows to a Table of the workbook, written to OUT (``workbook/importer.py``).

Prints where the rows went and every refused row with its line and reason. Exit status: 0 all
rows imported, 2 written but some rows refused, 1 nothing written (unknown table or header,
unreadable file, no row to import, -o equal to an input).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbook.importer import ImportFailed, import_rows

SOME_REFUSED = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workbook", type=Path, help="the workbook (.xlsx); never changed")
    parser.add_argument("file", type=Path, help="the usage export: .csv (UTF-8, comma or "
                                                "semicolon) or .xlsx (its first sheet)")
    parser.add_argument("--table", required=True,
                        help="the Table to append to, e.g. Usage_mSign (any case)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="the workbook to write (.xlsx; never the workbook or the file)")


def run(args: argparse.Namespace) -> int:
    try:
        report = import_rows(args.workbook, args.file, args.table, args.output)
    except ImportFailed as e:
        print(f"tarifa import: {e}", file=sys.stderr)
        for r in (e.report.refused if e.report else []):
            print(f"  line {r.line}: {r.reason}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"tarifa import: {e}", file=sys.stderr)
        return 1
    print(f"Imported {report.imported} row(s) into table {report.table} (sheet "
          f"{report.sheet}, rows {report.first_row}-{report.last_row}) from {args.file}")
    if report.empty_columns:
        print(f"  columns not in the file, left empty: {', '.join(report.empty_columns)}")
    if report.skipped_blank:
        print(f"  {report.skipped_blank} empty line(s) skipped")
    if report.refused:
        print(f"{len(report.refused)} row(s) refused, not imported:")
        for r in report.refused:
            print(f"  line {r.line}: {r.reason}")
    print(f"Written: {args.output}")
    return SOME_REFUSED if report.refused else 0
