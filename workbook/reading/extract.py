"""Only the Tables' own cells, copied into a small workbook for the cell reader (calamine).

A sheet's size is never taken from its declared dimension nor from its farthest cell: for
each Table, only its rows (from the header to the last row that holds a cell) and its
columns are copied, one Table per sheet, into an in-memory .xlsx with the original styles
and shared strings. A cell at XFD1048576, a result column beside the Table or a Table
declared over a million empty rows then costs nothing: calamine sizes its grid by the cells
it sees (a far cell made it allocate 512 GB), and panics on ranges it cannot handle (those
are refused in ``structure``). With ``below`` (every reader of Tables, ``read_tables``), a
Table also takes in the rows typed directly below it, as `tarifa recalc` does (``below.py``).

While copying, the cells the reader would show wrongly are noted per (row, column) with the
reason a person can act on (``notes``): an error value (calamine shows it empty), a formula
without a saved value (calamine shows it empty, an optional argument would take its default),
text of spaces only or empty text (the functions treat both as an empty cell), a number that
is nan or infinite (calamine reads nan in a date cell as 30 Dec 1899).
"""

from __future__ import annotations

import bisect
import io
import re
import zipfile
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import quoteattr

from workbook.reading.archive import Archive
from workbook.reading.below import array_beside, filled_rows, grow, refusal
from workbook.reading.errors import WorkbookError
from workbook.reading.structure import Structure, TablePart, col_index, col_letters

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ROW = re.compile(rb'<row\b(?:[^>]*?\s)?r="([0-9]+)"|<row\b')
_SHEET_DATA_END = re.compile(rb"</sheetData>")
_CELL_REF = rb'\br="([A-Z]{1,3})([0-9]{1,7})"'
_FORMULA = rb'(?:\s*<f\b[^>]*?(?:/>|>[^<]*</f>))'
_ERROR = re.compile(rb'<c\s([^>]*?\bt="e"[^>]*)>' + _FORMULA + rb'?\s*<v>([^<]*)</v>')
_NO_VALUE = re.compile(rb'<c\s([^>]*)>' + _FORMULA + rb'\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')
_NO_VALUE_HINTS = tuple(re.compile(p) for p in (rb"</f>\s*</c>", rb"/>\s*</c>", rb"<v>\s*</v>",
                                                rb"<v\s*/>"))
_BLANK_STR = re.compile(rb'<c\s([^>]*?\bt="str"[^>]*)>' + _FORMULA
                        + rb'?\s*(?:<v\s*/>|<v>([ \t\r\n]*)</v>)\s*</c>')
_BLANK_INLINE = re.compile(rb'<c\s([^>]*?\bt="inlineStr"[^>]*)>\s*<is>\s*(?:<t(?:\s[^>]*)?'
                           rb'(?:/>|>([ \t\r\n]*)</t>)\s*)?</is>\s*</c>')
_NUMBER_HINT = re.compile(rb"<v>[^<]*(?:[nNiI]|[eE]\+?[0-9]{3})")
_NOT_FINITE = re.compile(rb'<c\s([^>]*)>' + _FORMULA + rb'?\s*<v>\s*([^<]*(?:[nNiI]|[eE]\+?'
                         rb'[0-9]{3})[^<]*)</v>')
_TEXT_TYPES = re.compile(rb'\bt="(?:s|str|inlineStr|e|b)"')
_SHARED = re.compile(rb'<c\s([^>]*?\bt="s"[^>]*)>\s*<v>\s*([0-9]+)\s*</v>')
_SI = re.compile(rb"<si\b[^>]*?(?:/>|>(.*?)</si>)", re.S)
_T = re.compile(rb"<t\b[^>]*>([^<]*)</t>")

_INF = float("inf")
NO_VALUE = ("a formula without a saved value: open and save the workbook in Excel, or run "
            "`tarifa recalc` first")
EMPTY_TEXT = 'empty text (""), not an empty cell: clear the cell or enter a value'
SPACES = "text of spaces only ({!r}), not an empty cell: clear the cell or enter a value"


@dataclass
class Extract:
    """The small workbook (``data``) and, per Table, its copied part and the noted cells."""

    data: bytes
    tables: dict[str, TablePart]
    sheets: dict[str, str]  # table name -> sheet name in ``data``
    notes: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)


_SLACK = 16  # columns beside a Table (its result columns) kept in the copy


def _outside(prefix: bytes, c1: int, c2: int, whole: bool = False) -> re.Pattern:
    """Cells whose column is not within c1..c2 (a few dozen letters at most): found, or
    removed (``whole``: the entire cell element), by one C-speed scan."""
    allowed = b"|".join(col_letters(c).encode() for c in range(c1, c2 + 1))
    tail = rb"[^>]*?(?:/>|>.*?</c>)" if whole else b""
    return re.compile(prefix + rb"(?!(?:" + allowed + rb")[0-9])[A-Z]{1,3}[0-9]+\"" + tail,
                      re.S)


