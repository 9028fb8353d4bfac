"""Broken and hostile workbooks (issue 12): `tarifa bill` refuses each with ONE line saying
what is wrong (and the limit), exit code 1, no traceback, and writes nothing -- or, where the
file is odd but readable (a far-away cell, a Table over a million empty rows), bills it at
the cost of its real rows.

Every file is made from the real template (``workbook.template.build``) by editing its parts
(tests/hostile_files.py); they are built once per session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import zipfile

import pytest

from addin.cli import main
from tests.hostile_files import (
    MIB,
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
from workbook.reading import Limits, WorkbookError, check_workbook
from workbook.template import build
from workbook.usage import read_template

BOOK, BOOK_RELS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"
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
    import warnings

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
        lambda t, d: patched(t, d, {"xl/tables/table9.xml": sub(
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


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    return build(tmp_path_factory.mktemp("hostile") / "Tarifa.xlsx").path


@pytest.fixture(scope="session")
def corpus(template, tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    return {name: make(template, folder / f"{k:02d}.xlsx")
            for k, (name, (make, _)) in enumerate(CORPUS.items())}


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 40


@pytest.mark.parametrize("name", list(CORPUS))
def test_bill_refuses_with_one_line(name, corpus, tmp_path, capsys):
    out = tmp_path / "out" / "bills.xlsx"
    out.parent.mkdir()
    code = main(["bill", str(corpus[name]), "--month", "2025-05", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"tarifa bill: {corpus[name]}"), lines[0]
    assert re.search(CORPUS[name][1], lines[0]), lines[0]
    assert "Traceback" not in err and "panicked" not in err
    assert os.listdir(out.parent) == []  # nothing written, no temporary file left


@pytest.mark.parametrize("name", [n for n in CORPUS if "bomb" in n or "DOCTYPE" in n
                                  or "laughs" in n or "entity" in n or "damaged" in n])
def test_recalc_checks_refuse_the_same(name, corpus):
    """`tarifa recalc` runs the same checks before LibreOffice sees the file."""
    with pytest.raises(WorkbookError):
        check_workbook(corpus[name])


def test_the_limit_is_an_option(template, tmp_path, capsys):
    out = tmp_path / "bills.xlsx"
    code = main(["bill", str(template), "--month", "2025-05", "-o", str(out),
                 "--max-size", "100K"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and not out.exists()
    assert re.fullmatch(r"tarifa bill: \S+: it expands to [\d,]+ bytes \(\d+ KiB\), more than "
                        r"the limit of 102,400 bytes \(100 KiB, --max-size\); "
                        r"xl/sharedStrings\.xml alone is \d+ KiB", err), err
    assert main(["bill", str(template), "--month", "2025-05", "-o", str(out),
                 "--max-size", "lots"]) == 1
    assert "--max-size 'lots': give a size such as 1G, 512M or 2000000" in \
        capsys.readouterr().err


# --- odd but readable: read at the cost of the Table's real rows ------------------------------


def _far_cell(ref: bytes, row: int):
    """A cell at ``ref`` in a new last row ``row`` of the mSign sheet."""
    return {MSIGN_SHEET: sub(rb"</sheetData>", b'<row r="%d"><c r="%s" t="inlineStr"><is><t>far'
                             b"</t></is></c></row></sheetData>" % (row, ref))}


FAR = {
    "XFD1048576": _far_cell(b"XFD1048576", 1048576),  # calamine alone: "memory allocation of
    "A1048576": _far_cell(b"A1048576", 1048576),  # 549755813888 bytes failed", exit 134
    "far column in a Table row": {MSIGN_SHEET: sub(rb'(<c r="H7" [^>]*>.*?</c>)',
                                                   rb'\1<c r="XFD7" t="inlineStr"><is><t>far'
                                                   rb"</t></is></c>")},
    "Table of 1,048,576 rows": _table_ref(b"A6:H1048576"),  # 11 of them used
}


@pytest.mark.parametrize("name", list(FAR))
def test_far_cells_cost_nothing(name, template, tmp_path, capsys):
    path = patched(template, tmp_path / "odd.xlsx", FAR[name])
    out = tmp_path / "bills.xlsx"
    code = main(["bill", str(path), "--month", "2025-05", "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 2 and out.exists()  # 2: the sample's bad rows are held, as always
    # the same bills as the template's: MS-1 250 x 0.27 + MS-2 40 x 0.69 + MS-5 2 x 6.00 +
    # MS-7 3 x 3.30 = 67.50 + 27.60 + 12.00 + 9.90 = 117.00 for Alpina
    assert re.search(r"Alpina d\.o\.o\. \(sample\)\s+4\s+117\.00\s+25\.74\s+142\.74\s+ok", text)
    t = read_template(path)["Usage_mSign"]
    assert (t.first_row, len(t.rows), t.headers[:2]) == (7, 11, ["Customer", "Month"])


# --- bounded by a test: a 1 GiB bomb in a subprocess ------------------------------------------

_MEASURE = textwrap.dedent("""
    import sys, time
    from addin.cli import main
    import addin.billing  # the command's imports (numpy, the functions) before the clock
    start = time.perf_counter()
    code = main(["bill", sys.argv[1], "--month", "2025-05", "-o", sys.argv[2]])
    seconds = time.perf_counter() - start
    # peak RSS of this process since its exec (ru_maxrss would carry the forking parent's)
    status = open("/proc/self/status").read()
    rss = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(f"{code} {seconds:.3f} {rss:.0f}")
""")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="measures VmHWM (Linux)")
def test_a_1_gib_bomb_is_refused_in_under_2_s_and_300_mb(corpus, tmp_path):
    bomb = corpus["1 GiB sheet bomb"]
    assert bomb.stat().st_size < 2 * MIB  # small on disk ...
    with zipfile.ZipFile(bomb) as z:  # ... 1 GiB expanded
        assert sum(i.file_size for i in z.infolist()) > 1 << 30
    out = tmp_path / "bills.xlsx"
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(bomb), str(out)],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.getcwd()})
    code, seconds, rss = done.stdout.split()
    print(f"bomb refused in {seconds} s, peak RSS {rss} MB (the whole process)")
    assert int(code) == 1 and not out.exists()
    assert "more than the limit of 1,073,741,824 bytes" in done.stderr
    assert "Traceback" not in done.stderr
    assert float(seconds) < 2.0
    assert float(rss) < 300


def test_limits_hold_for_a_bomb_below_the_total(template, tmp_path):
    """A 200 MiB member at 1000 : 1 under a 1 GiB total is refused by its ratio."""
    path = template_with(template, tmp_path / "b.xlsx", {MSIGN_SHEET: bomb_entry(MSIGN_SHEET,
                                                                                 200)})
    with pytest.raises(WorkbookError, match=r"expands 1,0\d\d : 1 .* a zip bomb\?"):
        read_template(path)
    # allowed the ratio, the declared size bounds what is inflated: 200 MiB of spaces is no
    # well-formed sheet, refused while inflating, never held whole
    with pytest.raises(WorkbookError, match=r"sheet3\.xml is not well-formed XML"):
        read_template(path, Limits(ratio=10_000))
