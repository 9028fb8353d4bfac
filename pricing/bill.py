"""Bill lines and document totals: net per VAT rate, VAT per rate, gross.

RULES.md "Money, for all three": a line amount is quantity x unit price rounded half-up to
the cent once per line (EN 16931 BT-131); a document's net total is the sum of its rounded
lines; VAT is computed per VAT rate on that rate's net total and rounded half-up to the cent
(EN 16931 BR-CO-17) -- never per line and then summed.

VAT rates are percent numbers written as decimal text: "22" is 22 %. A number strictly between
0 and 1 is refused: it is what a percent-formatted Excel cell holds (22 % is stored as 0.22),
and no EU VAT rate is below 1 %, so we say so rather than guess which was meant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np

from pricing import money
from pricing.validity import Validity

DEFAULT_VAT_RATES: Mapping[str, str] = {"SI": "22", "SI_REDUCED": "9.5", "DE": "19"}

# VAT rates carry up to 4 decimals in the vectorised helper (rate x 10**4 as an integer).
_RATE_PLACES = 4
_RATE_SCALE = 10**_RATE_PLACES
_INT_LIMIT = 2**62


def normalize_rate(rate: str | int | float | Decimal) -> str:
    """A VAT rate as canonical percent text: "22.0" -> "22", "9.50" -> "9.5", "DE" -> "19".

    Accepts a number, decimal text (a trailing "%" and a decimal comma are allowed) or a key of
    ``DEFAULT_VAT_RATES``. Raises ValueError for anything else, negative rates and rates
    strictly between 0 and 1 (a percent-formatted cell: write 22 for 22 %).
    """
    if isinstance(rate, bool):
        raise ValueError(f"VAT rate must be a number, got {rate!r}")
    if isinstance(rate, float):
        if not np.isfinite(rate):
            raise ValueError(f"VAT rate must be a finite number, got {rate!r}")
        text = repr(float(rate))  # shortest decimal text, never the binary value
    else:
        text = str(rate).strip()
    key = text.upper()
    if key in DEFAULT_VAT_RATES:
        text = DEFAULT_VAT_RATES[key]
    text = text.removesuffix("%").strip().replace(",", ".")
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"VAT rate {rate!r} is not a number") from None
    if not d.is_finite():
        raise ValueError(f"VAT rate must be a finite number, got {rate!r}")
    if d < 0:
        raise ValueError(f"VAT rate must not be negative, got {rate!r}")
    if 0 < d < 1:
        raise ValueError(f"VAT rate {rate!r} looks like a percent-formatted cell: "
                         "rates are percent numbers, write 22 for 22 %")
    if d != d.quantize(Decimal(1).scaleb(-_RATE_PLACES), rounding="ROUND_DOWN"):
        raise ValueError(f"VAT rate {rate!r} has more than {_RATE_PLACES} decimals")
    return format(d.normalize(), "f")


def _half_up(num: int, den: int) -> int:
    """``num / den`` half away from zero through money's one rounding policy (int64)."""
    if abs(num) >= _INT_LIMIT or den >= _INT_LIMIT:
        raise ValueError("amount is too large to compute exactly")
    return int(money.round_div_half_up(np.int64(num), den))


