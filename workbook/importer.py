"""Bring usage exports into a workbook: ``tarifa import WORKBOOK FILE.csv|FILE.xlsx --table
NAME -o OUT`` (issue 8, item 5).

The rows of FILE (a CSV export, or the first sheet of an .xlsx) are appended below the
Table NAME of WORKBOOK and the result written to OUT; WORKBOOK and FILE are never changed.

* **Headers**: FILE's first row names its columns; each must be one of the Table's columns
  (any order, any case, spaces around ignored). A header the Table lacks stops the import (a
  misspelt "Includd" would otherwise lose a column of quantities); Table columns FILE lacks
  stay empty and are named in the report.
* **Rows**: each cell is checked against its column's kind (numbers, dates, months,
  TRUE/FALSE); a row with a cell that cannot be written as its column needs is refused, with
  its line in FILE and the reason, and the other rows are imported. Codes are written as given:
  the workbook's Check column and ``tarifa bill`` judge them with the price list's rules.
  Empty rows are skipped. Text is never read as a number ("49,90" is refused, not guessed).
* **Writing**: the workbook's sheet XML gets the new rows (each cell styled as the Table's
  last row) and the Table part its new range; array formulas that covered exactly the Table's
  rows are extended with it. Every other part is copied byte for byte, so what openpyxl would
  drop on a load/save (Excel's dynamic-array metadata: ``xl/metadata.xml`` and the ``cm``
  attribute of each spilled formula, without which Excel shows ``=@F()``) is kept. Text goes
  into inline strings (the shared strings stay as they are), escaped as Excel does. The file
  is written to a temporary file beside OUT, read back (every part well-formed, no DTD) and
  renamed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET
from xml.parsers import expat
from xml.sax.saxutils import escape

from workbook import atomic
from workbook import layout as L
from workbook.reading import WorkbookError, check_workbook
from workbook.reading.below import filled_rows, grow, refusal
from workbook.reading.structure import col_index, col_letters
from workbook.usage import read_first_sheet

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
MAX_ROWS = 1_048_576
CELL_CHARS = 32_767
EXCEL_EPOCH = dt.date(1899, 12, 30)


class ImportFailed(ValueError):
    """Nothing can be imported (unknown table, headers, unreadable file): nothing written.
    ``report``: the refused rows, when that is why."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class Refused:
    line: int  # line of FILE (CSV line, or sheet row of an .xlsx)
    reason: str


@dataclass
class Report:
    table: str
    sheet: str
    imported: int = 0
    first_row: int = 0  # sheet rows the imported rows went to
    last_row: int = 0
    refused: list[Refused] = field(default_factory=list)
    empty_columns: list[str] = field(default_factory=list)
    skipped_blank: int = 0


# --- the workbook's Table ----------------------------------------------------------------

@dataclass
class TablePart:
    name: str
    sheet: str
    sheet_part: str
    table_part: str
    first_col: int  # 0-based
    header_row: int  # 1-based sheet row of the header
    last_row: int  # 1-based sheet row of the last data row
    columns: list[str]


