"""Tresorit eSign add-on, ES-1..ES-15 (RULES.md; seeds/003_d2b05a8fe006e795.txt).

Every rule ID has a test with numbers a person can check by hand; rules without numbers
(ES-2, ES-6, ES-12, ES-13, ES-14) have a test that shows how the engine reflects them.
Hypothesis checks proration and signature costs against a slow Fraction reference.
"""

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import esign
from pricing.catalog import TariffTable


def d(text):
    return np.datetime64(text, "D")


def obj(*items):
    return np.array(items, dtype=object)


# --- the slow reference -------------------------------------------------------------------

def half_up(q: Fraction) -> int:
    whole = int(abs(q))
    if abs(q) - whole >= Fraction(1, 2):
        whole += 1
    return whole if q >= 0 else -whole


def ref_prorate(licences: int, price: Decimal, bought: dt.date, start: dt.date, end: dt.date,
                months: int) -> int:
    """ES-15 decision in exact fractions: cents, rounded half-up once."""
    days_left = (end - bought).days + 1
    days_all = (end - start).days + 1
    return half_up(Fraction(licences) * Fraction(price) * 100 * months
                   * Fraction(days_left, days_all))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


# --- ES-15: proration ---------------------------------------------------------------------

def test_es15_mid_month_purchase_monthly_period():
    # ES-15: 3 licences bought 2024-06-16 in the monthly period 2024-06-01..2024-06-30:
    # 3 x 5.00 x 1 month x 15/30 days = 7.50
    r = esign.prorate(3, d("2024-06-16"), d("2024-06-01"), d("2024-06-30"))
    assert r.validity.all_ok and r.kind == "cents"
    assert int(r.values) == 750


def test_es15_annual_period():
    # ES-15: 3 licences bought 2024-07-01 in the annual period 2024-01-01..2024-12-31 (366 days):
    # 3 x 5.00 x 12 x 184/366 = 90.4918... -> 90.49
    r = esign.prorate(3, d("2024-07-01"), d("2024-01-01"), d("2024-12-31"))
    assert int(r.values) == 9049


def test_es15_first_day_is_full_price_last_day_one_day():
    # first day: 2 x 5.00 x 12 = 120.00 for a year; 2 x 5.00 = 10.00 for a month.
    # last day of June: 2 x 5.00 x 1/30 = 0.3333 -> 0.33
    r = esign.prorate(2, np.array(["2025-01-01", "2024-06-01", "2024-06-30"], "datetime64[D]"),
                      np.array(["2025-01-01", "2024-06-01", "2024-06-01"], "datetime64[D]"),
                      np.array(["2025-12-31", "2024-06-30", "2024-06-30"], "datetime64[D]"))
    assert r.values.tolist() == [12000, 1000, 33]


def test_es15_period_not_aligned_to_calendar_months():
    # a monthly period 2024-05-15..2024-06-14 (31 days); 1 licence bought 2024-06-01:
    # 1 x 5.00 x 1 x 14/31 = 2.2580... -> 2.26
    r = esign.prorate(1, d("2024-06-01"), d("2024-05-15"), d("2024-06-14"))
    assert int(r.values) == 226


def test_es15_half_cent_rounds_up():
    # 1 licence at 0.30 (explicit) for 15 of 30 days: 0.15 exactly; 1 licence at 0.01 for 15/30
    # days: 0.005 -> 0.01 (half-up, once per line)
    r = esign.prorate(1, d("2024-06-16"), d("2024-06-01"), d("2024-06-30"),
                      monthly_price=np.array([0.30, 0.01]))
    assert r.values.tolist() == [15, 1]


def test_es15_purchase_outside_period_is_an_error():
    r = esign.prorate(1, np.array(["2024-05-31", "2024-07-01", "2024-06-30"], "datetime64[D]"),
                      d("2024-06-01"), d("2024-06-30"))
    assert r.ok.tolist() == [False, False, True]
    assert "inside the service period" in r.reason[0]
    assert r.values[2] == 17  # 5.00 x 1/30 = 0.1666 -> 0.17


def test_es15_period_must_be_whole_months():
    r = esign.prorate(1, d("2024-06-10"),
                      np.array(["2024-06-01", "2024-06-01", "2024-01-31"], "datetime64[D]"),
                      np.array(["2024-06-29", "2024-08-31", "2024-02-28"], "datetime64[D]"))
    # 06-01..06-29 is not a month; 06-01..08-31 is three months; 01-31..02-28 is one month
    # (02-29 is February's clamped 31st) but 06-10 is outside it
    assert r.ok.tolist() == [False, True, False]
    assert "ES-15" in r.reason[0] and "whole number of calendar months" in r.reason[0]
    # three months, 83 of 92 days: 1 x 5 x 3 x 83/92 = 13.5326... -> 13.53
    assert r.values[1] == 1353


def test_es15_missing_date_is_an_error_not_zero():
    r = esign.prorate(1, np.array(["NaT", "2024-06-01"], "datetime64[D]"), d("2024-06-01"),
                      d("2024-06-30"))
    assert r.ok.tolist() == [False, True]
    assert "purchase date" in r.reason[0]
    assert r.values[1] == 500


def test_es15_zero_licences_cost_zero():
    r = esign.prorate(0, d("2024-06-16"), d("2024-06-01"), d("2024-06-30"))
    assert r.validity.all_ok and int(r.values) == 0


def test_es15_overflow_is_refused():
    r = esign.prorate(1e15, d("2024-01-01"), d("2024-01-01"), d("2024-12-31"),
                      monthly_price=1e6)
    assert not r.ok and "too large" in r.reason[()]


def test_es15_broadcasts_and_keeps_shape():
    r = esign.prorate(np.array([[1], [2]]), d("2024-06-16"), d("2024-06-01"),
                      d("2024-06-30"), monthly_price=np.array([5.0, 10.0]))
    # 1 x 5 x 15/30 = 2.50, 1 x 10 x 15/30 = 5.00; 2 licences double
    assert r.values.tolist() == [[250, 500], [500, 1000]]


def test_es15_split_licences_sum_within_rounding_example():
    # 1 licence for 1 of 30 days: 0.1666 -> 0.17; three such lines 0.51, one line of 3: 0.50
    one = esign.prorate(1, d("2024-06-30"), d("2024-06-01"), d("2024-06-30"))
    three = esign.prorate(3, d("2024-06-30"), d("2024-06-01"), d("2024-06-30"))
    assert (3 * int(one.values), int(three.values)) == (51, 50)


