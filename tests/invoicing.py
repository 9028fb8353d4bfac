"""Shared by the invoice tests: the sample month's bill run and fictional parties."""

from __future__ import annotations

import datetime as dt

from workbook.billrun import price_month
from workbook.invoice import cii
from workbook.invoice.document import Invoice, due_date
from workbook.invoice.lines import invoice_lines
from workbook.invoice.parties import Customer, Seller
from workbook.usage import read_template

MAY = dt.date(2025, 5, 1)
ISSUE = dt.date(2025, 6, 2)
SELLER = Seller("Tarifa Demo d.o.o. (fictional)", "Dunajska cesta 1", "1000", "Ljubljana", "SI",
                "SI12345678", "billing@example.com", "SI56191000000123438", "", 30,
                "{year}-{seq:04d}", 30)


def customer(name: str, lang: str = "sl", country: str = "SI", reference: str = "") -> Customer:
    return Customer(name, "Trg 1", "1000", "Ljubljana", country, "", "ap@example.com", lang,
                    reference)


def sample(path):
    """(tables, run) of the template's sample month."""
    tables = read_template(path)
    return tables, price_month(tables, MAY)


def invoice(tables, run, name: str, lang: str, number: str = "2025-0001",
            reference: str = "") -> Invoice:
    bill = run.customers[name.casefold()]
    return Invoice(number, ISSUE, due_date(ISSUE, SELLER), (MAY, dt.date(2025, 5, 31)), lang,
                   SELLER, customer(name, lang, reference=reference),
                   invoice_lines(bill, tables, MAY, lang))


def xml_of(inv: Invoice) -> bytes:
    return cii.to_bytes(inv)