def _rows_span(archive: Archive, t: TablePart, data: bytes, starts: list[tuple[int, int]]
               ) -> bytes:
    """The bytes of the sheet's rows t.r1 .. t.last_data_row (rows are in ascending order)."""
    begin = end = None
    for number, pos in starts:
        if begin is None and number >= t.r1:
            begin = pos
        if number > t.last_data_row:
            end = pos
            break
    if begin is None:
        return b""
    if end is None:
        m = _SHEET_DATA_END.search(data, begin)
        end = m.start() if m else len(data)
    return data[begin:end]


_NO_REF = re.compile(rb'<c(?=[\s/>])(?![^>]*\br=")')


def _grown(archive: Archive, structure: Structure, t: TablePart, data: bytes,
           starts: list[tuple[int, int]]) -> TablePart:
    """``t`` with the rows typed directly below it taken in, as `tarifa recalc` takes them
    (``below``); values below it after an empty row are refused when results spill beside
    it. Only the rows below the Table (up to the next Table below it) are scanned."""
    if t.totals_rows:
        return t  # Excel does not grow a Table over its totals row
    stop = min((o.r1 for o in structure.tables.values() if o.sheet_part == t.sheet_part
                and o.r1 > t.r2 and o.c1 <= t.c2 and t.c1 <= o.c2), default=None)
    i = bisect.bisect_right(starts, (t.r2, len(data)))
    if i == len(starts):
        return t
    j = len(starts) if stop is None else bisect.bisect_left(starts, (stop, -1))
    end = starts[j][1] if j < len(starts) else _end_of_rows(data, starts[i][1])
    span = data[starts[i][1]:end]
    if _NO_REF.search(span):
        raise WorkbookError(f"{archive.path}: sheet {t.sheet!r} has cells without their "
                            f"reference (r=...) below Table {t.name}; Excel always writes it "
                            "- the file is damaged")
    below = grow(filled_rows(span, t.c1, t.c2), t.r2, stop)
    if below.stray:
        k = bisect.bisect_left(starts, (t.first_data_row, -1))
        if k < len(starts) and starts[k][0] == t.first_data_row:
            row_end = starts[k + 1][1] if k + 1 < len(starts) else len(data)
            if array_beside(data[starts[k][1]:row_end], t.first_data_row, t.c2):
                raise WorkbookError(f"{archive.path}: "
                                    + refusal(t.sheet, t.name, t.c1, t.c2, below))
    return t if below.last == t.r2 else replace(t, r2=below.last)


def _end_of_rows(data: bytes, begin: int) -> int:
    m = _SHEET_DATA_END.search(data, begin)
    return m.start() if m else len(data)


def _row_starts(archive: Archive, sheet: str, data: bytes) -> list[tuple[int, int]]:
    starts, last = [], 0
    for m in _ROW.finditer(data):
        if m[1] is None:
            raise WorkbookError(f"{archive.path}: sheet {sheet!r} has a row without its number "
                                "(r=...); Excel always writes it - the file is damaged")
        number = int(m[1])
        if number <= last:
            raise WorkbookError(f"{archive.path}: sheet {sheet!r} lists row {number} after row "
                                f"{last}; Excel writes rows in order - the file is damaged")
        last = number
        starts.append((number, m.start()))
    return starts


