"""Write a month's bills as a workbook: a summary per customer, every line, the problems.

Every sheet is written by XlsxWriter in ``constant_memory`` mode (rows streamed to disk, so a
million lines need no million-row structure in memory; XlsxWriter escapes what XML cannot
hold, such as a control character in a name, as Excel does: ``_x0001_``). The file is written
to a temporary file in the target folder, **read back** (every part a well-formed XML
document, every sheet there, every line counted), given the mode of the file it replaces,
and only then renamed over it: a reader never sees half a file, and an existing file is
replaced only by a whole one that opens (issue 12).

Excel's limits, kept consciously:

* a sheet holds 1,048,576 rows: the lines go to "Lines", "Lines 2", ... (the problems to
  "Problems", "Problems 2", ...), never cut short; the Summary says how many sheets;
* a cell holds 32,767 characters: a longer text is cut and ends saying so
  (``CUT_MARK``); it is never silently shortened.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from xml.parsers import expat

import xlsxwriter

from pricing import money
from workbook import atomic
from workbook.billrun import BillRun

EUR = '#,##0.00 "EUR";-#,##0.00 "EUR"'
PRICE = '#,##0.0000 "EUR";-#,##0.0000 "EUR"'  # the price lists' 4 decimals (NENSI 22.2790)
SHEET_ROWS = 1_048_576  # Excel's rows per sheet
CELL_CHARS = 32_767  # Excel's characters per cell
CUT_MARK = " [... cut: {n} more characters]"


class BillsWriteError(ValueError):
    """The bills workbook written could not be read back: nothing was replaced."""


def summary_rows(run: BillRun) -> list[list[object]]:
    """Per customer: customer, lines, net, VAT, gross (EUR as Decimal), status."""
    rows = []
    for c in run.customers.values():
        if not c.lines and not c.problems:
            continue
        if c.held:
            rows.append([c.customer, len(c.lines), None, None, None,
                         f"NOT BILLED: {len(c.problems)} bad row(s)"])
            continue
        t = c.totals
        status = "" if c.on_bill_sheet else "not on the Bill sheet's customer list"
        rows.append([c.customer, len(c.lines), money.cents_to_decimal(t.net_cents),
                     money.cents_to_decimal(t.vat_cents), money.cents_to_decimal(t.gross_cents),
                     status or "ok"])
    return rows


def text(value: object) -> str:
    """A text cell's content within Excel's 32,767 characters, cut visibly if longer."""
    s = str(value)
    if len(s) <= CELL_CHARS:
        return s
    keep = CELL_CHARS
    while True:  # the mark's length depends on the number it shows
        mark = CUT_MARK.format(n=len(s) - keep)
        if keep + len(mark) <= CELL_CHARS:
            return s[:keep] + mark
        keep = CELL_CHARS - len(mark)


def write_bills(run: BillRun, path: Path, source: str = "", items: Items | None = None) -> Path:
    """Write ``run`` to ``path`` (.xlsx) atomically, read back before it replaces anything;
    returns ``path``. BillsWriteError if the written file does not read back. ``items(table,
    source)`` gives each line's item code, unit and billing period (the Lines sheet's last
    four columns; ``workbook.invoice.lines.LineItems``), left empty without it.

    Everything is written in a private folder beside ``path`` (``workbook.atomic``: the
    workbook and XlsxWriter's streamed rows); the complete file is renamed out of it with the
    old file's mode. A folder left by a run that was killed is removed by the next run."""
    path = Path(path)
    mode = atomic.mode_for(path)
    with atomic.private_folder(path) as work:
        tmp = work / "bills.xlsx"
        expected = _write(run, str(tmp), source, work, items)
        try:
            verify(tmp, expected)
        except BillsWriteError as e:
            raise BillsWriteError(f"the bills workbook written for {path} does not read back "
                                  f"({e}); nothing was replaced") from None
        atomic.replace(tmp, path, mode)
    return path


def _write(run: BillRun, tmp: str, source: str, work: Path, items: Items | None = None
           ) -> dict[str, int]:
    """Write the workbook; returns the rows each sheet must hold (header included)."""
    wb = xlsxwriter.Workbook(tmp, {"constant_memory": True, "tmpdir": str(work),
                                   "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    f = _formats(wb)
    summary = wb.add_worksheet("Summary")  # first: Excel opens on it
    print_a4(summary)
    expected: dict[str, int] = {}
    lines = _chunked(wb, f, "Lines", LINE_HEADERS, (32, 8, 60, 10, 12, 12, 8, 14, 18, 6, 11, 11),
                     line_rows(run, items), _write_lines, expected)
    problems = _chunked(wb, f, "Problems", ["Sheet", "Row", "Customer", "Reason"],
                        (10, 8, 32, 90), ((p.sheet, p.row, p.customer, p.reason)
                                          for p in run.problems), _write_problems, expected)
    _summary(summary, f, run, source, lines, problems)
    expected["Summary"] = -1  # rows not counted (it has gaps)
    wb.close()
    return expected


def _formats(wb) -> dict:
    return {"title": wb.add_format({"bold": True, "font_size": 14}),
            "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "eur": wb.add_format({"num_format": EUR}),
            "price": wb.add_format({"num_format": PRICE}),
            "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
            "total": wb.add_format({"num_format": EUR, "bold": True, "top": 1}),
            "total_text": wb.add_format({"bold": True, "top": 1}),
            "warn": wb.add_format({"bold": True, "font_color": "#C00000"})}


def _summary(ws, f, run: BillRun, source: str, lines: list[str], problems: list[str]) -> None:
    """The Summary sheet (rows in order: constant_memory)."""
    ws.set_column(0, 0, 32)
    ws.set_column(1, 5, 14)
    ws.set_column(5, 5, 40)
    end = (run.month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(1)
    ws.write_string(0, 0, text(f"Bills for {run.month:%Y-%m}, period {run.month:%Y-%m-%d} to "
                               f"{end:%Y-%m-%d}" + (f" - from {source}" if source else "")),
                    f["title"])
    ws.write_string(1, 0, f"{run.rows} usage rows read; {len(run.problems)} bad row(s) in the "
                          "month (sheet Problems); amounts EUR, VAT per rate on the rate's "
                          "net total")
    r = 2
    if len(lines) > 1 or len(problems) > 1:
        ws.write_string(r, 0, f"More rows than one Excel sheet holds: the lines are on sheets "
                              f"{', '.join(lines)}; the problems on {', '.join(problems)}")
    r = 3
    ws.write_row(r, 0, ["Customer", "Lines", "Net", "VAT", "Gross", "Status"], f["head"])
    r += 1
    rows = summary_rows(run)
    for row in rows:
        ws.write_string(r, 0, text(row[0]))
        ws.write_number(r, 1, row[1])
        for j in (2, 3, 4):
            if row[j] is not None:
                ws.write_number(r, j, float(row[j]), f["eur"])
        ws.write_string(r, 5, row[5], f["warn"] if row[5].startswith("NOT") else None)
        r += 1
    billed = [row for row in rows if row[2] is not None]  # as tarifa bill's "Total billed"
    ws.write_string(r, 0, "Total billed", f["total_text"])
    ws.write_number(r, 1, sum(row[1] for row in billed), f["total_text"])
    for j in (2, 3, 4):
        ws.write_number(r, j, float(sum(row[j] for row in billed)), f["total"])
    ws.write_string(r, 5, "", f["total_text"])
    r += 1
    r += 1
    ws.write_string(r, 0, "VAT per rate", f["head"])
    ws.write_row(r, 1, ["Rate %", "Net", "VAT", "Gross"], f["head"])
    r += 1
    for c in run.customers.values():
        if c.held or not c.lines:
            continue
        for rt in c.totals.by_rate:
            ws.write_string(r, 0, text(c.customer))
            ws.write_number(r, 1, float(rt.rate))
            for j, cents in ((2, rt.net_cents), (3, rt.vat_cents), (4, rt.gross_cents)):
                ws.write_number(r, j, cents / 100, f["eur"])
            r += 1


LINE_HEADERS = ["Customer", "Rule", "Description", "Quantity", "Unit price", "Amount",
                "VAT %", "From", "Item", "Unit", "Period from", "Period to"]
# (table, "sheet!row") -> item code, UN/ECE Rec. 20 unit code, period start, period end
Items = Callable[[str, str], tuple[str, str, dt.date, dt.date]]
_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (serial numbers of dates from 1900-03-01)


def line_rows(run: BillRun, items: Items | None = None) -> Iterator[tuple]:
    """Every billed line as a row of Lines (customers with bad rows are held back); dates
    as Excel serial numbers."""
    for c in run.customers.values():
        if c.held:
            continue
        for line, src, table in zip(c.lines, c.sources, c.tables, strict=True):
            if items is None:
                code = unit = ""
                start = end = None
            else:
                code, unit, d0, d1 = items(table, src)
                start, end = (d0 - _EPOCH).days, (d1 - _EPOCH).days
            yield (c.customer, line.rule, line.description, float(line.quantity) + 0.0,
                   line.unit_price_e4 / 10_000, line.amount_cents / 100, float(line.vat_rate),
                   src, code, unit, start, end)


def _write_lines(ws, f, rows: Iterable[tuple]) -> int:
    """Lines from sheet row 1 on (the hot loop of a big month: XlsxWriter's typed calls,
    bound once); how many. Printed, each customer's block starts a page (Excel keeps at
    most 1,023 page breaks a sheet: past them blocks follow on)."""
    put_s, put_n = ws.write_string, ws.write_number
    price, eur, day = f["price"], f["eur"], f["date"]
    r = 0
    breaks: list[int] = []
    last = None
    for r, (who, rule, desc, qty, unit, amount, vat, src, code, rec20, d0, d1) in enumerate(
            rows, start=1):
        if who != last:
            if last is not None and len(breaks) < MAX_PAGE_BREAKS:
                breaks.append(r)
            last = who
        put_s(r, 0, who if len(who) <= CELL_CHARS else text(who))
        put_s(r, 1, rule)
        put_s(r, 2, desc if len(desc) <= CELL_CHARS else text(desc))
        put_n(r, 3, qty)
        put_n(r, 4, unit, price)
        put_n(r, 5, amount, eur)
        put_n(r, 6, vat)
        put_s(r, 7, src)
        if d0 is not None:
            put_s(r, 8, code)
            put_s(r, 9, rec20)
            put_n(r, 10, d0, day)
            put_n(r, 11, d1, day)
    ws.set_h_pagebreaks(breaks)
    return r


def _write_problems(ws, f, rows: Iterable[tuple]) -> int:
    r = 0
    for r, (sheet, at, who, reason) in enumerate(rows, start=1):
        ws.write_string(r, 0, text(sheet))
        ws.write_number(r, 1, at)
        ws.write_string(r, 2, text(who))
        ws.write_string(r, 3, text(reason))
    return r


def _chunked(wb, f, name: str, headers: list[str], widths: tuple[float, ...],
             rows: Iterable[tuple], write, expected: dict[str, int]) -> list[str]:
    """Rows on sheet ``name``, then ``name 2``, ... of at most SHEET_ROWS rows each (header
    included); the sheets' names. Always one sheet, if only its header."""
    names: list[str] = []
    it = iter(rows)
    first = next(it, None)
    while True:
        ws = _sheet(wb, f, name if not names else f"{name} {len(names) + 1}", headers, widths)
        names.append(ws.name)
        n = 0 if first is None else write(ws, f, chain((first,),
                                                        islice(it, SHEET_ROWS - 2)))
        expected[ws.name] = n + 1
        first = next(it, None)
        if first is None:
            return names


def _sheet(wb, f, name: str, headers: list[str], widths: tuple[float, ...]):
    ws = wb.add_worksheet(name)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    ws.write_row(0, 0, headers, f["head"])
    ws.freeze_panes(1, 0)
    print_a4(ws)
    ws.repeat_rows(0)
    return ws


MAX_PAGE_BREAKS = 1023  # Excel's limit of manual page breaks per sheet


def print_a4(ws) -> None:
    """A4 landscape, one page wide, the sheet's name and page number in the footer."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.5)
    ws.set_footer("&L&A&R&P / &N")


# --- reading back -------------------------------------------------------------------------

def verify(path: Path, expected: dict[str, int]) -> None:
    """The written workbook reads back: a zip whose every member's CRC holds, whose every
    XML part is well-formed (no DTD), holding exactly the sheets ``expected`` with their row
    counts. BillsWriteError otherwise."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            sheets = _sheet_parts(z)
            if sorted(sheets) != sorted(expected):
                raise BillsWriteError(f"sheets {list(sheets)}, expected {list(expected)}")
            for member in names:
                if not member.endswith((".xml", ".rels")):
                    with z.open(member) as fh:  # the CRC is checked at the end of the read
                        while fh.read(1 << 20):
                            pass
                    continue
                rows = _parse(z, member)
                for sheet, part in sheets.items():
                    if part == member and expected[sheet] >= 0 and rows != expected[sheet]:
                        raise BillsWriteError(f"sheet {sheet} holds {rows} rows, "
                                              f"{expected[sheet]} were written")
    except BillsWriteError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as e:
        raise BillsWriteError(str(e) or type(e).__name__) from None


def _parse(z: zipfile.ZipFile, member: str) -> int:
    """Parse one XML part (expat, no DTD); the number of <row> elements in it."""
    parser = expat.ParserCreate()

    def no_dtd(*_args: object) -> None:
        raise BillsWriteError(f"{member}: a DOCTYPE")

    parser.StartDoctypeDeclHandler = no_dtd
    rows, tail = 0, b""
    with z.open(member) as fh:
        while True:
            block = fh.read(1 << 20)
            if not block:
                break
            rows += (tail + block).count(b"<row ") - tail.count(b"<row ")
            tail = block[-4:]
            try:
                parser.Parse(block, False)
            except expat.ExpatError as e:
                raise BillsWriteError(f"{member} is not well-formed XML ({e})") from None
    try:
        parser.Parse(b"", True)
    except expat.ExpatError as e:
        raise BillsWriteError(f"{member} is not well-formed XML ({e})") from None
    return rows


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part, from the workbook and its relationships."""
    from xml.etree import ElementTree as ET  # our own file, checked for DTDs by _parse

    _parse(z, "xl/workbook.xml")
    _parse(z, "xl/_rels/workbook.xml.rels")
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    rels = {e.get("Id"): e.get("Target") for e in ET.fromstring(
        z.read("xl/_rels/workbook.xml.rels"))}
    out = {}
    for s in ET.fromstring(z.read("xl/workbook.xml")).iterfind("m:sheets/m:sheet", ns):
        target = rels[s.get(f"{{{ns['r']}}}id")]
        out[s.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out
