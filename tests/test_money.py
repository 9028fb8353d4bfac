"""Exact money (RULES.md "Money, for all three"; DESIGN.md "Money").

Every money function is checked against a slow Decimal reference written here, including
half-cent edges, zero, quantities up to 10**9 and prices with four decimals.
"""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pricing import money
from pricing.validity import Validity

CENT = Decimal("0.01")


# --- the slow reference -------------------------------------------------------------------

def ref_line(quantity: Decimal, price: Decimal) -> Decimal:
    """quantity x price, rounded half away from zero to the cent (Excel's ROUND)."""
    return (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)


def ref_div(num: int, den: int) -> int:
    """num / den rounded half away from zero."""
    q = Fraction(num, den)
    mag = abs(q)
    whole = int(mag)
    if mag - whole >= Fraction(1, 2):
        whole += 1
    return whole if q >= 0 else -whole


def ref_read(value: float) -> Decimal:
    """A float from Excel: its shortest text, or at 15 significant digits where that is longer
    (Excel's precision: =0.1+0.2 is 0.3)."""
    text = repr(value)
    digits = text.split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    return Decimal(text if len(digits) <= 15 else f"{value:.15g}")


def cents(d: Decimal) -> int:
    return int(d / CENT)


# --- hand-checked examples ----------------------------------------------------------------

def test_shortest_text_not_binary_value():
    # 2.675 is stored as 2.67499999999999982236431605997495353221893310546875; Excel shows
    # and rounds 2.675, and so do we: 1 x 2.675 -> 2.68.
    v = Validity((1,))
    price = money.to_scaled(np.array([2.675]), 4, "price", v)
    assert price.tolist() == [26750]
    assert money.line_cents(np.array([1]), price, v).tolist() == [268]
    assert v.all_ok


def test_nensi_entry_price_four_decimals():
    # NE-8: 3 x 22.2790 = 66.8370 -> 66.84
    v = Validity((1,))
    price = money.decimal_to_scaled("22.2790")
    assert price == 222790
    assert money.line_cents(np.array([3]), np.array([price]), v).tolist() == [6684]


def test_half_cent_rounds_away_from_zero():
    v = Validity((4,))
    # 0.0050 -> 0.01, 0.0149 -> 0.01, -0.0050 -> -0.01, 0.0250 -> 0.03 (not banker's 0.02)
    got = money.line_cents(np.array([1, 1, -1, 1]), np.array([50, 149, 50, 250]), v)
    assert got.tolist() == [1, 1, -1, 3]


def test_vat_per_rate_on_net_total():
    # RULES.md money: VAT per rate on the rate's net total, half-up: 22 % of 100.01 = 22.0022
    assert money.vat_cents(10001, "22") == 2200
    # 9.5 % of 0.10 = 0.0095 -> 0.01
    assert money.vat_cents(10, "9.5") == 1
    # 19 % of 0.50 = 0.095 -> 0.10 (half-up)
    assert money.vat_cents(50, "19") == 10


def test_float_sums_are_read_at_excels_15_digits():
    # =0.1+0.2 is 0.30000000000000004 as a double; Excel shows (and means) 0.3
    v = Validity((3,))
    got = money.to_scaled(np.array([0.1 + 0.2, 4321 + 0.37, 1 / 3]), 4, "price", v)
    assert v.ok.tolist() == [True, True, False]
    assert got[:2].tolist() == [3000, 43213700]


def test_too_many_decimals_is_an_error_not_a_rounding():
    v = Validity((3,))
    got = money.to_scaled(np.array([0.27, 0.12345, 1.5]), 4, "unit price", v)
    assert v.ok.tolist() == [True, False, True]
    assert "at most 4 decimals" in v.reason[1]
    assert got[[0, 2]].tolist() == [2700, 15000]


def test_nan_and_infinity_are_errors():
    v = Validity((3,))
    money.to_scaled(np.array([np.nan, np.inf, -np.inf]), 0, "quantity", v)
    assert not v.ok.any()
    assert all("finite number" in r for r in v.reason)


