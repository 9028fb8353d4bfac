"""Price one month of a template's usage Tables through THE worksheet functions
(``udfs.functions``, called as plain Python with whole columns, as the template's spilled
formulas call them) and assemble per-customer bills.

What is billed in a month (decisions, also on the Start sheet and in docs/template.md):

* mSign rows whose Month is in the month (MS-9: one month's quantities beyond the package);
* eSign licences by purchase date (ES-15), signature purchases by the ledger row's date (ES-7);
* NENSI maintenance of every product row for the month (NE-10), annual fees by start date
  (NE-6), one-off charges by date (NE-7..NE-11), discounts on the month's charges (NE-12).

A bad row (an error in its result) is never dropped or counted as 0: it is a ``Problem``
(sheet, row, customer, reason), and its customer's bill is held back (``CustomerBill.held``).
A row whose billing date is not a date cell (empty, unreadable, or a date typed as text,
which the Bill sheet's SUMIFS cannot match) belongs to no known month: it is reported in every
run, as the Bill sheet gives its customer error totals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from pricing import bill, money
from udfs import excel_values as xv
from udfs import functions as F
from udfs.worksheet import evaluate
from workbook import layout as L
from workbook.usage import Table

PRICE_COLS = ("Code", "Unit price", "Valid from")
TIER_COLS = ("Service", "Min quantity", "Percent")


class BillLine(NamedTuple):
    """One bill line, as ``pricing.bill.Line`` (``bill.totals`` takes either) but light: a
    100k-row month makes 100k of them. ``vat_rate`` is already normalised."""

    rule: str
    description: str
    quantity: float
    unit_price_e4: int
    amount_cents: int
    vat_rate: str


@dataclass
class Problem:
    sheet: str
    row: int  # 1-based sheet row
    customer: str
    reason: str


@dataclass
class CustomerBill:
    customer: str
    lines: list[BillLine] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # "sheet!row" per line
    tables: list[str] = field(default_factory=list)  # the usage Table of each line
    problems: list[Problem] = field(default_factory=list)
    on_bill_sheet: bool = True

    @property
    def held(self) -> bool:
        return bool(self.problems)

    @property
    def totals(self) -> bill.Totals:
        return bill.totals(self.lines)


@dataclass
class BillRun:
    """Everything one run computed: per table the function results per row (as the template's
    result columns show them), per customer the bill, and the problems."""

    month: dt.date
    results: dict[str, Results] = field(default_factory=dict)
    customers: dict[str, CustomerBill] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0


def _col(values: list[object]) -> np.ndarray:
    """A column as a worksheet function gets it: n rows of one cell (an object array: the
    functions read it in one pass, without a Python list per cell)."""
    out = np.empty((len(values), 1), dtype=object)
    out[:, 0] = values
    return out


def _date_col(values: list[object]) -> np.ndarray:
    """A date column as the functions get it from the sheet: a number with a date or time
    format below 1 (0, 0.5) is what the cell holds, not the time of day calamine reads, so
    that it is refused as in Excel and LibreOffice (#NUM!: no Excel day)."""
    return _col([v.hour / 24 + v.minute / 1440 + v.second / 86400
                 if isinstance(v, dt.time) else v for v in values])


def _flat(grid: list[list[object]]) -> list[object]:
    return [r[0] for r in grid]


def _key(name: object) -> str:
    """Customers match as SUMIFS matches text: case-insensitively (and customer 1001 typed as
    a number is "1001", as SUMIFS matches it)."""
    return _num(name).casefold() if name not in (None, "") else ""


def _days(values: list[object]) -> np.ndarray:
    """Dates of a column as datetime64[D] (NaT where empty or unreadable)."""
    cells = xv.read_dates(_col(values), "date", required=False)
    out = cells.values.reshape(-1).copy()
    out[~cells.marks.ok.reshape(-1)] = np.datetime64("NaT")
    return out


def _billing_days(values: list[object]) -> np.ndarray:
    """The days that decide the billing month: date cells only. A date typed as text is read
    by the functions (ISO YYYY-MM-DD) but the Bill sheet's SUMIFS never matches text, so
    for billing it is no date (NaT), as an empty or unreadable cell."""
    days = _days(values)
    days[[isinstance(v, str) for v in values]] = np.datetime64("NaT")
    return days


def _billed_in(days: np.ndarray, blank: np.ndarray) -> list[object]:
    """The template's "Billed in" column from the billing ``days`` (``_billing_days``): the
    1st of the month a row is billed in, "not a date" where its billing date is no date cell,
    "" for a ``blank`` row (empty check)."""
    months = days.astype("datetime64[M]")
    out = np.full(len(days), L.UNDATED, dtype=object)
    for m in np.unique(months[~np.isnat(months)]).tolist():  # a few distinct months
        out[months == np.datetime64(m, "M")] = dt.datetime(m.year, m.month, 1)
    out[blank] = ""
    return out.tolist()


class Later:
    """A result column computed when first read (``Results``)."""

    def __init__(self, make: Callable[[], list[object]]) -> None:
        self.make = make


class Results(dict):
    """A table's result columns by name, as the template's result columns show them. A
    column may be computed when first read (``Later``): a big month's bills need none."""

    def __getitem__(self, key: str) -> list[object]:
        value = super().__getitem__(key)
        if isinstance(value, Later):
            value = value.make()
            super().__setitem__(key, value)
        return value

    def get(self, key: str, default: object = None) -> object:
        return self[key] if key in self else default

    def values(self) -> list[list[object]]:  # type: ignore[override]
        return [self[k] for k in self]

    def items(self) -> list[tuple[str, list[object]]]:  # type: ignore[override]
        return [(k, self[k]) for k in self]


def _in_month(days: np.ndarray, month: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """(in the month, unreadable) masks."""
    start = np.datetime64(month, "D")
    end = (np.datetime64(month, "M") + 1).astype("datetime64[D]") - 1
    unknown = np.isnat(days)
    return (~unknown) & (days >= start) & (days <= end), unknown


def _scaled(value: object, places: int) -> int:
    """An Excel number as an exact integer x 10**places, read by its shortest decimal text
    (the fast path is exact where it reads back, as in ``money.to_scaled``)."""
    x = float(value)
    scale = 10**places
    n = round(x * scale)
    if abs(x) < 2.0**51 / scale and n / scale == x:
        return n
    return int(money.decimal_to_scaled(repr(x), places))


def _cents(value: object) -> int:
    """A money result (EUR with 2 decimals) as exact cents."""
    return _scaled(value, 2)


def _price_e4(value: object) -> int:
    return _scaled(value, 4)


def _line_price(listed: object, amount_cents: int) -> int | None:
    """The unit price a bill line shows: the price list's (``listed``); where none is in force
    (an error value) a line that charges nothing shows 0, any other line has no price (None:
    the caller reports it, never guesses)."""
    if not xv.is_error(listed) and listed not in (None, ""):
        return _price_e4(listed)
    return 0 if amount_cents == 0 else None


def _qty(value: object, empty: float | None = None) -> float:
    """A quantity as a bill line shows it; ``empty``: what an empty optional cell means. A
    -0.0 (a cell holding "-0", or a formula's negative zero) is 0: Excel shows and compares
    it as 0, and so do the bill lines (decision, issue 12)."""
    return float(empty if value is None and empty is not None else value) + 0.0


def _blank_rows(t: Table, inputs: tuple[str, ...]) -> np.ndarray:
    """Rows whose every input is empty: a worksheet function shows "" there; not billed.
    A cell the reader noted (an error value, a formula without a saved value) is not empty.
    Column by column, looking further only at rows still empty."""
    blank = np.ones(len(t.rows), dtype=bool)
    rows = t.rows
    for h in inputs:
        j = t.index(h)
        still = np.flatnonzero(blank).tolist()
        if not still:
            break
        blank[still] = [rows[i][j] in ("", None) for i in still]
    if t.errors:
        cols = {t.index(h) for h in inputs}
        for (i, j) in t.errors:
            if j in cols:
                blank[i] = False
    return blank


class Pricer:
    """Prices the tables of one workbook for one month."""

    def __init__(self, tables: dict[str, Table], month: dt.date) -> None:
        self.t = tables
        self.run = BillRun(month)
        self._days: dict[tuple[str, str, bool], np.ndarray] = {}
        self._keys: dict[tuple[type, object], str] = {}
        self.last: tuple[np.ndarray, object] | None = None  # bad rows, outcome of call()
        for name in (*L.TARIFF_FOR.values(), L.VAT.name, L.DISCOUNTS_TABLE.name):
            _refuse_error_cells(tables[name])
        self.tariff = {fam: tables[name].as_range(PRICE_COLS)
                       for fam, name in L.TARIFF_FOR.items()}
        self.tiers = tables[L.DISCOUNTS_TABLE.name].as_range(TIER_COLS)
        self.vat = self._vat_rates(tables[L.VAT.name])

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _vat_rates(t: Table) -> dict[str, str]:
        rates = {}
        for i, (pl, rate) in enumerate(zip(t.column("Price list"), t.column("VAT rate %"),
                                           strict=True)):
            if pl is None:
                continue
            try:
                if isinstance(rate, bool) or not isinstance(rate, (int, float)):
                    # the Bill sheet multiplies by the cell: it must be a number
                    raise ValueError(f"{rate!r} is not a number (write 22 for 22 %)")
                rates[str(pl).strip().lower()] = bill.normalize_rate(rate)
            except (ValueError, TypeError) as e:
                raise ValueError(f"{t.sheet} row {t.sheet_row(i)}: VAT rate of {pl}: {e}") \
                    from None
        for pl in L.PRICE_LISTS:
            if pl.lower() not in rates:
                raise ValueError(f"table {t.name}: no VAT rate for price list {pl}")
        return rates

    def customer(self, name: object) -> CustomerBill | None:
        key = _key(name)
        if not key:
            return None
        if key not in self.run.customers:
            self.run.customers[key] = CustomerBill(_num(name), on_bill_sheet=False)
        return self.run.customers[key]

    def problem(self, t: Table, i: int, customer: object, reason: str) -> None:
        p = Problem(t.sheet, t.sheet_row(i), "" if customer in (None, "") else str(customer),
                    reason)
        self.run.problems.append(p)
        c = self.customer(customer)
        if c is not None:
            c.problems.append(p)

    def call(self, t: Table, fn: Callable, args: list[object], inputs: tuple[str, ...],
             name: str, width: int = 1, lazy: bool = False
             ) -> tuple[list[list[object]] | None, list[str] | None]:
        """``fn(*args)`` and ``fn_CHECK(*args)`` over whole columns (one evaluation); records
        the result. ``self.last``: the rows whose result is an error (bool array) and the
        ``udfs.worksheet.Evaluation`` (the engine's exact integers). ``lazy``: the result
        columns are built when first read (returns None, None; reasons via ``reason``)."""
        ev = evaluate(fn, *args)
        out = ev.outcome
        bad = ~np.asarray(out.marks.ok).reshape(-1).copy()
        cells = {}
        for i in _error_rows(t, inputs):  # an error cell in an input beats what fn saw
            cell = t.cell_error(i, inputs)
            if cell:
                cells[i] = cell
                bad[i] = True

        def values() -> list[list[object]]:
            grid = ev.values
            for i in cells:
                grid[i] = [xv.excel_error("#VALUE!")] * width
            return grid

        def reasons() -> list[str]:
            flat = _flat(ev.reasons)
            for i, cell in cells.items():
                flat[i] = cell
            return flat

        res = self.run.results.setdefault(t.name, Results())
        blank = (np.zeros(len(bad), dtype=bool) if out.blank is None
                 else np.asarray(out.blank).reshape(-1).copy())
        blank[list(cells)] = False
        self.last = (bad, ev)
        self._cells = cells
        if t.name in L.BILLING_DATE:
            days = self.days(t, L.BILLING_DATE[t.name], billing=True)
            res["Billed in"] = Later(lambda: _billed_in(days, blank))
        if lazy:
            res[name] = Later(lambda: values() if width > 1 else _flat(values()))
            res[name + ".check"] = Later(reasons)
            return None, None
        grid, why = values(), reasons()
        res[name] = grid if width > 1 else _flat(grid)
        res[name + ".check"] = why
        return grid, why

    def reason(self, i: int) -> str:
        """The reason of row ``i`` of the last ``call``."""
        return self._cells.get(i) or self.last[1].reason(i)

    def days(self, t: Table, header: str, billing: bool = False) -> np.ndarray:
        """``_days`` (or ``_billing_days``) of a column, computed once per run."""
        key = (t.name, header, billing)
        if key not in self._days:
            col = t.column(header)
            self._days[key] = _billing_days(col) if billing else _days(col)
        return self._days[key]

    def keys(self, names: list[object]) -> list[str]:
        """``_key`` of every name (computed once per distinct name)."""
        memo = self._keys
        out = []
        for n in names:
            k = (n.__class__, n)
            if k not in memo:
                memo[k] = _key(n)
            out.append(memo[k])
        return out

    def emit(self, t: Table, rows: list[int], who: list[object], rules: list[str],
             descriptions: list[str], quantities: list[float], prices_e4: list[int],
             cents: list[int], vat_rate: str) -> None:
        """Bill lines of many rows at once (as ``line`` one by one)."""
        keys = self.keys([who[i] for i in rows])
        sheet, first, name = t.sheet, t.first_row, t.name
        appenders: dict[str, tuple] = {}
        make = BillLine._make
        for i, k, line in zip(rows, keys, zip(rules, descriptions, quantities, prices_e4, cents,
                                              [vat_rate] * len(rows), strict=True),
                              strict=True):
            app = appenders.get(k)
            if app is None:
                cb = self.customer(who[i])
                app = appenders[k] = (cb.lines.append, cb.sources.append, cb.tables.append)
            app[0](make(line))
            app[1](f"{sheet}!{first + i}")
            app[2](name)

    def line(self, t: Table, i: int, customer: object, line: BillLine) -> None:
        """Add ``line`` to the customer's bill."""
        c = self.customer(customer)
        c.lines.append(line)
        c.sources.append(f"{t.sheet}!{t.sheet_row(i)}")
        c.tables.append(t.name)

    def nobody(self, t: Table, i: int, customer: object) -> bool:
        """A priced row without a customer cannot be billed: a problem, never dropped. A name
        with spaces around it is refused too: the Bill sheet's SUMIFS would not match it to
        the customer without them (a second customer that looks identical), so the row is a
        problem of the customer without the spaces, whose bill would otherwise be short."""
        if isinstance(customer, str) and customer != customer.strip() and customer.strip():
            self.problem(t, i, customer.strip(),
                         f"Customer '{customer}' has spaces before or after the name: the Bill "
                         f"sheet does not count it as '{customer.strip()}'; remove the spaces")
            return True
        if _key(customer):
            return False
        self.problem(t, i, customer, "Customer is empty: whom should this row be billed to?")
        return True

    def bad(self, t: Table, i: int, customer: object, values: list[object],
            reason: str) -> bool:
        if any(xv.is_error(v) for v in values):
            self.problem(t, i, customer, reason or "error")
            return True
        return False

    # --- the tables ---------------------------------------------------------------------------

    def price_all(self) -> BillRun:
        listed = self.t[L.CUSTOMERS.name]
        seen: set[str] = set()
        for i, row in enumerate(listed.column("Customer")):
            c = self.customer(row)
            if c is None:
                continue
            c.on_bill_sheet = True
            if _key(row) in seen:  # the Bill sheet would bill it twice: its rows are errors
                self.problem(listed, i, row, "Customer is listed twice on the Bill sheet: "
                                             "its bill would be there twice")
            seen.add(_key(row))
        self.msign()
        self.esign_licences()
        self.esign_ledger()
        self.nensi_products()
        self.nensi_services()
        self.nensi_charges()
        self.nensi_discounts()
        self.run.rows = sum(len(self.t[x.name].rows) for x in L.USAGE_TABLES
                            if x is not L.CUSTOMERS)  # usage rows, not the Bill's list
        return self.run

    def _month_rows(self, t: Table, date_col: str) -> tuple[np.ndarray, np.ndarray]:
        return _in_month(self.days(t, date_col, billing=True), self.run.month)

    def undated(self, t: Table, i: int, customer: object, date_col: str) -> None:
        """A row whose billing date is not a date cell: reported, its customer held back."""
        value = t.rows[i][t.index(date_col)]  # one cell (t.column would copy the column)
        cell = t.cell_error(i, (date_col,))
        if cell:
            what = f"holds an error ({cell})"
        elif value in (None, ""):
            what = "is empty"
        elif isinstance(value, str):
            what = f"holds text '{value}', not a date cell"
        else:
            what = "is not a date"
        self.problem(t, i, customer, f"{date_col} {what} - which month is this row? Enter a "
                                     "date (the Bill sheet bills only date cells)")

    def add(self, t: Table, i: int, customer: object, rule: str, description: str,
            quantity: float, listed: object, amount: object, vat_rate: str) -> None:
        """A bill line from a row's result ``amount`` and its listed unit price."""
        cents = _cents(amount)
        price = _line_price(listed, cents)
        if price is None:
            self.problem(t, i, customer, f"{description}: no unit price in force to show on "
                                         "the bill line")
            return
        self.line(t, i, customer, BillLine(rule, description, quantity, price, cents,
                                               vat_rate))

    def msign(self) -> None:
        t = self.t[L.MSIGN_USAGE.name]
        inputs = ("Item", "Used", "Included", "Package", "Unit price", "Month")
        # "prices in force on the usage date": the Month picks the tariff rows (its 1st day)
        args = [_col(t.column(h)) for h in inputs[:-1]] + [self.tariff["msign"],
                                                          _date_col(t.column("Month"))]
        self.call(t, F.MSIGN_OVERAGE, args, inputs, "Charge", lazy=True)
        bad, ev = self.last
        cents = np.asarray(ev.outcome.value.values).reshape(-1)
        detail = evaluate(F.MSIGN_BILL, *args)  # billable units and unit price per row
        bill_ok = np.asarray(detail.outcome.marks.ok).reshape(-1)
        units, price = (np.asarray(detail.outcome.value.columns[k][0]).reshape(-1)
                        for k in (3, 4))
        blank = _blank_rows(t, inputs)
        month, unknown = self._month_rows(t, "Month")
        who = t.column("Customer")
        keys = np.asarray(self.keys(who), dtype=object)
        named = np.asarray([isinstance(w, str) and w != w.strip() for w in who], dtype=bool) \
            if len(who) else np.zeros(0, dtype=bool)
        wanted = (month | unknown) & ~blank
        odd = wanted & ((keys == "") | named | unknown | bad | ~bill_ok)
        for i in np.flatnonzero(odd).tolist():  # the few rows that are problems, in row order
            if self.nobody(t, i, who[i]):
                continue
            if unknown[i]:
                self.undated(t, i, who[i], "Month")
            elif bad[i]:
                self.problem(t, i, who[i], self.reason(i) or "error")
            else:  # never billed without its unit price
                self.problem(t, i, who[i], detail.reason(i) or "error")
        rows = np.flatnonzero(wanted & ~odd).tolist()
        items, used, incl = t.column("Item"), t.column("Used"), t.column("Included")
        codes = {}
        for i in rows:
            if items[i] not in codes:
                codes[items[i]] = str(items[i]).strip().lower()
        code = [codes[items[i]] for i in rows]
        self.emit(t, rows, who, [F.msign.RULES[c] for c in code],
                  [f"mSign {c}: {_num(used[i])} used, {_num(_qty(incl[i], 0.0))} included"
                   for c, i in zip(code, rows, strict=True)],
                  (units[rows].astype(np.float64) + 0.0).tolist(), price[rows].tolist(),
                  cents[rows].tolist(), self.vat["msign"])

    def esign_licences(self) -> None:
        t = self.t[L.ESIGN_LICENCES.name]
        inputs = ("Licences", "Main plan users", "Plan", "Purchase date", "Period start",
                  "Period end", "Monthly price")
        # ES-1 (revised): the plan by the subscription's start (empty: the purchase date)
        started = t.optional_column("Subscription started")
        args = [_col(t.column(h)) for h in inputs] + [self.tariff["esign"],
                                                      _date_col(started)]
        inputs += t.present("Subscription started")
        charge, why = self.call(t, F.ESIGN_LICENCES, args, inputs, "Charge")
        blank = _blank_rows(t, inputs)
        subs = t.column("Subscription")
        month, unknown = self._month_rows(t, "Purchase date")
        who, lic, mp = t.column("Customer"), t.column("Licences"), t.column("Monthly price")
        days = _days(t.column("Purchase date"))
        ends = _days(t.column("Period end"))
        # the unit price shown: the one the charge used (a legacy subscription's is given)
        listed = F.TARIFF_PRICE(_col(["licence"] * len(t.rows)), _col(t.column("Purchase date")),
                                self.tariff["esign"])
        for i in np.flatnonzero(month | unknown).tolist():
            if blank[i] or self.nobody(t, i, who[i]):
                continue
            if self.bad(t, i, who[i], charge[i], why[i]):
                continue
            if unknown[i]:
                self.undated(t, i, who[i], "Purchase date")
                continue
            price = mp[i] if mp[i] is not None else listed[i][0]
            desc = (f"eSign licences, {subs[i]}: {_num(lic[i])} from "
                    f"{days[i]} to {ends[i]}, prorated (ES-15)")
            self.add(t, i, who[i], "ES-15", desc, _qty(lic[i]), price, charge[i][0],
                     self.vat["esign"])

    def esign_ledger(self) -> None:
        t = self.t[L.ESIGN_LEDGER.name]
        inputs = ("Subscription", "Date", "Event", "Kind", "Quantity", "Licences",
                  "Unit price")
        # ES-13: a licence count that goes down only on the row's period start
        args = [_col(t.column(h)) for h in inputs] + [
            self.tariff["esign"], _date_col(t.optional_column("Period start"))]
        inputs += t.present("Period start")
        values, why = self.call(t, F.ESIGN_LEDGER, args, inputs, "Ledger", width=6)
        blank = _blank_rows(t, inputs)
        subs = t.column("Subscription")
        month, unknown = self._month_rows(t, "Date")
        who, ev, kind = t.column("Customer"), t.column("Event"), t.column("Kind")
        qty, up = t.column("Quantity"), t.column("Unit price")
        codes = [_signature_code(k) for k in kind]
        listed = F.TARIFF_PRICE(_col(codes), _col(t.column("Date")), self.tariff["esign"])
        for i in np.flatnonzero(month | unknown).tolist():
            if blank[i] or self.nobody(t, i, who[i]):
                continue
            if self.bad(t, i, who[i], values[i], why[i]):
                continue
            if unknown[i]:
                self.undated(t, i, who[i], "Date")
                continue
            if str(ev[i]).strip().lower() != "buy":
                continue
            price = up[i] if up[i] is not None else listed[i][0]
            desc = f"eSign {str(kind[i]).strip().lower()} signatures bought, " \
                   f"{subs[i]}"
            self.add(t, i, who[i], "ES-7", desc, _qty(qty[i]), price, values[i][5],
                     self.vat["esign"])

    def nensi_products(self) -> None:
        t = self.t[L.NENSI_PRODUCTS.name]
        month = [self.run.month] * len(t.rows)
        entry, act, prods = (_col(t.column(h)) for h in ("Entry date", "Activation date",
                                                         "Products"))
        off_raw, back_raw = (t.optional_column(h) for h in ("Deactivation date",
                                                            "Reactivation date"))
        cycle = (_date_col(off_raw), _date_col(back_raw))  # NE-10 life cycle
        tariff = self.tariff["nensi"]
        maint = F.NENSI_MAINT(entry, _col(month), prods, tariff, *cycle)
        maint_why = _flat(F.NENSI_MAINT_CHECK(entry, _col(month), prods, tariff, *cycle))
        rec = F.NENSI_MAINT_RECORD(entry, act, _col(month), prods, tariff, *cycle)
        rec_why = _flat(F.NENSI_MAINT_RECORD_CHECK(entry, act, _col(month), prods, tariff,
                                                   *cycle))
        status, who = t.column("Status"), t.column("Customer")
        inputs = ("Entry date", "Activation date", "Products", "Status",
                  *t.present("Deactivation date", "Reactivation date"))
        blank = _blank_rows(t, inputs)
        product = t.column("Product")
        values, reasons = [], []
        for i in range(len(t.rows)):
            # the template's formula: record only -> (no activation: 0, else from activation);
            # active or empty status -> from entry; any other status is an error (#VALUE!)
            s = status[i].lower() if isinstance(status[i], str) else status[i]
            if s == "record only":
                if act[i][0] is None:  # not activated: nothing due, its other cells checked
                    v, r = (0.0, "OK") if maint_why[i] == "OK" else (maint[i][0], maint_why[i])
                else:
                    v, r = rec[i][0], rec_why[i]
            elif s in ("active", None):
                v, r = maint[i][0], maint_why[i]
            else:
                v, r = xv.excel_error("#VALUE!"), f"Status must be one of {', '.join(L.STATUSES)}"
            cell = t.cell_error(i, inputs)
            if cell:
                v, r = xv.excel_error("#VALUE!"), cell
            values.append(v)
            reasons.append(r)
        self.run.results.setdefault(t.name, Results()).update(
            {"Maintenance": values, "Maintenance.check": reasons,
             # NE-12: the products a row stands for (empty = 1), as the template's column
             "Products counted": ["" if r == "" else (1.0 if p is None else p)
                                  for r, p in zip(reasons, t.column("Products"), strict=True)]})
        listed = F.TARIFF_PRICE("maintenance", self.run.month, tariff)[0][0]
        for i, v in enumerate(values):
            if blank[i] or v == "" or self.nobody(t, i, who[i]):
                continue
            if self.bad(t, i, who[i], [v], reasons[i]):
                continue
            desc = f"NENSI maintenance {self.run.month:%Y-%m}: {product[i]}"
            self.add(t, i, who[i], "NE-10", desc,
                     _qty(prods[i][0], empty=1.0), listed, v,
                     self.vat["nensi"])
        self.nensi_reactivations(t, reasons, blank, back_raw)

    def nensi_reactivations(self, t: Table, reasons: list[str], blank: list[bool],
                            back_raw: list[object]) -> None:
        """NE-10 life cycle, as the template's "Reactivation (Bill month)" column: a product
        reactivated in the Bill month costs the activation fee (22.2790 per product), priced
        on the reactivation day; 0 in any other month; empty for a blank row."""
        n = len(t.rows)
        who, product = t.column("Customer"), t.column("Product")
        prods = [1.0 if p is None else p for p in t.column("Products")]
        back = _billing_days(back_raw)
        start = np.datetime64(self.run.month, "M").astype("datetime64[D]")
        end = (np.datetime64(self.run.month, "M") + 1).astype("datetime64[D]")
        due = [not np.isnat(b) and start <= b < end for b in back]
        fee = _flat(F.NENSI_CHARGE("activation", _col(prods), False, _col(back_raw),
                                   self.tariff["nensi"])) if any(due) else [0.0] * n
        listed = F.TARIFF_PRICE(_col(["activation"] * n), _col(back_raw), self.tariff["nensi"])
        values = ["" if reasons[i] == "" else (fee[i] if due[i] else 0.0) for i in range(n)]
        self.run.results[t.name]["Reactivation (Bill month)"] = values
        for i in range(n):
            if blank[i] or not due[i] or reasons[i] == "" or self.nobody(t, i, who[i]):
                continue
            if self.bad(t, i, who[i], [values[i]], reasons[i]):
                continue
            self.add(t, i, who[i], "NE-10", f"NENSI reactivation {back[i]}: {product[i]}",
                     _qty(prods[i]), listed[i][0], values[i], self.vat["nensi"])

    def nensi_services(self) -> None:
        t = self.t[L.NENSI_SERVICES.name]
        inputs = ("Service", "Start date", "Units")
        args = [_col(t.column(h)) for h in inputs] + [self.tariff["nensi"]]
        fee, why = self.call(t, F.NENSI_ANNUAL, args, inputs, "Annual fee")
        blank = _blank_rows(t, inputs)
        starts = _days(t.column("Start date"))
        month, unknown = self._month_rows(t, "Start date")
        who, svc, units = t.column("Customer"), t.column("Service"), t.column("Units")
        listed = F.TARIFF_PRICE(_col(svc), _col(t.column("Start date")), self.tariff["nensi"])
        for i in np.flatnonzero(month | unknown).tolist():
            if blank[i] or self.nobody(t, i, who[i]) or self.bad(t, i, who[i], fee[i], why[i]):
                continue
            if unknown[i]:
                self.undated(t, i, who[i], "Start date")
                continue
            code = str(svc[i]).strip().lower()
            desc = f"NENSI annual {code} from {starts[i]} " \
                   "to year end (NE-6)"
            self.add(t, i, who[i], _rule_of(code), desc,
                     _qty(units[i], empty=1.0), listed[i][0], fee[i][0],
                     self.vat["nensi"])
        self.nensi_renewals(t, why, blank)
        # NE-12: the service as the functions read it and the units billed (empty = 1)
        self.run.results[t.name]["Service read as"] = [
            "" if r == "" else _trim(c) for c, r in zip(svc, why, strict=True)]
        self.run.results[t.name]["Units counted"] = [
            "" if r == "" else (1.0 if u is None else u) for u, r in zip(units, why, strict=True)]

    def nensi_renewals(self, t: Table, reasons: list[str], blank: list[bool]) -> None:
        """NE-6 decision, as the template's "Renewal (Bill month)" column: in January, a
        service started before that year and not ended before it is billed the full year's
        fee (NENSI_ANNUAL on 1 January); an End date that is no date is an error in every
        month."""
        first = self.run.month
        n = len(t.rows)
        who, svc, units = t.column("Customer"), t.column("Service"), t.column("Units")
        end_raw = t.column("End date")
        starts, ends = _billing_days(t.column("Start date")), _billing_days(end_raw)
        fees: list[list[object]] = []
        why: list[str] = [""] * n
        listed: list[list[object]] = []
        if first.month == 1:  # the fees and their prices are needed in January only
            args = [_col(svc), _col([first] * n), _col(units), self.tariff["nensi"]]
            fees, why = F.NENSI_ANNUAL(*args), _flat(F.NENSI_ANNUAL_CHECK(*args))
            listed = F.TARIFF_PRICE(_col(svc), first, self.tariff["nensi"])
        day = np.datetime64(first, "D")
        values: list[object] = []
        for i in range(n):
            end_error = t.cell_error(i, ("End date",))
            if reasons[i] == "":
                v = ""
            elif end_error or (end_raw[i] is not None and np.isnat(ends[i])):
                v = xv.excel_error("#N/A")  # text, 0, TRUE...: cannot be compared
                why[i] = end_error or (f"End date holds text '{end_raw[i]}', not a date cell"
                                       if isinstance(end_raw[i], str)
                                       else "End date is not a date (1900-01-01 .. "
                                            "9999-12-31)")
            elif (first.month == 1 and not np.isnat(starts[i]) and starts[i] < day
                  and (end_raw[i] is None or ends[i] >= day)):
                v = fees[i][0]
            else:
                v = 0.0
            values.append(v)
        self.run.results[t.name]["Renewal (Bill month)"] = values
        for i, v in enumerate(values):
            if blank[i] or v == "" or v == 0.0 or self.nobody(t, i, who[i]):
                continue
            if self.bad(t, i, who[i], [v], why[i]):
                continue
            code = str(svc[i]).strip().lower()
            self.add(t, i, who[i], _rule_of(code),
                     f"NENSI annual {code} {first:%Y}, renewal in full (NE-6)",
                     _qty(units[i], empty=1.0), listed[i][0], v,
                     self.vat["nensi"])

    def nensi_charges(self) -> None:
        t = self.t[L.NENSI_CHARGES.name]
        inputs = ("Code", "Quantity", "Own products", "Date")
        args = [_col(t.column(h)) for h in inputs] + [self.tariff["nensi"]]
        amount, why = self.call(t, F.NENSI_CHARGE, args, inputs, "Amount")
        blank = _blank_rows(t, inputs)
        month, unknown = self._month_rows(t, "Date")
        who, code, qty = t.column("Customer"), t.column("Code"), t.column("Quantity")
        self.run.results[t.name]["Code read as"] = [
            "" if r == "" else _trim(c) for c, r in zip(code, why, strict=True)]
        own = t.column("Own products")
        listed = F.TARIFF_PRICE(_col(code), _col(t.column("Date")), self.tariff["nensi"])
        for i in np.flatnonzero(month | unknown).tolist():
            if blank[i] or self.nobody(t, i, who[i]) or self.bad(t, i, who[i], amount[i], why[i]):
                continue
            if unknown[i]:
                self.undated(t, i, who[i], "Date")
                continue
            c = str(code[i]).strip().lower()
            desc = f"NENSI {c}" + (" (own products: no charge)" if own[i] is True else "")
            self.add(t, i, who[i], _rule_of(c), desc, _qty(qty[i]), listed[i][0], amount[i][0],
                     self.vat["nensi"])

    def nensi_discounts(self) -> None:
        """NE-12 scope, as the template: a discount row's month quantity and amount are what
        the customer is billed for that service in the month (SUMIFS over the one-off
        charges, maintenance, reactivations, annual fees and January renewals); the discount
        from the tier table, billed negative."""
        t = self.t[L.NENSI_DISCOUNTS.name]
        who, svc = t.column("Customer"), t.column("Service")
        read_as = ["" if s in (None, "") else _trim(s) for s in svc]  # the template's TRIM
        codes = [_key(s) for s in read_as]
        sources = self._discount_sources()
        qtys: list[object] = []
        sums: list[object] = []
        pairs = Counter((_key(w), c) for w, c in zip(who, codes, strict=True))
        for i in range(len(t.rows)):
            if codes[i] and pairs[_key(who[i]), codes[i]] > 1:  # the template's text
                qtys.append(L.DISCOUNT_TWICE)
                sums.append(0.0)
                continue
            q, s = 0.0, 0
            for src_who, src_code, src_qty, src_amount in sources:
                if src_who != _key(who[i]) or src_code != codes[i]:
                    continue
                if isinstance(src_qty, float):
                    q += src_qty
                if xv.is_error(src_amount):  # SUMIFS over an error cell: the error
                    s = src_amount
                elif not xv.is_error(s) and isinstance(src_amount, float):
                    s += _cents(src_amount)
            qtys.append(q)
            sums.append(s if xv.is_error(s) else s / 100)
        res = self.run.results.setdefault(t.name, Results())
        res["Month quantity"], res["Month amount"] = qtys, sums
        res["Service read as"] = read_as
        inputs = ("Service",)
        args = [_col(svc), _col(qtys), _col(sums), self.tiers]
        disc, why = self.call(t, F.NENSI_DISCOUNT, args, inputs, "Discount")
        blank = _blank_rows(t, ("Customer", "Service"))
        for i in range(len(t.rows)):
            if blank[i] or self.nobody(t, i, who[i]):
                continue
            if self.bad(t, i, who[i], disc[i], why[i]):
                continue
            cents = _cents(disc[i][0])
            if cents:
                self.line(t, i, who[i], BillLine(
                    "NE-12", f"NENSI discount on {svc[i]} ({_num(qtys[i])} in the month)",
                    1.0, -cents * 100, -cents, self.vat["nensi"]))

    def _discount_sources(self) -> list[tuple[str, str, object, object]]:
        """(customer, code, quantity, amount) of every NENSI row billed in the month, as the
        template's SUMIFS see them: a quantity that is no number adds nothing; an amount
        that is an error makes the sum an error."""
        out: list[tuple[str, str, object, object]] = []
        ct = self.t[L.NENSI_CHARGES.name]
        month, _unknown = self._month_rows(ct, "Date")
        res = self.run.results[ct.name]
        for j, (w, code, q) in enumerate(zip(ct.column("Customer"), res["Code read as"],
                                             ct.column("Quantity"), strict=True)):
            if month[j]:
                out.append((_key(w), _key(code), q, res["Amount"][j]))
        pt = self.t[L.NENSI_PRODUCTS.name]
        res = self.run.results[pt.name]
        for j, w in enumerate(pt.column("Customer")):
            n = res["Products counted"][j]
            for code, amount in (("maintenance", res["Maintenance"][j]),
                                 ("activation", res["Reactivation (Bill month)"][j])):
                # quantity where the amount is > 0 (SUMIFS ">0"); the amount always
                counted = isinstance(amount, float) and amount > 0
                out.append((_key(w), code, n if counted else 0.0, amount))
        st = self.t[L.NENSI_SERVICES.name]
        month, _unknown = self._month_rows(st, "Start date")
        res = self.run.results[st.name]
        for j, w in enumerate(st.column("Customer")):
            code, n = _key(res["Service read as"][j]), res["Units counted"][j]
            if month[j]:
                out.append((_key(w), code, n, res["Annual fee"][j]))
            renewal = res["Renewal (Bill month)"][j]
            renewed = isinstance(renewal, float) and renewal > 0
            out.append((_key(w), code, n if renewed else 0.0, renewal))
        return out


def _error_rows(t: Table, inputs: tuple[str, ...]) -> list[int]:
    """Rows with an Excel error cell among ``inputs``."""
    if not t.errors:
        return []
    cols = {t.index(h) for h in inputs}
    return sorted({i for (i, j) in t.errors if j in cols})


def _refuse_error_cells(t: Table) -> None:
    """Prices, VAT rates and discount tiers apply to every row: an error cell there (read as
    empty by the reader) would silently change them, so the whole run stops."""
    if t.errors:
        (i, j), code = min(t.errors.items())
        raise ValueError(f"{t.sheet} row {t.sheet_row(i)}, column {t.headers[j]!r} of table "
                         f"{t.name} holds {code}: fix it before billing")


_RULES_NENSI = {"forms": "NE-1", "view": "NE-2", "webservice": "NE-3", "notify": "NE-4",
                "pharmacy": "NE-5", "excel_export": "NE-7", "entry": "NE-8", "proposal": "NE-9",
                "maintenance": "NE-10", "activation": "NE-10", "export_basic": "NE-11",
                "export_detail": "NE-11", "export_codebook": "NE-11"}


def _trim(value: object) -> str:
    """Excel's TRIM: spaces around removed, runs of spaces inside made one."""
    return re.sub(" {2,}", " ", _num(value).strip(" "))


def _signature_code(kind: object) -> str:
    """The price code of a ledger row's kind: 'electronic' and 'signature_electronic' alike."""
    k = str(kind).strip().lower() if kind not in (None, "") else ""
    return k if not k or k.startswith("signature_") else f"signature_{k}"


def _rule_of(code: str) -> str:
    return _RULES_NENSI.get(code, "NE")


def _num(x: object) -> str:
    if isinstance(x, float):
        return repr(x + 0.0).removesuffix(".0")  # -0.0 reads "0", as Excel shows it
    return str(x)


def price_month(tables: dict[str, Table], month: dt.date) -> BillRun:
    """Price every usage row and build the month's bills (see the module docstring)."""
    return Pricer(tables, month).price_all()
