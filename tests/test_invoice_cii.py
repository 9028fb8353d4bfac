"""The sample month's invoices as CII XML pass the official EN 16931 artefacts (the CII D16B
schema and every fatal rule of the CII schematron, ../shared/en16931) in all three languages,
and their totals are tarifa bill's to the cent. A broken invoice fails, so the check can."""

from __future__ import annotations

from decimal import Decimal

import pytest
from facturx import xml_check_xsd
from lxml import etree

from tests import en16931
from tests.invoicing import invoice, sample, xml_of
from workbook.template import build

SKIP = en16931.missing_reason()
NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    return sample(build(tmp_path_factory.mktemp("cii") / "Tarifa.xlsx").path)


def billed(run):
    return [c.customer for c in run.customers.values() if not c.held and c.lines]


def total(xml: bytes, tag: str) -> Decimal:
    el = etree.fromstring(xml).find(
        f".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{tag}", NS)
    return Decimal(el.text)


@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_every_sample_invoice_passes_schema_and_every_fatal_rule(month):
    tables, run = month
    names = billed(run)
    assert len(names) == 5
    checked = 0
    for lang in ("sl", "de", "en"):
        for i, name in enumerate(names):
            xml = xml_of(invoice(tables, run, name, lang, f"2025-{i + 1:04d}",
                                 reference="PO-1" if i == 0 else ""))
            assert en16931.schema_errors(xml) == [], (name, lang)
            assert en16931.fatal_rules(xml) == [], (name, lang)
            assert xml_check_xsd(xml, flavor="factur-x", level="en16931")  # Factur-X schema
            checked += 1
    assert checked == 15


@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_the_validator_fails_a_broken_invoice(month):
    tables, run = month
    xml = xml_of(invoice(tables, run, "Farmalab d.o.o. (sample)", "en"))
    assert en16931.problems(xml) == []
    # gross 236.23 changed to 236.24: BT-112 != BT-109 + BT-110, BT-115 != BT-112
    broken = xml.replace(b"<ram:GrandTotalAmount>236.23<", b"<ram:GrandTotalAmount>236.24<")
    rules = [p.split(":")[0] for p in en16931.fatal_rules(broken)]
    assert rules == ["BR-CO-15", "BR-CO-16"]
    # no seller VAT ID on standard-rated lines: BR-S-02, and no seller identifier: BR-CO-26
    no_vat = etree.fromstring(xml)
    seller = no_vat.find(".//ram:SellerTradeParty", NS)
    seller.remove(seller.find("ram:SpecifiedTaxRegistration", NS))
    rules = {p.split(":")[0] for p in en16931.fatal_rules(etree.tostring(no_vat))}
    assert rules == {"BR-S-02", "BR-CO-26"}
    # an element out of the schema's order fails the schema
    swapped = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"").replace(
        b"</ram:IssueDateTime>", b"</ram:IssueDateTime><ram:TypeCode>380</ram:TypeCode>")
    assert en16931.schema_errors(swapped)


def test_totals_equal_tarifa_bill_to_the_cent(month):
    tables, run = month
    expected = {  # tarifa bill's sample month (README): net, VAT, gross
        "Alpina d.o.o. (sample)": ("117.00", "25.74", "142.74"),
        "Borovnica s.p. (sample)": ("114.16", "25.12", "139.28"),
        "Cedra GmbH (sample)": ("188.42", "41.45", "229.87"),
        "Farmalab d.o.o. (sample)": ("193.63", "42.60", "236.23"),
        "Lekarna Soncek (sample)": ("229.63", "50.52", "280.15"),
    }
    for name in billed(run):
        xml = xml_of(invoice(tables, run, name, "de"))
        t = run.customers[name.casefold()].totals
        got = (total(xml, "TaxBasisTotalAmount"), total(xml, "TaxTotalAmount"),
               total(xml, "GrandTotalAmount"))
        assert got == tuple(Decimal(x) for x in expected[name])
        assert got == tuple(Decimal(c) / 100 for c in (t.net_cents, t.vat_cents,
                                                        t.gross_cents))
        assert total(xml, "DuePayableAmount") == got[2]
        # BT-106 = the sum of the line net amounts (BR-CO-10)
        lines = etree.fromstring(xml).findall(".//ram:LineTotalAmount", NS)[:-1]
        assert sum(Decimal(x.text) for x in lines) == total(xml, "LineTotalAmount")


def test_the_xml_says_what_the_lines_say(month):
    tables, run = month
    xml = xml_of(invoice(tables, run, "Farmalab d.o.o. (sample)", "sl", reference="PO-7"))
    root = etree.fromstring(xml)
    items = root.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)
    export = items[6]  # NE-11 own products: 30 x 2.228 with a 100 % allowance of 66.84
    assert export.findtext(".//ram:SellerAssignedID", None, NS) == "export_detail"
    assert export.findtext(".//ram:BilledQuantity", None, NS) == "30"
    assert export.find(".//ram:BilledQuantity", NS).get("unitCode") == "C62"
    assert export.findtext(".//ram:NetPriceProductTradePrice/ram:ChargeAmount", None,
                           NS) == "2.228"
    allowance = export.find(".//ram:SpecifiedTradeAllowanceCharge", NS)
    assert [allowance.findtext(f"ram:{t}", None, NS) for t in
            ("CalculationPercent", "BasisAmount", "ActualAmount", "Reason")] == \
        ["100", "66.84", "66.84", "Lastni izdelki imetnika (NE-11)"]
    assert export.findtext(".//ram:LineTotalAmount", None, NS) == "0.00"
    assert root.findtext(".//ram:BuyerReference", None, NS) == "PO-7"  # BT-10
    assert items[4].findtext(".//ram:Name", None, NS).startswith("Celoletna uporaba")


@pytest.mark.skipif(SKIP is not None, reason=SKIP or "")
def test_discount_and_january_renewals_hold_together_and_pass(tmp_path):
    import datetime as dt

    from tests.invoicing import SELLER, customer
    from workbook.billrun import price_month
    from workbook.invoice import cii
    from workbook.invoice.document import Invoice, due_date
    from workbook.invoice.lines import invoice_lines
    from workbook.usage import read_template

    # NE-12 with a tier "export_detail from 10: 5 %": 5 % of 66.84 = 3.342 -> 3.34, billed
    # as quantity -1 x 3.34 (BR-27: no negative price)
    path = build(tmp_path / "T.xlsx",
                 tables={"DiscountTiers_NENSI": [["export_detail", 10, 5]]}).path
    tables = read_template(path)
    for month, expected in (
            (dt.date(2025, 5, 1), [("pharmacy", 1, 1600000, 16000),
                                   ("export_detail", 30, 22280, 6684),
                                   ("export_codebook", 5, 5570, 279),
                                   ("discount_export_detail", -1, 33400, -334)]),
            # NE-6: January renewals in full: pharmacy 240.00, view 60.00 (until 2026-12-31)
            (dt.date(2026, 1, 1), [("pharmacy", 1, 2400000, 24000),
                                   ("view", 1, 600000, 6000)])):
        bill = price_month(tables, month).customers["lekarna soncek (sample)"]
        lines = invoice_lines(bill, tables, month, "en")
        assert [(x.code, x.quantity, x.price_e4, x.amount_cents) for x in lines] == expected
        inv = Invoice("2026-0001", dt.date(2026, 2, 2), due_date(dt.date(2026, 2, 2), SELLER),
                      (month, month), "en", SELLER, customer("Lekarna Soncek (sample)", "en"),
                      lines)
        assert inv.totals == bill.totals
        assert en16931.problems(cii.to_bytes(inv)) == []
