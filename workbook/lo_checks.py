"""Checks of a workbook that LibreOffice cannot make for us.

LibreOffice computes a dynamic-array formula (XlsxWriter's ``write_dynamic_array_formula``,
Excel's spill) as an array formula over exactly the range stored in the file: a result with
more rows than that range is cut off without any error (seen with 7.4: the third row of a
3-row result in a 2-row range simply vanished). Excel spills to the result's size. A Table
that grew after the range was written (rows appended by a program, not by Excel) would
therefore lose rows in LibreOffice: money lost silently. ``short_arrays`` finds such ranges.
"""

from __future__ import annotations

import re
from pathlib import Path

# T[Column] -- a single Table column (per-row argument); T[#All], T[[#Data],...] are not.
_COLUMN_REF = re.compile(r"(?<![\w.])([A-Za-z_\\][\w.]*)\[(?!#|\[)([^\[\]]+)\]")


def short_arrays(path: Path, functions: set[str]) -> list[str]:
    """Array formulas calling one of ``functions`` whose range has fewer rows than the data
    rows of the Tables whose columns they take: rows would be cut off in LibreOffice."""
    import openpyxl
    from openpyxl.utils import range_boundaries

    wb = openpyxl.load_workbook(path)
    rows: dict[str, int] = {}
    for ws in wb.worksheets:
        for table in ws.tables.values():
            _c1, r1, _c2, r2 = range_boundaries(table.ref)
            header = 1 if table.headerRowCount is None else int(table.headerRowCount)
            totals = int(table.totalsRowCount or 0)
            rows[table.name.lower()] = r2 - r1 + 1 - header - totals
    names = {f.upper() for f in functions}
    found = []
    for ws in wb.worksheets:
        for anchor, ref in ws.array_formulae.items():
            c1, r1, c2, r2 = range_boundaries(ref)
            text = getattr(ws[anchor].value, "text", "") or ""
            called = {m.upper() for m in re.findall(r"([A-Za-z_][\w.]*)\s*\(", text)}
            if not called & names:
                continue
            tables = {m.group(1).lower() for m in _COLUMN_REF.finditer(text)} & rows.keys()
            if not tables:
                continue
            if (r1, c1) == (r2, c2):  # one cell: an aggregate such as SUM(F(T[A]))
                continue
            wanted = max(rows[t] for t in tables)
            if r2 - r1 + 1 < wanted:
                found.append(f"{ws.title}!{ref}: {r2 - r1 + 1} rows for a Table of {wanted} "
                             f"rows ({text}): LibreOffice cuts off the rest")
    return found
