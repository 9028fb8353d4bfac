"""Tables that grow (issue 8): rows added the ways users add them, recalculated by LibreOffice
through `tarifa recalc` (which fits the arrays to the Tables in its copy,
workbook.libreoffice.sizing), and every result cell and every Bill total compared with
`tarifa bill` (workbook.billrun.price_month) to the cent.

* openpyxl writes 5,000 rows below each usage Table without touching its definition (what a
  program, or a paste below the Table in LibreOffice, leaves);
* LibreOffice itself, through UNO: rows typed directly below a Table, rows inserted inside
  one (Insert Cells > Shift cells down over the Table's columns), saved as .xlsx.

The added rows belong to the sample customers and to new ones; the Bill sheet's totals grow
by exactly the added rows' amounts (priced on their own).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from udfs import excel_values as xv
from workbook import layout as L
from workbook import libreoffice
from workbook.billrun import price_month
from workbook.libreoffice import sizing
from workbook.template import build, samples
from workbook.template.picture import uno_python
from workbook.usage import read_template

needs_soffice = pytest.mark.skipif(
    not libreoffice.available(),
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui "
           "python3-uno libreoffice-script-provider-python (.ci/run does)")

ROWS = 5000
MAY = samples.MONTH
NEW = [f"Grow {i:02d} d.o.o. (sample)" for i in range(40)]
ERRORS = {"#VALUE!", "#NUM!", "#N/A", "#NAME?", "#REF!", "#DIV/0!", "#NULL!"}
ITEMS = ("transaction", "onesign", "user", "rekono_qes", "api", "storage_gb")


def who(i: int) -> str:
    """Added rows: every 5th for a sample customer (their totals grow), the rest new ones."""
    if i % 5:
        return NEW[i % len(NEW)]
    return (samples.ALPINA, samples.CEDRA, samples.FARMALAB, samples.SONCEK)[i // 5 % 4]


def added_rows(n: int = ROWS) -> dict[str, list[list[object]]]:
    """n rows per usage Table, all valid, in the sample month (hand-checkable kinds: MS-1/2/5/
    3/6/7, ES-4, ES-7/ES-11, NE-10, NE-6, NE-8/NE-11)."""
    d = dt.date
    return {
        "Usage_mSign": [[who(i), MAY, "SMART", ITEMS[i % 6], 100 + i % 37,
                         10.5 if ITEMS[i % 6] == "storage_gb" else 50, None, "added"]
                        for i in range(n)],
        "Licences_eSign": [[who(i), f"G-{i}", "business", 20, 1 + i % 5, d(2025, 5, 1 + i % 28),
                            d(2025, 5, 1), d(2025, 5, 31), None, "added"] for i in range(n)],
        # a subscription per pair of rows: subscribe, then buy electronic (ES-11, ES-7)
        "Ledger_eSign": [[who(i // 2 * 2), f"GL-{i // 2}", d(2025, 5, 2 + i % 2),
                          "subscribe" if i % 2 == 0 else "buy",
                          None if i % 2 == 0 else "electronic",
                          None if i % 2 == 0 else 1 + i % 9, 1 if i % 2 == 0 else None, None,
                          "added"] for i in range(n)],
        "Products_NENSI": [[who(i), f"P{i}", "active", d(2025, 1 + i % 4, 3), None, 1 + i % 3,
                            "added"] for i in range(n)],
        "Services_NENSI": [[who(i), ("forms", "view", "notify", "pharmacy")[i % 4],
                            d(2025, 5, 1 + i % 28), 1 + i % 2, None, "added"] for i in range(n)],
        "Charges_NENSI": [[who(i), d(2025, 5, 1 + i % 28),
                           ("entry", "export_detail", "export_codebook")[i % 3], 1 + i % 4,
                           i % 3 == 1 and i % 7 == 0, "added"] for i in range(n)],
        "Discounts_NENSI": [[c, "entry", "added: no tiers, no discount"] for c in NEW],
        "Bill_Customers": [[c, "added"] for c in NEW],
    }


def write_below(src: Path, dst: Path, rows: dict[str, list[list[object]]]) -> None:
    """openpyxl writes the rows directly below each Table, leaving its definition alone."""
    wb = openpyxl.load_workbook(src)
    for ws in wb.worksheets:
        for t in ws.tables.values():
            if t.name not in rows:
                continue
            c1, _r1, _c2, r2 = range_boundaries(t.ref)
            for i, row in enumerate(rows[t.name]):
                for j, v in enumerate(row):
                    if v is not None:
                        ws.cell(r2 + 1 + i, c1 + j, v)
    wb.save(dst)


def results_of(values, built, table: str, rows: int) -> dict[str, list[object]]:
    """Every result column of a Table as LibreOffice computed it, ``rows`` long."""
    out = {}
    for key, (sheet, r, c, j) in built.anchors.items():
        t, header = key.split(".", 1)
        if t != table:
            continue
        ws = values[sheet]
        out[header] = [ws.cell(r + 1 + i, c + 1 + j).value for i in range(rows)]
    return out


def same(lo: object, ours: object) -> bool:
    if xv.is_error(ours):
        return lo == xv.error_code(ours)
    if isinstance(ours, str):
        return (lo or "") == ours
    if isinstance(lo, (int, float)) and isinstance(ours, (int, float)):
        return round(float(lo) * 100) == round(float(ours) * 100)
    return lo == ours


LEDGER_HEADERS = ("Free electronic left", "Free qualified left", "Bought electronic left",
                  "Bought qualified left", "Licences held", "Cost")


def compare_all(values, built, run) -> int:
    """Every result cell equals tarifa bill's (the whole grown Tables); returns how many."""
    compared = 0
    for table, ours in run.results.items():
        n = len(next(iter(ours.values())))
        lo = results_of(values, built, table, n)
        for header, column in lo.items():
            if header in ours:
                want = ours[header]
            elif header == "Check":
                want = ours[[h for h in ours if h.endswith(".check")][0]]
            elif table == L.ESIGN_LEDGER.name and header in LEDGER_HEADERS:
                want = [row[LEDGER_HEADERS.index(header)] for row in ours["Ledger"]]
            else:
                continue
            for i, (a, b) in enumerate(zip(column, want, strict=True)):
                assert same(a, b), f"{table}.{header} row {i + 1}: LibreOffice {a!r}, " \
                                   f"tarifa bill {b!r}"
                compared += 1
    return compared


