"""NENSI price list (valid from 1 Dec 2019; RULES.md NE-1..NE-13).

* Annual fees (NE-1..NE-5): ``forms``, ``view``, ``webservice``, ``notify`` (60.0000 EUR per
  user and year) and ``pharmacy`` (240.00 EUR per pharmacy unit and year), charged when use
  starts, prorated by whole months to the end of the year, the start month counted in full:
  ``fee x units x (13 - start month) / 12`` (NE-6 decision; January = the full fee).
* Maintenance (NE-10): 1.1140 EUR per product and month, first charged in the month after the
  product's entry (entered 3 May -> nothing for May); a product entered for the record only
  is charged from the month after its activation (NE-10 decision). Life cycle (NE-10
  decision): maintenance runs up to and including the month of an optional deactivation, then
  stops; a reactivation costs the activation fee (22.2790) and maintenance resumes the month
  after it (the fee is the ``activation`` charge, billed in the reactivation month).
* One-off charges (``charge``): ``entry`` (NE-8, 22.2790), ``proposal`` (NE-9, 10.0000),
  ``activation`` (NE-10, 22.2790), ``excel_export`` per case (NE-7, 10.0000), and the
  web-service exports ``export_basic`` (0.1112), ``export_detail`` (2.2280) and
  ``export_codebook`` (0.5570) per product / codebook item (NE-11). Product holders pay no
  exports of data about their own products (NE-11), also not for detailed data sent in an
  Excel case (NE-7) -- but the Excel case fee itself and codebook items are charged to them
  too (NE-7/NE-11 decision).
* Discounts (NE-12) come from a tier table the user supplies (``DiscountTiers``); without
  one there is no discount.
* Prices exclude VAT (NE-13): the price list says ``vat_included = false``.

Amounts are cents, rounded half-up once per line. Every function is vectorised and marks bad
elements with a reason naming the rule; one bad element never spoils the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np

from pricing import calendar, money
from pricing.catalog import Catalog, TariffTable, builtin
from pricing.inputs import (
    UNKNOWN,
    code_index,
    dates,
    fail_each,
    floats,
    price_table,
    today,
    whole,
)
from pricing.validity import Result, Validity

SERVICES = ("forms", "view", "webservice", "notify", "pharmacy")
CHARGES = ("entry", "proposal", "activation", "excel_export", "export_basic", "export_detail",
           "export_codebook")
EXPORTS = ("export_basic", "export_detail", "export_codebook")
# NE-7/NE-11 decision: the holder exemption covers data about the holder's own products only;
# codebook items (export_codebook, 0.5570) are always charged.
OWN_PRODUCT_EXPORTS = ("export_basic", "export_detail")
ALL_CODES = SERVICES + ("maintenance",) + CHARGES

RULES = {"forms": "NE-1", "view": "NE-2", "webservice": "NE-3", "notify": "NE-4",
         "pharmacy": "NE-5", "excel_export": "NE-7", "entry": "NE-8", "proposal": "NE-9",
         "maintenance": "NE-10", "activation": "NE-10", "export_basic": "NE-11",
         "export_detail": "NE-11", "export_codebook": "NE-11"}

_INT_LIMIT = 2**62
_PCT_PLACES = 4  # discount percentages keep up to 4 decimals (percent x 10**4)
_NAT = np.datetime64("NaT", "D")


def _unknown(raw: object, valid: tuple[str, ...], what: str, hint: str = "") -> str:
    shown = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw).strip()
    if not shown:
        return f"{what} is empty; valid: {', '.join(valid)}"
    return f"unknown {what} '{shown}'; valid: {', '.join(valid)}{hint}"


def _code_hint(raw: object) -> str:
    code = str(raw).strip().lower()
    if code in SERVICES:
        return f" ('{code}' is an annual fee: use the annual fee function)"
    if code == "maintenance":
        return " ('maintenance' is monthly: use the maintenance function)"
    if code in CHARGES:
        return f" ('{code}' is a one-off charge: use the charge function)"
    return ""


def _codes(values: object, valid: tuple[str, ...], what: str, shape: tuple[int, ...],
           v: Validity) -> np.ndarray:
    """Code indexes broadcast to ``shape``; unknown codes are failed with the valid list."""
    idx = code_index(values, valid)
    full = np.broadcast_to(idx, shape)
    if (idx == UNKNOWN).any():
        raw = np.broadcast_to(np.asarray(values, dtype=object), shape).reshape(-1)
        fail_each(v, full == UNKNOWN,
                  lambda k: _unknown(raw[k], valid, what, _code_hint(raw[k])))
    return np.where(full == UNKNOWN, 0, full) if (idx == UNKNOWN).any() else full


def _whole(values: object, what: str, v: Validity) -> np.ndarray:
    """Whole numbers >= 0 at the argument's own shape; failures merged into ``v``."""
    x, xv = floats(values, what)
    v.merge(xv)
    n, lv = whole(x, what)
    v.merge(lv)
    return n


