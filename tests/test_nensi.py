"""NENSI rules NE-1..NE-13 (RULES.md), checked against the price list by hand.

Prices (seeds/004_5c6dcca115a9fa7a.txt): forms / view / webservice / notify 60.0000 per
user and year, pharmacy 240.00 per unit and year, Excel case 10.0000, entry 22.2790,
proposal 10.0000, maintenance 1.1140 per product and month, activation 22.2790, exports:
basic 0.1112, detailed 2.2280, codebook item 0.5570.
"""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import nensi
from pricing.catalog import TariffTable, builtin

CENT = Decimal("0.01")


def eur(result):
    """Amounts of a Result as a list of EUR strings; every element must be good."""
    assert result.ok.all(), result.reason
    return [f"{Decimal(int(c)) / 100:.2f}" for c in np.ravel(result.values)]


def days(*texts):
    return np.array(texts, dtype="datetime64[D]")


# --- NE-1..NE-6 annual fees ----------------------------------------------------------------

def test_ne1_forms_full_fee_in_january():
    # NE-1 + NE-6: forms started 15 Jan 2026 -> the full 60.00
    assert eur(nensi.annual_fee("forms", days("2026-01-15"))) == ["60.00"]


def test_ne2_view_from_march():
    # NE-2: view started 3 Mar: 60 x 10/12 = 50.00
    assert eur(nensi.annual_fee("view", days("2026-03-03"))) == ["50.00"]


def test_ne3_webservice_from_july():
    # NE-3: web services started 1 Jul, 2 users: 60 x 2 x 6/12 = 60.00
    assert eur(nensi.annual_fee("webservice", days("2026-07-01"), 2)) == ["60.00"]


def test_ne4_notify_from_december():
    # NE-4: notification started 31 Dec: 60 x 1/12 = 5.00
    assert eur(nensi.annual_fee("notify", days("2026-12-31"))) == ["5.00"]


def test_ne5_pharmacy_from_october():
    # NE-5: 2 pharmacy units from 10 Oct: 240 x 2 x 3/12 = 120.00
    assert eur(nensi.annual_fee("pharmacy", days("2026-10-10"), 2)) == ["120.00"]


def test_ne6_prorated_by_months_to_year_end():
    # NE-6: forms started in May: 60 x 8/12 = 40.00; Feb: 60 x 11/12 = 55.00;
    #       pharmacy started in November: 240 x 2/12 = 40.00
    r = nensi.annual_fee(["forms", "forms", "pharmacy"], days("2026-05-20", "2026-02-28",
                                                            "2026-11-01"))
    assert eur(r) == ["40.00", "55.00", "40.00"]


def test_ne6_rounded_half_up_once_per_line():
    # tariff price 0.0900 from July: 0.09 x 6/12 = 0.045 -> 0.05 (half-up, not 0.04);
    # 61.1111 x 3 users from February: 183.3333 x 11/12 = 168.0555... -> 168.06
    table = TariffTable.from_rows([["notify", "0.0900"], ["view", "61.1111"]])
    r = nensi.annual_fee(["notify", "view"], days("2026-07-09", "2026-02-01"), [1, 3],
                         tariff=table)
    assert eur(r) == ["0.05", "168.06"]


def test_ne6_bad_input_per_element():
    r = nensi.annual_fee(["forms", "gold", "forms", "forms", "maintenance", "forms"],
                         days("2026-05-01", "2026-05-01", "NaT", "2019-11-30", "2026-05-01",
                              "2026-05-01"), [1, 1, 1, 1, 1, 1.5])
    assert r.ok.tolist() == [True, False, False, False, False, False]
    assert r.values[0] == 4000
    assert "unknown NENSI annual service 'gold'" in r.reason[1]
    assert "forms, view, webservice, notify, pharmacy" in r.reason[1]
    assert "NE-6: start_date" in r.reason[2]
    assert "2019-12-01" in r.reason[3]  # before the price list's first day
    assert "maintenance function" in r.reason[4]
    assert "units must be a whole number" in r.reason[5]


# --- NE-7..NE-11 one-off charges -----------------------------------------------------------

def test_ne7_excel_case_charged_also_to_holders():
    # NE-7: 2 Excel cases = 20.00; a product holder still pays the case fee: 10.00
    r = nensi.charge("excel_export", [2, 1], [False, True])
    assert eur(r) == ["20.00", "10.00"]


def test_ne7_detailed_data_in_excel_at_export_tariff_holders_exempt():
    # NE-7: detailed data of 10 products sent in an Excel case: 10 x 2.2280 = 22.28, plus the
    # case 10.00; the holder's own products: only the case fee
    r = nensi.charge(["excel_export", "export_detail", "excel_export", "export_detail"],
                     [1, 10, 1, 10], [False, False, True, True])
    assert eur(r) == ["10.00", "22.28", "10.00", "0.00"]


