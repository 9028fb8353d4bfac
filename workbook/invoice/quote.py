"""The Quote sheet as a quote one can send: its customer, price list, date, VAT rate and
lines, priced as the sheet prices them (``TARIFF_PRICE`` with the chosen price list's Table on
the quote date; amount = quantity x unit price, half-up once per line; VAT per rate on the
net total), in the customer's language.

A line the sheet shows as an error (unknown code, a code of another price list, no price, a
quantity that is no whole number >= 0) stops the quote with the line's row and reason: a
quote with an error line is not one to send.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

from pricing import bill, money
from udfs import excel_values as xv
from udfs import functions as F
from workbook import layout as L
from workbook.invoice import parties, texts
from workbook.invoice.document import Quote
from workbook.invoice.lines import UNIT_CODES, InvoiceLine, descriptions
from workbook.reading import Archive, TablePart, read_structure
from workbook.reading.extract import extract
from workbook.reading.structure import col_index, small_xml
from workbook.usage import Table, read_tables, read_template
from workbook.usage import _read_copy as read_copy  # the cell reader of workbook.reading's copy

_REF = re.compile(r"^'?([^'!]+)'?!\$?([A-Z]+)\$?(\d+)$")
LIST_FAMILY = {"msign": "msign", "esign": "esign", "nensi": "nensi"}


def named_cells(path: Path, names: tuple[str, ...]) -> dict[str, object]:
    """The values of single-cell defined names (absent names are left out), read through
    ``workbook.reading`` as every reader is: each named cell is copied out as a one-cell
    Table (its header the cell above), so only those cells reach the cell reader."""
    with Archive.open(Path(path)) as archive:
        structure = read_structure(archive)
        book = small_xml(archive, "xl/workbook.xml")
        parts: dict[str, TablePart] = {}
        for el in book.iter():
            name = el.get("name")
            if not el.tag.endswith("definedName") or name not in names:
                continue
            m = _REF.match((el.text or "").strip())
            if m is None or m.group(1) not in structure.sheets or int(m.group(3)) < 2:
                continue
            sheet, col, row = m.group(1), col_index(m.group(2)), int(m.group(3))
            parts[name] = TablePart(name, sheet, structure.sheets[sheet], "", row - 1, col,
                                    row, col, 1, 0, ("Value",))
        if not parts:
            return {}
        fake = replace(structure, tables=parts)
        copy = extract(archive, fake, tuple(parts))
    out: dict[str, object] = {}
    for name, t in read_copy(copy, tuple(parts)).items():
        if t.errors:
            raise ValueError(f"{t.sheet}: the cell {name} {next(iter(t.errors.values()))}")
        value = t.rows[0][0] if t.rows and t.rows[0] else ""
        out[name] = None if value == "" else value
    return out


def _day(value: object, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"Quote: {what} must be a date cell, got {value!r}")


def read_quote(path: Path, lang: str | None = None, number: str | None = None) -> Quote:
    """The Quote sheet of the workbook at ``path`` as a Quote (ValueError on bad input)."""
    tables = read_template(path)
    extra = read_tables(path, (L.QUOTE_LINES.name,))
    try:
        extra.update(read_tables(path, (parties.CUSTOMERS_TABLE, parties.SELLER_TABLE)))
    except ValueError:
        pass  # an older template: a quote needs no Seller block
    tables.update(extra)
    cells = named_cells(path, ("QuoteCustomer", "QuoteList", "QuoteDate", "QuoteVAT",
                               "QuoteNumber", "QuoteValidUntil", "QuoteAddress"))
    name = cells.get("QuoteCustomer")
    if not name:
        raise ValueError("Quote: the Customer cell is empty")
    day = _day(cells.get("QuoteDate"), "Quote date")
    family = LIST_FAMILY.get(str(cells.get("QuoteList") or "").strip().lower())
    if family is None:
        raise ValueError(f"Quote: price list {cells.get('QuoteList')!r}: choose one of "
                         f"{', '.join(L.PRICE_LISTS)}")
    vat = bill.normalize_rate(cells.get("QuoteVAT") if cells.get("QuoteVAT") is not None
                              else "")
    seller = customer = None
    if parties.SELLER_TABLE in tables:
        seller = parties.read_seller(tables[parties.SELLER_TABLE])
        customer = parties.read_customers(tables[parties.CUSTOMERS_TABLE]).get(
            parties.key(name))
    language = texts.check_language(lang or (customer.language if customer else None)
                                     or _no_language(name))
    lines = _lines(tables, tables[L.QUOTE_LINES.name], family, day, vat, language)
    valid = cells.get("QuoteValidUntil")
    if valid is not None:
        valid_until = _day(valid, "Valid until")
    elif seller is not None and seller.quote_days is not None:
        valid_until = day + dt.timedelta(days=seller.quote_days)
    else:
        valid_until = None
    num = number or (str(cells["QuoteNumber"]).strip() if cells.get("QuoteNumber") else "")
    if customer is None:  # a prospect: the Quote sheet's address cell, as typed
        address = str(cells.get("QuoteAddress") or "").strip()
        customer = parties.Customer(str(name), street=address)
    return Quote(num, day, valid_until, language, seller, customer, lines)


def _no_language(name: object) -> str:
    raise ValueError(f"Quote: customer {name!r} is not in the Customers table, so its "
                     "language is unknown: add it there or give --lang sl|de|en")


def _lines(tables: dict[str, Table], t: Table, family: str, day: dt.date, vat: str,
           lang: str) -> list[InvoiceLine]:
    tariff = tables[L.TARIFF_FOR[family]]
    known = {str(c).strip().lower() for c in tariff.column("Code") if c}
    rng = tariff.as_range(("Code", "Unit price", "Valid from"))
    names = descriptions(tables)
    out, errors = [], []
    notes = t.column("Note")
    for i, (code, qty) in enumerate(zip(t.column("Code"), t.column("Quantity"), strict=True)):
        if code is None and qty is None:
            continue
        row = t.sheet_row(i)
        c = str(code or "").strip().lower()
        if c not in known:
            errors.append(f"{t.sheet}!{row}: code {code!r} is not in the {family} price list "
                          f"({', '.join(sorted(known))})")
            continue
        price = F.TARIFF_PRICE(c, day, rng)[0][0]
        if xv.is_error(price):
            errors.append(f"{t.sheet}!{row}: {F.TARIFF_PRICE_CHECK(c, day, rng)[0][0]}")
            continue
        if isinstance(qty, bool) or not isinstance(qty, (int, float)) or qty < 0:
            errors.append(f"{t.sheet}!{row}: quantity {qty!r} must be a number >= 0")
            continue
        q = money.read_decimal(float(qty))
        p = money.decimal_to_scaled(money.read_decimal(float(price)))
        line = bill.Line.priced("", c, q, p, vat)
        out.append(InvoiceLine(c, names.get(c, {}).get(lang, c), str(notes[i] or ""), q,
                               UNIT_CODES.get(c, "C62"), p, 1, 0, "", line.amount_cents, vat,
                               (day, day), "", f"{t.sheet}!{row}"))
    if errors:
        raise ValueError("Quote lines with errors (fix them on the Quote sheet):\n  "
                         + "\n  ".join(errors))
    if not out:
        raise ValueError("Quote: no lines")
    return out

