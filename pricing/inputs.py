"""Reading engine arguments as Excel hands them over: codes, numbers, dates, prices by day.

Shared by the price-list modules (msign, nensi). Each helper works on the argument's own
shape (numpy broadcasts later) and reports bad elements in a ``Validity`` instead of raising.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from pricing import money
from pricing.catalog import Catalog, TariffTable
from pricing.validity import Validity

UNKNOWN = 255  # code_index's "not a known code"

class _CodeTable(dict):
    """raw cell value -> code index; unseen values are normalised once (strip, lower)."""

    def __init__(self, known: tuple[str, ...], normalize, empty_index: int = UNKNOWN) -> None:
        super().__init__()
        self._known = {k: i for i, k in enumerate(known)}
        self._normalize = normalize
        self._empty = empty_index

    def __missing__(self, key: object) -> int:
        if isinstance(key, str):
            code = self._normalize(key)
            index = self._known.get(code, self._empty if code == "" else UNKNOWN)
        elif key is None or (isinstance(key, float) and key != key):
            index = self._empty  # an empty cell
        else:
            index = UNKNOWN
        self[key] = index
        return index


def _plain(text: str) -> str:
    return text.strip().lower()


def code_index(values: object, known: tuple[str, ...], normalize=_plain,
               empty_index: int = UNKNOWN) -> np.ndarray:
    """uint8 index into ``known`` for each code (case-insensitive), 255 = unknown.

    Works on the argument's own shape (broadcast later); a dictionary lookup per element,
    normalising each distinct spelling once.
    """
    arr = np.asarray(values)
    table = _CodeTable(known, normalize, empty_index)
    # an object column (text cells as a worksheet hands them over) is read directly: each
    # cell is a separate object in memory, and tolist() would visit all of them once more
    flat = arr.reshape(-1) if arr.dtype == object else arr.reshape(-1).tolist()
    try:
        raw = bytearray(map(table.__getitem__, flat))  # a little faster than bytes()
    except TypeError:  # an unhashable cell value: slow path
        raw = bytearray(table[v] if _hashable(v) else UNKNOWN for v in flat)
    return np.frombuffer(raw, dtype=np.uint8).reshape(arr.shape)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _all_ok() -> Validity:
    """A 0-d validity with no failure: "nothing to merge", without a full-size reason array."""
    return Validity(())



def floats(values: object, what: str) -> tuple[np.ndarray, Validity]:
    """float64 at the argument's own shape; non-numbers become NaN and are marked bad.

    The validity is 0-d and all-ok when every cell converted (it broadcasts)."""
    try:
        x = np.asarray(values, dtype=np.float64)
        return x, _all_ok()
    except (TypeError, ValueError):
        arr = np.asarray(values, dtype=object)
        v = Validity(arr.shape)
        x = np.full(arr.shape, np.nan)
        bad = np.zeros(arr.shape, dtype=bool)
        for i, cell in enumerate(arr.reshape(-1).tolist()):
            if isinstance(cell, (int, float, np.number)) and not isinstance(cell, bool):
                x.reshape(-1)[i] = float(cell)
            else:
                bad.reshape(-1)[i] = True
        v.fail(bad, f"{what} must be a number")
        return x, v


def whole(x: np.ndarray, what: str, minimum: int = 0) -> tuple[np.ndarray, Validity]:
    """Whole numbers >= ``minimum`` as int64, read exactly as ``money.to_scaled`` reads them.

    Returns ``(values, validity)`` at the argument's own shape (``values`` is always a
    fresh array the caller may write to).
    """
    fast = whole_fast(x, minimum)
    if fast is not None:
        return fast, Validity(fast.shape)
    v = Validity(np.shape(x))
    v.fail(np.isnan(x), f"{what} is empty or not a number")
    out = money.to_scaled(x, 0, what, v)
    v.fail(out < minimum, f"{what} must not be negative" if minimum == 0
           else f"{what} must be at least {minimum}")
    return out, v


# Below 10**15 a whole float is its own shortest text with at most 15 significant digits,
# which is exactly what ``money.to_scaled(x, 0, ...)`` reads it as.
_WHOLE_FAST_LIMIT = 1e15


def whole_fast(x: object, minimum: int = 0, skip: np.ndarray | None = None
               ) -> np.ndarray | None:
    """``whole``'s all-valid case in a few vectorised passes: the int64 values when every
    element of a float64 array is a whole number in ``[minimum, 10**15)``, else None (the
    caller then takes the exact path of ``whole``, which finds and names the bad ones).

    Elements where ``skip`` (same shape as ``x``) is true are not read: they hold 0.
    Returns a fresh array the caller may write to.
    """
    arr = np.asarray(x)
    if arr.dtype != np.float64 or minimum <= -_WHOLE_FAST_LIMIT or (
            skip is not None and skip.shape != arr.shape):
        return None
    if arr.size == 0:
        return arr.astype(np.int64)
    with np.errstate(invalid="ignore"):  # NaN / inf / huge cast to garbage: refused below
        n = arr.astype(np.int64)
        exact = np.equal(n, arr)  # the int64 -> float64 comparison is exact below 2**53
    if skip is not None:
        exact |= skip
    # min/max propagate NaN, which fails both comparisons (skipped elements are bounded
    # too: a column whose skipped cells are NaN, negative or huge takes the exact path)
    if not (arr.min() >= minimum and arr.max() < _WHOLE_FAST_LIMIT and exact.all()):
        return None
    if skip is not None:
        np.multiply(n, ~skip, out=n)
    return n


def dates(values: object) -> np.ndarray:
    """datetime64[D] at the argument's own shape (Python dates, ISO text, datetime64)."""
    if isinstance(values, dt.datetime):
        values = values.date()
    return np.asarray(values, dtype="datetime64[D]")