def test_ne8_entries():
    # NE-8: 3 entries: 3 x 22.2790 = 66.837 -> 66.84
    assert eur(nensi.charge("entry", 3)) == ["66.84"]


def test_ne9_proposals():
    # NE-9: 2 proposals (data not sent through the web forms) = 20.00
    assert eur(nensi.charge("proposal", 2)) == ["20.00"]


def test_ne10_activation_fee():
    # NE-10: activating 2 inactive products: 2 x 22.2790 = 44.558 -> 44.56
    assert eur(nensi.charge("activation", 2)) == ["44.56"]


def test_ne10_maintenance_from_month_after_entry():
    # NE-10: entered 3 May -> May 0.00, June 1.11 per product; 7 products in June -> 7.80
    #        (7 x 1.1140 = 7.798); April (before entry) 0.00 -- nothing due, not an error
    r = nensi.maintenance(days("2026-05-03"), days("2026-05-01", "2026-06-01", "2026-06-30",
                                                   "2026-04-01"), [1, 1, 7, 1])
    assert eur(r) == ["0.00", "1.11", "7.80", "0.00"]


def test_ne10_record_only_product_after_activation():
    # NE-10 decision: entered 3 May for the record, activated 20 Jun: June 0.00, July 7.80
    r = nensi.maintenance("2026-05-03", days("2026-06-01", "2026-07-01"), 7,
                          days("2026-06-20", "2026-06-20"))
    assert eur(r) == ["0.00", "7.80"]


def test_ne10_maintenance_bad_dates_are_errors():
    r = nensi.maintenance(days("NaT", "2026-05-03", "2026-05-03", "2026-05-03"),
                          days("2026-06-01", "NaT", "2026-07-01", "2026-07-01"),
                          [1, 1, 1, 2.5], days("NaT", "NaT", "2026-04-30", "NaT"))
    assert r.ok.tolist() == [False, False, False, False]
    assert "NE-10: entry_date" in r.reason[0]
    assert "NE-10: billing_month" in r.reason[1]
    assert "activation_date is before entry_date" in r.reason[2]
    assert "NE-10: products must be a whole number" in r.reason[3]


def test_ne10_maintenance_vectorised_products():
    # 1000 products, product k entered on day k % 365 of 2026; billed for December 2026:
    # due are those entered before 1 Dec (day-of-year index < 334): k = 0..333, 365..698 and
    # 730..999 -> 334 + 334 + 270 = 938 lines of 1.11 = 1041.18; the December ones are 0.00
    entry = np.datetime64("2026-01-01") + np.arange(1000) % 365
    r = nensi.maintenance(entry.astype("datetime64[D]"), np.datetime64("2026-12-01"), 1)
    assert r.ok.all() and r.values.shape == (1000,)
    assert int((r.values == 111).sum()) == 938 and int((r.values == 0).sum()) == 62
    assert int(r.values.sum()) == 104118


def test_ne11_web_service_exports():
    # NE-11: 1000 basic = 111.20; 3 detailed = 6.684 -> 6.68; 7 codebook items = 3.899 -> 3.90
    r = nensi.charge(["export_basic", "export_detail", "export_codebook"], [1000, 3, 7])
    assert eur(r) == ["111.20", "6.68", "3.90"]


def test_ne11_holders_own_products_not_charged():
    # NE-11: exports of data about the holder's own products: 0.00; entries are still paid.
    # NE-7/NE-11 decision: codebook items are no one's product and always charged:
    # 7 x 0.5570 = 3.899 -> 3.90
    r = nensi.charge(["export_basic", "export_detail", "export_codebook", "entry"],
                     [1000, 3, 7, 1], True)
    assert eur(r) == ["0.00", "0.00", "3.90", "22.28"]
    assert nensi.OWN_PRODUCT_EXPORTS == ("export_basic", "export_detail")


def test_charge_bad_input_per_element():
    r = nensi.charge(["entry", "maintenance", "entry", "entry", "entry"], [1, 1, -1, 1, 1],
                     np.array([False, False, False, "maybe", 2], dtype=object))
    assert r.ok.tolist() == [True, False, False, False, False]
    assert r.values[0] == 2228
    assert "maintenance function" in r.reason[1]
    assert "negative" in r.reason[2]
    assert "own_products must be TRUE or FALSE" in r.reason[3]
    assert "own_products must be TRUE or FALSE" in r.reason[4]


def test_charge_flags_from_excel_cells():
    # TRUE/FALSE, 1/0, "yes"/"no" and empty cells (FALSE) are all understood
    r = nensi.charge("export_basic", 10, np.array([True, 1, "yes", "FALSE", None, np.nan, ""],
                                                  dtype=object))
    assert eur(r) == ["0.00", "0.00", "0.00", "1.11", "1.11", "1.11", "1.11"]