def test_es15_monthly_periods_add_up_to_the_annual_price():
    # bought on the first day, 12 monthly periods of 2025 cost what the annual period costs
    starts = np.arange("2025-01", "2026-01", dtype="datetime64[M]").astype("datetime64[D]")
    ends = (np.arange("2025-02", "2026-02", dtype="datetime64[M]").astype("datetime64[D]")
            - np.timedelta64(1, "D"))
    monthly = esign.prorate(7, starts, starts, ends)
    annual = esign.prorate(7, d("2025-01-01"), d("2025-01-01"), d("2025-12-31"))
    assert monthly.validity.all_ok
    assert int(monthly.values.sum()) == int(annual.values) == 7 * 500 * 12


dates_2024_on = st.dates(min_value=dt.date(2024, 3, 28), max_value=dt.date(2030, 12, 31))


@st.composite
def periods(draw):
    start = draw(dates_2024_on)
    months = draw(st.sampled_from([1, 1, 3, 12, 24]))
    end = add_months(start, months) - dt.timedelta(days=1)
    bought = start + dt.timedelta(days=draw(st.integers(0, (end - start).days)))
    return start, end, bought, months


@given(periods(), st.integers(0, 10**9),
       st.one_of(st.none(), st.decimals(min_value=0, max_value=1000, places=4,
                                        allow_nan=False)))
def test_es15_prorate_matches_fraction_reference(period, licences, price):
    start, end, bought, months = period
    explicit = np.nan if price is None else float(price)
    r = esign.prorate(float(licences), np.datetime64(bought), np.datetime64(start),
                      np.datetime64(end), monthly_price=explicit)
    unit = Decimal("5.00") if price is None else price
    want = ref_prorate(licences, unit, bought, start, end, months)
    product = licences * int(unit * 10_000) * months * ((end - bought).days + 1)
    if r.ok:
        assert int(r.values) == want
    else:  # refused only beyond the exact int64 range, and it says so
        assert product >= 2**60 and "too large" in r.reason[()], r.reason


@given(periods(), st.lists(st.integers(0, 10**6), min_size=1, max_size=8))
def test_es15_split_licences_never_differ_by_more_than_rounding(period, parts):
    start, end, bought, _ = period
    args = (np.datetime64(bought), np.datetime64(start), np.datetime64(end))
    pieces = esign.prorate(np.array(parts, dtype=float), *args)
    whole = esign.prorate(float(sum(parts)), *args)
    # each rounded line is within half a cent of its exact amount, so is the whole:
    # |sum of lines - whole| <= (k + 1) / 2 cents
    assert 2 * abs(int(pieces.values.sum()) - int(whole.values)) <= len(parts) + 1


@given(st.integers(0, 10**6), st.integers(0, 10**4))
def test_es15_half_cent_edges(price_cents, licences):
    # June has 30 days; bought on the 16th: 15/30 = exactly half, so every odd
    # licences x price (in cents) lands on half a cent, which must round up
    r = esign.prorate(float(licences), d("2024-06-16"), d("2024-06-01"), d("2024-06-30"),
                      monthly_price=price_cents / 100)
    exact = Fraction(licences * price_cents, 2)
    assert r.ok and int(r.values) == half_up(exact)
    assert int(r.values) == (licences * price_cents + 1) // 2


@given(periods())
def test_es15_purchase_on_the_first_day_is_the_full_price(period):
    start, end, _, months = period
    r = esign.prorate(3, np.datetime64(start), np.datetime64(start), np.datetime64(end))
    assert int(r.values) == 3 * 500 * months


# --- ES-1: legacy plan before 2024-03-28 --------------------------------------------------

def test_es1_legacy_purchase_needs_an_explicit_price():
    days = np.array(["2024-03-27", "2024-03-28"], "datetime64[D]")
    r = esign.prorate(1, days, d("2024-03-01"), d("2024-03-31"))
    # 2024-03-27 is legacy: no public price -> error citing ES-1; 2024-03-28 is the new plan:
    # 1 x 5.00 x 4/31 = 0.6451... -> 0.65
    assert r.ok.tolist() == [False, True]
    assert "ES-1" in r.reason[0] and "legacy" in r.reason[0]
    assert r.values[1] == 65


def test_es1_legacy_purchase_with_explicit_price_or_tariff_row():
    # a legacy licence at 4.00 (an input, not vendor data) bought 2024-03-17 for 15/31 days of
    # March: 2 x 4.00 x 15/31 = 3.8709... -> 3.87
    r = esign.prorate(2, d("2024-03-17"), d("2024-03-01"), d("2024-03-31"), monthly_price=4.0)
    assert r.validity.all_ok and int(r.values) == 387
    table = TariffTable.from_rows([["licence", 4.0, None]])
    r = esign.prorate(2, d("2024-03-17"), d("2024-03-01"), d("2024-03-31"), tariff=table)
    assert r.validity.all_ok and int(r.values) == 387


def test_es1_legacy_signatures_need_a_price():
    r = esign.signature_cost("electronic", 10, np.array(["2024-03-27", "2024-03-28"],
                                                         "datetime64[D]"))
    assert r.ok.tolist() == [False, True] and "ES-1" in r.reason[0]
    assert r.values[1] == 300  # 10 x 0.30
    r = esign.signature_cost("electronic", 10, d("2024-03-27"), unit_price=0.25)
    assert r.ok and int(r.values) == 250


def test_es1_ledger_legacy_subscription_keeps_legacy_prices_after_the_switch_date():
    # subscribed 2024-03-01 (legacy); buying electronic signatures on 2024-05-01 still follows
    # the legacy plan: without unit_price it is an error, with 0.25 it costs 20 x 0.25 = 5.00
    L = esign.ledger("s", np.array(["2024-03-01", "2024-05-01", "2024-05-01"], "datetime64[D]"),
                     obj("subscribe", "buy", "buy"), obj("", "electronic", "electronic"),
                     np.array([np.nan, 20, 20]), unit_price=np.array([np.nan, np.nan, 0.25]))
    assert L.ok.tolist() == [True, False, True]
    assert "ES-1" in L.reason[1]
    assert L.cost_cents[2] == 500
    # ES-1/ES-11: a legacy subscription gets no free 10 + 6
    assert L.free_electronic_left.tolist() == [0, 0, 0]
    assert L.bought_electronic_left.tolist() == [0, 0, 20]


