"""The invoice's and quote's words in Slovenian, German and English, and numbers and dates in
each language's format (babel's CLDR data: ``1.028,27`` in sl and de, ``1,028.27`` in en).

Line descriptions come from the Tariffs sheet (its ``Description (sl|de|en)`` columns, see
``workbook.invoice.lines``); this module holds only the labels, unit names and line notes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

LANGUAGES = ("sl", "de", "en")
LOCALES = {"sl": "sl_SI", "de": "de_DE", "en": "en_GB"}

LABELS: dict[str, dict[str, str]] = {
    "invoice": {"sl": "Račun", "de": "Rechnung", "en": "Invoice"},
    "quote": {"sl": "Ponudba", "de": "Angebot", "en": "Quote"},
    "number": {"sl": "Številka", "de": "Nummer", "en": "Number"},
    "date": {"sl": "Datum izdaje", "de": "Rechnungsdatum", "en": "Issue date"},
    "quote_date": {"sl": "Datum ponudbe", "de": "Angebotsdatum", "en": "Quote date"},
    "valid_until": {"sl": "Veljavnost do", "de": "Gültig bis", "en": "Valid until"},
    "period": {"sl": "Obdobje storitev", "de": "Leistungszeitraum", "en": "Billing period"},
    "due": {"sl": "Rok plačila", "de": "Fällig am", "en": "Due date"},
    "buyer_reference": {"sl": "Sklic kupca", "de": "Käuferreferenz", "en": "Buyer reference"},
    "seller": {"sl": "Izdajatelj", "de": "Rechnungssteller", "en": "Seller"},
    "buyer": {"sl": "Kupec", "de": "Rechnungsempfänger", "en": "Bill to"},
    "customer": {"sl": "Stranka", "de": "Kunde", "en": "Customer"},
    "vat_id": {"sl": "ID za DDV", "de": "USt-IdNr.", "en": "VAT ID"},
    "pos": {"sl": "#", "de": "Nr.", "en": "#"},
    "item": {"sl": "Šifra", "de": "Artikel", "en": "Item"},
    "description": {"sl": "Opis", "de": "Beschreibung", "en": "Description"},
    "quantity": {"sl": "Kol.", "de": "Menge", "en": "Qty"},
    "unit": {"sl": "EM", "de": "Einh.", "en": "Unit"},
    "price": {"sl": "Cena", "de": "Preis", "en": "Unit price"},
    "vat_pct": {"sl": "DDV %", "de": "USt. %", "en": "VAT %"},
    "amount": {"sl": "Znesek", "de": "Betrag", "en": "Amount"},
    "net": {"sl": "Skupaj brez DDV", "de": "Summe netto", "en": "Total without VAT"},
    "vat_on": {"sl": "DDV {rate} % od {base}", "de": "USt. {rate} % auf {base}",
               "en": "VAT {rate} % on {base}"},
    "vat_total": {"sl": "DDV skupaj", "de": "USt. gesamt", "en": "Total VAT"},
    "gross": {"sl": "Skupaj z DDV", "de": "Gesamtbetrag", "en": "Total with VAT"},
    "payable": {"sl": "Za plačilo", "de": "Zahlbetrag", "en": "Amount due"},
    "pay_to": {"sl": "Plačilo na IBAN {iban}, sklic {ref}",
               "de": "Zahlung auf IBAN {iban}, Verwendungszweck {ref}",
               "en": "Pay to IBAN {iban}, reference {ref}"},
    "terms": {"sl": "Plačilo v {days} dneh, do {due}.",
              "de": "Zahlbar innerhalb von {days} Tagen, bis {due}.",
              "en": "Payment within {days} days, by {due}."},
    "allowance": {"sl": "Popust 100 %", "de": "Nachlass 100 %", "en": "Allowance 100 %"},
    "embedded": {"sl": "Ta PDF vsebuje e-račun EN 16931 (Factur-X/ZUGFeRD, factur-x.xml).",
                 "de": "Dieses PDF enthält die E-Rechnung nach EN 16931 "
                       "(Factur-X/ZUGFeRD, factur-x.xml).",
                 "en": "This PDF carries the EN 16931 e-invoice (Factur-X/ZUGFeRD, "
                       "factur-x.xml)."},
    "quote_note": {"sl": "Ponudba ni račun. Cene iz cenika na dan ponudbe, brez DDV.",
                   "de": "Dieses Angebot ist keine Rechnung. Preise laut Preisliste am "
                         "Angebotsdatum, ohne USt.",
                   "en": "This quote is not an invoice. Prices from the price list on the "
                         "quote date, VAT excluded."},
    "page": {"sl": "Stran {n}/{total}", "de": "Seite {n}/{total}", "en": "Page {n}/{total}"},
    "discount": {"sl": "Količinski popust NENSI: {service}",
                 "de": "NENSI-Mengenrabatt: {service}", "en": "NENSI volume discount: {service}"},
}

# Notes on a line: why its amount is what it is (proration, exemption, nothing due).
NOTES: dict[str, dict[str, str]] = {
    "msign_usage": {"sl": "porabljeno {used}, vključeno v paket {included}",
                    "de": "genutzt {used}, im Paket enthalten {included}",
                    "en": "{used} used, {included} included in the package"},
    "esign_prorated": {
        "sl": "{n} licenc × {price} × {months} mesecev × {days}/{period} dni (ES-15)",
        "de": "{n} Lizenzen × {price} × {months} Monate × {days}/{period} Tage (ES-15)",
        "en": "{n} licences × {price} × {months} months × {days}/{period} days (ES-15)"},
    "subscription": {"sl": "naročnina {sub}", "de": "Abonnement {sub}", "en": "subscription {sub}"},
    "nensi_prorated": {
        "sl": "{n} × {price} × {months}/12 mesecev do konca leta (NE-6)",
        "de": "{n} × {price} × {months}/12 Monate bis Jahresende (NE-6)",
        "en": "{n} × {price} × {months}/12 months to the end of the year (NE-6)"},
    "renewal": {"sl": "podaljšanje za leto {year} (NE-6)",
                "de": "Verlängerung für {year} (NE-6)",
                "en": "renewal for {year} (NE-6)"},
    "not_due": {"sl": "{product}: ta mesec brez vzdrževanja (od meseca po vpisu oz. "
                      "aktivaciji, NE-10)",
                "de": "{product}: diesen Monat keine Pflege (ab dem Monat nach Erfassung "
                      "bzw. Aktivierung, NE-10)",
                "en": "{product}: nothing due this month (from the month after entry or "
                      "activation, NE-10)"},
    "product": {"sl": "{product}", "de": "{product}", "en": "{product}"},
}

# UN/ECE Recommendation 20 unit codes we use, and their names per language.
UNITS: dict[str, dict[str, str]] = {
    "C62": {"sl": "kos", "de": "Stk.", "en": "pc"},
    "E34": {"sl": "GB", "de": "GB", "en": "GB"},
    "MON": {"sl": "mes.", "de": "Monat", "en": "month"},
}


def label(key: str, lang: str, **values: object) -> str:
    return LABELS[key][lang].format(**values)


def note(key: str, lang: str, **values: object) -> str:
    return NOTES[key][lang].format(**values)


def unit_name(code: str, lang: str) -> str:
    return UNITS[code][lang]


def money(value: Decimal, lang: str) -> str:
    """An amount with 2 decimals and the language's separators: 1.028,27 / 1,028.27."""
    return format_decimal(value, format="#,##0.00", locale=LOCALES[lang])


def price(value: Decimal, lang: str) -> str:
    """A unit price with 2 to 4 decimals: 22,279 shows as 22,2790 (the price list's 4)."""
    text = format_decimal(value, format="#,##0.00##", locale=LOCALES[lang])
    if value != value.quantize(Decimal("0.01")):
        text = format_decimal(value, format="#,##0.0000", locale=LOCALES[lang])
    return text


def number(value: Decimal, lang: str) -> str:
    """A quantity: as many decimals as it has (up to 4)."""
    return format_decimal(value, format="#,##0.####", locale=LOCALES[lang])


def date(day: dt.date, lang: str) -> str:
    return format_date(day, "medium", locale=LOCALES[lang])


def check_language(lang: object) -> str:
    """``lang`` as one of sl/de/en (case-insensitive); ValueError otherwise."""
    text = str(lang or "").strip().lower()
    if text not in LANGUAGES:
        raise ValueError(f"language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return text
