"""Read the template's Excel Tables (usage, tariffs, VAT rates) from an .xlsx file.

Everything goes through ``workbook.reading`` first: the zip's limits, damaged or hostile
parts and the Tables' ranges are refused there with one line (``WorkbookError``); only the
Tables' own cells are then handed to python-calamine (fast: 100k rows in about a second).
calamine shows an error cell, a formula without a saved value, or text of spaces as a value
it is not (empty, or text the functions take as empty); such cells are noted while copying
and reported with their row and the reason (``Table.errors``), never read as "empty".
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as pc

from workbook import layout as L
from workbook.reading import Archive, Limits, TablePart, WorkbookError, read_structure
from workbook.reading.extract import Extract, extract
from workbook.reading.structure import MAX_ROWS

__all__ = ["INPUT_TABLES", "Table", "WorkbookError", "read_first_sheet", "read_tables",
           "read_template"]


@dataclass
class Table:
    """One Excel Table's data rows: raw cell values as calamine gives them ('' = empty)."""

    name: str
    sheet: str
    headers: list[str]
    rows: list[list[object]]
    first_row: int  # 1-based sheet row of the first data row
    first_col: int  # 0-based sheet column of the first column
    # (row idx, col idx) -> why the cell has no value (shown ""): an error value, a formula
    # without a saved value, text of spaces, nan; never to be read as an empty cell
    errors: dict[tuple[int, int], str] = field(default_factory=dict)

    def index(self, header: str) -> int:
        try:
            return self.headers.index(header)
        except ValueError:
            raise WorkbookError(f"table {self.name} on sheet {self.sheet} has no column "
                                f"{header!r} (it has {', '.join(self.headers)})") from None

    def column(self, header: str) -> list[object]:
        j = self.index(header)
        return [None if r[j] == "" else r[j] for r in self.rows]

    def optional_column(self, header: str) -> list[object]:
        """An optional input column (added after a workbook may have been made): its cells,
        or all empty where the Table has no such column."""
        return self.column(header) if header in self.headers else [None] * len(self.rows)

    def present(self, *headers: str) -> tuple[str, ...]:
        """Those of ``headers`` the Table has (optional columns may be missing)."""
        return tuple(h for h in headers if h in self.headers)

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


def read_tables(path: Path, names: tuple[str, ...],
                limits: Limits | None = None) -> dict[str, Table]:
    """The Tables ``names`` of the workbook at ``path``; WorkbookError (one line) if one is
    missing or the file is refused (``workbook.reading``: zip limits, damaged or hostile parts,
    Table ranges)."""
    path = Path(path)
    with Archive.open(path, limits) as archive:
        structure = read_structure(archive)
        missing = [n for n in names if n not in structure.tables]
        if missing:
            raise WorkbookError(f"{path} has no table {', '.join(missing)}: is it a Tarifa "
                                "template (tarifa build)?")
        copy = extract(archive, structure, names, below=True)
    try:
        return _read_copy(copy, names)
    except WorkbookError:
        raise
    except BaseException as e:  # calamine's errors, and its Rust panics (a BaseException)
        if isinstance(e, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        detail = str(e).splitlines()[0] if str(e) else "no detail"
        raise WorkbookError(f"{path}: cannot read its cells ({type(e).__name__}: "
                            f"{detail})") from None


def read_first_sheet(path: Path, limits: Limits | None = None) -> list[list[object]]:
    """The cells of the first sheet (a usage export), from A1 to its last row and column
    holding a cell, through the same checks as ``read_tables``; a cell beyond column
    ``limits.table_columns`` (64) is refused, never left out."""
    path = Path(path)
    limits = limits or Limits()
    with Archive.open(path, limits) as archive:
        structure = read_structure(archive)
        if not structure.sheets:
            raise WorkbookError(f"{path}: has no worksheet")
        sheet, member = next(iter(structure.sheets.items()))
        width = limits.table_columns
        box = TablePart("First_sheet", sheet, member, "", 1, 1, MAX_ROWS, width, 1, 0,
                        tuple(f"c{j}" for j in range(width)))
        copy = extract(archive, structure, (box.name,), {box.name: box}, strict=True)
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(copy.data))
        try:
            return wb.get_sheet_by_name(copy.sheets[box.name]).to_python(skip_empty_area=False)
        finally:
            wb.close()
    except BaseException as e:  # calamine's errors and panics, as in read_tables
        if isinstance(e, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        detail = str(e).splitlines()[0] if str(e) else "no detail"
        raise WorkbookError(f"{path}: cannot read its cells ({type(e).__name__}: "
                            f"{detail})") from None


def _read_copy(copy: Extract, names: tuple[str, ...]) -> dict[str, Table]:
    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(copy.data), load_tables=True)
    try:
        out = {}
        for name in names:
            part = copy.tables[name]
            rows = [list(r) for r in wb.get_table_by_name(name).to_python()]
            r0, c0 = part.first_data_row - 1, part.c1 - 1  # 0-based first data row, column
            errors = {}
            for (r, c), code in copy.notes.get(name, {}).items():
                i, j = r - 1 - r0, c - 1 - c0
                if 0 <= i < len(rows) and 0 <= j < len(part.columns):
                    errors[(i, j)] = code
                    rows[i][j] = ""  # its value is no value (nan read as a date, " "): the note
            _finite(rows, errors)
            out[name] = Table(name, part.sheet, list(part.columns), rows, r0 + 1, c0, errors)
        return out
    finally:
        wb.close()


_INF = float("inf")


def _finite(rows: list[list[object]], errors: dict[tuple[int, int], str]) -> None:
    """nan and inf (a number cell holding "nan" or 1E+999) are no numbers: noted, shown
    empty; -0.0 is 0."""
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v.__class__ is float and (v != v or v in (_INF, -_INF) or v == 0.0):
                if v == 0.0:
                    row[j] = 0.0
                else:
                    errors.setdefault((i, j), f"a number that is not finite ({v})")
                    row[j] = ""


TARIFF_TABLES = tuple(L.TARIFF_FOR.values())
INPUT_TABLES = tuple(t.name for t in L.USAGE_TABLES) + TARIFF_TABLES + (
    L.VAT.name, L.DISCOUNTS_TABLE.name)


def read_template(path: Path, limits: Limits | None = None) -> dict[str, Table]:
    """Every Table `tarifa bill` needs: usage, the tariffs the functions get, VAT rates and
    NENSI discount tiers."""
    return read_tables(path, INPUT_TABLES, limits)