# --- ES-2: legacy users and qualified signatures -----------------------------------------

def test_es2_legacy_needs_cancel_and_new_subscription_for_qualified():
    rows = [
        ("2024-02-01", "subscribe", "", np.nan, np.nan, np.nan),  # legacy plan
        ("2024-02-01", "licences", "", np.nan, 2, np.nan),
        ("2024-02-02", "buy", "electronic", 4, np.nan, 0.25),  # legacy price given: 1.00
        ("2024-04-02", "buy", "qualified", 1, np.nan, np.nan),  # ES-2: refused
        ("2024-04-03", "use", "qualified", 1, np.nan, np.nan),  # ES-2: refused
        ("2024-04-10", "cancel", "", np.nan, np.nan, np.nan),
        ("2024-04-11", "subscribe", "", np.nan, 2, np.nan),  # the new plan, 2 licences
        ("2024-04-12", "buy", "qualified", 3, np.nan, np.nan),  # 3 x 2.50 = 7.50
        ("2024-04-13", "use", "electronic", 4, np.nan, np.nan),  # kept legacy signatures
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, True, True, False, False, True, True, True, True]
    assert "ES-2" in L.reason[3] and "ES-2" in L.reason[4]
    assert L.cost_cents.tolist() == [0, 0, 100, 0, 0, 0, 0, 750, 0]
    # moving to the new plan is not a newly bought main plan: no free grant (decision)
    assert L.free_qualified_left.tolist() == [0] * 9
    assert L.bought_qualified_left.tolist()[-1] == 3
    assert L.bought_electronic_left.tolist()[-1] == 0


def ledger_of(rows, subs="s", **kw):
    day, event, kind, qty, lic, price = zip(*rows, strict=True)
    return esign.ledger(subs, np.array(day, "datetime64[D]"), obj(*event), obj(*kind),
                        np.array(qty, dtype=float), np.array(lic, dtype=float),
                        np.array(price, dtype=float), **kw)


# --- ES-3: plan tiers -----------------------------------------------------------------------

def test_es3_new_plan_only_for_professional_business_enterprise():
    plans = obj("Professional", " business ", "ENTERPRISE", "Personal", "basic", "", None)
    r = esign.prorate(1, d("2024-06-01"), d("2024-06-01"), d("2024-06-30"), plan=plans)
    assert r.ok.tolist() == [True, True, True, False, False, True, True]
    assert "ES-3" in r.reason[3]
    assert r.values[r.ok].tolist() == [500] * 5
    assert esign.PLAN_TIERS == ("professional", "business", "enterprise")


def test_es3_not_checked_for_legacy_purchases():
    r = esign.prorate(1, d("2024-03-01"), d("2024-03-01"), d("2024-03-31"), monthly_price=4.0,
                      plan="personal")
    assert r.ok and int(r.values) == 400


# --- ES-4: licence price --------------------------------------------------------------------

def test_es4_licence_is_5_eur_per_user_per_month():
    r = esign.prorate(np.array([1, 4]), d("2024-06-01"), d("2024-06-01"), d("2024-06-30"))
    assert r.values.tolist() == [500, 2000]  # 1 x 5.00; 4 x 5.00


def test_es4_licences_must_be_whole():
    r = esign.prorate(np.array([1.5, np.nan, 2]), d("2024-06-01"), d("2024-06-01"),
                      d("2024-06-30"))
    assert r.ok.tolist() == [False, False, True]
    assert "licences" in r.reason[0] and "whole number" in r.reason[0]


def test_es4_tariff_table_overrides_the_licence_price():
    table = TariffTable.from_rows([["code", "unit_price"], ["licence", "6.00"]])
    r = esign.prorate(2, d("2024-06-01"), d("2024-06-01"), d("2024-06-30"), tariff=table)
    assert int(r.values) == 1200  # 2 x 6.00


def test_es4_explicit_price_must_be_a_price():
    r = esign.prorate(1, d("2024-06-01"), d("2024-06-01"), d("2024-06-30"),
                      monthly_price=np.array([-5.0, 5.12345, 5.1234]))
    assert r.ok.tolist() == [False, False, True]
    assert r.values[2] == 512  # 5.1234 -> 5.12


# --- ES-5 / ES-12: licences never above the main subscription's users ----------------------

def test_es5_licences_never_exceed_users():
    r = esign.prorate(np.array([5, 6, 6]), d("2024-06-01"), d("2024-06-01"), d("2024-06-30"),
                      main_users=np.array([5, 5, np.nan]))
    assert r.ok.tolist() == [True, False, True]
    assert "ES-5" in r.reason[1]
    assert r.values[[0, 2]].tolist() == [2500, 3000]


def test_es12_new_users_are_seated_and_licensed_in_one_step():
    # ES-12: licences only for users who already have a seat. Adding a 6th user with a licence
    # is priced with main_users = 6 (the seat comes in the same step); with the old 5 seats
    # the 6th licence is refused (ES-5).
    r = esign.prorate(6, d("2024-06-16"), d("2024-06-01"), d("2024-06-30"),
                      main_users=np.array([5, 6]))
    assert r.ok.tolist() == [False, True]
    assert r.values[1] == 1500  # 6 x 5.00 x 15/30


def test_es5_bad_main_users_is_an_error():
    r = esign.prorate(1, d("2024-06-01"), d("2024-06-01"), d("2024-06-30"),
                      main_users=np.array([-1, 2.5]))
    assert not r.ok.any()


# --- ES-6: licences move between users ----------------------------------------------------

def test_es6_moving_a_licence_changes_no_count_and_costs_nothing():
    # ES-6: the administrator may move a licence to another user at any time: the licence
    # count of the subscription stays, the quota stays, nothing is charged.
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 3, np.nan),
        ("2024-05-10", "licences", "", np.nan, 3, np.nan),  # licence moved: still 3
    ]
    L = ledger_of(rows)
    assert L.ok.all()
    assert L.licences.tolist() == [3, 3]
    assert L.cost_cents.tolist() == [0, 0]
    assert L.free_electronic_left.tolist() == [10, 10]