def _safe_xml(data: bytes, member: str) -> ET.Element:
    """Parse one of the workbook's small XML parts, refusing any DTD (entities)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ImportFailed(f"{member}: a DOCTYPE in the workbook: refused (not an Excel file "
                           "Tarifa wrote or Excel saved)")
    try:
        return ET.fromstring(data)
    except ET.ParseError as e:
        raise ImportFailed(f"{member} is not well-formed XML ({e})") from None


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for p in (PurePosixPath(base).parent / target).parts:
        if p == "..":
            if parts:
                parts.pop()
        elif p != ".":
            parts.append(p)
    return "/".join(parts)


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    p = PurePosixPath(part)
    rels = str(p.parent / "_rels" / (p.name + ".rels"))
    if rels not in z.namelist():
        return {}
    root = _safe_xml(z.read(rels), rels)
    return {e.get("Id"): _target(part, e.get("Target", ""))
            for e in root.iter(f"{{{NS['rel']}}}Relationship")}


def find_table(z: zipfile.ZipFile, name: str) -> TablePart:
    """The Table ``name`` (case-insensitive, as Excel matches names) from the file's own
    parts: workbook -> sheets -> their table parts."""
    book = _safe_xml(z.read("xl/workbook.xml"), "xl/workbook.xml")
    rels = _rels(z, "xl/workbook.xml")
    found = []
    for s in book.iterfind("m:sheets/m:sheet", NS):
        part = rels.get(s.get(f"{{{NS['r']}}}id"), "")
        if part not in z.namelist():
            continue
        srels = _rels(z, part)
        for tp in _safe_xml(z.read(part), part).iterfind("m:tableParts/m:tablePart", NS):
            tpart = srels.get(tp.get(f"{{{NS['r']}}}id"), "")
            if tpart not in z.namelist():
                continue
            t = _safe_xml(z.read(tpart), tpart)
            tname = t.get("displayName") or t.get("name") or ""
            found.append(tname)
            if tname.casefold() != name.casefold():
                continue
            m = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)", t.get("ref", ""))
            if not m:
                raise ImportFailed(f"table {tname}: its range {t.get('ref')!r} is not A1:B2")
            if t.get("totalsRowCount") not in (None, "0"):
                raise ImportFailed(f"table {tname} has a totals row: rows cannot be appended "
                                   "below it")
            cols = [c.get("name", "") for c in t.iterfind("m:tableColumns/m:tableColumn", NS)]
            first, last = _col_index(m.group(1)), _col_index(m.group(3))
            if len(cols) != last - first + 1:
                raise ImportFailed(f"table {tname}: {len(cols)} columns in a range of "
                                   f"{last - first + 1}")
            return TablePart(tname, s.get("name", ""), part, tpart, first, int(m.group(2)),
                             int(m.group(4)), cols)
    raise ImportFailed(f"the workbook has no table {name!r} (it has "
                       f"{', '.join(sorted(found)) or 'none'})")


def _col_index(letters: str) -> int:
    """'A' -> 0: the import counts columns from 0."""
    return col_index(letters) - 1


def _letters(col: int) -> str:
    return col_letters(col + 1)


# --- reading FILE --------------------------------------------------------------------------

def read_source(path: Path) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """Headers and (line, cells) of a CSV file or an .xlsx's first sheet."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise ImportFailed(f"{path}: give a .csv or .xlsx file")


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[object]]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportFailed(f"{path}: not UTF-8 text ({e}); save the export as CSV UTF-8") \
            from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)  # the header line tells the separator
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[object]]] = []
    headers: list[str] | None = None
    try:
        for cells in reader:
            if headers is None:
                headers = cells
                continue
            rows.append((reader.line_num, list(cells)))
    except csv.Error as e:
        raise ImportFailed(f"{path} line {reader.line_num}: {e}") from None
    if headers is None:
        raise ImportFailed(f"{path} is empty: no header line")
    return headers, rows


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[object]]]]:
    try:  # through workbook.reading: zip limits, damaged or hostile parts, far cells (issue 12)
        grid = read_first_sheet(path)
    except WorkbookError as e:
        raise ImportFailed(str(e)) from None
    start = next((i for i, r in enumerate(grid) if any(v not in ("", None) for v in r)), None)
    if start is None:
        raise ImportFailed(f"{path}: its first sheet is empty")
    headers = ["" if v is None else str(v) for v in grid[start]]
    return headers, [(start + 2 + k, list(r)) for k, r in enumerate(grid[start + 1:])]


# --- cells ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")


class _Bad(ValueError):
    pass