def test_overflow_is_refused_not_wrapped():
    v = Validity((2,))
    got = money.line_cents(np.array([10**9, 10**15]), np.array([25000, 10**9]), v)
    # 10^9 x 2.5000 EUR = 2,500,000,000.00 EUR exactly
    assert got[0] == 250_000_000_000
    assert v.ok.tolist() == [True, False]
    assert "too large" in v.reason[1]


def test_amounts_in_excel_are_the_nearest_double_of_the_exact_decimal():
    assert money.cents_to_float(np.array([6684, 1, 10**15])).tolist() == [66.84, 0.01, 1e13]
    assert str(money.cents_to_decimal(6684)) == "66.84"
    assert str(money.price_to_decimal(222790)) == "22.2790"


# --- hypothesis against the Decimal reference ---------------------------------------------

prices = st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False)
quantities = st.integers(min_value=0, max_value=10**9)


@given(st.lists(st.tuples(quantities, prices), min_size=1, max_size=40))
def test_line_cents_matches_decimal_reference(rows):
    qty = np.array([q for q, _ in rows], dtype=np.int64)
    price = np.array([int(p * 10_000) for _, p in rows], dtype=np.int64)
    v = Validity(qty.shape)
    got = money.line_cents(qty, price, v)
    assert v.all_ok
    want = [cents(ref_line(Decimal(q), p)) for q, p in rows]
    assert got.tolist() == want


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6))
def test_half_cent_edges(whole_cents, qty):
    # a price of exactly x.xx50 per unit puts every odd quantity on a half cent
    price = Decimal(whole_cents) / 100 + Decimal("0.0050")
    v = Validity((1,))
    got = money.line_cents(np.array([qty]), np.array([int(price * 10_000)]), v)
    assert got.tolist() == [cents(ref_line(Decimal(qty), price))]


@given(st.lists(st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False),
                min_size=1, max_size=40))
def test_to_scaled_reads_floats_by_their_shortest_text(decimals):
    floats = np.array([float(d) for d in decimals])
    v = Validity(floats.shape)
    got = money.to_scaled(floats, 4, "price", v)
    assert v.all_ok
    # the reference: Decimal of repr(float), scaled
    assert got.tolist() == [int(Decimal(repr(float(d))) * 10_000) for d in decimals]


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=40),
       st.integers(min_value=0, max_value=6))
def test_to_scaled_any_float(floats, places):
    x = np.array(floats, dtype=np.float64)
    v = Validity(x.shape)
    got = money.to_scaled(x, places, "value", v)
    for value, g, ok in zip(floats, got, v.ok, strict=True):
        if not np.isfinite(value):
            assert not ok
            continue
        scaled = ref_read(value).scaleb(places)
        exact = scaled == scaled.to_integral_value() and abs(scaled) < 2**62
        assert ok == exact, value
        if not ok and scaled == scaled.to_integral_value():
            assert "too large" in v.reason[floats.index(value)]
        if ok:
            assert int(g) == int(scaled)


@given(st.integers(min_value=-(10**15), max_value=10**15),
       st.integers(min_value=1, max_value=10**6))
def test_round_div_half_up_matches_fraction(num, den):
    got = money.round_div_half_up(np.array([num]), den)
    assert got.tolist() == [ref_div(num, den)]


@given(st.integers(min_value=-(10**12), max_value=10**12),
       st.sampled_from(["22", "9.5", "19", "0", "5.5", "8.1"]))
def test_vat_matches_decimal_reference(net, rate):
    want = (Decimal(net) * Decimal(rate) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert money.vat_cents(net, rate) == int(want)


def test_scalars_take_the_same_paths_as_arrays():
    # a single Excel cell arrives as a 0-d value; the slow exact path must handle it too
    v = Validity(())
    assert int(money.to_scaled(np.float64(1e15), 4, "price", v)) == 0
    assert not v.ok and "too large" in v.reason[()]
    v = Validity(())
    assert int(money.to_scaled(np.float64(0.3), 4, "price", v)) == 3000
    assert v.ok