# --- ES-7: signature purchases ------------------------------------------------------------

def test_es7_signature_prices():
    # 7 qualified = 7 x 2.50 = 17.50; 10 electronic = 10 x 0.30 = 3.00; codes case-insensitive
    r = esign.signature_cost(obj("qualified", "Electronic", " SIGNATURE_QUALIFIED ",
                                 "signature_electronic"), np.array([7, 10, 1, 1]),
                             d("2024-05-01"))
    assert r.validity.all_ok and r.kind == "cents"
    assert r.values.tolist() == [1750, 300, 250, 30]


def test_es7_bad_kind_and_quantity_are_errors_others_kept():
    r = esign.signature_cost(obj("sms", "electronic", "electronic", "qualified", None),
                             np.array([1, -1, 0.5, 1e9, 1]), d("2024-05-01"))
    assert r.ok.tolist() == [False, False, False, True, False]
    assert "ES-7" in r.reason[0]
    assert r.values[3] == 250_000_000_000  # 10^9 x 2.50 = 2,500,000,000.00


def test_es7_unit_price_override():
    r = esign.signature_cost("qualified", 3, d("2024-05-01"), unit_price=np.array([2.0, np.nan]))
    assert r.values.tolist() == [600, 750]


@given(st.integers(0, 10**9), st.sampled_from(["electronic", "qualified"]),
       st.one_of(st.none(), st.decimals(min_value=0, max_value=10_000, places=4,
                                        allow_nan=False)))
def test_es7_cost_matches_reference(qty, kind, price):
    unit = {"electronic": Decimal("0.30"), "qualified": Decimal("2.50")}[kind]
    unit = unit if price is None else price
    r = esign.signature_cost(kind, float(qty), d("2024-05-01"),
                             unit_price=np.nan if price is None else float(price))
    assert r.ok
    assert int(r.values) == half_up(Fraction(qty) * Fraction(unit) * 100)


def test_es7_signatures_cannot_be_used_without_licences():
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, np.nan, np.nan),
        ("2024-05-02", "use", "electronic", 1, np.nan, np.nan),  # no licences: refused
        ("2024-05-03", "licences", "", np.nan, 1, np.nan),
        ("2024-05-04", "use", "electronic", 1, np.nan, np.nan),
        ("2024-06-01", "licences", "", np.nan, 0, np.nan),  # at the renewal (ES-13)
        ("2024-06-02", "use", "electronic", 1, np.nan, np.nan),  # refused again
    ]
    period = np.array(["NaT"] * 4 + ["2024-06-01", "2024-06-01"], "datetime64[D]")
    L = ledger_of(rows, period_start=period)
    assert L.ok.tolist() == [True, False, True, True, True, False]
    assert "ES-7" in L.reason[1] and "licences" in L.reason[1]
    assert L.free_electronic_left.tolist() == [10, 10, 10, 9, 9, 9]


def test_es7_signatures_do_not_expire_and_belong_to_the_subscription():
    # bought 2024-05-02, used three years later; licence count changes leave them alone
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 1, np.nan),
        ("2024-05-02", "buy", "qualified", 2, np.nan, np.nan),  # 2 x 2.50 = 5.00
        ("2025-01-01", "licences", "", np.nan, 4, np.nan),
        ("2027-05-02", "use", "qualified", 8, np.nan, np.nan),  # 6 free + 2 bought
    ]
    L = ledger_of(rows)
    assert L.ok.all()
    assert L.cost_cents.tolist() == [0, 500, 0, 0]
    assert L.free_qualified_left.tolist() == [6, 6, 6, 0]
    assert L.bought_qualified_left.tolist() == [0, 2, 2, 0]


def test_es7_buy_and_use_need_a_kind():
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 1, np.nan),
        ("2024-05-02", "buy", "", 2, np.nan, np.nan),
        ("2024-05-02", "use", "sms", 2, np.nan, np.nan),
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, False, False]
    assert all("ES-7" in r for r in L.reason[1:])


# --- ES-8: the quota used up ------------------------------------------------------------------

def test_es8_request_beyond_quota_is_refused_nothing_consumed_nothing_charged():
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 2, np.nan),
        ("2024-05-02", "use", "electronic", 8, np.nan, np.nan),  # 10 free -> 2 left
        ("2024-05-03", "use", "electronic", 3, np.nan, np.nan),  # 3 > 2: refused
        ("2024-05-04", "buy", "electronic", 5, np.nan, np.nan),  # 5 x 0.30 = 1.50
        ("2024-05-05", "use", "electronic", 3, np.nan, np.nan),  # 2 free + 1 bought
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, True, False, True, True]
    assert "ES-8" in L.reason[2] and "2 electronic" in L.reason[2]
    assert L.free_electronic_left.tolist() == [10, 2, 2, 2, 0]
    assert L.bought_electronic_left.tolist() == [0, 0, 0, 5, 4]
    assert L.cost_cents.tolist() == [0, 0, 0, 150, 0]


# --- ES-9: cancellation and restart -----------------------------------------------------------

def test_es9_cancel_keeps_signatures_restart_needs_licences_again():
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 2, np.nan),
        ("2024-05-02", "buy", "qualified", 4, np.nan, np.nan),  # 4 x 2.50 = 10.00
        ("2024-05-03", "cancel", "", np.nan, np.nan, np.nan),
        ("2024-05-04", "use", "qualified", 1, np.nan, np.nan),  # cancelled: refused
        ("2024-05-05", "buy", "qualified", 1, np.nan, np.nan),  # cancelled: refused
        ("2024-06-01", "restart", "", np.nan, np.nan, np.nan),
        ("2024-06-02", "use", "qualified", 1, np.nan, np.nan),  # no licences yet: refused
        ("2024-06-03", "licences", "", np.nan, 1, np.nan),
        ("2024-06-04", "use", "qualified", 9, np.nan, np.nan),  # 6 free + 3 of the 4 kept
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, True, True, False, False, True, False, True, True]
    assert "ES-9" in L.reason[3] and "ES-9" in L.reason[4] and "ES-7" in L.reason[6]
    assert L.licences.tolist() == [2, 2, 0, 0, 0, 0, 0, 1, 1]
    assert L.bought_qualified_left.tolist() == [0, 4, 4, 4, 4, 4, 4, 4, 1]
    assert L.free_qualified_left.tolist() == [6, 6, 6, 6, 6, 6, 6, 6, 0]


