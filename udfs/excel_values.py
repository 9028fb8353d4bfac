"""Excel values <-> engine arrays, vectorised: what Tarifa's worksheet functions read and return.

Every worksheet function receives its arguments *raw* (``@arg(name, "raw")``): on the Office.js
path (xlwings Lite and Server) a single cell arrives as a scalar, a one-row range as a flat list
and any other range as a list of row lists; the values are JSON values -- ``float``/``int`` for
numbers and date cells (dates are serial numbers), ``str`` for text, ``bool`` for TRUE/FALSE,
``None`` or ``""`` for empty cells, and a dict for an error cell (``{"type": "Error", ...}``) or
another rich value (``{"type": "FormattedNumber", "basicValue": ...}``). Plain Python callers
(the LibreOffice bridge, ``tarifa bill``) pass the same shapes, tuples, numpy arrays or
``datetime.date`` objects. This module turns such values into numpy arrays in one pass per
argument and records, per cell, why a cell cannot be used and which Excel error it becomes.

How cells are read (decisions, also in docs/functions.md):

* empty cell (``None``, ``""``, text of blanks): the argument's default if it is optional,
  else an error; a row whose every range argument is empty is a blank row and gives ``""``.
* numbers: ``float``/``int``; booleans are *not* numbers (#VALUE!); text is never read as a
  number, not even "12" or "12,5" (#VALUE!): its meaning depends on the locale that typed it,
  and a number stored as text is what SUM silently skips -- convert the column instead.
* dates: a date cell (an Excel serial number; a time of day is ignored), a ``datetime.date``,
  or ISO text ``YYYY-MM-DD`` (unambiguous in every locale); other text is #VALUE!.
* codes: text, case-insensitive, blanks around it ignored.
* an error cell in an argument passes its own error on (#N/A in, #N/A out), as Excel's own
  functions do.

What the functions return (the error convention): a 2-D list of rows. A good cell is a
``float`` (money in EUR, counts), a ``datetime.date`` (dates) or ``str`` (codes, reasons); a bad
cell is an Excel error value in Office.js' JSON form, ``{"type": "Error", "errorType": "Value"}``
(the form xlwings itself sends on custom-functions runtime 1.4), never a number, 0 or text.
``is_error(value)`` and ``error_code(value)`` read that form; ``EXCEL_ERRORS`` lists the codes.

* ``#VALUE!`` -- Tarifa cannot read the cell: wrong type (text, boolean), unknown code, not a
  date, an empty required cell (or, should the engine ever raise, that element).
* ``#NUM!`` -- the cell was read, but the price list's rules refuse it: a negative or fractional
  quantity, a number too large to compute exactly, a date outside its period, licences above
  the main plan's users, storage on a MINI package.
* ``#N/A`` -- no price is available: the SMS price (MS-8) or a legacy eSign price (ES-1) not
  given, an empty price in the tariff table.
* any other error -- passed on from an error cell in the arguments.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pricing import calendar
from pricing.validity import Validity

# --- Excel error values ------------------------------------------------------------------------

# Excel's error codes and the errorType names of Office.js' ErrorCellValue (ExcelApi 1.16).
EXCEL_ERRORS: dict[str, str] = {
    "#VALUE!": "Value",
    "#NUM!": "Num",
    "#N/A": "NotAvailable",
    "#DIV/0!": "Div0",
    "#NAME?": "Name",
    "#NULL!": "Null",
    "#REF!": "Ref",
    "#CALC!": "Calc",
    "#SPILL!": "Spill",
    "#FIELD!": "Field",
    "#BUSY!": "Busy",
    "#CONNECT!": "Connect",
    "#BLOCKED!": "Blocked",
    "#GETTING_DATA": "GettingData",
    "#UNKNOWN!": "Unknown",
}
_CODE_OF_TYPE = {t: c for c, t in EXCEL_ERRORS.items()}
# Desktop Excel (COM) hands error cells to Python as these integers (xlwings._xlwindows).
COM_ERRORS: dict[int, str] = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}
_COM_SCODE = {c: n for n, c in COM_ERRORS.items()}

VALUE, NUM, NA = "#VALUE!", "#NUM!", "#N/A"

# One shared, read-only-by-convention value per code: a 100k-row column of errors costs nothing.
_ERROR_VALUES = {code: {"type": "Error", "errorType": t} for code, t in EXCEL_ERRORS.items()}


def excel_error(code: str) -> dict:
    """The value Tarifa returns for an Excel error ``code`` ("#VALUE!", "#NUM!", "#N/A", ...)."""
    return _ERROR_VALUES[code]


def is_error(value: object) -> bool:
    """True for an Excel error value as Tarifa's functions return it (or Office.js sends it)."""
    return isinstance(value, dict) and value.get("type") == "Error"


