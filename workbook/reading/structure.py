"""The workbook's structure from its small parts: sheets, their Tables and the Tables' ranges.

Parsed with defusedxml (the parts have passed ``Archive.part``: well-formed, no DOCTYPE) and
checked before any cell is read: a Table's range must be a range (``A6:H17``, start before
end), hold a header and at least one data row, be at most ``Limits.table_columns`` wide,
have one column name per column, and Table names must be unique (Excel compares them
case-insensitively). Each refusal is one line naming the Table, its sheet and the limit.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

import defusedxml.ElementTree as ET

from workbook.reading.archive import MIB, Archive, size_text
from workbook.reading.errors import WorkbookError

MAX_ROWS, MAX_COLS = 1_048_576, 16_384  # Excel's sheet
_SMALL_PART = 16 * MIB  # workbook.xml, relationships, a Table: a few KB in any real workbook
_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7}):\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\Z")
REL_TABLE = "/table"
REL_SHEET = "/worksheet"
REL_STRINGS = "/sharedStrings"
REL_STYLES = "/styles"


@dataclass(frozen=True)
class TablePart:
    """One Table as its part says: range in 1-based rows and columns (inclusive)."""

    name: str  # displayName: what formulas and Tarifa use
    sheet: str
    sheet_part: str  # the sheet's member name, e.g. xl/worksheets/sheet3.xml
    member: str
    r1: int
    c1: int
    r2: int
    c2: int
    header_rows: int
    totals_rows: int
    columns: tuple[str, ...]

    @property
    def first_data_row(self) -> int:
        return self.r1 + self.header_rows

    @property
    def last_data_row(self) -> int:
        return self.r2 - self.totals_rows


@dataclass(frozen=True)
class Structure:
    sheets: dict[str, str]  # sheet name -> member
    tables: dict[str, TablePart]  # by name, case as written
    shared_strings: str | None
    styles: str | None


def col_index(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(el, name: str) -> str | None:
    """An attribute by local name, whatever its namespace prefix (r:id)."""
    for key, value in el.attrib.items():
        if _local(key) == name:
            return value
    return None


def small_xml(archive: Archive, name: str):
    info = archive.infos.get(name)
    if info is not None and info.file_size > _SMALL_PART:
        raise WorkbookError(f"{archive.path}: the part {name} is {size_text(info.file_size)}, "
                            f"more than the limit of {size_text(_SMALL_PART)} for such a part")
    data = archive.part(name)
    try:
        return ET.fromstring(data)
    except Exception as e:  # defusedxml's refusals and ParseError: both mean a bad part
        raise WorkbookError(f"{archive.path}: the part {name} cannot be read ({e})") from None


def _rels(archive: Archive, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type suffix, member name) of ``part``."""
    folder, base = posixpath.split(part)
    name = posixpath.join(folder, "_rels", base + ".rels")
    if not archive.has(name):
        return {}
    out = {}
    for el in small_xml(archive, name):
        if _local(el.tag) != "Relationship" or el.get("TargetMode") == "External":
            continue
        target = el.get("Target") or ""
        member = (target.lstrip("/") if target.startswith("/")
                  else posixpath.normpath(posixpath.join(folder, target)))
        kind = (el.get("Type") or "").rsplit("/", 1)[-1]
        out[el.get("Id") or ""] = ("/" + kind, member)
    return out


