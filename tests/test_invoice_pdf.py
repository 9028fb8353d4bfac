"""Invoice and quote PDFs: readable text in each language (pypdf), totals equal to the XML and
tarifa bill's, the CII XML embedded as Factur-X (PDF/A-3), a page rendered to PNG."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from facturx import get_xml_from_pdf
from pypdf import PdfReader

from tests.invoicing import invoice, sample, xml_of
from workbook.invoice import pdf
from workbook.invoice.quote import read_quote
from workbook.template import build

FARMALAB = "Farmalab d.o.o. (sample)"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build(tmp_path_factory.mktemp("pdf") / "Tarifa.xlsx").path


@pytest.fixture(scope="module")
def month(template):
    return sample(template)


def text_of(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("lang, words, amounts", [
    ("sl", ["Račun 2025-0004", "Vzdrževanje podatkov o izdelku", "Skupaj z DDV",
            "Popust 100 %: −66,84"], ["193,63", "42,60", "236,23", "22,2790"]),
    ("de", ["Rechnung 2025-0004", "Pflege der Produktdaten", "Gesamtbetrag",
            "Fällig am", "Tržaška"], ["193,63", "42,60", "236,23"]),
    ("en", ["Invoice 2025-0004", "Product data maintenance", "Total with VAT",
            "Amount due"], ["193.63", "42.60", "236.23"]),
])
def test_invoice_pdf_text_and_totals(month, lang, words, amounts):
    tables, run = month
    inv = invoice(tables, run, FARMALAB, lang, "2025-0004")
    inv.buyer = inv.buyer.__class__(**{**inv.buyer.__dict__, "street": "Tržaška cesta 2"})
    xml = xml_of(inv)
    data = pdf.facturx_pdf(inv, xml)
    text = text_of(data)
    for w in words + amounts:
        assert w in text, w
    t = run.customers[FARMALAB.casefold()].totals  # tarifa bill: 193.63 + 42.60 = 236.23
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (19363, 4260, 23623)
    # the XML inside the PDF is the invoice's XML, and says the same gross
    name, embedded = get_xml_from_pdf(data, check_xsd=True)
    assert name == "factur-x.xml" and embedded == xml
    assert b"<ram:GrandTotalAmount>236.23</ram:GrandTotalAmount>" in embedded


def test_the_pdf_is_pdf_a_3_with_factur_x_metadata(month):
    tables, run = month
    inv = invoice(tables, run, "Cedra GmbH (sample)", "de")
    data = pdf.facturx_pdf(inv, xml_of(inv))
    reader = PdfReader(io.BytesIO(data))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFA1"  # sRGB output intent
    af = reader.trailer["/Root"]["/AF"][0].get_object()
    assert af["/AFRelationship"] == "/Data"
    fonts = {f.get_object()["/BaseFont"] for p in reader.pages
             for f in p["/Resources"]["/Font"].values()}
    assert all("DejaVu" in str(f) for f in fonts)  # embedded TrueType, no base-14 font


@pytest.mark.skipif(shutil.which("pdftoppm") is None,
                    reason="pdftoppm (poppler-utils) is not installed")
def test_a_page_renders_to_png(month, tmp_path):
    tables, run = month
    inv = invoice(tables, run, FARMALAB, "sl")
    (tmp_path / "i.pdf").write_bytes(pdf.facturx_pdf(inv, xml_of(inv)))
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1",
                    str(tmp_path / "i.pdf"), str(tmp_path / "page")], check=True, timeout=60)
    png = next(tmp_path.glob("page*.png"))
    from PIL import Image

    img = Image.open(png).convert("L")
    assert img.size == (331, 468)  # A4 at 40 dpi
    dark = sum(img.histogram()[:128])
    assert dark > 2000  # text was drawn, not an empty page


def test_a_missing_font_is_a_clear_error(month, monkeypatch):
    monkeypatch.setattr(pdf, "FONT_DIRS", ())
    monkeypatch.delenv("TARIFA_FONT_DIR", raising=False)
    tables, run = month
    with pytest.raises(pdf.FontMissing, match="fonts-dejavu-core"):
        pdf.invoice_pdf(invoice(tables, run, FARMALAB, "sl"))


def test_quote_pdf_from_the_quote_sheet(template):
    # the sample NENSI quote: net 1,236.77, VAT 272.09, gross 1,508.86 (README, Quote sheet)
    q = read_quote(template, lang="de", number="A-2025-001")
    t = q.totals
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (123677, 27209, 150886)
    text = text_of(pdf.quote_pdf(q))
    for w in ("Angebot A-2025-001", "Zdravje d.d. (sample)", "1.236,77", "272,09",
              "1.508,86", "Erfassung der Produktdaten", "22,2790", "Angebotsdatum"):
        assert w in text, w
    q = read_quote(template)  # Zdravje d.d. is in the Customers table: its language, address
    assert (q.lang, q.buyer.city, q.number) == ("sl", "Ljubljana", "Q-2025-001 (sample)")
    assert q.valid_until == dt.date(2025, 6, 30)  # the Quote sheet's Valid until


def test_quote_to_a_customer_not_in_the_customers_table_needs_lang(tmp_path):
    path = build(tmp_path / "T.xlsx", tables={"Customers": []}).path
    with pytest.raises(ValueError, match="give --lang"):
        read_quote(path)
    assert read_quote(path, lang="en").buyer.name == "Zdravje d.d. (sample)"


def test_cli_quote_writes_once_and_never_over_a_file(template, tmp_path, capsys):
    from addin.cli import main

    out = tmp_path / "quote.pdf"
    assert main(["quote", str(template), "-o", str(out), "--lang", "sl", "--number", "P-7"]) == 0
    assert "gross 1,508.86 EUR" in capsys.readouterr().out
    assert "1.508,86" in text_of(out.read_bytes())
    before = out.read_bytes()
    assert main(["quote", str(template), "-o", str(out), "--lang", "en"]) == 1
    assert "exists" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["quote.pdf"]  # no temporary file left
