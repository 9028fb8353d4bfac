"""Invoices and quotes as readable A4 PDFs in the customer's language (fpdf2), PDF/A-3; an
invoice's PDF carries its CII XML as Factur-X / ZUGFeRD (EN 16931 level), embedded by the
``factur-x`` library (which also checks the XML against the Factur-X schema).

The text needs a Unicode TrueType font (č, š, ž, ß): DejaVu Sans, from the Debian package
``fonts-dejavu-core`` (``.ci/run`` installs it) or a folder named by ``TARIFA_FONT_DIR``.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from pricing import money
from workbook.invoice import texts
from workbook.invoice.document import Invoice, Quote
from workbook.invoice.lines import InvoiceLine
from workbook.invoice.parties import Customer, Seller

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
_GREY = (110, 110, 110)


class FontMissing(RuntimeError):
    pass


def font_dir() -> Path:
    """The folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf (FontMissing if none)."""
    dirs = [os.environ["TARIFA_FONT_DIR"]] if os.environ.get("TARIFA_FONT_DIR") else []
    for d in (*dirs, *FONT_DIRS):
        if all((Path(d) / f).is_file() for f in FONT_FILES.values()):
            return Path(d)
    raise FontMissing("the invoice PDF needs the DejaVu Sans font (DejaVuSans.ttf and "
                      "DejaVuSans-Bold.ttf) for letters such as č, š, ž, ß: install it "
                      "(Debian/Ubuntu: apt-get install fonts-dejavu-core) or set "
                      "TARIFA_FONT_DIR to a folder holding both files")


class _Page(FPDF):
    def __init__(self, lang: str, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4",
                         enforce_compliance="PDF/A-3B")
        self.language, self.footer_text = lang, footer_text
        d = font_dir()
        for style, name in FONT_FILES.items():
            self.add_font("DejaVu", style, str(d / name))
        self.set_font("DejaVu", size=9)
        self.set_auto_page_break(True, margin=20)
        self.set_margins(18, 15, 18)
        self.set_lang({"sl": "sl-SI", "de": "de-DE", "en": "en-GB"}[lang])

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("DejaVu", size=7)
        self.set_text_color(*_GREY)
        self.cell(0, 4, self.footer_text, align="L")
        self.cell(0, 4, texts.label("page", self.language, n=self.page_no(), total="{nb}"),
                  align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)


def _address(p: Seller | Customer) -> list[str]:
    lines = [p.street, " ".join(x for x in (p.postcode, p.city) if x), p.country]
    return [x for x in lines if x]


def _block(pdf: _Page, x: float, y: float, w: float, title: str, lines: list[str],
           bold_first: bool = True) -> float:
    pdf.set_xy(x, y)
    pdf.set_font("DejaVu", size=7)
    pdf.set_text_color(*_GREY)
    pdf.cell(w, 4, title.upper(), new_x="LEFT", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for i, line in enumerate(lines):
        pdf.set_font("DejaVu", "B" if bold_first and i == 0 else "", 9)
        pdf.multi_cell(w, 4.6, line, new_x="LEFT", new_y="NEXT")
    return pdf.get_y()


def _meta(pdf: _Page, x: float, y: float, rows: list[tuple[str, str]]) -> float:
    pdf.set_xy(x, y)
    for k, v in rows:
        pdf.set_font("DejaVu", size=8)
        pdf.set_text_color(*_GREY)
        pdf.cell(32, 5, k)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(0, 5, v, new_x="LEFT", new_y="NEXT")
        pdf.set_x(x)
    return pdf.get_y()


def _eur(cents: int, lang: str) -> str:
    return texts.money(money.cents_to_decimal(cents), lang)


def _description(line: InvoiceLine, lang: str, period: bool) -> str:
    parts = [line.name]
    if line.note:
        parts.append(line.note)
    if line.allowance_cents:
        parts.append(f"{texts.label('allowance', lang)}: −{_eur(line.allowance_cents, lang)} "
                     f"({line.allowance_reason})")
    if line.base_quantity != 1:
        parts.append(f"{texts.label('price', lang)} / {line.base_quantity}")
    p0, p1 = line.period
    if period:
        parts.append(texts.date(p0, lang) if p0 == p1 else
                     f"{texts.date(p0, lang)} – {texts.date(p1, lang)}")
    return "\n".join(parts)


def _lines_table(pdf: _Page, lines: list[InvoiceLine], lang: str, period: bool = True
                 ) -> None:
    lab = lambda k: texts.label(k, lang)  # noqa: E731
    heads = [lab("pos"), lab("item"), lab("description"), lab("quantity"), lab("unit"),
             lab("price"), lab("vat_pct"), lab("amount")]
    pdf.set_font("DejaVu", size=7.5)
    pdf.set_draw_color(200, 200, 200)
    style = FontFace(emphasis="BOLD", fill_color=(225, 235, 247))
    with pdf.table(col_widths=(5, 23, 45, 9, 8, 11, 7, 12), line_height=3.5,
                   text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT",
                               "RIGHT"),
                   headings_style=style, borders_layout="HORIZONTAL_LINES",
                   padding=(1.2, 1, 1.2, 1)) as table:
        row = table.row()
        for h in heads:
            row.cell(h)
        for n, line in enumerate(lines, start=1):
            row = table.row()
            row.cell(str(n))
            row.cell(line.code)
            row.cell(_description(line, lang, period))
            row.cell(texts.number(line.quantity, lang))
            row.cell(texts.unit_name(line.unit, lang))
            row.cell(texts.price(money.price_to_decimal(line.price_e4), lang))
            row.cell(texts.number(Decimal(line.vat_rate), lang))
            row.cell(_eur(line.amount_cents, lang))


def _totals(pdf: _Page, doc: Invoice | Quote, lang: str, due: bool) -> None:
    t = doc.totals
    rows = [(texts.label("net", lang), _eur(t.net_cents, lang), False)]
    for r in t.by_rate:
        rows.append((texts.label("vat_on", lang, rate=texts.number(Decimal(r.rate), lang),
                                 base=_eur(r.net_cents, lang)), _eur(r.vat_cents, lang), False))
    if len(t.by_rate) > 1:
        rows.append((texts.label("vat_total", lang), _eur(t.vat_cents, lang), False))
    rows.append((texts.label("gross", lang), _eur(t.gross_cents, lang), True))
    if due:
        rows.append((texts.label("payable", lang), f"{_eur(t.gross_cents, lang)} {doc.currency}",
                     True))
    pdf.ln(3)
    needed = 6 * len(rows) + 20  # the totals and the payment lines below them
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
    x = pdf.w - pdf.r_margin - 95
    for label, value, bold in rows:
        pdf.set_x(x)
        pdf.set_font("DejaVu", "B" if bold else "", 9 if not bold else 10)
        pdf.cell(65, 6, label, align="R")
        pdf.cell(30, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _header(pdf: _Page, title: str, seller: Seller | None, buyer: Customer, lang: str,
            meta: list[tuple[str, str]]) -> None:
    pdf.add_page()
    top = pdf.get_y()
    if seller is not None:
        lines = [seller.name, *_address(seller)]
        if seller.vat_id:
            lines.append(f"{texts.label('vat_id', lang)}: {seller.vat_id}")
        if seller.email:
            lines.append(seller.email)
        _block(pdf, pdf.l_margin, top, 80, texts.label("seller", lang), lines)
    pdf.set_xy(pdf.w - pdf.r_margin - 84, top)
    pdf.set_font("DejaVu", "B", 18)
    pdf.cell(84, 9, title, align="R", new_x="LEFT", new_y="NEXT")
    _meta(pdf, pdf.w - pdf.r_margin - 84, top + 12, meta)
    y = max(pdf.get_y(), top + 34) + 6
    blines = [buyer.name, *_address(buyer)]
    if buyer.vat_id:
        blines.append(f"{texts.label('vat_id', lang)}: {buyer.vat_id}")
    end = _block(pdf, pdf.l_margin, y, 90, texts.label("buyer", lang), blines)
    pdf.set_y(end + 6)


def invoice_pdf(inv: Invoice) -> bytes:
    """The readable invoice (PDF/A-3, without the XML yet)."""
    lang = inv.lang
    pdf = _Page(lang, texts.label("embedded", lang))
    meta = [(texts.label("number", lang), inv.number),
            (texts.label("date", lang), texts.date(inv.issue_date, lang)),
            (texts.label("period", lang), f"{texts.date(inv.period[0], lang)} – "
                                           f"{texts.date(inv.period[1], lang)}"),
            (texts.label("due", lang), texts.date(inv.due_date, lang))]
    if inv.buyer.buyer_reference:
        meta.append((texts.label("buyer_reference", lang), inv.buyer.buyer_reference))
    _header(pdf, f"{texts.label('invoice', lang)} {inv.number}", inv.seller, inv.buyer, lang,
            meta)
    _lines_table(pdf, inv.lines, lang)
    _totals(pdf, inv, lang, due=True)
    pdf.ln(4)
    pdf.set_font("DejaVu", size=9)
    pay = texts.label("pay_to", lang, iban=_iban(inv.seller.iban), ref=inv.number)
    if inv.seller.bic:
        pay += f", BIC {inv.seller.bic}"
    pdf.multi_cell(0, 5, pay, new_x="LMARGIN", new_y="NEXT")
    if inv.seller.payment_days is not None:
        pdf.multi_cell(0, 5, texts.label("terms", lang, days=inv.seller.payment_days,
                                         due=texts.date(inv.due_date, lang)),
                       new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def quote_pdf(q: Quote) -> bytes:
    lang = q.lang
    pdf = _Page(lang, texts.label("quote_note", lang))
    meta = [(texts.label("number", lang), q.number),
            (texts.label("quote_date", lang), texts.date(q.issue_date, lang))]
    if q.valid_until:
        meta.append((texts.label("valid_until", lang), texts.date(q.valid_until, lang)))
    _header(pdf, f"{texts.label('quote', lang)} {q.number}".strip(), q.seller, q.buyer, lang,
            meta)
    _lines_table(pdf, q.lines, lang, period=False)
    _totals(pdf, q, lang, due=False)
    return bytes(pdf.output())


def _iban(iban: str) -> str:
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def facturx_pdf(inv: Invoice, xml: bytes) -> bytes:
    """The invoice PDF with ``xml`` embedded as Factur-X (EN 16931 level); factur-x checks
    the XML against its schema first (raises on a schema error)."""
    from facturx import generate_from_binary

    lang = {"sl": "sl-SI", "de": "de-DE", "en": "en-GB"}[inv.lang]
    meta = {"author": inv.seller.name, "keywords": "Factur-X, ZUGFeRD, EN 16931",
            "title": f"{inv.seller.name}: {texts.label('invoice', inv.lang)} {inv.number}",
            "subject": f"{texts.label('invoice', inv.lang)} {inv.number}, "
                       f"{texts.date(inv.issue_date, inv.lang)}, {inv.buyer.name}"}
    return generate_from_binary(invoice_pdf(inv), xml, flavor="factur-x", level="en16931",
                                check_xsd=True, pdf_metadata=meta, lang=lang)
