"""mSign rules MS-1..MS-11 (RULES.md), checked against the price list by hand.

Prices (seeds/000_a1bd8bfd09dd7090.txt): transaction 0.27, OneSign signature 0.69,
Rekono QES transaction 1.18, Rekono AES transaction 0.80, user 6.00 / month, API 100.00 /
month, GB in mSef 3.30 / month (SMART, ENTERPRISE only), SMS: not in the document.
"""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import bill, inputs, money, msign
from pricing.catalog import TariffTable, builtin
from pricing.validity import Validity

CENT = Decimal("0.01")
COUNT_ITEMS = [i for i in msign.ITEMS if i not in ("storage_gb", "sms")]
PRICE = {"transaction": "0.27", "onesign": "0.69", "rekono_qes": "1.18", "rekono_aes": "0.80",
         "user": "6.00", "api": "100.00", "storage_gb": "3.30"}


def eur(result):
    """Amounts of a Result as a list of EUR strings; every element must be good."""
    assert result.ok.all(), result.reason
    return [f"{Decimal(int(c)) / 100:.2f}" for c in np.ravel(result.values)]


def day(text):
    return np.datetime64(text, "D")


# --- MS-1..MS-8: one test per rule --------------------------------------------------------

def test_ms1_transactions_beyond_package():
    # MS-1: 1240 used, 1000 included -> 240 x 0.27 = 64.80
    assert eur(msign.overage("transaction", 1240, 1000)) == ["64.80"]


def test_ms1_within_package_is_a_correct_zero():
    # MS-1: 800 used of 1000 included -> nothing beyond the package: 0.00 (not an error)
    assert eur(msign.overage("transaction", 800, 1000)) == ["0.00"]


def test_ms2_every_onesign_signature_charged():
    # MS-2: 37 signatures, none included -> 37 x 0.69 = 25.53
    assert eur(msign.overage("onesign", 37)) == ["25.53"]


def test_ms3_rekono_qes():
    # MS-3: 12 documents by 1 signer = ceil(12/5) = 3 transactions -> 3 x 1.18 = 3.54
    tx = msign.rekono_transactions(12, 1)
    assert tx.kind == "count" and int(tx.values) == 3
    assert eur(msign.overage("rekono_qes", tx.values)) == ["3.54"]


def test_ms3_ms4_rekono_transactions_decision():
    # MS-3/4 decision: signers x ceil(documents / 5)
    # 0 docs -> 0; 1..5 docs -> 1; 6 docs, 2 signers -> 4; 11 docs, 3 signers -> 9
    r = msign.rekono_transactions([0, 1, 5, 6, 11], [1, 1, 1, 2, 3])
    assert r.ok.all()
    assert r.values.tolist() == [0, 1, 1, 4, 9]


def test_ms3_ms4_rekono_transactions_bad_input():
    r = msign.rekono_transactions([2.5, -1, 5, 5], [1, 1, 0, 1.5])
    assert r.ok.tolist() == [False, False, False, False]
    assert "documents" in r.reason[0] and "whole" in r.reason[0]
    assert "negative" in r.reason[1]
    assert "at least 1 signer" in r.reason[2]
    assert "signers" in r.reason[3]


def test_ms4_rekono_aes():
    # MS-4: 7 transactions, 2 included -> 5 x 0.80 = 4.00
    assert eur(msign.overage("rekono_aes", 7, 2)) == ["4.00"]


def test_ms5_users_per_month():
    # MS-5: 8 users, 5 included -> 3 x 6.00 = 18.00
    assert eur(msign.overage("user", 8, 5)) == ["18.00"]


def test_ms6_api_rent_per_month():
    # MS-6: API rented for 1 month, not in the package -> 100.00
    assert eur(msign.overage("api", 1)) == ["100.00"]


def test_ms7_storage_per_started_gb_on_smart_and_enterprise():
    # MS-7: 12.3 GB used, 10 included = 2.3 GB over -> 3 started GB x 3.30 = 9.90
    #       exactly 12 GB -> 2 GB -> 6.60; 10.000000001 GB (one byte over) -> 1 GB -> 3.30
    r = msign.overage("storage_gb", [12.3, 12, 10.000000001, 9.5], 10,
                      ["SMART", "ENTERPRISE", "smart", "mSign Enterprise"])
    assert eur(r) == ["9.90", "6.60", "3.30", "0.00"]
    assert msign.billable("storage_gb", [12.3, 12, 10.000000001, 9.5], 10,
                          "SMART").values.tolist() == [3, 2, 1, 0]


