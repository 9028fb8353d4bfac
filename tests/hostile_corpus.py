"""The corpus of broken and hostile workbooks (issue 12), each made from the real template by
editing its parts (tests/hostile_files.py): name -> (builder(template, path) -> path, the
one-line refusal as a regex). Built once per session by the ``corpus`` fixture (conftest.py);
used by tests/test_hostile.py (`tarifa bill`) and tests/test_hostile_recalc.py (`tarifa
recalc`)."""

from __future__ import annotations

import re
import warnings
import zipfile

from tests.hostile_files import (
    MSIGN_SHEET,
    MSIGN_TABLE,
    STRINGS,
    bomb_entry,
    deflated,
    members,
    patched,
    raw_zip,
    stored,
    sub,
    template_with,
)

BOOK, BOOK_RELS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"


def _table_part(src, name: bytes) -> str:
    """The zip member of the Table ``name`` (their numbers follow the order they are made)."""
    with zipfile.ZipFile(src) as z:
        return next(n for n in z.namelist() if n.startswith("xl/tables/")
                    and b'displayName="' + name + b'"' in z.read(n))


MSIGN_RELS = "xl/worksheets/_rels/sheet3.xml.rels"
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
XXE = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _doctype(prolog: bytes):
    """Put a DOCTYPE before the root element (replacing the XML declaration)."""
    return sub(rb"^<\?xml[^>]*\?>\s*", prolog + b"\n")


def _laughs_in_cell(data: bytes) -> bytes:
    data = _doctype(LAUGHS)(data)
    return data.replace(b"<v>1250</v>", b"<v>&lol3;</v>", 1)


def _xxe_in_string(data: bytes) -> bytes:
    data = _doctype(XXE)(data)
    return re.sub(rb"<t>([^<]*)</t>", rb"<t>&xxe;</t>", data, count=1)


def _flip_in_member(src, dst, name: str, at: int = 40):
    """Damage the compressed bytes of one member (its deflate stream)."""
    raw = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(8):
        raw[start + at + k] ^= 0xFF
    dst.write_bytes(bytes(raw))
    return dst


def _crc_wrong(src, dst, name: str):
    """A stored member whose content no longer matches its CRC-32."""
    entries = []
    for n, data in members(src):
        e = stored(n, data)
        if n == name:
            e["data"] = data.replace(b"<v>1250</v>", b"<v>9250</v>", 1)
        entries.append(e)
    return raw_zip(dst, entries)


def _set_flag(src, dst, name: str, flag: int):
    entries = []
    for n, data in members(src):
        e = deflated(n, data)
        if n == name:
            e["flags"] = flag
        entries.append(e)
    return raw_zip(dst, entries)


def _many_members(src, dst, n: int):
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
        for info in z.infolist():
            out.writestr(info.filename, z.read(info.filename))
        for k in range(n):
            out.writestr(f"customXml/item{k}.xml", b"")
    return dst


