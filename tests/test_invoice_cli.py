"""`tarifa invoice` on the template's sample month: one CII XML and one Factur-X PDF per billed
customer, in its language, passing the official EN 16931 rules, totals equal to `tarifa
bill`'s; held and incomplete customers listed; nothing overwritten; numbers never repeat."""

from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import openpyxl
import pytest
from facturx import get_xml_from_pdf
from lxml import etree
from pypdf import PdfReader

from addin.cli import main
from tests import en16931
from workbook import layout as L
from workbook.billrun import price_month
from workbook.invoice.numbering import counter_file
from workbook.template import build
from workbook.usage import read_template

MAY = "2025-05"
ISSUE = "2025-06-02"
NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
# tarifa bill's sample month (README): gross per customer, and the language of each
GROSS = {"Alpina d.o.o. (sample)": ("142.74", "sl", "Račun", "142,74"),
         "Borovnica s.p. (sample)": ("139.28", "sl", "Račun", "139,28"),
         "Cedra GmbH (sample)": ("229.87", "de", "Rechnung", "229,87"),
         "Farmalab d.o.o. (sample)": ("236.23", "en", "Invoice", "236.23"),
         "Lekarna Soncek (sample)": ("280.15", "sl", "Račun", "280,15")}


@pytest.fixture()
def workbook(tmp_path_factory):
    return build(tmp_path_factory.mktemp("wb") / "Tarifa.xlsx").path


def xml_gross(xml: bytes) -> Decimal:
    return Decimal(etree.fromstring(xml).findtext(".//ram:GrandTotalAmount", None, NS))


def test_sample_month_one_valid_invoice_per_billed_customer(workbook, tmp_path, capsys):
    before = hashlib.sha256(workbook.read_bytes()).hexdigest()
    out = tmp_path / "invoices"
    assert main(["invoice", str(workbook), "--month", MAY, "-o", str(out),
                 "--date", ISSUE]) == 2  # written; the bad-input sample customer held back
    said = capsys.readouterr().out
    assert "NOT INVOICED  Sample - bad input d.o.o.: 9 bad row(s)" in said
    assert "mSign!15: MS-7: extra GB in the mSef e-archive" in said  # its rows, as tarifa bill
    assert "... and 4 more" in said
    assert "5 invoice(s), gross 1,028.27 EUR" in said  # tarifa bill's Total billed
    assert sorted(p.name for p in out.iterdir()) == [
        f"2025-000{i}.{ext}" for i in range(1, 6) for ext in ("pdf", "xml")]
    run = price_month(read_template(workbook), __import__("datetime").date(2025, 5, 1))
    skip = en16931.missing_reason()
    for i, (name, (gross, lang, title, shown)) in enumerate(GROSS.items(), start=1):
        xml = (out / f"2025-000{i}.xml").read_bytes()
        pdf = (out / f"2025-000{i}.pdf").read_bytes()
        root = etree.fromstring(xml)
        assert root.findtext(".//ram:BuyerTradeParty/ram:Name", None, NS) == name
        t = run.customers[name.casefold()].totals
        assert xml_gross(xml) == Decimal(gross) == Decimal(t.gross_cents) / 100
        assert get_xml_from_pdf(pdf, check_xsd=True)[1] == xml
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert f"{title} 2025-000{i}" in text and shown in text, (name, lang)
        if skip is None:
            assert en16931.problems(xml) == [], name
    assert hashlib.sha256(workbook.read_bytes()).hexdigest() == before  # input untouched
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file


def test_lang_overrides_and_numbers_go_on(workbook, tmp_path, capsys):
    out = tmp_path / "o"
    main(["invoice", str(workbook), "--month", MAY, "-o", str(out), "--date", ISSUE])
    assert main(["invoice", str(workbook), "--month", MAY, "-o", str(out), "--date", ISSUE,
                 "--lang", "en"]) == 2
    assert len(list(out.glob("*.xml"))) == 10  # 2025-0006 .. 2025-0010: never a repeat
    text = PdfReader(str(out / "2025-0006.pdf")).pages[0].extract_text()
    assert "Invoice 2025-0006" in text and "Total with VAT" in text


def test_a_number_already_in_the_folder_is_an_error_and_nothing_is_written(workbook, tmp_path,
                                                                          capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "2025-0003.pdf").write_bytes(b"someone's invoice")
    assert main(["invoice", str(workbook), "--month", MAY, "-o", str(out),
                 "--date", ISSUE]) == 1
    assert "already holds 2025-0003.pdf" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["2025-0003.pdf"]
    assert (out / "2025-0003.pdf").read_bytes() == b"someone's invoice"
    assert not counter_file(workbook).exists()  # no number was taken


def test_customer_with_missing_fields_is_listed_not_written(workbook, tmp_path, capsys):
    wb = openpyxl.load_workbook(workbook)
    ws = wb[L.PARTIES_SHEET]
    row = L.PARTIES.row + 3  # Borovnica: second data row (1-based: header + 2)
    assert ws.cell(row, 1).value == "Borovnica s.p. (sample)"
    ws.cell(row, 2).value = None  # Street
    ws.cell(row, 5).value = "Slovenia"  # not an ISO code
    wb.save(workbook)
    out = tmp_path / "o"
    assert main(["invoice", str(workbook), "--month", MAY, "-o", str(out),
                 "--date", ISSUE]) == 2
    said = capsys.readouterr().out
    assert ("NOT INVOICED  Borovnica s.p. (sample): missing in the Customers table: Street, "
            "Country ('SLOVENIA' is no ISO 3166 code such as SI, DE)") in said
    assert len(list(out.glob("*.xml"))) == 4


def test_seller_without_iban_stops_the_run(workbook, tmp_path, capsys):
    wb = openpyxl.load_workbook(workbook)
    ws = wb[L.SELLER_SHEET]
    for r in range(1, 30):
        if ws.cell(r, 1).value == "IBAN":
            ws.cell(r, 2).value = None
    wb.save(workbook)
    assert main(["invoice", str(workbook), "--month", MAY, "-o", str(tmp_path / "o")]) == 1
    assert "the Seller block lacks IBAN" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_quote_in_the_customers_language(workbook, tmp_path, capsys):
    out = tmp_path / "q.pdf"
    assert main(["quote", str(workbook), "-o", str(out)]) == 0  # Zdravje d.d.: sl
    text = PdfReader(str(out)).pages[0].extract_text()
    assert "Ponudba" in text and "1.508,86" in text and "Tarifa Demo d.o.o." in text
