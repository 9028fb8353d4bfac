"""Build the Excel template ``Tarifa.xlsx`` from the built-in price lists (XlsxWriter).

XlsxWriter writes the dynamic-array metadata that makes ONE formula over a Table column spill
the whole column (openpyxl cannot; DESIGN.md "Facts about spreadsheets"). Inputs are Excel
Tables (yellow cells); each result column is one spilling formula beside its Table (blue
cells). Only functions that Excel 2016+ and LibreOffice 7.4 both know are used next to
Tarifa's own (INDEX/MATCH, SUMIFS, CHOOSE, EOMONTH, ROUND, Tables); LibreOffice 7.4 does not
know ``Table[#All]``, so tables are passed as ``Table[[#All],[Code]:[Valid from]]``.

Usage: ``build(Path("dist/Tarifa.xlsx"))`` or ``tarifa build``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import xlsxwriter

from pricing.catalog import Catalog, builtin
from workbook import layout as L
from workbook.template import samples
from workbook.template.calc_sheets import write_bill, write_estimate, write_quote
from workbook.template.party_sheets import write_customers, write_seller
from workbook.template.request_sheets import write_esign_reductions, write_msign_requests
from workbook.template.styles import Styles
from workbook.template.tariff_sheets import write_start, write_tariffs
from workbook.template.usage_sheets import (
    write_charges,
    write_discounts,
    write_esign,
    write_ledger,
    write_msign,
    write_nensi,
    write_services,
)


@dataclass
class Placed:
    """Where a Table landed: header row, first/last data row, first column (0-based)."""

    table: L.TableDef
    first: int
    last: int

    def column(self, header: str) -> int:
        return self.table.col + self.table.headers.index(header)


@dataclass
class Book:
    """The workbook being written, with what later sheets need to know about earlier ones."""

    wb: xlsxwriter.Workbook
    st: Styles
    catalog: Catalog
    tables: dict[str, list[list[object]]]
    prefix: str = ""  # function-name prefix of the runtime variant ("" = plain names)
    placed: dict[str, Placed] = field(default_factory=dict)
    results: dict[str, str] = field(default_factory=dict)  # "Table.Header" -> abs range
    # "Table.Header" -> (sheet, anchor row, anchor col, column within the spill)
    anchors: dict[str, tuple[str, int, int, int]] = field(default_factory=dict)
    widths: dict[tuple[str, int], float] = field(default_factory=dict)
    col_formats: dict[tuple[str, int], object] = field(default_factory=dict)
    drawn: dict[str, float] = field(default_factory=dict)  # sheet -> points of charts beside

    def result_col(self, table: L.TableDef) -> int:
        """Where a Table's results start: one gap column right of it."""
        return table.result_col

    def width(self, ws, col: int, width: float, fmt=None) -> None:
        """A column's width (the widest asked for) and its format for every row the Table
        grows into (``fmt``: number format of the column, so new rows get EUR, dates...)."""
        key = (ws.name, col)
        if fmt is not None:
            self.col_formats[key] = fmt
        if width > self.widths.get(key, 0) or fmt is not None:
            self.widths[key] = max(width, self.widths.get(key, 0))
            ws.set_column(col, col, self.widths[key], self.col_formats.get(key))

    def fn(self, name: str) -> str:
        """A Tarifa function's name as this variant writes it in formulas."""
        return self.prefix + name

    def add_table(self, ws, table: L.TableDef, row: int, rows: list[list[object]],
                  *, col: int | None = None, grows: bool = True,
                  formulas: dict[str, str] | None = None) -> Placed:
        """Write one input Table at ``row`` (its header row) with data, formats, dropdowns.
        ``grows``: the Table owns its columns down to the sheet's last row (nothing below
        it): the columns' number formats and dropdowns reach every row it can grow into.
        ``formulas``: calculated columns (one formula per row, ``[@Column]``) by header."""
        t = replace(table, row=row, col=table.col if col is None else col)
        n = max(len(rows), 1)
        first, last = row + 1, row + n
        cols = []
        formulas = formulas or {}
        for c in t.columns:
            if c.header in formulas:
                cols.append({"header": c.header, "formula": formulas[c.header],
                             "format": self.st.result(c.kind),
                             "header_format": self.st.result_header})
            else:
                cols.append({"header": c.header, "format": self.st.input(c.kind),
                             "header_format": self.st.table_header})
        data = [list(r) + [None] * (len(t.columns) - len(r)) for r in rows] or \
            [[None] * len(t.columns)]
        ws.set_row(row, 30)  # room for wrapped header text (ours and the results')
        ws.add_table(row, t.col, last, t.col + len(t.columns) - 1, {
            "name": t.name, "columns": cols, "data": data, "style": "Table Style Light 1",
            "autofilter": True})
        bottom = L.SHEET_ROWS - 1 if grows else last + 200
        for j, c in enumerate(t.columns):
            col = t.col + j
            self.width(ws, col, c.width, self.st.column(c.kind) if grows else None)
            if c.choices:
                ws.data_validation(first, col, bottom, col, {
                    "validate": "list", "source": list(c.choices),
                    "error_title": c.header, "error_message":
                        f"{c.header}: choose one of {', '.join(c.choices)}"[:255]})
            if c.comment:
                ws.write_comment(row, col, c.comment)
        placed = Placed(t, first, last)
        self.placed[t.name] = placed
        return placed

    def spill(self, ws, placed: Placed, offset: int, headers: tuple[str, ...], formula: str,
              kind: str, width: float | None = None) -> str:
        """One spilling formula beside ``placed`` (``offset`` columns right of the gap), its
        result headers above it; returns the spill reference of its first column
        (``ANCHORARRAY(mSign!$J$7)``, Excel's ``mSign!$J$7#``): it follows the Table."""
        col = self.result_col(placed.table) + offset
        for j, h in enumerate(headers):
            ws.write(placed.table.row, col + j, h, self.st.result_header)
            self.width(ws, col + j, width or (CHECK_WIDTH if kind == L.TEXT else 12),
                       self.st.column(kind, wrap=kind == L.TEXT))
        ws.write_dynamic_array_formula(placed.first, col, placed.last,
                                       col + len(headers) - 1, formula, self.st.result(kind))
        for j, h in enumerate(headers):
            key = f"{placed.table.name}.{h}"
            self.results[key] = (f"{ws.name}!{L.a1(placed.first, col + j)}:"
                                 f"{L.a1(placed.last, col + j, True)}")
            self.anchors[key] = (ws.name, placed.first, col, j)
        return self.sref(f"{placed.table.name}.{headers[0]}")

    def sref(self, key: str, here: str | None = None) -> str:
        """The spill reference of a result column (``"Table.Header"``), from sheet ``here``
        (same sheet: no sheet name): ``ANCHORARRAY($J$7)`` = ``$J$7#``, or for a column
        inside a wider spill ``INDEX(ANCHORARRAY($J$7),0,6)``."""
        sheet, row, col, j = self.anchors[key]
        where = "" if sheet == here else L.sheet_ref(sheet) + "!"
        ref = f"ANCHORARRAY({where}{L.a1(row, col)})"
        return ref if j == 0 else f"INDEX({ref},0,{j + 1})"

    def name_cell(self, name: str, ws, value: object, kind: str) -> None:
        sheet, row, col = L.NAMES[name]
        assert sheet == ws.name
        ws.write(row, col, value, self.st.input(kind))
        self.wb.define_name(name, f"={sheet}!{L.a1(row, col)}")