def _table_cells(archive: Archive, t: TablePart, span: bytes,
                 strict: bool = False) -> tuple[bytes, int]:
    """The Table's rows with their cells (cells far outside its columns removed) and the
    last row holding a cell. Cells written as Excel writes them (``<c r="A7"``, in order) take
    the fast path: a few C-speed scans, no Python per cell. Anything else (another attribute
    order, a cell without its reference) is checked cell by cell."""
    where = f"{archive.path}: sheet {t.sheet!r}"
    cells = span.count(b"<c ")
    plain = cells == span.count(b'<c r="') and not any(
        span.count(b"<c" + end) for end in (b">", b"/", b"\t", b"\n", b"\r"))
    prefix = rb'<c r="' if plain else rb'<c\s(?:[^>]*?\s)?r="'
    if not plain:
        refs = sum(1 for _ in re.finditer(prefix, span))
        if refs != cells + sum(span.count(b"<c" + end) for end in (b"\t", b"\n", b"\r")) \
                or any(span.count(b"<c" + end) for end in (b">", b"/")):
            raise WorkbookError(f"{where} has cells without their reference (r=...) in Table "
                                f"{t.name}; Excel always writes it - the file is damaged")
    # Columns: a window around the Table keeps calamine's grid narrow; a cell beyond it (a far
    # cell, XFD7) makes us drop every cell outside the Table's own columns.
    lo, hi = max(1, t.c1 - _SLACK), min(16_384, t.c2 + _SLACK)
    if strict and (far := _outside(prefix, t.c1, t.c2).search(span)):
        ref = re.search(rb'r="([A-Z]{1,3}[0-9]+)"', far[0])[1].decode()
        raise WorkbookError(f"{where} has a cell {ref} beyond column {col_letters(t.c2)}, the "
                            f"last that is read ({t.c2} columns)")
    if _outside(prefix, lo, hi).search(span):
        span = _outside(prefix, t.c1, t.c2, whole=True).sub(b"", span)
    # Rows: a cell's row must lie in the Table's rows; one with more digits than the last row
    # (or fewer than the first) would make the grid that tall.
    low, high = len(str(t.r1)), len(str(t.last_data_row))
    digits = rb"[0-9]{%d,}" % (high + 1) + (rb"|[0-9]{1,%d}" % (low - 1) if low > 1 else b"")
    bad = re.search(prefix + rb"([A-Z]{1,3}(?:" + digits + rb'))"', span)
    if bad:
        raise WorkbookError(f"{where} holds a cell {bad[1].decode()} among the rows of Table "
                            f"{t.name} ({t.r1}-{t.last_data_row}): the file is damaged")
    ref = re.compile(prefix + rb"[A-Z]{1,3}([0-9]{1,7})\"")
    m = None
    if plain:
        at = span.rfind(b'<c r="')
        m = ref.match(span, at) if at >= 0 else None
    else:
        for m in ref.finditer(span):  # noqa: B007 - the last one
            pass
    last = int(m[1]) if m else 0
    return span, max(t.first_data_row, min(t.last_data_row, last))


def _blank_strings(strings: bytes) -> dict[int, str]:
    """Index -> text of the shared strings that are empty or spaces only."""
    out = {}
    for i, m in enumerate(_SI.finditer(strings)):
        text = b"".join(_T.findall(m[1] or b""))
        if not text.strip():
            out[i] = text.decode("utf-8", "replace")
    return out


def _where(attrs: bytes) -> tuple[int, int] | None:
    m = re.search(_CELL_REF, attrs)
    return (int(m[2]), col_index(m[1].decode())) if m else None


def _notes(span: bytes, blank_shared: dict[int, str]) -> dict[tuple[int, int], str]:
    """(row, column) -> what is wrong with the cell (see the module doc)."""
    notes: dict[tuple[int, int], str] = {}

    def note(attrs: bytes, text: str) -> None:
        at = _where(attrs)
        if at is not None:
            notes.setdefault(at, text)

    if b'"e"' in span:
        for m in _ERROR.finditer(span):
            note(m[1], m[2].decode("utf-8", "replace"))
    if any(h.search(span) for h in _NO_VALUE_HINTS):
        for m in _NO_VALUE.finditer(span):
            if b't="str"' not in m[1]:
                note(m[1], NO_VALUE)
    if b'"str"' in span:
        for m in _BLANK_STR.finditer(span):
            text = (m[2] or b"").decode()
            note(m[1], SPACES.format(text) if text else EMPTY_TEXT)
    if b'"inlineStr"' in span:
        for m in _BLANK_INLINE.finditer(span):
            text = (m[2] or b"").decode()
            note(m[1], SPACES.format(text) if text else EMPTY_TEXT)
    if _NUMBER_HINT.search(span):  # calamine reads nan in a date cell as 30 Dec 1899
        for m in _NOT_FINITE.finditer(span):
            if _TEXT_TYPES.search(m[1]):
                continue
            try:
                number = float(m[2])
            except ValueError:
                continue  # not a number at all: calamine's own error
            if number != number or number in (_INF, -_INF):
                note(m[1], f"a number that is not finite ({number})")
    if blank_shared:
        for m in _SHARED.finditer(span):
            text = blank_shared.get(int(m[2]))
            if text is not None:
                note(m[1], SPACES.format(text) if text else EMPTY_TEXT)
    return notes