def test_es9_restart_with_licences_on_the_row_and_double_cancel():
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 2, np.nan),
        ("2024-05-03", "cancel", "", np.nan, np.nan, np.nan),
        ("2024-05-04", "cancel", "", np.nan, np.nan, np.nan),  # already cancelled
        ("2024-05-05", "subscribe", "", np.nan, 2, np.nan),  # new plan: use restart
        ("2024-05-06", "restart", "", np.nan, 3, np.nan),
        ("2024-05-07", "restart", "", np.nan, 3, np.nan),  # not cancelled
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, True, False, False, True, False]
    assert all("ES-9" in r for r in L.reason[[2, 3, 5]])
    assert L.licences.tolist() == [2, 0, 0, 0, 3, 3]


# --- ES-10: trial -----------------------------------------------------------------------------

def test_es10_trial_gets_10_plus_6_and_cannot_buy_for_14_days():
    rows = [
        ("2024-04-01", "trial", "", np.nan, np.nan, np.nan),
        ("2024-04-01", "licences", "", np.nan, 1, np.nan),
        ("2024-04-05", "buy", "electronic", 5, np.nan, np.nan),  # in the trial: refused
        ("2024-04-14", "buy", "electronic", 5, np.nan, np.nan),  # day 14: refused
        ("2024-04-15", "buy", "electronic", 5, np.nan, np.nan),  # after, not paid: refused
        ("2025-04-01", "use", "qualified", 6, np.nan, np.nan),  # not time-limited
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, True, False, False, False, True]
    assert "14-day trial" in L.reason[2] and "14-day trial" in L.reason[3]
    assert "paid subscription" in L.reason[4]
    assert L.free_electronic_left.tolist() == [10] * 6
    assert L.free_qualified_left.tolist() == [6, 6, 6, 6, 6, 0]
    assert L.cost_cents.sum() == 0


def test_es10_trial_before_2024_03_28_gets_no_free_quota():
    rows = [("2024-03-27", "trial", "", np.nan, np.nan, np.nan),
            ("2024-03-28", "trial", "", np.nan, np.nan, np.nan)]
    L = ledger_of(rows, subs=obj("old", "new"))
    assert L.free_electronic_left.tolist() == [0, 10]
    assert L.free_qualified_left.tolist() == [0, 6]


def test_es10_a_second_trial_is_refused_and_buying_needs_a_subscription():
    rows = [
        ("2024-05-01", "buy", "electronic", 1, np.nan, np.nan),  # nothing yet
        ("2024-05-02", "trial", "", np.nan, np.nan, np.nan),
        ("2024-06-02", "trial", "", np.nan, np.nan, np.nan),
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [False, True, False]
    assert "no trial or subscription" in L.reason[0]
    assert "ES-10" in L.reason[2]


# --- ES-11: a newly bought main plan --------------------------------------------------------

def test_es11_new_paid_plan_gets_10_plus_6_per_subscription():
    # two subscriptions, each its own 10 + 6 (per subscription, not per user: 5 licences do
    # not multiply it)
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 5, np.nan),
        ("2024-05-01", "subscribe", "", np.nan, 1, np.nan),
        ("2024-05-02", "use", "electronic", 10, np.nan, np.nan),
        ("2024-05-02", "use", "electronic", 11, np.nan, np.nan),
        ("2024-05-03", "subscribe", "", np.nan, np.nan, np.nan),  # already paid
    ]
    L = ledger_of(rows, subs=obj("A", "B", "a", "b", "A"))
    assert L.ok.tolist() == [True, True, True, False, False]
    assert "ES-8" in L.reason[3] and "ES-11" in L.reason[4]
    assert L.free_electronic_left.tolist() == [10, 10, 0, 10, 0]
    assert L.free_qualified_left.tolist() == [6, 6, 6, 6, 6]


def test_es11_trial_converting_to_paid_gets_no_second_grant():
    # decision: one free 10 + 6 per subscription; the trial's remaining free signatures stay
    rows = [
        ("2024-04-01", "trial", "", np.nan, np.nan, np.nan),
        ("2024-04-02", "licences", "", np.nan, 1, np.nan),
        ("2024-04-03", "use", "electronic", 4, np.nan, np.nan),
        ("2024-04-10", "subscribe", "", np.nan, np.nan, np.nan),  # converts within the trial
        ("2024-04-11", "buy", "electronic", 10, np.nan, np.nan),  # paid: allowed, 3.00
    ]
    L = ledger_of(rows)
    assert L.ok.all()
    assert L.free_electronic_left.tolist() == [10, 10, 6, 6, 6]
    assert L.bought_electronic_left.tolist() == [0, 0, 0, 0, 10]
    assert L.cost_cents.tolist() == [0, 0, 0, 0, 300]


def test_es11_legacy_subscription_gets_no_free_quota():
    rows = [("2024-03-27", "subscribe", "", np.nan, 1, np.nan),
            ("2024-03-28", "subscribe", "", np.nan, 1, np.nan)]
    L = ledger_of(rows, subs=obj("old", "new"))
    assert L.free_electronic_left.tolist() == [0, 10]


# --- ES-13 / ES-15: reductions only at renewal ----------------------------------------------

def test_es13_reduction_takes_effect_at_renewal():
    r = esign.reduction_date(np.array(["2024-06-10", "2024-12-31", "2025-01-02"],
                                      "datetime64[D]"), d("2024-12-31"))
    assert r.kind == "date"
    assert r.ok.tolist() == [True, True, False]
    assert r.values[:2].tolist() == [dt.date(2025, 1, 1)] * 2
    assert "ES-13" in r.reason[2]


def test_es13_renewal_after_excels_last_date_is_an_error():
    # F10: a period ending 9999-12-31 renews on 10000-01-01, which no Excel date can hold;
    # 9999-12-30 still renews on 9999-12-31
    r = esign.reduction_date(d("2024-06-10"), np.array(["9999-12-31", "9999-12-30"],
                                                       "datetime64[D]"))
    assert r.ok.tolist() == [False, True]
    assert "ES-13" in r.reason[0] and "9999-12-31" in r.reason[0]
    assert r.values[1] == d("9999-12-31")


