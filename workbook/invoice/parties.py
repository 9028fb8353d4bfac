"""Who bills whom: the Seller block and the Customers Table of the workbook.

A customer whose invoice would lack a field EN 16931 (or our payment data) requires is
reported with the missing fields and gets no invoice; it is never written as an invalid file.
Required, with the EN 16931 rule that asks for it:

* Seller: name (BR-6), address line, city, post code (postal address, BR-8), country (BR-9),
  VAT ID (BR-S-02, standard-rated lines; BR-CO-26), IBAN (credit transfer, BR-61), payment
  terms in days (due date, BR-CO-25), the invoice number pattern.
* Customer: name (BR-7), address line, city, post code (BR-10), country (BR-11), language.
  VAT ID, e-mail and buyer reference (BT-10) are optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from workbook import layout as L
from workbook.invoice import texts
from workbook.usage import Table

CUSTOMERS_TABLE = L.PARTIES.name
SELLER_TABLE = L.SELLER.name
CUSTOMER_COLUMNS = ("Customer", "Street", "Post code", "City", "Country", "VAT ID", "E-mail",
                    "Language", "Buyer reference")
SELLER_FIELDS = ("Name", "Street", "Post code", "City", "Country", "VAT ID", "E-mail", "IBAN",
                 "BIC", "Payment terms (days)", "Invoice number pattern",
                 "Quote validity (days)")  # the Seller sheet's fields, in its order
_COUNTRY = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Customer:
    name: str
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    vat_id: str = ""
    email: str = ""
    language: str = ""
    buyer_reference: str = ""

    def missing(self) -> list[str]:
        """The fields an invoice to this customer lacks (empty: it can be invoiced)."""
        out = [label for label, value in (("Street", self.street), ("Post code", self.postcode),
                                          ("City", self.city), ("Country", self.country),
                                          ("Language", self.language)) if not value]
        if self.country and not _COUNTRY.match(self.country):
            out.append(f"Country ({self.country!r} is no ISO 3166 code such as SI, DE)")
        if self.language and self.language not in texts.LANGUAGES:
            out.append(f"Language ({self.language!r}: use sl, de or en)")
        return out


@dataclass(frozen=True)
class Seller:
    name: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    vat_id: str = ""
    email: str = ""
    iban: str = ""
    bic: str = ""
    payment_days: int | None = None
    number_pattern: str = ""
    quote_days: int | None = None

    def missing(self) -> list[str]:
        labels = dict(zip((f.name for f in fields(self)), SELLER_FIELDS, strict=True))
        required = ("name", "street", "postcode", "city", "country", "vat_id", "iban",
                    "payment_days", "number_pattern")
        out = [labels[k] for k in required if getattr(self, k) in ("", None)]
        if self.country and not _COUNTRY.match(self.country):
            out.append(f"Country ({self.country!r} is no ISO 3166 code such as SI, DE)")
        return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _days(value: object, what: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or value < 0:
        raise ValueError(f"Seller: {what} must be a whole number of days, got {value!r}")
    return int(value)


def key(name: object) -> str:
    """Customers match as the Bill sheet matches them: case-insensitively, trimmed."""
    return _text(name).casefold()


def read_customers(table: Table) -> dict[str, Customer]:
    """The Customers Table by customer key; ValueError for a customer listed twice."""
    out: dict[str, Customer] = {}
    for i, row in enumerate(table.rows):
        cells = {h: _text(row[table.index(h)]) for h in CUSTOMER_COLUMNS}
        if not cells["Customer"]:
            continue
        k = key(cells["Customer"])
        if k in out:
            raise ValueError(f"{table.sheet} row {table.sheet_row(i)}: customer "
                             f"{cells['Customer']!r} is listed twice in {table.name}")
        out[k] = Customer(cells["Customer"], cells["Street"], cells["Post code"],
                          cells["City"], cells["Country"].upper(), cells["VAT ID"],
                          cells["E-mail"], cells["Language"].lower(),
                          cells["Buyer reference"])
    return out


def read_seller(table: Table) -> Seller:
    """The Seller Table (columns Field, Value)."""
    values = {_text(f): v for f, v in zip(table.column("Field"), table.column("Value"),
                                         strict=True)}
    unknown = [f for f in values if f and f not in SELLER_FIELDS]
    if unknown:
        raise ValueError(f"{table.sheet}: Seller field(s) {', '.join(map(repr, unknown))} "
                         f"unknown; the fields are {', '.join(SELLER_FIELDS)}")
    v = {f: values.get(f) for f in SELLER_FIELDS}
    return Seller(_text(v["Name"]), _text(v["Street"]), _text(v["Post code"]),
                  _text(v["City"]), _text(v["Country"]).upper(), _text(v["VAT ID"]),
                  _text(v["E-mail"]), _text(v["IBAN"]).replace(" ", ""), _text(v["BIC"]),
                  _days(v["Payment terms (days)"], "Payment terms (days)"),
                  _text(v["Invoice number pattern"]),
                  _days(v["Quote validity (days)"], "Quote validity (days)"))