def bill_sheet(values) -> dict[str, dict[str, object]]:
    ws = values[L.BILL]
    header = [c.value for c in ws[L.CUSTOMERS.row + 1]]
    return {row[0]: dict(zip(header, row, strict=True))
            for row in ws.iter_rows(min_row=L.CUSTOMERS.row + 2, values_only=True) if row[0]}


def assert_bill_equals(sheet, run) -> int:
    n = 0
    for name, row in sheet.items():
        c = run.customers[name.casefold()]
        if c.held:
            assert row["Net"] in ERRORS and row["Gross"] in ERRORS, name
            continue
        t = c.totals
        assert round(row["Net"] * 100) == t.net_cents, name
        assert round(row["VAT"] * 100) == t.vat_cents, name
        assert round(row["Gross"] * 100) == t.gross_cents, name
        n += 1
    return n


# A contract's package (test data, not vendor data: the real quantities are not public) and
# an Estimate whose Included cells are empty: they come from the package (issue 8 item 6)
SMART = ["SMART", 49.90, 1000, 0, 0, 0, 5, 0, 10, 0]  # fee, then Included per msign.ITEMS
ESTIMATE_FROM_PACKAGE = {
    "Packages_mSign": [["MINI"], ["START"], SMART, ["ENTERPRISE"]],
    "Estimate_Items": [[r[0], r[1], None, None] for r in samples.ESTIMATE_ITEMS]}


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """The template with 5,000 rows written below each usage Table, recalculated."""
    folder = tmp_path_factory.mktemp("grow")
    built = build(folder / "Tarifa.xlsx", tables=ESTIMATE_FROM_PACKAGE)
    rows = added_rows()
    write_below(built.path, folder / "grown.xlsx", rows)
    messages: list[str] = []
    out = libreoffice.recalculate(folder / "grown.xlsx", folder / "recalc.xlsx", timeout=600,
                                  messages=messages)
    return built, rows, openpyxl.load_workbook(out, data_only=True), out, messages