def test_es13_no_mid_period_refund_for_fewer_licences():
    r = esign.prorate(-2, d("2024-06-16"), d("2024-06-01"), d("2024-06-30"))
    assert not r.ok and "ES-13" in r.reason[()]


# --- ES-14: free and purchased shown separately ---------------------------------------------

def test_es14_purchased_reported_above_free():
    # the admin's dashboard shows the free quota and the purchased signatures above it: the
    # ledger keeps both apart, per kind
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 1, np.nan),
        ("2024-05-02", "buy", "electronic", 5, np.nan, np.nan),  # 1.50
        ("2024-05-02", "buy", "qualified", 2, np.nan, np.nan),  # 5.00
    ]
    L = ledger_of(rows)
    last = [x[-1] for x in (L.free_electronic_left, L.bought_electronic_left,
                            L.free_qualified_left, L.bought_qualified_left)]
    assert last == [10, 5, 6, 2]
    assert L.cost_cents.tolist() == [0, 150, 500]
    assert L.result("cost_cents").kind == "cents"
    assert L.result("free_electronic_left").kind == "count"


# --- the ledger as a vectorised function ----------------------------------------------------

def test_ledger_sorts_by_date_per_subscription_and_answers_in_input_order():
    # rows typed out of order: the use on 05-03 comes after the buy on 05-02
    rows = [
        ("2024-05-03", "use", "electronic", 12, np.nan, np.nan),
        ("2024-05-01", "subscribe", "", np.nan, 1, np.nan),
        ("2024-05-02", "buy", "electronic", 2, np.nan, np.nan),
    ]
    L = ledger_of(rows)
    assert L.ok.all()
    assert L.free_electronic_left.tolist() == [0, 10, 10]
    assert L.bought_electronic_left.tolist() == [0, 0, 2]


def test_ledger_equal_dates_keep_input_order():
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 1, np.nan),
        ("2024-05-01", "use", "qualified", 6, np.nan, np.nan),
        ("2024-05-01", "use", "qualified", 1, np.nan, np.nan),  # after the 6: refused
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, True, False]


def test_ledger_bad_rows_change_nothing():
    rows = [
        ("2024-05-01", "subscribe", "", np.nan, 1, np.nan),
        ("NaT", "use", "electronic", 1, np.nan, np.nan),
        ("2024-05-02", "sell", "electronic", 1, np.nan, np.nan),
        ("2024-05-03", "use", "electronic", 1.5, np.nan, np.nan),
        ("2024-05-04", "licences", "", np.nan, np.nan, np.nan),
        ("2024-05-05", "buy", "electronic", 1, np.nan, -0.3),
        ("2024-05-06", "use", "electronic", 1, np.nan, np.nan),
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, False, False, False, False, False, True]
    # a row without a date has no place in time: its 'left' values mean nothing (an error)
    keep = [0, 2, 3, 4, 5, 6]
    assert L.free_electronic_left[keep].tolist() == [10, 10, 10, 10, 10, 9]
    assert L.licences[keep].tolist() == [1] * 6
    assert L.cost_cents.tolist() == [0] * 7


def test_ledger_empty_subscription_is_an_error():
    L = esign.ledger(obj("", None, 7.0), d("2024-05-01"), "subscribe", "", np.nan)
    assert L.ok.tolist() == [False, False, True]


events = st.sampled_from(["trial", "subscribe", "licences", "buy", "use", "cancel", "restart"])


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 60), events,
                          st.sampled_from(["electronic", "qualified"]), st.integers(0, 12),
                          st.integers(0, 3)), max_size=25),
       st.randoms(use_true_random=False))
def test_ledger_invariants_and_row_order_independence(rows, rnd):
    # dates are distinct per subscription so a shuffle may not change any row's answer
    seen, unique = set(), []
    for r in rows:
        if (r[0], r[1]) not in seen:
            seen.add((r[0], r[1]))
            unique.append(r)

    def run(rs):
        if not rs:
            return None
        subs, off, ev, kind, qty, lic = zip(*rs, strict=True)
        days = d("2024-04-01") + np.array(off)
        return esign.ledger(obj(*subs), days, obj(*ev), obj(*kind), np.array(qty, float),
                            np.array(lic, float))

    L = run(unique)
    if L is None:
        return
    for f in ("free_electronic_left", "free_qualified_left", "bought_electronic_left",
              "bought_qualified_left"):
        assert (getattr(L, f) >= 0).all()
    assert (L.free_electronic_left <= 10).all() and (L.free_qualified_left <= 6).all()
    # cost is exactly the accepted purchases, 0.30 / 2.50 each
    buys = np.array([r[2] == "buy" for r in unique]) & L.ok
    unit = np.array([30 if r[3] == "electronic" else 250 for r in unique])
    assert L.cost_cents.sum() == (np.array([r[4] for r in unique]) * unit)[buys].sum()
    # a shuffle of the rows gives every row the same answer
    perm = list(range(len(unique)))
    rnd.shuffle(perm)
    S = run([unique[i] for i in perm])
    for f in ("free_electronic_left", "bought_qualified_left", "cost_cents", "licences"):
        assert getattr(S, f).tolist() == getattr(L, f)[perm].tolist()
    assert S.ok.tolist() == L.ok[perm].tolist()


def test_constants():
    assert esign.NEW_PLAN_FROM == d("2024-03-28")
    assert (esign.FREE_ELECTRONIC, esign.FREE_QUALIFIED, esign.TRIAL_DAYS) == (10, 6, 14)


@pytest.mark.parametrize("bad", ["x", np.nan])
def test_unknown_event_is_an_error(bad):
    L = esign.ledger("s", d("2024-05-01"), obj(bad), "", np.nan)
    assert not L.ok.any() and "event" in L.reason[0]


# --- Excel-like input ---------------------------------------------------------------------

def test_dates_as_excel_serials_iso_text_and_python_dates():
    # 45444 = 2024-06-01, 45473 = 2024-06-30 (Excel 1900 serials); 3 x 5.00 x 15/30 = 7.50
    r = esign.prorate(3, obj("2024-06-16", dt.date(2024, 6, 16), 45459.0, "16.6.2024", None),
                      45444.0, np.array([45473.0]))
    assert r.ok.tolist() == [True, True, True, False, False]
    assert r.values[:3].tolist() == [750, 750, 750]
    assert "purchase date" in r.reason[3]