def extract(archive: Archive, structure: Structure, names: tuple[str, ...],
            tables: dict[str, TablePart] | None = None, strict: bool = False, *,
            below: bool = False) -> Extract:
    """The Tables ``names`` (all present: the caller checked) copied as the module says.
    ``tables`` gives ranges that are no Table of the workbook (a sheet's first columns);
    ``strict`` refuses a cell beyond a range's columns instead of leaving it out; with
    ``below``, each Table of the workbook with the rows typed directly below it (``_grown``)."""
    where = archive.path
    sheet_cache: dict[str, tuple[bytes, list[tuple[int, int]]]] = {}
    strings = archive.part(structure.shared_strings) if structure.shared_strings else None
    blank_shared = _blank_strings(strings) if strings is not None else {}
    out_tables: dict[str, TablePart] = {}
    out_sheets: dict[str, str] = {}
    all_notes: dict[str, dict[tuple[int, int], str]] = {}
    parts: list[tuple[str, bytes]] = []
    for k, name in enumerate(names, start=1):
        t = (tables or {}).get(name) or structure.tables[name]
        if t.sheet_part not in sheet_cache:
            data = archive.part(t.sheet_part)
            sheet_cache[t.sheet_part] = (data, _row_starts(archive, t.sheet, data))
        data, starts = sheet_cache[t.sheet_part]
        if below and name in structure.tables and t is structure.tables[name]:
            t = _grown(archive, structure, t, data, starts)
        span, last = _table_cells(archive, t, _rows_span(archive, t, data, starts), strict)
        if strings is None and b't="s"' in span:
            raise WorkbookError(f"{where}: Table {t.name} refers to shared strings but the "
                                "workbook has no sharedStrings part: the file is damaged")
        kept = replace(t, r2=last, totals_rows=0)
        out_tables[name], out_sheets[name] = kept, f"T{k}"
        all_notes[name] = _notes(span, blank_shared)
        parts.append((f"xl/worksheets/sheet{k}.xml", _sheet_xml(span)))
        parts.append((f"xl/worksheets/_rels/sheet{k}.xml.rels", _sheet_rels(k)))
        parts.append((f"xl/tables/table{k}.xml", _table_xml(kept, k)))
    styles = archive.part(structure.styles) if structure.styles else None
    data = _package(parts, len(names), strings, styles)
    return Extract(data, out_tables, out_sheets, all_notes)


def _sheet_xml(span: bytes) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{_MAIN}" '
            f'xmlns:r="{_RELS}"><sheetData>').encode() + span + b"</sheetData></worksheet>"


def _sheet_rels(k: int) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{_PKG_RELS}">'
            f'<Relationship Id="rId1" Type="{_RELS}/table" Target="../tables/table{k}.xml"/>'
            "</Relationships>").encode()


def _table_xml(t: TablePart, k: int) -> bytes:
    ref = f"{col_letters(t.c1)}{t.r1}:{col_letters(t.c2)}{t.r2}"
    cols = "".join(f"<tableColumn id={quoteattr(str(i + 1))} name={quoteattr(c)}/>"
                   for i, c in enumerate(t.columns))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<table xmlns="{_MAIN}" id="{k}" '
            f"name={quoteattr(t.name)} displayName={quoteattr(t.name)} ref=\"{ref}\" "
            f'headerRowCount="1" totalsRowCount="0"><tableColumns count="{len(t.columns)}">'
            f"{cols}</tableColumns></table>").encode()


def _package(parts: list[tuple[str, bytes]], n: int, strings: bytes | None,
             styles: bytes | None) -> bytes:
    ct = ["Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package."
          "relationships+xml\"", "Default Extension=\"xml\" ContentType=\"application/xml\"",
          "Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd."
          "openxmlformats-officedocument.spreadsheetml.sheet.main+xml\""]
    sheets = "".join(f'<sheet name="T{k}" sheetId="{k}" r:id="rId{k}"/>' for k in range(1, n + 1))
    rels = [f'<Relationship Id="rId{k}" Type="{_RELS}/worksheet" '
            f'Target="worksheets/sheet{k}.xml"/>' for k in range(1, n + 1)]
    for k in range(1, n + 1):
        ct.append(f'Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"')
        ct.append(f'Override PartName="/xl/tables/table{k}.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.spreadsheetml.table+xml"')
    extra = []
    if strings is not None:
        rels.append(f'<Relationship Id="rIdS" Type="{_RELS}/sharedStrings" '
                    'Target="sharedStrings.xml"/>')
        ct.append('Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                  'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"')
        extra.append(("xl/sharedStrings.xml", strings))
    if styles is not None:
        rels.append(f'<Relationship Id="rIdY" Type="{_RELS}/styles" Target="styles.xml"/>')
        ct.append('Override PartName="/xl/styles.xml" ContentType="application/vnd.'
                  'openxmlformats-officedocument.spreadsheetml.styles+xml"')
        extra.append(("xl/styles.xml", styles))
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    files = [
        ("[Content_Types].xml", (head + '<Types xmlns="http://schemas.openxmlformats.org/'
                                 'package/2006/content-types">' + "".join(f"<{c}/>" for c in ct)
                                 + "</Types>").encode()),
        ("_rels/.rels", (head + f'<Relationships xmlns="{_PKG_RELS}"><Relationship Id="rId1" '
                         f'Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
                         "</Relationships>").encode()),
        ("xl/workbook.xml", (head + f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>'
                             f"{sheets}</sheets></workbook>").encode()),
        ("xl/_rels/workbook.xml.rels", (head + f'<Relationships xmlns="{_PKG_RELS}">'
                                        + "".join(rels) + "</Relationships>").encode()),
        *parts, *extra]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()