def _required_dates(values: object, what: str, v: Validity) -> np.ndarray:
    d = dates(values)
    bad = np.isnat(d)
    if bad.any():
        v.fail(np.broadcast_to(bad, v.shape), f"{what} is empty or not a date")
        d = np.where(bad, np.datetime64("2000-01-01", "D"), d)
    return d


def _prices(codes: tuple[str, ...], idx: np.ndarray, days: np.ndarray, need: np.ndarray,
            v: Validity, tariff: TariffTable | None, catalog: Catalog | None) -> np.ndarray:
    """Per-element price (ten-thousandths) of ``codes[idx]`` on ``days``; elements that
    ``need`` a price and cannot have one are failed with the catalog's reason."""
    cat = catalog if catalog is not None else builtin()
    table, day_idx, tv = price_table(codes, days, cat, tariff)
    shape = v.shape
    if table.shape[1] == 1:
        # one day: gathered at the codes' own shape (one code for all rows: a 0-d price
        # that broadcasts, instead of a million-element copy of the same number)
        price = table[:, 0][idx]
        if not tv.all_ok:
            missing = np.broadcast_to(need, shape) & ~tv.ok[:, 0][idx]
            if missing.any():
                msg = np.empty(shape, dtype=object)
                msg[missing] = tv.reason[:, 0][np.broadcast_to(idx, shape)[missing]]
                v.fail(missing, msg)
        return price
    idx = np.broadcast_to(idx, shape)
    day_idx = np.broadcast_to(day_idx, shape)
    price = table[idx, day_idx]
    if not tv.all_ok:
        missing = np.broadcast_to(need, shape) & ~tv.ok[idx, day_idx]
        if missing.any():
            msg = np.empty(shape, dtype=object)
            msg[missing] = tv.reason[idx[missing], day_idx[missing]]
            v.fail(missing, msg)
    return price