def test_text_where_a_number_belongs_is_an_error_not_zero():
    r = esign.signature_cost("qualified", obj(7, "seven", True, None, "", 7.0), d("2024-05-01"))
    assert r.ok.tolist() == [True, False, False, False, False, True]
    assert "not a number" in r.reason[1]
    assert r.values[[0, 5]].tolist() == [1750, 1750]
    # an empty optional price is "not given"; text there is an error
    r = esign.prorate(1, d("2024-06-01"), d("2024-06-01"), d("2024-06-30"),
                      monthly_price=obj(None, "", "abc", 6))
    assert r.ok.tolist() == [True, True, False, True]
    assert r.values[[0, 1, 3]].tolist() == [500, 500, 600]


garbage = st.one_of(st.text(max_size=5), st.booleans(), st.none(),
                    st.sampled_from([np.nan, -1.0, 1e308, 0.5, "2024-06-01"]))


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 29)), min_size=1, max_size=12),
       st.lists(st.tuples(st.integers(0, 11), st.integers(0, 1), garbage), max_size=6))
def test_garbage_rows_are_errors_and_good_rows_equal_one_by_one(good, junk):
    licences = [float(n) for n, _ in good]
    bought = [dt.date(2024, 6, 1) + dt.timedelta(days=k) for _, k in good]
    bad_rows = set()
    for row, col, value in junk:
        if row < len(good):
            (licences if col == 0 else bought)[row] = value
            bad_rows.add(row)
    r = esign.prorate(obj(*licences), obj(*bought), d("2024-06-01"), d("2024-06-30"))
    for i in range(len(good)):
        one = esign.prorate(licences[i] if not isinstance(licences[i], str) else obj(licences[i]),
                            obj(bought[i]), d("2024-06-01"), d("2024-06-30"))
        assert bool(r.ok[i]) == bool(np.all(one.ok))
        if r.ok[i]:
            assert r.values[i] == int(np.ravel(one.values)[0])
        if i not in bad_rows:
            assert r.ok[i], r.reason[i]


def test_the_documented_ledger_example():
    # docs/engine-esign-bill.md, ledger example table: same rows, same numbers
    rows = [
        ("2024-04-01", "trial", "", np.nan, np.nan, np.nan),
        ("2024-04-02", "licences", "", np.nan, 1, np.nan),
        ("2024-04-03", "use", "electronic", 4, np.nan, np.nan),
        ("2024-04-05", "buy", "electronic", 5, np.nan, np.nan),
        ("2024-04-10", "subscribe", "", np.nan, np.nan, np.nan),
        ("2024-04-11", "buy", "qualified", 7, np.nan, np.nan),
        ("2024-04-12", "use", "qualified", 8, np.nan, np.nan),
        ("2024-04-13", "use", "qualified", 6, np.nan, np.nan),
        ("2024-05-01", "cancel", "", np.nan, np.nan, np.nan),
        ("2024-06-01", "restart", "", np.nan, 2, np.nan),
    ]
    L = ledger_of(rows, subs="A")
    assert L.ok.tolist() == [True, True, True, False, True, True, True, False, True, True]
    assert "14-day trial" in L.reason[3] and "5 qualified signature(s) left" in L.reason[7]
    good = L.ok
    table = list(zip(L.free_electronic_left[good].tolist(), L.free_qualified_left[good].tolist(),
                     L.bought_electronic_left[good].tolist(),
                     L.bought_qualified_left[good].tolist(), L.cost_cents[good].tolist(),
                     strict=True))
    assert table == [(10, 6, 0, 0, 0), (10, 6, 0, 0, 0), (6, 6, 0, 0, 0), (6, 6, 0, 0, 0),
                     (6, 6, 0, 7, 1750), (6, 0, 0, 5, 0), (6, 0, 0, 5, 0), (6, 0, 0, 5, 0)]
    assert L.licences[-1] == 2


def test_es1_trialled_before_the_switch_date_stays_legacy_after_paying():
    # ES-1: plans "bought or trialled" before 2024-03-28 follow the legacy plan: a trial on
    # 2024-03-20 converted on 2024-04-10 has no free quota and no qualified signatures (ES-2)
    rows = [
        ("2024-03-20", "trial", "", np.nan, np.nan, np.nan),
        ("2024-04-10", "subscribe", "", np.nan, 1, np.nan),
        ("2024-04-11", "buy", "qualified", 1, np.nan, 2.5),
        ("2024-04-11", "buy", "electronic", 10, np.nan, 0.2),  # 10 x 0.20 = 2.00
    ]
    L = ledger_of(rows)
    assert L.ok.tolist() == [True, True, False, True]
    assert "ES-2" in L.reason[2]
    assert L.free_electronic_left.tolist() == [0, 0, 0, 0]
    assert L.cost_cents.tolist() == [0, 0, 0, 200]


def _template_esign_table():
    # the template's Tariff_esign_2024 rows: code, unit price, valid_from 2024-03-28
    from pricing.catalog import builtin
    pl = next(p for p in builtin().versions("esign") if p.id == "esign-2024")
    return TariffTable.from_rows(
        [["code", "unit_price", "valid_from"]]
        + [[i.code, i.price_e4 / 10**4, pl.valid_from] for i in pl.items.values()])


@pytest.mark.parametrize("table", [None, "template", [["signature_electronic", 0.3, "2024-03-28"]],
                                   [["signature_electronic", 0.3, "2024-04-15"]]])
