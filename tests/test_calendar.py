"""Calendar arithmetic: Excel serial dates, months, whole-month periods."""

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pricing import calendar as cal
from pricing.validity import Validity


def d(text):
    return np.datetime64(text, "D")


def test_excel_serials_known_days():
    v = Validity((5,))
    got = cal.from_excel_serial(np.array([1, 59, 61, 45379, 45379.75]), v)
    # 1 = 1900-01-01, 59 = 1900-02-28, 61 = 1900-03-01, 45379 = 2024-03-28 (ES-1's date);
    # a time of day is ignored
    assert got.tolist() == [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1),
                            dt.date(2024, 3, 28), dt.date(2024, 3, 28)]
    assert v.all_ok


def test_phantom_29_feb_1900_is_refused():
    v = Validity((3,))
    cal.from_excel_serial(np.array([60, 0, -5]), v)
    assert not v.ok.any()
    assert "phantom 29 Feb 1900" in v.reason[0]
    assert "not a valid Excel date" in v.reason[1]


def test_serial_round_trip_around_the_phantom_day():
    days = np.array(["1900-01-01", "1900-02-28", "1900-03-01", "9999-12-31"], dtype="datetime64[D]")
    assert cal.to_excel_serial(days).tolist() == [1, 59, 61, 2958465]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_serial_round_trip(day):
    serial = cal.to_excel_serial(np.array([day], dtype="datetime64[D]"))
    v = Validity((1,))
    assert cal.from_excel_serial(serial, v).tolist() == [day]
    assert v.all_ok


def test_months():
    days = np.array(["2024-02-29", "2024-12-31", "2025-01-01"], dtype="datetime64[D]")
    assert cal.month_number(days).tolist() == [2, 12, 1]
    assert cal.year_of(days).tolist() == [2024, 2024, 2025]
    # MS-10: the first day of the calendar month after the request
    assert cal.first_of_next_month(days).tolist() == [dt.date(2024, 3, 1), dt.date(2025, 1, 1),
                                                      dt.date(2025, 2, 1)]
    assert cal.last_of_month(days).tolist() == [dt.date(2024, 2, 29), dt.date(2024, 12, 31),
                                                dt.date(2025, 1, 31)]


def test_days_inclusive_counts_both_ends():
    # ES-15 decision: the purchase day and the period's last day both count
    assert cal.days_inclusive(d("2024-06-16"), d("2024-06-30")) == 15
    assert cal.days_inclusive(d("2024-01-01"), d("2024-12-31")) == 366


def test_whole_month_periods():
    starts = np.array(["2024-01-01", "2024-01-15", "2024-01-31", "2024-03-28", "2024-01-31",
                       "2024-01-01"], dtype="datetime64[D]")
    ends = np.array(["2024-12-31", "2024-02-14", "2024-02-28", "2024-04-27", "2024-02-29",
                     "2024-01-30"], dtype="datetime64[D]")
    months, whole = cal.whole_months(starts, ends)
    assert months[:4].tolist() == [12, 1, 1, 1]
    assert whole.tolist() == [True, True, True, True, False, False]
