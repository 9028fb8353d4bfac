"""`tarifa import` (issue 8, item 5): usage exports appended to a usage Table, headers in any
order and case, refused rows reported with line and reason, the inputs never changed, every
other part of the workbook byte for byte (Excel's dynamic-array metadata kept), the result
opening in openpyxl, billed by `tarifa bill` and recalculated by LibreOffice."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from addin.cli import main
from workbook import layout as L
from workbook import libreoffice
from workbook.billrun import price_month
from workbook.importer import ImportFailed, import_rows
from workbook.template import build, samples
from workbook.usage import read_template

MAY = dt.date(2025, 5, 1)
CSV = ("item;USED;Customer;month;included;Package\n"
       "transaction;1100;Nova d.o.o.;2025-05;1000;SMART\n"   # line 2: 100 x 0.27 = 27.00
       "user;7;Nova d.o.o.;2025-05-01;5;SMART\n"             # line 3: 2 x 6.00 = 12.00
       "user;abc;Nova d.o.o.;2025-05;5;SMART\n"              # line 4: refused
       ";;;;;\n"                                             # line 5: empty, skipped
       "onesign;49,90;Nova d.o.o.;2025-05;0;SMART\n"         # line 6: refused
       "onesign;3;Nova d.o.o.;3.5.2025;0;SMART\n"            # line 7: refused
       "onesign;3;Nova d.o.o. ;2025-05;0;SMART\n")           # line 8: refused (space)


@pytest.fixture()
def workbook(tmp_path):
    path = tmp_path / "my.xlsx"
    assert main(["new", str(path)]) == 0
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_csv_rows_appended_refused_rows_reported(workbook, tmp_path, capsys):
    src = tmp_path / "usage.csv"
    src.write_text(CSV, encoding="utf-8")
    before = digest(workbook), digest(src)
    out = tmp_path / "out.xlsx"
    capsys.readouterr()
    assert main(["import", str(workbook), str(src), "--table", "usage_msign", "-o",
                 str(out)]) == 2
    said = capsys.readouterr().out
    assert (digest(workbook), digest(src)) == before  # nothing changed in place
    first = 7 + len(samples.MSIGN_USAGE)  # header row 6, samples from row 7
    assert f"Imported 2 row(s) into table Usage_mSign (sheet mSign, rows {first}-{first + 1})" \
        in said
    assert "line 4: Used: text 'abc' where a number belongs" in said
    assert "line 6: Used: text '49,90'" in said and "decimal comma" in said
    assert "line 7: Month: '3.5.2025' is not a date" in said
    assert "line 8: Customer 'Nova d.o.o. ' has spaces" in said
    assert "left empty: Unit price, Note" in said and "1 empty line(s) skipped" in said
    ws = openpyxl.load_workbook(out)[L.MSIGN]
    assert ws.tables[L.MSIGN_USAGE.name].ref == f"A6:H{first + 1}"
    assert [c.value for c in ws[first]][:6] == ["Nova d.o.o.", dt.datetime(2025, 5, 1),
                                                "SMART", "transaction", 1100, 1000]
    # the new cells carry the column's format (a Month shows as a month, Used as a number)
    assert ws.cell(first, 2).number_format == ws.cell(first - 1, 2).number_format
    run = price_month(read_template(out), MAY)
    nova = run.customers["nova d.o.o."]
    # MS-1: (1100 - 1000) x 0.27 = 27.00; MS-5: (7 - 5) x 6.00 = 12.00
    assert [(ln.rule, ln.amount_cents) for ln in nova.lines] == [("MS-1", 2700), ("MS-5", 1200)]
    assert nova.totals.net_cents == 3900


def test_every_other_part_is_kept_byte_for_byte(workbook, tmp_path):
    src = tmp_path / "usage.csv"
    src.write_text(CSV, encoding="utf-8")
    out = tmp_path / "out.xlsx"
    report = import_rows(workbook, src, "Usage_mSign", out)
    assert report.imported == 2
    with zipfile.ZipFile(workbook) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
        changed = [n for n in a.namelist() if a.read(n) != b.read(n)]
        assert "xl/metadata.xml" in b.namelist()  # Excel's dynamic-array metadata
        sheet_before = a.read("xl/worksheets/sheet3.xml")
        sheet_after = b.read("xl/worksheets/sheet3.xml")
    table = [n for n in changed if n.startswith("xl/tables/")]
    assert sorted(changed) == sorted(["xl/worksheets/sheet3.xml", *table]) and len(table) == 1
    # every spilled formula keeps its cm attribute (without it Excel shows =@F())
    assert sheet_after.count(b'cm="1"') == sheet_before.count(b'cm="1"') > 0
    # the array formulas over the Table's rows cover the new rows (LibreOffice computes only
    # the stored range)
    last = 7 + len(samples.MSIGN_USAGE) + 1
    assert f'ref="J7:J{last}"'.encode() in sheet_after


def test_xlsx_export_headers_in_any_order_and_case(workbook, tmp_path):
    src = tmp_path / "export.xlsx"
    wb = xlsxwriter.Workbook(src)
    ws = wb.add_worksheet()
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, [" CUSTOMER ", "Item", "used", "Month", "Included"])
    ws.write_row(1, 0, ["Xlsx d.o.o.", "api", 1, None, 0])
    ws.write_datetime(1, 3, dt.datetime(2025, 5, 1), date)
    ws.write_row(2, 0, ["Xlsx d.o.o.", "onesign", "many", None, 0])
    ws.write_datetime(2, 3, dt.datetime(2025, 5, 1), date)
    wb.close()
    out = tmp_path / "out.xlsx"
    report = import_rows(workbook, src, "Usage_mSign", out)
    assert report.imported == 1
    assert [(r.line, r.reason) for r in report.refused] == [
        (3, "Used: text 'many' where a number belongs")]
    run = price_month(read_template(out), MAY)
    # MS-6: API rent 1 x 100.00
    assert run.customers["xlsx d.o.o."].totals.net_cents == 10000


def test_bad_headers_and_outputs_write_nothing(workbook, tmp_path, capsys):
    src = tmp_path / "usage.csv"
    src.write_text("Customer,Item,Usd\nA,user,3\n", encoding="utf-8")
    out = tmp_path / "out.xlsx"
    assert main(["import", str(workbook), str(src), "--table", "Usage_mSign", "-o",
                 str(out)]) == 1
    assert "'Usd'" in capsys.readouterr().err and not out.exists()
    with pytest.raises(ImportFailed, match="no table 'Nope'"):
        import_rows(workbook, src, "Nope", out)
    with pytest.raises(ImportFailed, match="Tariff_msign is not a usage table"):
        import_rows(workbook, src, "tariff_msign", out)
    with pytest.raises(ImportFailed, match="is the workbook"):
        import_rows(workbook, src, "Usage_mSign", workbook)
    src.write_text("Customer,Item,Used\nA,user,x\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="no row to import"):
        import_rows(workbook, src, "Usage_mSign", out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my.xlsx", "usage.csv"]


def _typed_below(tmp_path, gap: int) -> tuple[Path, int]:
    """The template with a row typed below the mSign Table (``gap`` empty rows between),
    saved without touching the Table's range, as LibreOffice or a program leaves it."""
    path = build(tmp_path / "T.xlsx").path
    wb = openpyxl.load_workbook(path)
    ws = wb[L.MSIGN]
    below = 7 + len(samples.MSIGN_USAGE) + gap
    for col, value in enumerate(("Typed d.o.o.", dt.datetime(2025, 5, 1), "SMART", "user",
                                 8, 5), start=1):
        ws.cell(below, col, value)
    wb.save(tmp_path / "Typed.xlsx")
    return tmp_path / "Typed.xlsx", below