def _half_up_div(factors: list[np.ndarray], den: int, v: Validity, what: str) -> np.ndarray:
    """``product(factors) / den`` rounded half-up, exact; non-negative factors."""
    arrs = [np.asarray(f, dtype=np.int64) for f in factors]
    if all(a.size for a in arrs) and all(int(a.min()) >= 0 for a in arrs):
        bound = 1
        for a in arrs:
            bound *= int(a.max())
        if bound < _INT_LIMIT // 2:
            raw = arrs[0]
            for a in arrs[1:]:
                raw = raw * a
            return (raw + den // 2) // den if den % 2 == 0 else (2 * raw + den) // (2 * den)
    raw = money.checked_product(arrs, v, what)
    return money.round_div_half_up(raw, den)


# --- NE-1..NE-6 ----------------------------------------------------------------------------

def annual_fee(service: object, start_date: object, units: object = 1.0, *,
               tariff: TariffTable | None = None, catalog: Catalog | None = None) -> Result:
    """First-year fee in cents for ``units`` users / pharmacy units of an annual service whose
    use starts on ``start_date`` (NE-1..NE-5), prorated by months (NE-6 decision):
    ``fee x units x (13 - start month) / 12``, rounded half-up once; January = the full fee.
    """
    start = dates(start_date)
    shape = np.broadcast_shapes(np.shape(service), start.shape, np.shape(units))
    v = Validity(shape)
    idx = _codes(service, SERVICES, "NENSI annual service", shape, v)
    start = _required_dates(start, "NE-6: start_date", v)
    n = _whole(units, "NE-1..5: units", v)
    months = 13 - calendar.month_number(start)
    price = _prices(SERVICES, idx, start, True, v, tariff, catalog)
    if not v.all_ok:
        price = np.where(v.ok, price, 0)
    cents = _half_up_div([price, n, months], 12 * money.CENT_PER_PRICE_UNIT, v,
                         "NE-6: annual fee")
    return Result(np.broadcast_to(cents, shape).copy() if cents.shape != shape else cents, v,
                  "cents")


# --- NE-10 maintenance ---------------------------------------------------------------------

def maintenance(entry_date: object, billing_month: object, products: object = 1.0,
                activation_date: object = _NAT, deactivation_date: object = _NAT,
                reactivation_date: object = _NAT, *, tariff: TariffTable | None = None,
                catalog: Catalog | None = None) -> Result:
    """Maintenance in cents for the month containing ``billing_month`` (NE-10).

    ``products x 1.1140`` when that month is after the entry month -- or, for a product
    entered for the record only (``activation_date`` given), after the activation month;
    0 for the entry/activation month and before (no maintenance is due then). The price is
    the one in force on the first day of the billing month.

    Life cycle (NE-10 decision): with a ``deactivation_date`` maintenance runs up to and
    including the deactivation month and stops; with a ``reactivation_date`` (on or after the
    deactivation) it resumes the month after the reactivation. A reactivation without a
    deactivation, or a deactivation before the product's entry (activation), is an error.
    """
    entry, billing, active = dates(entry_date), dates(billing_month), dates(activation_date)
    off, back = dates(deactivation_date), dates(reactivation_date)
    shape = np.broadcast_shapes(entry.shape, billing.shape, active.shape, np.shape(products),
                                off.shape, back.shape)
    v = Validity(shape)
    entry = _required_dates(entry, "NE-10: entry_date", v)
    billing = _required_dates(billing, "NE-10: billing_month", v)
    start = entry  # the day whose month is the last one without maintenance
    record_only = ~np.isnat(active)
    if record_only.any():
        v.fail(record_only & (active < entry),
               "NE-10: activation_date is before entry_date")
        start = np.where(record_only, active, entry)
    # due when the start day's month is before the billing month, i.e. the start day is
    # before the billing month's first day (a day comparison: no month conversion per row)
    first_day = calendar.first_of_month(billing)
    due = start < first_day
    if (~np.isnat(off)).any() or (~np.isnat(back)).any():
        due = due & _active_in(start, off, back, first_day, v)
    n = _whole(products, "NE-10: products", v)
    price = _prices(("maintenance",), np.zeros((), dtype=np.uint8), first_day, due, v, tariff,
                    catalog)
    if not v.all_ok:
        qty = np.where(due & v.ok, n, 0)
        price = np.where(v.ok, price, 0)
    elif n.shape == shape:
        qty = np.multiply(n, due, out=n)  # n is this call's own fresh array: zeroed in place
    else:
        qty = np.where(due, n, 0)
    cents = money.line_cents(qty, price, v, overwrite=True)  # qty: this call's own array
    return Result(_full(cents, shape), v, "cents")


def _active_in(start: np.ndarray, off: np.ndarray, back: np.ndarray, first_day: np.ndarray,
               v: Validity) -> np.ndarray:
    """NE-10 life cycle: whether a product whose maintenance started after ``start`` is
    maintained in the month beginning ``first_day``: not after its deactivation month, again
    from the month after its reactivation. Bad combinations are failed in ``v``."""
    deactivated, reactivated = ~np.isnat(off), ~np.isnat(back)
    v.fail(reactivated & ~deactivated,
           "NE-10: a reactivation_date needs the deactivation_date before it")
    v.fail(deactivated & (off < start),
           "NE-10: deactivation_date is before the product's entry (activation) date")
    v.fail(deactivated & reactivated & (back < off),
           "NE-10: reactivation_date is before deactivation_date")
    first_after_off = np.where(deactivated, calendar.first_of_next_month(
        np.where(deactivated, off, first_day)), first_day)
    stopped = deactivated & (first_day >= first_after_off)  # after the deactivation month
    resumed = reactivated & (np.where(reactivated, back, first_day) < first_day)
    return ~stopped | resumed


def _full(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return values if values.shape == shape else np.broadcast_to(values, shape).copy()


# --- NE-7..NE-11 one-off charges -----------------------------------------------------------

def _flags(values: object, what: str, v: Validity) -> np.ndarray:
    """TRUE/FALSE cells: bool, 0/1, "TRUE"/"FALSE"/"yes"/"no"; empty (NaN/None/"") = FALSE."""
    arr = np.asarray(values)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iuf":
        x = arr.astype(np.float64)
        v.fail(np.broadcast_to(~np.isnan(x) & (x != 0) & (x != 1), v.shape),
               f"{what} must be TRUE or FALSE")
        return x == 1
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False,
             "": False}
    out = np.zeros(arr.shape, dtype=bool)
    bad = np.zeros(arr.shape, dtype=bool)
    for k, cell in enumerate(arr.reshape(-1).tolist()):
        if cell is None or (isinstance(cell, float) and cell != cell):
            continue
        if isinstance(cell, (bool, int, float)):
            out.reshape(-1)[k] = cell == 1
            bad.reshape(-1)[k] = cell not in (0, 1)
        elif isinstance(cell, str) and cell.strip().lower() in words:
            out.reshape(-1)[k] = words[cell.strip().lower()]
        else:
            bad.reshape(-1)[k] = True
    v.fail(np.broadcast_to(bad, v.shape), f"{what} must be TRUE or FALSE")
    return out


def charge(code: object, quantity: object, own_products: object = False, date: object = None,
           *, tariff: TariffTable | None = None, catalog: Catalog | None = None) -> Result:
    """One-off NENSI charges in cents: ``quantity x unit price`` rounded half-up once.

    Codes: ``entry`` (NE-8), ``proposal`` (NE-9), ``activation`` (NE-10), ``excel_export``
    per case (NE-7), ``export_basic`` / ``export_detail`` / ``export_codebook`` (NE-11).
    ``own_products`` TRUE: the product exports (basic, detailed) are the holder's own products
    and cost 0 (NE-11; also detailed data sent in an Excel case, NE-7); the Excel case fee
    itself and codebook items (``export_codebook``: data about no one's product) are still
    charged (NE-7/NE-11 decision).
    ``date`` (None or NaT = today) picks the price list in force.
    """
    days = today() if date is None else dates(date)
    days = np.where(np.isnat(days), today(), days)
    shape = np.broadcast_shapes(np.shape(code), np.shape(quantity), np.shape(own_products),
                                days.shape)
    v = Validity(shape)
    idx = _codes(code, CHARGES, "NENSI charge", shape, v)
    n = _whole(quantity, "quantity", v)
    own = _flags(own_products, "own_products", v)
    exempt = np.isin(idx, [CHARGES.index(c) for c in OWN_PRODUCT_EXPORTS]) & own
    price = _prices(CHARGES, idx, days, ~exempt, v, tariff, catalog)
    qty = np.where(exempt, 0, n)
    if not v.all_ok:
        qty = np.where(v.ok, qty, 0)
        price = np.where(v.ok, price, 0)
    cents = money.line_cents(qty, price, v)
    return Result(_full(cents, shape), v, "cents")


# --- NE-12 discounts -----------------------------------------------------------------------

@dataclass(frozen=True)
class DiscountTiers:
    """The user's NE-12 tier table: per service, minimum monthly quantity -> discount %.

    ``tiers[service] = (minimums, percent_e4)`` sorted by minimum; ``problems`` holds, per
    service, why its rows cannot be used (every element of that service is then an error);
    ``table_problem`` spoils every element (a row naming an unknown service).
    """

    tiers: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)
    table_problem: str = ""

    @staticmethod
    def from_rows(rows: Iterable[Sequence[object]]) -> DiscountTiers:
        """Rows as a worksheet range gives them: service, minimum monthly quantity, discount
        percent (5 = 5 %). A first row naming a ``service`` column is a header (columns
        ``service``, ``min_quantity``/``min``, ``percent``/``discount``). Rows with an empty
        service are skipped."""
        rows = [list(r) for r in rows]
        cols = (0, 1, 2)
        if rows and any(isinstance(c, str) and c.strip().lower() == "service" for c in rows[0]):
            head = [str(c).strip().lower().replace(" ", "_") if c is not None else ""
                    for c in rows[0]]
            cols = (head.index("service"),
                    _first(head, ("min_quantity", "min_monthly_quantity", "minimum", "min")),
                    _first(head, ("discount_percent", "percent", "discount")))
            rows = rows[1:]
        found: dict[str, list[tuple[int, int]]] = {}
        problems: dict[str, str] = {}
        table_problem = ""
        for r_no, r in enumerate(rows, start=1):
            cell = [r[c] if c < len(r) else None for c in cols]
            if cell[0] is None or (isinstance(cell[0], str) and not cell[0].strip()):
                continue
            service = str(cell[0]).strip().lower()
            if service not in ALL_CODES:
                table_problem = table_problem or (
                    f"NE-12: discount table row {r_no}: unknown service '{service}'; "
                    f"valid: {', '.join(ALL_CODES)}")
                continue
            try:
                minimum = _whole_cell(cell[1], "minimum monthly quantity")
                pct = _percent_cell(cell[2])
            except ValueError as e:
                problems.setdefault(service, f"NE-12: discount table row {r_no}: {e}")
                continue
            found.setdefault(service, []).append((minimum, pct))
        tiers = {}
        for service, pairs in found.items():
            pairs.sort()
            mins = [m for m, _ in pairs]
            if len(set(mins)) != len(mins):
                problems.setdefault(service, f"NE-12: discount table: '{service}' has two "
                                             "tiers with the same minimum quantity")
            tiers[service] = (np.array(mins, dtype=np.int64),
                              np.array([p for _, p in pairs], dtype=np.int64))
        return DiscountTiers(tiers, problems, table_problem)