def today() -> np.datetime64:
    return np.datetime64(dt.date.today(), "D")


def price_table(codes: tuple[str, ...], days: np.ndarray, catalog: Catalog,
                tariff: TariffTable | None) -> tuple[np.ndarray, np.ndarray, Validity]:
    """Prices of every code on every distinct day, looked up once per (code, day).

    Returns ``(table, day_index, table_validity)``: ``table[c, day_index]`` is the price of
    code ``c`` on the element's day (table shape (len(codes), distinct days)); ``day_index``
    has the shape of ``days``. NaT days get index 0 and must be failed by the caller.
    """
    d = np.asarray(days, dtype="datetime64[D]")
    nat = np.isnat(d)
    ints = d.astype(np.int64)
    if d.ndim == 0 or d.size == 0:
        uniq = d.reshape(-1)[:1] if d.size else np.array([today()], dtype="datetime64[D]")
        index = np.zeros(d.shape, dtype=np.intp)
    else:
        good = ints[~nat]
        lo, hi = (int(good.min()), int(good.max())) if good.size else (0, 0)
        if hi - lo < 4096:  # a dense day range (about 11 years): no sort needed
            uniq = np.arange(lo, hi + 1).astype("datetime64[D]")
            index = np.where(nat, 0, ints - lo)
        else:
            uniq, index = np.unique(np.where(nat, lo, ints), return_inverse=True)
            uniq = uniq.astype("datetime64[D]")
            index = index.reshape(d.shape)
    if np.isnat(uniq).any():
        uniq = np.where(np.isnat(uniq), today(), uniq)
    tv = Validity((len(codes), uniq.size))
    table = catalog.prices(np.array(codes, dtype=object)[:, None], uniq[None, :], tv, tariff)
    return table, index, tv


def fail_each(validity: Validity, bad: np.ndarray, messages) -> None:
    """Fail ``bad`` elements with a message computed per element by ``messages(flat_idx)``
    (only for elements not already failed: the first reason wins)."""
    bad = np.broadcast_to(bad, validity.shape) & validity.ok
    if not bad.any():
        return
    where = np.flatnonzero(bad)
    msg = np.empty(validity.shape, dtype=object)
    msg.reshape(-1)[where] = [messages(int(i)) for i in where]
    validity.fail(bad, msg)