def test_ms7_storage_on_other_packages_is_an_error_not_zero():
    # MS-7: storage only where mSign is integrated with mSef (SMART, ENTERPRISE)
    r = msign.overage("storage_gb", 12.3, 10, ["MINI", "START", "", "SMART"])
    assert r.ok.tolist() == [False, False, False, True]
    assert all(reason.startswith("MS-7") for reason in r.reason[:3])
    assert "MINI" in r.reason[0] and "START" in r.reason[1]
    assert "needs the package" in r.reason[2]
    assert r.values[3] == 990


def test_ms7_storage_with_more_than_9_decimals_is_an_error():
    r = msign.overage("storage_gb", [10.0000000001, 11], 10, "SMART")
    assert r.ok.tolist() == [False, True]
    assert "MS-7" in r.reason[0] and "9 decimals" in r.reason[0]
    assert r.values[1] == 330


def test_ms7_storage_packages_match_the_price_list():
    item = builtin().item("storage_gb", day("2026-01-01"))
    assert item.packages == msign.STORAGE_PACKAGES


def test_ms8_sms_needs_a_price():
    # MS-8: the SMS price list is not in the document: no price -> error naming MS-8
    r = msign.overage("sms", 250)
    assert not r.ok.all() and r.reason.item().startswith("MS-8")


def test_ms8_sms_priced_by_unit_price_or_tariff_table():
    # MS-8: 250 SMS x 0.0456 = 11.40; with a tariff row sms 0.05: 250 x 0.05 = 12.50
    assert eur(msign.overage("sms", 250, unit_price=0.0456)) == ["11.40"]
    table = TariffTable.from_rows([["code", "unit_price"], ["sms", 0.05]])
    assert eur(msign.overage("sms", 250, tariff=table)) == ["12.50"]


def test_ms8_sms_tariff_row_in_force_by_date():
    # a tariff row valid from 2026-01-01: before that there is no SMS price
    table = TariffTable.from_rows([["sms", "0.05", "2026-01-01"]])
    r = msign.overage("sms", 100, date=np.array(["2025-12-31", "2026-01-15"],
                                                dtype="datetime64[D]"), tariff=table)
    assert r.ok.tolist() == [False, True]
    assert r.values[1] == 500  # 100 x 0.05 = 5.00


def test_ms9_billing_month_is_the_previous_month():
    # MS-9: billing is monthly for the previous month: an invoice of 5 Nov 2026 bills
    # October 2026; one of 15 Jan 2027 bills December 2026
    r = msign.billing_month_for(np.array(["2026-11-05", "2027-01-15", "NaT"],
                                         dtype="datetime64[D]"))
    assert r.kind == "date"
    assert r.ok.tolist() == [True, True, False]
    assert r.values[:2].tolist() == [day("2026-10-01").item(), day("2026-12-01").item()]
    assert "MS-9" in r.reason[2]


def test_ms9_billed_month_before_excel_dates_is_an_error():
    # an invoice dated in January 1900 would bill December 1899: Excel has no such date, so
    # the cell is an error with a reason, never a plain number (a negative serial)
    r = msign.billing_month_for(np.array(["1900-01-05", "1900-02-05"], dtype="datetime64[D]"))
    assert r.ok.tolist() == [False, True]
    assert r.reason[0] == ("MS-9: the billed month is not a valid Excel date "
                           "(1900-01-01 .. 9999-12-31)")
    assert str(r.values[1]) == "1900-01-01"


def test_ms10_switch_on_first_day_of_next_month():
    # MS-10: request 22 Nov 2026 -> 1 Dec 2026; 31 Dec -> 1 Jan 2027; even a request on the
    # 1st waits for the next month; 29 Feb 2024 -> 1 Mar 2024
    r = msign.switch_date(np.array(["2026-11-22", "2026-12-31", "2026-11-01", "2024-02-29"],
                                   dtype="datetime64[D]"))
    assert r.kind == "date" and r.ok.all()
    assert [str(d) for d in r.values] == ["2026-12-01", "2027-01-01", "2026-12-01",
                                          "2024-03-01"]


def test_ms10_bad_dates():
    r = msign.switch_date(np.array(["NaT", "9999-12-15", "2026-01-31"], dtype="datetime64[D]"))
    assert r.ok.tolist() == [False, False, True]
    assert "MS-10" in r.reason[0] and "MS-10" in r.reason[1]
    assert np.isnat(r.values[0])


