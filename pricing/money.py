"""Exact money: the one rounding policy of Tarifa, in one place.

Inside the engine money is an integer:

* unit prices in ten-thousandths of a euro (``PRICE_SCALE`` = 10_000; 22.2790 EUR -> 222790),
* rounded amounts in cents.

A line amount is ``quantity x unit price`` rounded half-up (away from zero) to the cent,
once per line -- Excel's ROUND, EN 16931 BT-131.  Totals are sums of rounded lines; VAT is
computed per rate on the rate's net total (EN 16931 BR-CO-17).

A float that comes from Excel is read through its shortest decimal text (``repr``), never its
binary value: 2.675 is 2.675, so 1 x 2.675 rounds to 2.68 (``round(2.675, 2)`` gives 2.67).
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

def _fast_parse_limit(places: int) -> float:
    """Below this magnitude a float's ulp is finer than 10**-places, so at most one number
    with that many decimals reads back as it and the vectorised parse is exact."""
    return 2.0**51 / 10**places


def _pow10(places: int) -> int:
    return 10**places


def to_scaled(values: np.ndarray, places: int, what: str, validity: Validity) -> np.ndarray:
    """Exact integers ``values x 10**places`` from Excel floats, read by their shortest text.

    An element whose shortest decimal text has more than ``places`` decimals is marked bad
    in ``validity`` (message names ``what``), as are NaN and infinities. Returns int64; bad
    elements hold 0 and must not be used.
    """
    x = np.asarray(values, dtype=np.float64)
    scale = float(_pow10(places))
    with np.errstate(invalid="ignore", over="ignore"):
        n = np.rint(x * scale)
        # n / scale is correctly rounded, so equality means the decimal n/10**places is a
        # number that reads back as x; below the limit it is the only one with that
        # many decimals, hence equal to x's shortest text.
        fast = np.isfinite(x) & (np.abs(x) < _fast_parse_limit(places)) & (n / scale == x)
    out = np.zeros(x.shape, dtype=np.int64)
    out[fast] = n[fast].astype(np.int64)
    slow = np.flatnonzero(~fast)
    if slow.size:
        flat_x, flat_out = x.reshape(-1), out.reshape(-1)  # views, also for 0-d arrays
        bad = np.zeros(x.size, dtype=bool)
        huge = np.zeros(x.size, dtype=bool)
        for i in slow:
            scaled = _scaled_from_float(float(flat_x[i]), places)
            if scaled is None:
                bad[i] = True
            elif abs(scaled) >= _INT_LIMIT:
                huge[i] = True
            else:
                flat_out[i] = scaled
        validity.fail(huge.reshape(x.shape), f"{what} is too large to compute exactly")
        bad = bad.reshape(x.shape)
        if bad.any():
            validity.fail(
                bad,
                f"{what} must be a finite number with at most {places} decimals"
                if places
                else f"{what} must be a whole number",
            )
    return out


def _scaled_from_float(value: float, places: int) -> int | None:
    """Slow, exact path of ``to_scaled`` for one element (huge or many-decimal floats)."""
    if not np.isfinite(value):
        return None
    try:
        d = Decimal(repr(value))
    except InvalidOperation:  # pragma: no cover - repr of a finite float always parses
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
               quantity_scale: int = 1) -> np.ndarray:
    """Line amounts in cents: ``quantity x unit price`` rounded half-up to the cent.

    ``quantity`` is an exact integer array holding ``quantity x quantity_scale``;
    ``price_e4`` is in ten-thousandths of a euro.
    """
    raw = checked_product([quantity, price_e4], validity, "amount")
    return round_div_half_up(raw, CENT_PER_PRICE_UNIT * quantity_scale)


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
