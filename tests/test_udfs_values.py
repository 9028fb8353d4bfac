"""How Tarifa reads Excel's cell values (udfs/excel_values.py): the decisions, one by one."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from tests.officejs import serial
from udfs import excel_values as xv


def _read(reader, cells, **kw):
    got = reader([[c] for c in cells], "arg", **kw)
    return got.values.reshape(-1), got.marks.code.reshape(-1).tolist(), got.empty.reshape(-1)


def test_numbers_are_numbers_only():
    values, codes, empty = _read(xv.read_numbers, [
        3, 2.5, "12", "12,5", True, None, "", "  ", math.nan, math.inf,
        {"type": "FormattedNumber", "basicValue": 7.25, "numberFormat": "0.00"},
        {"type": "Error", "errorType": "Div0", "basicValue": "#DIV/0!"},
        dt.date(2024, 1, 1)])
    assert values[:2].tolist() == [3.0, 2.5] and values[10] == 7.25
    assert codes == ["", "", "#VALUE!", "#VALUE!", "#VALUE!", "#VALUE!", "#VALUE!", "#VALUE!",
                     "#NUM!", "#NUM!", "", "#DIV/0!", "#VALUE!"]  # empties: required here
    assert empty.tolist() == [False] * 5 + [True] * 3 + [False] * 5


def test_empty_cells_of_optional_numbers_take_the_default():
    values, codes, _ = _read(xv.read_numbers, [None, "", 4], required=False, default=1.0)
    assert values.tolist() == [1.0, 1.0, 4.0] and codes == ["", "", ""]


def test_dates_from_serials_date_objects_and_iso_text():
    values, codes, _ = _read(xv.read_dates, [
        serial("2024-03-05"), serial("2024-03-05") + 0.75, dt.datetime(2024, 3, 5, 18, 0),
        dt.date(2024, 3, 5), np.datetime64("2024-03-05"), " 2024-03-05 ", "2024-03-05T10:00",
        "5.3.2024", "2024-02-30", 60, -1, True, 3e6])
    assert values[:7].tolist() == [dt.date(2024, 3, 5)] * 7
    assert np.isnat(values[7:]).all()
    assert codes == [""] * 7 + ["#VALUE!", "#VALUE!", "#NUM!", "#NUM!", "#VALUE!", "#NUM!"]


def test_codes_are_case_insensitive_text():
    values, codes, _ = _read(xv.read_codes, [" SMART ", "mini", 12, True, None],
                             allowed=("smart", "mini"))
    assert values.tolist() == ["smart", "mini", "", "", ""]
    assert codes == ["", "", "#VALUE!", "#VALUE!", "#VALUE!"]
    values, codes, _ = _read(xv.read_codes, ["nope"], allowed=("smart", "mini"))
    assert codes == ["#VALUE!"]
    got = xv.read_codes([["nope"]], "package", ("smart", "mini"))
    assert got.marks.reason[0, 0] == "package: unknown code 'nope' - use one of smart, mini"
    # identifiers may be whole numbers
    values, codes, _ = _read(xv.read_codes, [7, 7.5, "A"], numbers_ok=True)
    assert values.tolist() == ["7", "", "a"] and codes == ["", "#VALUE!", ""]


def test_flags():
    values, codes, _ = _read(xv.read_flags, [True, False, 1, 0, None, 2, "TRUE"])
    assert values.tolist() == [True, False, True, False, False, False, False]
    assert codes == ["", "", "", "", "", "#VALUE!", "#VALUE!"]


def test_shapes_a_runtime_sends():
    assert xv.grid(5).shape == () and xv.grid([1, 2, 3]).shape == (3,)
    assert xv.grid([[1], [2]]).shape == (2, 1) and xv.grid(((1, 2), (3, 4))).shape == (2, 2)
    assert xv.grid(np.array([[1.0, 2.0]])).shape == (1, 2)


def test_tables_are_plain_rows():
    assert xv.read_table([["code", "unit_price"], ["sms", 0.045], ["", None]], "tariff") == \
        [["code", "unit_price"], ["sms", 0.045], [None, None]]
    assert xv.read_table("sms", "tariff") == [["sms"]]
    assert xv.read_table(None, "tariff") is None


def test_results_for_the_office_js_runtime():
    grid = xv.ExcelGrid([[dt.date(2024, 4, 1), 1.5], [xv.excel_error("#NUM!"), 2.0]])
    grid.date_columns = (0,)
    assert xv.officejs(grid, "1.4", "dd.mm.yyyy") == [
        [{"type": "FormattedNumber", "basicValue": serial("2024-04-01"),
          "numberFormat": "dd.mm.yyyy"}, 1.5],
        [{"type": "Error", "errorType": "Num"}, 2.0]]
    assert xv.with_serials(grid)[0] == [serial("2024-04-01"), 1.5]
    assert xv.desktop(grid)[0][0] == dt.datetime(2024, 4, 1)