def read_structure(archive: Archive) -> Structure:
    """Sheets, Tables (checked, see the module doc), shared strings and styles parts."""
    where = archive.path
    archive.require("xl/workbook.xml", "the workbook")
    archive.require("xl/_rels/workbook.xml.rels", "the workbook's relationships")
    book = small_xml(archive, "xl/workbook.xml")
    rels = _rels(archive, "xl/workbook.xml")
    sheets: dict[str, str] = {}
    for el in book.iter():
        if _local(el.tag) != "sheet":
            continue
        name, rid = el.get("name") or "", _attr(el, "id") or ""
        kind, member = rels.get(rid, ("", ""))
        if kind != REL_SHEET:
            continue  # a chart sheet, a dialog sheet: no Tables
        if not archive.has(member):
            raise WorkbookError(f"{where}: the sheet {name!r} has no part ({member} is missing)")
        sheets[name] = member
    by_kind = {kind: member for kind, member in rels.values()}
    strings, styles = by_kind.get(REL_STRINGS), by_kind.get(REL_STYLES)
    if strings and not archive.has(strings):
        raise WorkbookError(f"{where}: the part {strings} (the shared strings) is missing: "
                            "the file is damaged")
    tables: dict[str, TablePart] = {}
    seen: dict[str, str] = {}
    for sheet, member in sheets.items():
        for kind, part in _rels(archive, member).values():
            if kind != REL_TABLE:
                continue
            if not archive.has(part):
                raise WorkbookError(f"{where}: a Table of sheet {sheet!r} has no part ({part} is "
                                    "missing)")
            t = _table(archive, sheet, member, part)
            key = t.name.casefold()
            if key in seen:
                raise WorkbookError(f"{where}: two Tables are named {t.name!r} (on sheets "
                                    f"{seen[key]!r} and {sheet!r}); Excel requires unique names")
            seen[key] = sheet
            tables[t.name] = t
    return Structure(sheets, tables, strings if strings and archive.has(strings) else None,
                     styles if styles and archive.has(styles) else None)


def _table(archive: Archive, sheet: str, sheet_part: str, member: str) -> TablePart:
    el = small_xml(archive, member)
    name = el.get("displayName") or el.get("name") or ""
    ref = el.get("ref") or ""
    what = f"{archive.path}: Table {name or member!r} on sheet {sheet!r}"
    if not re.fullmatch(r"[A-Za-z_\\][\w.\\]{0,254}", name):
        raise WorkbookError(f"{what}: {name!r} is not a valid Table name")
    m = _REF.match(ref.strip())
    if not m:
        raise WorkbookError(f"{what}: its range {ref[:40]!r} is not a range like A6:H17")
    c1, r1, c2, r2 = (col_index(m[1]), int(m[2]), col_index(m[3]), int(m[4]))
    if not (1 <= r1 <= MAX_ROWS and 1 <= r2 <= MAX_ROWS and 1 <= c1 <= MAX_COLS
            and 1 <= c2 <= MAX_COLS):
        raise WorkbookError(f"{what}: its range {ref} lies outside the sheet (A1:XFD1048576)")
    if r2 < r1 or c2 < c1:
        raise WorkbookError(f"{what}: its range {ref} is reversed (the end before the start)")
    try:
        header = int(el.get("headerRowCount", "1"))
        totals = int(el.get("totalsRowCount", "0"))
    except ValueError:
        raise WorkbookError(f"{what}: its header or totals row count is no number") from None
    if header not in (0, 1) or totals not in (0, 1):
        raise WorkbookError(f"{what}: a header or totals row count other than 0 or 1")
    if header != 1:
        raise WorkbookError(f"{what}: it has no header row; Tarifa finds columns by header")
    if r2 - r1 + 1 - header - totals < 1:
        raise WorkbookError(f"{what}: its range {ref} holds no data row (only its header): "
                            "Excel keeps at least one row in a Table")
    width = c2 - c1 + 1
    limit = archive.limits.table_columns
    if width > limit:
        raise WorkbookError(f"{what}: it is {width:,} columns wide ({ref}), more than the limit "
                            f"of {limit} (the template's widest Table has 10)")
    if r2 - r1 + 1 > archive.limits.table_rows:
        raise WorkbookError(f"{what}: it has {r2 - r1 + 1:,} rows, more than the limit of "
                            f"{archive.limits.table_rows:,}")
    columns = tuple(c.get("name") or "" for c in el.iter() if _local(c.tag) == "tableColumn")
    if len(columns) != width:
        raise WorkbookError(f"{what}: its range {ref} is {width} columns wide but it names "
                            f"{len(columns)} columns")
    return TablePart(name, sheet, sheet_part, member, r1, c1, r2, c2, header, totals, columns)