# --- NE-12 discounts -----------------------------------------------------------------------

TIERS = [["service", "min_quantity", "percent"],
         ["export_basic", 1000, 5],
         ["export_basic", 10000, "7,5 %"],
         ["maintenance", 500, 2]]


def test_ne12_highest_tier_reached_in_the_month_applies():
    # NE-12: 999 exports: below the first tier -> 0.00; 1000 exports (111.20): 5 % = 5.56;
    #        50000 exports (5560.00): 7.5 % = 417.00; 600 products' maintenance (668.40):
    #        2 % = 13.368 -> 13.37
    tiers = nensi.DiscountTiers.from_rows(TIERS)
    r = nensi.discount(["export_basic", "export_basic", "export_basic", "maintenance"],
                       [999, 1000, 50000, 600], [11109, 11120, 556000, 66840], tiers)
    assert eur(r) == ["0.00", "5.56", "417.00", "13.37"]


def test_ne12_no_tiers_means_no_discount():
    # NE-12 decision: the tiers are not in the document; without a table there is no discount
    r = nensi.discount("export_basic", 50000, 556000)
    assert eur(r) == ["0.00"]
    tiers = nensi.DiscountTiers.from_rows(TIERS)
    assert eur(nensi.discount("entry", 50, 111395, tiers)) == ["0.00"]  # no tier for entry


def test_ne12_half_cent_rounds_up():
    # 5 % of 0.10 = 0.005 -> 0.01
    tiers = nensi.DiscountTiers.from_rows([["entry", 0, 5]])
    assert eur(nensi.discount("entry", 1, 10, tiers)) == ["0.01"]


def test_ne12_bad_tables_and_inputs():
    bad = nensi.DiscountTiers.from_rows([["export_basic", 10, 0.05], ["entry", 1, 120],
                                         ["view", 5, 3]])
    r = nensi.discount(["export_basic", "entry", "view", "gold"], 20, 1000, bad)
    assert r.ok.tolist() == [False, False, True, False]
    assert "percent-formatted" in r.reason[0]
    assert "between 0 and 100" in r.reason[1]
    assert r.values[2] == 30  # 3 % of 10.00
    assert "unknown NENSI service 'gold'" in r.reason[3]
    typo = nensi.DiscountTiers.from_rows([["exprot_basic", 10, 5], ["view", 5, 3]])
    r = nensi.discount("view", 20, 1000, typo)
    assert not r.ok.any() and "unknown service 'exprot_basic'" in r.reason.item()
    dup = nensi.DiscountTiers.from_rows([["view", 5, 3], ["view", 5, 4]])
    assert "same minimum" in nensi.discount("view", 20, 1000, dup).reason.item()
    r = nensi.discount("view", [1.5, -1], [1000, 1000])
    assert not r.ok.any()


# --- NE-13 ---------------------------------------------------------------------------------

def test_ne13_prices_exclude_vat():
    # NE-13: "Cene ne vsebujejo DDV": the price list is VAT-exclusive
    pl = builtin().in_force("nensi", np.datetime64("2026-01-01"))
    assert pl.vat_included is False
    assert pl.items["entry"].price_e4 == 222790  # 22.2790 net, not grossed up


def test_rule_ids_match_the_price_list():
    pl = builtin().in_force("nensi", np.datetime64("2026-01-01"))
    assert {code: item.rule for code, item in pl.items.items()} == nensi.RULES
    assert set(pl.items) == set(nensi.ALL_CODES)


# --- vectorisation -------------------------------------------------------------------------

def test_column_in_column_out_and_scalars_broadcast():
    col = days("2026-01-10", "2026-05-10", "2026-12-10").reshape(3, 1)
    r = nensi.annual_fee("forms", col)
    assert r.values.shape == (3, 1) and r.values.ravel().tolist() == [6000, 4000, 500]
    grid = nensi.annual_fee(np.array([["forms", "pharmacy"]]), col)
    assert grid.values.tolist() == [[6000, 24000], [4000, 16000], [500, 2000]]
    one = nensi.maintenance("2026-05-03", "2026-06-01", 1)
    assert one.values.shape == () and int(one.values) == 111


# --- hypothesis: the engine against a slow Decimal reference --------------------------------

def ref_round(x: Decimal) -> int:
    return int(x.quantize(CENT, rounding=ROUND_HALF_UP) / CENT)


prices4 = st.integers(min_value=0, max_value=10**7).map(lambda n: Decimal(n).scaleb(-4))
quantities = st.integers(min_value=0, max_value=10**9)
months = st.integers(min_value=1, max_value=12)


