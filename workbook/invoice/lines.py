"""Invoice lines that hold together: EN 16931's line rule for every line of a bill.

    line net amount (BT-131) = quantity (BT-129) x net price (BT-146) / base quantity (BT-149)
                               - line allowances (BG-27)

The amounts are ``tarifa bill``'s (``workbook.billrun``), never recomputed differently: this
module only says *how* each amount comes about, so that a system that recomputes gets the
same amount. Per kind of line (decisions, also in docs/invoice.md):

* A plain line (quantity x listed price, rounded half-up once) stays as it is.
* A prorated line (eSign licences bought mid-period, ES-15; NENSI annual fees started during
  the year, NE-6) keeps its quantity (licences, users) and shows the **prorated unit price**,
  at most 4 decimals (per base quantity 1, or 10, 100, ... where one price per unit cannot
  hit the cent), chosen so that the product rounded half-up is the billed amount. The
  proration goes in the line note: "3 licences x 5.00 x 12 months x 230/365 days (ES-15)".
* An exemption (a product holder's exports of its own products, NE-11) is the listed charge
  with an explicit 100 % line allowance and its reason, not a 0.00 price.
* A maintenance line with nothing due this month (NE-10) has quantity 0 and says why.
* A discount (NE-12) is quantity -1 at a positive price (BR-27: no negative price).

Each line carries the item code (the price code, BT-155), a UN/ECE Rec. 20 unit code
(BT-130), its billing period (BT-134/135) and VAT category S with the bill's rate.
A line that fits none of these is an error for its customer, never written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

import numpy as np

from pricing import money
from workbook import layout as L
from workbook.billrun import BillLine, CustomerBill
from workbook.invoice import texts
from workbook.usage import Table

# UN/ECE Rec. 20 per price code; everything not listed is counted in units ("one", C62).
UNIT_CODES = {"storage_gb": "E34", "api": "MON"}
EXEMPT_REASON = {"sl": "Lastni izdelki imetnika (NE-11)", "de": "Eigene Produkte des "
                 "Inhabers (NE-11)", "en": "Product holder's own products (NE-11)"}
_BASES = (1, 10, 100, 1000, 10_000, 100_000)


class LineError(ValueError):
    """A bill line that cannot be written as a consistent EN 16931 line (with its source)."""


@dataclass(frozen=True)
class InvoiceLine:
    code: str  # BT-155 seller's item identifier: the price code
    name: str  # BT-153 item name: the Tariffs sheet's description in the language
    note: str  # BT-127 line note: usage, proration, exemption
    quantity: Decimal  # BT-129
    unit: str  # BT-130, UN/ECE Rec. 20
    price_e4: int  # BT-146 net price (ten-thousandths of a euro) per base quantity
    base_quantity: int  # BT-149
    allowance_cents: int  # BG-27 line allowance amount (BT-136); 0 = none
    allowance_reason: str  # BT-139
    amount_cents: int  # BT-131 line net amount (= tarifa bill's amount)
    vat_rate: str  # BT-152, percent text; category S (BT-151)
    period: tuple[dt.date, dt.date]  # BT-134, BT-135
    rule: str
    source: str  # "sheet!row" of the usage row

    @property
    def vat_category(self) -> str:
        return "S"

    @property
    def gross_cents(self) -> int:
        """quantity x price / base, rounded half-up once: the amount before allowances."""
        return _product_cents(self.quantity, self.price_e4, self.base_quantity)

    def check(self) -> None:
        """BT-131 = BT-129 x BT-146 / BT-149 - BT-136, and the price at most 4 decimals."""
        if self.price_e4 < 0:
            raise LineError(f"{self.source}: BR-27: the net price must not be negative")
        if self.gross_cents - self.allowance_cents != self.amount_cents:
            raise LineError(
                f"{self.source}: {self.quantity} x {money.price_to_decimal(self.price_e4)}"
                f" / {self.base_quantity} - {self.allowance_cents / 100:.2f} is not the "
                f"billed {self.amount_cents / 100:.2f}")


def _product_cents(quantity: Decimal, price_e4: int, base: int) -> int:
    """quantity x price / base in cents, half-up once (money's rounding policy)."""
    f = Fraction(quantity) * price_e4 / (money.CENT_PER_PRICE_UNIT * base)
    if abs(f.numerator) >= 2**62 or f.denominator >= 2**62:
        raise LineError(f"amount {quantity} x {price_e4} is too large to compute exactly")
    return int(money.round_div_half_up(np.int64(f.numerator), int(f.denominator)))


def consistent_price(quantity: Decimal, amount_cents: int,
                     exact_e4: Fraction | None = None) -> tuple[int, int]:
    """(price_e4, base quantity): a net price of at most 4 decimals per base quantity whose
    product with ``quantity``, rounded half-up, is ``amount_cents``. The exact prorated
    price (``exact_e4``, ten-thousandths) rounded is tried first, then amount / quantity."""
    if quantity <= 0:
        raise LineError(f"quantity {quantity}: no price gives {amount_cents / 100:.2f}")
    for base in _BASES:
        targets = [Fraction(amount_cents * money.CENT_PER_PRICE_UNIT * base) / Fraction(quantity)]
        if exact_e4 is not None:
            targets.insert(0, exact_e4 * base)
        for target in targets:
            p0 = round(target)
            for p in (p0, p0 - 1, p0 + 1, p0 - 2, p0 + 2):
                if p >= 0 and _product_cents(quantity, p, base) == amount_cents:
                    return p, base
    raise LineError(f"no net price of 4 decimals gives {quantity} x price = "
                    f"{amount_cents / 100:.2f}")


def descriptions(tables: dict[str, Table]) -> dict[str, dict[str, str]]:
    """Per price code, its description per language from the Tariffs sheet's Tables."""
    out: dict[str, dict[str, str]] = {}
    for name in L.TARIFF_FOR.values():
        t = tables[name]
        for code, *texts_ in zip(t.column("Code"), *(t.column(f"Description ({lang})")
                                                      for lang in texts.LANGUAGES),
                                 strict=True):
            if code:
                out[str(code).strip().lower()] = {
                    lang: str(x) for lang, x in zip(texts.LANGUAGES, texts_, strict=True) if x}
    return out


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _month_end(day: dt.date) -> dt.date:
    nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _row(tables: dict[str, Table], table: str, source: str) -> dict[str, object]:
    t = tables[table]
    i = int(source.rsplit("!", 1)[1]) - t.first_row
    return {h: (None if v == "" else v) for h, v in zip(t.headers, t.rows[i], strict=True)}


def _code(value: object) -> str:
    return str(value or "").strip().lower()


def _num(value: object) -> Decimal:
    return money.read_decimal(float(value)) if value is not None else Decimal(0)


@dataclass
class _Draft:
    code: str
    unit: str = "C62"
    period: tuple[dt.date, dt.date] | None = None
    notes: tuple[str, ...] = ()
    exact_e4: Fraction | None = None  # the prorated unit price, exactly
    exempt: bool = False  # NE-11: the charge is waived by a 100 % allowance
    not_due: bool = False  # NE-10: nothing due this month: quantity 0
    name: str = ""


def _draft(table: str, row: dict[str, object], line: BillLine, month: dt.date,
           lang: str) -> _Draft:
    """What the usage row says about its line: code, unit, period, notes, proration."""
    month_period = (month, _month_end(month))
    p = texts.price
    if table == L.MSIGN_USAGE.name:
        code = _code(row["Item"])
        return _Draft(code, UNIT_CODES.get(code, "C62"), month_period, (texts.note(
            "msign_usage", lang, used=texts.number(_num(row["Used"]), lang),
            included=texts.number(_num(row["Included"]), lang)),))
    if table == L.ESIGN_LICENCES.name:
        bought, start, end = (_day(row[h]) for h in ("Purchase date", "Period start",
                                                     "Period end"))
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        days, period = (end - bought).days + 1, (end - start).days + 1
        sub = texts.note("subscription", lang, sub=row["Subscription"])
        if months == 1 and days == period:
            return _Draft("licence", "C62", (bought, end), (sub,))
        exact = Fraction(line.unit_price_e4) * months * days / period
        note = texts.note("esign_prorated", lang, n=texts.number(Decimal(line.quantity), lang),
                          price=p(money.price_to_decimal(line.unit_price_e4), lang),
                          months=months, days=days, period=period)
        return _Draft("licence", "C62", (bought, end), (note, sub), exact)
    if table == L.ESIGN_LEDGER.name:
        day = _day(row["Date"])
        kind = _code(row["Kind"])
        code = kind if kind.startswith("signature_") else f"signature_{kind}"
        return _Draft(code, "C62", (day, day),
                      (texts.note("subscription", lang, sub=row["Subscription"]),))
    if table == L.NENSI_PRODUCTS.name:
        product = str(row["Product"] or "")
        return _Draft("maintenance", "C62", month_period,
                      (texts.note("product", lang, product=product),), not_due=True,
                      name=product)
    if table == L.NENSI_SERVICES.name:
        code = _code(row["Service"])
        start = _day(row["Start date"])
        if month.month == 1 and start < month:  # NE-6: the January renewal, in full
            return _Draft(code, "C62", (month, dt.date(month.year, 12, 31)),
                          (texts.note("renewal", lang, year=month.year),))
        months = 13 - start.month
        exact = Fraction(line.unit_price_e4) * months / 12
        note = texts.note("nensi_prorated", lang, n=texts.number(Decimal(line.quantity), lang),
                          price=p(money.price_to_decimal(line.unit_price_e4), lang),
                          months=months)
        return _Draft(code, "C62", (start, dt.date(start.year, 12, 31)),
                      (note,) if months != 12 else (), exact if months != 12 else None)
    if table == L.NENSI_CHARGES.name:
        code = _code(row["Code"])
        day = _day(row["Date"])
        own = row["Own products"] is True
        return _Draft(code, "C62", (day, day), exempt=own)  # the allowance gives the reason
    if table == L.NENSI_DISCOUNTS.name:
        service = _code(row["Service"])
        return _Draft(f"discount_{service}", "C62", month_period,
                      name=texts.label("discount", lang, service=service))
    raise LineError(f"a line from table {table}: no invoice line for it")


def invoice_line(line: BillLine, source: str, table: str, tables: dict[str, Table],
                 month: dt.date, lang: str, names: dict[str, dict[str, str]]) -> InvoiceLine:
    """One bill line as a consistent EN 16931 line (LineError where it cannot be)."""
    if Decimal(line.vat_rate) <= 0:
        raise LineError(f"{source}: VAT rate {line.vat_rate} %: only standard-rated lines "
                        "(category S) are written; a 0 % line needs its category (reverse "
                        "charge, exempt) - not supported")
    d = _draft(table, _row(tables, table, source), line, month, lang)
    name = names.get(d.code, {}).get(lang) or d.name or line.description
    if d.name and d.code.startswith("discount_"):
        name = d.name
    q = money.read_decimal(float(line.quantity))
    price = line.unit_price_e4
    if price < 0:  # a discount: quantity -1 at a positive price (BR-27)
        q, price = -q, -price
    out = InvoiceLine(d.code, name, "; ".join(d.notes), q, d.unit, price, 1, 0, "",
                      line.amount_cents, line.vat_rate, d.period, line.rule, source)
    if out.gross_cents == out.amount_cents:
        return out
    if d.exempt and line.amount_cents == 0:
        out = replace(out, allowance_cents=out.gross_cents,
                      allowance_reason=EXEMPT_REASON[lang])
    elif d.not_due and line.amount_cents == 0:
        out = replace(out, quantity=Decimal(0), note=texts.note("not_due", lang,
                                                                product=d.name))
    elif d.exact_e4 is not None:
        try:
            p, base = consistent_price(q, line.amount_cents, d.exact_e4)
        except LineError as e:
            raise LineError(f"{source}: {e}") from None
        out = replace(out, price_e4=p, base_quantity=base)
    out.check()
    return out


def invoice_lines(bill: CustomerBill, tables: dict[str, Table], month: dt.date,
                  lang: str) -> list[InvoiceLine]:
    """Every line of a customer's bill as a consistent invoice line, in the bill's order."""
    names = descriptions(tables)
    return [invoice_line(line, src, table, tables, month, lang, names)
            for line, src, table in zip(bill.lines, bill.sources, bill.tables, strict=True)]


class LineItems:
    """Item code (BT-155), UN/ECE Rec. 20 unit (BT-130) and billing period (BT-134/135) of
    bill lines, as the invoice lines carry them, for ``bills.xlsx``'s Lines sheet: one call
    per line of a big month, so the Tables' column positions are looked up once."""

    def __init__(self, tables: dict[str, Table], month: dt.date) -> None:
        self.t = tables
        self.month, self.end = month, _month_end(month)
        self.col: dict[str, dict[str, int]] = {
            name: {h: j for j, h in enumerate(t.headers)} for name, t in tables.items()}

    def _cell(self, table: str, i: int, header: str) -> object:
        value = self.t[table].rows[i][self.col[table][header]]
        return None if value == "" else value

    def of(self, table: str, source: str) -> tuple[str, str, dt.date, dt.date]:
        """(item code, unit code, period start, period end) of the line from ``source``."""
        i = int(source.rsplit("!", 1)[1]) - self.t[table].first_row
        cell = self._cell
        month, end = self.month, self.end
        if table == L.MSIGN_USAGE.name:
            code = _code(cell(table, i, "Item"))
            return code, UNIT_CODES.get(code, "C62"), month, end
        if table == L.ESIGN_LICENCES.name:
            return ("licence", "C62", _day(cell(table, i, "Purchase date")),
                    _day(cell(table, i, "Period end")))
        if table == L.ESIGN_LEDGER.name:
            kind = _code(cell(table, i, "Kind"))
            day = _day(cell(table, i, "Date"))
            return (kind if kind.startswith("signature_") else f"signature_{kind}", "C62",
                    day, day)
        if table == L.NENSI_PRODUCTS.name:
            return "maintenance", "C62", month, end
        if table == L.NENSI_SERVICES.name:
            start = _day(cell(table, i, "Start date"))
            if month.month == 1 and start < month:  # NE-6: the January renewal
                return _code(cell(table, i, "Service")), "C62", month, dt.date(month.year,
                                                                                 12, 31)
            return (_code(cell(table, i, "Service")), "C62", start,
                    dt.date(start.year, 12, 31))
        if table == L.NENSI_CHARGES.name:
            day = _day(cell(table, i, "Date"))
            return _code(cell(table, i, "Code")), "C62", day, day
        if table == L.NENSI_DISCOUNTS.name:
            return f"discount_{_code(cell(table, i, 'Service'))}", "C62", month, end
        raise LineError(f"a line from table {table}: no item for it")
