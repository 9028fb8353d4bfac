"""One invoice (or quote) as the CII and PDF writers see it: parties, lines, totals.

Totals come from ``pricing.bill.totals`` over the lines' amounts -- the same function
``tarifa bill`` uses -- so net, VAT per rate (BR-CO-17) and gross agree to the cent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pricing import bill
from workbook.invoice.lines import InvoiceLine
from workbook.invoice.parties import Customer, Seller


@dataclass
class Invoice:
    number: str  # BT-1
    issue_date: dt.date  # BT-2
    due_date: dt.date  # BT-9
    period: tuple[dt.date, dt.date]  # BT-73, BT-74
    lang: str
    seller: Seller
    buyer: Customer
    lines: list[InvoiceLine]
    currency: str = "EUR"
    type_code: str = "380"  # BT-3: commercial invoice
    notes: list[str] = field(default_factory=list)  # BT-22

    @property
    def totals(self) -> bill.Totals:
        return bill.totals(self.lines)


@dataclass
class Quote:
    number: str
    issue_date: dt.date
    valid_until: dt.date | None
    lang: str
    seller: Seller | None
    buyer: Customer
    lines: list[InvoiceLine]
    currency: str = "EUR"

    @property
    def totals(self) -> bill.Totals:
        return bill.totals(self.lines)


def due_date(issue: dt.date, seller: Seller) -> dt.date:
    return issue + dt.timedelta(days=seller.payment_days or 0)