def error_code(value: object) -> str:
    """The Excel error code of an error value ("#VALUE!", "#NUM!", ...); "" if not an error."""
    if not is_error(value):
        return ""
    basic = value.get("basicValue")
    if isinstance(basic, str) and basic in EXCEL_ERRORS:
        return basic
    return _CODE_OF_TYPE.get(value.get("errorType"), "#VALUE!")


# --- per-cell problems -------------------------------------------------------------------------


class Marks(Validity):
    """A ``Validity`` that also records which Excel error each bad element becomes."""

    __slots__ = ("code",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__(shape)
        self.code = np.full(shape, "", dtype=object)

    def fail(self, bad: np.ndarray | bool, message: str | np.ndarray,
             code: str | np.ndarray = VALUE) -> None:
        bad = np.broadcast_to(np.asarray(bad, dtype=bool), self.ok.shape)
        new = bad & self.ok
        if not new.any():
            return
        self.code[new] = (np.broadcast_to(code, self.ok.shape)[new]
                          if isinstance(code, np.ndarray) else code)
        super().fail(bad, message)

    def take(self, other: Validity, code_of=None) -> None:
        """Take over ``other``'s failures; their Excel error is ``other.code`` (a Marks),
        else ``code_of(reason)``, else #NUM!."""
        ok = np.broadcast_to(other.ok, self.ok.shape)
        if ok.all():
            return
        reason = np.broadcast_to(other.reason, self.ok.shape)
        if isinstance(other, Marks):
            code = np.broadcast_to(other.code, self.ok.shape)
        else:
            fn = code_of or (lambda _r: NUM)
            reasons = reason.reshape(-1).tolist()
            codes = {r: fn(r) for r in set(reasons)}  # distinct reasons are few
            code = np.array(list(map(codes.__getitem__, reasons)),
                            dtype=object).reshape(self.ok.shape)
        self.fail(~ok, reason, code)


# Engine reasons that say "no price is to be had" become #N/A; every other refusal by the rules
# is #NUM! (type and code problems were caught before the engine as #VALUE!).
_NO_PRICE = re.compile(r"no price|price is not in|prices are not in|is empty - fill|"
                       r"price list is in force|needs a price|give the price", re.IGNORECASE)


def engine_error_code(reason: str) -> str:
    """The Excel error for a reason the engine gave: #N/A for a missing price, else #NUM!."""
    return NA if _NO_PRICE.search(reason or "") else NUM


# --- reading raw Excel values ------------------------------------------------------------------

_EMPTY, _NUMBER, _BOOL, _TEXT, _DATE, _ERROR, _OTHER, _INT = range(8)


def _category(ty: type) -> int:
    if ty is type(None) or ty.__name__ == "JsNull":  # Pyodide >= 0.28 sends JS null as JsNull
        return _EMPTY
    if issubclass(ty, (bool, np.bool_)):
        return _BOOL
    if ty is int:  # an int from desktop Excel may be an error cell (COM_ERRORS)
        return _INT
    if issubclass(ty, (int, float, np.integer, np.floating)):
        return _NUMBER
    if issubclass(ty, str):
        return _TEXT
    if issubclass(ty, (dt.date, np.datetime64)):
        return _DATE
    return _OTHER


class CallError(ValueError):
    """A problem with a whole call (ranges of different sizes, an unreadable tariff table):
    the runtime shows the call's cell as #VALUE! with this message."""


def grid(raw: object) -> np.ndarray:
    """A raw argument as an object array: 0-d for one cell, 1-d for a one-row range (the
    Office.js path flattens it), 2-d for any other range."""
    if isinstance(raw, np.ndarray):
        return raw if raw.dtype == object else raw.astype(object)
    if isinstance(raw, (list, tuple)):
        if raw and isinstance(raw[0], (list, tuple)):
            return _grid_2d(raw)
        a = np.empty(len(raw), dtype=object)
        a[:] = raw
        if any(isinstance(v, (list, tuple)) for v in raw):
            raise CallError("a range argument has rows of different lengths")
        return a
    a = np.empty((), dtype=object)
    a[()] = raw
    return a


def _grid_2d(rows: list | tuple) -> np.ndarray:
    """Rows of cells as an (n, m) object array; flattening first is ~3x faster than
    ``np.array`` on nested lists (a 100k-row column: 7 ms instead of 22 ms)."""
    if not set(map(type, rows)) <= {list, tuple}:
        raise CallError("a range argument mixes rows and single values")
    widths = set(map(len, rows))
    if len(widths) != 1:
        raise CallError("a range argument has rows of different lengths")
    width = widths.pop()
    flat = [x for (x,) in rows] if width == 1 else [x for row in rows for x in row]
    a = np.empty(len(flat), dtype=object)
    try:
        a[:] = flat
    except ValueError:
        raise CallError("a range argument must be a single cell or a 2-D range") from None
    return a.reshape(len(rows), width)


@dataclass
class Cells:
    """One argument, read: engine-ready ``values``, which cells were ``empty``, and ``marks``
    for cells that cannot be used (all in the argument's own shape)."""

    values: np.ndarray
    empty: np.ndarray
    marks: Marks

    @property
    def is_range(self) -> bool:
        return self.values.size > 1


class _Sorted:
    """A raw argument split by the type of each cell (one pass over the cells)."""

    def __init__(self, raw: object, what: str) -> None:
        a = grid(raw)
        self.what = what
        self.shape = a.shape
        self.marks = Marks(a.shape)
        types = list(map(type, a.reshape(-1).tolist()))
        kinds = {ty: _category(ty) for ty in set(types)}  # distinct types are few
        cat = np.fromiter(map(kinds.__getitem__, types), dtype=np.int8,
                          count=len(types)).reshape(a.shape)
        other = cat == _OTHER
        if other.any():  # rich values (dicts) are rare: unwrap them one by one
            a = a.copy()
            for idx in _where(other):
                a[idx], cat[idx] = self._unwrap(a[idx], idx)
        text = cat == _TEXT
        if text.any():  # blank text ("" from Office.js, "  ") is an empty cell
            texts = np.asarray(a[text]).tolist()
            blanks = {t for t in set(texts) if not t.strip()}  # distinct texts are few
            if blanks:
                blank = np.zeros(a.shape, dtype=bool)
                blank[text] = list(map(blanks.__contains__, texts))
                cat[blank] = _EMPTY
        ints = cat == _INT
        if ints.any():  # desktop Excel sends error cells as these integers
            values = np.asarray(a[ints]).astype(np.float64)
            com = np.zeros(a.shape, dtype=bool)
            com[ints] = np.isin(values, list(COM_ERRORS))
            for idx in _where(com):
                code = COM_ERRORS[a[idx]]
                self.marks.fail(_at(a.shape, idx), f"{what}: the cell is {code}", code)
            cat[ints] = _NUMBER
            cat[com] = _ERROR
        self.a, self.cat = a, cat
        self.empty = cat == _EMPTY

    def _unwrap(self, value: object, idx: tuple) -> tuple[object, int]:
        if isinstance(value, dict):
            kind = value.get("type")
            if kind == "Error":
                code = error_code(value)
                self.marks.fail(_at(self.shape, idx), f"{self.what}: the cell is {code}", code)
                return None, _ERROR
            if "basicValue" in value:  # FormattedNumber, Double, String, Boolean, ...
                basic = value["basicValue"]
                return basic, _category(type(basic))
        return value, _OTHER

    def refuse(self, mask: np.ndarray, message: str, code: str = VALUE) -> None:
        self.marks.fail(mask, f"{self.what}: {message}", code)

    def refuse_others(self, allowed: tuple[int, ...], expected: str) -> None:
        """Every cell whose type is not allowed becomes #VALUE!, saying what it holds."""
        for cat, shown in ((_BOOL, "TRUE/FALSE"), (_TEXT, "text"), (_NUMBER, "a number"),
                           (_DATE, "a date"), (_OTHER, "a value of an unknown kind")):
            if cat not in allowed:
                bad = self.cat == cat
                if bad.any():
                    if cat == _TEXT:
                        self._refuse_text(bad, expected)
                    else:
                        self.refuse(bad, f"{shown} where {expected} belongs")

    def _refuse_text(self, bad: np.ndarray, expected: str) -> None:
        texts = np.asarray(self.a[bad]).tolist()
        uniq = {t: f"text '{_short(t)}' where {expected} belongs" for t in set(texts)}
        msg = np.full(self.shape, "", dtype=object)
        msg[bad] = [uniq[t] for t in texts]
        self.marks.fail(bad, np.char.add(f"{self.what}: ", msg.astype(str)).astype(object))


def _where(mask: np.ndarray) -> list[tuple]:
    """Index tuples of the True elements (also for 0-d masks)."""
    if mask.ndim == 0:
        return [()] if bool(mask) else []
    return list(zip(*np.nonzero(mask), strict=True))


def _at(shape: tuple[int, ...], idx: tuple) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    m[idx] = True
    return m


def _short(text: str, limit: int = 30) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _required(s: _Sorted, required: bool) -> None:
    if required and s.empty.any():
        s.refuse(s.empty, "the cell is empty")


def read_numbers(raw: object, what: str, *, required: bool = True,
                 default: float = np.nan) -> Cells:
    """A number argument as float64; empty cells of an optional argument take ``default``
    (NaN = "not given", the engine's convention). Text, booleans, dates, NaN, infinities and
    error cells are marked bad."""
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "fiu":  # plain Python callers
        values = raw.astype(np.float64)
        marks = Marks(values.shape)
        marks.fail(~np.isfinite(values), f"{what}: not a finite number", NUM)
        return Cells(values, np.zeros(values.shape, dtype=bool), marks)
    s = _Sorted(raw, what)
    s.refuse_others((_NUMBER, _EMPTY, _ERROR), "a number")
    _required(s, required)
    values = np.full(s.shape, default, dtype=np.float64)
    num = s.cat == _NUMBER
    if num.any():
        with np.errstate(over="ignore"):
            values[num] = np.asarray(s.a[num]).astype(np.float64)
        nonfinite = num & ~np.isfinite(values)
        if nonfinite.any():
            s.refuse(nonfinite, "not a finite number", NUM)
            values[nonfinite] = default
    return Cells(values, s.empty, s.marks)


_ISO_DATE = re.compile(r"\s*(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]*)?\s*")


def read_dates(raw: object, what: str, *, required: bool = True) -> Cells:
    """A date argument as datetime64[D] (NaT where empty or bad): Excel serial numbers,
    ``datetime.date``/``datetime``/``datetime64`` values, or ISO text YYYY-MM-DD."""
    s = _Sorted(raw, what)
    s.refuse_others((_NUMBER, _DATE, _TEXT, _EMPTY, _ERROR), "a date")
    _required(s, required)
    out = np.full(s.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    num = s.cat == _NUMBER
    if num.any():
        v = Validity(s.shape)
        with np.errstate(over="ignore"):
            serials = np.where(num, s.a, 1).astype(np.float64)
        days = calendar.from_excel_serial(serials, v, what)
        out[num] = days[num]
        bad = num & ~v.ok
        s.marks.fail(bad, v.reason, NUM)
        out[bad] = np.datetime64("NaT")
    day = s.cat == _DATE
    if day.any():  # a month's rows share a few distinct days: each converted once
        values = np.asarray(s.a[day]).tolist()
        days = {v: np.datetime64(v.date() if isinstance(v, dt.datetime) else v, "D")
                for v in set(values)}
        out[day] = np.array([days[v] for v in values], dtype="datetime64[D]")
    text = s.cat == _TEXT
    if text.any():
        texts = np.asarray(s.a[text]).tolist()
        parsed = {t: _iso_day(t) for t in set(texts)}
        days = np.array([parsed[t] for t in texts], dtype="datetime64[D]")
        out[text] = days
        bad = text & np.isnat(out)
        if bad.any():
            s._refuse_text(bad, "a date (use a date cell or ISO text YYYY-MM-DD)")
    return Cells(out, s.empty, s.marks)


def _iso_day(text: str) -> np.datetime64:
    m = _ISO_DATE.fullmatch(text)
    if not m:
        return np.datetime64("NaT")
    try:
        return np.datetime64(dt.date.fromisoformat(m.group(1)), "D")
    except ValueError:
        return np.datetime64("NaT")


def read_codes(raw: object, what: str, allowed: Sequence[str] | None = None, *,
               required: bool = True, numbers_ok: bool | str = False) -> Cells:
    """A code argument as lower-case text ('' where empty or bad). With ``allowed``, any
    other code is #VALUE! naming the allowed ones. ``numbers_ok`` lets whole numbers through as
    their digits (identifiers such as a subscription number); ``numbers_ok="decimal"`` lets
    any finite number through as its shortest decimal text (VAT rates: 22, 9.5)."""
    s = _Sorted(raw, what)
    kinds = (_TEXT, _EMPTY, _ERROR) + ((_NUMBER,) if numbers_ok else ())
    s.refuse_others(kinds, "a code")
    _required(s, required)
    out = np.full(s.shape, "", dtype=object)
    text = s.cat == _TEXT
    if text.any():
        texts = np.asarray(s.a[text]).tolist()
        normal = {t: t.strip().lower() for t in set(texts)}
        out[text] = list(map(normal.__getitem__, texts))
        if allowed is not None:
            unknown = text & ~np.isin(out, list(allowed))
            if unknown.any():
                msg = np.full(s.shape, "", dtype=object)
                msg[unknown] = [f"{what}: unknown code '{_short(c)}' - use one of "
                                f"{', '.join(allowed)}" for c in out[unknown].tolist()]
                s.marks.fail(unknown, msg, VALUE)
                out[unknown] = ""
    if numbers_ok == "decimal":
        num = s.cat == _NUMBER
        if num.any():
            vals = np.asarray(s.a[num]).astype(np.float64)
            finite = np.isfinite(vals)
            out[num] = [repr(v) if f else "" for v, f in zip(vals.tolist(), finite.tolist(),
                                                             strict=True)]
            bad = np.zeros(s.shape, dtype=bool)
            bad[num] = ~finite
            s.refuse(bad, "not a finite number", NUM)
    elif numbers_ok:
        num = s.cat == _NUMBER
        if num.any():
            vals = np.asarray(s.a[num]).astype(np.float64)
            whole = np.isfinite(vals) & (vals == np.round(vals))
            out[num] = [str(int(v)) if w else "" for v, w in zip(vals.tolist(), whole.tolist(),
                                                                strict=True)]
            bad = np.zeros(s.shape, dtype=bool)
            bad[num] = ~whole
            s.refuse(bad, "a number that is not a whole number where an identifier belongs")
    return Cells(out, s.empty, s.marks)


def read_flags(raw: object, what: str, *, default: bool = False) -> Cells:
    """A TRUE/FALSE argument (1 and 0 are accepted too); empty cells take ``default``."""
    s = _Sorted(raw, what)
    s.refuse_others((_BOOL, _NUMBER, _EMPTY, _ERROR), "TRUE or FALSE")
    out = np.full(s.shape, default, dtype=bool)
    b = s.cat == _BOOL
    out[b] = np.asarray(s.a[b]).astype(bool)
    num = s.cat == _NUMBER
    if num.any():
        vals = np.asarray(s.a[num]).astype(np.float64)
        out[num] = vals == 1
        bad = np.zeros(s.shape, dtype=bool)
        bad[num] = (vals != 0) & (vals != 1)
        s.refuse(bad, "a number other than 1 or 0 where TRUE or FALSE belongs")
    return Cells(out, s.empty, s.marks)


def read_table(raw: object, what: str) -> list[list[object]] | None:
    """A table range (tariff, discount tiers) as rows of plain values; None when omitted.
    Empty cells are None, date cells stay serial numbers; an error cell is a CallError."""
    if raw is None:
        return None
    a = grid(raw)
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(1, -1)
    rows: list[list[object]] = []
    for r, row in enumerate(a.tolist()):
        out_row = []
        for c, value in enumerate(row):
            if isinstance(value, dict):
                if value.get("type") == "Error":
                    raise CallError(f"{what}: the cell in row {r + 1}, column {c + 1} is "
                                    f"{error_code(value)}")
                value = value.get("basicValue")
            elif type(value).__name__ == "JsNull" or (isinstance(value, str)
                                                       and not value.strip()):
                value = None
            elif isinstance(value, int) and not isinstance(value, bool) and value in COM_ERRORS:
                raise CallError(f"{what}: the cell in row {r + 1}, column {c + 1} is "
                                f"{COM_ERRORS[value]}")
            out_row.append(value)
        rows.append(out_row)
    return rows


# --- writing results ---------------------------------------------------------------------------


class ExcelGrid(list):
    """The 2-D list a worksheet function returns, plus what the runtimes' converter needs:
    which columns hold dates, and the first bad cell's reason (for runtimes that cannot put an
    error value into one cell of an array)."""

    date_columns: tuple[int, ...] = ()
    first_problem: str = ""
    # Why each element is an error ("" where it is not), flat; ``elements_per_row`` elements
    # make one row of the grid (0: one element per row, as in a spilled bill).
    element_reasons: Sequence[str] = ()
    elements_per_row: int = 0

    def reason_at(self, row: int, column: int) -> str:
        """Why cell (row, column) is an error, for runtimes that show a reason per cell (the
        Server's JavaScript); the first problem where elements do not map to cells."""
        if not len(self.element_reasons):
            return self.first_problem
        i = row * self.elements_per_row + column if self.elements_per_row else row
        return str(self.element_reasons[i]) if i < len(self.element_reasons) else ""


def column_values(values: np.ndarray, kind: str) -> list[object]:
    """Engine values (1-D) as Excel cell values: cents -> EUR float, e4 -> EUR float with 4
    decimals, counts/numbers -> float, dates -> datetime.date, text -> str."""
    if kind == "cents":
        return (np.asarray(values, dtype=np.int64) / 100.0).tolist()
    if kind == "price_e4":
        return (np.asarray(values, dtype=np.int64) / 10_000.0).tolist()
    if kind in ("count", "number"):
        return np.asarray(values, dtype=np.float64).tolist()
    if kind == "date":
        return np.asarray(values, dtype="datetime64[D]").astype(object).tolist()
    return [str(v) for v in np.asarray(values, dtype=object).tolist()]


def build_grid(columns: list[list[object]], bad: np.ndarray | None, codes: np.ndarray | None,
               blank: np.ndarray | None, date_columns: tuple[int, ...] = (),
               first_problem: str = "", bad_columns: np.ndarray | None = None) -> ExcelGrid:
    """Rows from columns (lists of equal length n); row i of a ``bad`` mask becomes the Excel
    error ``codes[i]`` in every column (or only where ``bad_columns[i, j]``), a ``blank`` row
    becomes ""."""
    n = len(columns[0]) if columns else 0
    rows = ExcelGrid([list(r) for r in zip(*columns, strict=True)] if len(columns) > 1
                     else [[v] for v in columns[0]] if columns else [])
    if bad is not None and bad.any():
        for i in np.flatnonzero(bad).tolist():
            err = _ERROR_VALUES[codes[i] or VALUE]
            row = rows[i]
            for j in range(len(row)):
                if bad_columns is None or bad_columns[i, j]:
                    row[j] = err
    if blank is not None and blank.any():
        for i in np.flatnonzero(blank).tolist():
            rows[i] = [""] * len(rows[i])
    rows.date_columns = tuple(date_columns)
    rows.first_problem = first_problem
    assert len(rows) == n
    return rows


def as_rows(grid_: ExcelGrid, shape: tuple[int, ...]) -> ExcelGrid:
    """A single-column grid of the broadcast elements back into the broadcast ``shape``:
    0-d and 1-d (a one-row range) become one row."""
    if len(shape) == 2 and shape[1] == 1:
        return grid_
    flat = [r[0] for r in grid_]
    width = shape[-1] if shape else 1
    out = ExcelGrid(flat[i:i + width] for i in range(0, len(flat), width))
    out.date_columns = tuple(range(width)) if grid_.date_columns else ()
    out.first_problem = grid_.first_problem
    return out


def to_serial(value: object) -> object:
    """A returned cell with dates as Excel serial numbers (for callers that write numbers,
    e.g. the LibreOffice bridge); every other value unchanged."""
    if isinstance(value, dt.date):
        return float(calendar.to_excel_serial(np.datetime64(value, "D")))
    return value


def with_serials(result: list) -> list[list[object]]:
    """A function's grid with dates as Excel serial numbers and everything else unchanged
    (errors stay error values): for callers that hand numbers to a spreadsheet."""
    return [[to_serial(v) for v in row] for row in result]


def officejs(result: object, runtime: str | None, date_format: str | None) -> object:
    """A function's grid in the JSON form the Office.js runtime hands to Excel.

    Runtime >= 1.4: errors stay ErrorCellValue dicts (one error cell inside a spilled array),
    dates become FormattedNumber (a serial with the workbook's date format). Older runtimes
    cannot hold an error inside an array: any bad cell fails the whole call with the first
    reason (the cell shows #VALUE! with that message), never an error as text that SUM skips.
    """
    if not isinstance(result, list):
        return result
    modern = runtime is None or _runtime_at_least(runtime, 1.4)
    date_cols = getattr(result, "date_columns", ())
    if not modern:
        problem = getattr(result, "first_problem", "")
        if problem or any(is_error(v) for row in result for v in row):
            raise CallError(problem or "a cell of the result is an error")
    out = list(result)  # plain lists: what the JSON encoder of every runtime knows
    for j in date_cols:
        cells = [row[j] for row in out]
        where = [i for i, v in enumerate(cells) if isinstance(v, dt.date)]
        if not where:
            continue
        days = np.array([np.datetime64(cells[i], "D") for i in where], dtype="datetime64[D]")
        serials = calendar.to_excel_serial(days).tolist()
        for i, serial in zip(where, serials, strict=True):
            row = out[i] = list(out[i])
            row[j] = ({"type": "FormattedNumber", "basicValue": serial,
                       "numberFormat": date_format} if modern and date_format else serial)
    return out


def _runtime_at_least(runtime: str, wanted: float) -> bool:
    try:
        return float(runtime) >= wanted
    except (TypeError, ValueError):
        return True


def desktop(result: object) -> object:
    """A function's grid for desktop Excel (COM): dates as datetimes, errors as COM error
    values. Written from xlwings' COM conventions; not run in CI (needs Windows and Excel)."""
    if not isinstance(result, list):
        return result
    try:  # pragma: no cover - Windows only
        import pythoncom
        from win32com.client import VARIANT

        def err(code: str) -> object:
            return VARIANT(pythoncom.VT_ERROR, _COM_SCODE.get(code, _COM_SCODE[VALUE]))
    except ImportError:
        def err(code: str) -> object:
            return code
    out = []
    for row in result:
        new = []
        for v in row:
            if is_error(v):
                v = err(error_code(v))
            elif isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                v = dt.datetime(v.year, v.month, v.day)
            new.append(v)
        out.append(new)
    return out


try:  # the return converter of every worksheet function (xlwings is absent in pure engines)
    from xlwings.conversion import Converter, RawValueAccessor
except ImportError:  # pragma: no cover
    Converter = None

if Converter is not None:

    class ExcelResult(Converter):
        """xlwings return converter: our grid as it is (no per-cell conversion by xlwings,
        which costs ~40 us per cell), with dates and errors in the runtime's own form."""

        base = RawValueAccessor

        @staticmethod
        def write_value(value: object, options: dict) -> object:
            if "runtime" in options:  # Office.js: xlwings Lite and xlwings Server
                return officejs(value, options["runtime"], options.get("date_format"))
            return desktop(value)
