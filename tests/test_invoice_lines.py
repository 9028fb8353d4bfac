"""Invoice lines that hold together (EN 16931 BT-131 = BT-129 x BT-146 / BT-149 - allowances),
checked by hand against the price lists; parties' required fields; invoice numbers."""

from __future__ import annotations

import datetime as dt
import json
import threading
from decimal import Decimal

import pytest

from tests.invoicing import MAY, SELLER, sample
from workbook.invoice import numbering
from workbook.invoice.lines import InvoiceLine, LineError, consistent_price, invoice_lines
from workbook.invoice.parties import Customer, Seller
from workbook.template import build

ALPINA, BOROVNICA, CEDRA = "Alpina d.o.o. (sample)", "Borovnica s.p. (sample)", \
    "Cedra GmbH (sample)"
FARMALAB, SONCEK = "Farmalab d.o.o. (sample)", "Lekarna Soncek (sample)"


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    return sample(build(tmp_path_factory.mktemp("lines") / "Tarifa.xlsx").path)


def lines(month, name, lang="en"):
    tables, run = month
    return invoice_lines(run.customers[name.casefold()], tables, MAY, lang)


def row(line: InvoiceLine):
    return (line.code, line.quantity, line.unit, line.price_e4, line.base_quantity,
            line.allowance_cents, line.amount_cents)


def test_every_sample_line_holds_together(month):
    tables, run = month
    n = 0
    for c in run.customers.values():
        if c.held:
            continue
        for lang in ("sl", "de", "en"):
            for line in invoice_lines(c, tables, MAY, lang):
                line.check()  # raises where quantity x price / base - allowance != amount
                assert line.gross_cents - line.allowance_cents == line.amount_cents
                n += 1
    assert n == 3 * 22  # the 22 lines of tarifa bill's sample month, in each language


def test_esign_prorated_licences_show_the_prorated_price_and_the_proration(month):
    # ES-15: 3 licences x 5.00 x 12 months x 230/365 days = 113.4246... -> 113.42; the unit
    # price shown is 5.00 x 12 x 230/365 = 37.80821... -> 37.8082, and 3 x 37.8082 = 113.4246
    # rounds half-up to the billed 113.42
    ced1, ced2, sig_e, sig_q = lines(month, CEDRA)
    assert row(ced1) == ("licence", 10, "C62", 50000, 1, 0, 5000)  # 10 x 5.00, whole month
    assert row(ced2) == ("licence", 3, "C62", 378082, 1, 0, 11342)
    assert ced2.note == ("3 licences × 5.00 × 12 months × 230/365 days (ES-15); "
                         "subscription CED-2")
    assert ced2.period == (dt.date(2025, 5, 16), dt.date(2025, 12, 31))  # BT-134/135
    assert row(sig_e) == ("signature_electronic", 50, "C62", 3000, 1, 0, 1500)  # ES-7
    assert row(sig_q) == ("signature_qualified", 4, "C62", 25000, 1, 0, 1000)


def test_nensi_lines_exemption_prorated_fee_and_nothing_due(month):
    got = lines(month, FARMALAB)
    a, b, c, d, forms, entry, export, activation = got
    assert row(a) == ("maintenance", 40, "C62", 11140, 1, 0, 4456)  # NE-10: 40 x 1.1140
    # NE-10: entered 3 May, nothing due in May: quantity 0, said in the note (was 1 x 1.1140
    # = 0.00 on the bill)
    assert row(b) == ("maintenance", 0, "C62", 11140, 1, 0, 0)
    assert b.note == ("Product B: nothing due this month (from the month after entry or "
                      "activation, NE-10)")
    assert row(c) == ("maintenance", 2, "C62", 11140, 1, 0, 223)  # 2 x 1.1140 = 2.228
    assert row(d)[1] == 0  # record only, not activated
    # NE-6: 2 users x 60.00 x 8/12 = 80.00: price 40.00 (was 2 x 60.00 = 80.00 on the bill)
    assert row(forms) == ("forms", 2, "C62", 400000, 1, 0, 8000)
    assert forms.note == "2 × 60.00 × 8/12 months to the end of the year (NE-6)"
    assert forms.period == (dt.date(2025, 5, 10), dt.date(2025, 12, 31))
    assert row(entry) == ("entry", 1, "C62", 222790, 1, 0, 2228)  # NE-8: 22.2790 -> 22.28
    # NE-11: own products: 30 x 2.2280 = 66.84, less a 100 % allowance of 66.84 = 0.00
    assert row(export) == ("export_detail", 30, "C62", 22280, 1, 6684, 0)
    assert export.allowance_reason == "Product holder's own products (NE-11)"
    assert export.period == (dt.date(2025, 5, 20), dt.date(2025, 5, 20))
    assert row(activation) == ("activation", 2, "C62", 222790, 1, 0, 4456)
    pharmacy = lines(month, SONCEK)[0]  # NE-5/NE-6: 1 x 240.00 x 8/12 = 160.00
    assert row(pharmacy) == ("pharmacy", 1, "C62", 1600000, 1, 0, 16000)


