"""Calendar arithmetic as pure date arithmetic: months, periods, Excel serial dates.

Dates inside the engine are numpy ``datetime64[D]``; months are ``datetime64[M]``.
Excel's 1900 date system counts 1900-01-01 as serial 1 and has a phantom 29 Feb 1900
(serial 60, Lotus' leap-year bug): we refuse serial 60 rather than guess which day was meant.
Serials after 60 are one day ahead of the real count from 1899-12-31.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from pricing.validity import Validity

DAY = np.timedelta64(1, "D")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")  # serial 0 for serials > 60
_EXCEL_EPOCH_EARLY = np.datetime64("1899-12-31", "D")  # serial 0 for serials < 60
PHANTOM_SERIAL = 60
MAX_SERIAL = 2958465  # 9999-12-31, Excel's last date


def from_excel_serial(serials: np.ndarray, validity: Validity, what: str = "date") -> np.ndarray:
    """Excel 1900-system serials (a time of day is ignored) -> datetime64[D].

    Serial 60 (the phantom 29 Feb 1900), serials below 1 and beyond 9999-12-31, NaN and
    infinities are marked bad in ``validity``.
    """
    s = np.asarray(serials, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        whole = np.floor(s)
        bad = ~np.isfinite(s) | (whole < 1) | (whole > MAX_SERIAL)
        phantom = whole == PHANTOM_SERIAL
    validity.fail(bad, f"{what} is not a valid Excel date (1900-01-01 .. 9999-12-31)")
    validity.fail(phantom, f"{what}: serial 60 is Excel's phantom 29 Feb 1900, not a real day")
    days = np.where(bad | phantom, 1, whole).astype(np.int64)
    early = days < PHANTOM_SERIAL
    out = np.where(early, _EXCEL_EPOCH_EARLY + days, _EXCEL_EPOCH + days)
    return out.astype("datetime64[D]")


EXCEL_FIRST, EXCEL_LAST = np.datetime64("1900-01-01", "D"), np.datetime64("9999-12-31", "D")


def refuse_outside_excel(days: np.ndarray, validity: Validity, what: str) -> None:
    """Mark computed dates that Excel cannot show (before 1900-01-01, after 9999-12-31) bad:
    a result date out of range would reach the sheet as a plain number."""
    d = np.asarray(days, dtype="datetime64[D]")
    outside = ~np.isnat(d) & ((d < EXCEL_FIRST) | (d > EXCEL_LAST))
    validity.fail(outside, f"{what} is not a valid Excel date (1900-01-01 .. 9999-12-31)")


def to_excel_serial(dates: np.ndarray) -> np.ndarray:
    """datetime64[D] -> Excel 1900-system serials (float64), inverse of ``from_excel_serial``."""
    d = np.asarray(dates, dtype="datetime64[D]")
    late = (d - _EXCEL_EPOCH).astype(np.int64)
    early = (d - _EXCEL_EPOCH_EARLY).astype(np.int64)
    return np.where(late > PHANTOM_SERIAL, late, early).astype(np.float64)


def as_dates(values: object) -> np.ndarray:
    """Python dates / ISO strings / datetime64 -> datetime64[D] (for tests and callers)."""
    if isinstance(values, dt.datetime):
        values = values.date()
    return np.asarray(values, dtype="datetime64[D]")


def month_of(dates: np.ndarray) -> np.ndarray:
    """The calendar month (datetime64[M]) containing each date."""
    return np.asarray(dates, dtype="datetime64[D]").astype("datetime64[M]")


def month_number(dates: np.ndarray) -> np.ndarray:
    """1..12 for each date."""
    m = month_of(dates).astype(np.int64)
    return m % 12 + 1


def year_of(dates: np.ndarray) -> np.ndarray:
    """The calendar year of each date."""
    return month_of(dates).astype(np.int64) // 12 + 1970


def first_of_month(dates: np.ndarray) -> np.ndarray:
    """The first day of each date's month."""
    return month_of(dates).astype("datetime64[D]")


def first_of_next_month(dates: np.ndarray) -> np.ndarray:
    """The first day of the calendar month after each date (MS-10)."""
    return (month_of(dates) + 1).astype("datetime64[D]")


def last_of_month(dates: np.ndarray) -> np.ndarray:
    """The last day of each date's month."""
    return first_of_next_month(dates) - DAY


def days_inclusive(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Number of days from ``start`` to ``end``, both counted (int64)."""
    d = np.asarray(end, dtype="datetime64[D]") - np.asarray(start, dtype="datetime64[D]")
    return d.astype(np.int64) + 1


def whole_months(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Months in the period ``start..end`` (both days included) and whether it is whole.

    A period is whole when it starts on some day D and ends the day before the same day D
    some months later (``2024-01-15..2024-02-14`` is one month; ``2024-01-01..2024-12-31`` is
    twelve). Where the start day does not exist in the end month (31 Jan..) the period must end
    on the day before that month's clamped day (``2024-01-31..2024-02-28`` is one month, because
    2024-02-29 is Feb's clamped 31st). Returns (months int64, whole bool).
    """
    s = np.asarray(start, dtype="datetime64[D]")
    e = np.asarray(end, dtype="datetime64[D]")
    after_end = e + DAY
    months = (month_of(after_end).astype(np.int64) - month_of(s).astype(np.int64))
    start_day = (s - first_of_month(s)).astype(np.int64)  # 0-based day of month
    target_month = month_of(s) + months.astype("timedelta64[M]")
    target_first = target_month.astype("datetime64[D]")
    month_len = days_inclusive(target_first, last_of_month(target_first))
    expected = target_first + np.minimum(start_day, month_len - 1).astype("timedelta64[D]")
    whole = (months >= 1) & (expected == after_end)
    return months, whole
