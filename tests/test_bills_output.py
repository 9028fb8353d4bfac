"""The bills workbook `tarifa bill` writes (issue 12): written by XlsxWriter so that any name
reads back, verified before it replaces anything, the old file's mode kept, Excel's limits
(rows per sheet, characters per cell) kept without losing a line, -0 read as 0, and a kill
at any moment leaves the old file whole."""

from __future__ import annotations

import datetime as dt
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine as pc

from addin.billing import bill_workbook
from addin.cli import main
from workbook import bills
from workbook.billrun import price_month
from workbook.template import build, samples
from workbook.usage import read_template

MAY = dt.date(2025, 5, 1)
ROOT = Path(__file__).resolve().parent.parent


def lines_sheet(path: Path, name: str = "Lines") -> list[tuple]:
    return list(openpyxl.load_workbook(path, read_only=True)[name].iter_rows(values_only=True))


@pytest.mark.parametrize("name", ["Ctl\x01 d.o.o.", "Tab\x1fEnd", "Lit _x0001_ d.o.o.",
                                  "Amp & <lt> \"q\""])
def test_control_characters_and_escapes_in_names_read_back(tmp_path, name):
    # MS-5: 3 users, 1 included -> 2 x 6.00 = 12.00 for the odd name
    rows = [*samples.MSIGN_USAGE, [name, MAY, "SMART", "user", 3, 1, None, "odd name"]]
    src = build(tmp_path / "T.xlsx", tables={"Usage_mSign": rows}).path
    out = tmp_path / "bills.xlsx"
    bill_workbook(src, MAY, out)
    known = {r[0] for r in samples.CUSTOMERS}
    assert len([r for r in lines_sheet(out)[1:] if r[0] not in known]) == 1  # openpyxl opens it
    # Excel's own reading of the escapes (_x0001_ is the character, a typed "_x0001_" is
    # written _x005F_x0001_): python-calamine reads them as Excel does
    wb = pc.CalamineWorkbook.from_path(str(out))
    mine = [r for r in wb.get_sheet_by_name("Lines").to_python()[1:] if r[0] not in known]
    # ... and the line's item code, Rec. 20 unit and billing period (issue 9 item 7)
    assert mine == [[name, "MS-5", "mSign user: 3 used, 1 included", 2.0, 6.0, 12.0, 22.0,
                     f"mSign!{7 + len(samples.MSIGN_USAGE)}", "user", "C62",
                     dt.date(2025, 5, 1), dt.date(2025, 5, 31)]]
    assert name in [r[0] for r in wb.get_sheet_by_name("Summary").to_python()]