def test_msign_units_and_periods(month):
    t, o, u, s = lines(month, ALPINA)
    assert row(t) == ("transaction", 250, "C62", 2700, 1, 0, 6750)  # MS-1
    assert row(s) == ("storage_gb", 3, "E34", 33000, 1, 0, 990)  # MS-7: Rec. 20 E34 = GB
    assert t.period == (MAY, dt.date(2025, 5, 31))
    assert t.note == "1,250 used, 1,000 included in the package"
    api = lines(month, BOROVNICA)[2]
    assert row(api) == ("api", 1, "MON", 1000000, 1, 0, 10000)  # MS-6: one month's rent


def test_descriptions_come_from_the_tariffs_sheet_in_each_language(month):
    names = {lang: lines(month, CEDRA, lang)[1].name for lang in ("sl", "de", "en")}
    assert names == {"sl": "Licenca eSign", "de": "eSign-Lizenz", "en": "eSign licence"}
    assert lines(month, CEDRA, "sl")[1].note.startswith("3 licenc × 5,00 × 12 mesecev")
    assert lines(month, CEDRA, "de")[1].note.startswith("3 Lizenzen × 5,00 × 12 Monate")


def test_consistent_price_by_hand():
    # 3 x 37.8082 = 113.4246 -> 113.42 (the exact prorated price first)
    assert consistent_price(Decimal(3), 11342) == (378067, 1)  # from 113.42 / 3 = 37.80667
    # 7 x 10.0000 = 70.00, but 70.03 needs 10.0043 (7 x 10.0043 = 70.0301 -> 70.03)
    assert consistent_price(Decimal(7), 7003) == (100043, 1)
    # 1,000 units: a 4-decimal price per unit steps 0.10 EUR, so 123.45 EUR needs a base
    # quantity (BT-149): 1.2345 per 10 units, 1000 x 1.2345 / 10 = 123.45
    assert consistent_price(Decimal(1000), 12345) == (12345, 10)
    with pytest.raises(LineError):
        consistent_price(Decimal(0), 500)


def test_an_inconsistent_line_is_refused():
    line = InvoiceLine("entry", "x", "", Decimal(2), "C62", 222790, 1, 0, "", 4400, "22",
                       (MAY, MAY), "NE-8", "NENSI!30")
    with pytest.raises(LineError, match="NENSI!30"):
        line.check()


def test_required_fields_are_listed():
    assert Customer("X").missing() == ["Street", "Post code", "City", "Country", "Language"]
    assert Customer("X", "a", "1", "c", "Slovenia", language="fr").missing() == [
        "Country ('Slovenia' is no ISO 3166 code such as SI, DE)",
        "Language ('fr': use sl, de or en)"]
    assert SELLER.missing() == []
    assert Seller("S").missing() == ["Street", "Post code", "City", "Country", "VAT ID", "IBAN",
                                     "Payment terms (days)", "Invoice number pattern"]


def test_numbers_follow_the_pattern_and_never_repeat(tmp_path):
    f = tmp_path / "Tarifa.xlsx.invoice-numbers.json"
    day = dt.date(2025, 6, 2)
    assert numbering.reserve(f, "{year}-{seq:04d}", day, 2) == ["2025-0001", "2025-0002"]
    assert numbering.reserve(f, "{year}-{seq:04d}", day, 1) == ["2025-0003"]
    assert numbering.reserve(f, "{year}-{seq:04d}", dt.date(2026, 1, 5), 1) == ["2026-0001"]
    assert json.loads(f.read_text())["last"] == {"2025-{seq}": 3, "2026-{seq}": 1}

    def refuse(numbers):
        raise ValueError("already there")

    with pytest.raises(ValueError, match="already there"):  # refused: nothing reserved
        numbering.reserve(f, "{year}-{seq:04d}", day, 1, refuse)
    assert numbering.peek(f, "{year}-{seq:04d}", day, 1) == ["2025-0004"]
    for bad in ("{year}", "R{seq}/{year}", "{customer}-{seq}"):
        with pytest.raises(ValueError):
            numbering.check_pattern(bad)


def test_concurrent_reservations_never_share_a_number(tmp_path):
    f = tmp_path / "n.json"
    got: list[str] = []

    def take():
        got.extend(numbering.reserve(f, "R{seq}", dt.date(2025, 6, 2), 5))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got, key=lambda s: int(s[1:])) == [f"R{i}" for i in range(1, 21)]


def test_a_damaged_number_file_stops_rather_than_restarting_at_1(tmp_path):
    f = tmp_path / "n.json"
    f.write_text("{}")
    with pytest.raises(ValueError, match="never delete"):
        numbering.reserve(f, "R{seq}", dt.date(2025, 6, 2), 1)