@dataclass(frozen=True)
class Line:
    """One bill line: rule ID, description, quantity, unit price, rounded amount, VAT rate.

    ``unit_price_e4`` is in ten-thousandths of a euro, ``amount_cents`` in cents (the line's
    rounded amount, which may differ from quantity x price where a rule prorates, e.g. ES-15).
    ``vat_rate`` is canonical percent text (see ``normalize_rate``).
    """

    rule: str
    description: str
    quantity: Decimal
    unit_price_e4: int
    amount_cents: int
    vat_rate: str = "22"

    def __post_init__(self) -> None:
        q = self.quantity
        if isinstance(q, float):
            q = Decimal(repr(float(q)))  # np.float64 too: its repr is not a number
        elif not isinstance(q, Decimal):
            q = Decimal(str(q))
        if not q.is_finite():
            raise ValueError(f"line quantity must be finite, got {self.quantity!r}")
        object.__setattr__(self, "quantity", q)
        for name in ("unit_price_e4", "amount_cents"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{name} must be an integer, got {value!r}")
            object.__setattr__(self, name, int(value))
        object.__setattr__(self, "vat_rate", normalize_rate(self.vat_rate))

    @classmethod
    def priced(cls, rule: str, description: str, quantity: Decimal | int | str,
               unit_price_e4: int, vat_rate: str = "22") -> Line:
        """A line whose amount is quantity x unit price, rounded half-up to the cent once."""
        q = Decimal(str(quantity)) if not isinstance(quantity, Decimal) else quantity
        if not q.is_finite():
            raise ValueError(f"line quantity must be finite, got {quantity!r}")
        sign, digits, exp = q.as_tuple()
        mantissa = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        num = mantissa * int(unit_price_e4)
        den = money.CENT_PER_PRICE_UNIT
        if exp >= 0:
            num *= 10**exp
        else:
            den *= 10**-exp
        return cls(rule, description, q, int(unit_price_e4), _half_up(num, den), vat_rate)

    @property
    def amount(self) -> Decimal:
        return money.cents_to_decimal(self.amount_cents)

    @property
    def unit_price(self) -> Decimal:
        return money.price_to_decimal(self.unit_price_e4)


@dataclass(frozen=True)
class RateTotal:
    """One VAT rate's net total and the VAT on it (cents)."""

    rate: str
    net_cents: int
    vat_cents: int

    @property
    def gross_cents(self) -> int:
        return self.net_cents + self.vat_cents


@dataclass(frozen=True)
class Totals:
    """A document's totals: per VAT rate (highest rate first), and overall (cents)."""

    by_rate: tuple[RateTotal, ...]
    net_cents: int
    vat_cents: int
    gross_cents: int

    @property
    def net_by_rate(self) -> dict[str, int]:
        return {r.rate: r.net_cents for r in self.by_rate}

    @property
    def vat_by_rate(self) -> dict[str, int]:
        return {r.rate: r.vat_cents for r in self.by_rate}


def totals(lines: Iterable[Line]) -> Totals:
    """Net per VAT rate (sum of rounded lines), VAT per rate on that net (BR-CO-17), gross."""
    net: dict[str, int] = {}
    for line in lines:
        net[line.vat_rate] = net.get(line.vat_rate, 0) + line.amount_cents
    by_rate = tuple(
        RateTotal(rate, n, money.vat_cents(n, rate))
        for rate, n in sorted(net.items(), key=lambda kv: Decimal(kv[0]), reverse=True)
    )
    net_total = sum(r.net_cents for r in by_rate)
    vat_total = sum(r.vat_cents for r in by_rate)
    return Totals(by_rate, net_total, vat_total, net_total + vat_total)


def vat_totals(amount_cents: np.ndarray, rates: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised totals for the worksheet: group line amounts by VAT rate.

    ``amount_cents`` int64 line amounts (already rounded), ``rates`` per line (percent numbers
    as floats from Excel, or text such as "22", "9,5 %", "SI"); both broadcast. Returns
    ``(rates, net_cents, vat_cents)``: the distinct canonical rates (str, highest first), each
    rate's net total and its VAT rounded half-up on that total (BR-CO-17).

    A total over a bad line cannot be right, so a bad rate (text that is no rate, NaN, a
    negative or percent-formatted value) raises ValueError naming the first bad row: the
    caller shows the whole total as an error, never a total that silently skips a line.
    """
    amounts = np.asarray(amount_cents)
    if amounts.dtype.kind not in "iu":
        raise TypeError("amount_cents must be integer cents")
    shape = np.broadcast_shapes(amounts.shape, np.shape(rates))
    amounts = np.broadcast_to(amounts.astype(np.int64), shape).reshape(-1)
    rate_e4 = _rates_e4(np.broadcast_to(np.asarray(rates), shape).reshape(-1))
    keys, inverse = np.unique(-rate_e4, return_inverse=True)  # highest rate first
    order = np.argsort(inverse, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0]) if order.size else order
    if np.abs(amounts).sum(dtype=np.float64) >= _INT_LIMIT:
        raise ValueError("total is too large to compute exactly")
    net = (np.add.reduceat(amounts[order], starts) if order.size
           else np.zeros(0, dtype=np.int64))
    rate_keys = -keys
    v = Validity(net.shape)
    raw = money.checked_product([net, rate_keys], v, "VAT")
    if not v.all_ok:
        raise ValueError("VAT is too large to compute exactly")
    vat = money.round_div_half_up(raw, 100 * _RATE_SCALE)
    texts = np.array([format((Decimal(int(k)) / _RATE_SCALE).normalize(), "f")
                      for k in rate_keys], dtype=object)
    return texts, net.astype(np.int64), vat.astype(np.int64)


def _rates_e4(rates: np.ndarray) -> np.ndarray:
    """Per-line VAT rate x 10**4 as int64 (exact); ValueError naming the first bad row."""
    if rates.dtype.kind in "iuf":
        floats = rates.astype(np.float64)
        v = Validity(floats.shape)
        out = money.to_scaled(floats, _RATE_PLACES, "VAT rate", v)
        v.fail(out < 0, "VAT rate must not be negative")
        v.fail((out > 0) & (out < _RATE_SCALE),
               "VAT rate looks like a percent-formatted cell: write 22 for 22 %")
        if not v.all_ok:
            row = int(np.flatnonzero(~v.ok)[0])
            raise ValueError(f"row {row + 1}: {v.reason[row]}")
        return out
    out = np.empty(rates.shape, dtype=np.int64)
    cache: dict[object, int] = {}
    for i, r in enumerate(rates.tolist()):
        try:
            if r not in cache:
                cache[r] = int(Decimal(normalize_rate(r)).scaleb(_RATE_PLACES))
        except (ValueError, TypeError) as e:
            raise ValueError(f"row {i + 1}: {e}") from None
        out[i] = cache[r]
    return out
