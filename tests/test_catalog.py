"""Versioned price lists as data (pricing/tariffs/*.toml) and the price lookup."""

import datetime as dt

import numpy as np
import pytest

from pricing.catalog import TariffTable, builtin, parse_price_list
from pricing.validity import Validity


def prices(codes, dates, tariff=None):
    codes = np.array(codes, dtype=object)
    v = Validity(np.broadcast_shapes(codes.shape, np.shape(dates)))
    got = builtin().prices(codes, np.array(dates, dtype="datetime64[D]"), v, tariff)
    return got, v


def test_every_price_of_the_seeds_is_in_the_catalog():
    # The numbers of the three price lists, as printed in the seeds (EUR excl. VAT)
    expected = {
        "transaction": 2700, "onesign": 6900, "rekono_qes": 11800, "rekono_aes": 8000,  # MS-1..4
        "user": 60000, "api": 1000000, "storage_gb": 33000,  # MS-5, MS-6, MS-7
        "licence": 50000, "signature_electronic": 3000, "signature_qualified": 25000,  # ES-4/7
        "forms": 600000, "view": 600000, "webservice": 600000, "notify": 600000,  # NE-1..4
        "pharmacy": 2400000, "excel_export": 100000, "entry": 222790,  # NE-5, NE-7, NE-8
        "proposal": 100000, "maintenance": 11140, "activation": 222790,  # NE-9, NE-10
        "export_basic": 1112, "export_detail": 22280, "export_codebook": 5570,  # NE-11
    }
    got, v = prices(list(expected), "2025-01-15")
    assert v.all_ok, v.reason
    assert dict(zip(expected, got.tolist(), strict=True)) == expected


def test_rule_ids_are_recorded_per_item():
    cat = builtin()
    day = np.datetime64("2025-01-15")
    assert cat.item("maintenance", day).rule == "NE-10"
    assert cat.item("storage_gb", day).rule == "MS-7"
    assert cat.item("storage_gb", day).packages == ("SMART", "ENTERPRISE")
    assert cat.item("licence", day).rule == "ES-4"


def test_all_price_lists_exclude_vat():
    # NE-13 and RULES.md: all prices exclude VAT
    assert all(not pl.vat_included for pl in builtin().lists)


def test_sms_has_no_price_ms8():
    _, v = prices(["sms"], "2025-01-15")
    assert not v.ok[0]
    assert "MS-8" in v.reason[0]


def test_esign_plan_follows_the_date_es1():
    got, v = prices(["licence", "licence"], ["2024-03-27", "2024-03-28"])
    assert v.ok.tolist() == [False, True]
    assert "ES-1" in v.reason[0] and "legacy" in v.reason[0]
    assert got[1] == 50000


def test_nensi_2019_applies_open_ended_but_not_before_its_start():
    cat = builtin()
    pl = cat.in_force("nensi", dt.date(2026, 11, 22))
    assert pl.id == "nensi-2019"
    assert pl.valid_from == dt.date(2019, 12, 1) and pl.valid_to == dt.date(2022, 12, 31)
    got, v = prices(["entry", "entry"], ["2019-11-30", "2026-11-22"])
    assert v.ok.tolist() == [False, True]
    assert "2019-12-01" in v.reason[0]
    assert got[1] == 222790


def test_unknown_code_is_an_error():
    _, v = prices(["transaction", "bogus"], "2025-01-15")
    assert v.ok.tolist() == [True, False]
    assert "unknown price code 'bogus'" in v.reason[1]


def test_tariff_table_overrides_listed_codes_only():
    table = TariffTable.from_rows([
        ["code", "unit_price", "valid_from"],
        ["SMS", 0.05, None],            # the user's SMS price (MS-8)
        ["transaction", "0,25", ""],    # text with a decimal comma
    ])
    got, v = prices(["sms", "transaction", "onesign"], "2025-01-15", table)
    assert v.all_ok, v.reason
    assert got.tolist() == [500, 2500, 6900]  # onesign from the built-in list


def test_tariff_table_versions_by_valid_from():
    # Excel serial 45379 = 2024-03-28
    table = TariffTable.from_rows([["licence", 4.0, "2020-01-01"], ["licence", 5.0, 45379.0]])
    got, v = prices(["licence"] * 3, ["2019-12-31", "2024-03-27", "2024-03-28"], table)
    assert v.ok.tolist() == [False, True, True]
    assert got[1:].tolist() == [40000, 50000]


