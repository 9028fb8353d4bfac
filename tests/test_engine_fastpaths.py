"""The engine's fast paths (bench/engine.md) against the exact slow path and Decimal.

* ``inputs.whole_fast``: the all-valid shortcut of ``inputs.whole``; where it answers, it must
  give exactly what ``money.to_scaled(x, 0)`` reads, and it must refuse everything else.
* ``money.line_cents``: the in-place half-up division against Decimal ROUND_HALF_UP.
* ``msign.overage`` / ``msign.billable`` / ``nensi.maintenance``: with the shortcut switched
  off (the exact path only) the results -- values, ok and every reason -- are the same, and
  on valid data the cents equal a plain Decimal loop.
"""

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import inputs, money, msign, nensi
from pricing.validity import Validity

CENT = Decimal("0.01")
PRICE = {"transaction": "0.27", "onesign": "0.69", "rekono_qes": "1.18", "rekono_aes": "0.80",
         "user": "6.00", "api": "100.00", "storage_gb": "3.30"}

# floats as worksheet cells hold them, with the awkward ones in
cells = st.one_of(
    st.integers(-5, 10**6).map(float),
    st.integers(0, 10**6).map(lambda k: k / 100),
    st.sampled_from([0.0, -0.0, 1.5, 2.675, 0.1 + 0.2, 3.0000000000000004, 1e15 - 1, 1e15,
                     1e15 + 2, 2.0**53, 2.0**63, -(2.0**63), 1e300, float("nan"),
                     float("inf"), float("-inf"), 4321.37]),
    st.floats(allow_nan=True, allow_infinity=True),
)
columns = st.lists(cells, min_size=1, max_size=40).map(np.array)


def _slow_whole(x, minimum):
    v = Validity(np.shape(x))
    v.fail(np.isnan(x), "nan")
    out = money.to_scaled(x, 0, "x", v)
    v.fail(out < minimum, "below")
    return out, v


@settings(max_examples=300, deadline=None)
@given(columns, st.sampled_from([0, 1]))
def test_whole_fast_agrees_with_the_exact_parse(x, minimum):
    fast = inputs.whole_fast(x, minimum)
    slow, v = _slow_whole(x, minimum)
    if fast is not None:
        assert v.all_ok
        assert fast.dtype == np.int64 and fast.shape == x.shape
        assert fast.tolist() == slow.tolist()
    # the shortcut may decline valid columns (they then take the exact path), but it never
    # declines a column of plain whole numbers below 10**15
    if np.all(np.isfinite(x)) and np.all(x == np.trunc(x)) and np.all(x >= minimum) and \
            np.all(x < 1e15):
        assert fast is not None


@settings(max_examples=200, deadline=None)
@given(columns, st.data())
def test_whole_fast_skip_reads_only_the_others(x, data):
    skip = np.array(data.draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size)),
                    dtype=bool)
    fast = inputs.whole_fast(x, 0, skip)
    slow, v = _slow_whole(np.where(skip, 0.0, x), 0)
    if fast is not None:
        assert v.all_ok
        assert fast.tolist() == slow.tolist()
        assert (fast[skip] == 0).all()


def test_whole_still_reports_what_the_fast_path_declines():
    x = np.array([1.0, 1.5, -1.0, np.nan, np.inf, 1e15 + 2, 3.0000000000000004])
    n, v = inputs.whole(x, "n")
    assert v.ok.tolist() == [True, False, False, False, False, True, True]
    assert n[[0, 5, 6]].tolist() == [1, 10**15, 3]  # read at 15 significant digits
    assert v.reason[1] == "n must be a whole number"
    assert v.reason[2] == "n must not be negative"
    assert v.reason[3] == "n is empty or not a number"
    assert v.reason[4] == "n must be a finite number"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**7)), min_size=1,
                max_size=30), st.sampled_from([1, 3, 1000, 10**9]))
def test_line_cents_matches_decimal_half_up(rows, scale):
    q = np.array([r[0] for r in rows], dtype=np.int64)
    p = np.array([r[1] for r in rows], dtype=np.int64)
    v = Validity(q.shape)
    got = money.line_cents(q, p, v, quantity_scale=scale)
    want = [int((Decimal(a) * Decimal(b) / (100 * scale)).quantize(Decimal(1), ROUND_HALF_UP))
            for a, b in rows]
    assert v.all_ok and got.tolist() == want
    # a 0-d price broadcasts (one price for the whole column), inputs are left alone
    q_before = q.copy()
    got0 = money.line_cents(q, p[0], Validity(q.shape), quantity_scale=scale)
    assert got0.tolist() == [int((Decimal(int(a)) * Decimal(int(p[0])) / (100 * scale))
                                 .quantize(Decimal(1), ROUND_HALF_UP)) for a in q.tolist()]
    assert q.tolist() == q_before.tolist()


def _exact_only(monkeypatch):
    monkeypatch.setattr(inputs, "whole_fast", lambda *a, **k: None)
    monkeypatch.setattr(msign, "whole_fast", lambda *a, **k: None)


