"""Broken and hostile workbooks (issue 12): `tarifa bill` refuses each with ONE line saying
what is wrong (and the limit), exit code 1, no traceback, and writes nothing -- or, where the
file is odd but readable (a far-away cell, a Table over a million empty rows), bills it at
the cost of its real rows.

Every file is made from the real template (``workbook.template.build``) by editing its parts
(tests/hostile_corpus.py); they are built once per session (conftest.py).
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
from tests.hostile_corpus import CORPUS, _table_ref
from tests.hostile_files import MIB, MSIGN_SHEET, bomb_entry, patched, sub, template_with
from workbook.reading import Limits, WorkbookError, check_workbook
from workbook.usage import read_template


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
    # 549755813888 bytes failed", exit 134; A1048576, in the Table's columns after an empty
    # row, is refused (tests/test_rows_below.py); right of them it is no row of the Table
    "I1048576": _far_cell(b"I1048576", 1048576),
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



# --- tarifa import: the workbook and an .xlsx export go through the same checks -----------


@pytest.mark.parametrize("name", ["1 GiB sheet bomb", "billion laughs in a sheet",
                                  "bad CRC in a sheet", "two Tables with one name"])
def test_import_refuses_a_hostile_workbook(name, corpus, tmp_path, capsys):
    export = tmp_path / "usage.csv"
    export.write_text("Customer,Month,Package,Item,Used,Included\n"
                      "Alpina,2025-05-01,SMART,transaction,120,100\n")
    out = tmp_path / "out" / "book.xlsx"
    out.parent.mkdir()
    code = main(["import", str(corpus[name]), str(export), "--table", "Usage_mSign", "-o",
                 str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    assert re.search(CORPUS[name][1], err), err
    assert os.listdir(out.parent) == []


@pytest.mark.parametrize(("name", "want"), [
    ("1 GiB sheet bomb", r"it expands to .* more than the limit of 1,073,741,824 bytes"),
    ("external entity in the strings", r"sharedStrings\.xml declares a DOCTYPE"),
    ("far cell", r"sheet 'Start' has a cell XFD1048576 beyond column BL, the last that is "
                 r"read \(64 columns\)"),
])
def test_import_refuses_a_hostile_export(name, want, corpus, template, tmp_path, capsys):
    """An .xlsx export is read as its first sheet: through workbook.reading too (calamine on
    a far cell alone: "memory allocation of 549755813888 bytes failed", exit 134)."""
    if name == "far cell":
        start = "xl/worksheets/sheet1.xml"
        export = patched(template, tmp_path / "export.xlsx", {start: sub(
            rb"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far'
                              b"</t></is></c></row></sheetData>")})
    else:
        export = corpus[name]
    out = tmp_path / "out" / "book.xlsx"
    out.parent.mkdir()
    code = main(["import", str(template), str(export), "--table", "Usage_mSign", "-o",
                 str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and len(err.splitlines()) == 1, err
    assert re.search(want, err), err
    assert os.listdir(out.parent) == []