@needs_soffice
def test_rows_written_below_every_table_are_taken_in_and_priced(grown):
    built, rows, values, out, messages = grown
    # tarifa recalc said what it fitted: each Table grown by its added rows
    for name, added in rows.items():
        assert any(f"{len(added)} row(s) typed below the Table {name} " in m
                   for m in messages), name
    run = price_month(read_template(out), MAY)
    # the recalculated copy's Tables hold the sample rows and every added row
    assert run.rows == sum(len(samples.TABLES[t.name]) + len(rows.get(t.name, []))
                           for t in L.USAGE_TABLES if t != L.CUSTOMERS)
    # ... the same as a template built with those rows in its Tables
    same_rows = {t.name: [*samples.TABLES[t.name], *rows.get(t.name, [])]
                 for t in L.USAGE_TABLES}
    again = build(out.with_name("direct.xlsx"), tables=same_rows)
    direct = price_month(read_template(again.path), MAY)
    assert {k: (c.held, c.totals.gross_cents) for k, c in direct.customers.items()} == \
        {k: (c.held, c.totals.gross_cents) for k, c in run.customers.items()}
    # every result cell of every grown Table equals tarifa bill, to the cent
    assert compare_all(values, built, run) >= 6 * ROWS * 3
    assert assert_bill_equals(bill_sheet(values), run) == 5 + len(NEW)


@needs_soffice
def test_totals_grow_by_exactly_the_added_rows_amounts(grown):
    _built, rows, values, out, _ = grown
    base = price_month(read_template(_built.path), MAY)
    only = build(out.with_name("only.xlsx"), tables={
        t.name: rows.get(t.name, []) for t in L.USAGE_TABLES})
    added = price_month(read_template(only.path), MAY)
    sheet = bill_sheet(values)
    for name in (samples.ALPINA, samples.CEDRA, samples.FARMALAB, samples.SONCEK):
        before = base.customers[name.casefold()].totals.net_cents
        plus = added.customers[name.casefold()].totals.net_cents
        assert plus > 0 and round(sheet[name]["Net"] * 100) == before + plus, name
    # MS-1 by hand: Alpina's first added row, 100 transactions with 50 included: 50 x 0.27
    assert added.results["Usage_mSign"]["Charge"][0] == 13.5
    for name in NEW:
        assert round(sheet[name]["Net"] * 100) == added.customers[name.casefold()
                                                                   ].totals.net_cents