def _same(a, b):
    assert np.shape(a.values) == np.shape(b.values)
    assert np.asarray(a.ok).tolist() == np.asarray(b.ok).tolist()
    assert np.asarray(a.reason).tolist() == np.asarray(b.reason).tolist()
    good = np.asarray(a.ok)
    assert np.asarray(a.values)[good].tolist() == np.asarray(b.values)[good].tolist()


items = st.sampled_from(list(msign.ITEMS) + ["Transaction ", "bogus", "", None])
packages = st.sampled_from(["", "SMART", "mSign Enterprise", "basic", "nope"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(items, cells, cells), min_size=1, max_size=25), packages,
       st.booleans())
def test_msign_fast_path_equals_exact_path(rows, package, scalar_included):
    item = np.array([r[0] for r in rows], dtype=object)
    used = np.array([r[1] for r in rows])
    included = np.float64(rows[0][2]) if scalar_included else np.array([r[2] for r in rows])
    with np.errstate(all="ignore"):
        fast = msign.overage(item, used, included, package, date="2026-06-15")
        fast_b = msign.billable(item, used, included, package)
        with pytest.MonkeyPatch.context() as mp:
            _exact_only(mp)
            slow = msign.overage(item, used, included, package, date="2026-06-15")
            slow_b = msign.billable(item, used, included, package)
    _same(fast, slow)
    _same(fast_b, slow_b)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(list(msign.ITEMS)), cells, cells, packages)
def test_msign_scalar_call_fast_equals_exact(item, used, included, package):
    with np.errstate(all="ignore"):
        fast = msign.overage(item, used, included, package)
        fast_b = msign.billable(item, used, included, package)
        with pytest.MonkeyPatch.context() as mp:
            _exact_only(mp)
            slow = msign.overage(item, used, included, package)
            slow_b = msign.billable(item, used, included, package)
    _same(fast, slow)
    _same(fast_b, slow_b)
    assert type(fast.values) is type(slow.values)
    assert type(fast_b.values) is type(slow_b.values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(PRICE)), st.integers(0, 10**6),
                          st.integers(0, 10**6), st.integers(0, 99)), min_size=1,
                max_size=40))
def test_msign_mixed_column_matches_decimal(rows):
    item = np.array([r[0] for r in rows], dtype=object)
    used = np.array([(u * 100 + h) / 100 if it == "storage_gb" else float(u)
                     for it, u, _, h in rows])
    included = np.array([float(r[2]) for r in rows])
    got = msign.overage(item, used, included, "SMART", date="2026-06-15")
    assert got.ok.all(), got.reason
    want = []
    for it, u, i in zip(item.tolist(), used.tolist(), included.tolist(), strict=True):
        excess = max(Decimal(0), Decimal(repr(u)) - Decimal(repr(i)))
        if it == "storage_gb":
            excess = excess.to_integral_value(rounding=ROUND_CEILING)
        want.append(int((excess * Decimal(PRICE[it])).quantize(CENT, ROUND_HALF_UP) / CENT))
    assert got.values.tolist() == want


days = st.integers(0, 4000).map(lambda k: np.datetime64("2018-01-01", "D") + k)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(days, cells, st.one_of(st.none(), days)), min_size=1, max_size=30),
       days)
def test_maintenance_fast_path_equals_exact_path(rows, billing):
    entry = np.array([r[0] for r in rows], dtype="datetime64[D]")
    products = np.array([r[1] for r in rows])
    active = np.array([np.datetime64("NaT") if r[2] is None else r[2] for r in rows],
                      dtype="datetime64[D]")
    for args in ((entry, billing, products), (entry, billing, products, active),
                 (entry, billing, products[0]), (entry[0], billing, products)):
        with np.errstate(all="ignore"):
            fast = nensi.maintenance(*args)
            with pytest.MonkeyPatch.context() as mp:
                _exact_only(mp)
                slow = nensi.maintenance(*args)
        _same(fast, slow)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(days, st.integers(0, 10**6)), min_size=1, max_size=40),
       st.integers(0, 2500).map(lambda k: np.datetime64("2020-01-01", "D") + k))
def test_maintenance_column_matches_decimal(rows, billing):
    entry = np.array([r[0] for r in rows], dtype="datetime64[D]")
    products = np.array([float(r[1]) for r in rows])
    got = nensi.maintenance(entry, billing, products)
    assert got.ok.all(), got.reason
    month = billing.astype("datetime64[M]")
    want = []
    for e, q in rows:
        due = e.astype("datetime64[M]") < month
        amount = Decimal(q) * Decimal("1.1140") if due else Decimal(0)
        want.append(int(amount.quantize(CENT, ROUND_HALF_UP) / CENT))
    assert got.values.tolist() == want
    assert products.tolist() == [float(r[1]) for r in rows]  # the input is not written to


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=30),
       st.integers(0, 10**7), st.booleans())
def test_line_cents_overwrite_gives_the_same_cents(q, price, scalar_price):
    q = np.array(q, dtype=np.int64)
    p = np.int64(price) if scalar_price else np.full(q.shape, price, dtype=np.int64)
    want = money.line_cents(q, p, Validity(q.shape))
    scratch = q.copy()
    got = money.line_cents(scratch, p, Validity(q.shape), overwrite=True)
    assert got.tolist() == want.tolist()
    assert got is scratch  # the result went into the caller's scratch array
