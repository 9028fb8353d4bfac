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
from workbook.template.styles import Styles
from workbook.template.tariff_sheets import write_start, write_tariffs
from workbook.template.usage_sheets import write_esign, write_msign, write_nensi


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

    widths: dict[tuple[str, int], float] = field(default_factory=dict)

    def result_col(self, table: L.TableDef) -> int:
        """Where a Table's results start: on a sheet with several usage Tables stacked, one
        column for all of them (right of the widest), so that the columns line up."""
        same = [t for t in L.USAGE_TABLES if t.sheet == table.sheet]
        if table.name not in {t.name for t in same}:
            return table.result_col
        return max(t.result_col for t in same)

    @staticmethod
    def _stacked(table: L.TableDef) -> bool:
        return sum(t.sheet == table.sheet for t in L.USAGE_TABLES) > 1

    def width(self, ws, col: int, width: float) -> None:
        """A column's width: the widest any Table on the sheet asks for."""
        key = (ws.name, col)
        if width > self.widths.get(key, 0):
            self.widths[key] = width
            ws.set_column(col, col, width)

    def fn(self, name: str) -> str:
        """A Tarifa function's name as this variant writes it in formulas."""
        return self.prefix + name

    def add_table(self, ws, table: L.TableDef, row: int, rows: list[list[object]],
                  *, col: int | None = None, extra_validation: int = 200) -> Placed:
        """Write one input Table at ``row`` (its header row) with data, formats, dropdowns."""
        t = replace(table, row=row, col=table.col if col is None else col)
        n = max(len(rows), 1)
        first, last = row + 1, row + n
        cols = []
        for c in t.columns:
            cols.append({"header": c.header, "format": self.st.input(c.kind),
                         "header_format": self.st.table_header})
        data = [list(r) + [None] * (len(t.columns) - len(r)) for r in rows] or \
            [[None] * len(t.columns)]
        ws.set_row(row, 30)  # room for wrapped header text (ours and the results')
        ws.add_table(row, t.col, last, t.col + len(t.columns) - 1, {
            "name": t.name, "columns": cols, "data": data, "style": "Table Style Light 1",
            "autofilter": True})
        stacked = self.result_col(t) != t.result_col or self._stacked(t)
        if stacked:  # notes overflow to the right, over a wide gap before the results
            self.width(ws, self.result_col(t) - 1, 30)
        for j, c in enumerate(t.columns):
            col = t.col + j
            self.width(ws, col, 12 if stacked and c.header == "Note" else c.width)
            if c.choices:
                ws.data_validation(first, col, last + extra_validation, col, {
                    "validate": "list", "source": list(c.choices),
                    "error_title": c.header, "error_message":
                        f"{c.header}: choose one of {', '.join(c.choices)}"[:255]})
            if c.comment:
                ws.write_comment(row, col, c.comment)
        placed = Placed(t, first, last)
        self.placed[t.name] = placed
        return placed

    def spill(self, ws, placed: Placed, offset: int, headers: tuple[str, ...], formula: str,
              kind: str, width: float = 12) -> str:
        """One spilling formula beside ``placed`` (``offset`` columns right of the gap), its
        result headers above it; returns the absolute range of its first column."""
        col = self.result_col(placed.table) + offset
        for j, h in enumerate(headers):
            ws.write(placed.table.row, col + j, h, self.st.result_header)
            self.width(ws, col + j, width if kind != "text" else 48)
        ws.write_dynamic_array_formula(placed.first, col, placed.last,
                                       col + len(headers) - 1, formula, self.st.result(kind))
        for j, h in enumerate(headers):
            rng = (f"{ws.name}!{L.a1(placed.first, col + j)}:"
                   f"{L.a1(placed.last, col + j, True)}")
            self.results[f"{placed.table.name}.{h}"] = rng
        return self.results[f"{placed.table.name}.{headers[0]}"]

    def name_cell(self, name: str, ws, value: object, kind: str) -> None:
        sheet, row, col = L.NAMES[name]
        assert sheet == ws.name
        ws.write(row, col, value, self.st.input(kind))
        self.wb.define_name(name, f"={sheet}!{L.a1(row, col)}")


@dataclass(frozen=True)
class Built:
    """A written template: its path and where each result column landed
    (``"Table.Header"`` -> ``"Sheet!$J$7:$J$17"``)."""

    path: Path
    results: dict[str, str]


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
        write_nensi(book, sheets[L.NENSI])
        write_quote(book, sheets[L.QUOTE])
        write_bill(book, sheets[L.BILL])
        write_estimate(book, sheets[L.ESTIMATE])
        for ws in sheets.values():  # printable: A4 landscape, one page wide
            ws.set_landscape()
            ws.set_paper(9)
            ws.fit_to_pages(1, 0)
            ws.set_margins(left=0.3, right=0.3, top=0.4, bottom=0.4)
        sheets[L.START].activate()
        wb.set_properties({"title": "Tarifa - quotes, monthly bills and estimates",
                           "comments": "Built by `tarifa build` from the built-in price lists"})
        wb.close()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return Built(path, dict(book.results))


def write_bill_month(book: Book, ws) -> None:
    """The Bill sheet's month cells first: the usage sheets' formulas refer to them."""
    ws.write(0, 0, "Bill - the month's bills per customer (finance)", book.st.title)
    ws.write(2, 0, "Month (any day)", book.st.label)
    book.name_cell("BillMonth", ws, samples.MONTH, L.MONTH)
    ws.write(3, 0, "Month's last day", book.st.label)
    sheet, row, col = L.NAMES["BillEnd"]
    ws.write_formula(row, col, "=EOMONTH(BillMonth,0)", book.st.result(L.DATE))
    book.wb.define_name("BillEnd", f"={sheet}!{L.a1(row, col)}")
