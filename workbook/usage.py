"""Read the template's Excel Tables (usage, tariffs, VAT rates) from an .xlsx file.

python-calamine reads the values fast (100k rows in about a second) but shows an error cell as
an empty one; an input cell holding #N/A must never count as "empty" (an optional argument
would silently take its default), so the sheets' XML is scanned once for error cells and
those cells are reported with the row.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import python_calamine as pc

from workbook import layout as L


class WorkbookError(ValueError):
    """The file is not a workbook `tarifa bill` can read (missing table or column)."""


@dataclass
class Table:
    """One Excel Table's data rows: raw cell values as calamine gives them ('' = empty)."""

    name: str
    sheet: str
    headers: list[str]
    rows: list[list[object]]
    first_row: int  # 1-based sheet row of the first data row
    first_col: int  # 0-based sheet column of the first column
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row idx, col idx)

    def index(self, header: str) -> int:
        try:
            return self.headers.index(header)
        except ValueError:
            raise WorkbookError(f"table {self.name} on sheet {self.sheet} has no column "
                                f"{header!r} (it has {', '.join(self.headers)})") from None

    def column(self, header: str) -> list[object]:
        j = self.index(header)
        return [None if r[j] == "" else r[j] for r in self.rows]

    def sheet_row(self, i: int) -> int:
        return self.first_row + i

    def cell_error(self, i: int, headers: tuple[str, ...]) -> str:
        """The first error cell among ``headers`` in data row ``i`` ('' if none)."""
        if not self.errors:
            return ""
        for h in headers:
            code = self.errors.get((i, self.index(h)))
            if code:
                return f"{h}: the cell is {code}"
        return ""

    def as_range(self, headers: tuple[str, ...]) -> list[list[object]]:
        """Header row plus data rows of some columns: what a worksheet function gets as a
        table argument (``Table[[#All],[A]:[C]]``)."""
        idx = [self.index(h) for h in headers]
        return [list(headers)] + [[None if r[j] == "" else r[j] for j in idx]
                                  for r in self.rows]


def read_tables(path: Path, names: tuple[str, ...]) -> dict[str, Table]:
    """The Tables ``names`` of the workbook at ``path``; WorkbookError if one is missing."""
    path = Path(path)
    try:
        wb = pc.CalamineWorkbook.from_path(str(path), load_tables=True)
    except Exception as e:  # calamine raises its own error types for broken files
        raise WorkbookError(f"{path}: cannot read it as an .xlsx workbook ({e})") from None
    try:
        known = set(wb.table_names)
        missing = [n for n in names if n not in known]
        if missing:
            raise WorkbookError(f"{path} has no table {', '.join(missing)}: is it a Tarifa "
                                "template (tarifa build)?")
        out = {}
        sheets_with_errors = _error_cells(path)
        for name in names:
            t = wb.get_table_by_name(name)
            (r0, c0), _end = t.start, t.end  # calamine: the first DATA row, 0-based
            rows = [list(r) for r in t.to_python()]
            errors = {}
            for (r, c), code in sheets_with_errors.get(t.sheet, {}).items():
                i, j = r - r0, c - c0
                if 0 <= i < len(rows) and 0 <= j < len(t.columns):
                    errors[(i, j)] = code
            out[name] = Table(name, t.sheet, [str(h) for h in t.columns], rows, r0 + 1, c0,
                              errors)
        return out
    finally:
        wb.close()


_CELL_ERROR = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*?t="e"[^>]*>(?:<f[^>]*/>|<f[^>]*>.*?'
                         rb'</f>)?<v>([^<]*)</v>', re.S)
_SHEET = re.compile(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_REL = re.compile(rb'<Relationship [^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')
_REL2 = re.compile(rb'<Relationship [^>]*?Target="([^"]*)"[^>]*?Id="([^"]*)"')


def _error_cells(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Per sheet name: the 0-based (row, column) of every cell holding an Excel error."""
    out: dict[str, dict[tuple[int, int], str]] = {}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        book = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
        targets = {i.decode(): t.decode() for i, t in _REL.findall(rels)}
        targets.update({i.decode(): t.decode() for t, i in _REL2.findall(rels)})
        for sheet, rid in _SHEET.findall(book):
            target = targets.get(rid.decode(), "")
            member = (target.lstrip("/") if target.startswith("/")
                      else str(PurePosixPath("xl") / target))
            if member not in names:
                continue
            data = z.read(member)
            if b't="e"' not in data:
                continue
            cells = {}
            for col, row, code in _CELL_ERROR.findall(data):
                cells[(int(row) - 1, _col_index(col.decode()))] = code.decode()
            out[_unescape(sheet.decode())] = cells
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


TARIFF_TABLES = tuple(L.TARIFF_FOR.values())
INPUT_TABLES = tuple(t.name for t in L.USAGE_TABLES) + TARIFF_TABLES + (
    L.VAT.name, L.DISCOUNTS_TABLE.name)


def read_template(path: Path) -> dict[str, Table]:
    """Every Table `tarifa bill` needs: usage, the tariffs the functions get, VAT rates and
    NENSI discount tiers."""
    return read_tables(path, INPUT_TABLES)
