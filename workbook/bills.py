"""Write a month's bills as a workbook: a summary per customer, every line, the problems.

Written with XlsxWriter to a temporary file in the target folder and renamed when complete,
so a reader never sees half a file and an existing file is replaced only by a whole one.

The Lines sheet of a big month (100k lines) would cost XlsxWriter about 5 s (its per-cell
path); XlsxWriter writes it with the header and one styled row, and that row is then replaced
by all the lines, generated as SpreadsheetML text in one pass with the same cell styles.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

from pricing import money
from workbook.billrun import BillRun

EUR = '#,##0.00 "EUR";-#,##0.00 "EUR"'
PRICE = '#,##0.0000 "EUR";-#,##0.0000 "EUR"'  # the price lists' 4 decimals (NENSI 22.2790)


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


def write_bills(run: BillRun, path: Path, source: str = "") -> Path:
    """Write ``run`` to ``path`` (.xlsx) atomically; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb = xlsxwriter.Workbook(tmp, {"strings_to_numbers": False,
                                       "strings_to_formulas": False, "strings_to_urls": False})
        f = _formats(wb)
        _summary(wb, f, run, source)
        _lines(wb, f, run)
        _problems(wb, f, run)
        wb.close()
        _fill_lines(tmp, run)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _formats(wb) -> dict:
    return {"title": wb.add_format({"bold": True, "font_size": 14}),
            "head": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "eur": wb.add_format({"num_format": EUR}),
            "price": wb.add_format({"num_format": PRICE}),
            "bold_eur": wb.add_format({"num_format": EUR, "bold": True}),
            "warn": wb.add_format({"bold": True, "font_color": "#C00000"})}


def _summary(wb, f, run: BillRun, source: str) -> None:
    ws = wb.add_worksheet("Summary")
    ws.set_column(0, 0, 32)
    ws.set_column(1, 5, 14)
    ws.set_column(5, 5, 40)
    ws.write(0, 0, f"Bills for {run.month:%Y-%m}" + (f" - from {source}" if source else ""),
             f["title"])
    ws.write(1, 0, f"{run.rows} usage rows read; {len(run.problems)} bad row(s) in the month "
                   "(sheet Problems); amounts EUR, VAT per rate on the rate's net total")
    ws.write_row(3, 0, ["Customer", "Lines", "Net", "VAT", "Gross", "Status"], f["head"])
    r = 4
    for row in summary_rows(run):
        ws.write(r, 0, row[0])
        ws.write(r, 1, row[1])
        for j in (2, 3, 4):
            if row[j] is not None:
                ws.write_number(r, j, float(row[j]), f["eur"])
        ws.write(r, 5, row[5], f["warn"] if row[5].startswith("NOT") else None)
        r += 1
    r += 1
    ws.write(r, 0, "VAT per rate", f["head"])
    ws.write_row(r, 1, ["Rate %", "Net", "VAT", "Gross"], f["head"])
    r += 1
    for c in run.customers.values():
        if c.held or not c.lines:
            continue
        for rt in c.totals.by_rate:
            ws.write(r, 0, c.customer)
            ws.write_number(r, 1, float(rt.rate))
            for j, cents in ((2, rt.net_cents), (3, rt.vat_cents), (4, rt.gross_cents)):
                ws.write_number(r, j, cents / 100, f["eur"])
            r += 1


LINE_HEADERS = ["Customer", "Rule", "Description", "Quantity", "Unit price", "Amount",
                "VAT %", "From"]
_KINDS = "sssnnnns"  # string / number per column
_SAMPLE = ["c", "r", "d", 1, 1, 1, 1, "f"]


def _lines(wb, f, run: BillRun) -> None:
    """Header and one styled sample row (replaced by every line in ``_fill_lines``)."""
    ws = wb.add_worksheet("Lines")
    widths = (32, 8, 60, 10, 12, 12, 8, 14)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    ws.write_row(0, 0, LINE_HEADERS, f["head"])
    ws.freeze_panes(1, 0)
    formats = [None, None, None, None, f["price"], f["eur"], None, None]
    for j, (v, fmt) in enumerate(zip(_SAMPLE, formats, strict=True)):
        ws.write(1, j, v, fmt)


def line_rows(run: BillRun):
    """Every billed line as a row of Lines (customers with bad rows are held back)."""
    for c in run.customers.values():
        if c.held:
            continue
        for line, src in zip(c.lines, c.sources, strict=True):
            yield (c.customer, line.rule, line.description, float(line.quantity),
                   line.unit_price_e4 / 10_000, line.amount_cents / 100, float(line.vat_rate),
                   src)


_ROW2 = re.compile(rb'<row r="2"[^>]*>(.*?)</row>', re.S)
_STYLE = re.compile(rb'<c r="[A-Z]+2"(?: s="(\d+)")?')


def _fill_lines(book: str, run: BillRun) -> None:
    """Replace the sample row of sheet Lines (the second sheet) by every line."""
    member = "xl/worksheets/sheet2.xml"
    with zipfile.ZipFile(book) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    out = []
    for info, data in items:
        if info.filename == member:
            data = _sheet_with_lines(data, run)
        out.append((info, data))
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info, data in out:
            z.writestr(info.filename, data)


def _sheet_with_lines(xml: bytes, run: BillRun) -> bytes:
    sample = _ROW2.search(xml)
    styles = [m.group(1) for m in _STYLE.finditer(sample.group(1))]
    attrs = [f' s="{s.decode()}"' if s else "" for s in styles]
    cols = "ABCDEFGH"
    parts = []
    r = 1
    for r, row in enumerate(line_rows(run), start=2):
        cells = []
        for j, v in enumerate(row):
            ref = f"{cols[j]}{r}"
            if _KINDS[j] == "n":
                cells.append(f'<c r="{ref}"{attrs[j]}><v>{v!r}</v></c>')
            else:
                cells.append(f'<c r="{ref}"{attrs[j]} t="inlineStr"><is><t>'
                             f"{escape(str(v))}</t></is></c>")
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    body = "".join(parts).encode("utf-8")
    xml = xml[:sample.start()] + body + xml[sample.end():]
    last = max(r, 1)
    return re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:H{last}"/>'.encode(),
                  xml, count=1)


def _problems(wb, f, run: BillRun) -> None:
    ws = wb.add_worksheet("Problems")
    for j, w in enumerate((10, 8, 32, 90)):
        ws.set_column(j, j, w)
    ws.write_row(0, 0, ["Sheet", "Row", "Customer", "Reason"], f["head"])
    for r, p in enumerate(run.problems, start=1):
        ws.write_row(r, 0, [p.sheet, p.row, p.customer, p.reason])