def _first(header: list[str], names: tuple[str, ...]) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise ValueError(f"discount table: a header row needs one of the columns {names}")


def _decimal_cell(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{what} must be a number")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{what} must be a number")
        text = repr(value)  # shortest decimal text, never the binary value
    else:
        text = str(value).strip().removesuffix("%").strip().replace(",", ".")
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what} ({value!r}) must be a number") from None
    if not d.is_finite():
        raise ValueError(f"{what} must be a number")
    return d


def _whole_cell(value: object, what: str) -> int:
    d = _decimal_cell(value, what)
    if d != d.to_integral_value() or d < 0:
        raise ValueError(f"{what} ({value!r}) must be a whole number >= 0")
    return int(d)


def _percent_cell(value: object) -> int:
    d = _decimal_cell(value, "discount percent")
    if d < 0 or d > 100:
        raise ValueError(f"discount percent ({value!r}) must be between 0 and 100")
    if 0 < d < 1:
        raise ValueError(f"discount percent ({value!r}) looks like a percent-formatted cell: "
                         "write 5 for 5 %")
    scaled_pct = d.scaleb(_PCT_PLACES)
    if scaled_pct != scaled_pct.to_integral_value():
        raise ValueError(f"discount percent ({value!r}) has more than {_PCT_PLACES} decimals")
    return int(scaled_pct)


