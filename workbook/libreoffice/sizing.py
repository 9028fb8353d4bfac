"""Fit a workbook's array formulas to its Tables before LibreOffice recalculates it.

Excel spills: one formula beside a Table (``=MSIGN_OVERAGE(Usage_mSign[Item], ...)``) fills
as many rows as the Table has, and ``mSign!$J$7#`` (stored ``_xlfn.ANCHORARRAY(mSign!$J$7)``)
refers to whatever it filled. LibreOffice 7.4 has no dynamic arrays: it computes an array
formula over exactly the range stored in the file, and does not know ANCHORARRAY. So
``tarifa recalc`` fits its own copy of the workbook first (``fit``), as Excel would have:

1. **Rows typed directly below a Table** (in LibreOffice, or written by a program that does
   not touch the Table's definition) are taken into the Table, as Excel's auto-expansion
   does: the Table's range (and its filter range) grows over every following row that has a
   value in one of its columns, up to the first row that has none (``workbook.reading.below``:
   the readers of `tarifa bill` take in the same rows and refuse the same stray ones).
2. **Array formulas beside a Table** (the anchor on the Table's first data row, right of
   it) are sized to the Table's data rows: longer when rows were added (typed below, or
   inserted inside the Table with Insert Cells), shorter when rows were deleted.
3. **Spill references** ``_xlfn.ANCHORARRAY(X)`` become the range of the array anchored at
   X, at its new size.

It refuses (SizingError, naming sheet, cells and the fix) only what it cannot fix without
guessing: values below a Table after an empty row (Excel would not take them into the Table
either: they would be billed by no one), values typed into the result columns a spill is
about to fill, a spill reference to a cell that holds no array formula, and files it cannot
read safely (a DTD, cells without addresses).

It works on the file's XML parts directly (openpyxl's load/save would drop Excel's
dynamic-array metadata): table parts are read with ElementTree after refusing any DTD (no
entity expansion), and every part is changed by exact edits of the attributes and formula
texts concerned, so everything else in the file stays byte for byte as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from workbook.reading import below, structure

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

_CELL = re.compile(rb'<c\b([^>]*?)(/>|>(.*?)</c>)', re.S)
_ADDR = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_FORMULA = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_REF_ATTR = re.compile(rb'\bref="([^"]*)"')
_ANCHOR = re.compile(r"_xlfn\.ANCHORARRAY\(\s*((?:'(?:[^']|'')+'|&apos;(?:(?!&apos;).)+&apos;"
                     r"|[A-Za-z0-9_.]+)!)?\$?([A-Z]{1,3})\$?([0-9]+)\s*\)", re.I)
_RANGE = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]+)(?::\$?([A-Z]{1,3})\$?([0-9]+))?$")


class SizingError(ValueError):
    """The workbook cannot be fitted without guessing; the message names sheet, cells, fix."""


@dataclass
class _Table:
    name: str
    sheet: str
    part: str
    c1: int  # 0-based columns, 1-based rows (as in A1 addresses)
    c2: int
    r1: int  # header row
    r2: int  # last row (data)
    headers: int
    totals: int
    new_r2: int = 0
    calculated: dict[int, str] = field(default_factory=dict)  # column offset -> formula

    @property
    def first(self) -> int:
        return self.r1 + self.headers


@dataclass
class _Array:
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int
    new_r2: int = 0


@dataclass
class Fitted:
    """What ``fit`` changed: one line per Table grown and per array resized."""

    notes: list[str] = field(default_factory=list)


def col_index(letters: str) -> int:
    """'A' -> 0: the sizing counts columns from 0."""
    return structure.col_index(letters) - 1


def col_letters(index: int) -> str:
    return structure.col_letters(index + 1)


def _a1(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"


def _parse(data: bytes, part: str) -> ElementTree.Element:
    """ElementTree of a small XML part, refusing DTDs (no entity expansion, no fetching)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SizingError(f"{part}: the file holds a DTD, which a workbook part never needs; "
                          "save the workbook again from Excel or LibreOffice")
    return ElementTree.fromstring(data)


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part."""
    book = _parse(z.read("xl/workbook.xml"), "xl/workbook.xml")
    rels = _parse(z.read("xl/_rels/workbook.xml.rels"), "xl/_rels/workbook.xml.rels")
    target = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{_NS_PKG}}}Relationship")}
    out = {}
    for sh in book.iter(f"{{{_NS_MAIN}}}sheet"):
        t = target.get(sh.get(f"{{{_NS_REL}}}id"), "")
        out[sh.get("name")] = _resolve("xl/workbook.xml", t)
    return out


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts = []
    for p in (PurePosixPath(base).parent / target).parts:
        if p == "..":
            parts.pop()
        elif p != ".":
            parts.append(p)
    return "/".join(parts)


def _tables(z: zipfile.ZipFile, sheets: dict[str, str]) -> list[_Table]:
    names = set(z.namelist())
    out = []
    for sheet, part in sheets.items():
        rels = str(PurePosixPath(part).parent / "_rels" / (PurePosixPath(part).name + ".rels"))
        if rels not in names:
            continue
        for r in _parse(z.read(rels), rels).iter(f"{{{_NS_PKG}}}Relationship"):
            if not r.get("Type", "").endswith("/table"):
                continue
            tpart = _resolve(part, r.get("Target", ""))
            if tpart not in names:
                continue
            t = _parse(z.read(tpart), tpart)
            m = _RANGE.match(t.get("ref", ""))
            if not m or not m.group(3):
                continue
            calculated = {}
            for j, tc in enumerate(t.iter(f"{{{_NS_MAIN}}}tableColumn")):
                f = tc.find(f"{{{_NS_MAIN}}}calculatedColumnFormula")
                if f is not None and f.text:
                    calculated[j] = f.text
            out.append(_Table(t.get("displayName") or t.get("name", ""), sheet, tpart,
                              col_index(m.group(1)), col_index(m.group(3)), int(m.group(2)),
                              int(m.group(4)), int(t.get("headerRowCount", "1")),
                              int(t.get("totalsRowCount", "0")), calculated=calculated))
    return out


def _cells(data: bytes, part: str) -> dict[int, dict[int, bool]]:
    """Row -> column -> has content (a value, an inline string or a formula)."""
    rows: dict[int, dict[int, bool]] = {}
    for m in _CELL.finditer(data):
        addr = _ADDR.search(m.group(1))
        if addr is None:
            raise SizingError(f"{part}: a cell without its address (r=...); save the workbook "
                              "again from Excel or LibreOffice")
        inner = m.group(3) or b""
        full = b"<v" in inner or b"<is" in inner or b"<f" in inner
        rows.setdefault(int(addr.group(2)), {})[col_index(addr.group(1).decode())] = full
    return rows


def _arrays(data: bytes, sheet: str) -> list[_Array]:
    out = []
    for m in _FORMULA.finditer(data):
        attrs = m.group(1)
        if b't="array"' not in attrs:
            continue
        ref = _REF_ATTR.search(attrs)
        g = _RANGE.match(ref.group(1).decode()) if ref else None
        if not g:
            continue
        r1, c1 = int(g.group(2)), col_index(g.group(1))
        r2, c2 = (int(g.group(4)), col_index(g.group(3))) if g.group(3) else (r1, c1)
        out.append(_Array(sheet, r1, c1, r2, c2, r2))
    return out


def _has(rows: dict[int, dict[int, bool]], row: int, c1: int, c2: int) -> bool:
    cells = rows.get(row)
    return bool(cells) and any(v for c, v in cells.items() if c1 <= c <= c2)


def _quote(sheet: str) -> str:
    if sheet.replace("_", "").isalnum() and not sheet[0].isdigit():
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def plan(path: Path) -> tuple[list[_Table], dict[tuple[str, int, int], _Array], Fitted]:
    """Work out the new sizes of Tables and arrays (no change to the file)."""
    fitted = Fitted()
    with zipfile.ZipFile(path) as z:
        sheets = _sheet_parts(z)
        tables = _tables(z, sheets)
        data = {s: z.read(p) for s, p in sheets.items() if any(t.sheet == s for t in tables)}
        cells = {s: _cells(d, sheets[s]) for s, d in data.items()}
        arrays = {}
        for s, p in sheets.items():
            for a in _arrays(z.read(p), s):
                arrays[(s, a.r1, a.c1)] = a
    problems = []
    beside = {}
    for a in arrays.values():
        inside = any(t.sheet == a.sheet and t.r1 <= a.r1 <= t.r2 and t.c1 <= a.c2
                     and a.c1 <= t.c2 for t in tables)
        left = [t for t in tables if t.sheet == a.sheet and t.first == a.r1 and t.c2 < a.c1]
        if left and not inside:
            beside[(a.sheet, a.r1, a.c1)] = max(left, key=lambda t: t.c2)
    priced = {id(t) for t in beside.values()}
    for t in tables:
        t.new_r2 = t.r2
        if t.totals:
            continue
        # the next Table below in the same columns: never grow into it, never look past it
        stop = min((o.r1 for o in tables if o is not t and o.sheet == t.sheet
                    and o.r1 > t.r2 and o.c1 <= t.c2 and t.c1 <= o.c2), default=None)
        # one rule with the readers (`tarifa bill`): workbook.reading.below, 1-based columns
        found = below.grow(below.filled_rows(data[t.sheet], t.c1 + 1, t.c2 + 1), t.r2, stop)
        t.new_r2 = found.last
        if found.stray and id(t) in priced:
            problems.append(below.refusal(t.sheet, t.name, t.c1 + 1, t.c2 + 1, found))
        if t.new_r2 > t.r2:
            fitted.notes.append(f"{t.sheet}: {t.new_r2 - t.r2} row(s) typed below the Table "
                                f"{t.name} taken into it (rows {t.r2 + 1}-{t.new_r2})")
    for key, t in beside.items():
        a = arrays[key]
        a.new_r2 = max(t.new_r2, a.r1)
        rows = cells.get(a.sheet, {})
        typed = [r for r in range(a.r2 + 1, a.new_r2 + 1) if _has(rows, r, a.c1, a.c2)]
        if typed:
            problems.append(
                f"{a.sheet}!{_a1(typed[0], a.c1)}:{_a1(typed[-1], a.c2)}: values typed into "
                f"the results beside the Table {t.name}, which its formula in "
                f"{_a1(a.r1, a.c1)} fills: clear those cells (results are computed)")
        if a.new_r2 != a.r2:
            fitted.notes.append(f"{a.sheet}!{_a1(a.r1, a.c1)}: array formula sized to "
                                f"{a.new_r2 - a.r1 + 1} row(s) (was {a.r2 - a.r1 + 1})")
    if problems:
        raise SizingError("\n".join(problems))
    return tables, arrays, fitted


def fit(path: Path) -> Fitted:
    """Fit the workbook at ``path`` in place (give it a copy: ``tarifa recalc`` fits its own
    copy, never the user's file). Raises SizingError where it cannot."""
    path = Path(path)
    tables, arrays, fitted = plan(path)
    grown = [t for t in tables if t.new_r2 != t.r2]
    resized = {k: a for k, a in arrays.items() if a.new_r2 != a.r2}
    with zipfile.ZipFile(path) as z:
        sheets = _sheet_parts(z)
        has_anchor = any(_has_anchor(z.read(p)) for p in sheets.values()) or \
            _has_anchor(z.read("xl/workbook.xml"))
    if not grown and not resized and not has_anchor:
        return fitted
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(path) as z:
        for t in grown:
            data = parts.get(t.part, z.read(t.part))
            old = f'ref="{_a1(t.r1, t.c1)}:{_a1(t.r2, t.c2)}"'.encode()
            new = f'ref="{_a1(t.r1, t.c1)}:{_a1(t.new_r2, t.c2)}"'.encode()
            parts[t.part] = data.replace(old, new)  # the Table's and its autoFilter's range
        for sheet, part in sheets.items():
            data = z.read(part)
            changed = data
            for t in grown:
                if t.sheet == sheet and t.calculated and t.new_r2 > t.r2:
                    changed = _fill_calculated(changed, t)
            changed = _fit_sheet(changed, sheet, arrays)
            if changed != data:
                parts[part] = changed
        book = z.read("xl/workbook.xml")
        fixed = _ANCHOR_BYTES.sub(lambda m: _spill_range(m, None, arrays), book)
        if fixed != book:
            parts["xl/workbook.xml"] = fixed
    _rewrite(path, parts)
    return fitted


_ANCHOR_BYTES = re.compile(_ANCHOR.pattern.encode(), re.I)  # LibreOffice saves it lower-case


def _fill_calculated(data: bytes, t: _Table) -> bytes:
    """Rows taken into a Table get its calculated columns' formula (one per row, as Excel's
    auto-expansion fills them), where the row left that cell empty."""
    cols = {t.c1 + j: escape(f).encode() for j, f in t.calculated.items()}

    def row(m: re.Match) -> bytes:
        r = int(m.group(2))
        if not t.r2 < r <= t.new_r2:
            return m.group(0)
        body = m.group(3)
        have = {}
        for c in _CELL.finditer(body):
            a = _ADDR.search(c.group(1))
            inner = c.group(3) or b""
            have[col_index(a.group(1).decode())] = (c, b"<v" in inner or b"<f" in inner
                                                    or b"<is" in inner)
        for col, formula in sorted(cols.items()):
            if have.get(col, (None, False))[1]:
                continue  # typed there: kept
            cell = f'<c r="{_a1(r, col)}"><f>'.encode() + formula + b"</f></c>"
            old = have.get(col, (None, False))[0]
            if old is not None:  # an empty styled cell: replaced
                body = body.replace(old.group(0), cell, 1)
                continue
            after = [c for k, (c, _) in have.items() if k > col]
            if after:
                first = min(after, key=lambda c: c.start())
                body = body.replace(first.group(0), cell + first.group(0), 1)
            else:
                body += cell
        return m.group(1) + body + b"</row>"

    return _ROW.sub(row, data)


_ROW = re.compile(rb'(<row\b[^>]*?\br="([0-9]+)"[^>]*>)(.*?)</row>', re.S)


def _has_anchor(data: bytes) -> bool:
    return b"ANCHORARRAY" in data or b"anchorarray" in data.lower()


def _spill_range(m: re.Match, here: str | None, arrays: dict) -> bytes:
    """``_xlfn.ANCHORARRAY(sheet!$J$7)`` -> ``sheet!$J$7:$J$N`` at the array's new size."""
    prefix = (m.group(1) or b"").decode()
    sheet = here
    if prefix:
        name = prefix[:-1].replace("&apos;", "'")
        sheet = name[1:-1].replace("''", "'") if name.startswith("'") else name
    col, row = col_index(m.group(2).decode().upper()), int(m.group(3))
    a = arrays.get((sheet, row, col))
    if a is None:
        raise SizingError(f"{sheet}!{_a1(row, col)}: a formula refers to the results spilled "
                          f"from {sheet}!{_a1(row, col)} ({_a1(row, col)}#), but that cell "
                          "holds no array formula: correct the reference")
    return (f"{prefix}${col_letters(a.c1)}${a.r1}:${col_letters(a.c2)}${a.new_r2}").encode()


def _fit_sheet(data: bytes, sheet: str, arrays: dict) -> bytes:
    """The sheet part with its arrays resized, spill references replaced, and the cells of a
    shrunk array below its new end dropped."""
    mine = {(a.r1, a.c1): a for a in arrays.values() if a.sheet == sheet}

    def formula(m: re.Match) -> bytes:
        attrs, text = m.group(1), m.group(2)
        whole = m.group(0)
        if text is not None and _has_anchor(text):
            new_text = _ANCHOR_BYTES.sub(lambda x: _spill_range(x, sheet, arrays), text)
            whole = whole.replace(b">" + text + b"</f>", b">" + new_text + b"</f>", 1)
        if b't="array"' in attrs:
            ref = _REF_ATTR.search(attrs)
            g = _RANGE.match(ref.group(1).decode()) if ref else None
            a = mine.get((int(g.group(2)), col_index(g.group(1)))) if g else None
            if a is not None and a.new_r2 != a.r2:
                new_ref = f'ref="{_a1(a.r1, a.c1)}:{_a1(a.new_r2, a.c2)}"'.encode()
                whole = whole.replace(ref.group(0), new_ref, 1)
        return whole

    out = _FORMULA.sub(formula, data)
    shrunk = [a for a in mine.values() if a.new_r2 < a.r2]
    if shrunk:
        def drop(m: re.Match) -> bytes:
            addr = _ADDR.search(m.group(1))
            r, c = int(addr.group(2)), col_index(addr.group(1).decode())
            for a in shrunk:
                if a.new_r2 < r <= a.r2 and a.c1 <= c <= a.c2:
                    return b""
            return m.group(0)
        out = _CELL.sub(drop, out)
    return out


def _rewrite(path: Path, parts: dict[str, bytes]) -> None:
    """``path`` with ``parts`` replaced (written beside it, then renamed)."""
    fd, tmp = tempfile.mkstemp(prefix=".fit-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
            for info in src.infolist():
                if info.filename in parts:
                    dst.writestr(info, parts[info.filename], compress_type=zipfile.ZIP_DEFLATED)
                else:
                    with src.open(info) as f, dst.open(info, "w") as g:
                        shutil.copyfileobj(f, g)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
