"""Benchmark of the template (issue 4): run on demand, not a test.

    .venv/bin/python bench/template.py [--rows 50000] [--bill-rows 10000 100000] [--repeat 3]

1. LibreOffice recalculation of the template with N mSign usage rows: the template as built
   (one spilled MSIGN_OVERAGE + its _CHECK over the Table columns, through the Python bridge)
   vs the same sheet with the charge written in native spreadsheet formulas only (ROUND, IF,
   SUMIFS over the tariff Table; no checks), and an empty workbook (LibreOffice's start-up),
   side by side in one run, best of --repeat.
2. ``tarifa bill`` on N and M usage rows: the whole command (a fresh Python process, as a
   user runs it) and its phases in-process (read, price, write).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import xlsxwriter  # noqa: E402

from workbook import layout as L  # noqa: E402
from workbook import libreoffice  # noqa
from workbook.billrun import price_month  # noqa: E402
from workbook.bills import write_bills  # noqa: E402
from workbook.template import build  # noqa: E402
from workbook.usage import read_template  # noqa: E402

MAY = dt.date(2025, 5, 1)
ITEMS = ("transaction", "onesign", "user", "rekono_qes", "api", "storage_gb")


def usage_rows(n: int) -> list[list[object]]:
    """n mSign rows, 500 customers, every item but sms (whose price is not public)."""
    return [[f"Customer {i % 500:03d}", MAY, "SMART", ITEMS[i % 6], 100 + i % 37,
             50 + (i % 7) / 10 if ITEMS[i % 6] == "storage_gb" else 50, None, "bench"]
            for i in range(n)]


def native_msign(book, ws) -> None:
    """The mSign sheet with the charge in native formulas only (no Tarifa function, no check:
    a bad row gives a wrong number or a spreadsheet error, not a reason)."""
    t = L.MSIGN_USAGE
    placed = book.add_table(ws, t, t.row, book.tables[t.name])
    u, i, item = t.ref("Used"), t.ref("Included"), t.ref("Item")
    price = f"SUMIFS(Tariff_msign[Unit price],Tariff_msign[Code],{item})"
    formula = (f'=ROUND(IF({u}>{i},IF({item}="storage_gb",ROUNDUP({u}-{i},0),{u}-{i}),0)'
               f"*{price},2)")
    book.spill(ws, placed, 0, ("Charge",), formula, L.EUR)
    # the Bill sheet needs a Check (native formulas give no reasons: a placeholder that only
    # tells blank rows) and the month each row is billed in
    book.spill(ws, placed, 1, ("Check",), f'=IF({item}="","","-")', L.TEXT)
    m = t.ref("Month")
    book.spill(ws, placed, 2, ("Billed in",),
               f'=IF({item}="","",IF(ISNUMBER({m}),INT({m})-DAY({m})+1,"{L.UNDATED}"))',
               L.MONTH)


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_recalc(folder: Path, rows: int, repeat: int) -> None:
    data = {"Usage_mSign": usage_rows(rows)}
    tarifa = build(folder / "tarifa.xlsx", tables=data).path
    from workbook.template import writer

    original = writer.write_msign
    writer.write_msign = native_msign
    try:
        native = build(folder / "native.xlsx", tables=data).path
    finally:
        writer.write_msign = original
    empty = folder / "empty.xlsx"
    wb = xlsxwriter.Workbook(empty)
    wb.add_worksheet().write(0, 0, 1)
    wb.close()
    libreoffice.recalculate(empty, folder / "warm.xlsx")  # build the profile once
    results = {}
    for name, src in (("empty workbook (LibreOffice start-up)", empty),
                      ("template, native formulas only", native),
                      ("template, Tarifa functions", tarifa)):
        results[name] = timed(lambda s=src: libreoffice.recalculate(s, folder / "out.xlsx"),
                              repeat)
    base = results["empty workbook (LibreOffice start-up)"]
    print(f"\nLibreOffice recalculation, {rows:,} mSign usage rows (best of {repeat}):")
    for name, secs in results.items():
        print(f"  {name:40s} {secs:6.2f} s   (minus start-up: {secs - base:5.2f} s)")
    t, n = results["template, Tarifa functions"] - base, results[
        "template, native formulas only"] - base
    print(f"  ratio Tarifa / native (minus start-up): {t / n:.2f}" if n > 0 else "")


def bench_bill(folder: Path, sizes: list[int], repeat: int) -> None:
    print(f"\ntarifa bill (best of {repeat}):")
    print(f"  {'rows':>8}  {'command':>8}  {'read':>6}  {'price':>6}  {'write':>6}")
    for n in sizes:
        src = build(folder / f"bill{n}.xlsx", tables={"Usage_mSign": usage_rows(n)}).path
        out = folder / f"bills{n}.xlsx"
        cmd = [sys.executable, "-m", "addin.cli", "bill", str(src), "--month", "2025-05",
               "-o", str(out), "--quiet"]
        whole = timed(lambda c=cmd: subprocess.run(c, cwd=ROOT, capture_output=True,
                                                   check=False), repeat)
        phases = {"read": [], "price": [], "write": []}
        for _ in range(repeat):
            t0 = time.perf_counter()
            tables = read_template(src)
            t1 = time.perf_counter()
            run = price_month(tables, MAY)
            t2 = time.perf_counter()
            write_bills(run, out)
            t3 = time.perf_counter()
            for k, v in zip(phases, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                phases[k].append(v)
        print(f"  {n:>8,}  {whole:7.2f}s  " + "  ".join(f"{min(v):5.2f}s"
                                                     for v in phases.values()))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=50_000)
    p.add_argument("--bill-rows", type=int, nargs="*", default=[],
                   help="also time tarifa bill on these row counts (bench/bill.py does more)")
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="tarifa-bench-") as tmp:
        folder = Path(tmp)
        if libreoffice.available():
            bench_recalc(folder, args.rows, args.repeat)
        else:
            print("LibreOffice is not installed: recalculation benchmark skipped")
        if args.bill_rows:
            bench_bill(folder, args.bill_rows, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
