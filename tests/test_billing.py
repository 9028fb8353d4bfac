"""`tarifa bill` on the template's sample rows: numbers checked by hand per rule ID, bad rows
reported, the input never touched, the output written atomically, 100k rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from addin.billing import bill_workbook, format_table
from addin.cli import main
from pricing import bill
from workbook import layout as L
from workbook.billrun import price_month
from workbook.template import build, samples
from workbook.usage import read_template

MAY = dt.date(2025, 5, 1)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build(tmp_path_factory.mktemp("bill") / "Tarifa.xlsx").path


@pytest.fixture(scope="module")
def run(template):
    return price_month(read_template(template), MAY)


def lines_of(run, customer):
    c = run.customers[customer.casefold()]
    return [(ln.rule, ln.quantity, ln.unit_price_e4, ln.amount_cents) for ln in c.lines]


def test_msign_lines_by_hand(run):
    # MS-1: 1250 - 1000 = 250 x 0.27 = 67.50; MS-2: 40 x 0.69 = 27.60; MS-5: 2 x 6.00 = 12.00;
    # MS-7: 12.4 - 10 = 2.4 GB -> 3 started GB x 3.30 = 9.90 (the April row is not billed)
    assert lines_of(run, samples.ALPINA) == [
        ("MS-1", 250, 2700, 6750), ("MS-2", 40, 6900, 2760), ("MS-5", 2, 60000, 1200),
        ("MS-7", 3, 33000, 990)]
    # within the package: 0.00; MS-3: 12 x 1.18 = 14.16; MS-6: 1 x 100.00
    assert lines_of(run, samples.BOROVNICA) == [
        ("MS-1", 0, 2700, 0), ("MS-3", 12, 11800, 1416), ("MS-6", 1, 1000000, 10000)]


def test_esign_lines_by_hand(run):
    # ES-4: 10 licences x 5.00 x 1 month, bought on the first day = 50.00
    # ES-15: 3 x 5.00 x 12 months x 230 / 365 days = 113.4246... -> 113.42
    # ES-7: 50 electronic x 0.30 = 15.00; 4 qualified x 2.50 = 10.00 (the "use" row costs 0)
    assert lines_of(run, samples.CEDRA) == [
        ("ES-15", 10, 50000, 5000), ("ES-15", 3, 50000, 11342),
        ("ES-7", 50, 3000, 1500), ("ES-7", 4, 25000, 1000)]


def test_nensi_lines_by_hand(run):
    got = lines_of(run, samples.FARMALAB)
    assert got == [
        ("NE-10", 40, 11140, 4456),   # 40 x 1.1140 = 44.56, entered in March
        ("NE-10", 1, 11140, 0),       # entered 3 May: first charged in June
        ("NE-10", 2, 11140, 223),     # record only, activated in April: 2.228 -> 2.23
        ("NE-10", 1, 11140, 0),       # record only, not activated: no maintenance yet
        ("NE-1", 2, 600000, 8000),    # NE-6: 2 x 60 x (13 - 5) / 12 = 80.00
        ("NE-8", 1, 222790, 2228),    # 22.2790 -> 22.28
        ("NE-11", 30, 22280, 0),      # the holder's own products: no export charge
        ("NE-10", 2, 222790, 4456),   # activation 2 x 22.2790 = 44.558 -> 44.56
    ]
    assert lines_of(run, samples.SONCEK) == [
        ("NE-5", 1, 2400000, 16000),  # NE-6: 240 x 8 / 12 = 160.00
        ("NE-11", 30, 22280, 6684),   # 30 x 2.2280
        ("NE-11", 5, 5570, 279),      # 5 x 0.5570 = 2.785 -> 2.79 (half-up, once per line)
    ]


def test_record_only_product_without_activation_is_zero_and_listed(run):
    # NE-10 decision: no maintenance before activation (the 0 is the amount, not an error)
    res = run.results[L.NENSI_PRODUCTS.name]
    assert res["Maintenance"][3] == 0.0 and res["Maintenance.check"][3] == "OK"


def test_totals_per_vat_rate_by_hand(run):
    totals = {c.customer: c.totals for c in run.customers.values() if not c.held}
    t = totals[samples.ALPINA]
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (11700, 2574, 14274)  # 22 % of 117.00
    t = totals[samples.SONCEK]
    # 160.00 + 66.84 + 2.79 = 229.63; VAT on the total: 50.5186 -> 50.52 (BR-CO-17)
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (22963, 5052, 28015)
    assert totals[samples.CEDRA].net_cents == 5000 + 11342 + 1500 + 1000


def test_bad_rows_reported_with_row_and_reason_and_customer_held(run):
    bad = run.customers[samples.BAD.casefold()]
    assert bad.held and bad.lines == []
    where = {(p.sheet, p.row): p.reason for p in run.problems}
    assert len(run.problems) == 9
    assert all(p.customer == samples.BAD for p in run.problems)
    first = 7  # data rows of the usage sheets start on row 7
    assert where[("mSign", first + 8)].startswith("MS-7")
    assert "sms" in where[("mSign", first + 9)]
    assert "negative" in where[("mSign", first + 10)]
    assert where[("eSign", first + 2)].startswith("ES-5")
    assert where[("eSign", first + 3)].startswith("ES-3")
    assert any(r.startswith("ES-8") for r in where.values())
    assert any("3.5.2025" in r for r in where.values())
    assert any("webforms" in r for r in where.values())
    assert any("whole number" in r for r in where.values())
    # good customers are not affected by another customer's bad rows
    assert not run.customers[samples.ALPINA.casefold()].held


def test_cli_prints_table_writes_bills_and_leaves_input_alone(template, tmp_path, capsys):
    before = hashlib.sha256(template.read_bytes()).hexdigest()
    out = tmp_path / "bills.xlsx"
    code = main(["bill", str(template), "--month", "2025-05", "-o", str(out)])
    assert code == 2  # bills written, the bad-input sample customer held back
    text = capsys.readouterr().out
    assert re.search(r"Alpina d\.o\.o\. \(sample\)\s+4\s+117\.00\s+25\.74\s+142\.74", text)
    assert "NOT BILLED: 9 bad row(s)" in text and "mSign!15" in text
    assert hashlib.sha256(template.read_bytes()).hexdigest() == before
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Summary", "Lines", "Problems"]
    lines = list(wb["Lines"].iter_rows(values_only=True))
    assert lines[0][:6] == ("Customer", "Rule", "Description", "Quantity", "Unit price",
                            "Amount")
    assert (samples.SONCEK, "NE-11", 5.0, 0.557, 2.79) == (
        lines[-1][0], lines[-1][1], lines[-1][3], lines[-1][4], lines[-1][5])
    assert len(lines) == 1 + 22
    problems = list(wb["Problems"].iter_rows(values_only=True))
    assert len(problems) == 1 + 9


def test_refuses_to_write_over_the_input(template, tmp_path):
    copy = tmp_path / "Tarifa.xlsx"
    shutil.copyfile(template, copy)
    data = copy.read_bytes()
    with pytest.raises(ValueError, match="over the input"):
        bill_workbook(copy, MAY, copy)
    with pytest.raises(ValueError, match="over the input"):
        bill_workbook(copy, MAY, tmp_path / "sub" / ".." / "Tarifa.xlsx")
    assert main(["bill", str(copy), "--month", "2025-05", "-o", str(copy)]) == 1
    assert copy.read_bytes() == data


def test_output_written_atomically(template, tmp_path, monkeypatch):
    out = tmp_path / "bills.xlsx"
    out.write_bytes(b"previous bills")

    def broken(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("workbook.bills.verify", broken)
    with pytest.raises(RuntimeError):
        bill_workbook(template, MAY, out)
    assert out.read_bytes() == b"previous bills"  # the old file, never half a new one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bills.xlsx"]  # no temp left
    monkeypatch.undo()
    bill_workbook(template, MAY, out)
    assert zipfile.is_zipfile(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bills.xlsx"]


def test_bad_month_and_missing_tables(template, tmp_path, capsys):
    assert main(["bill", str(template), "--month", "May", "-o", str(tmp_path / "b.xlsx")]) == 1
    assert "YYYY-MM" in capsys.readouterr().err
    other = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.save(other)
    assert main(["bill", str(other), "--month", "2025-05", "-o", str(tmp_path / "b.xlsx")]) == 1
    assert "no table" in capsys.readouterr().err


def test_month_without_usage_bills_nothing(template, tmp_path):
    run = bill_workbook(template, dt.date(2024, 1, 1), tmp_path / "b.xlsx")
    # only NENSI maintenance is billed every month; products entered later give 0.00 lines
    assert all(ln.amount_cents == 0 for c in run.customers.values() for ln in c.lines)
    assert "Total billed" in format_table(run)


def test_an_error_cell_in_an_input_is_a_bad_row_not_a_default(tmp_path):
    # 'Included' holding #N/A must not be read as empty (= 0 included: overcharging)
    path = build(tmp_path / "T.xlsx").path
    patched = tmp_path / "P.xlsx"
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(patched, "w") as out:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == "xl/worksheets/sheet3.xml":  # mSign
                data, n = re.subn(rb'<c r="F7"( s="\d+")?><v>1000</v></c>',
                                  rb'<c r="F7"\1 t="e"><f>NA()</f><v>#N/A</v></c>', data)
                assert n == 1
            out.writestr(info, data)
    run = price_month(read_template(patched), MAY)
    problem = [p for p in run.problems if (p.sheet, p.row) == ("mSign", 7)]
    assert problem and "#N/A" in problem[0].reason
    assert run.customers[samples.ALPINA.casefold()].held


def test_customer_not_on_the_bill_sheet_is_still_billed(tmp_path):
    rows = [*samples.MSIGN_USAGE, ["Nova d.o.o.", MAY, "MINI", "user", 3, 1, None, "sample"]]
    path = build(tmp_path / "T.xlsx", tables={"Usage_mSign": rows}).path
    run = price_month(read_template(path), MAY)
    nova = run.customers["nova d.o.o."]
    assert not nova.on_bill_sheet and nova.totals.net_cents == 1200  # MS-5: 2 x 6.00


def test_vat_rate_from_the_workbook(tmp_path):
    # the VAT table holds the rates: one changed rate changes that price list's VAT only
    run = price_month(read_template(build(tmp_path / "T.xlsx").path), MAY)
    assert {ln.vat_rate for c in run.customers.values() for ln in c.lines} == {"22"}
    assert bill.normalize_rate("22") == "22"


def test_100k_rows(tmp_path):
    items = ["transaction", "onesign", "user", "rekono_qes", "api", "storage_gb"]
    n = 100_000
    rows = [[f"Customer {i % 500:03d}", MAY, "SMART", items[i % 6], 100 + i % 37, 50, None,
             "sample"] for i in range(n)]
    path = build(tmp_path / "Big.xlsx", tables={"Usage_mSign": rows}).path
    start = time.perf_counter()
    run = bill_workbook(path, MAY, tmp_path / "bills.xlsx")
    seconds = time.perf_counter() - start
    billed = sum(len(c.lines) for c in run.customers.values() if not c.held)
    msign_lines = sum(t == "Usage_mSign" for c in run.customers.values() if not c.held
                      for t in c.tables)
    assert msign_lines == n  # every row billed, none lost
    # customer 000 (rows i = 0, 500, 1000, ...): i % 6 and i % 37 decide the line; by hand the
    # total is the sum of (100 + i % 37 - 50) x price over its 200 rows
    prices = {"transaction": 27, "onesign": 69, "user": 600, "rekono_qes": 118, "api": 10000,
              "storage_gb": 330}
    want = sum((50 + i % 37) * prices[items[i % 6]] for i in range(0, n, 500))
    assert run.customers["customer 000"].totals.net_cents == want
    assert billed >= n
    assert seconds < 120  # a guard against a hang only: timings are bench/bill.py's (shared box)
    assert Decimal(want) > 0


def test_a_priced_row_without_customer_is_reported(tmp_path):
    rows = [*samples.MSIGN_USAGE, [None, MAY, "SMART", "user", 9, 1, None, "sample"]]
    path = build(tmp_path / "T.xlsx", tables={"Usage_mSign": rows}).path
    run = price_month(read_template(path), MAY)
    row = 7 + len(samples.MSIGN_USAGE)
    assert [p.reason for p in run.problems if p.row == row and p.sheet == "mSign"] == [
        "Customer is empty: whom should this row be billed to?"]


def test_an_error_cell_in_the_price_table_stops_the_run(tmp_path):
    path = build(tmp_path / "T.xlsx").path
    patched = tmp_path / "P.xlsx"
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(patched, "w") as out:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":  # Tariffs: a price becomes #REF!
                data, n = re.subn(rb'(<c r="B\d+" s="\d+")><v>0.27</v></c>',
                                  rb'\1 t="e"><f>#REF!</f><v>#REF!</v></c>', data, count=1)
                assert n == 1
            out.writestr(info, data)
    with pytest.raises(ValueError, match="holds #REF!"):
        price_month(read_template(patched), MAY)
    assert main(["bill", str(patched), "--month", "2025-05", "-o", str(tmp_path / "b.xlsx")]) \
        == 1


def _priced(tmp_path, month=MAY, **tables):
    return price_month(read_template(build(tmp_path / "T.xlsx", tables=tables).path), month)


def test_a_charge_without_date_is_reported_in_every_month_never_billed(tmp_path):
    # Lekarna's 30 detail exports (NE-11, 66.84) without a Date: no month can be chosen for
    # them, so every month's run reports the row and holds Lekarna back; never billed twice
    charges = [list(r) for r in samples.NENSI_CHARGES]
    charges[3][1] = None
    for month in (MAY, dt.date(2025, 6, 1), dt.date(2031, 1, 1)):
        run = _priced(tmp_path, month, Charges_NENSI=charges)
        soncek = run.customers[samples.SONCEK.casefold()]
        assert soncek.held, month
        assert [p.reason for p in soncek.problems] == [
            "Date is empty - which month is this row? Enter a date (the Bill sheet bills "
            "only date cells)"]
        assert 6684 not in [ln.amount_cents for ln in soncek.lines]


def test_a_date_typed_as_text_is_no_billing_date(tmp_path):
    # the functions read ISO text as a date, but the Bill sheet's SUMIFS cannot match text:
    # tarifa bill reports the row, so both hold the customer back (MS-9: which month?)
    usage = [list(r) for r in samples.MSIGN_USAGE]
    usage[5][1] = "2025-05-01"  # Borovnica, within the package
    run = _priced(tmp_path, Usage_mSign=usage)
    assert [(p.sheet, p.row, p.reason) for p in run.problems if p.customer == samples.BOROVNICA
            ] == [("mSign", 12, "Month holds text '2025-05-01', not a date cell - which month "
                   "is this row? Enter a date (the Bill sheet bills only date cells)")]
    assert run.results["Usage_mSign"]["Billed in"][5] == L.UNDATED
    assert run.results["Usage_mSign"]["Billed in"][0] == dt.datetime(2025, 5, 1)


def test_a_month_before_the_nensi_price_list_bills_without_a_price(tmp_path, template):
    # NENSI's list is valid from 2019-12-01: in November 2019 no product is due (all entered
    # later, NE-10), every maintenance is 0.00 and needs no price; the run does not crash
    run = price_month(read_template(template), dt.date(2019, 11, 1))
    lines = [ln for c in run.customers.values() for ln in c.lines if ln.rule == "NE-10"]
    assert lines and all((ln.amount_cents, ln.unit_price_e4) == (0, 0) for ln in lines)


def test_an_empty_maintenance_price_makes_due_products_problems(template):
    # NE-10 maintenance 1.1140 emptied in the workbook's NENSI Table: the products due in May
    # cannot be priced (an error, never 0) and hold their customer back; no crash
    tables = read_template(template)
    t = tables["Tariff_nensi_2019"]
    code, price = t.index("Code"), t.index("Unit price")
    for row in t.rows:
        if row[code] == "maintenance":
            row[price] = ""
    run = price_month(tables, MAY)
    farmalab = run.customers[samples.FARMALAB.casefold()]
    assert farmalab.held
    assert any("maintenance" in p.reason for p in farmalab.problems)


def test_ledger_kind_may_be_written_as_its_price_code(tmp_path):
    # ES-7: 'signature_electronic' is the same kind as 'electronic': 50 x 0.30 = 15.00
    ledger = [list(r) for r in samples.ESIGN_LEDGER]
    kinds = L.ESIGN_LEDGER.headers.index("Kind")
    for r in ledger:
        if r[kinds] == "electronic":
            r[kinds] = "signature_electronic"
    run = _priced(tmp_path, Ledger_eSign=ledger)
    assert ("ES-7", 50, 3000, 1500) in lines_of(run, samples.CEDRA)


def test_annual_services_are_renewed_in_full_each_january(template):
    # NE-6 decision: the first year prorated in the start month, renewals in full each January
    tables = read_template(template)
    jan26 = price_month(tables, dt.date(2026, 1, 1))
    renewals = {c.customer: [(ln.rule, ln.quantity, ln.amount_cents) for ln in c.lines
                             if "renewal" in ln.description]
                for c in jan26.customers.values()}
    assert renewals[samples.FARMALAB] == [("NE-1", 2, 12000)]  # forms: 2 users x 60.00
    assert renewals[samples.SONCEK] == [("NE-5", 1, 24000),    # pharmacy 240.00
                                        ("NE-2", 1, 6000)]     # view 60.00, ends 2026-12-31
    jan27 = price_month(tables, dt.date(2027, 1, 1))
    assert [ln.amount_cents for ln in jan27.customers[samples.SONCEK.casefold()].lines
            if "renewal" in ln.description] == [24000]  # view ended 2026-12-31: not renewed
    # no renewal outside January, nor in the start year's January (the first-year fee)
    for month in (dt.date(2025, 1, 1), dt.date(2026, 2, 1), MAY):
        run = price_month(tables, month)
        assert not any("renewal" in ln.description for c in run.customers.values()
                       for ln in c.lines), month


def test_an_end_date_typed_as_text_is_an_error(tmp_path):
    services = [list(r) for r in samples.NENSI_SERVICES]
    services[0][4] = "31.12.2026"
    run = _priced(tmp_path, Services_NENSI=services)
    farmalab = run.customers[samples.FARMALAB.casefold()]
    assert farmalab.held
    assert [p.reason for p in farmalab.problems] == [
        "End date holds text '31.12.2026', not a date cell"]


def test_ne12_scope_discounts_every_service_billed_in_the_month(tmp_path):
    # NE-12 scope (RULES.md decision): maintenance and annual fees are discounted too, from
    # the tiers the user entered. Farmalab in May: forms, 2 units started 10 May, 80.00 ->
    # 10 % = 8.00; maintenance of 40 + 2 products maintained (Product B, entered in May, has
    # 0.00 and is not counted): 44.56 + 2.23 = 46.79 -> 5 % = 2.3395 -> 2.34. A tier for
    # 'pharmacy' where Farmalab has none gives no discount, not an error (0 in the month)
    tiers = [["forms", 1, 10], ["maintenance", 10, 5], ["pharmacy", 1, 3]]
    discounts = [*samples.NENSI_DISCOUNTS, [samples.FARMALAB, "forms", "sample"],
                 [samples.FARMALAB, "maintenance", "sample"],
                 [samples.FARMALAB, "pharmacy", "none this month"]]
    run = _priced(tmp_path, Discounts_NENSI=discounts, DiscountTiers_NENSI=tiers)
    res = run.results["Discounts_NENSI"]
    assert res["Month quantity"] == [30.0, 2.0, 42.0, 0.0]
    assert res["Month amount"] == [66.84, 80.00, 46.79, 0.0]
    assert res["Discount"] == [0.0, 8.00, 2.34, 0.0]
    farmalab = run.customers[samples.FARMALAB.casefold()]
    assert not farmalab.held
    assert [ln.amount_cents for ln in farmalab.lines if ln.rule == "NE-12"] == [-800, -234]


def test_a_discount_listed_twice_is_refused_not_given_twice(tmp_path):
    # NE-12: the month's discount of a customer's code once; a second row for the same
    # customer and code would discount the month twice: both rows are errors with the reason
    discounts = [*samples.NENSI_DISCOUNTS, [samples.SONCEK.upper(), "export_detail", "again"]]
    run = _priced(tmp_path, Discounts_NENSI=discounts)
    assert run.results["Discounts_NENSI"]["Month quantity"] == [L.DISCOUNT_TWICE] * 2
    soncek = run.customers[samples.SONCEK.casefold()]
    assert soncek.held and len(soncek.problems) == 2
    assert not any(ln.rule == "NE-12" for ln in soncek.lines)


def test_a_record_only_product_not_activated_still_checks_its_entry_date(tmp_path):
    # NE-10 decision: no maintenance before activation (0.00), but an entry date typed as
    # '3.5.2025' is still an error now, not only once the product is activated
    products = [list(r) for r in samples.NENSI_PRODUCTS]
    products[3][3] = "3.5.2025"  # Product D, record only, not activated
    run = _priced(tmp_path, Products_NENSI=products)
    res = run.results["Products_NENSI"]
    assert res["Maintenance"][3]["type"] == "Error"
    assert res["Maintenance.check"][3].startswith("entry_date: text '3.5.2025'")
    assert res["Maintenance"][2] == 2.23 and res["Maintenance.check"][2] == "OK"
    assert run.customers[samples.FARMALAB.casefold()].held


def test_numbers_that_are_no_dates_hold_the_customer(tmp_path):
    # a Month 0 (a formula pointing at an empty cell) or 20250501 (typed yyyymmdd) is no
    # Excel day: "not a date", reported (MS-9: which month?); an End date 0 is no date either
    # (NE-6: a renewal cannot be decided): reported, never read as "ended long ago"
    usage = [*samples.MSIGN_USAGE,
             [samples.BOROVNICA, 0, "START", "user", 3, 1, None, "Month 0"],
             [samples.ALPINA, 20250501, "SMART", "user", 3, 1, None, "yyyymmdd"]]
    services = [list(r) for r in samples.NENSI_SERVICES]
    services[2][4] = 0
    run = _priced(tmp_path, Usage_mSign=usage, Services_NENSI=services)
    reasons = {p.customer: p.reason for p in run.problems if p.customer != samples.BAD}
    assert reasons[samples.BOROVNICA].startswith("Month is not a date")
    assert reasons[samples.ALPINA].startswith("Month is not a date")
    assert reasons[samples.SONCEK] == "End date is not a date (1900-01-01 .. 9999-12-31)"
    assert run.results["Usage_mSign"]["Billed in"][-2:] == [L.UNDATED, L.UNDATED]


def test_a_customer_id_typed_as_a_number_is_the_same_customer(tmp_path):
    # SUMIFS matches the number 1001 with the text "1001"; so does tarifa bill (MS-5: 6.00)
    usage = [[1001.0, MAY, "MINI", "user", 2, 1, None, "id as number"],
             ["1001", MAY, "MINI", "user", 2, 1, None, "id as text"]]
    run = _priced(tmp_path, Usage_mSign=usage, Bill_Customers=[[1001.0, "id"]])
    c = run.customers["1001"]
    assert c.customer == "1001" and c.on_bill_sheet and c.totals.net_cents == 1200


def test_quiet_prints_nothing_but_the_held_line(template, tmp_path, capsys):
    out = tmp_path / "bills.xlsx"
    assert main(["bill", str(template), "--month", "2025-05", "-o", str(out), "--quiet"]) == 2
    said = capsys.readouterr()
    assert said.out == ""
    assert said.err.count("\n") == 1 and "9 bad row(s)" in said.err and str(out) in said.err
    assert main(["bill", str(template), "--month", "2025-05", "-o", str(out)]) == 2
    assert "Alpina" in capsys.readouterr().out  # without --quiet: the table


def test_usage_rows_count_leaves_out_the_bill_customer_list(run):
    # the usage rows of the samples, table by table; the Bill sheet's customers are no usage
    want = sum(len(rows) for name, rows in samples.TABLES.items()
               if name in {t.name for t in L.USAGE_TABLES} and name != L.CUSTOMERS.name)
    assert run.rows == want
    assert len(samples.TABLES[L.CUSTOMERS.name]) > 0  # ... though there are some


def test_a_customer_name_with_a_trailing_space_holds_that_customer(tmp_path):
    # "Alpina d.o.o. (sample) " would be a second Alpina the Bill sheet never counts (its
    # SUMIFS match text exactly): the row is refused and Alpina's bill held, never short
    rows = [*samples.MSIGN_USAGE, [samples.ALPINA + " ", MAY, "SMART", "user", 3, 1, None, ""]]
    run = price_month(read_template(build(tmp_path / "T.xlsx",
                                          tables={"Usage_mSign": rows}).path), MAY)
    row = 7 + len(samples.MSIGN_USAGE)
    reasons = [p.reason for p in run.problems if (p.sheet, p.row) == ("mSign", row)]
    assert len(reasons) == 1 and "spaces" in reasons[0]
    assert run.customers[samples.ALPINA.casefold()].held
    assert (samples.ALPINA + " ").casefold() not in run.customers


def test_unit_prices_keep_the_price_lists_4_decimals(template, tmp_path):
    out = tmp_path / "bills.xlsx"
    bill_workbook(template, MAY, out)
    ws = openpyxl.load_workbook(out)["Lines"]
    prices = {ws.cell(r, 5).value: ws.cell(r, 5).number_format for r in range(2, ws.max_row + 1)}
    assert prices[0.557].startswith("#,##0.0000")  # NE-11: 0.5570 EUR, not 0.557
    assert all(f.startswith("#,##0.0000") for f in prices.values())
