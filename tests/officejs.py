"""Call a worksheet function the way Excel's Office.js runtime does (xlwings Lite and Server).

``call("MSIGN_OVERAGE", "transaction", 120, 100)`` builds the JSON body that xlwings'
custom-functions JavaScript posts for ``=MSIGN_OVERAGE("transaction", 120, 100)`` and runs it
through ``xlwings.server.custom_functions_call``; the result is the 2-D list Excel receives.

Arguments are Python values as Excel would send them: a scalar for one cell, a list of rows for
a range (a flat list is one row), ``None`` for an omitted argument; dates as serial numbers
(``serial(date)``) or whatever a cell would hold. Office.js sends every argument as a 2-D
matrix, so a scalar becomes ``[[value]]`` here, and JSON has no tuples or numpy types: the body
goes through ``json.dumps``/``json.loads`` so the function sees exactly JSON's values.

Needs ``XLWINGS_ON_SERVER=true`` (and a licence key) set before xlwings is first imported: the
tests' conftest.py does that.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from types import ModuleType

import xlwings
from xlwings.server import custom_functions_call

RUNTIME = "1.4"


def matrix(value: object) -> object:
    """One argument as Office.js sends it: always a 2-D matrix; None (omitted) stays null."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):
            return [list(r) for r in value]
        return [list(value)]
    return [[value]]


def body(func_name: str, *args: object, runtime: str = RUNTIME,
         date_format: str | None = "yyyy-mm-dd", culture: str = "en-US") -> dict:
    """The JSON body of one custom-function call (as a dict, after a JSON round trip)."""
    data = {
        "client": "Office.js",
        "func_name": func_name,
        "args": [matrix(a) for a in args],
        "caller_address": "Office.js[Tarifa.xlsx]Sheet1!E2",
        "content_language": culture,
        "session_id": "tests-session",
        "culture_info_name": culture,
        "date_format": date_format,
        "version": xlwings.__version__,
        "runtime": runtime,
    }
    return json.loads(json.dumps(data))


def call(func_name: str, *args: object, module: ModuleType | None = None,
         runtime: str = RUNTIME, date_format: str | None = "yyyy-mm-dd") -> list[list[object]]:
    """Run ``=func_name(args...)`` through xlwings' Office.js path; the result Excel gets,
    after a JSON round trip (what the HTTP response carries)."""
    if module is None:
        from udfs import functions as module
    data = body(func_name, *args, runtime=runtime, date_format=date_format)
    result = asyncio.run(custom_functions_call(data, module))
    return json.loads(json.dumps(result))


def serial(day: dt.date | str) -> float:
    """An Excel date cell's value (1900 date system) for a date or ISO text."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return float((day - dt.date(1899, 12, 30)).days)
