"""Checks of a workbook for what LibreOffice would compute differently from Excel, silently.

Both were seen with LibreOffice 7.4 and both would lose money without any error:

* **Short array ranges.** LibreOffice computes a dynamic-array formula (XlsxWriter's
  ``write_dynamic_array_formula``, Excel's spill) as an array formula over exactly the range
  stored in the file: a result with more rows is cut off (a 3-row result in a 2-row range lost
  its third row). Excel spills to the result's size. ``short_arrays`` finds array formulas that
  call a Tarifa function over Table columns (``T[Column]``) with fewer rows than the Table.
* **Empty arguments.** ``=MSIGN_OVERAGE(A2,B2,,,,Tariff)``: Excel hands an empty argument to
  the function as "omitted", LibreOffice as the number 0 (Basic cannot tell it from a typed 0).
  An omitted unit price means "the price list's"; 0 would price the line at 0.
  ``empty_arguments`` finds such calls of Tarifa functions.
"""

from __future__ import annotations

import re
from pathlib import Path

# T[Column] -- a single Table column (per-row argument); T[#All], T[[#Data],...] are not.
_COLUMN_REF = re.compile(r"(?<![\w.])([A-Za-z_\\][\w.]*)\[(?!#|\[)([^\[\]]+)\]")
_CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*\(")
_OPEN, _CLOSE = "([{", ")]}"


def problems(path: Path, functions: set[str]) -> list[str]:
    """Every place where LibreOffice would silently differ from Excel (see module doc)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    empty = [f"{where}: {p}" for where, text in _formulas(wb)
             for p in empty_arguments(text, functions)]
    return _short_arrays(wb, functions) + empty


def empty_arguments(formula: str, functions: set[str]) -> list[str]:
    """Calls of ``functions`` in ``formula`` with an empty argument (``F(a,,b)``, ``F(a,)``)."""
    names = {f.upper() for f in functions}
    found = []
    for m in _CALL.finditer(formula):
        name = m.group(1).upper()
        if name not in names or _in_string(formula, m.start()):
            continue
        args = _arguments(formula, m.end())
        if len(args) > 1 and any(not a.strip() for a in args):
            empty = [str(i + 1) for i, a in enumerate(args) if not a.strip()]
            found.append(f"{name}: argument {', '.join(empty)} is empty; LibreOffice passes 0 "
                         "for it, Excel 'omitted' - give a value, or a reference to an empty "
                         "cell, or leave trailing arguments out")
    return found


def _arguments(text: str, start: int) -> list[str]:
    """The top-level arguments of the call whose '(' ends just before ``start``."""
    args, depth, current, i = [], 0, [], start
    while i < len(text):
        ch = text[i]
        if ch == '"':  # a string literal; "" inside is a quote
            j = i + 1
            while j < len(text) and not (text[j] == '"' and text[j + 1:j + 2] != '"'):
                j += 2 if text[j] == '"' else 1
            current.append(text[i:j + 1])
            i = j + 1
            continue
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                args.append("".join(current))
                return args
            depth -= 1
        elif ch in ",;" and depth == 0:
            args.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    args.append("".join(current))
    return args


def _in_string(text: str, pos: int) -> bool:
    return text.count('"', 0, pos) % 2 == 1


def short_arrays(path: Path, functions: set[str]) -> list[str]:
    """Array formulas calling one of ``functions`` whose range has fewer rows than the data
    rows of the Tables whose columns they take: rows would be cut off in LibreOffice."""
    import openpyxl

    return _short_arrays(openpyxl.load_workbook(path), functions)


def _short_arrays(wb, functions: set[str]) -> list[str]:
    from openpyxl.utils import range_boundaries

    rows: dict[str, int] = {}
    starts: dict[str, tuple[str, int]] = {}  # table -> (sheet, first data row)
    for ws in wb.worksheets:
        for table in ws.tables.values():
            _c1, r1, _c2, r2 = range_boundaries(table.ref)
            header = 1 if table.headerRowCount is None else int(table.headerRowCount)
            totals = int(table.totalsRowCount or 0)
            rows[table.name.lower()] = r2 - r1 + 1 - header - totals
            starts[table.name.lower()] = (ws.title, r1 + header)
    names = {f.upper() for f in functions}
    found = []
    for ws in wb.worksheets:
        for anchor, ref in ws.array_formulae.items():
            c1, r1, c2, r2 = range_boundaries(ref)
            text = getattr(ws[anchor].value, "text", "") or ""
            called = {m.group(1).upper() for m in _CALL.finditer(text)}
            if not called & names:
                continue
            # the Tables it takes columns of and sits beside (its rows are theirs); a
            # lookup column of another Table (a price list's codes) sets no size
            tables = {m.group(1).lower() for m in _COLUMN_REF.finditer(text)} & rows.keys()
            tables = {t for t in tables if starts[t] == (ws.title, r1)} or tables
            if not tables or (r1, c1) == (r2, c2):  # one cell: an aggregate, SUM(F(T[A]))
                continue
            wanted = max(rows[t] for t in tables)
            if r2 - r1 + 1 < wanted:
                found.append(f"{ws.title}!{ref}: {r2 - r1 + 1} rows for a Table of {wanted} "
                             f"rows ({text}): LibreOffice cuts off the rest")
    return found


def _formulas(wb) -> list[tuple[str, str]]:
    """(sheet!cell, formula text) of every formula cell."""
    out = []
    for ws in wb.worksheets:
        for c in _cells(ws):
            text = getattr(c.value, "text", c.value)
            if c.data_type == "f" and isinstance(text, str):
                out.append((f"{ws.title}!{c.coordinate}", text))
    return out


def _cells(ws) -> list:
    """The cells the sheet holds, in order. Not ``iter_rows()``: that walks the whole
    dimension, creating every empty cell -- one cell at XFD1048576 took 4.4 GB and over 90 s
    (issue 12)."""
    return [ws._cells[k] for k in sorted(ws._cells)]