def _duplicate(src, dst, name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return patched(src, dst, {}, add={name: b"<x/>"})


def _table_ref(ref: bytes):
    return {MSIGN_TABLE: sub(rb'ref="A6:H17"', b'ref="' + ref + b'"', count=2)}


# name -> (builder(template, tmp) -> path, the refusal's text (a regex on the one line))
CORPUS: dict[str, tuple] = {
    # --- not a workbook at all
    "text file": (lambda t, d: _write(d, b"Customer;Used\nAlpina;1250\n"),
                  r"is not an \.xlsx workbook \(not a valid zip file: File is not a zip file\)"),
    "empty file": (lambda t, d: _write(d, b""), r"not a valid zip file"),
    "cut in half": (lambda t, d: _write(d, t.read_bytes()[: t.stat().st_size // 2]),
                    r"not a valid zip file"),
    "password-protected (OLE)": (
        lambda t, d: _write(d, bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 4000),
        r"is encrypted \(password-protected\) or an old \.xls file"),
    "empty zip": (lambda t, d: raw_zip(d, []),
                  r"the part xl/workbook\.xml \(the workbook\) is missing"),
    "an .ods": (lambda t, d: raw_zip(d, [stored("mimetype", b"application/vnd.oasis."
                                                 b"opendocument.spreadsheet"),
                                          deflated("content.xml", b"<office:document/>")]),
                r"the part xl/workbook\.xml \(the workbook\) is missing"),
    # --- the zip's directory
    "encrypted member": (lambda t, d: _set_flag(t, d, MSIGN_SHEET, 0x1),
                         r"the member xl/worksheets/sheet3\.xml is encrypted"),
    "bzip2 member": (lambda t, d: patched(t, d, {}, method=zipfile.ZIP_BZIP2),
                     r"uses compression method 12; an \.xlsx uses deflate \(8\) or none \(0\)"),
    "10,001 members": (lambda t, d: _many_members(t, d, 10_001),
                       r"the zip holds 10,0\d\d members, more than the limit of 10,000"),
    "a member twice": (lambda t, d: _duplicate(t, d, BOOK),
                       r"the zip holds the member xl/workbook\.xml twice"),
    "1 GiB sheet bomb": (
        lambda t, d: template_with(t, d, {MSIGN_SHEET: bomb_entry(MSIGN_SHEET, 1024)}),
        r"it expands to 1,07\d,\d{3},\d{3} bytes \(1\.0 GiB\), more than the limit of "
        r"1,073,741,824 bytes \(1 GiB, --max-size\); xl/worksheets/sheet3\.xml alone is 1 GiB"),
    "256 MiB shared-strings bomb": (
        lambda t, d: template_with(t, d, {STRINGS: bomb_entry(STRINGS, 256)}),
        r"the member xl/sharedStrings\.xml expands 1,0\d\d : 1 \(\d+ KiB to 256 MiB\), more "
        r"than the limit of 100 : 1 for a member of 1 MiB or more: a zip bomb\?"),
    "a sheet lying about its size": (
        lambda t, d: template_with(t, d, {MSIGN_SHEET: bomb_entry(MSIGN_SHEET, 64,
                                                                  declared=20_000)}),
        r"the part xl/worksheets/sheet3\.xml is damaged \(its checksum \(CRC-32\) does not "
        r"match\): the file is corrupt or was cut short"),
    # --- damaged parts
    "bad CRC in a sheet": (lambda t, d: _crc_wrong(t, d, MSIGN_SHEET),
                           r"the part xl/worksheets/sheet3\.xml is damaged \(its checksum"),
    "corrupt deflate in a sheet": (lambda t, d: _flip_in_member(t, d, MSIGN_SHEET),
                                   r"the part xl/worksheets/sheet3\.xml is damaged \("),
    "corrupt deflate in the strings": (lambda t, d: _flip_in_member(t, d, STRINGS, at=100),
                                       r"the part xl/sharedStrings\.xml is damaged \("),
    "sheet not well-formed": (
        lambda t, d: patched(t, d, {MSIGN_SHEET: sub(rb"<v>1250</v></c>", b"<v>1250</c>")}),
        r"the part xl/worksheets/sheet3\.xml is not well-formed XML \(mismatched tag, line "
        r"\d+, column \d+\): the file is damaged"),
    "sheet cut short": (lambda t, d: patched(t, d, {MSIGN_SHEET: lambda b: b[: len(b) // 2]}),
                        r"the part xl/worksheets/sheet3\.xml is not well-formed XML"),
    "workbook.xml not well-formed": (
        lambda t, d: patched(t, d, {BOOK: sub(rb"<sheets>", b"<sheets><<")}),
        r"the part xl/workbook\.xml is not well-formed XML"),
    "table part not well-formed": (
        lambda t, d: patched(t, d, {MSIGN_TABLE: sub(rb'ref="A6:H17"', b'ref="A6:H17')}),
        r"the part xl/tables/table8\.xml is not well-formed XML"),
    "strings not well-formed": (
        lambda t, d: patched(t, d, {STRINGS: sub(rb"</si>", b"</sj>")}),
        r"the part xl/sharedStrings\.xml is not well-formed XML"),
    "undefined entity in a sheet": (
        lambda t, d: patched(t, d, {MSIGN_SHEET: sub(rb"<v>1250</v>", b"<v>&x;</v>")}),
        r"the part xl/worksheets/sheet3\.xml is not well-formed XML \(undefined entity"),
    # --- DTDs (no DTD is ever processed)
    "billion laughs in a sheet": (
        lambda t, d: patched(t, d, {MSIGN_SHEET: _laughs_in_cell}),
        r"the part xl/worksheets/sheet3\.xml declares a DOCTYPE \(a DTD, which can define "
        r"entities: billion laughs, external files\); Excel never writes one - refused"),
    "external entity in the strings": (
        lambda t, d: patched(t, d, {STRINGS: _xxe_in_string}),
        r"the part xl/sharedStrings\.xml declares a DOCTYPE"),
    "DOCTYPE in workbook.xml": (lambda t, d: patched(t, d, {BOOK: _doctype(XXE)}),
                                r"the part xl/workbook\.xml declares a DOCTYPE"),
    "DOCTYPE in a table": (lambda t, d: patched(t, d, {MSIGN_TABLE: _doctype(LAUGHS)}),
                           r"the part xl/tables/table8\.xml declares a DOCTYPE"),
    "DOCTYPE in the styles": (
        lambda t, d: patched(t, d, {"xl/styles.xml": _doctype(b'<!DOCTYPE s SYSTEM '
                                                              b'"http://127.0.0.1:9/s.dtd">')}),
        r"the part xl/styles\.xml declares a DOCTYPE"),
    "DOCTYPE in the relationships": (lambda t, d: patched(t, d, {BOOK_RELS: _doctype(XXE)}),
                                     r"the part xl/_rels/workbook\.xml\.rels declares a DOCTYPE"),
    # --- missing parts
    "no workbook.xml": (lambda t, d: patched(t, d, {BOOK: None}),
                        r"the part xl/workbook\.xml \(the workbook\) is missing"),
    "no workbook relationships": (
        lambda t, d: patched(t, d, {BOOK_RELS: None}),
        r"the part xl/_rels/workbook\.xml\.rels \(the workbook's relationships\) is missing"),
    "no mSign sheet part": (lambda t, d: patched(t, d, {MSIGN_SHEET: None}),
                            r"the sheet 'mSign' has no part \(xl/worksheets/sheet3\.xml is "
                            r"missing\)"),
    "no table part": (lambda t, d: patched(t, d, {MSIGN_TABLE: None}),
                      r"a Table of sheet 'mSign' has no part \(xl/tables/table8\.xml is "
                      r"missing\)"),
    "no sharedStrings part": (lambda t, d: patched(t, d, {STRINGS: None}),
                              r"the part xl/sharedStrings\.xml \(the shared strings\) is "
                              r"missing: the file is damaged"),
    "no sharedStrings, no relationship": (
        lambda t, d: patched(t, d, {STRINGS: None, BOOK_RELS: sub(
            rb'<Relationship Id="rId\d+" Type="[^"]*/sharedStrings" Target="[^"]*"/>', b"")}),
        r"Table Usage_mSign refers to shared strings but the workbook has no "
        r"sharedStrings part: the file is damaged"),
    "shared string index out of range": (
        lambda t, d: patched(t, d, {MSIGN_SHEET: sub(rb'(<c r="A7" s="\d+" t="s"><v>)\d+',
                                                     rb"\g<1>99999")}),
        r"cannot read its cells \(CalamineError: Cell string index not found in shared "
        r"strings table\)"),
    "no Usage_mSign table": (
        lambda t, d: patched(t, d, {MSIGN_RELS: sub(rb'<Relationship Id="rId2"[^>]*/>', b"")}),
        r"has no table Usage_mSign: is it a Tarifa template \(tarifa build\)\?"),
    # --- Table ranges
    "garbage Table range": (lambda t, d: patched(t, d, _table_ref(b"ZZZ")),
                            r"Table 'Usage_mSign' on sheet 'mSign': its range 'ZZZ' is not a "
                            r"range like A6:H17"),
    "reversed Table range": (lambda t, d: patched(t, d, _table_ref(b"H17:A6")),
                             r"its range H17:A6 is reversed \(the end before the start\)"),
    "header-only Table": (lambda t, d: patched(t, d, _table_ref(b"A6:H6")),
                          r"its range A6:H6 holds no data row \(only its header\)"),
    "Table on the whole sheet": (
        lambda t, d: patched(t, d, _table_ref(b"A1:XFD1048576")),
        r"it is 16,384 columns wide \(A1:XFD1048576\), more than the limit of 64"),
    "Table 65 columns wide": (lambda t, d: patched(t, d, _table_ref(b"A6:BM17")),
                              r"it is 65 columns wide \(A6:BM17\), more than the limit of 64"),
    "Table beyond the sheet": (lambda t, d: patched(t, d, _table_ref(b"A6:H1048577")),
                               r"its range A6:H1048577 lies outside the sheet"),
    "Table range and columns differ": (lambda t, d: patched(t, d, _table_ref(b"A6:G17")),
                                       r"its range A6:G17 is 7 columns wide but it names 8 "
                                       r"columns"),
    "Table without header row": (
        lambda t, d: patched(t, d, {MSIGN_TABLE: sub(rb' totalsRowShown="0"',
                                                     b' headerRowCount="0"')}),
        r"it has no header row; Tarifa finds columns by header"),
    "two Tables with one name": (
        lambda t, d: patched(t, d, {_table_part(t, b"Licences_eSign"): sub(
            rb'displayName="Licences_eSign"', b'displayName="USAGE_msign"')}),
        r"two Tables are named 'USAGE_msign' \(on sheets 'mSign' and 'eSign'\); Excel "
        r"requires unique names"),
    "Table name with a space": (
        lambda t, d: patched(t, d, {MSIGN_TABLE: sub(rb'displayName="Usage_mSign"',
                                                     b'displayName="Usage mSign"')}),
        r"'Usage mSign' is not a valid Table name"),
    # --- cells the reader cannot place
    "row without its number": (
        lambda t, d: patched(t, d, {MSIGN_SHEET: sub(rb'<row r="8"', b"<row")}),
        r"sheet 'mSign' has a row without its number \(r=\.\.\.\)"),
    "rows out of order": (
        lambda t, d: patched(t, d, {MSIGN_SHEET: sub(rb'<row r="9"', b'<row r="7"')}),
        r"sheet 'mSign' lists row 7 after row 8; Excel writes rows in order"),
    "cell without its reference": (
        lambda t, d: patched(t, d, {MSIGN_SHEET: sub(rb'<c r="F8" ', b"<c ")}),
        r"sheet 'mSign' has cells without their reference \(r=\.\.\.\) in Table Usage_mSign"),
    "cell of a far row inside the Table": (
        lambda t, d: patched(t, d, {MSIGN_SHEET: sub(rb'<c r="F8" ', b'<c r="F1048576" ')}),
        r"sheet 'mSign' holds a cell F1048576 among the rows of Table Usage_mSign \(6-17\): "
        r"the file is damaged"),
}


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