def test_ms11_a_onesign_certificate_is_no_billable_item():
    # MS-11 is information (certificate valid 3 years, not usable in Halcom Personal/
    # Corporate/B2B): no item of the price list carries it, so a "certificate" is an unknown
    # item (an error, never 0), while its signatures are billed under MS-2: 3 x 0.69 = 2.07
    rules = {item.rule for item in builtin().in_force("msign", day("2026-01-01")).items.values()}
    assert rules == {f"MS-{n}" for n in range(1, 9)}
    r = msign.overage(["onesign", "onesign_certificate"], [3, 1])
    assert r.ok.tolist() == [True, False]
    assert int(r.values[0]) == 207
    assert "unknown mSign item 'onesign_certificate'" in r.reason[1]


def test_rule_ids_match_the_price_list():
    pl = builtin().in_force("msign", day("2026-01-01"))
    assert {code: item.rule for code, item in pl.items.items()} == msign.RULES
    assert set(pl.items) == set(msign.ITEMS)


# --- decisions and bad input ---------------------------------------------------------------

def test_counts_must_be_whole_numbers_naming_the_rule():
    r = msign.overage(["transaction", "user", "api", "onesign"], [10.5, 2.5, 1, 3],
                      [0, 0, 0.5, 0])
    assert r.ok.tolist() == [False, False, False, True]
    assert r.reason[0] == "MS-1: used must be a whole number of transactions"
    assert r.reason[1] == "MS-5: used must be a whole number of users"
    assert r.reason[2] == "MS-6: included must be a whole number of API months"
    assert r.values[3] == 207  # 3 x 0.69


def test_negative_and_empty_quantities_are_errors():
    r = msign.overage("transaction", [-1, np.nan, 5, 5], [0, 0, -2, np.nan])
    assert r.ok.tolist() == [False, False, False, False]
    assert r.reason[0] == "MS-1: used must not be negative"
    assert "MS-1" in r.reason[1] and "not a number" in r.reason[1]
    assert r.reason[2] == "MS-1: included must not be negative"
    assert "included" in r.reason[3]


def test_text_where_a_number_belongs():
    r = msign.overage("transaction", np.array([3, "many", None], dtype=object))
    assert r.ok.tolist() == [True, False, False]
    assert r.values[0] == 81  # 3 x 0.27
    assert "used must be a number" in r.reason[1]


def test_unknown_item_and_package_list_valid_codes():
    r = msign.overage(["transactoin", None, "transaction"], 10, 0, ["", "", "GOLD"])
    assert r.ok.tolist() == [False, False, False]
    assert "unknown mSign item 'transactoin'" in r.reason[0]
    assert "transaction, onesign, rekono_qes" in r.reason[0]
    assert "empty" in r.reason[1]
    assert "unknown mSign package 'GOLD'" in r.reason[2]
    assert "MINI, START, SMART, ENTERPRISE" in r.reason[2]


def test_codes_are_case_insensitive_and_trimmed():
    r = msign.overage([" Transaction ", "ONESIGN", "Storage_GB"], [2, 1, 1], 0, " msign SMART")
    assert eur(r) == ["0.54", "0.69", "3.30"]


def test_unit_price_override_and_negative_override():
    # 240 transactions at 0.25 = 60.00; 3 at 0.1234 = 0.3702 -> 0.37; NaN -> price list
    r = msign.overage("transaction", [1240, 3, 1240, 10], [1000, 0, 1000, 0],
                      unit_price=[0.25, 0.1234, np.nan, -0.27])
    assert r.ok.tolist() == [True, True, True, False]
    assert r.values[:3].tolist() == [6000, 37, 6480]
    assert "unit_price must not be negative" in r.reason[3]


def test_unit_price_with_five_decimals_is_an_error():
    r = msign.overage("transaction", [1, 1], unit_price=[0.12345, 0.1234])
    assert r.ok.tolist() == [False, True]
    assert "unit_price" in r.reason[0] and "4 decimals" in r.reason[0]


def test_half_cent_rounds_up_once_per_line():
    # 1 x 0.005 = 0.005 -> 0.01 (half-up); 3 x 0.0050 = 0.015 -> 0.02; 2.675 -> 2.68
    r = msign.overage("transaction", [1, 3, 1], unit_price=[0.005, 0.005, 2.675])
    assert r.values.tolist() == [1, 2, 268]


def test_bad_elements_keep_good_neighbours():
    items = ["transaction", "bogus", "storage_gb", "sms", "user", "api"]
    r = msign.overage(items, [1240, 1, 12.3, 10, 7.5, 1], [1000, 0, 10, 0, 0, 0], "START")
    assert r.ok.tolist() == [True, False, False, False, False, True]
    assert r.values[0] == 6480 and r.values[5] == 10000
    assert all(r.reason[1:5]) and r.reason[0] == "" and r.reason[5] == ""