def _cell(value: object, header: str, kind: str) -> object:
    """A FILE cell as the value to write (None: empty; float, bool, date or str); _Bad with
    the reason if it cannot be written as ``kind``."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    if kind in (L.NUMBER, L.PRICE, L.EUR, L.PERCENT):
        return _number(value, header)
    if kind in (L.DATE, L.MONTH):
        return _date(value, header, kind == L.MONTH)
    if kind == L.FLAG:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE"):
            return value.strip().upper() == "TRUE"
        raise _Bad(f"{header}: {_show(value)} is not TRUE or FALSE")
    if isinstance(value, bool):
        raise _Bad(f"{header}: TRUE/FALSE where text belongs")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Bad(f"{header}: {value} is not a value")
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise _Bad(f"{header}: a date where text belongs")
    text = str(value)
    if len(text) > CELL_CHARS:
        raise _Bad(f"{header}: {len(text):,} characters; an Excel cell holds {CELL_CHARS:,}")
    if header.casefold() == "customer" and text != text.strip():
        raise _Bad(f"Customer '{text}' has spaces before or after the name: the Bill sheet "
                   "would not count it as that customer; remove the spaces")
    return text


def _number(value: object, header: str) -> float:
    if isinstance(value, bool):
        raise _Bad(f"{header}: TRUE/FALSE where a number belongs")
    if isinstance(value, (int, float)):
        x = float(value)
    elif isinstance(value, str):
        s = value.strip()
        if not _NUMBER.fullmatch(s):
            hint = (" (a decimal comma? write 49.90; thousands without separator)"
                    if re.fullmatch(r"[+-]?[\d.,]+", s) else "")
            raise _Bad(f"{header}: text {_show(value)} where a number belongs{hint}")
        x = float(s)
    else:
        raise _Bad(f"{header}: {_show(value)} where a number belongs")
    if not math.isfinite(x):
        raise _Bad(f"{header}: {x} is not a number")
    return x + 0.0


def _date(value: object, header: str, month: bool) -> dt.date:
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        s = value.strip()
        m = _ISO_DAY.fullmatch(s)
        mm = _ISO_MONTH.fullmatch(s) if month else None
        try:
            if m:
                day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            elif mm:
                day = dt.date(int(mm.group(1)), int(mm.group(2)), 1)
            else:
                raise ValueError
        except ValueError:
            form = "YYYY-MM or YYYY-MM-DD" if month else "YYYY-MM-DD"
            raise _Bad(f"{header}: {_show(value)} is not a date (write {form})") from None
    else:
        raise _Bad(f"{header}: {_show(value)} where a date belongs (a date cell or "
                   "YYYY-MM-DD)")
    if day <= dt.date(1900, 2, 28):
        raise _Bad(f"{header}: {day} is before the dates Excel counts alike everywhere")
    return day


def _show(value: object) -> str:
    s = str(value)
    return f"'{s[:30]}…'" if len(s) > 30 else f"'{s}'"


# --- the sheet XML ---------------------------------------------------------------------------

_ROW = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*?(/>|>)')
_CELL_REF = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)\d+"[^>]*?\bs="(\d+)"|'
                       rb'<c\b[^>]*?\bs="(\d+)"[^>]*?\br="([A-Z]+)\d+"')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPED = re.compile(r"(_x[0-9A-Fa-f]{4}_)")


def _xml_text(text: str) -> str:
    """Text as Excel stores it: a literal _xHHHH_ escaped first, control characters as
    _xHHHH_, then XML's own escapes."""
    text = _ESCAPED.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return escape(text)


def _value_xml(ref: str, style: str, value: object) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"{s}><v>{repr(value).removesuffix(".0")}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}"{s}><v>{(value - EXCEL_EPOCH).days}</v></c>'
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>'


def _row_spans(sheet: bytes) -> list[tuple[int, int, int]]:
    """(row number, start, end) of every <row> element of the sheet XML."""
    out = []
    for m in _ROW.finditer(sheet):
        if m.group(2) == b"/>":
            out.append((int(m.group(1)), m.start(), m.end()))
        else:
            end = sheet.index(b"</row>", m.end()) + len(b"</row>")
            out.append((int(m.group(1)), m.start(), end))
    return out


def _styles_of(row: bytes, first: int, n: int) -> list[str]:
    styles = [""] * n
    for m in _CELL_REF.finditer(row):
        col, s = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        j = _col_index(col.decode()) - first
        if 0 <= j < n:
            styles[j] = s.decode()
    return styles


def _extend_arrays(sheet: bytes, first: int, last: int, new_last: int) -> bytes:
    """Array formulas over exactly the Table's data rows (``J7:J17``) now cover its new rows
    (LibreOffice computes an array formula over its stored range only)."""
    def grow(m: re.Match) -> bytes:
        c1, r1, c2, r2 = m.group(2), int(m.group(3)), m.group(4), int(m.group(5))
        if r1 == first and r2 == last:
            return m.group(1) + f"{c1.decode()}{r1}:{c2.decode()}{new_last}".encode() + b'"'
        return m.group(0)

    return re.sub(rb'(<f\b[^>]*?\bt="array"[^>]*?\bref=")([A-Z]+)(\d+):([A-Z]+)(\d+)"', grow,
                  sheet)


def taken_in(sheet: bytes, t: TablePart) -> int:
    """The Table's last row once the rows typed directly below it are taken in: they are its
    rows for `tarifa bill` and `tarifa recalc` (``workbook.reading.below``), so the import
    appends after them and the Table's range covers them. Values after an empty row below
    it are refused, as bill and recalc refuse them."""
    c1, c2 = t.first_col + 1, t.first_col + len(t.columns)
    below = grow(filled_rows(sheet, c1, c2), t.last_row)
    if below.stray:
        raise ImportFailed(refusal(t.sheet, t.name, c1, c2, below))
    return below.last


