"""The Python side of Tarifa's LibreOffice bridge: installed (as ``tarifa_bridge.py``) into a
LibreOffice user profile's ``user/Scripts/python/`` by ``workbook.libreoffice``.

This file runs inside LibreOffice's embedded Python (the system ``python3``), not in the
project's venv, so it imports only the standard library at the top. On the first call it adds
the project root and the venv's site-packages to ``sys.path`` (both written into ``CONFIG`` when
the profile is built) and imports the worksheet functions' module.

Every Tarifa function in Calc is a Basic function (``workbook.libreoffice.bridge``) that calls
``call(NAME, args)`` here. LibreOffice hands over ranges as tuples of row tuples, single cells as
scalars, empty cells and omitted optional arguments as None, numbers as int or float, dates as
serial numbers. ``call`` converts them to the Office.js-style raw values the functions take
(lists of rows, floats), calls the function and converts its 2-D result back for Basic:

* a number stays a float, a ``datetime.date`` becomes its Excel serial number, text stays text,
  None becomes "" (an empty-looking cell);
* an Excel error value (``udfs.excel_values.is_error``) becomes a NaN whose payload is
  LibreOffice's own code for that error (``FormulaError`` in LibreOffice's errorcodes.hxx):
  Calc shows it as the real error (#VALUE!, #NUM!, #N/A ...), ERROR.TYPE knows it, SUM
  propagates it, and the .xlsx stores it as an error cell -- never as text that SUM would skip;
* an exception (a whole-call problem such as ranges of different sizes, or a bug) becomes a
  1x1 #VALUE! and is reported on stderr and in the log file named by ``TARIFA_LO_LOG``:
  an exception escaping into Basic would hang headless LibreOffice on an error dialog.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import struct
import sys
import traceback

# Written by workbook.libreoffice when the profile is built: sys.path entries, the module of
# worksheet functions and the module with is_error/error_code.
CONFIG: dict = {}

# Excel error code -> LibreOffice FormulaError (formula/errorcodes.hxx). Checked in Calc 7.4:
# a NaN with payload 519 shows #VALUE! (ERROR.TYPE 3), 503 #NUM! (6), 32767 #N/A (7),
# 532 #DIV/0! (2), 524 #REF! (4), 525 #NAME? (5), 521 #NULL! (1).
LO_ERRORS = {
    "#NULL!": 521,
    "#DIV/0!": 532,
    "#VALUE!": 519,
    "#REF!": 524,
    "#NAME?": 525,
    "#NUM!": 503,
    "#N/A": 0x7FFF,
}
# Excel's other error codes: Calc has no own error for them; they become #VALUE!.
OTHER_ERRORS = ("#SPILL!", "#CALC!", "#FIELD!", "#BUSY!", "#CONNECT!", "#BLOCKED!",
                "#GETTING_DATA", "#UNKNOWN!")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 for dates from 1900-03-01 on
_PHANTOM_DAY = dt.date(1900, 3, 1)  # serial 61: Excel counts a 29 Feb 1900 that never was

_state: dict = {}


def error_value(code: str) -> float:
    """The double Calc reads as the Excel error ``code``: a quiet NaN carrying LibreOffice's
    error number in its low bits. Codes Calc has no own error for (#SPILL!, #CALC! ...) are
    #VALUE!."""
    number = LO_ERRORS.get(code, LO_ERRORS["#VALUE!"])
    return struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000000 | number))[0]


def lo_error_code(value: float) -> str:
    """The Excel code of a value made by ``error_value`` ("" for any other value)."""
    if not (isinstance(value, float) and math.isnan(value)):
        return ""
    number = struct.unpack("<Q", struct.pack("<d", value))[0] & 0xFFFF
    return next((c for c, n in LO_ERRORS.items() if n == number), "#NUM!")


def _log(message: str) -> None:
    text = f"tarifa-bridge: {message}\n"
    sys.stderr.write(text)
    path = os.environ.get("TARIFA_LO_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)


def _setup() -> dict:
    """Import the functions (once per LibreOffice process)."""
    if "failed" in _state:  # do not retry a failed import on every call
        raise ImportError(_state["failed"])
    if not _state:
        try:
            _load()
        except Exception as e:
            _state.clear()
            _state["failed"] = f"{type(e).__name__}: {e}"
            raise ImportError(_state["failed"]) from e
    return _state


def _load() -> None:
    wanted = CONFIG.get("python")
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted and wanted != running:  # compiled packages (numpy) of the venv would not load
        raise ImportError(f"LibreOffice's Python is {running}, the venv's is {wanted}")
    for p in reversed(CONFIG.get("sys_path", [])):
        if p not in sys.path:
            sys.path.insert(0, p)
    import importlib

    _state["functions"] = importlib.import_module(CONFIG.get("module", "udfs.functions"))
    values = importlib.import_module(CONFIG.get("values_module", "udfs.excel_values"))
    _state["is_error"] = values.is_error
    _state["error_code"] = values.error_code


def to_python(value: object) -> object:
    """One argument from LibreOffice to an Office.js-style raw value: tuples of rows become
    lists of rows, numbers become floats (Calc's cells hold doubles; pyuno hands over whole
    numbers as int), everything else (str, None) stays."""
    if isinstance(value, tuple):
        return [[_scalar(v) for v in row] if isinstance(row, tuple) else _scalar(row)
                for row in value]
    return _scalar(value)


def _scalar(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def to_calc(result: object, is_error, error_code) -> tuple:
    """A function's result as a rectangular tuple of row tuples of Calc values."""
    if hasattr(result, "tolist") and not isinstance(result, (list, tuple)):
        result = result.tolist()  # a numpy array or scalar
    if not isinstance(result, (list, tuple)):
        rows = [[result]]
    elif not result:
        rows = [[error_value("#VALUE!")]]
    elif all(isinstance(r, (list, tuple)) for r in result):
        rows = [list(r) for r in result]
    else:  # a flat list is one row (xlwings' convention)
        rows = [list(result)]
    width = max(len(r) for r in rows) or 1
    out = []
    for row in rows:
        cells = [_cell(v, is_error, error_code) for v in row]
        cells += [error_value("#N/A")] * (width - len(cells))  # as Excel pads a ragged array
        out.append(tuple(cells))
    return tuple(out)


def _cell(value: object, is_error, error_code) -> object:
    if is_error(value):
        return error_value(error_code(value) or "#VALUE!")
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        days = (value - _EXCEL_EPOCH).days
        return float(days if value >= _PHANTOM_DAY else days - 1)
    if isinstance(value, (int, float)):
        value = float(value)
        return value if math.isfinite(value) else error_value("#NUM!")
    if isinstance(value, str):
        if value in LO_ERRORS or value in OTHER_ERRORS:  # SUM would skip an error as text
            return error_value(value)
        return value
    return error_value("#VALUE!")


def call(name: str, args: tuple = ()) -> tuple:
    """Called from Basic: the worksheet function ``name`` on LibreOffice's ``args``."""
    try:
        state = _setup()
        function = getattr(state["functions"], name)
        result = function(*(to_python(a) for a in args))
        return to_calc(result, state["is_error"], state["error_code"])
    except Exception as e:  # noqa: BLE001 - nothing may escape into Basic
        _log(f"{name}: {type(e).__name__}: {e}")
        if not isinstance(e, (ValueError, ImportError)):  # CallError is the user's input
            _log(traceback.format_exc())
        return ((error_value("#VALUE!"),),)


g_exportedScripts = (call,)
