"""Tresorit eSign add-on: licence proration, signature purchases and the signature quota ledger.

Rules ES-1..ES-15 of RULES.md (source: seeds/003_d2b05a8fe006e795.txt) and our decisions:

* ``prorate`` -- licences bought part-way through the main plan's service period (ES-15 decision,
  ES-4 price, ES-5 seats, ES-3 plan tier, ES-1 legacy plan, ES-13 no mid-period reductions).
* ``signature_cost`` -- one-time signature purchases (ES-7).
* ``ledger`` -- a subscription's signature quota over time: free 10 + 6 signatures, purchases,
  consumption free-first, refusal beyond the quota, no purchases during the trial, unused
  signatures kept across cancellation (ES-7..ES-11, ES-14).
* ``reduction_date`` -- when a licence reduction takes effect: the renewal date (ES-13/ES-15).

Every function is vectorised (numpy-broadcastable arguments, scalars included) and marks bad
elements in the result's validity with a reason that cites the rule; it never raises for bad
data and never returns 0 for an element that is an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pricing import calendar, money
from pricing.catalog import Catalog, TariffTable, builtin
from pricing.validity import Result, Validity, broadcast

PLAN_TIERS = ("professional", "business", "enterprise")
NEW_PLAN_FROM = np.datetime64("2024-03-28", "D")  # ES-1
FREE_ELECTRONIC = 10  # ES-10, ES-11
FREE_QUALIFIED = 6  # ES-10, ES-11
TRIAL_DAYS = 14  # ES-10: the 14-day Tresorit trial
_NEW_PLAN_DAY = int(NEW_PLAN_FROM.astype(np.int64))  # the same day as days since 1970-01-01
KINDS = ("electronic", "qualified")
EVENTS = ("trial", "subscribe", "licences", "buy", "use", "cancel", "restart")

_KIND_CODE = {
    "electronic": "signature_electronic",
    "signature_electronic": "signature_electronic",
    "qualified": "signature_qualified",
    "signature_qualified": "signature_qualified",
}
_LICENCE_CODE = "licence"


# --- small vectorised helpers ---------------------------------------------------------------

def _code_of(value: object) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _codes(values: np.ndarray) -> np.ndarray:
    """Case-insensitive codes: strip + lower; anything that is not text (NaN, None) -> ''."""
    items = np.asarray(values, dtype=object).reshape(-1).tolist()
    try:  # a column holds few distinct values: normalise each once
        known = {v: _code_of(v) for v in set(items)}
        out = list(map(known.__getitem__, items))
    except TypeError:  # an unhashable element
        out = [_code_of(v) for v in items]
    return np.array(out, dtype=object).reshape(np.shape(values))


def _numbers(values: object) -> tuple[np.ndarray, np.ndarray]:
    """float64 values (NaN = empty) and a mask of elements that are not numbers at all (text,
    booleans). Numeric arrays pass through; object arrays are read element by element."""
    a = np.asarray(values)
    if a.dtype.kind in "iuf":
        return a.astype(np.float64), np.zeros(a.shape, dtype=bool)
    out = np.full(a.shape, np.nan)
    bad = np.zeros(a.shape, dtype=bool)
    for i, x in enumerate(a.reshape(-1).tolist()):
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            out.flat[i] = x
        elif not (x is None or (isinstance(x, str) and not x.strip())):
            bad.flat[i] = True
    return out, bad


def _number_arg(values: object, validity: Validity, what: str,
                relevant: np.ndarray | bool = True) -> np.ndarray:
    """A numeric argument as float64 (NaN = empty); text or booleans where the argument is
    ``relevant`` are marked bad (elsewhere they read as empty)."""
    x, bad = _numbers(values)
    validity.fail(np.broadcast_to(bad, validity.shape) & relevant, f"{what} is not a number")
    return x


def _dates(values: object, validity: Validity, what: str) -> np.ndarray:
    """datetime64[D] from dates, ISO text or Excel serial numbers; a missing or unreadable
    date is marked bad (a placeholder stands in its place and must not be used)."""
    a = np.asarray(values)
    if a.dtype.kind == "M":
        d = a.astype("datetime64[D]")
    elif a.dtype.kind in "iuf":
        d = calendar.from_excel_serial(a, validity, what)
    else:
        d = np.full(a.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        for i, x in enumerate(a.reshape(-1).tolist()):
            try:
                if isinstance(x, (int, float)) and not isinstance(x, bool):
                    v = Validity(())
                    day = calendar.from_excel_serial(np.float64(x), v)
                    d.flat[i] = day if v.ok else np.datetime64("NaT")
                elif isinstance(x, str | dt.date | np.datetime64):
                    d.flat[i] = np.datetime64(x.strip() if isinstance(x, str) else x, "D")
            except ValueError:
                pass
    nat = np.isnat(d)
    validity.fail(np.broadcast_to(nat, validity.shape), f"{what} is missing or not a date")
    return np.where(nat, NEW_PLAN_FROM, d)


def _whole(values: np.ndarray, validity: Validity, what: str, rule: str) -> np.ndarray:
    """Exact whole numbers >= 0 from Excel floats; NaN, fractions and negatives are bad."""
    n = money.to_scaled(values, 0, f"{rule}: {what}", validity)
    validity.fail(n < 0, f"{rule}: {what} must not be negative")
    return np.maximum(n, 0)


def _given(values: np.ndarray) -> np.ndarray:
    """Which elements of an optional numeric argument are given (not NaN)."""
    x = np.asarray(values, dtype=np.float64)
    return ~np.isnan(x)


def _explicit_prices(values: np.ndarray, validity: Validity, what: str) -> np.ndarray:
    """Unit prices x 10**4 where given (NaN = not given: 0 placeholder, no failure)."""
    x = np.asarray(values, dtype=np.float64)
    given = ~np.isnan(x)
    v = Validity(x.shape)
    price = money.to_scaled(np.where(given, x, 0.0), money.PRICE_PLACES, what, v)
    v.fail(price < 0, f"{what} must not be negative")
    validity.merge(v)
    return price


def _prices(codes: np.ndarray, dates: np.ndarray, explicit: np.ndarray, given: np.ndarray,
            validity: Validity, tariff: TariffTable | None, catalog: Catalog | None
            ) -> np.ndarray:
    """The explicit price where given, else the price list's (tariff table first) on the date.

    ES-1: the catalog has no legacy-plan prices, so a purchase dated before 2024-03-28 without
    an explicit price or a tariff row is an error that says so. The catalog is asked once per
    distinct (code, date) -- a column holds few -- not once per row.
    """
    cat = catalog if catalog is not None else builtin()
    one_code = np.ndim(codes) == 0
    codes = np.broadcast_to(np.asarray(codes, dtype=object), validity.shape)
    dates = np.broadcast_to(dates, validity.shape)
    out = np.broadcast_to(np.where(given, explicit, 0), validity.shape).astype(np.int64)
    need = np.broadcast_to(~given, validity.shape) & (codes != "")
    distinct = [codes.flat[0]] if one_code and codes.size else set(codes[need].tolist())
    for code in distinct:
        rows = need if one_code else need & (codes == code)
        if not rows.any():
            continue
        days, inverse = np.unique(dates[rows], return_inverse=True)
        v = Validity(days.shape)
        found = cat.prices(np.full(days.shape, code, dtype=object), days, v, tariff)
        out[rows] = found[inverse]
        if not v.all_ok:
            bad = np.zeros(rows.shape, dtype=bool)
            bad[rows] = ~v.ok[inverse]
            reason = np.full(rows.shape, "", dtype=object)
            reason[rows] = v.reason[inverse]
            validity.fail(bad, reason)
    return out


# --- ES-15: licence proration --------------------------------------------------------------

def prorate(licences: np.ndarray, purchase_date: np.ndarray, period_start: np.ndarray,
            period_end: np.ndarray, monthly_price: np.ndarray = np.nan,
            main_users: np.ndarray = np.nan, plan: np.ndarray = "",
            subscription_start: object = None, *,
            tariff: TariffTable | None = None, catalog: Catalog | None = None) -> Result:
    """Prorated charge (cents) for eSign licences bought part-way through the service period.

    ES-15 decision: ``licences x monthly price x months in the period x
    (period_end - purchase_date + 1) / (period_end - period_start + 1)``, rounded half-up to
    the cent once per line. The period is the main plan's payment period and must be a whole
    number of calendar months (a monthly or annual plan); the purchase date must lie inside it.
    ``monthly_price`` (EUR per licence per month, NaN = the price list's on the purchase date:
    5.00 on the new plan, ES-4; the legacy plan has no public price, ES-1). ``main_users``
    (NaN = not checked): licences may never exceed the main subscription's users (ES-5).
    ``plan`` (empty = not checked): the main plan tier, which on the new plan must be
    Professional, Business or Enterprise (ES-3).
    ``subscription_start`` (None/NaT = the purchase date stands in, and the result's notes
    say so): the day the eSign subscription was bought or its trial started, which decides
    the plan for all its licences (ES-1 revised): a subscription started before 2024-03-28
    is legacy, whose price must be given (``monthly_price`` or a legacy tariff row).
    """
    sub_in = _NAT if subscription_start is None else subscription_start
    shape, (lic, bought, start, end, price_in, users, _, sub_raw) = broadcast(
        licences, purchase_date, period_start, period_end, monthly_price, main_users, plan,
        sub_in)
    v = Validity(shape)
    lic = _number_arg(lic, v, "ES-4: licences")
    price_in = _number_arg(price_in, v, "ES-4: monthly price")
    users = _number_arg(users, v, "ES-5: main users")
    lic_n = money.to_scaled(lic, 0, "ES-4: licences", v)
    v.fail(lic_n < 0, "ES-13: licences must not be negative - a licence reduction takes "
                      "effect only at the renewal date, there is no mid-period refund")
    bought = _dates(bought, v, "purchase date")
    start = _dates(start, v, "period start")
    end = _dates(end, v, "period end")
    months, whole = calendar.whole_months(start, end)
    v.fail(~whole, "ES-15: the service period must be a whole number of calendar months "
                   "(e.g. 2024-06-01..2024-06-30 or 2024-01-01..2024-12-31)")
    v.fail((bought < start) | (bought > end),
           "ES-15: the purchase date must lie inside the service period")

    users_given = _given(users)
    vu = Validity(shape)
    users_n = money.to_scaled(np.where(users_given, users, 0.0), 0, "ES-5: main users", vu)
    vu.fail(users_n < 0, "ES-5: main users must not be negative")
    v.merge(vu)
    v.fail(users_given & (lic_n > users_n),
           "ES-5: licences may never exceed the number of users of the main subscription")

    new_plan, price_day, notes = _plan(sub_raw, bought, v, "licences")
    tier = _codes(plan)  # on the argument as given: a scalar stays one element
    wrong_tier = (tier != "") & ~np.isin(tier, PLAN_TIERS)
    v.fail(np.broadcast_to(wrong_tier, shape) & new_plan,
           "ES-3: the new eSign plan is only for Professional, Business and Enterprise plans")

    price_given = _given(price_in)
    explicit = _explicit_prices(price_in, v, "ES-4: monthly price")
    price = _legacy_aware_prices(np.array(_LICENCE_CODE, dtype=object), price_day, explicit,
                                 price_given, new_plan, v, tariff, catalog, "monthly_price")

    days_left = calendar.days_inclusive(bought, end)
    days_all = calendar.days_inclusive(start, end)
    ok = v.ok
    num = money.checked_product(
        [np.where(ok, lic_n, 0), np.where(ok, price, 0), np.where(ok, months, 0),
         np.where(ok, days_left, 0)], v, "ES-15: prorated amount")
    den = money.CENT_PER_PRICE_UNIT * np.where(v.ok, days_all, 1)
    cents = np.where(v.ok, money.round_div_half_up(num, den), 0)
    return Result(cents.astype(np.int64), v, "cents", notes)


_NAT = np.datetime64("NaT", "D")
_STANDS_IN = ("ES-1: no subscription start given - the purchase date stands in for it "
              "({plan} plan)")


def _plan(subscription_start: np.ndarray, purchase: np.ndarray, v: Validity,
          what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """ES-1 (revised): the plan follows the date the eSign subscription was bought or its
    trial started, not the date of each purchase. Returns (new plan?, the day to price on,
    notes): a new-plan subscription is priced on the purchase date (prices in force on the
    usage date); a legacy one on the legacy plan's last day or the purchase date if earlier,
    so that only a legacy price (a tariff row in force before 2024-03-28, or the explicit
    price) can apply. An empty start: the purchase date stands in, and the note says so."""
    raw = np.asarray(subscription_start)
    empty = _empty_dates(raw)
    sv = Validity(v.shape)
    started = _dates(np.where(empty, NEW_PLAN_FROM, raw) if empty.any() else raw, sv,
                     "ES-1: subscription start")
    v.merge(sv)
    started = np.where(empty, purchase, started)
    v.fail(started > purchase,
           f"ES-1: the subscription start is after the purchase date - {what} are bought "
           "for a subscription that has started")
    new_plan = started >= NEW_PLAN_FROM
    legacy_day = np.minimum(purchase, NEW_PLAN_FROM - calendar.DAY)
    price_day = np.where(new_plan, purchase, legacy_day)
    notes = None
    if empty.any():
        notes = np.where(np.broadcast_to(empty, v.shape),
                         np.where(new_plan, _STANDS_IN.format(plan="new"),
                                  _STANDS_IN.format(plan="legacy")), "").astype(object)
    return new_plan, price_day, notes


_LEGACY_PRICE = ("ES-1: this subscription started before 2024-03-28 and follows the legacy "
                 "eSign plan, whose prices are not in the document - give the price ({arg} or "
                 "a tariff row valid before 2024-03-28)")


def _legacy_aware_prices(codes: np.ndarray, day: np.ndarray, explicit: np.ndarray,
                         given: np.ndarray, new_plan: np.ndarray, v: Validity,
                         tariff: TariffTable | None, catalog: Catalog | None,
                         arg: str) -> np.ndarray:
    """``_prices`` on the plan's price day; a legacy subscription without a price of its own
    fails with the ES-1 reason (not a tariff table's "no price on that date")."""
    pv = Validity(v.shape)
    price = _prices(codes, day, explicit, given, pv, tariff, catalog)
    legacy_missing = ~pv.ok & ~np.broadcast_to(new_plan, v.shape)
    if legacy_missing.any():  # no legacy price at all (a bad tariff row keeps its own reason)
        reason = pv.reason.astype(str)
        none = np.char.startswith(reason, "ES-1:") | np.char.startswith(
            reason, "tariff table: no price for")
        v.fail(legacy_missing & none, _LEGACY_PRICE.format(arg=arg))
    v.merge(pv)
    return price


def _empty_dates(values: np.ndarray) -> np.ndarray:
    """Which elements of an optional date argument are empty (NaT, None, NaN, blank text)."""
    a = np.asarray(values)
    if a.dtype.kind == "M":
        return np.isnat(a)
    if a.dtype.kind in "iuf":
        return np.isnan(a.astype(np.float64))
    flat = [x is None or (isinstance(x, float) and x != x)
            or (isinstance(x, str) and not x.strip())
            or (isinstance(x, np.datetime64) and np.isnat(x)) for x in a.reshape(-1).tolist()]
    return np.array(flat, dtype=bool).reshape(a.shape)


def reduction_date(request_date: np.ndarray, period_end: np.ndarray) -> Result:
    """The date a licence reduction takes effect: the renewal date, the day after the service
    period ends (ES-13, ES-15: downgrades only at the renewal date). A request after the
    period's end belongs to a later period and is an error."""
    shape, (req, end) = broadcast(request_date, period_end)
    v = Validity(shape)
    req = _dates(req, v, "request date")
    end = _dates(end, v, "period end")
    v.fail(req > end, "ES-13: the request date is after the period end - give the current "
                      "period's end")
    renewal = (end + calendar.DAY).astype("datetime64[D]")
    calendar.refuse_outside_excel(renewal, v,
                                  "ES-13: the renewal date (the day after the period end)")
    return Result(np.where(v.ok, renewal, np.datetime64("NaT")).astype("datetime64[D]"), v,
                  "date")


# --- ES-7: signature purchases ----------------------------------------------------------------

def _kind_codes(kind: np.ndarray, validity: Validity) -> np.ndarray:
    """'electronic'/'qualified' (or the price codes signature_*) -> the price code."""
    k = _codes(kind)
    flat = np.array([_KIND_CODE.get(c, "") for c in k.reshape(-1).tolist()], dtype=object)
    codes = flat.reshape(k.shape)
    validity.fail(codes == "", "ES-7: the signature kind must be 'electronic' or 'qualified'")
    return codes


def signature_cost(kind: np.ndarray, quantity: np.ndarray, purchase_date: np.ndarray,
                   unit_price: np.ndarray = np.nan, subscription_start: object = None, *,
                   tariff: TariffTable | None = None,
                   catalog: Catalog | None = None) -> Result:
    """One-time cost (cents) of buying signatures (ES-7): quantity x unit price, rounded once.

    ``kind`` 'electronic' (0.30 EUR) or 'qualified' (EU-qualified, 2.50 EUR), case-insensitive;
    ``quantity`` a whole number >= 0; ``unit_price`` NaN = the price list's on the purchase date
    (a legacy subscription's prices are not public: ES-1). ``subscription_start`` (None/NaT =
    the purchase date stands in, and the notes say so) decides the plan (ES-1 revised): a
    subscription started before 2024-03-28 is legacy whenever its signatures are bought, and
    a legacy subscription cannot buy qualified signatures (ES-2), as in ``ledger``.
    """
    sub_in = _NAT if subscription_start is None else subscription_start
    shape, (kinds, qty, day, price_in, sub_raw) = broadcast(kind, quantity, purchase_date,
                                                             unit_price, sub_in)
    v = Validity(shape)
    codes = _kind_codes(kinds, v)
    qty = _number_arg(qty, v, "ES-7: signature quantity")
    price_in = _number_arg(price_in, v, "ES-7: unit price")
    n = _whole(qty, v, "signature quantity", "ES-7")
    day = _dates(day, v, "purchase date")
    new_plan, price_day, notes = _plan(sub_raw, day, v, "signatures")
    v.fail((codes == "signature_qualified") & ~new_plan, _LEGACY_QUALIFIED)
    explicit = _explicit_prices(price_in, v, "ES-7: unit price")
    price = _legacy_aware_prices(codes, price_day, explicit, _given(price_in), new_plan, v,
                                 tariff, catalog, "unit_price")
    cents = money.line_cents(np.where(v.ok, n, 0), np.where(v.ok, price, 0), v)
    return Result(np.where(v.ok, cents, 0).astype(np.int64), v, "cents", notes)


_LEGACY_QUALIFIED = ("ES-2: qualified signatures need the new eSign plan - cancel the legacy "
                     "plan and subscribe to the new one")


# --- ES-7..ES-11: the quota ledger ----------------------------------------------------------

@dataclass(frozen=True)
class Ledger:
    """Per row of a ledger, after the row: free and bought signatures left per kind, the
    licence count, the row's cost (cents) and its validity. A bad row changes nothing; its
    'left' values repeat the state before it and must be shown as an error, not a number."""

    free_electronic_left: np.ndarray
    free_qualified_left: np.ndarray
    bought_electronic_left: np.ndarray
    bought_qualified_left: np.ndarray
    licences: np.ndarray
    cost_cents: np.ndarray
    validity: Validity

    @property
    def ok(self) -> np.ndarray:
        return self.validity.ok

    @property
    def reason(self) -> np.ndarray:
        return self.validity.reason

    def result(self, name: str) -> Result:
        """One column as a Result ('cost_cents' is kind "cents", the others "count")."""
        return Result(getattr(self, name), self.validity,
                      "cents" if name == "cost_cents" else "count")


@dataclass
class _Sub:
    """One subscription's state while the ledger walks its rows."""

    started: bool = False
    new_plan: bool = False  # ES-1: plan decided by the trial/subscription date
    trial_until: int | None = None  # first day after the 14-day trial (days since 1970)
    paid: bool = False
    cancelled: bool = False
    licences: int = 0
    free_e: int = 0
    free_q: int = 0
    bought_e: int = 0
    bought_q: int = 0
    granted: bool = False  # the one free 10 + 6 grant per subscription (decision)

    def grant(self) -> None:
        if not self.granted:
            self.free_e += FREE_ELECTRONIC
            self.free_q += FREE_QUALIFIED
            self.granted = True


def _subscription_keys(values: np.ndarray) -> np.ndarray:
    """Subscription identifiers: text case-insensitive; whole numbers as their digits."""
    out = []
    for v in np.asarray(values, dtype=object).reshape(-1).tolist():
        if isinstance(v, str):
            out.append(v.strip().lower())
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out.append(str(int(v)))
        elif isinstance(v, float) and np.isfinite(v) and v == int(v):
            out.append(str(int(v)))
        else:
            out.append("")
    return np.array(out, dtype=object).reshape(np.shape(values))


def ledger(subscription: np.ndarray, date: np.ndarray, event: np.ndarray, kind: np.ndarray,
           quantity: np.ndarray, licences: np.ndarray = np.nan, unit_price: np.ndarray = np.nan,
           period_start: object = None, *, tariff: TariffTable | None = None,
           catalog: Catalog | None = None) -> Ledger:
    """A signature quota ledger over rows of events, per subscription (ES-7..ES-11, ES-14).

    Rows are processed in date order per subscription (rows with equal dates in input order);
    results come back in the input order. Events (case-insensitive):

    * ``trial`` -- a Tresorit trial starts the subscription; on/after 2024-03-28 it gets 10
      electronic + 6 qualified signatures free, not time-limited (ES-10). No buying during the
      14 trial days nor afterwards until a ``subscribe``.
    * ``subscribe`` -- a paid main plan; a newly bought one (no trial before) gets the free
      10 + 6 (ES-11). A trial converting to paid keeps its trial grant and gets no second one
      (decision: one free grant per subscription). After a ``cancel`` of a legacy subscription
      on/after 2024-03-28 it moves the subscription to the new plan (ES-2).
    * ``licences`` -- sets the licence count (``licences``); signatures cannot be used without
      licences (ES-7). The ledger charges nothing for licences: bill them with ``prorate``.
      ``licences`` on a ``subscribe``/``restart`` row sets the count too; other rows ignore it.
      ES-13: a ``licences`` row that lowers the count is accepted only on a renewal date: its
      ``period_start`` (the first day of the service period the row falls in) must be given
      and equal the row's date (ESIGN_REDUCTION_DATE gives that day for a request).
    * ``buy`` -- adds ``quantity`` signatures of ``kind``; cost = quantity x unit price (ES-7).
      ES-1: the plan is the subscription's (by its trial/subscription date), not the purchase
      date's: a legacy subscription's purchase needs ``unit_price`` or a legacy tariff row
      (blank valid_from or before 2024-03-28); the new plan's prices never apply to it.
    * ``use`` -- consumes ``quantity`` signatures of ``kind``, free ones first (decision); a
      request beyond the quota is refused: the row is an error, nothing consumed (ES-8).
    * ``cancel`` -- licences revoked, unused signatures kept (ES-9).
    * ``restart`` -- the kept signatures are usable again; licences must be set again (ES-9).
    """
    shape, (subs, day, ev, kinds, qty, lic, price_in, period_raw) = broadcast(
        subscription, date, event, kind, quantity, licences, unit_price,
        _NAT if period_start is None else period_start)
    v = Validity(shape)
    keys = _subscription_keys(subs)
    v.fail(keys == "", "the subscription is empty or not an identifier")
    day = _dates(day, v, "date")
    no_period = _empty_dates(period_raw)
    pv0 = Validity(shape)
    period_day = _dates(np.where(no_period, NEW_PLAN_FROM, period_raw) if no_period.any()
                        else period_raw, pv0, "ES-13: period start")
    v.merge(pv0)
    renewal = ~no_period & (period_day == day)  # ES-13: the row is on a renewal date
    events = _codes(ev)
    v.fail(~np.isin(events, EVENTS),
           "event must be one of trial, subscribe, licences, buy, use, cancel, restart")

    counted = np.isin(events, ("buy", "use"))
    v.fail(counted & (_codes(kinds) == ""),
           "ES-7: buy and use rows need the signature kind 'electronic' or 'qualified'")
    kv = Validity(shape)
    codes = _kind_codes(kinds, kv)
    v.fail(counted & ~kv.ok, kv.reason)
    qty = _number_arg(qty, v, "ES-7: signature quantity", counted)
    qv = Validity(shape)
    n = _whole(np.where(counted, qty, 0.0), qv, "signature quantity", "ES-7")
    v.merge(qv)
    lic = _number_arg(lic, v, "ES-4: licences", np.isin(events, ("subscribe", "restart",
                                                                "licences")))
    price_in = _number_arg(price_in, v, "ES-7: unit price", events == "buy")

    sets_licences = (events == "licences") | (np.isin(events, ("subscribe", "restart"))
                                              & _given(lic))
    v.fail((events == "licences") & ~_given(lic), "ES-4: a licences row needs the licence count")
    lv = Validity(shape)
    lic_n = _whole(np.where(sets_licences, lic, 0.0), lv, "licences", "ES-4")
    v.merge(lv)

    # Prices for every purchase row up front (vectorised), once for a new-plan subscription
    # (the price on the purchase date) and once for a legacy one; which applies depends on the
    # subscription's plan, known only while walking the rows.
    buying = (events == "buy") & v.ok
    explicit_given = _given(price_in) & buying
    ev = Validity(shape)
    explicit = _explicit_prices(np.where(buying, price_in, np.nan), ev, "ES-7: unit price")
    buy_codes = np.where(buying, codes, "")

    def purchase(on: np.ndarray) -> tuple[np.ndarray, Validity]:
        pv = Validity(shape)
        pv.merge(ev)
        price = _prices(buy_codes, on, explicit, explicit_given, pv, tariff, catalog)
        cost = money.line_cents(np.where(buying & pv.ok, n, 0),
                                np.where(buying & pv.ok, price, 0), pv)
        return cost, pv

    cost, pv = purchase(day)
    # ES-1: a legacy subscription has no public prices, whatever the purchase date: only an
    # explicit unit_price or a tariff row of the legacy plan prices it -- a row in force before
    # 2024-03-28 (blank valid_from or earlier). A row from 2024-03-28 on is the new plan's
    # price (the template's Tariff_esign_2024) and does not apply.
    legacy_day = np.minimum(day, NEW_PLAN_FROM - calendar.DAY)
    legacy_cost, lpv = purchase(legacy_day)
    legacy_row = _tariff_row_in_force(tariff, buy_codes, legacy_day)
    own_price = explicit_given | legacy_row

    days = day.astype(np.int64)  # days since 1970-01-01: plain ints compare fast
    flat = [a.reshape(-1).tolist() for a in (keys, days, events, codes, n, lic_n, cost,
                                             sets_licences, pv.reason, own_price,
                                             legacy_cost, lpv.reason, renewal)]
    ok_flat = v.ok.reshape(-1).copy()
    why = np.full(ok_flat.shape, "", dtype=object)
    left = np.zeros((5, ok_flat.size), dtype=np.int64)
    cost_out = np.zeros(ok_flat.size, dtype=np.int64)
    # by subscription, then date; lexsort is stable, so equal dates keep the input order
    _, sub_index = np.unique(keys.reshape(-1).astype(str), return_inverse=True)
    order = np.lexsort((days.reshape(-1), sub_index.reshape(-1))).tolist()
    states: dict[str, _Sub] = {}
    for i in order:
        (key, when, event_i, code, qty_i, lic_i, cost_i, set_lic, price_why, own,
         legacy_cost_i, legacy_why, on_renewal) = (a[i] for a in flat)
        s = states.setdefault(key, _Sub())
        if ok_flat[i]:
            if event_i == "buy" and not s.new_plan:  # ES-1: the legacy plan's price
                cost_i, price_why = legacy_cost_i, legacy_why
            row = _Row(when, event_i, code, qty_i, lic_i, set_lic, price_why, own,
                       on_renewal)
            problem = _apply(s, row)
            if problem:
                ok_flat[i], why[i] = False, problem
            elif event_i == "buy":
                cost_out[i] = cost_i
        left[:, i] = (s.free_e, s.free_q, s.bought_e, s.bought_q, s.licences)
    v.fail(~ok_flat.reshape(shape), why.reshape(shape))
    cost_out = np.where(ok_flat, cost_out, 0)
    r = [x.reshape(shape) for x in (*left, cost_out)]
    return Ledger(r[0], r[1], r[2], r[3], r[4], r[5], v)


def _tariff_row_in_force(tariff: TariffTable | None, codes: np.ndarray,
                         days: np.ndarray) -> np.ndarray:
    """Where the tariff table has a row for the code in force on the day (valid_from blank or
    on/before it), whatever its price (a bad price is reported where the price is needed)."""
    out = np.zeros(np.shape(codes), dtype=bool)
    if tariff is None:
        return out
    for code, rows in tariff.rows.items():
        first = min(r.start for r in rows)
        where = codes == code
        if where.any():
            out[where] = days[where] >= first
    return out


@dataclass(frozen=True)
class _Row:
    """One ledger row's inputs, already parsed and checked on their own."""

    when: int  # days since 1970-01-01
    event: str
    code: str  # signature price code ('' where the event needs none)
    qty: int
    lic: int
    set_lic: bool
    price_problem: str  # why no price could be had ('' = priced)
    own_price: bool  # an explicit unit price or a legacy tariff-table row gives the price
    on_renewal: bool = False  # dated on its service period's first day (ES-13)


def _apply(s: _Sub, row: _Row) -> str:
    """Apply one valid row to a subscription's state; return '' or why the row is refused.
    A refused row leaves the state unchanged."""
    event, when = row.event, row.when
    if event == "trial":
        if s.started:
            return "ES-10: a trial starts a subscription - this one has already started"
        s.started, s.new_plan, s.trial_until = True, when >= _NEW_PLAN_DAY, when + TRIAL_DAYS
        if s.new_plan:  # ES-10: only trials started on/after 2024-03-28 get the free quota
            s.grant()
        return ""
    if event == "subscribe":
        return _subscribe(s, when, row.lic, row.set_lic)
    if not s.started:
        return "no trial or subscription yet for this subscription (ES-10, ES-11)"
    if event == "cancel":
        if s.cancelled:
            return "ES-9: eSign is already cancelled"
        s.cancelled, s.licences = True, 0
        return ""
    if event == "restart":
        if not s.cancelled:
            return "ES-9: only a cancelled eSign plan can be restarted"
        s.cancelled, s.licences = False, (row.lic if row.set_lic else 0)
        return ""
    if s.cancelled:
        return "ES-9: eSign is cancelled - restart it first"
    if event == "licences":
        if row.lic < s.licences and not row.on_renewal:
            return (f"ES-13: licences can be reduced ({s.licences} -> {row.lic}) only at the "
                    "end of the service period - date the row on the renewal date "
                    "(ESIGN_REDUCTION_DATE) and give that day as period_start")
        s.licences = row.lic
        return ""
    qualified = row.code == "signature_qualified"
    if qualified and not s.new_plan:
        return _LEGACY_QUALIFIED
    if event == "buy":
        return _buy(s, row, qualified)
    return _use(s, qualified, row.qty)


def _subscribe(s: _Sub, when: int, lic: int, set_lic: bool) -> str:
    new = when >= _NEW_PLAN_DAY
    if s.cancelled and not s.new_plan and new:
        # ES-2: a legacy subscription cancels, then subscribes to the new plan. The same main
        # subscription: no newly bought main plan, so no second free grant; its unused
        # signatures stay with it (ES-9).
        s.cancelled, s.new_plan, s.paid = False, True, True
        s.licences = lic if set_lic else 0
        return ""
    if s.cancelled:
        return "ES-9: a cancelled eSign plan is started again with 'restart'"
    if s.paid:
        return "ES-11: this subscription is already a paid subscription"
    if not s.started:
        s.started, s.new_plan = True, new
        if new:  # ES-11: every newly bought main plan includes 10 + 6 free
            s.grant()
    # a trial converting to paid keeps its plan (ES-1: "bought or trialled") and its grant
    s.paid = True
    if set_lic:
        s.licences = lic
    return ""


def _buy(s: _Sub, row: _Row, qualified: bool) -> str:
    if s.trial_until is not None and not s.paid and row.when < s.trial_until:
        return "ES-10: no signatures can be bought during the 14-day trial"
    if not s.paid:
        return "ES-10: buying signatures needs a paid subscription - add a 'subscribe' row"
    if not s.new_plan and not row.own_price:
        # ES-1: the subscription follows the legacy plan whatever the purchase date; the
        # new plan's prices (built-in or a tariff row from 2024-03-28) do not apply
        return ("ES-1: this subscription follows the legacy eSign plan (bought or trialled "
                "before 2024-03-28), whose prices are not in the document - give unit_price")
    if row.price_problem:
        return row.price_problem
    if qualified:
        s.bought_q += row.qty
    else:
        s.bought_e += row.qty
    return ""


def _use(s: _Sub, qualified: bool, qty: int) -> str:
    if s.licences <= 0:
        return "ES-7: signatures cannot be used without licences - add a 'licences' row"
    free, bought = (s.free_q, s.bought_q) if qualified else (s.free_e, s.bought_e)
    if qty > free + bought:
        return (f"ES-8: the quota is used up - {free + bought} "
                f"{'qualified' if qualified else 'electronic'} signature(s) left, "
                f"{qty} requested; buy more")
    from_free = min(qty, free)  # decision: free signatures first, then bought ones
    if qualified:
        s.free_q, s.bought_q = free - from_free, bought - (qty - from_free)
    else:
        s.free_e, s.bought_e = free - from_free, bought - (qty - from_free)
    return ""