def append_rows(sheet: bytes, t: TablePart, rows: list[list[object]],
                last: int | None = None) -> bytes:
    """The sheet XML with ``rows`` (values per Table column) below the Table's row ``last``
    (its last row with the rows typed below it taken in; default the Table's own)."""
    last = t.last_row if last is None else last
    if b"<!DOCTYPE" in sheet or b"<!ENTITY" in sheet:
        raise ImportFailed(f"{t.sheet_part}: a DOCTYPE in the sheet: refused")
    n = len(t.columns)
    start, end = last + 1, last + len(rows)
    if end > MAX_ROWS:
        raise ImportFailed(f"table {t.name} would end at sheet row {end:,}: past Excel's "
                           f"{MAX_ROWS:,} rows")
    spans = _row_spans(sheet)
    style_row = next((sheet[a:b] for r, a, b in spans if r == t.last_row), b"")
    styles = _styles_of(style_row, t.first_col, n)
    cut_from, cut_to = None, None
    for r, a, b in spans:
        if start <= r <= end:
            if b"<c " in sheet[a:b] or b"<c>" in sheet[a:b]:
                raise ImportFailed(
                    f"sheet {t.sheet} row {r} below table {t.name} is not empty: the "
                    f"{len(rows)} rows need rows {start}-{end} free; move what is there")
            cut_from = a if cut_from is None else cut_from  # an empty row element: replaced
            cut_to = b
    body = []
    letters = [_letters(t.first_col + j) for j in range(n)]
    for k, values in enumerate(rows):
        r = start + k
        cells = "".join(_value_xml(f"{letters[j]}{r}", styles[j], values[j]) for j in range(n))
        body.append(f'<row r="{r}">{cells}</row>')
    new = "".join(body).encode("utf-8")
    if cut_from is not None:
        sheet = sheet[:cut_from] + new + sheet[cut_to:]
    else:
        after = next((a for r, a, _b in spans if r > end), None)
        if after is None:
            pos = sheet.find(b"</sheetData>")
            if pos < 0:
                pos = sheet.find(b"<sheetData/>")
                if pos < 0:
                    raise ImportFailed(f"{t.sheet_part}: no sheetData")
                sheet = sheet[:pos] + b"<sheetData></sheetData>" + sheet[pos + 12:]
                pos = sheet.find(b"</sheetData>")
            after = pos
        sheet = sheet[:after] + new + sheet[after:]
    sheet = _extend_arrays(sheet, t.header_row + 1, t.last_row, end)

    def dim(m: re.Match) -> bytes:
        c1, r1, c2, r2 = m.group(1), m.group(2), m.group(3), int(m.group(4))
        return f'<dimension ref="{c1.decode()}{r1.decode()}:{c2.decode()}{max(r2, end)}"/>' \
            .encode()

    return re.sub(rb'<dimension ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"/>', dim, sheet, count=1)


def _new_ref(table_xml: bytes, t: TablePart, end: int) -> bytes:
    old = f"{_letters(t.first_col)}{t.header_row}:{_letters(t.first_col + len(t.columns) - 1)}"
    ref = f'{old}{end}"'.encode()
    out, n = re.subn(rb'(<(?:\w+:)?(?:table|autoFilter)\b[^>]*?\bref=")\$?[A-Z]+\$?\d+:'
                     rb'\$?[A-Z]+\$?\d+"', lambda m: m.group(1) + ref, table_xml)
    if n < 1:
        raise ImportFailed(f"{t.table_part}: no range to extend")
    return out


# --- the command ---------------------------------------------------------------------------