def test_tariff_table_bad_rows_spoil_only_their_code():
    table = TariffTable.from_rows([
        ["code", "price"], ["user", "six"], ["api", -1.0], ["onesign", 0.123456], ["sms", None],
        [None, 3.0],  # empty code: skipped
    ])
    got, v = prices(["user", "api", "onesign", "sms", "transaction"], "2025-01-15", table)
    assert v.ok.tolist() == [False, False, False, False, True]
    assert "not a number" in v.reason[0]
    assert "negative" in v.reason[1]
    assert "4 decimals" in v.reason[2]
    assert "empty" in v.reason[3]
    assert got[4] == 2700


def test_tariff_table_two_prices_from_the_same_date_are_an_error():
    # F11: transaction 0.27 and 0.30, both since always: which is meant cannot be told (the
    # last row used to win silently: 0.30); other codes and other dates keep their prices
    table = TariffTable.from_rows([
        ["code", "unit_price", "valid_from"],
        ["transaction", 0.27, None], ["transaction", 0.30, None],
        ["user", 5.0, "2024-01-01"], ["user", 6.0, "2025-01-01"], ["user", 6.5, "2025-01-01"],
    ])
    got, v = prices(["transaction", "user", "user", "api"],
                    ["2025-01-15", "2024-06-01", "2025-06-01", "2025-01-15"], table)
    assert v.ok.tolist() == [False, True, False, True]
    assert v.reason[0] == "tariff table: two prices for 'transaction' from the same date"
    assert v.reason[2] == "tariff table: two prices for 'user' from the same date"
    assert got[[1, 3]].tolist() == [50000, 1000000]  # user 5.00 in 2024, api built-in 100.00


def test_codes_are_unique_across_price_lists():
    from pricing.catalog import Catalog
    a = parse_price_list(
        'id="a"\nfamily="x"\nvendor="v"\nname="n"\ncurrency="EUR"\ncountry="SI"\n'
        'vat_included=false\n[[items]]\ncode="dup"\nrule="R"\nunit="u"\nunit_price="1"\n'
        'name_sl="a"\nname_de="a"\nname_en="a"\n')
    b = parse_price_list(
        'id="b"\nfamily="y"\nvendor="v"\nname="n"\ncurrency="EUR"\ncountry="SI"\n'
        'vat_included=false\n[[items]]\ncode="dup"\nrule="R"\nunit="u"\nunit_price="1"\n'
        'name_sl="a"\nname_de="a"\nname_en="a"\n')
    with pytest.raises(ValueError, match="dup"):
        Catalog([a, b])


def test_use_texts_replaces_the_packaged_price_lists():
    # the xlwings Lite bundle hands the embedded TOML texts over this way (no files in Pyodide)
    from pricing import catalog
    texts = catalog.builtin_texts()
    try:
        catalog.use_texts({"nensi_2019.toml": texts["nensi_2019.toml"]})
        assert catalog.builtin().families() == ["nensi"]
    finally:
        catalog._supplied_texts = None
        catalog.builtin.cache_clear()
    assert catalog.builtin().families() == ["esign", "msign", "nensi"]


def test_demo_a_failed_line_makes_the_total_an_error_and_the_exit_code_non_zero(capsys):
    # `tarifa demo --date 2024-03-01`: the qualified signature has no price before
    # 2024-03-28 (ES-1, legacy plan): no total that leaves it out, exit status 1
    import argparse

    from addin import demo

    assert demo.run(argparse.Namespace(date="2024-03-01")) == 1
    out = capsys.readouterr().out
    assert "no price = error: ES-1" in out
    assert "total =     error  (1 line(s) not priced)" in out
    # 2025-06-30: 66.84 (3 x 22.2790, NE-8) + 133.68 (120 x 1.1140, NE-10) + 9.99
    # (37 x 0.27, MS-1) + 10.00 (4 x 2.50, ES-7) = 220.51, exit 0
    assert demo.run(argparse.Namespace(date="2025-06-30")) == 0
    assert "total =    220.51" in capsys.readouterr().out