def test_es1_ledger_new_plan_tariff_rows_do_not_price_a_legacy_subscription(table):
    # F8, ES-1: trial 2024-03-01 + subscribe 2024-03-10 = legacy; buying 10 electronic on
    # 2024-05-01 without unit_price is an error with or without a tariff table whose rows are
    # the new plan's (valid_from on/after 2024-03-28) -- it was 10 x 0.30 = 3.00 with a table
    if table == "template":
        table = _template_esign_table()
    elif table is not None:
        table = TariffTable.from_rows(table)
    rows = [
        ("2024-03-01", "trial", "", np.nan, np.nan, np.nan),
        ("2024-03-10", "subscribe", "", np.nan, 1, np.nan),
        ("2024-05-01", "buy", "electronic", 10, np.nan, np.nan),
        ("2024-05-02", "buy", "electronic", 10, np.nan, 0.25),  # 10 x 0.25 = 2.50
    ]
    L = ledger_of(rows, tariff=table)
    assert L.ok.tolist() == [True, True, False, True]
    assert "ES-1" in L.reason[2] and "give unit_price" in L.reason[2]
    assert L.cost_cents.tolist() == [0, 0, 0, 250]
    assert L.bought_electronic_left.tolist() == [0, 0, 0, 10]


@pytest.mark.parametrize(("table", "cents"), [
    ([["signature_electronic", 0.2, None]], 200),            # blank valid_from: 10 x 0.20
    ([["signature_electronic", 0.2, "2024-01-01"]], 200),    # before 2024-03-28: 10 x 0.20
    ([["signature_electronic", 0.2, "2024-01-01"],           # the legacy row, not the new
      ["signature_electronic", 0.3, "2024-03-28"]], 200),    # plan's row in force on 05-01
])
def test_es1_ledger_legacy_tariff_rows_price_a_legacy_subscription(table, cents):
    rows = [
        ("2024-03-10", "subscribe", "", np.nan, 1, np.nan),
        ("2024-05-01", "buy", "electronic", 10, np.nan, np.nan),
    ]
    L = ledger_of(rows, tariff=TariffTable.from_rows(table))
    assert L.validity.all_ok, L.reason
    assert L.cost_cents.tolist() == [0, cents]


def test_es1_ledger_after_the_es2_move_uses_the_new_plans_tariff_rows():
    # legacy subscribe, cancel, subscribe on 2024-04-02 = the new plan (ES-2): its purchase is
    # priced by the template's table on the purchase date: 2 x 2.50 = 5.00, 10 x 0.30 = 3.00
    rows = [
        ("2024-03-01", "subscribe", "", np.nan, 1, np.nan),
        ("2024-04-01", "cancel", "", np.nan, np.nan, np.nan),
        ("2024-04-02", "subscribe", "", np.nan, 1, np.nan),
        ("2024-04-03", "buy", "qualified", 2, np.nan, np.nan),
        ("2024-04-03", "buy", "electronic", 10, np.nan, np.nan),
    ]
    L = ledger_of(rows, tariff=_template_esign_table())
    assert L.validity.all_ok, L.reason
    assert L.cost_cents.tolist() == [0, 0, 0, 500, 300]


def test_es1_signatures_keep_the_plan_of_the_purchase_date_with_the_template_table():
    # ESIGN_SIGNATURES is unchanged: the purchase date picks the plan, 10 x 0.30 = 3.00
    r = esign.signature_cost("electronic", 10, d("2024-05-01"), tariff=_template_esign_table())
    assert r.ok and int(r.values) == 300


# --- ES-1 (revised): the plan follows the subscription's start -----------------------------

def test_es1_price_functions_and_ledger_agree_on_a_legacy_subscription():
    # ES-1 (revised): a subscription started 2024-03-10 (legacy) buys 10 electronic signatures
    # on 2024-05-01. The ledger, signature_cost and prorate all refuse it without a legacy
    # price, and all price it at the given legacy price: 10 x 0.20 = 2.00; 3 licences at
    # 4.00 bought 2024-06-16 in June: 3 x 4.00 x 15/30 = 6.00
    started, bought = d("2024-03-10"), d("2024-05-01")
    L = ledger_of([("2024-03-10", "subscribe", "", np.nan, 1, np.nan),
                   ("2024-05-01", "buy", "electronic", 10, np.nan, np.nan),
                   ("2024-05-02", "buy", "electronic", 10, np.nan, 0.20)])
    assert L.ok.tolist() == [True, False, True] and "ES-1" in L.reason[1]
    assert L.cost_cents.tolist()[2] == 200
    s = esign.signature_cost("electronic", 10, bought, subscription_start=started)
    assert not s.ok and "ES-1" in s.reason.item()
    s = esign.signature_cost("electronic", 10, bought, 0.20, subscription_start=started)
    assert s.ok and int(s.values) == 200
    p = esign.prorate(3, d("2024-06-16"), d("2024-06-01"), d("2024-06-30"),
                      subscription_start=started)
    assert not p.ok and "ES-1" in p.reason.item()
    p = esign.prorate(3, d("2024-06-16"), d("2024-06-01"), d("2024-06-30"), 4.0,
                      subscription_start=started)
    assert int(p.values) == 600
    # ES-2: a legacy subscription cannot buy qualified signatures, in both
    q = esign.signature_cost("qualified", 1, bought, 2.0, subscription_start=started)
    assert not q.ok and q.reason.item().startswith("ES-2")


def test_es1_an_empty_start_lets_the_purchase_date_stand_in_and_says_so():
    r = esign.signature_cost("electronic", obj(100, 100), d("2024-05-01"),
                             subscription_start=obj(None, "2024-04-01"))
    assert r.values.tolist() == [3000, 3000]  # 100 x 0.30 (ES-7), new plan either way
    assert r.notes.tolist() == [
        "ES-1: no subscription start given - the purchase date stands in for it (new plan)",
        ""]


@given(start_day=st.integers(-200, 200), licences=st.integers(0, 500),
       price=st.none() | st.decimals(0, 100, places=2))
@settings(max_examples=150, deadline=None)
def test_es1_plan_by_subscription_start_matches_reference(start_day, licences, price):
    # bought 2024-06-16 in June; the subscription started start_day days from 2024-03-28
    started = esign.NEW_PLAN_FROM + start_day
    r = esign.prorate(licences, d("2024-06-16"), d("2024-06-01"), d("2024-06-30"),
                      np.nan if price is None else float(price), subscription_start=started)
    if started > d("2024-06-16"):
        assert not r.ok and "after the purchase date" in r.reason.item()
        return
    if start_day < 0 and price is None:  # legacy without a price: ES-1
        assert not r.ok and "legacy" in r.reason.item()
        return
    unit = Decimal("5.00") if price is None else price
    assert r.ok and int(r.values) == half_up(Fraction(licences) * Fraction(unit) * 100
                                              * Fraction(15, 30))