def import_rows(workbook: Path, source: Path, table: str, output: Path) -> Report:
    """Append ``source``'s rows to ``table`` of ``workbook``, written to ``output``
    (see the module docstring). ImportFailed when nothing can be imported."""
    workbook, source, output = Path(workbook), Path(source), Path(output)
    for a, what in ((workbook, "workbook"), (source, "file")):
        if atomic.same_file(a, output):
            raise ImportFailed(f"-o {output} is the {what}: write the result to another file "
                               "(the input is never changed)")
    if output.suffix.lower() != workbook.suffix.lower() or output.suffix.lower() != ".xlsx":
        raise ImportFailed(f"-o {output}: the result is an .xlsx workbook like the input")
    try:  # the reading checks first (issue 12): zip limits, every part intact, no DOCTYPE
        check_workbook(workbook)
    except WorkbookError as e:
        raise ImportFailed(str(e)) from None
    try:
        z = zipfile.ZipFile(workbook)
    except (zipfile.BadZipFile, OSError) as e:
        raise ImportFailed(f"{workbook}: cannot read it as an .xlsx workbook ({e})") from None
    with z:
        t = find_table(z, table)
        usage = {d.name.casefold(): d for d in L.USAGE_TABLES}
        if t.name.casefold() not in usage:
            raise ImportFailed(f"table {t.name} is not a usage table: import into "
                               f"{', '.join(d.name for d in L.USAGE_TABLES)}")
        own = {c.header.casefold(): c.kind for c in usage[t.name.casefold()].columns}
        headers, rows = read_source(source)
        index = _match_headers(headers, t, source)
        report = Report(t.name, t.sheet)
        report.empty_columns = [c for j, c in enumerate(t.columns) if j not in index.values()]
        kinds = [own.get(c.casefold(), L.TEXT) for c in t.columns]
        good: list[list[object]] = []
        for line, cells in rows:
            if all(v in (None, "") or (isinstance(v, str) and not v.strip()) for v in cells):
                report.skipped_blank += 1
                continue
            if len(cells) > len(headers) and any(v not in (None, "") for v in
                                                 cells[len(headers):]):
                report.refused.append(Refused(line, f"{len(cells)} cells, {len(headers)} "
                                                    "headers"))
                continue
            values: list[object] = [None] * len(t.columns)
            try:
                for i, j in index.items():
                    values[j] = _cell(cells[i] if i < len(cells) else None, t.columns[j],
                                      kinds[j])
            except _Bad as e:
                report.refused.append(Refused(line, str(e)))
                continue
            good.append(values)
        if not good:
            raise ImportFailed(f"{source}: no row to import"
                               + (f" ({len(report.refused)} refused)" if report.refused
                                  else ""), report)
        sheet_xml = z.read(t.sheet_part)
        last = taken_in(sheet_xml, t)
        sheet = append_rows(sheet_xml, t, good, last)
        table_xml = _new_ref(z.read(t.table_part), t, last + len(good))
        book = z.read("xl/workbook.xml")
        if b"fullCalcOnLoad" not in book:  # Excel recomputes the results for the new rows
            book = re.sub(rb"<calcPr\b", b'<calcPr fullCalcOnLoad="1"', book, count=1)
        _write(z, output, {t.sheet_part: sheet, t.table_part: table_xml,
                           "xl/workbook.xml": book})
    report.imported = len(good)
    report.first_row, report.last_row = last + 1, last + len(good)
    return report


def _match_headers(headers: list[str], t: TablePart, source: Path) -> dict[int, int]:
    """FILE column -> Table column, by name in any case; unknown or repeated ones refused."""
    by_name = {c.strip().casefold(): j for j, c in enumerate(t.columns)}
    index: dict[int, int] = {}
    unknown, twice = [], []
    for i, h in enumerate(headers):
        key = str(h).strip().casefold()
        if not key:
            continue
        if key not in by_name:
            unknown.append(str(h))
        elif by_name[key] in index.values():
            twice.append(str(h))
        else:
            index[i] = by_name[key]
    if unknown or twice:
        what = (f"headers not in table {t.name}: {', '.join(repr(u) for u in unknown)}"
                if unknown else f"headers given twice: {', '.join(twice)}")
        raise ImportFailed(f"{source}: {what} (its columns: {', '.join(t.columns)})")
    if not index:
        raise ImportFailed(f"{source}: no header matches a column of table {t.name}")
    return index


def _write(z: zipfile.ZipFile, output: Path, changed: dict[str, bytes]) -> None:
    """Every member of ``z`` as it is, but ``changed``; through a temporary file beside
    ``output``, read back, then renamed."""
    mode = atomic.mode_for(output)
    with atomic.private_folder(output) as work:
        tmp = work / "import.xlsx"
        with zipfile.ZipFile(tmp, "w") as out:
            for info in z.infolist():
                data = changed.get(info.filename)
                if data is None:
                    data = z.read(info.filename)
                out.writestr(info, data, compress_type=info.compress_type)
        _read_back(tmp)
        atomic.replace(tmp, output, mode)


def _read_back(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if not member.endswith((".xml", ".rels")):
                with z.open(member) as fh:
                    while fh.read(1 << 20):
                        pass
                continue
            p = expat.ParserCreate()

            def no_dtd(*_a: object, member: str = member) -> None:
                raise ImportFailed(f"{member}: a DOCTYPE")

            p.StartDoctypeDeclHandler = no_dtd
            try:
                with z.open(member) as fh:
                    p.ParseFile(fh)
            except expat.ExpatError as e:
                raise ImportFailed(f"the result does not read back: {member} ({e}); nothing "
                                   "was written") from None