def test_a_file_that_does_not_read_back_replaces_nothing(tmp_path, monkeypatch, capsys):
    src = build(tmp_path / "T.xlsx").path
    out = tmp_path / "bills.xlsx"
    out.write_bytes(b"previous bills")
    real = bills._write

    def corrupt(run, tmp, source, work, items=None):
        expected = real(run, tmp, source, work, items)
        with zipfile.ZipFile(tmp, "a") as z:  # what the hand-written XML once gave
            z.writestr("xl/worksheets/sheet9.xml", b"<worksheet><row r='1'>\x01</row>")
        return expected

    monkeypatch.setattr(bills, "_write", corrupt)
    code = main(["bill", str(src), "--month", "2025-05", "-o", str(out)])
    err = capsys.readouterr()
    assert code == 1
    assert "does not read back" in err.err and "nothing was replaced" in err.err
    assert "Written:" not in err.out and "Traceback" not in err.err
    assert out.read_bytes() == b"previous bills"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["T.xlsx", "bills.xlsx"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_the_old_files_mode_is_kept(tmp_path, mode):
    src = build(tmp_path / "T.xlsx").path
    out = tmp_path / "bills.xlsx"
    bill_workbook(src, MAY, out)
    os.chmod(out, mode)
    bill_workbook(src, MAY, out)
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_a_new_file_gets_a_documents_mode(tmp_path):
    src = build(tmp_path / "T.xlsx").path
    out = tmp_path / "new-bills.xlsx"
    bill_workbook(src, MAY, out)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask  # not a temp file's 0600


def test_a_cell_never_passes_excels_32767_characters(tmp_path):
    # a subscription name as long as a cell holds: the line's description adds to it
    long_name = "Z" * bills.CELL_CHARS
    licences = [list(r) for r in samples.ESIGN_LICENCES]
    licences[1][1] = long_name
    src = build(tmp_path / "T.xlsx", tables={"Licences_eSign": licences}).path
    out = tmp_path / "bills.xlsx"
    bill_workbook(src, MAY, out)
    rows = lines_sheet(out)
    longest = max(rows, key=lambda r: len(str(r[2])))
    assert bills.CELL_CHARS - 3 <= len(longest[2]) <= bills.CELL_CHARS
    assert longest[2].startswith("eSign licences, ZZZ")
    assert longest[2].endswith("more characters]") and " [... cut: " in longest[2]
    # the amount is untouched: ES-15, 3 licences x 5.00 x 12 x 230/365 = 113.42 (README)
    assert longest[5] == 113.42
    assert bills.text("a" * 32_767) == "a" * 32_767
    cut = bills.text("a" * 100_000)
    assert len(cut) == bills.CELL_CHARS and cut.endswith(
        f" [... cut: {100_000 - cut.index(' [')} more characters]")


def test_minus_zero_used_is_zero(tmp_path):
    # decision (issue 12): -0 is 0, as Excel shows and compares it; never "-0" on a bill
    rows = [*samples.MSIGN_USAGE, ["Nula d.o.o.", MAY, "SMART", "user", -0.0, 0, None, "-0"]]
    src = build(tmp_path / "T.xlsx", tables={"Usage_mSign": rows}).path
    run = price_month(read_template(src), MAY)
    (line,) = run.customers["nula d.o.o."].lines
    assert line.amount_cents == 0 and line.description == "mSign user: 0 used, 0 included"
    assert str(line.quantity) == "0.0"
    assert not run.customers["nula d.o.o."].held


def test_lines_past_a_sheet_go_to_more_sheets_never_cut(tmp_path, monkeypatch):
    # Excel's 1,048,576 rows, made 10 here: 22 sample lines + header -> 10 + 10 + 5 rows
    monkeypatch.setattr(bills, "SHEET_ROWS", 10)
    src = build(tmp_path / "T.xlsx").path
    out = tmp_path / "bills.xlsx"
    run = bill_workbook(src, MAY, out)
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Summary", "Lines", "Lines 2", "Lines 3", "Problems"]
    got = [r for name in ("Lines", "Lines 2", "Lines 3")
           for r in list(wb[name].iter_rows(values_only=True))[1:]]
    assert len(got) == 22 == sum(len(c.lines) for c in run.customers.values() if not c.held)
    assert [len(list(wb[n].iter_rows())) for n in ("Lines", "Lines 2", "Lines 3")] == [10, 10, 5]
    assert all(list(wb[n].iter_rows(values_only=True))[0][0] == "Customer"
               for n in ("Lines", "Lines 2", "Lines 3"))
    said = [r[0] for r in wb["Summary"].iter_rows(values_only=True)]
    assert any(s and "Lines, Lines 2, Lines 3" in s for s in said)


def test_sigkill_at_any_moment_leaves_the_old_file_whole(tmp_path):
    items = ["transaction", "onesign", "user"]
    rows = [[f"K {i % 50:02d}", MAY, "SMART", items[i % 3], 100 + i % 37, 50, None, ""]
            for i in range(10_000)]
    src = build(tmp_path / "Big.xlsx", tables={"Usage_mSign": rows}).path
    out = tmp_path / "bills.xlsx"
    bill_workbook(build(tmp_path / "T.xlsx").path, MAY, out)
    old = out.read_bytes()
    run = price_month(read_template(src), MAY)
    want = 1 + sum(len(c.lines) for c in run.customers.values() if not c.held)
    assert want > 10_000
    cmd = [sys.executable, "-m", "addin.cli", "bill", str(src), "--month", "2025-05", "-o",
           str(out), "--quiet"]
    for delay in (0.4, 1.0, 1.6, 2.2):
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        data = out.read_bytes()
        assert data == old or zipfile.ZipFile(out).testzip() is None  # old, or a whole new
        if data != old:
            assert len(lines_sheet(out)) == want
            old = data
    # the next run removes what a killed run left (its private folder), then writes
    assert subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode == 2  # bad samples
    assert len(lines_sheet(out)) == want
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Big.xlsx", "T.xlsx", "bills.xlsx"]