def test_rows_typed_below_the_table_are_kept_and_appended_after(tmp_path):
    # A row typed directly below the Table is a row of it for tarifa bill and tarifa recalc
    # (workbook.reading.below): the import keeps it, appends after it, and the Table's range
    # then covers both. MS-5: (8 - 5) x 6.00 = 18.00 for the typed row, 3 x 6.00 = 18.00 for
    # the imported one.
    typed, below = _typed_below(tmp_path, gap=0)
    src = tmp_path / "u.csv"
    src.write_text("Customer,Item,Used,Month,Package\nImported d.o.o.,user,3,2025-05,SMART\n",
                   encoding="utf-8")
    report = import_rows(typed, src, "Usage_mSign", tmp_path / "out.xlsx")
    assert (report.first_row, report.last_row) == (below + 1, below + 1)
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")[L.MSIGN]
    assert ws.tables["Usage_mSign"].ref == f"A6:H{below + 1}"
    assert ws.cell(below, 1).value == "Typed d.o.o." and ws.cell(below + 1, 1).value == \
        "Imported d.o.o."
    run = price_month(read_template(tmp_path / "out.xlsx"), MAY)
    nets = {name: c.totals.net_cents for name, c in run.customers.items() if not c.held}
    assert nets["typed d.o.o."] == 1800 and nets["imported d.o.o."] == 1800  # keys casefolded


