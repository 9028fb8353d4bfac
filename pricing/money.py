"""Exact money: the one rounding policy of Tarifa, in one place.

Inside the engine money is an integer:

* unit prices in ten-thousandths of a euro (``PRICE_SCALE`` = 10_000; 22.2790 EUR -> 222790),
* rounded amounts in cents.

A line amount is ``quantity x unit price`` rounded half-up (away from zero) to the cent,
once per line -- Excel's ROUND, EN 16931 BT-131.  Totals are sums of rounded lines; VAT is
computed per rate on the rate's net total (EN 16931 BR-CO-17).

A float that comes from Excel is read through its shortest decimal text (``repr``), never its
binary value: 2.675 is 2.675, so 1 x 2.675 rounds to 2.68 (``round(2.675, 2)`` gives 2.67).
Where that text has more than 15 significant digits -- the result of a float sum such as
``=0.1+0.2`` (0.30000000000000004) -- it is read at Excel's own precision of 15 significant
digits (0.3), which is also what the cell shows. (Decision of ours; see README "Money".)
Everything here is vectorised over numpy arrays; no binary float ever decides a cent.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import numpy as np

from pricing.validity import Validity

PRICE_PLACES = 4
PRICE_SCALE = 10**PRICE_PLACES
CENT_PER_PRICE_UNIT = PRICE_SCALE // 100

# int64 holds |v| < 9.22e18; we refuse anything whose exact result could come close.
_INT_LIMIT = 2**62

EXCEL_DIGITS = 15  # Excel keeps and shows 15 significant digits


def _fast_parse_limit(places: int) -> float:
    """Below this magnitude a float's ulp is finer than 10**-places, so at most one number
    with that many decimals reads back as it and the vectorised parse is exact."""
    return 2.0**51 / 10**places


def to_scaled(values: np.ndarray, places: int, what: str, validity: Validity) -> np.ndarray:
    """Exact integers ``values x 10**places`` from Excel floats, read by their shortest text
    (at most 15 significant digits, see the module docstring).

    An element whose text has more than ``places`` decimals is marked bad in ``validity``
    (the message names ``what``), as are NaN, infinities and numbers too large to compute
    exactly. Returns int64; bad elements hold 0 and must not be used.
    """
    x = np.asarray(values, dtype=np.float64)
    scale = float(10**places)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        n = np.rint(x * scale)
        back = n / scale
        finite = np.isfinite(x)
        below = finite & (np.abs(x) < _fast_parse_limit(places))
        # back is correctly rounded, so back == x means the decimal n/10**places reads back
        # as x; below the limit it is the only one with that many decimals, hence x's
        # shortest text (and with |n| < 10**15 it has at most 15 significant digits).
        exact = below & (back == x) & (np.abs(n) < 10.0**EXCEL_DIGITS)
        if exact.all():
            return n.astype(np.int64)
        # Only these can still be read with `places` decimals (at 15 significant digits, or
        # beyond the fast limit); everything else has too many decimals for sure.
        unit_15 = 10.0 ** (np.floor(np.log10(np.abs(x))) - (EXCEL_DIGITS - 1))
        maybe = ~exact & finite & (~below | (np.abs(x - back) <= unit_15))
    out = np.where(exact, n, 0).astype(np.int64)
    bad = ~exact & ~maybe
    huge = np.zeros(x.shape, dtype=bool)
    slow = np.flatnonzero(maybe)
    if slow.size:
        flat_x, flat_out = x.reshape(-1), out.reshape(-1)  # views, also for 0-d arrays
        flat_bad, flat_huge = bad.reshape(-1), huge.reshape(-1)
        for i in slow:
            scaled = _scaled_from_float(float(flat_x[i]), places)
            if scaled is None:
                flat_bad[i] = True
            elif abs(scaled) >= _INT_LIMIT:
                flat_huge[i] = True
            else:
                flat_out[i] = scaled
    validity.fail(~finite, f"{what} must be a finite number")
    validity.fail(huge, f"{what} is too large to compute exactly")
    validity.fail(bad, f"{what} must be a number with at most {places} decimals" if places
                  else f"{what} must be a whole number")
    return out


def read_decimal(value: float) -> Decimal:
    """One Excel float as the decimal Excel means: its shortest text, at most 15 digits."""
    d = Decimal(repr(value))
    if len(d.as_tuple().digits) > EXCEL_DIGITS:
        d = Decimal(format(value, f".{EXCEL_DIGITS}g"))
    return d


def _scaled_from_float(value: float, places: int) -> int | None:
    """Slow, exact path of ``to_scaled`` for one finite element."""
    try:
        d = read_decimal(value)
    except InvalidOperation:  # pragma: no cover - a finite float always has a decimal text
        return None
    scaled = d.scaleb(places)
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


def decimal_to_scaled(text: str | Decimal, places: int = PRICE_PLACES) -> int:
    """An exact decimal (TOML string such as "22.2790") as an integer x 10**places."""
    d = Decimal(text)
    scaled = d.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more than {places} decimals")
    return int(scaled)


def round_div_half_up(num: np.ndarray, den: np.ndarray | int) -> np.ndarray:
    """``num / den`` rounded half away from zero, exactly, for int64 arrays with den > 0."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    mag = (2 * np.abs(num) + den) // (2 * den)
    return np.where(num < 0, -mag, mag)


