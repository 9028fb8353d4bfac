"""``tarifa bill TEMPLATE.xlsx --month YYYY-MM -o bills.xlsx``: bill one month of a workbook's
usage Tables with Tarifa's worksheet functions, without Excel.

Reads the usage Tables, prices them through ``udfs.functions`` (the functions the template's
formulas call), writes the bills workbook (never over the input; through a temporary file
renamed when complete) and prints the per-customer totals. Bad rows are listed with sheet,
row and reason; their customers are not billed. Exit status: 0 all billed, 2 bills written but
some customers held back by bad rows, 1 nothing written (unreadable input, bad arguments).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import signal
import sys
from pathlib import Path

from workbook.atomic import same_file
from workbook.billrun import BillRun, price_month
from workbook.bills import summary_rows, write_bills
from workbook.invoice.lines import LineItems
from workbook.reading import Limits, parse_size
from workbook.usage import read_template

HELD = 2
SHOWN = 50  # bad rows listed on screen; all of them are in the Problems sheet


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workbook", type=Path, help="the filled-in template (.xlsx)")
    parser.add_argument("--month", required=True, help="the month to bill, YYYY-MM")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="the bills workbook to write (.xlsx; never the input)")
    parser.add_argument("--quiet", action="store_true",
                        help="print nothing but errors (and one line when bad rows hold "
                             "customers back); the exit status says how it went")
    parser.add_argument("--max-size", default="1G", metavar="SIZE",
                        help="refuse a workbook that expands to more than SIZE (default 1G; "
                             "a zip bomb is refused before anything is read)")


def parse_month(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        raise ValueError(f"--month {text!r}: give the month as YYYY-MM, e.g. 2025-05") from None
    return day


def bill_workbook(src: Path, month: dt.date, dst: Path, limits: Limits | None = None) -> BillRun:
    """Read ``src``, price ``month``, write ``dst``; the run (raises ValueError on bad input:
    ``workbook.reading.WorkbookError`` for a file refused, with one line saying why)."""
    if same_file(src, dst):
        raise ValueError(f"refusing to write the bills over the input {src}: give another -o")
    if dst.suffix.lower() != ".xlsx":
        raise ValueError(f"-o {dst}: the bills workbook must be an .xlsx file")
    tables = read_template(src, limits)
    run = price_month(tables, month)
    # each line's item code, unit and period, as the e-invoices carry them (issue 9 item 7)
    write_bills(run, dst, source=src.name, items=LineItems(tables, month).of)
    return run


def _one_line(e: BaseException) -> str:
    text = str(e) if not isinstance(e, OSError) or not e.strerror else \
        f"{e.filename or ''}: {e.strerror}".lstrip(": ")
    return " ".join(text.split()) or type(e).__name__


def format_table(run: BillRun) -> str:
    """The per-customer totals as a text table."""
    rows = summary_rows(run)
    head = ["Customer", "Lines", "Net EUR", "VAT EUR", "Gross EUR", "Status"]
    text = [[r[0], str(r[1])] + [f"{x:,.2f}" if x is not None else "-" for x in r[2:5]] + [r[5]]
            for r in rows]
    total = [sum(r[j] for r in rows if r[j] is not None) for j in (2, 3, 4)]
    text.append(["Total billed", str(sum(r[1] for r in rows if r[2] is not None))]
                + [f"{x:,.2f}" for x in total] + [""])
    widths = [max(len(h), *(len(t[j]) for t in text)) for j, h in enumerate(head)]
    fmt = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if j in (0, 5) else c.rjust(w) for j, (c, w) in enumerate(zip(cells, widths,
                                                                                strict=True)))
    sep = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(head), sep, *(fmt(t) for t in text[:-1]), sep, fmt(text[-1])])


def run(args: argparse.Namespace) -> int:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:  # SIGTERM: clean up, then exit
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        month = parse_month(args.month)
        limits = dataclasses.replace(Limits(), total_bytes=parse_size(args.max_size))
        run_ = bill_workbook(args.workbook, month, args.output, limits)
    except (ValueError, OSError) as e:  # WorkbookError is a ValueError: one line, no trace
        print(f"tarifa bill: {_one_line(e)}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"tarifa bill: {args.workbook}: out of memory while reading it; nothing written",
              file=sys.stderr)
        return 1
    except Exception as e:  # a bug: still one line and exit 1 (TARIFA_DEBUG=1 shows the trace)
        if os.environ.get("TARIFA_DEBUG"):
            raise
        print(f"tarifa bill: {args.workbook}: unexpected error, nothing written "
              f"({type(e).__name__}: {_one_line(e)}); TARIFA_DEBUG=1 shows where",
              file=sys.stderr)
        return 1
    if args.quiet:  # nothing on stdout; the exit status tells, a held bill gets one line
        if run_.problems:
            print(f"tarifa bill: {len(run_.problems)} bad row(s) in {month:%Y-%m}, their "
                  f"customers not billed (sheet Problems of {args.output})", file=sys.stderr)
        return HELD if run_.problems else 0
    print(f"Bills for {month:%Y-%m} from {args.workbook} ({run_.rows} usage rows):")
    print(format_table(run_))
    if run_.problems:
        print(f"\n{len(run_.problems)} bad row(s) in {month:%Y-%m} - their customers are not "
              "billed until the rows are fixed:")
        shown = run_.problems[:SHOWN]
        for p in shown:
            print(f"  {p.sheet}!{p.row}  {p.customer or '(no customer)'}: {p.reason}")
        if len(shown) < len(run_.problems):
            print(f"  ... and {len(run_.problems) - len(shown)} more (sheet Problems)")
    print(f"\nWritten: {args.output}")
    return HELD if run_.problems else 0
