"""``tarifa recalc IN.xlsx -o OUT.xlsx``: recalculate a workbook in headless LibreOffice Calc,
Tarifa's functions included, and report what the formulas gave (errors by code).

Exit code 0: done; 1: the input refused before LibreOffice sees it (not a workbook, damaged,
hostile, beyond a limit: one line, ``workbook.reading``); 2: refused where LibreOffice would
silently compute something else than Excel (workbook/libreoffice/checks.py), or LibreOffice
missing, failed or timed out. Nothing is written unless the exit code is 0."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

from workbook import libreoffice
from workbook.libreoffice.checks import _cells
from workbook.reading import Limits, WorkbookError, parse_size


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="workbook to recalculate (.xlsx, .ods)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="where to write the recalculated workbook (.xlsx or .ods); "
                             "never the input")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds for the whole run, checks included, before LibreOffice "
                             "is stopped (default: 60 + 4 per MiB of the expanded workbook)")
    parser.add_argument("--memory", default="4G", metavar="SIZE",
                        help="LibreOffice's memory limit (address space; default 4G)")
    parser.add_argument("--max-size", default="1G", metavar="SIZE",
                        help="refuse a workbook that expands to more than SIZE (default 1G)")
    parser.add_argument("--module", default="udfs.functions",
                        help="module of worksheet functions (default udfs.functions)")
    parser.add_argument("--no-check", action="store_true",
                        help="recalculate even where LibreOffice would differ from Excel "
                             "(empty arguments; arrays beside a Table are fitted to it anyway)")


class _Stopped(BaseException):
    """The run's time limit (SIGALRM) or SIGTERM: cleanup runs, then one line (a
    BaseException, as KeyboardInterrupt: no ``except Exception`` on the way swallows it)."""


def _stop(signum: int, _frame: object) -> None:
    raise _Stopped("the time limit (--timeout) ran out" if signum == signal.SIGALRM
                   else "stopped (SIGTERM)")


def run(args: argparse.Namespace) -> int:
    messages: list[str] = []
    start = time.perf_counter()
    try:
        limits = dataclasses.replace(Limits(), total_bytes=parse_size(args.max_size))
        memory = parse_size(args.memory, "--memory")
    except ValueError as e:
        print(f"tarifa recalc: {e}", file=sys.stderr)
        return 1
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGALRM, signal.SIGTERM)}
    if args.timeout:  # a hard bound on everything, the checks before LibreOffice included
        signal.setitimer(signal.ITIMER_REAL, args.timeout + 5)
    try:
        out = libreoffice.recalculate(args.input, args.output, args.timeout,
                                      module=args.module, messages=messages,
                                      check=not args.no_check, memory=memory, limits=limits)
    except (WorkbookError, FileNotFoundError) as e:
        what = f"{e.filename}: no such file" if isinstance(e, FileNotFoundError) else e
        print(f"tarifa recalc: {what}", file=sys.stderr)
        return 1
    except (libreoffice.RecalcError, _Stopped, OSError) as e:
        print(f"tarifa recalc: {e}", file=sys.stderr)
        return 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        for s, handler in previous.items():
            signal.signal(s, handler)
    seconds = time.perf_counter() - start
    for line in messages:
        print(line, file=sys.stderr)
    print(f"Recalculated {args.input} -> {out} in {seconds:.1f} s (LibreOffice)")
    if out.suffix.lower() == ".xlsx":
        try:  # the formulas as the input holds them; an .ods input: as LibreOffice wrote them
            xlsx_in = Path(args.input).suffix.lower() in (".xlsx", ".xlsm")
            formulas, errors = formula_errors(args.input if xlsx_in else out, out)
        except Exception as e:  # the output is written; counting is a courtesy
            if os.environ.get("TARIFA_DEBUG"):
                raise
            print(f"  (error values not counted: {type(e).__name__}: {e})", file=sys.stderr)
            return 0
        shown = ", ".join(f"{n} {code}" for code, n in sorted(errors.items())) or "none"
        print(f"  {formulas} formula cells; error values: {shown}")
        if errors.get("#NAME?"):
            print("  #NAME? is a name LibreOffice does not know: a function not in "
                  f"{args.module} or missing in this LibreOffice (7.4 has no XLOOKUP, LET, "
                  "UNIQUE, SORT), or a Table reference such as T[#All] or T[#Data] (7.4 "
                  "knows T[[#Headers],[#Data]] and T[Column])", file=sys.stderr)
    return 0


def formula_errors(src: Path, out: Path) -> tuple[int, Counter]:
    """How many formula cells ``src`` has and which error values ``out`` holds in them
    (a cell of a spilled/array formula counts once per cell)."""
    import openpyxl

    formulas: dict[str, set[str]] = {}
    wb = openpyxl.load_workbook(src, read_only=False)
    for ws in wb.worksheets:
        cells = formulas.setdefault(ws.title, set())
        for ref in _array_ranges(ws):
            cells.update(ref)
        for c in _cells(ws):  # only the cells it holds (iter_rows walks the dimension)
            if c.data_type == "f":
                cells.add(c.coordinate)
    values = openpyxl.load_workbook(out, data_only=True)
    errors: Counter = Counter()
    for title, cells in formulas.items():
        if title not in values.sheetnames:
            continue
        ws = values[title]
        for ref in cells:
            cell = ws[ref]
            if cell.data_type == "e":
                errors[str(cell.value)] += 1
    return sum(len(c) for c in formulas.values()), errors


def _array_ranges(ws) -> list[list[str]]:
    from openpyxl.utils import range_boundaries
    from openpyxl.utils.cell import get_column_letter

    out = []
    for ref in getattr(ws, "array_formulae", {}).values():
        c1, r1, c2, r2 = range_boundaries(ref)
        out.append([f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1)
                    for c in range(c1, c2 + 1)])
    return out