def checked_product(factors: list[np.ndarray], validity: Validity, what: str) -> np.ndarray:
    """Exact int64 product of non-negative-or-signed integer arrays, refusing overflow.

    Elements whose product would leave the safe int64 range are marked bad (never wrapped
    around, never silently clipped) and hold 0.
    """
    shape = np.broadcast_shapes(*(np.shape(f) for f in factors))
    estimate = np.ones(shape, dtype=np.float64)
    for f in factors:
        estimate = estimate * np.abs(np.asarray(f, dtype=np.float64))
    # float estimate is within a relative 1e-15 of the truth: a 2x margin is plenty.
    too_big = estimate >= _INT_LIMIT / 2
    if too_big.any():
        validity.fail(too_big, f"{what} is too large to compute exactly")
    product = np.ones(shape, dtype=np.int64)
    for f in factors:
        product = product * np.where(too_big, 0, np.asarray(f, dtype=np.int64))
    return product


def line_cents(quantity: np.ndarray, price_e4: np.ndarray, validity: Validity,
               quantity_scale: int = 1, *, overwrite: bool = False) -> np.ndarray:
    """Line amounts in cents: ``quantity x unit price`` rounded half-up to the cent.

    ``quantity`` is an exact integer array holding ``quantity x quantity_scale``;
    ``price_e4`` is in ten-thousandths of a euro. ``overwrite``: ``quantity`` is the
    caller's own scratch array and may receive the result (one array fewer to allocate).
    """
    q = np.asarray(quantity, dtype=np.int64)
    p = np.asarray(price_e4, dtype=np.int64)
    den = CENT_PER_PRICE_UNIT * quantity_scale
    if q.size and p.size and q.min() >= 0 and p.min() >= 0 and \
            int(q.max()) * int(p.max()) < _INT_LIMIT // 2:
        # all non-negative and safely inside int64: half-up is (2 raw + den) // (2 den),
        # i.e. (raw + den / 2) // den for an even den; computed in place in the one fresh
        # product array (each temporary of a million-row column costs about a millisecond)
        into = overwrite and q.ndim > 0 and q is quantity and \
            q.flags.writeable and q.shape == np.broadcast_shapes(q.shape, p.shape)
        out = np.multiply(q, p, out=q if into else None)
        out += den // 2  # den = 100 x quantity_scale is even
        out //= den
        return out
    raw = checked_product([q, p], validity, "amount")
    return round_div_half_up(raw, den)


def vat_cents(net_cents: int, rate_percent: str | Decimal) -> int:
    """VAT on one rate's net total, rounded half-up to the cent (EN 16931 BR-CO-17)."""
    rate = Decimal(str(rate_percent))
    if rate < 0:
        raise ValueError(f"VAT rate must not be negative, got {rate_percent}")
    exact = Decimal(net_cents) * rate / Decimal(100)
    return int(exact.to_integral_value(rounding="ROUND_HALF_UP"))


def cents_to_float(cents: np.ndarray) -> np.ndarray:
    """Cents as the float Excel shows: the nearest double to the exact decimal amount."""
    return np.asarray(cents, dtype=np.int64) / 100.0


def cents_to_decimal(cents: int) -> Decimal:
    """One amount in cents as an exact Decimal with two places."""
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def price_to_decimal(price_e4: int) -> Decimal:
    """One unit price in ten-thousandths of a euro as an exact Decimal with four places."""
    return (Decimal(int(price_e4)) / PRICE_SCALE).quantize(Decimal("0.0001"))


def format_eur(cents: int) -> str:
    """'1.234,56 EUR'-free plain text for reports: '1234.56'."""
    return f"{cents_to_decimal(cents):.2f}"
