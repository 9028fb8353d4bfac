"""Issue 10 in the workbook: prices in force on the usage date (RULES.md, Money), ES-1 by the
subscription's start, the NENSI product life cycle (NE-10), and the helper Tables (MS-3/MS-4
Rekono, MS-10 package changes, MS-9 invoice month, ES-13 licence reductions).

`tarifa bill` and the template recalculated by LibreOffice must give the same numbers, and a
tariff row dated later ("transaction 0.30 from 2025-06-01") must leave every earlier month's
bill unchanged in both."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from pricing.catalog import builtin
from udfs import functions as F
from workbook import layout as L
from workbook import libreoffice
from workbook.billrun import price_month
from workbook.template import build, samples
from workbook.usage import read_template

D = dt.date
JUNE = D(2025, 6, 1)


def _tariff_msign_with_a_dated_change() -> list[list[object]]:
    """The built-in mSign Table's rows plus the row "transaction 0.30 from 2025-06-01"."""
    (pl,) = builtin().versions("msign")
    rows = [[i.code, None if i.price_e4 is None else i.price_e4 / 10**4, None, None, i.unit,
             i.rule, i.names["sl"], i.names["de"], i.names["en"], ""]
            for i in pl.items.values()]
    rows.append(["transaction", 0.30, JUNE, None, "transaction", "MS-1", "Dodatna transakcija",
                 "Zusätzliche Transaktion", "Additional transaction",
                 "a dated price change (test)"])
    return rows


# June's use of Alpina, the same quantities as May's sample row
JUNE_ROW = [samples.ALPINA, JUNE, "SMART", "transaction", 1250, 1000, None,
            "June: 250 over x 0.30 from 2025-06-01"]
# ES-1 (revised): a subscription started 2024-02-01 (legacy) buys 2 licences on 10 May at its
# given price 4.00: 2 x 4.00 x 22/31 = 5.677 -> 5.68; and, in the ledger, 10 electronic
# signatures at its given 0.20 = 2.00 (the functions and the ledger agree on the plan)
LEGACY_LICENCE = [samples.CEDRA, "CED-9", "business", 20, 2, D(2025, 5, 10), D(2025, 5, 1),
                  D(2025, 5, 31), 4, "legacy subscription, its price given", D(2024, 2, 1)]
LEGACY_LEDGER = [
    [samples.CEDRA, "CED-9", D(2024, 2, 1), "subscribe", None, None, 2, None, "legacy"],
    [samples.CEDRA, "CED-9", D(2025, 5, 12), "buy", "electronic", 10, None, 0.20,
     "legacy: its price given"],
]
# NE-10 life cycle: 2 products deactivated 1 March, reactivated 5 May: 2 x 22.2790 = 44.56
# in May, no maintenance in May (it resumes in June)
REACTIVATED = [samples.FARMALAB, "Product G", "active", D(2024, 6, 10), None, 2,
               "reactivated in May", D(2025, 3, 1), D(2025, 5, 5)]
DEACTIVATED = [samples.FARMALAB, "Product E", "active", D(2024, 6, 10), None, 3,
               "deactivated in April: not maintained in May", D(2025, 4, 15)]


def _tables(dated: bool) -> dict[str, list[list[object]]]:
    tables = {"Usage_mSign": [*samples.MSIGN_USAGE, JUNE_ROW],
              "Licences_eSign": [*samples.ESIGN_LICENCES, LEGACY_LICENCE],
              "Ledger_eSign": [*samples.ESIGN_LEDGER, *LEGACY_LEDGER],
              "Products_NENSI": [*samples.NENSI_PRODUCTS, DEACTIVATED, REACTIVATED]}
    if dated:
        tables["Tariff_msign"] = _tariff_msign_with_a_dated_change()
    return tables


def _totals(run) -> dict[str, tuple[int, int, int, bool]]:
    return {k: (c.totals.net_cents, c.totals.vat_cents, c.totals.gross_cents, c.held)
            for k, c in run.customers.items()}


def _alpina_transactions(run) -> list[tuple[int, int]]:
    c = run.customers[samples.ALPINA.casefold()]
    return [(ln.unit_price_e4, ln.amount_cents) for ln in c.lines
            if ln.description.startswith("mSign transaction")]


def test_a_dated_price_change_leaves_earlier_bills_unchanged_in_tarifa_bill(tmp_path):
    # MS-1 and "prices in force on the usage date": with "transaction 0.30 from 2025-06-01"
    # the May bill is the same as without it, to the cent, for every customer; Alpina's May
    # line is 250 x 0.27 = 67.50, its June line 250 x 0.30 = 75.00
    plain = read_template(build(tmp_path / "plain.xlsx", tables=_tables(False)).path)
    dated = read_template(build(tmp_path / "dated.xlsx", tables=_tables(True)).path)
    may_plain, may_dated = price_month(plain, samples.MONTH), price_month(dated, samples.MONTH)
    assert _totals(may_dated) == _totals(may_plain)
    assert _alpina_transactions(may_dated) == [(2700, 6750)]
    assert _alpina_transactions(price_month(dated, JUNE)) == [(3000, 7500)]
    assert _alpina_transactions(price_month(plain, JUNE)) == [(2700, 6750)]
    # the function itself: without the Month, today's price (0.30) would have been used
    args = ("transaction", 1250, 1000, None, None, [["code", "unit_price", "valid_from"],
                                                   ["transaction", 0.27, None],
                                                   ["transaction", 0.30, "2025-06-01"]])
    assert F.MSIGN_OVERAGE(*args) == [[75.0]]
    assert F.MSIGN_OVERAGE(*args, "2025-05-31") == [[67.5]]


