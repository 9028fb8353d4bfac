"""Bill lines and totals (RULES.md "Money, for all three"; EN 16931 BT-131, BR-CO-17).

Hand-checked numbers first, then hypothesis against a slow Decimal reference written here.
"""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing import bill
from pricing.bill import Line

CENT = Decimal("0.01")


# --- the slow reference -------------------------------------------------------------------

def ref_line_cents(quantity: Decimal, price: Decimal) -> int:
    return int((quantity * price).quantize(CENT, rounding=ROUND_HALF_UP) / CENT)


def ref_totals(rows: list[tuple[int, str]]) -> tuple[dict[str, int], dict[str, int]]:
    """rows of (amount cents, rate) -> net and VAT per canonical rate, VAT on each net total."""
    net: dict[Decimal, int] = {}
    for amount, rate in rows:
        net[Decimal(rate)] = net.get(Decimal(rate), 0) + amount
    vat = {r: int((Decimal(n) * r / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
           for r, n in net.items()}
    key = lambda r: format(r.normalize(), "f")  # noqa: E731
    return {key(r): n for r, n in net.items()}, {key(r): v for r, v in vat.items()}


# --- hand-checked examples ----------------------------------------------------------------

def test_si_22_percent_on_100_01():
    # 22 % of 100.01 = 22.0022 -> 22.00; gross 122.01
    t = bill.totals([Line("MS-6", "mSign API", Decimal(1), 1000100, 10001)])
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (10001, 2200, 12201)
    assert t.net_by_rate == {"22": 10001}


def test_mixed_rates_each_rate_on_its_own_total():
    lines = [
        Line("MS-1", "transactions", Decimal(10), 2700, 270, "22"),     # 2.70 at 22 %
        Line("NE-8", "entries", Decimal(3), 222790, 6684, "9.5"),       # 66.84 at 9.5 %
        Line("ES-4", "licences", Decimal(2), 50000, 1000, "DE"),        # 10.00 at 19 %
        Line("MS-1", "transactions", Decimal(1), 2700, 27, "22.0"),     # 0.27 at 22 %
    ]
    t = bill.totals(lines)
    # 22 %: net 2.97 -> VAT 0.6534 -> 0.65; 19 %: 10.00 -> 1.90; 9.5 %: 66.84 -> 6.3498 -> 6.35
    assert [(r.rate, r.net_cents, r.vat_cents) for r in t.by_rate] == [
        ("22", 297, 65), ("19", 1000, 190), ("9.5", 6684, 635)]
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (7981, 890, 8871)


def test_vat_on_rate_total_not_per_line():
    # two lines of 0.07 at 22 %: per line 0.0154 -> 0.02 each = 0.04; on the rate's total
    # 0.14 x 22 % = 0.0308 -> 0.03 (BR-CO-17: this one).
    t = bill.totals([Line("MS-1", "x", Decimal(1), 700, 7)] * 2)
    assert t.vat_cents == 3
    assert sum(bill.totals([Line("MS-1", "x", Decimal(1), 700, 7)]).vat_cents
               for _ in range(2)) == 4


def test_half_cent_vat_rounds_up():
    # 19 % of 0.50 = 0.095 -> 0.10; 9.5 % of 0.10 = 0.0095 -> 0.01
    assert bill.totals([Line("x", "x", Decimal(1), 5000, 50, "19")]).vat_cents == 10
    assert bill.totals([Line("x", "x", Decimal(1), 1000, 10, "9.5")]).vat_cents == 1


def test_credit_lines_round_away_from_zero():
    # a credit of -0.50 at 19 %: -0.095 -> -0.10
    t = bill.totals([Line("x", "credit", Decimal(-1), 5000, -50, "19")])
    assert (t.net_cents, t.vat_cents, t.gross_cents) == (-50, -10, -60)


def test_empty_bill_is_zero():
    t = bill.totals([])
    assert (t.by_rate, t.net_cents, t.vat_cents, t.gross_cents) == ((), 0, 0, 0)


def test_default_rates():
    assert bill.DEFAULT_VAT_RATES == {"SI": "22", "SI_REDUCED": "9.5", "DE": "19"}
    assert Line("x", "x", Decimal(1), 0, 0, "si_reduced").vat_rate == "9.5"


def test_priced_line_rounds_once_half_up():
    # NE-8: 3 x 22.2790 = 66.837 -> 66.84
    line = Line.priced("NE-8", "entries", 3, 222790, "22")
    assert (line.amount_cents, line.quantity, str(line.amount)) == (6684, Decimal(3), "66.84")
    # MS-1: 0.5 x 0.27 = 0.135 -> 0.14 (half-up, not banker's 0.13)
    assert Line.priced("MS-1", "x", Decimal("0.5"), 2700).amount_cents == 14
    # 1e9 transactions x 0.27 = 270,000,000.00
    assert Line.priced("MS-1", "x", 10**9, 2700).amount_cents == 27_000_000_000
    # quantity with a positive exponent: 1E+3 x 0.30 = 300.00
    assert Line.priced("ES-7", "x", Decimal("1E+3"), 3000).amount_cents == 30000


def test_line_quantity_float_reads_shortest_text():
    assert Line("x", "x", 0.1, 0, 0).quantity == Decimal("0.1")


@pytest.mark.parametrize("rate", ["-1", "abc", "0.22", 0.22, float("nan"), "22.00001", True])
def test_bad_rates_are_refused(rate):
    with pytest.raises(ValueError):
        Line("x", "x", Decimal(1), 0, 0, rate)


def test_zero_rate_and_percent_text_are_rates():
    assert Line("x", "x", Decimal(1), 0, 0, "0").vat_rate == "0"
    assert Line("x", "x", Decimal(1), 0, 0, "9,5 %").vat_rate == "9.5"
    assert Line("x", "x", Decimal(1), 0, 0, 20).vat_rate == "20"


def test_amount_must_be_integer_cents():
    with pytest.raises(TypeError):
        Line("x", "x", Decimal(1), 2700, 2.7)


def test_too_large_priced_line_is_refused():
    with pytest.raises(ValueError, match="too large"):
        Line.priced("x", "x", 10**15, 10**9)


# --- the vectorised worksheet helper --------------------------------------------------------

def test_vat_totals_groups_by_rate():
    rates, net, vat = bill.vat_totals(np.array([270, 6684, 1000, 27]),
                                      np.array([22.0, 9.5, 19.0, 22.0]))
    assert rates.tolist() == ["22", "19", "9.5"]
    assert net.tolist() == [297, 1000, 6684]
    assert vat.tolist() == [65, 190, 635]


def test_vat_totals_text_rates_and_broadcast_scalar_rate():
    rates, net, vat = bill.vat_totals(np.array([10001]), "SI")
    assert (rates.tolist(), net.tolist(), vat.tolist()) == (["22"], [10001], [2200])
    rates, net, vat = bill.vat_totals(np.array([50, 50]), np.array(["19", "DE"], dtype=object))
    assert (rates.tolist(), net.tolist(), vat.tolist()) == (["19"], [100], [19])


def test_vat_totals_empty():
    rates, net, vat = bill.vat_totals(np.zeros(0, dtype=np.int64), np.zeros(0))
    assert (rates.size, net.size, vat.size) == (0, 0, 0)


@pytest.mark.parametrize("rates", [np.array([22.0, np.nan]), np.array([22.0, 0.22]),
                                   np.array(["22", "x"], dtype=object), np.array([22.0, -1.0])])
def test_vat_totals_bad_rate_names_the_row(rates):
    with pytest.raises(ValueError, match="row 2"):
        bill.vat_totals(np.array([100, 100]), rates)


def test_vat_totals_refuses_float_amounts():
    with pytest.raises(TypeError):
        bill.vat_totals(np.array([1.5]), np.array([22.0]))


# --- hypothesis against the Decimal reference ---------------------------------------------

rate_texts = st.sampled_from(["22", "9.5", "19", "0", "5.5", "8.1", "20", "2.1"])
amounts = st.integers(min_value=-(10**11), max_value=10**11)


@given(st.lists(st.tuples(amounts, rate_texts), max_size=30))
def test_totals_match_reference(rows):
    t = bill.totals([Line("x", "x", Decimal(1), 0, a, r) for a, r in rows])
    net, vat = ref_totals(rows)
    assert t.net_by_rate == net and t.vat_by_rate == vat
    assert t.net_cents == sum(a for a, _ in rows)
    assert t.gross_cents == t.net_cents + sum(vat.values())


@given(st.lists(st.tuples(amounts, rate_texts), min_size=1, max_size=30))
def test_vat_totals_match_totals(rows):
    a = np.array([x for x, _ in rows], dtype=np.int64)
    floats = np.array([float(r) for _, r in rows])
    rates, net, vat = bill.vat_totals(a, floats)
    t = bill.totals([Line("x", "x", Decimal(1), 0, x, r) for x, r in rows])
    assert rates.tolist() == [r.rate for r in t.by_rate]
    assert net.tolist() == [r.net_cents for r in t.by_rate]
    assert vat.tolist() == [r.vat_cents for r in t.by_rate]


@given(st.integers(min_value=0, max_value=10**9),
       st.decimals(min_value=0, max_value=100_000, places=4, allow_nan=False),
       st.integers(min_value=0, max_value=4))
def test_priced_matches_reference(q, price, qty_places):
    quantity = Decimal(q).scaleb(-qty_places)
    line = Line.priced("x", "x", quantity, int(price * 10_000))
    assert line.amount_cents == ref_line_cents(quantity, price)


@given(st.integers(min_value=0, max_value=10**6))
def test_priced_half_cent_edges(whole):
    # price x.xx50 with quantity 1: always exactly half a cent -> away from zero
    price_e4 = whole * 100 + 50
    assert Line.priced("x", "x", 1, price_e4).amount_cents == whole + 1
    assert Line.priced("x", "x", -1, price_e4).amount_cents == -(whole + 1)


def test_numpy_scalars_are_read_like_python_numbers():
    # numpy 2 prints np.float64(0.1) as "np.float64(0.1)": the value must still be 0.1
    line = Line("x", "x", np.float64(0.1), np.int64(2700), np.int64(27), np.float64(9.5))
    assert (line.quantity, line.unit_price_e4, line.amount_cents, line.vat_rate) == (
        Decimal("0.1"), 2700, 27, "9.5")
    assert type(line.amount_cents) is int
    assert Line.priced("x", "x", np.float64(0.5), np.int64(2700)).amount_cents == 14