def test_values_below_the_table_after_an_empty_row_are_refused(tmp_path):
    # after an empty row, a value belongs to no Table: refused as tarifa bill and recalc refuse
    # it, never written over and never appended around
    typed, below = _typed_below(tmp_path, gap=1)
    src = tmp_path / "u.csv"
    src.write_text("Customer,Item,Used,Month\nA,user,3,2025-05\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match=f"mSign!A{below}:H{below}: values below the Table "
                                           "Usage_mSign after the empty row"):
        import_rows(typed, src, "Usage_mSign", tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_text_is_escaped_as_excel_does(workbook, tmp_path):
    src = tmp_path / "u.csv"
    src.write_text('Customer,Item,Used,Month,Note\n"Ctl\x01 & <co>",user,3,2025-05,_x0041_\n',
                   encoding="utf-8")
    out = tmp_path / "out.xlsx"
    import_rows(workbook, src, "Usage_mSign", out)
    row = 7 + len(samples.MSIGN_USAGE)
    xml = zipfile.ZipFile(out).read("xl/worksheets/sheet3.xml")
    assert re.search(rb"Ctl_x0001_ &amp; &lt;co&gt;", xml) and b"_x005F_x0041_" in xml
    t = read_template(out)[L.MSIGN_USAGE.name]
    assert t.rows[row - 7][0] == "Ctl\x01 & <co>" and t.rows[row - 7][-1] == "_x0041_"


@pytest.mark.skipif(not libreoffice.available(), reason="LibreOffice is not installed")
def test_libreoffice_recalculates_the_imported_rows(workbook, tmp_path):
    src = tmp_path / "usage.csv"
    src.write_text(CSV, encoding="utf-8")
    out = tmp_path / "out.xlsx"
    import_rows(workbook, src, "Usage_mSign", out)
    recalced = libreoffice.recalculate(out, tmp_path / "R.xlsx", timeout=170)
    ws = openpyxl.load_workbook(recalced, data_only=True)[L.MSIGN]
    first = 7 + len(samples.MSIGN_USAGE)
    assert [ws.cell(first, 10).value, ws.cell(first + 1, 10).value] == [27.0, 12.0]
    assert [ws.cell(first, 11).value, ws.cell(first + 1, 11).value] == ["OK", "OK"]


def test_sigkill_at_any_moment_leaves_the_old_output_whole(workbook, tmp_path):
    # issue 12: a killed import leaves OUT as it was or whole; the next run cleans up
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "big.csv"
    src.write_text("Customer,Month,Item,Used\n" + "".join(
        f"K {i % 50},2025-05,user,{3 + i % 7}\n" for i in range(40_000)), encoding="utf-8")
    out = tmp_path / "out.xlsx"
    out.write_bytes(workbook.read_bytes())
    old = out.read_bytes()
    cmd = [sys.executable, "-m", "addin.cli", "import", str(workbook), str(src), "--table",
           "Usage_mSign", "-o", str(out)]
    root = Path(__file__).resolve().parent.parent
    for delay in (0.3, 0.9, 1.5):
        p = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        data = out.read_bytes()
        if data != old:  # a whole new file, or the old one: never half
            assert len(read_template(out)[L.MSIGN_USAGE.name].rows) == \
                len(samples.MSIGN_USAGE) + 40_000
            old = data
    assert subprocess.run(cmd, cwd=root, capture_output=True).returncode == 0
    assert len(read_template(out)[L.MSIGN_USAGE.name].rows) == len(samples.MSIGN_USAGE) + 40_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "my.xlsx", "out.xlsx"]