def test_es1_and_ne10_in_tarifa_bill(tmp_path):
    run = price_month(read_template(build(tmp_path / "T.xlsx", tables=_tables(False)).path),
                      samples.MONTH)
    cedra = run.customers[samples.CEDRA.casefold()]
    lines = {ln.description: ln.amount_cents for ln in cedra.lines}
    assert lines["eSign licences, CED-9: 2 from 2025-05-10 to 2025-05-31, prorated (ES-15)"] \
        == 568  # 2 x 4.00 x 22/31 = 5.677 (ES-1: the given legacy price)
    assert lines["eSign electronic signatures bought, CED-9"] == 200  # 10 x 0.20
    checks = run.results["Licences_eSign"]["Charge.check"]
    assert checks[0] == "OK" and checks[-1] == "OK"  # CED-1, CED-9: start given
    assert checks[1].startswith("OK - ES-1: no subscription start given")  # CED-2
    farmalab = run.customers[samples.FARMALAB.casefold()]
    fees = [ln for ln in farmalab.lines if ln.description.startswith("NENSI reactivation")]
    assert [(ln.rule, ln.unit_price_e4, ln.amount_cents) for ln in fees] == \
        [("NE-10", 222790, 4456)]  # 2 x 22.2790 = 44.558 -> 44.56
    maint = run.results["Products_NENSI"]["Maintenance"]
    # Product E (deactivated in April) and Product G (reactivated in May): 0.00 in May;
    # in April Product E was maintained: 3 x 1.1140 = 3.342 -> 3.34
    assert maint[-2] == 0.0 and maint[-1] == 0.0
    april = price_month(read_template(build(tmp_path / "A.xlsx", tables=_tables(False)).path),
                        D(2025, 4, 1))
    assert april.results["Products_NENSI"]["Maintenance"][-2] == 3.34
    assert run.results["Products_NENSI"]["Reactivation (Bill month)"][-1] == 44.56


@pytest.mark.skipif(not libreoffice.available(),
                    reason="LibreOffice (soffice) is not installed: apt-get install "
                           "libreoffice-calc-nogui python3-uno "
                           "libreoffice-script-provider-python (.ci/run does)")
def test_recalculated_template_equals_tarifa_bill_with_a_dated_price_change(tmp_path):
    from tests.test_template_lo import (
        _bill_sheet,
        assert_bill_sheet_equals,
        cells,
        compare_results,
    )

    built = build(tmp_path / "T.xlsx", tables=_tables(True))
    out = libreoffice.recalculate(built.path, tmp_path / "R.xlsx", timeout=170)
    values = openpyxl.load_workbook(out, data_only=True)
    run = price_month(read_template(built.path), samples.MONTH)
    assert compare_results(built, values, run) >= 100  # every usage result cell, to the cent
    sheet = _bill_sheet(values)
    assert_bill_sheet_equals(sheet, run)  # per customer, as tarifa bill
    # May unchanged by the dated row: Alpina's sample bill, 117.00 net (README); its May
    # transactions 67.50 and June's 75.00 in the recalculated Charge column
    assert sheet[samples.ALPINA]["Net"] == 117.00
    charge = cells(values, built.results["Usage_mSign.Charge"])
    assert charge[0] == 67.50 and charge[-1] == 75.00
    # ES-1: the legacy subscription's licences at their given price; NE-10 reactivation fee
    licences = cells(values, built.results["Licences_eSign.Charge"])
    assert licences[-1] == 5.68
    assert cells(values, built.results["Products_NENSI.Reactivation (Bill month)"])[-1] == 44.56
    # the helper Tables, as the functions compute them
    assert cells(values, built.results["Rekono_mSign.Transactions"]) == [3, 8, 1]  # MS-3/4
    effective = cells(values, built.results["PackageChanges_mSign.Takes effect"])
    assert [d.date() for d in effective] == [JUNE]  # MS-10: requested 20 May
    month = values[L.MSIGN_TOOLS][built.results["mSign Requests.Invoice month"]
                                  .split("!")[1].replace("$", "")].value
    assert month.date() == D(2025, 5, 1)  # MS-9: an invoice of 5 June bills May
    takes = cells(values, built.results["Reductions_eSign.Takes effect"])
    assert [d.date() for d in takes] == [D(2026, 1, 1)]  # ES-13: the renewal date
    assert cells(values, built.results["Reductions_eSign.Check"]) == ["OK"]
