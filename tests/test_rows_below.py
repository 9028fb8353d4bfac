"""Rows written directly below a Table (openpyxl, LibreOffice: the Table's ref untouched) are
rows of the Table for `tarifa bill` exactly as for `tarifa recalc` (one rule:
workbook/reading/below.py); values below after an empty row are refused by both, naming the
cells. Amounts hand-checked against the price lists (rule IDs beside them)."""

from __future__ import annotations

import re

import openpyxl
import pytest

from addin.cli import main
from workbook.libreoffice import sizing
from workbook.template import samples
from workbook.usage import read_template

MAY = samples.MONTH
NEW = "Below d.o.o."


def written_below(template, path, rows: dict[str, dict[int, list[object]]]):
    """The template with ``rows`` ({sheet: {sheet row: values from column A}}) written by
    openpyxl, every Table's ref left as it was."""
    wb = openpyxl.load_workbook(template)
    refs = {t.displayName: t.ref for ws in wb.worksheets for t in ws.tables.values()}
    for sheet, by_row in rows.items():
        for r, values in by_row.items():
            for j, v in enumerate(values, start=1):
                if v is not None:
                    wb[sheet].cell(r, j, v)
    wb.save(path)
    again = openpyxl.load_workbook(path)
    assert {t.displayName: t.ref for ws in again.worksheets for t in ws.tables.values()} == refs
    return path


def bill(path, tmp_path, capsys):
    out = tmp_path / "bills.xlsx"
    code = main(["bill", str(path), "--month", "2025-05", "-o", str(out)])
    got = capsys.readouterr()
    return code, got.out, got.err, out


def customer_line(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(name))


def test_rows_directly_below_are_billed(template, tmp_path, capsys):
    # the mSign Table is A6:H17, the NENSI products Table A6:G11: rows 18-20 and 12 follow them
    path = written_below(template, tmp_path / "below.xlsx", {
        "mSign": {18: [samples.CEDRA, MAY, "SMART", "transaction", 1250, 1000, None, "below"],
                  19: [samples.CEDRA, MAY, "SMART", "onesign", 10, 0, None, "below"],
                  20: [samples.ALPINA, MAY, "SMART", "user", 6, 5, None, "below"]},
        "NENSI": {12: [samples.FARMALAB, "Product E", "active", MAY.replace(month=3), None,
                       10, "below"]}})
    code, text, _, out = bill(template, tmp_path, capsys)
    before_rows = int(re.search(r"\((\d+) usage rows\)", text)[1])
    farmalab_before = customer_line(text, samples.FARMALAB).split()
    code, text, err, out = bill(path, tmp_path, capsys)
    assert code == 2 and out.exists(), err  # 2: the sample's bad rows held, as always
    assert int(re.search(r"\((\d+) usage rows\)", text)[1]) == before_rows + 4
    # Cedra 188.42 (eSign, 4 lines) + MS-1 (1,250 - 1,000) x 0.27 = 67.50 + MS-2 10 x 0.69 =
    # 6.90 -> 262.82; VAT 22 % on the rate's net total 57.8204 -> 57.82
    assert re.search(r"Cedra GmbH \(sample\)\s+6\s+262\.82\s+57\.82\s+320\.64\s+ok", text), text
    # Alpina 117.00 (test_hostile) + MS-5 (6 - 5) users x 6.00 = 123.00; VAT 27.06
    assert re.search(r"Alpina d\.o\.o\. \(sample\)\s+5\s+123\.00\s+27\.06\s+150\.06\s+ok",
                     text), text
    # Farmalab + NE-10 10 products x 1.1140 = 11.14, one line more
    after = customer_line(text, samples.FARMALAB).split()
    k = len(samples.FARMALAB.split())
    assert int(after[k]) == int(farmalab_before[k]) + 1
    assert round(float(after[k + 1].replace(",", "")) - float(
        farmalab_before[k + 1].replace(",", "")), 2) == 11.14
    tables = read_template(path)
    t = tables["Usage_mSign"]
    assert (t.first_row, len(t.rows), t.sheet_row(len(t.rows) - 1)) == (7, 14, 20)
    assert t.rows[-1][:5] == [samples.ALPINA, t.rows[-1][1], "SMART", "user", 6]
    p = tables["Products_NENSI"]
    assert (len(p.rows), p.sheet_row(len(p.rows) - 1), p.rows[-1][1]) == (6, 12, "Product E")
    # tarifa recalc takes the same rows in (the same rule, workbook/reading/below.py)
    grown = {t.name: (t.r2, t.new_r2) for t in sizing.plan(path)[0]}
    assert grown["Usage_mSign"] == (17, 20) and grown["Products_NENSI"] == (11, 12)


def test_a_bad_row_below_is_a_bad_row_of_its_customer(template, tmp_path, capsys):
    path = written_below(template, tmp_path / "bad.xlsx", {
        "mSign": {18: [samples.ALPINA, MAY, "SMART", "transaction", -3, 0, None, "below"]}})
    code, text, _, out = bill(path, tmp_path, capsys)
    assert code == 2 and out.exists()
    assert re.search(r"^  mSign!18  Alpina d\.o\.o\. \(sample\): .*negative", text, re.M), text
    assert re.search(r"Alpina d\.o\.o\. \(sample\)\s+4\s+-\s+-\s+-\s+NOT BILLED: 1 bad row",
                     text), text


REFUSED = {
    # an empty row 18 between the Table (A6:H17) and the row: no Table's row
    "after an empty row": ({19: [samples.ALPINA, MAY, "SMART", "user", 6, 5]},
                           "mSign!A19:H19", 18, 17),
    # rows 18-19 are taken in; 21 and 23 lie after the empty row 20
    "after rows taken in": ({18: [NEW, MAY, "SMART", "user", 6, 5],
                             19: [NEW, MAY, "SMART", "user", 6, 5],
                             21: [None, None, None, None, None, None, None, "a note"],
                             23: [NEW]}, "mSign!A21:H23", 20, 19),
    # a far cell in the Table's columns costs one scan of the rows below, and is refused
    "far cell": ({1_048_576: ["far"]}, "mSign!A1048576:H1048576", 18, 17),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_values_after_an_empty_row_are_refused(name, template, tmp_path, capsys):
    rows, cells, empty, last = REFUSED[name]
    path = written_below(template, tmp_path / "stray.xlsx", {"mSign": rows})
    code, text, err, out = bill(path, tmp_path, capsys)
    message = (f"{cells}: values below the Table Usage_mSign after the empty row {empty} are "
               "outside the Table (Excel would not take them in either, and they would be "
               f"billed by no one): delete the empty row(s) so that they follow row {last}, "
               "or move them")
    assert (code, text) == (1, "")
    assert err == f"tarifa bill: {path}: {message}\n"
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["stray.xlsx"]
    with pytest.raises(sizing.SizingError) as e:  # tarifa recalc: the same line
        sizing.plan(path)
    assert str(e.value) == message


def test_cells_beside_the_table_below_it_are_not_its_rows(template, tmp_path, capsys):
    # right of the Table's columns (I, and far away XFD): never rows of the Table
    path = written_below(template, tmp_path / "beside.xlsx", {
        "mSign": {18: [None] * 8 + ["not a row"], 30: [None] * 8 + ["x"]}})
    code, text, _, _ = bill(path, tmp_path, capsys)
    assert code == 2
    assert re.search(r"Alpina d\.o\.o\. \(sample\)\s+4\s+117\.00\s+25\.74\s+142\.74\s+ok", text)
    assert len(read_template(path)["Usage_mSign"].rows) == 11