CHECK_WIDTH = 40  # the Check texts, wrapped


@dataclass(frozen=True)
class Built:
    """A written template: its path and where each result column landed
    (``"Table.Header"`` -> ``"Sheet!$J$7:$J$17"``)."""

    path: Path
    results: dict[str, str]
    anchors: dict[str, tuple[str, int, int, int]] = field(default_factory=dict)


def build(path: Path, *, catalog: Catalog | None = None,
          tables: dict[str, list[list[object]]] | None = None, prefix: str = "") -> Built:
    """Write the template to ``path`` (through a temporary file in the same folder, renamed
    when complete). ``tables`` replaces sample rows by table name (benchmarks, tests);
    ``prefix`` is put before every Tarifa function name (a runtime variant)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = dict(samples.TABLES)
    rows.update(tables or {})
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        wb = xlsxwriter.Workbook(tmp, {"strings_to_numbers": False, "strings_to_formulas": False,
                                       "strings_to_urls": False})
        book = Book(wb, Styles(wb), catalog or builtin(), rows, prefix)
        sheets = {name: wb.add_worksheet(name) for name in L.SHEETS}
        write_start(book, sheets[L.START])
        write_tariffs(book, sheets[L.TARIFFS])
        write_bill_month(book, sheets[L.BILL])
        write_msign(book, sheets[L.MSIGN])
        write_esign(book, sheets[L.ESIGN])
        write_ledger(book, sheets[L.LEDGER_SHEET])
        write_msign_requests(book, sheets[L.MSIGN_TOOLS])
        write_esign_reductions(book, sheets[L.ESIGN_REDUCTIONS_SHEET])
        write_nensi(book, sheets[L.NENSI])
        write_services(book, sheets[L.SERVICES_SHEET])
        write_charges(book, sheets[L.CHARGES_SHEET])
        write_discounts(book, sheets[L.DISCOUNTS_SHEET])
        write_quote(book, sheets[L.QUOTE])
        write_bill(book, sheets[L.BILL])
        write_estimate(book, sheets[L.ESTIMATE])
        write_customers(book, sheets[L.PARTIES_SHEET])
        write_seller(book, sheets[L.SELLER_SHEET])
        for ws in sheets.values():
            print_setup(book, ws)
        sheets[L.START].activate()
        wb.set_properties({"title": "Tarifa - quotes, monthly bills and estimates",
                           "comments": "Built by `tarifa build` from the built-in price lists"})
        wb.close()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Built(path, dict(book.results), dict(book.anchors))


def write_bill_month(book: Book, ws) -> None:
    """The Bill sheet's month cells first: the usage sheets' formulas refer to them."""
    ws.write(0, 0, "Bill - the month's bills per customer (finance)", book.st.title)
    ws.write(2, 0, "Month (any day)", book.st.label)
    book.name_cell("BillMonth", ws, samples.MONTH, L.MONTH)
    ws.write(3, 0, "Month's last day", book.st.label)
    sheet, row, col = L.NAMES["BillEnd"]
    ws.write_formula(row, col, "=EOMONTH(BillMonth,0)", book.st.result(L.DATE))
    book.wb.define_name("BillEnd", f"={sheet}!{L.a1(row, col)}")


# A4 landscape, 0.3" margins left and right: the printable width in points
_PAGE_WIDTH_PT = (297 / 25.4 - 0.6) * 72
MIN_PRINT_SCALE = 72  # 11 pt Calibri at 72 % prints at 7.9 pt: no smaller


def print_width_pt(widths: list[float]) -> float:
    """Printed width (points, at 100 %) of columns of these widths (Excel's character units:
    7 pixels a character plus 5 pixels of padding at 96 dpi)."""
    return sum((w * 7 + 5) * 0.75 for w in widths)


def print_setup(book: Book, ws) -> None:
    """Every sheet prints legibly on A4 landscape: one page wide when that needs no more
    shrinking than MIN_PRINT_SCALE, else at that scale over several pages across; the
    Table's header row (and, on usage sheets and the Bill, the Customer column) on every
    page."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.5)
    ws.set_footer("&L&A&R&P / &N")
    cols = sorted(c for (sheet, c) in book.widths if sheet == ws.name)
    gaps = (max(cols) + 1 - len(cols)) if cols else 0  # gap columns at the default 8.43
    width = print_width_pt([book.widths[(ws.name, c)] for c in cols] + [8.43] * gaps) + \
        book.drawn.get(ws.name, 0)
    if width * MIN_PRINT_SCALE / 100 <= _PAGE_WIDTH_PT:
        ws.fit_to_pages(1, 0)
    else:
        ws.set_print_scale(MIN_PRINT_SCALE)
    placed = [p for p in book.placed.values() if p.table.sheet == ws.name
              and p.table.name in _PRINT_TITLED]
    if placed:
        ws.repeat_rows(placed[0].table.row)
        if placed[0].table.columns[0].header == "Customer":
            ws.repeat_columns(0)


_PRINT_TITLED = {t.name for t in (*L.USAGE_TABLES, L.QUOTE_LINES, L.ESTIMATE_ITEMS, L.PARTIES)}