@settings(max_examples=150, deadline=None)
@given(prices4, st.lists(st.tuples(quantities, months), min_size=1, max_size=20))
def test_annual_fee_matches_decimal_reference(price, rows):
    table = TariffTable.from_rows([["forms", str(price)]])
    start = np.array([f"2026-{m:02d}-15" for _, m in rows], dtype="datetime64[D]")
    got = nensi.annual_fee("forms", start, [float(q) for q, _ in rows], tariff=table)
    assert got.ok.all(), got.reason
    want = [ref_round(price * q * (13 - m) / 12) for q, m in rows]
    assert got.values.tolist() == want


@settings(max_examples=150, deadline=None)
@given(prices4, st.lists(st.tuples(quantities, months, months), min_size=1, max_size=20))
def test_maintenance_matches_decimal_reference(price, rows):
    table = TariffTable.from_rows([["maintenance", str(price)]])
    entry = np.array([f"2026-{e:02d}-03" for _, e, _ in rows], dtype="datetime64[D]")
    billing = np.array([f"2026-{b:02d}-01" for _, _, b in rows], dtype="datetime64[D]")
    got = nensi.maintenance(entry, billing, [float(q) for q, _, _ in rows], tariff=table)
    assert got.ok.all(), got.reason
    want = [ref_round(price * q) if b > e else 0 for q, e, b in rows]
    assert got.values.tolist() == want


@pytest.mark.parametrize("code,qty,cents", [
    ("entry", 1, 2228), ("proposal", 1, 1000), ("activation", 1, 2228),
    ("excel_export", 1, 1000), ("export_basic", 1, 11), ("export_detail", 1, 223),
    ("export_codebook", 1, 56)])
def test_every_charge_code_for_one_unit(code, qty, cents):
    # one unit: 22.2790 -> 22.28, 10.0000, 0.1112 -> 0.11, 2.2280 -> 2.23, 0.5570 -> 0.56
    assert int(nensi.charge(code, qty).values) == cents


# --- NE-10 life cycle (RULES.md decision) ---------------------------------------------------

def test_ne10_deactivation_stops_maintenance_after_its_month():
    # 40 products entered 2025-03-12, deactivated 2025-06-10: 40 x 1.1140 = 44.56 in April,
    # May and June (the deactivation month), 0.00 from July
    months = days("2025-03-01", "2025-04-01", "2025-06-30", "2025-07-01", "2025-12-01")
    r = nensi.maintenance(days("2025-03-12"), months, 40,
                          deactivation_date=days("2025-06-10"))
    assert eur(r) == ["0.00", "44.56", "44.56", "0.00", "0.00"]


def test_ne10_reactivation_resumes_the_month_after():
    # deactivated 2025-06-10, reactivated 2025-09-03: nothing July..September, 44.56 from
    # October (the activation fee 40 x 22.2790 = 891.16 is the 'activation' charge)
    months = days("2025-07-01", "2025-09-01", "2025-10-01")
    r = nensi.maintenance(days("2025-03-12"), months, 40, deactivation_date=days("2025-06-10"),
                          reactivation_date=days("2025-09-03"))
    assert eur(r) == ["0.00", "0.00", "44.56"]
    assert eur(nensi.charge("activation", 40, date=days("2025-09-03"))) == ["891.16"]


def test_ne10_life_cycle_bad_dates_are_errors():
    r = nensi.maintenance(days("2025-03-12"), days("2025-08-01"), 1,
                          deactivation_date=days("2025-02-01", "NaT", "2025-06-10"),
                          reactivation_date=days("NaT", "2025-07-01", "2025-05-01"))
    assert r.ok.tolist() == [False, False, False]
    assert "before the product's entry" in r.reason[0]
    assert "needs the deactivation_date" in r.reason[1]
    assert "reactivation_date is before deactivation_date" in r.reason[2]


@given(entry=st.integers(0, 30), off=st.integers(0, 30), back=st.integers(-1, 30),
       billed=st.integers(0, 36), products=st.integers(0, 10**6))
@settings(max_examples=150, deadline=None)
def test_ne10_life_cycle_matches_a_month_by_month_reference(entry, off, back, billed,
                                                            products):
    # months counted from 2023-01; entry on the 15th, deactivation on the 20th, reactivation
    # on the 25th; back == -1: no reactivation
    base = np.datetime64("2023-01", "M")
    on = lambda m, d: (base + m).astype("datetime64[D]") + (d - 1)  # noqa: E731
    off, back = entry + off, (None if back < 0 else entry + off + back)
    due = entry < billed <= off or (back is not None and billed > back)
    want = (products * Decimal("1.1140") if due else Decimal(0)).quantize(
        Decimal("0.01"), ROUND_HALF_UP)
    r = nensi.maintenance(on(entry, 15), on(billed, 1), products,
                          deactivation_date=on(off, 20),
                          reactivation_date=np.datetime64("NaT", "D") if back is None
                          else on(back, 25))
    assert r.ok and Decimal(int(r.values)) / 100 == want