# --- vectorisation -------------------------------------------------------------------------

def test_column_in_column_out_and_scalars_broadcast():
    used = np.array([[1240.0], [1000.0], [1001.0]])  # an Excel column (3 x 1)
    r = msign.overage("transaction", used, 1000)
    assert r.values.shape == (3, 1)
    assert r.values.ravel().tolist() == [6480, 0, 27]
    row = msign.overage(np.array([["transaction", "user", "api"]]), 1, 0)  # a row (1 x 3)
    assert row.values.shape == (1, 3) and row.values.ravel().tolist() == [27, 600, 10000]
    grid = msign.overage(np.array(["transaction", "onesign"])[:, None], np.array([[1, 2, 3]]))
    assert grid.values.tolist() == [[27, 54, 81], [69, 138, 207]]
    scalar = msign.overage("api", 1)
    assert scalar.values.shape == () and int(scalar.values) == 10000


def test_billable_counts():
    r = msign.billable(["transaction", "storage_gb", "user"], [1240, 10.2, 3], [1000, 0, 5],
                       "ENTERPRISE")
    assert r.kind == "count" and r.values.tolist() == [240, 11, 0]


def test_fast_line_cents_equals_the_checked_path():
    # money.line_cents skips the overflow estimate when every product is safely in range;
    # the result must equal the general half-up path
    q = np.array([0, 1, 3, 10**9, 12345], dtype=np.int64)
    p = np.array([50, 50, 1234, 999999, 2700], dtype=np.int64)
    v = Validity(q.shape)
    assert money.line_cents(q, p, v).tolist() == money.round_div_half_up(q * p, 100).tolist()


# --- bill lines ----------------------------------------------------------------------------

def test_bill_lines_and_totals():
    # MS-1 240 x 0.27 = 64.80; MS-7 3 GB x 3.30 = 9.90; MS-5 0 users -> 0.00 (line kept)
    lines = msign.bill_lines(["transaction", "storage_gb", "user"], [1240, 12.3, 4],
                             [1000, 10, 5], "SMART")
    assert [ln.rule for ln in lines] == ["MS-1", "MS-7", "MS-5"]
    assert [ln.quantity for ln in lines] == [Decimal(240), Decimal(3), Decimal(0)]
    assert [ln.amount for ln in lines] == [Decimal("64.80"), Decimal("9.90"), Decimal("0.00")]
    assert [ln.unit_price for ln in lines] == [Decimal("0.2700"), Decimal("3.3000"),
                                               Decimal("6.0000")]
    assert "1240 used, 1000 included" in lines[0].description
    t = bill.totals(lines)
    # net 74.70; VAT 22 % = 16.434 -> 16.43; gross 91.13
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (7470, 1643, 9113)


def test_bill_lines_refuse_a_bill_with_a_bad_row():
    with pytest.raises(ValueError, match="row 2: MS-7"):
        msign.bill_lines(["transaction", "storage_gb"], [1, 1], 0, "MINI")


# --- hypothesis: the engine against a slow Decimal reference --------------------------------

def ref_overage(used: int | Decimal, included: int | Decimal, price: Decimal,
                storage: bool = False) -> int:
    excess = max(Decimal(0), Decimal(used) - Decimal(included))
    if storage:
        excess = excess.to_integral_value(rounding=ROUND_CEILING)
    return int((excess * price).quantize(CENT, rounding=ROUND_HALF_UP) / CENT)


counts = st.integers(min_value=0, max_value=10**9)
prices4 = st.integers(min_value=0, max_value=10**7).map(lambda n: Decimal(n).scaleb(-4))
gb = st.integers(min_value=0, max_value=10**15).map(lambda n: Decimal(n).scaleb(-9))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(COUNT_ITEMS), counts, counts,
                          st.one_of(st.none(), prices4)), min_size=1, max_size=20))
def test_overage_matches_decimal_reference(rows):
    items = [r[0] for r in rows]
    used = [float(r[1]) for r in rows]
    included = [float(r[2]) for r in rows]
    override = [np.nan if r[3] is None else float(r[3]) for r in rows]
    got = msign.overage(items, used, included, unit_price=override)
    assert got.ok.all(), got.reason
    want = [ref_overage(u, i, Decimal(PRICE[it]) if p is None else p)
            for it, u, i, p in rows]
    assert got.values.tolist() == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(gb, gb), min_size=1, max_size=20))
