"""Rows typed directly below an Excel Table: the one rule `tarifa bill` (every reader of
Tables, ``extract``) and `tarifa recalc` (``workbook.libreoffice.sizing``) share.

Excel's auto-expansion takes a row typed directly below a Table into the Table; LibreOffice
and programs (openpyxl) leave the Table's range as it was. So, for a Table without a totals
row: the rows that follow its last row without a gap, each holding a value (a value, an
inline string or a formula) in one of the Table's columns, are rows of the Table (``grow``).
Rows holding values further down, after an empty row (``Below.stray``), belong to no Table:
beside a Table whose results spill beside it they would be billed by no one, so they are
refused (``refusal``: sheet, cells and the fix). A Table below in the same columns ends the
look (never grown into, never looked past). Cells outside the Table's columns are never
looked at: a far cell (XFD1048576) costs one regex scan of the rows below the Table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from workbook.reading.structure import col_letters


@dataclass(frozen=True)
class Below:
    """A Table's last row once the rows directly below it are taken in (``last``), and the
    rows holding values after the first empty row below it (``stray``, ascending)."""

    last: int
    stray: tuple[int, ...] = ()


@lru_cache(maxsize=64)
def _cells_in(c1: int, c2: int) -> re.Pattern:
    """Cells of columns c1..c2 (1-based): group 1 the row, group 2 what the cell holds."""
    allowed = b"|".join(col_letters(c).encode() for c in range(c1, c2 + 1))
    return re.compile(rb'<c\b[^>]*?\br="(?:' + allowed + rb')([0-9]+)"[^>]*?(?:/>|>(.*?)</c>)',
                      re.S)


def filled_rows(span: bytes, c1: int, c2: int) -> list[int]:
    """Sheet rows in ``span`` (sheet XML: some or all ``<row>`` elements) holding a value, an
    inline string or a formula in a cell of columns c1..c2 (1-based); ascending, each once."""
    rows = set()
    for m in _cells_in(c1, c2).finditer(span):
        inner = m[2]
        if inner and (b"<v" in inner or b"<is" in inner or b"<f" in inner):
            rows.add(int(m[1]))
    return sorted(rows)


def grow(filled: Iterable[int], r2: int, stop: int | None = None) -> Below:
    """The Table ending on row ``r2`` grown over the rows of ``filled`` that follow it without
    a gap; the other filled rows after it (before ``stop``, the next Table below in the same
    columns) are ``stray``."""
    rows = sorted(r for r in set(filled) if r > r2 and (stop is None or r < stop))
    last = r2
    for r in rows:
        if r != last + 1:
            break
        last = r
    return Below(last, tuple(r for r in rows if r > last))


def refusal(sheet: str, table: str, c1: int, c2: int, below: Below) -> str:
    """The one line refusing ``below.stray`` (columns 1-based): sheet, cells, fix."""
    first, end = below.stray[0], below.stray[-1]
    return (f"{sheet}!{col_letters(c1)}{first}:{col_letters(c2)}{end}: values below the Table "
            f"{table} after the empty row {below.last + 1} are outside the Table (Excel would "
            "not take them in either, and they would be billed by no one): delete the empty "
            f"row(s) so that they follow row {below.last}, or move them")


def array_beside(row_xml: bytes, row: int, c2: int) -> bool:
    """Whether sheet row ``row`` (its XML) holds an array formula right of column ``c2``:
    the results spilled beside a Table anchored on its first data row (`tarifa recalc`
    refuses stray rows below such a Table; so do the readers)."""
    pattern = rb'<c\b[^>]*?\br="([A-Z]{1,3})%d"[^>]*>\s*<f\b[^>]*?\bt="array"' % row
    return any(_col(m[1]) > c2 for m in re.finditer(pattern, row_xml))


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n