def edit_in_libreoffice(src: Path, dst: Path, edits: list[dict], profile: Path) -> None:
    """tests/uno_edit.py in LibreOffice's own Python (python3-uno)."""
    script = Path(__file__).with_name("uno_edit.py")
    spec = dst.with_suffix(".json")
    spec.write_text(json.dumps(edits), encoding="utf-8")
    python = uno_python()
    if python is None:
        pytest.skip("no Python with LibreOffice's uno module (apt-get install python3-uno)")
    done = subprocess.run([python, str(script), str(profile), str(src), str(dst), str(spec)],
                          env=libreoffice.clean_env(), capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0 and dst.is_file(), done.stderr


def serial(day: dt.date) -> dict:
    return {"date": (day - dt.date(1899, 12, 30)).days}


@needs_soffice
def test_rows_typed_below_and_inserted_inside_tables_in_libreoffice(tmp_path):
    built = build(tmp_path / "Tarifa.xlsx")
    first = L.HEADER_ROW + 1
    below_msign = first + len(samples.MSIGN_USAGE)
    # MS-1: 1,100 transactions with 1,000 included = 100 x 0.27 = 27.00 (Borovnica);
    # MS-5: 8 users with 5 included = 3 x 6.00 = 18.00 (Alpina)
    typed = [[samples.BOROVNICA, serial(MAY), "START", "transaction", 1100, 1000, None, "t"],
             [samples.ALPINA, serial(MAY), "SMART", "user", 8, 5, None, "typed"]]
    # NE-8: 2 entries = 2 x 22.2790 = 44.56, inserted as the Table's 2nd row (Farmalab);
    # NE-11: 10 detail exports = 22.28 (Soncek)
    inserted = [[samples.FARMALAB, serial(dt.date(2025, 5, 9)), "entry", 2, False, "ins"],
                [samples.SONCEK, serial(dt.date(2025, 5, 9)), "export_detail", 10, False,
                 "inserted"]]
    # issue 8 item 6: a fee typed as text is an error, never ignored; a code of another price
    # list (mSign's transaction in the NENSI quote), typed below the Quote's lines, is an error
    # on its line
    _, fee_row, _ = L.NAMES["EstimateFee"]
    quote_below = L.QUOTE_LINES.row + 1 + len(samples.QUOTE_LINES)
    edits = [
        {"sheet": L.MSIGN, "type_at": below_msign, "rows": typed},
        {"sheet": L.CHARGES_SHEET, "insert_at": first + 1, "columns": 6, "rows": inserted},
        {"sheet": L.ESTIMATE, "type_at": fee_row, "rows": [[None, "49,90"]]},
        {"sheet": L.QUOTE, "type_at": quote_below, "rows": [["transaction", 10, "mSign"]]},
    ]
    edited = tmp_path / "edited.xlsx"
    edit_in_libreoffice(built.path, edited, edits, tmp_path / "uno-profile")
    out = libreoffice.recalculate(edited, tmp_path / "recalc.xlsx", timeout=300)
    values = openpyxl.load_workbook(out, data_only=True)
    run = price_month(read_template(out), MAY)
    assert run.rows == sum(len(samples.TABLES[t.name]) for t in L.USAGE_TABLES
                           if t != L.CUSTOMERS) + 4
    assert compare_all(values, built, run) >= 100
    assert assert_bill_equals(bill_sheet(values), run) == 5
    base = price_month(read_template(built.path), MAY)

    def net(r, name):
        return r.customers[name.casefold()].totals.net_cents

    assert net(run, samples.BOROVNICA) - net(base, samples.BOROVNICA) == 2700  # MS-1
    assert net(run, samples.ALPINA) - net(base, samples.ALPINA) == 1800  # MS-5
    assert net(run, samples.FARMALAB) - net(base, samples.FARMALAB) == 4456  # NE-8
    assert net(run, samples.SONCEK) - net(base, samples.SONCEK) == 2228  # NE-11
    charges = results_of(values, built, "Charges_NENSI", len(samples.NENSI_CHARGES) + 2)
    assert charges["Amount"][1:3] == [44.56, 22.28]  # where they were inserted
    est = values[L.ESTIMATE]
    assert est.cell(fee_row + 2, 2).value in ERRORS  # the fee used: #N/A
    assert est.cell(fee_row + 2, 3).value.startswith("the typed fee is not a number")
    assert est.cell(6, 2).value in ERRORS  # the monthly cost: never 154.80 without the fee
    quote = results_of(values, built, "Quote_Lines", len(samples.QUOTE_LINES) + 1)
    assert quote["Unit price"][-1] == "#VALUE!"
    assert quote["Check"][-1] == "Code transaction is not in the NENSI price list"
    assert quote["Unit price"][:-1] == [22.279, 1.114, 60, 2.228, 0.557]  # NE-8/10/1/11
    # the typed rows took the columns' formats: a month, EUR (issue 8 item 2)
    ws = openpyxl.load_workbook(out)[L.MSIGN]
    assert ws.cell(below_msign + 1, 2).number_format.replace("\\", "") == "yyyy-mm"
    assert "EUR" in ws.cell(below_msign + 2, 10).number_format


# --- sizing without LibreOffice ------------------------------------------------------------


def test_sizing_takes_rows_below_in_and_sizes_arrays_and_spill_refs(tmp_path):
    built = build(tmp_path / "Tarifa.xlsx")
    grown = tmp_path / "grown.xlsx"
    rows = {k: v[:3] for k, v in added_rows(3).items()}
    write_below(built.path, grown, rows)
    fitted = sizing.fit(grown)
    assert any("3 row(s) typed below the Table Usage_mSign taken into it (rows 18-20)" in n
               for n in fitted.notes)
    wb = openpyxl.load_workbook(grown)
    n = len(samples.MSIGN_USAGE) + 3
    assert wb[L.MSIGN].tables["Usage_mSign"].ref == f"A6:H{6 + n}"
    charge = wb[L.MSIGN]["J7"].value
    assert charge.ref == f"J7:J{6 + n}"
    bill = wb[L.BILL]["D7"].value.text  # the mSign column
    assert f"mSign!$J$7:$J${6 + n}" in bill and "ANCHORARRAY" not in bill.upper()


def test_sizing_refuses_rows_after_an_empty_row_naming_the_cells(tmp_path):
    built = build(tmp_path / "Tarifa.xlsx")
    wb = openpyxl.load_workbook(built.path)
    ws = wb[L.MSIGN]
    gap = 6 + len(samples.MSIGN_USAGE) + 3  # two empty rows, then a row
    ws.cell(gap, 1, samples.ALPINA)
    ws.cell(gap, 5, 10)
    wb.save(tmp_path / "gap.xlsx")
    with pytest.raises(sizing.SizingError, match=rf"mSign!A{gap}:H{gap}: values below the "
                                                 r"Table Usage_mSign after the empty row 18"):
        sizing.fit(tmp_path / "gap.xlsx")


def test_sizing_refuses_values_typed_into_the_results(tmp_path):
    built = build(tmp_path / "Tarifa.xlsx")
    wb = openpyxl.load_workbook(built.path)
    ws = wb[L.MSIGN]
    below = 6 + len(samples.MSIGN_USAGE) + 1
    ws.cell(below, 1, samples.ALPINA)
    ws.cell(below, 10, 99)  # J: the Charge column
    wb.save(tmp_path / "typed.xlsx")
    with pytest.raises(sizing.SizingError, match=rf"mSign!J{below}:J{below}: values typed "
                                                 r"into the results beside the Table"):
        sizing.fit(tmp_path / "typed.xlsx")


def test_sizing_refuses_a_dtd(tmp_path):
    built = build(tmp_path / "Tarifa.xlsx")
    bad = tmp_path / "dtd.xlsx"
    with zipfile.ZipFile(built.path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
            dst.writestr(info, data)
    with pytest.raises(sizing.SizingError, match="DTD"):
        sizing.fit(bad)


@needs_soffice
def test_estimate_takes_the_packages_fee_and_included_quantities(grown):
    # issue 8 item 6: SMART from Packages_mSign: fee 49.90, 1000 transactions, 0 OneSign,
    # 5 users, 10 GB included -> 500 x 0.27 + 20 x 0.69 + 1 x 6.00 + 0 = 154.80 (MS-1/2/5/7)
    # + 49.90 = 204.70 (the figure; the fee was ignored when typed as text before)
    built, _rows, values, _out, _ = grown
    ws = values[L.ESTIMATE]
    _, r, c = L.NAMES["EstimateFeeUsed"]
    assert ws.cell(r + 1, c + 1).value == 49.9
    assert ws.cell(r + 1, c + 2).value == "the package's fee (Tariffs)"
    included = results_of(values, built, "Estimate_Items", 4)["Included (used)"]
    assert included == [1000, 0, 5, 10]
    assert round(ws.cell(6, 2).value * 100) == 20470


def test_sizing_fills_a_calculated_column_into_rows_taken_in(tmp_path):
    # Estimate_Curve's Monthly cost is one formula per row (the chart reads the Table's
    # columns): a volume typed below the Table gets that formula, as in Excel
    built = build(tmp_path / "Tarifa.xlsx")
    wb = openpyxl.load_workbook(built.path)
    ws = wb[L.ESTIMATE]
    t = ws.tables[L.ESTIMATE_CURVE.name]
    c1, _r1, _c2, r2 = range_boundaries(t.ref)
    ws.cell(r2 + 1, c1, 6000)
    ws.cell(r2 + 2, c1, 7000)
    wb.save(tmp_path / "curve.xlsx")
    sizing.fit(tmp_path / "curve.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "curve.xlsx")[L.ESTIMATE]
    for r in (r2 + 1, r2 + 2):
        f = ws.cell(r, c1 + 1).value
        assert f.startswith('=MSIGN_OVERAGE("transaction",Estimate_Curve[[#This Row],'), f
        assert "ANCHORARRAY" not in f.upper() and "$F$10:$F$13" in f
    assert ws.tables[L.ESTIMATE_CURVE.name].ref.endswith(str(r2 + 2))


def test_sizing_shrinks_arrays_to_a_table_that_lost_rows(tmp_path):
    # rows deleted inside the Table (LibreOffice: Delete Cells > Shift cells up over its
    # columns): the arrays beside it are cut to its rows, their stale cells dropped
    built = build(tmp_path / "Tarifa.xlsx")
    wb = openpyxl.load_workbook(built.path)
    ws = wb[L.MSIGN]
    t = ws.tables["Usage_mSign"]
    last = 6 + len(samples.MSIGN_USAGE)
    t.ref = t.autoFilter.ref = f"A6:H{last - 2}"
    for c in range(1, 9):
        ws.cell(last - 1, c).value = ws.cell(last, c).value = None
    ws.cell(last, 10).value = 99.0  # a stale cached value inside the old array range
    wb.save(tmp_path / "shrunk.xlsx")
    fitted = sizing.fit(tmp_path / "shrunk.xlsx")
    assert f"mSign!J7: array formula sized to {last - 8} row(s) (was {last - 6})" in \
        fitted.notes
    ws = openpyxl.load_workbook(tmp_path / "shrunk.xlsx")[L.MSIGN]
    assert ws["J7"].value.ref == f"J7:J{last - 2}" and ws.cell(last, 10).value is None
