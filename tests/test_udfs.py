"""Tarifa's worksheet functions called the way Excel calls them (Office.js JSON body through
``xlwings.server.custom_functions_call``), with numbers checked by hand against the price lists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import xlwings.server

from tests.officejs import call, serial
from udfs import excel_values as xv
from udfs import functions as F

ROOT = Path(__file__).resolve().parents[1]

VALUE = {"type": "Error", "errorType": "Value"}
NUM = {"type": "Error", "errorType": "Num"}
NA = {"type": "Error", "errorType": "NotAvailable"}


def one(func_name: str, *args: object, **kw: object) -> object:
    """The single cell a one-cell call returns."""
    out = call(func_name, *args, **kw)
    assert len(out) == 1 and len(out[0]) == 1, out
    return out[0][0]


def date_cell(value: object) -> float:
    """A date result as Excel receives it on runtime 1.4: a serial with a date format."""
    assert value["type"] == "FormattedNumber" and value["numberFormat"] == "yyyy-mm-dd", value
    return value["basicValue"]


def why(func_name: str, *args: object) -> list[str]:
    return [r[0] for r in call(func_name + "_CHECK", *args)]


# --- mSign -------------------------------------------------------------------------------------

def test_ms1_transactions_beyond_the_package():
    # MS-1: 120 used, 100 included -> 20 x 0.27 = 5.40
    assert one("MSIGN_OVERAGE", "transaction", 120, 100) == 5.40
    assert one("MSIGN_OVERAGE", "Transaction ", 90, 100) == 0.0  # within the package


@pytest.mark.parametrize(("item", "used", "included", "expected"), [
    ("onesign", 13, 10, 2.07),       # MS-2: 3 x 0.69
    ("rekono_qes", 4, None, 4.72),   # MS-3: 4 x 1.18, included omitted = 0
    ("rekono_aes", 3, 0, 2.40),      # MS-4: 3 x 0.80
    ("user", 7, 5, 12.00),           # MS-5: 2 x 6.00
    ("api", 1, 0, 100.00),           # MS-6: 100.00 per month
])
def test_ms2_to_ms6_prices(item, used, included, expected):
    assert one("MSIGN_OVERAGE", item, used, included) == expected


def test_ms7_storage_per_started_gb_only_on_smart_and_enterprise():
    # MS-7: 12.2 GB used, 10 included -> 2.2 GB over -> 3 started GB x 3.30 = 9.90
    assert one("MSIGN_OVERAGE", "storage_gb", 12.2, 10, "SMART") == 9.90
    assert one("MSIGN_OVERAGE", "storage_gb", 12.2, 10, "enterprise") == 9.90
    assert one("MSIGN_OVERAGE", "storage_gb", 12.2, 10, "MINI") == NUM
    assert one("MSIGN_OVERAGE", "storage_gb", 12.2, 10) == NUM
    assert "MS-7" in why("MSIGN_OVERAGE", "storage_gb", 12.2, 10, "MINI")[0]


def test_ms8_sms_needs_a_price_never_zero():
    assert one("MSIGN_OVERAGE", "sms", 100, 0) == NA
    assert "MS-8" in why("MSIGN_OVERAGE", "sms", 100, 0)[0]
    # with unit_price 0.05: 100 x 0.05 = 5.00
    assert one("MSIGN_OVERAGE", "sms", 100, 0, None, 0.05) == 5.00
    # from the tariff table: 101 x 0.045 = 4.545 -> 4.55 (half-up, once per line)
    tariff = [["code", "unit_price"], ["sms", 0.045]]
    assert one("MSIGN_OVERAGE", "sms", 101, 0, None, None, tariff) == 4.55


def test_msign_month_prices_with_the_tariff_rows_in_force_in_the_usage_month():
    # "Prices in force on the usage date": transaction 0.27, and 0.30 from 2025-06-01.
    # Alpina, 1,250 used, 1,000 included: May 250 x 0.27 = 67.50, June 250 x 0.30 = 75.00;
    # any day of the month stands for it (2025-05-31 is priced on 2025-05-01)
    tariff = [["code", "unit_price", "valid_from"], ["transaction", 0.27, None],
              ["transaction", 0.30, serial("2025-06-01")]]
    months = [[serial("2025-05-01")], [serial("2025-05-31")], [serial("2025-06-01")]]
    assert call("MSIGN_OVERAGE", "transaction", 1250, 1000, None, None, tariff, months) == \
        [[67.50], [67.50], [75.00]]
    assert why("MSIGN_OVERAGE", "transaction", 1250, 1000, None, None, tariff, months) == \
        ["OK"] * 3
    # MSIGN_BILL: the unit price column shows the month's price too
    bill = call("MSIGN_BILL", [["transaction"], ["transaction"]], 1250, 1000, None, None,
                tariff, [[serial("2025-05-15")], [serial("2025-06-15")]])
    assert [r[4:] for r in bill] == [[0.27, 67.50], [0.30, 75.00]]
    assert why("MSIGN_BILL", "transaction", 1250, 1000, None, None, tariff,
               serial("2025-05-15")) == ["OK"]
    # the built-in list: 0.27 in any month; a month that is no date is #VALUE!
    assert one("MSIGN_OVERAGE", "transaction", 1250, 1000, None, None, None,
               serial("2025-05-01")) == 67.50
    assert one("MSIGN_OVERAGE", "transaction", 1250, 1000, None, None, None, "May") == VALUE


def test_ne10_maintenance_life_cycle():
    # NE-10 life cycle: 10 products entered 2024-03-03, deactivated 2024-05-20, reactivated
    # 2024-08-05: 10 x 1.1140 = 11.14 in April and May, nothing June..August, 11.14 again
    # from September
    months = [[serial(f"2024-{m:02d}-15")] for m in range(3, 11)]
    got = call("NENSI_MAINT", "2024-03-03", months, 10, None, serial("2024-05-20"),
               serial("2024-08-05"))
    assert [r[0] for r in got] == [0.0, 11.14, 11.14, 0.0, 0.0, 0.0, 11.14, 11.14]
    # record only, activated 2024-04-20, deactivated 2024-06-01: May and June only
    got = call("NENSI_MAINT_RECORD", "2023-11-02", "2024-04-20", months, 2, None,
               serial("2024-06-01"))
    assert [r[0] for r in got] == [0.0, 0.0, 2.23, 2.23, 0.0, 0.0, 0.0, 0.0]
    # a reactivation without a deactivation, and a deactivation before entry, are errors
    assert one("NENSI_MAINT", "2024-03-03", "2024-06-01", 1, None, None,
               serial("2024-05-01")) == NUM
    assert "NE-10" in why("NENSI_MAINT", "2024-03-03", "2024-06-01", 1, None,
                          serial("2024-02-01"))[0]


def test_ne11_codebook_items_are_charged_to_holders_too():
    # NE-7/NE-11 decision: 7 codebook items x 0.5570 = 3.899 -> 3.90 even for own products;
    # 3 detailed exports of own products: 0.00
    assert call("NENSI_CHARGE", [["export_codebook"], ["export_detail"]], [[7], [3]],
                True) == [[3.90], [0.0]]


def test_tariff_table_replaces_the_builtin_price():
    # a workbook table pricing transactions at 0.25: 20 x 0.25 = 5.00 instead of 5.40
    assert one("MSIGN_OVERAGE", "transaction", 120, 100, None, None,
               [["transaction", 0.25]]) == 5.00


def test_tariff_table_two_prices_for_one_code_from_the_same_date_are_value():
    # F11: transaction 0.27 and 0.30 from the same (blank) valid_from: #VALUE! with the reason
    # for the rows that need it -- it was 10 x 0.30 = 3.00 and "OK"; user keeps 10 x 6.00
    table = [["code", "unit_price"], ["transaction", 0.27], ["transaction", 0.30]]
    args = ([["transaction"], ["user"]], [[10], [10]], 0, None, None, table)
    assert call("MSIGN_OVERAGE", *args) == [[VALUE], [60.00]]
    assert why("MSIGN_OVERAGE", *args) == [
        "tariff table: two prices for 'transaction' from the same date", "OK"]


def test_tariff_price_with_too_many_decimals_is_num_text_is_value():
    # a price of the tariff table is a number with up to 4 decimals (22.2790): 0.123456 is
    # refused by the price list's rule (#NUM!), 'abc' cannot be read (#VALUE!); other rows
    # keep their values (MS-1: 10 x 0.27 = 2.70; MS-5: 10 x 6.00 = 60.00)
    for price, code, reason in ((0.123456, NUM, "(0.123456) must have at most 4 decimals"),
                                ("abc", VALUE, "('abc') is not a number")):
        table = [["code", "unit_price"], ["transaction", price], ["user", 6]]
        args = ([["transaction"], ["user"]], [[10], [10]], 0, None, None, table)
        assert call("MSIGN_OVERAGE", *args) == [[code], [60.00]]
        assert reason in why("MSIGN_OVERAGE", *args)[0]
    table = [["code", "unit_price"], ["transaction", "0.2700"]]
    assert call("MSIGN_OVERAGE", "transaction", 10, 0, None, None, table) == [[2.70]]


def test_ms10_switch_date_is_the_first_of_next_month():
    out = call("MSIGN_SWITCH_DATE", [[serial("2024-03-05")], [serial("2024-12-31")],
                                     ["2024-02-29"]])
    assert [date_cell(r[0]) for r in out] == [serial("2024-04-01"), serial("2025-01-01"),
                                              serial("2024-03-01")]


def test_ms9_billing_month_is_the_previous_month():
    assert date_cell(one("MSIGN_BILLING_MONTH", "2024-03-05")) == serial("2024-02-01")
    assert date_cell(one("MSIGN_BILLING_MONTH", "2025-01-31")) == serial("2024-12-01")


def test_dates_on_an_older_runtime_are_plain_serials():
    assert call("MSIGN_SWITCH_DATE", serial("2024-03-05"), runtime="1.3") == \
        [[serial("2024-04-01")]]


def test_dates_take_the_workbooks_date_format():
    # xlwings turns a localised short-date pattern (de-DE "TT.MM.JJJJ") into one Excel accepts
    import asyncio

    from tests.officejs import body

    data = body("MSIGN_SWITCH_DATE", serial("2024-03-05"), date_format="TT.MM.JJJJ",
                culture="de-DE")
    out = asyncio.run(xlwings.server.custom_functions_call(data, F))
    assert out == [[{"type": "FormattedNumber", "basicValue": serial("2024-04-01"),
                     "numberFormat": "dd.mm.yyyy"}]]


def test_ms3_ms4_rekono_transactions():
    # signers x ceil(documents / 5): 2 x ceil(11/5) = 6; 1 x ceil(5/5) = 1; 0 documents = 0
    out = call("MSIGN_REKONO_TX", [[11], [5], [0]], [[2], [None], [3]])
    assert out == [[6.0], [1.0], [0.0]]
    assert one("MSIGN_REKONO_TX", 3, 0) == NUM  # a signing needs a signer


def test_msign_billable_counts_units():
    # MS-7: 0.2 GB over -> 1 started GB
    assert call("MSIGN_BILLABLE", [["transaction"], ["storage_gb"]], [[120], [10.2]],
                [[100], [10]], "SMART") == [[20.0], [1.0]]


def test_msign_bill_spills_its_lines():
    out = call("MSIGN_BILL", [["transaction"], ["user"], ["api"], ["sms"]],
               [[120], [7], [1], [10]], [[100], [5], [0], [0]])
    assert out[:3] == [["transaction", 120.0, 100.0, 20.0, 0.27, 5.40],  # MS-1
                       ["user", 7.0, 5.0, 2.0, 6.00, 12.00],             # MS-5
                       ["api", 1.0, 0.0, 1.0, 100.00, 100.00]]           # MS-6
    assert all(xv.is_error(c) for c in out[3])  # MS-8: no SMS price, the whole line is an error
    assert xv.error_code(out[3][5]) == "#N/A"
    assert "MS-8" in why("MSIGN_BILL", [["transaction"], ["sms"]], [[1], [10]])[1]


# --- eSign -------------------------------------------------------------------------------------

def test_es15_prorated_licences():
    # 3 licences x 5.00 x 1 month x 15/30 days (16..30 June) = 7.50
    assert one("ESIGN_PRORATE", 3, serial("2024-06-16"), serial("2024-06-01"),
               serial("2024-06-30")) == 7.50
    # annual plan, bought 1 July 2024: 1 x 5.00 x 12 x 184/366 = 30.1639... -> 30.16
    assert one("ESIGN_PRORATE", 1, "2024-07-01", "2024-01-01", "2024-12-31") == 30.16
    # bought on the first day = full price: 2 x 5.00 x 12 = 120.00
    assert one("ESIGN_PRORATE", 2, "2025-01-01", "2025-01-01", "2025-12-31") == 120.00
    assert one("ESIGN_PRORATE", 1, "2024-05-31", "2024-06-01", "2024-06-30") == NUM


def test_es1_legacy_plan_needs_an_explicit_price():
    args = (2, "2024-03-01", "2024-03-01", "2024-03-31")
    assert one("ESIGN_PRORATE", *args) == NA
    assert "ES-1" in why("ESIGN_PRORATE", *args)[0]
    assert one("ESIGN_PRORATE", *args, 4) == 8.00  # 2 x 4.00 x 1 month, full period


def test_es5_es3_licence_check():
    period = ("2024-06-01", "2024-06-01", "2024-06-30")
    assert one("ESIGN_LICENCES", 5, 5, "Business", *period) == 25.00  # 5 x 5.00
    assert one("ESIGN_LICENCES", 6, 5, "business", *period) == NUM     # ES-5
    assert "ES-5" in why("ESIGN_LICENCES", 6, 5, "business", *period)[0]
    assert one("ESIGN_LICENCES", 1, 5, "standard", *period) == NUM     # ES-3
    assert "ES-3" in why("ESIGN_LICENCES", 1, 5, "standard", *period)[0]


def test_es7_signature_purchases():
    # electronic 100 x 0.30 = 30.00; qualified 3 x 2.50 = 7.50
    assert call("ESIGN_SIGNATURES", [["electronic"], ["Qualified"]], [[100], [3]],
                "2024-05-01") == [[30.00], [7.50]]
    assert one("ESIGN_SIGNATURES", "paper", 1, "2024-05-01") == VALUE


def test_es7_to_es11_ledger_spills_per_row():
    rows = call("ESIGN_LEDGER", [["A"], ["A"], ["A"], ["A"], ["A"]],
                [["2024-04-01"], ["2024-04-01"], ["2024-04-02"], ["2024-04-03"], ["2024-04-04"]],
                [["subscribe"], ["licences"], ["use"], ["buy"], ["use"]],
                [[None], [None], ["electronic"], ["electronic"], ["electronic"]],
                [[None], [None], [12], [5], [12]],
                [[None], [2], [None], [None], [None]])
    # columns: free e, free q, bought e, bought q, licences, cost EUR
    assert rows[0] == [10.0, 6.0, 0.0, 0.0, 0.0, 0.0]      # ES-11: 10 + 6 free
    assert rows[1] == [10.0, 6.0, 0.0, 0.0, 2.0, 0.0]
    assert all(xv.is_error(c) for c in rows[2])             # ES-8: 12 > 10 refused
    assert rows[3] == [10.0, 6.0, 5.0, 0.0, 2.0, 1.50]      # ES-7: 5 x 0.30
    assert rows[4] == [0.0, 6.0, 3.0, 0.0, 2.0, 0.0]        # free first, then bought


def test_es1_ledger_legacy_subscription_is_na_with_or_without_the_template_table():
    # F8, ES-1: trial 2024-03-01 + subscribe 2024-03-10 = legacy; 10 electronic bought on
    # 2024-05-01 without unit_price: #N/A "give unit_price", also with the template's
    # Tariff_esign_2024 rows (valid from 2024-03-28: the new plan's), which used to give 3.00
    args = ([["s"], ["s"], ["s"]], [["2024-03-01"], ["2024-03-10"], ["2024-05-01"]],
            [["trial"], ["subscribe"], ["buy"]], [[None], [None], ["electronic"]],
            [[None], [None], [10]], [[None], [1], [None]], None)
    table = [["Code", "Unit price", "Valid from"], ["licence", 5, serial("2024-03-28")],
             ["signature_electronic", 0.3, serial("2024-03-28")],
             ["signature_qualified", 2.5, serial("2024-03-28")]]
    for tariff in ([], [table]):
        rows = call("ESIGN_LEDGER", *args, *tariff)
        assert rows[2] == [NA] * 6
        reason = why("ESIGN_LEDGER", *args, *tariff)[2]
        assert "ES-1" in reason and "give unit_price" in reason
    # ES-1 (revised): ESIGN_SIGNATURES given the subscription's start agrees with the ledger
    # (#N/A, legacy); only without it does the purchase date stand in (new plan: 10 x 0.30 =
    # 3.00), and its Check says so
    started = serial("2024-03-01")
    assert one("ESIGN_SIGNATURES", "electronic", 10, "2024-05-01", None, table, started) == NA
    assert "ES-1" in why("ESIGN_SIGNATURES", "electronic", 10, "2024-05-01", None, table,
                         started)[0]
    assert one("ESIGN_SIGNATURES", "electronic", 10, "2024-05-01", None, table) == 3.00
    assert why("ESIGN_SIGNATURES", "electronic", 10, "2024-05-01", None, table) == [
        "OK - ES-1: no subscription start given - the purchase date stands in for it "
        "(new plan)"]


def test_es1_revised_licences_follow_the_subscription_start():
    # ES-1 (revised): 3 licences bought 2024-06-16 (monthly period June) for a subscription
    # started 2024-01-10 are legacy: #N/A without a price, 3 x 4.00 x 15/30 = 6.00 with one;
    # started 2024-04-01: the new plan, 3 x 5.00 x 15/30 = 7.50 (ES-15)
    period = ("2024-06-16", "2024-06-01", "2024-06-30")
    starts = [[serial("2024-01-10")], [serial("2024-04-01")], [None]]
    three = [[3]] * 3  # a column (a row whose every range is empty would be a blank row)
    assert call("ESIGN_PRORATE", three, *period, None, None, starts) == [[NA], [7.50], [7.50]]
    assert call("ESIGN_PRORATE", three, *period, 4, None, starts) == [[6.00], [6.00], [6.00]]
    reasons = why("ESIGN_PRORATE", three, *period, None, None, starts)
    assert "ES-1: this subscription started before 2024-03-28" in reasons[0]
    assert reasons[1] == "OK"
    assert reasons[2].startswith("OK - ES-1: no subscription start given")
    # ESIGN_LICENCES: the same, and ES-3 (plan tier) applies to the new plan only
    lic = ("professional", *period)
    assert call("ESIGN_LICENCES", three, 5, *lic, None, None, starts) == \
        [[NA], [7.50], [7.50]]
    assert one("ESIGN_LICENCES", 3, 5, "personal", *period, 4, None,
               serial("2024-01-10")) == 6.00  # legacy: ES-3 is the new plan's rule
    assert one("ESIGN_LICENCES", 3, 5, "personal", *period, 4, None,
               serial("2024-04-01")) == NUM  # ES-3
    # a subscription that starts after the purchase is an error
    assert one("ESIGN_PRORATE", 3, *period, None, None, serial("2024-06-20")) == NUM


def test_es13_ledger_refuses_a_licence_reduction_mid_period():
    # ES-13: 5 licences; a reduction to 2 on 2024-06-10 (mid-period) is refused; on the
    # renewal date 2024-07-01 (period_start of the new period) it is accepted
    rows = call("ESIGN_LEDGER", [["A"]] * 4,
                [["2024-06-01"], ["2024-06-10"], ["2024-07-01"], ["2024-07-02"]],
                [["subscribe"], ["licences"], ["licences"], ["licences"]],
                None, None, [[5], [2], [2], [4]], None, None,
                [[None], [serial("2024-06-01")], [serial("2024-07-01")],
                 [serial("2024-07-01")]])
    assert [r[4] for r in rows] == [5.0, NUM, 2.0, 4.0]  # raising is allowed any day (ES-12)
    reason = why("ESIGN_LEDGER", [["A"]] * 2, [["2024-06-01"], ["2024-06-10"]],
                 [["subscribe"], ["licences"]], None, None, [[5], [2]])[1]
    assert reason.startswith("ES-13: licences can be reduced (5 -> 2) only at the end")


def test_es13_reduction_takes_effect_at_renewal():
    assert date_cell(one("ESIGN_REDUCTION_DATE", "2024-06-10", "2024-06-30")) == \
        serial("2024-07-01")


def test_es13_renewal_after_9999_12_31_is_num_not_a_number():
    # F10: the day after 9999-12-31 (serial 2958465, Excel's last date) was the plain number
    # 2932897 with _CHECK "OK"
    args = (serial("2024-06-10"), serial("9999-12-31"))
    assert one("ESIGN_REDUCTION_DATE", *args) == NUM
    assert why("ESIGN_REDUCTION_DATE", *args) == [
        "ES-13: the renewal date (the day after the period end) is not a valid Excel date "
        "(1900-01-01 .. 9999-12-31)"]
    assert date_cell(one("ESIGN_REDUCTION_DATE", serial("2024-06-10"),
                         serial("9999-12-30"))) == 2958465


# --- NENSI -------------------------------------------------------------------------------------

def test_ne10_maintenance_from_the_month_after_entry():
    # entered 3 May: nothing for May; June: 10 x 1.1140 = 11.14
    assert call("NENSI_MAINT", serial("2024-05-03"), [[serial("2024-05-31")],
                                                      [serial("2024-06-01")]], 10) == \
        [[0.0], [11.14]]
    # record-only product activated 20 May: from June, 1 x 1.1140 -> 1.11
    assert call("NENSI_MAINT_RECORD", "2024-01-10", "2024-05-20",
                [["2024-05-15"], ["2024-06-15"]]) == [[0.0], [1.11]]


def test_ne6_annual_fees_prorated_by_months():
    assert one("NENSI_ANNUAL", "forms", "2024-01-15") == 60.00      # NE-1, January: full
    assert one("NENSI_ANNUAL", "pharmacy", "2024-04-10") == 180.00  # NE-5: 240 x 9/12
    assert one("NENSI_ANNUAL", "view", "2024-12-01", 2) == 10.00    # NE-2: 60 x 2 x 1/12


def test_ne7_to_ne11_charges():
    out = call("NENSI_CHARGE",
               [["entry"], ["export_detail"], ["export_detail"], ["excel_export"],
                ["activation"], ["export_basic"], ["proposal"]],
               [[3], [10], [10], [1], [1], [7], [1]],
               [[None], [True], [False], [None], [None], [None], [None]])
    assert out == [[66.84],   # NE-8: 3 x 22.2790 = 66.837
                   [0.0],     # NE-11: the holder's own products are free
                   [22.28],   # NE-11: 10 x 2.2280
                   [10.00],   # NE-7: per case
                   [22.28],   # NE-10: activation 22.2790
                   [0.78],    # NE-11: 7 x 0.1112 = 0.7784
                   [10.00]]   # NE-9


def test_ne12_discount_from_the_users_tiers():
    tiers = [["service", "min_quantity", "percent"], ["entry", 10, 5], ["entry", 50, 10]]
    # 60 entries in the month -> 10 % of 1336.74 = 133.674 -> 133.67
    assert one("NENSI_DISCOUNT", "entry", 60, 1336.74, tiers) == 133.67
    assert one("NENSI_DISCOUNT", "entry", 9, 100, tiers) == 0.0      # below every tier
    assert one("NENSI_DISCOUNT", "entry", 60, 1336.74) == 0.0         # no tiers: no discount


# --- price lists, VAT --------------------------------------------------------------------------

def test_tariff_price_lookup():
    out = call("TARIFF_PRICE", [["entry"], ["transaction"], ["licence"], ["nope"]],
               [[None], [None], ["2024-03-01"], [None]])
    assert out[:2] == [[22.279], [0.27]]  # NE-8, MS-1
    assert out[2:] == [[NA], [VALUE]]     # ES-1: no legacy price; unknown code
    assert one("TARIFF_PRICE", "transaction", None, [["transaction", 0.25]]) == 0.25


def test_vat_totals_per_rate():
    out = call("TARIFA_VAT", [[10], [20.5], [3], [None]], [[22], [9.5], ["SI"], [None]], True)
    assert out == [["VAT rate %", "net EUR", "VAT EUR", "gross EUR"],
                   [22.0, 13.00, 2.86, 15.86],     # 22 % of 13.00
                   [9.5, 20.50, 1.95, 22.45],      # 9.5 % of 20.50 = 1.9475 -> 1.95
                   ["total", 33.50, 4.81, 38.31]]


def test_vat_totals_over_a_bad_line_are_errors():
    out = call("TARIFA_VAT", [[10], ["ten"]])
    assert all(xv.is_error(c) for r in out for c in r)
    assert why("TARIFA_VAT", [[10], ["ten"]]) == ["OK", "amounts: text 'ten' where a number "
                                                        "belongs"]
    out = call("TARIFA_VAT", [[10], [20]], [[0.22], [1e308]])
    assert all(xv.is_error(c) for r in out for c in r)
    assert why("TARIFA_VAT", [[10], [20]], [[0.22], [1e308]]) == [
        "vat_rates: VAT rate '0.22' looks like a percent-formatted cell: rates are percent "
        "numbers, write 22 for 22 %", "vat_rates: 1e+308 is not a VAT rate"]


# --- Excel values in, errors out ---------------------------------------------------------------

_TIERS = [["service", "min_quantity", "percent"], ["entry", 10, 5]]


@pytest.mark.parametrize(("func", "args", "reason"), [
    # F9: read, but refused by the money rules (4 decimals for prices, 2 for amounts): #NUM!,
    # as docs/functions.md says -- these were #VALUE!
    ("MSIGN_OVERAGE", ("transaction", 5, 0, None, 0.27001),
     "unit_price must be a number with at most 4 decimals"),
    ("NENSI_DISCOUNT", ("entry", 10, 1.005, _TIERS),
     "NE-12: amount must be a number with at most 2 decimals"),
    ("MSIGN_OVERAGE", ("storage_gb", 10.0000000001, 10, "ENTERPRISE"),
     "MS-7: used GB must be a number with at most 9 decimals"),
    ("ESIGN_SIGNATURES", ("electronic", 1, "2024-06-01", 0.30001),
     "ES-7: unit price must be a number with at most 4 decimals"),
    # a fractional count is #NUM! too
    ("MSIGN_OVERAGE", ("transaction", 5.5, 0), "MS-1: used must be a whole number of "
                                               "transactions"),
    ("ESIGN_SIGNATURES", ("electronic", 1.5, "2024-06-01"),
     "ES-7: signature quantity must be a whole number"),
    ("NENSI_CHARGE", ("entry", 1.5), "quantity must be a whole number"),
])
def test_too_many_decimals_and_fractional_counts_are_num(func, args, reason):
    assert one(func, *args) == NUM
    assert why(func, *args) == [reason]


def test_vat_amount_with_more_than_2_decimals_is_num():
    # F9: 1.005 EUR has 3 decimals: the totals are #NUM!, not #VALUE!
    assert call("TARIFA_VAT", [[1.005], [2]], 22) == [[NUM] * 4]
    assert why("TARIFA_VAT", [[1.005], [2]], 22) == [
        "amount must be a number with at most 2 decimals", "OK"]

def test_bad_cells_become_errors_and_other_rows_keep_their_values():
    items = [["transaction"], ["transaction"], ["transaction"], ["transaction"],
             ["transaction"], ["bogus"], [None], ["transaction"]]
    used = [[120], ["120"], [True], [{"type": "Error", "basicValue": "#N/A",
                                      "errorType": "NotAvailable"}],
            [-1], [120], [None], [None]]
    out = [r[0] for r in call("MSIGN_OVERAGE", items, used, 100)]
    assert out == [5.40, VALUE, VALUE, NA, NUM, VALUE, "", VALUE]
    reasons = why("MSIGN_OVERAGE", items, used, 100)
    assert reasons[0] == "OK" and reasons[6] == ""
    assert reasons[1] == "used: text '120' where a number belongs"
    assert reasons[2] == "used: TRUE/FALSE where a number belongs"
    assert reasons[3] == "used: the cell is #N/A"
    assert "negative" in reasons[4] and "bogus" in reasons[5]
    assert reasons[7] == "used: the cell is empty"


def test_a_one_row_range_spills_as_a_row_and_ranges_broadcast():
    assert call("MSIGN_OVERAGE", "transaction", [120, 130, 90], 100) == [[5.40, 8.10, 0.0]]
    # a column of items against a row of quantities: a 2 x 2 grid
    assert call("MSIGN_OVERAGE", [["transaction"], ["user"]], [[101, 102]], 100) == \
        [[0.27, 0.54], [6.00, 12.00]]


def test_ranges_of_different_sizes_fail_the_call_with_a_message():
    with pytest.raises(xv.CallError, match="different sizes"):
        call("MSIGN_OVERAGE", [["transaction"], ["user"]], [[1], [2], [3]])


def test_older_runtime_fails_the_call_rather_than_send_error_text():
    # before CustomFunctionsRuntime 1.4 an array cannot hold an error value: the whole call
    # fails with the reason (Excel shows #VALUE! with that message), never "#VALUE!" as text
    assert call("MSIGN_OVERAGE", "transaction", 120, 100, runtime="1.3") == [[5.40]]
    with pytest.raises(xv.CallError, match="unknown mSign item 'bogus'"):
        call("MSIGN_OVERAGE", [["transaction"], ["bogus"]], 1, runtime="1.3")


def test_is_error_and_error_code():
    assert xv.is_error(VALUE) and xv.error_code(VALUE) == "#VALUE!"
    assert xv.error_code(NUM) == "#NUM!" and xv.error_code(NA) == "#N/A"
    assert xv.error_code({"type": "Error", "basicValue": "#DIV/0!"}) == "#DIV/0!"
    assert not xv.is_error(0.0) and not xv.is_error("#VALUE!") and xv.error_code(1.0) == ""
    assert xv.excel_error("#NUM!") == NUM


def test_functions_work_as_plain_python_without_xlwings_server():
    code = ("from udfs import functions as F, excel_values as xv;"
            "r = F.MSIGN_OVERAGE([['transaction'], ['sms']], [[120], [5]], 100);"
            "assert r[0] == [5.4] and xv.error_code(r[1][0]) == '#N/A', r;"
            "assert not hasattr(F.MSIGN_OVERAGE, '__xlfunc__');"
            "print(F.MSIGN_SWITCH_DATE('2024-03-05'))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[[datetime.date(2024, 4, 1)]]"


# --- what Excel's function wizard shows ----------------------------------------------------------

DESIGN_SIGNATURES = {  # DESIGN.md's contract; issue 10 added the trailing optional dates
    "MSIGN_OVERAGE": ["item", "used", "included", "package", "unit_price", "tariff", "month"],
    "MSIGN_SWITCH_DATE": ["request_date"],
    "MSIGN_REKONO_TX": ["documents", "signers"],
    "ESIGN_PRORATE": ["licences", "purchase_date", "period_start", "period_end",
                      "monthly_price", "tariff", "subscription_start"],
    "NENSI_MAINT": ["entry_date", "billing_month", "products", "tariff", "deactivation_date",
                    "reactivation_date"],
    "NENSI_ANNUAL": ["service", "start_date", "units", "tariff"],
}
# Optional arguments added after the trailing tariff (issue 10): old formulas keep working.
AFTER_TARIFF = {"month", "subscription_start", "deactivation_date", "reactivation_date",
                "period_start"}
DESIGN_REQUIRED = {"MSIGN_OVERAGE": 2, "MSIGN_SWITCH_DATE": 1, "MSIGN_REKONO_TX": 1,
                   "ESIGN_PRORATE": 4, "NENSI_MAINT": 2, "NENSI_ANNUAL": 2}


def _meta() -> dict[str, dict]:
    return {f["name"]: f for f in xlwings.server.custom_functions_meta(F)["functions"]}


def test_metadata_design_signatures_and_optional_flags():
    meta = _meta()
    for name, params in DESIGN_SIGNATURES.items():
        got = meta[name]["parameters"]
        assert [p["name"] for p in got] == params, name
        required = DESIGN_REQUIRED[name]
        assert [p.get("optional", False) for p in got] == \
            [False] * required + [True] * (len(params) - required), name


def test_metadata_every_function_documented_with_check_companion():
    meta = _meta()
    names = {n for n in meta if not n.endswith("_CHECK")}
    assert names >= {"MSIGN_OVERAGE", "MSIGN_BILL", "MSIGN_BILLABLE", "MSIGN_SWITCH_DATE",
                     "MSIGN_REKONO_TX", "ESIGN_PRORATE", "ESIGN_LICENCES", "ESIGN_SIGNATURES",
                     "ESIGN_LEDGER", "NENSI_MAINT", "NENSI_ANNUAL", "NENSI_CHARGE",
                     "NENSI_DISCOUNT", "TARIFF_PRICE", "TARIFA_VAT"}
    for name in names:
        f, check = meta[name], meta[name + "_CHECK"]
        assert [p["name"] for p in check["parameters"]] == [p["name"] for p in f["parameters"]]
        assert f["description"] and "\n" not in f["description"].strip(), name
        assert any(w in f["description"] for w in ("EUR", "Date", "date", "transactions",
                                                    "units")), name
        assert any(r in f["description"] for r in ("MS-", "ES-", "NE-", "BR-CO")), name
        for p in f["parameters"]:
            assert p["description"] and not p["description"].startswith("Positional"), \
                (name, p["name"])
            assert len(p["description"]) <= 255  # Excel's limit for the function wizard
            assert p["dimensionality"] == "matrix"  # a cell or a whole range
        assert len(f["description"]) <= 255 and len(check["description"]) <= 255
        if "EUR" in f["description"] and name not in ("TARIFA_VAT", "NENSI_DISCOUNT",
                                                      "ESIGN_LEDGER"):
            names_ = [p["name"] for p in f["parameters"]]  # DESIGN.md: trailing tariff
            assert "tariff" in names_ and set(names_[names_.index("tariff") + 1:]) \
                <= AFTER_TARIFF, name
            assert all(p.get("optional") for p in f["parameters"][names_.index("tariff"):])


# --- robustness ----------------------------------------------------------------------------------

def test_an_engine_exception_never_takes_down_the_column(monkeypatch):
    from pricing import msign

    real = msign.overage

    def flaky(item, used, *args, **kw):
        if (used == 13).any():
            raise RuntimeError("boom")
        return real(item, used, *args, **kw)

    monkeypatch.setattr(msign, "overage", flaky)
    out = [r[0] for r in call("MSIGN_OVERAGE", "transaction", [[120], [13], [101]], 100)]
    assert out == [5.40, VALUE, 0.27]  # only the element that raises is an error
    assert why("MSIGN_OVERAGE", "transaction", [[120], [13]], 100)[1] == "internal error: boom"


class JsNull:  # what Pyodide >= 0.28 (xlwings Lite) sends for an empty cell in an array
    pass


def test_values_from_other_runtimes():
    import datetime as dt

    # LibreOffice and desktop Excel: tuples of rows, datetimes for date cells; COM error ints
    assert F.MSIGN_SWITCH_DATE(((dt.datetime(2024, 3, 5, 12, 0),), (dt.date(2024, 12, 1),))) \
        == [[dt.date(2024, 4, 1)], [dt.date(2025, 1, 1)]]
    out = F.MSIGN_OVERAGE((("transaction",), ("transaction",), ("transaction",)),
                          ((120.0,), (-2146826246,), (JsNull(),)), 100)
    assert out[0] == [5.4] and xv.error_code(out[1][0]) == "#N/A"
    assert xv.error_code(out[2][0]) == "#VALUE!"  # an empty required cell
    assert F.MSIGN_OVERAGE_CHECK("transaction", [[JsNull()], [120]], 100) == \
        [[""], ["OK"]]  # the only range argument is empty: a blank row
    with pytest.raises(xv.CallError, match="different lengths"):
        F.MSIGN_OVERAGE([["transaction", "user"], ["api"]], 1)


def test_blank_rows_of_a_longer_range_are_blank_not_errors():
    # a formula over A2:A6 where only two rows are filled in
    out = call("MSIGN_OVERAGE", [["transaction"], ["user"], [None], [""], [None]],
               [[120], [7], [None], [None], ["  "]], 100)
    assert out == [[5.40], [0.0], [""], [""], [""]]
    assert why("MSIGN_OVERAGE", [["transaction"], [None]], [[120], [None]], 100) == ["OK", ""]


def test_empty_ranges_and_bills_given_as_a_row():
    with pytest.raises(xv.CallError, match="empty range"):
        F.MSIGN_OVERAGE([], 120)
    # a bill over a one-row range: one line per cell, like a column
    assert F.MSIGN_BILL([["transaction", "user"]], 120, 100) == \
        [["transaction", 120.0, 100.0, 20.0, 0.27, 5.40],
         ["user", 120.0, 100.0, 20.0, 6.00, 120.00]]
    with pytest.raises(xv.CallError, match="as columns"):
        F.MSIGN_BILL([["transaction", "user"], ["api", "user"]], 1)