def discount(service: object, monthly_quantity: object, amount_cents: object,
             tiers: DiscountTiers | None = None) -> Result:
    """NE-12: the discount in cents on ``amount_cents`` for a service whose quantity in the
    month is ``monthly_quantity``: the highest tier whose minimum <= that quantity applies,
    ``amount x percent / 100`` rounded half-up to the cent. No tier table, no tier for the
    service or a quantity below every minimum: no discount (0, which is then correct).
    """
    shape = np.broadcast_shapes(np.shape(service), np.shape(monthly_quantity),
                                np.shape(amount_cents))
    v = Validity(shape)
    idx = _codes(service, ALL_CODES, "NENSI service", shape, v)
    qty = np.broadcast_to(_whole(monthly_quantity, "NE-12: monthly_quantity", v), shape)
    amount = np.broadcast_to(_whole(amount_cents, "NE-12: amount_cents", v), shape)
    pct = np.zeros(shape, dtype=np.int64)
    if tiers is not None:
        if tiers.table_problem:
            v.fail(np.ones(shape, dtype=bool), tiers.table_problem)
        for service_code, problem in tiers.problems.items():
            v.fail(idx == ALL_CODES.index(service_code), problem)
        for service_code, (mins, pcts) in tiers.tiers.items():
            where = idx == ALL_CODES.index(service_code)
            if not where.any():
                continue
            tier = np.searchsorted(mins, qty[where], side="right") - 1
            pct[where] = np.where(tier >= 0, pcts[np.maximum(tier, 0)], 0)
    if not v.all_ok:
        amount = np.where(v.ok, amount, 0)
        pct = np.where(v.ok, pct, 0)
    cents = _half_up_div([amount, pct], 100 * 10**_PCT_PLACES, v, "NE-12: discount")
    return Result(_full(cents, shape), v, "cents")
