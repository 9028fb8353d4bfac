"""Hypothesis fuzz of every worksheet function through the Office.js call path.

Columns of otherwise valid rows get Excel-like garbage mixed in (text, booleans, error cells,
NaN, negatives, 1e308, dates as text, empty cells). For every function:

* no exception escapes (the call returns a grid of the columns' length);
* exactly the rows with garbage that can never be valid are errors;
* every other row equals the same row computed on its own (one single-cell call per row);
* a row whose every cell is empty is blank ("").
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pricing import esign, msign, nensi
from pricing.catalog import builtin
from tests.officejs import call, serial
from udfs import excel_values as xv

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NA_CELL = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}
DIV0_CELL = {"type": "Error", "basicValue": "#DIV/0!", "errorType": "Div0"}


class Bad:
    """A garbage cell that no argument can accept."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Bad({self.value!r})"


GARBAGE = [Bad("abc"), Bad(True), Bad(NA_CELL), Bad(math.nan), Bad(-1), Bad(1e308),
           Bad("12"), Bad(False), Bad(DIV0_CELL), Bad(-0.5), Bad("5.3.2024"), Bad("12,5"),
           Bad("#VALUE!")]


def _allowed(kind: str) -> list[Bad]:
    return [b for b in GARBAGE if kind != "flag" or not isinstance(b.value, bool)]


def _bad(kind: str) -> st.SearchStrategy:
    return st.sampled_from(_allowed(kind))


def _neutral(kind: str, good: object) -> st.SearchStrategy:
    """Other spellings of a good cell, or an empty cell: not errors by themselves."""
    options: list[object] = [None, "", "  "]
    if kind == "date" and isinstance(good, float):
        iso = (dt.date(1899, 12, 30) + dt.timedelta(days=int(good))).isoformat()
        options += [iso, {"type": "FormattedNumber", "basicValue": good,
                          "numberFormat": "dd.mm.yyyy"}]
    if kind == "number" and isinstance(good, (int, float)) and not isinstance(good, bool):
        options += [{"type": "FormattedNumber", "basicValue": good, "numberFormat": "0.00"}]
    return st.sampled_from(options)


# --- good values -------------------------------------------------------------------------------

def day(y: int, m: int, d: int) -> float:
    return serial(dt.date(y, m, d))


dates = st.dates(dt.date(2019, 1, 1), dt.date(2030, 12, 31)).map(serial)
new_plan_dates = st.dates(dt.date(2024, 3, 28), dt.date(2030, 12, 31)).map(serial)
counts = st.integers(0, 10**6)
small = st.integers(0, 200)
prices = st.one_of(st.none(), st.integers(0, 10**6).map(lambda c: c / 10**4))
amounts = st.integers(0, 10**8).map(lambda c: c / 100)
quantities = st.one_of(counts, st.integers(0, 10**5).map(lambda c: c / 10))


def codes(options: tuple[str, ...]) -> st.SearchStrategy:
    return st.sampled_from(options).flatmap(
        lambda c: st.sampled_from([c, c.upper(), f" {c.title()} "]))