def test_storage_matches_decimal_reference(rows):
    used = [float(u) for u, _ in rows]
    included = [float(i) for _, i in rows]
    got = msign.overage("storage_gb", used, included, "SMART")
    assert got.ok.all(), got.reason
    # the engine reads each float by its shortest text, as the reference does
    want = [ref_overage(Decimal(repr(u)), Decimal(repr(i)), Decimal("3.30"), storage=True)
            for u, i in zip(used, included, strict=True)]
    assert got.values.tolist() == want


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=1000))
def test_half_cent_edges(quantity, half_cents):
    # prices 0.0050, 0.0150, 0.0250 ...: an odd quantity ends in exactly half a cent
    price = Decimal(2 * half_cents - 1) * Decimal("0.0050")
    got = msign.overage("transaction", quantity, unit_price=float(price))
    assert got.ok.all(), got.reason
    assert int(got.values) == ref_overage(quantity, 0, price)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(min_value=-10, max_value=2**53).map(float),
                          st.sampled_from([0.5, -0.0, 2.0**51, 2.0**51 - 1, 1e300, -1.0])),
                min_size=1, max_size=30))
def test_whole_fast_path_agrees_with_money(values):
    # the shared count parser must accept exactly what money.to_scaled(…, 0) accepts (>= 0)
    x = np.array(values, dtype=np.float64)
    got, gv = inputs.whole(x, "n")
    ref_v = Validity(x.shape)
    ref = money.to_scaled(x, 0, "n", ref_v)
    ref_ok = ref_v.ok & (ref >= 0)
    assert np.broadcast_to(gv.ok, x.shape).tolist() == ref_ok.tolist()
    assert got[ref_ok].tolist() == ref[ref_ok].tolist()


def test_prices_by_date_over_a_long_range():
    # tariff rows for transaction from 2010 (0.20) and 2030 (0.30): 20 years of dates (more
    # than the dense day table covers) still take the row in force on each date
    table = TariffTable.from_rows([["transaction", "0.20", "2010-01-01"],
                                   ["transaction", "0.30", "2030-01-01"]])
    when = np.array(["2009-12-31", "2010-01-01", "2029-12-31", "2030-01-01", "2010-06-01"],
                    dtype="datetime64[D]")
    r = msign.overage("transaction", 10, date=when, tariff=table)
    assert r.ok.tolist() == [False, True, True, True, True]
    assert r.values[1:].tolist() == [200, 200, 300, 200]  # 10 x 0.20 / 0.30
    assert "tariff table" in r.reason[0]


def test_unit_prices_are_the_ones_overage_uses():
    # MS-1 0.27, MS-7 3.30, MS-8 from the override 0.0456, an unknown item is an error
    r = msign.unit_prices([" Transaction", "storage_gb", "sms", "sms", "bogus"],
                          [np.nan, np.nan, 0.0456, np.nan, np.nan])
    assert r.kind == "price_e4"
    assert r.ok.tolist() == [True, True, True, False, False]
    assert r.values[:3].tolist() == [2700, 33000, 456]
    assert r.reason[3].startswith("MS-8") and "unknown mSign item" in r.reason[4]


# --- prices in force on the usage date (RULES.md, Money) -----------------------------------

_DATED = TariffTable.from_rows([["code", "unit_price", "valid_from"],
                                ["transaction", 0.27, None],
                                ["transaction", 0.30, "2025-06-01"]])


def test_a_dated_price_change_leaves_earlier_months_unchanged():
    # Alpina: 1,250 used, 1,000 included. May: 250 x 0.27 = 67.50 (MS-1); with the row
    # "transaction 0.30 from 2025-06-01" June is 250 x 0.30 = 75.00, and May stays 67.50
    months = np.array(["2025-05-01", "2025-06-01"], dtype="datetime64[D]")
    assert eur(msign.overage("transaction", 1250, 1000, date=months)) == ["67.50", "67.50"]
    assert eur(msign.overage("transaction", 1250, 1000, date=months, tariff=_DATED)) == \
        ["67.50", "75.00"]


@given(used=st.integers(0, 10**7), included=st.integers(0, 10**7),
       month=st.integers(0, 23))
@settings(max_examples=150, deadline=None)
def test_month_pricing_matches_a_decimal_reference(used, included, month):
    # the month's first day picks the row: before 2025-06 0.27, from then 0.30 (MS-1)
    first = np.datetime64("2024-07", "M") + month
    price = Decimal("0.30") if first >= np.datetime64("2025-06", "M") else Decimal("0.27")
    want = (max(0, used - included) * price).quantize(Decimal("0.01"), ROUND_HALF_UP)
    r = msign.overage("transaction", used, included, date=first.astype("datetime64[D]"),
                      tariff=_DATED)
    assert r.ok and Decimal(int(r.values)) / 100 == want