@st.composite
def period_row(draw, *, with_users: bool) -> tuple:
    start = dt.date(draw(st.integers(2023, 2027)), draw(st.integers(1, 12)), 1)
    months = draw(st.sampled_from([1, 12]))
    end_month = start.month - 1 + months
    end = dt.date(start.year + end_month // 12, end_month % 12 + 1, 1) - dt.timedelta(days=1)
    bought = start + dt.timedelta(days=draw(st.integers(0, (end - start).days)))
    lic = draw(st.integers(0, 40))
    row = [lic, serial(bought), serial(start), serial(end), draw(prices)]
    if with_users:
        row[1:1] = [draw(st.integers(0, 50)), draw(codes(esign.PLAN_TIERS))]
    return tuple(row)


@st.composite
def record_row(draw) -> tuple:
    entry = draw(st.dates(dt.date(2019, 12, 1), dt.date(2028, 12, 31)))
    active = entry + dt.timedelta(days=draw(st.integers(0, 400)))
    billed = active + dt.timedelta(days=draw(st.integers(-60, 400)))
    return (serial(entry), serial(active), serial(billed), draw(st.one_of(st.none(), small)))


PRICE_CODES = tuple(sorted({c for f in builtin().families() for c in builtin().codes(f)}))

# name -> (argument kinds, strategy of one good row); None = an omitted optional argument
SPECS: dict[str, tuple[tuple[str, ...], st.SearchStrategy]] = {
    "MSIGN_OVERAGE": (("code", "number", "number", "code", "number"), st.tuples(
        codes(msign.ITEMS), quantities, st.one_of(st.none(), counts),
        st.one_of(st.none(), codes(msign.PACKAGES)), prices)),
    "MSIGN_BILL": (("code", "number", "number", "code", "number"), st.tuples(
        codes(msign.ITEMS), quantities, st.one_of(st.none(), counts),
        st.one_of(st.none(), codes(msign.PACKAGES)), prices)),
    "MSIGN_BILLABLE": (("code", "number", "number", "code"), st.tuples(
        codes(msign.ITEMS), quantities, st.one_of(st.none(), counts),
        st.one_of(st.none(), codes(msign.PACKAGES)))),
    "MSIGN_SWITCH_DATE": (("date",), st.tuples(dates)),
    "MSIGN_BILLING_MONTH": (("date",), st.tuples(dates)),
    "MSIGN_REKONO_TX": (("number", "number"), st.tuples(small, st.one_of(st.none(),
                                                                          st.integers(1, 9)))),
    "ESIGN_PRORATE": (("number", "date", "date", "date", "number"),
                      period_row(with_users=False)),
    "ESIGN_LICENCES": (("number", "number", "code", "date", "date", "date", "number"),
                       period_row(with_users=True)),
    "ESIGN_SIGNATURES": (("code", "number", "date", "number"), st.tuples(
        codes(esign.KINDS), small, new_plan_dates, prices)),
    "ESIGN_REDUCTION_DATE": (("date", "date"), st.tuples(dates, dates)),
    "NENSI_MAINT": (("date", "date", "number"), st.tuples(
        dates, dates, st.one_of(st.none(), small))),
    "NENSI_MAINT_RECORD": (("date", "date", "date", "number"), record_row()),
    "NENSI_ANNUAL": (("code", "date", "number"), st.tuples(
        codes(nensi.SERVICES), dates, st.one_of(st.none(), st.integers(0, 20)))),
    "NENSI_CHARGE": (("code", "number", "flag", "date"), st.tuples(
        codes(nensi.CHARGES), small, st.one_of(st.none(), st.booleans(), st.sampled_from([0, 1])),
        st.one_of(st.none(), dates))),
    "NENSI_DISCOUNT": (("code", "number", "number"), st.tuples(
        codes(nensi.SERVICES + nensi.CHARGES), small, amounts)),
    "TARIFF_PRICE": (("code", "date"), st.tuples(codes(PRICE_CODES),
                                                 st.one_of(st.none(), dates))),
}
# extra, non-broadcast arguments after the fuzzed ones (tables)
EXTRA = {"NENSI_DISCOUNT": ([["service", "min_quantity", "percent"], ["entry", 10, 5],
                             ["entry", 50, 12.5], ["forms", 1, 3]],)}


@st.composite
def columns(draw, name: str) -> tuple[list[tuple], list[bool]]:
    """Rows of cells (garbage mixed in) and which rows must be errors."""
    kinds, good_row = SPECS[name]
    n = draw(st.integers(2, 6))
    # garbage taken in turn from a shuffled list: every kind of garbage shows up
    order = draw(st.permutations(range(len(GARBAGE))))
    turn = 0
    rows, forced = [], []
    for _ in range(n):
        row = list(draw(good_row))
        bad = False
        for j, kind in enumerate(kinds):
            roll = draw(st.integers(0, 9))
            if roll == 0:
                allowed = _allowed(kind)
                row[j] = allowed[order[turn % len(GARBAGE)] % len(allowed)].value
                turn += 1
                bad = True
            elif roll == 1:
                row[j] = draw(_neutral(kind, row[j]))
        rows.append(tuple(row))
        forced.append(bad)
    return rows, forced


def _empty(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def check_function(name: str, rows: list[tuple], forced: list[bool]) -> None:
    extra = EXTRA.get(name, ())
    cols = [[[r[j]] for r in rows] for j in range(len(rows[0]))]
    out = call(name, *cols, *extra)  # no exception may escape
    assert len(out) == len(rows)
    reasons = [r[0] for r in call(name + "_CHECK", *cols, *extra)]
    for got, reason in zip(out, reasons, strict=True):  # the companion explains every error
        if all(c == "" for c in got):
            assert reason == ""
        elif any(xv.is_error(c) for c in got):
            assert reason not in ("", "OK")
        else:  # OK, or OK with a note (ES-1: the purchase date stood in for the start)
            assert reason == "OK" or reason.startswith("OK - "), reason
    for row, bad, got in zip(rows, forced, out, strict=True):
        if all(_empty(c) for c in row):
            assert all(c == "" for c in got), (row, got)
            continue
        alone = call(name, *row, *extra)
        assert len(alone) == 1
        if bad:
            assert all(xv.is_error(c) for c in got), (row, got)
            assert all(xv.is_error(c) for c in alone[0]), (row, alone)
        else:
            assert got == alone[0], (row, got, alone)
        for c in got:  # never text that SUM would skip, never NaN
            assert c is None or isinstance(c, (float, int, dict)) or \
                (name == "MSIGN_BILL" and isinstance(c, str)), (row, got)
            assert not (isinstance(c, float) and not math.isfinite(c))


def _fuzz(name: str):
    @SETTINGS
    @given(data=columns(name))
    def test(data):
        check_function(name, *data)

    test.__name__ = f"test_fuzz_{name.lower()}"
    return test


for _name in SPECS:
    globals()[f"test_fuzz_{_name.lower()}"] = _fuzz(_name)
del _name


# --- the ledger: rows depend on each other -----------------------------------------------------

@st.composite
def ledger_rows(draw) -> tuple[list[tuple], list[bool]]:
    n = draw(st.integers(2, 8))
    rows, forced = [], []
    start = dt.date(2024, 4, 1)
    for i in range(n):
        event = draw(st.sampled_from(esign.EVENTS))
        row = [draw(st.sampled_from(["A", "b", 7])), serial(start + dt.timedelta(days=i)),
               event, draw(st.one_of(st.none(), codes(esign.KINDS))),
               draw(st.one_of(st.none(), st.integers(0, 20))),
               draw(st.one_of(st.none(), st.integers(0, 5))), None]
        bad = False
        if draw(st.integers(0, 6)) == 0:
            j = draw(st.sampled_from([1, 2]))  # the date or the event: garbage always bad
            row[j] = draw(_bad("date" if j == 1 else "code")).value
            bad = True
        rows.append(tuple(row))
        forced.append(bad)
    return rows, forced


@SETTINGS
@given(ledger_rows())
def test_fuzz_esign_ledger(data):
    """Garbage rows are errors; a bad row changes nothing, so the good rows equal the ledger of
    the good rows alone (ES-7..ES-11)."""
    rows, forced = data
    cols = [[[r[j]] for r in rows] for j in range(len(rows[0]))]
    out = call("ESIGN_LEDGER", *cols)
    assert len(out) == len(rows)
    for bad, got in zip(forced, out, strict=True):
        if bad:
            assert all(xv.is_error(c) for c in got)
    good = [r for r, b in zip(rows, forced, strict=True) if not b]
    if len(good) >= 2:
        alone = call("ESIGN_LEDGER", *[[[r[j]] for r in good] for j in range(len(good[0]))])
        assert [g for g, b in zip(out, forced, strict=True) if not b] == alone


# --- VAT totals: one bad line spoils the totals, never silently -------------------------------

@SETTINGS
@given(st.lists(st.tuples(st.integers(-10**7, 10**7).map(lambda c: c / 100),
                          st.sampled_from([22, 9.5, 19, "SI", "DE", "22 %", None])),
                min_size=2, max_size=8),
       st.one_of(st.none(), st.integers(0, 7)),
       st.sampled_from([b for b in GARBAGE if b.value not in (-1, -0.5)]),  # credits are fine
       st.booleans())
def test_fuzz_vat_totals(lines, bad_at, garbage, in_rates):
    from decimal import ROUND_HALF_UP, Decimal

    amounts = [[a] for a, _ in lines]
    rates = [[r] for _, r in lines]
    if bad_at is not None and bad_at < len(lines):
        if in_rates and garbage.value not in ("12", "12,5"):  # those are rates (12 %, 12.5 %)
            rates[bad_at] = [garbage.value]
        else:
            amounts[bad_at] = [garbage.value]
        out = call("TARIFA_VAT", amounts, rates)
        assert all(xv.is_error(c) for r in out for c in r)
        return
    out = call("TARIFA_VAT", amounts, rates)
    key = {22: "22", 9.5: "9.5", 19: "19", "SI": "22", "DE": "19", "22 %": "22", None: "22"}
    net: dict[str, Decimal] = {}
    for a, r in lines:
        net[key[r]] = net.get(key[r], Decimal(0)) + Decimal(repr(a))
    expected = []
    for rate in sorted(net, key=Decimal, reverse=True):
        vat = (net[rate] * Decimal(rate) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        expected.append([float(rate), float(net[rate]), float(vat), float(net[rate] + vat)])
    total_net = sum(net.values(), Decimal(0))
    total_vat = sum((Decimal(repr(r[2])) for r in expected), Decimal(0))
    expected.append(["total", float(total_net), float(total_vat), float(total_net + total_vat)])
    assert out == expected


def test_fuzz_covers_every_function():
    from udfs import functions as F

    names = {n for n in F.__all__ if not n.endswith("_CHECK")}
    assert names == set(SPECS) | {"ESIGN_LEDGER", "TARIFA_VAT"}
    assert np.all([callable(getattr(F, n + "_CHECK")) for n in names])
