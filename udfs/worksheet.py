"""The machinery behind every worksheet function of ``udfs.functions``.

``@worksheet(arg=Kind(...), ...)`` turns a small function over engine arrays into an Excel
function:

1. reads each raw argument with its kind (``udfs.excel_values``): numbers, dates, codes, flags,
   tables; empty cells of optional arguments take their defaults;
2. broadcasts the arguments like numpy (ranges of different sizes are an error of the whole
   call, with a message);
3. calls the function with the broadcast arrays; should the engine raise (it should not), the
   call is retried element by element so that only the elements that raise become errors --
   an exception never takes down a column;
4. merges the reading problems and the engine's per-element validity, and returns a 2-D list
   in which every bad element is an Excel error value and every other element its value.

It also makes the ``<NAME>_CHECK`` companion (``check_of``): same arguments, one reason per
element ("OK" where the element is good, "" for a blank row), so a user can see why a cell is
an error. The xlwings decorators (``func``, ``arg(..., "raw", doc=...)``, ``ret``) are applied
here; without ``XLWINGS_ON_SERVER`` on Linux they are no-ops and the functions are plain Python.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xlwings import arg as xl_arg
from xlwings import func as xl_func
from xlwings import ret as xl_ret

from pricing.catalog import TariffTable
from pricing.validity import Result, Validity
from udfs import excel_values as xv

# --- argument kinds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one argument is read. ``doc`` is what Excel's function wizard shows."""

    doc: str
    optional: bool = False

    def read(self, raw: object, what: str) -> object:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Kind):
    default: float = np.nan  # NaN = not given (the engine's convention)

    def read(self, raw: object, what: str) -> xv.Cells:
        return xv.read_numbers(raw, what, required=not self.optional, default=self.default)


@dataclass(frozen=True)
class Date(Kind):
    def read(self, raw: object, what: str) -> xv.Cells:
        return xv.read_dates(raw, what, required=not self.optional)


@dataclass(frozen=True)
class Code(Kind):
    allowed: tuple[str, ...] | None = None
    numbers_ok: bool | str = False

    def read(self, raw: object, what: str) -> xv.Cells:
        return xv.read_codes(raw, what, self.allowed, required=not self.optional,
                             numbers_ok=self.numbers_ok)


@dataclass(frozen=True)
class Flag(Kind):
    default: bool = False

    def read(self, raw: object, what: str) -> xv.Cells:
        return xv.read_flags(raw, what, default=self.default)


@dataclass(frozen=True)
class Table(Kind):
    """A whole range read as one table (tariff, discount tiers), not broadcast."""

    build: Callable[[list[list[object]]], object] = TariffTable.from_rows
    optional: bool = True

    def read(self, raw: object, what: str) -> object:
        rows = xv.read_table(raw, what)
        if rows is None:
            return None
        try:
            return self.build(rows)
        except Exception as e:  # a table that cannot be read spoils the whole call
            raise xv.CallError(f"{what}: {e}") from None


# --- what the functions return -----------------------------------------------------------------


@dataclass
class Spill:
    """Several result columns per element (an itemised bill, a ledger): one output row per
    element of the broadcast arguments, ``columns`` as (values, kind) of that length."""

    columns: list[tuple[np.ndarray, str]]
    validity: Validity


@dataclass
class Block:
    """A result that is not aligned with the input rows (VAT totals): ready rows; ``bad``
    cells are shown as the error of ``code``."""

    rows: list[list[object]]
    bad: np.ndarray  # bool, same shape as rows
    code: str = xv.VALUE
    date_columns: tuple[int, ...] = ()
    input_validity: Validity | None = None  # per input element, for the _CHECK companion


@dataclass
class _Outcome:
    shape: tuple[int, ...]
    marks: xv.Marks
    blank: np.ndarray | None
    value: Result | Spill | Block | None = None
    extra: dict = field(default_factory=dict)


# --- the decorator -----------------------------------------------------------------------------

# Engine reasons that mean "this cell cannot be read" (#VALUE!) rather than "the rules refuse
# it" (#NUM!); missing prices are #N/A (excel_values.engine_error_code). "must be a number with
# at most N decimals" and "must be a whole number" are read but refused: #NUM!.
_UNREADABLE = re.compile(r"unknown|must be one of|must be 'electronic'|is empty or not a|"
                         r"must be a number(?! with)|not a date|not an identifier|"
                         r"must be TRUE or FALSE|"
                         r"is not a number|is not a VAT rate|two prices for|^internal error",
                         re.IGNORECASE)


def engine_code(reason: str) -> str:
    if _UNREADABLE.search(reason or ""):
        return xv.VALUE
    return xv.engine_error_code(reason)


def worksheet(*, elementwise: bool = True, wants_blank: bool = False,
              **kinds: Kind) -> Callable:
    """Make an Excel function of ``body`` (see the module docstring). ``kinds`` name every
    parameter of ``body``; ``elementwise`` says whether the body may be retried element by
    element (False for functions whose rows depend on each other, such as a ledger);
    ``wants_blank`` passes the blank-row mask as a last parameter ``blank``."""

    def decorate(body: Callable) -> Callable:
        names = list(inspect.signature(body).parameters)
        if wants_blank:
            names.remove("blank")
        if set(names) != set(kinds):
            raise TypeError(f"{body.__name__}: kinds {sorted(kinds)} != parameters {names}")
        spec = _Spec(body, names, kinds, elementwise, wants_blank)

        @functools.wraps(body)
        def excel_function(*args: object) -> xv.ExcelGrid:
            return _values(spec, spec.evaluate(args))

        excel_function.__tarifa__ = spec
        return _register(excel_function, spec, body.__doc__ or "")

    return decorate


def check_of(function: Callable) -> Callable:
    """The ``<NAME>_CHECK`` companion of a worksheet function: one reason per element of the
    broadcast arguments ("OK" for a good element, "" for a blank row)."""
    spec: _Spec = function.__tarifa__
    name = f"{spec.body.__name__}_CHECK"

    @functools.wraps(spec.body)
    def check(*args: object) -> xv.ExcelGrid:
        return _reasons(spec.evaluate(args))

    check.__name__ = check.__qualname__ = name
    doc = (f"Per row: OK, or why {spec.body.__name__} gives an error there (same arguments as "
           f"{spec.body.__name__}).")
    check.__doc__ = doc
    check.__tarifa__ = spec
    return _register(check, spec, doc)


def _register(fn: Callable, spec: _Spec, doc: str) -> Callable:
    """Apply xlwings' decorators: raw arguments with their docs, our own return converter."""
    fn.__doc__ = doc
    fn.__annotations__ = {}  # xlwings reads converters from annotations: we give them below
    fn.__signature__ = inspect.Signature([
        inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          **({"default": None} if spec.kinds[n].optional else {}))
        for n in spec.names])
    fn = xl_func(fn)
    for n in spec.names:
        fn = xl_arg(n, "raw", doc=spec.kinds[n].doc)(fn)
    return xl_ret(xv.ExcelResult)(fn)


class _Spec:
    def __init__(self, body: Callable, names: list[str], kinds: dict[str, Kind],
                 elementwise: bool, wants_blank: bool = False) -> None:
        self.body, self.names, self.kinds, self.elementwise = body, names, kinds, elementwise
        self.wants_blank = wants_blank

    def evaluate(self, args: Sequence[object]) -> _Outcome:
        if len(args) > len(self.names):
            raise xv.CallError(f"{self.body.__name__} takes at most {len(self.names)} arguments")
        raw = list(args) + [None] * (len(self.names) - len(args))
        read = {n: self.kinds[n].read(r, n) for n, r in zip(self.names, raw, strict=True)}
        cells = {n: c for n, c in read.items() if isinstance(c, xv.Cells)}
        shape = _common_shape(self.body.__name__, cells)
        marks = xv.Marks(shape)
        for c in cells.values():
            marks.take(c.marks)
        ranges = [c for c in cells.values() if c.is_range]
        blank = None
        if ranges:
            blank = np.ones(shape, dtype=bool)
            for c in ranges:
                blank &= np.broadcast_to(c.empty, shape)
        call = {n: (np.broadcast_to(c.values, shape) if isinstance(c, xv.Cells) else c)
                for n, c in read.items()}
        if self.wants_blank:
            call["blank"] = blank if blank is not None else np.zeros(shape, dtype=bool)
        value = self._run(call, shape)
        outcome = _Outcome(shape, marks, blank, value)
        validity = value.validity if isinstance(value, (Result, Spill)) else value.input_validity
        if validity is not None:
            marks.take(validity, engine_code)
        if blank is not None and blank.any():  # a blank row is no problem: it shows ""
            marks.ok[blank] = True
            marks.reason[blank] = ""
            marks.code[blank] = ""
        return outcome

    def _run(self, call: dict[str, object], shape: tuple[int, ...]) -> Result | Spill | Block:
        try:
            return self.body(**call)
        except xv.CallError:
            raise
        except Exception as e:
            if not self.elementwise or not shape or int(np.prod(shape)) <= 1:
                raise xv.CallError(f"{self.body.__name__}: {e}") from e
        return self._one_by_one(call, shape)

    def _one_by_one(self, call: dict[str, object], shape: tuple[int, ...]) -> Result:
        """The engine raised on the whole call: compute element by element, so that only
        the elements that raise become errors (with the exception's text as reason)."""
        n = int(np.prod(shape))
        values: list[object] = []
        v = Validity((n,))
        kind = "number"
        for i in range(n):
            one = {k: (a.reshape(-1)[i] if isinstance(a, np.ndarray) else a)
                   for k, a in call.items()}
            try:
                r = self.body(**one)
                if not isinstance(r, Result):
                    raise xv.CallError(f"{self.body.__name__}: cannot be computed per element")
                kind = r.kind
                values.append(np.asarray(r.values).reshape(-1)[0])
                if not bool(np.asarray(r.validity.ok).reshape(-1)[0]):
                    v.fail(np.arange(n) == i, str(np.asarray(r.validity.reason).reshape(-1)[0]))
            except xv.CallError:
                raise
            except Exception as e:
                values.append(None)
                v.fail(np.arange(n) == i, f"internal error: {e}")
        arr = np.array([0 if x is None else x for x in values])
        if kind == "date":
            arr = np.array([np.datetime64("NaT") if x is None else x for x in values],
                           dtype="datetime64[D]")
        vv = Validity(shape)
        vv.merge(_reshaped(v, shape))
        return Result(arr.reshape(shape), vv, kind)


def _reshaped(v: Validity, shape: tuple[int, ...]) -> Validity:
    out = Validity(shape)
    out.fail(~v.ok.reshape(shape), v.reason.reshape(shape))
    return out


def _common_shape(name: str, cells: dict[str, xv.Cells]) -> tuple[int, ...]:
    empty = [n for n, c in cells.items() if c.values.size == 0]
    if empty:
        raise xv.CallError(f"{name}: {', '.join(empty)} is an empty range")
    try:
        return np.broadcast_shapes(*(c.values.shape for c in cells.values()))
    except ValueError:
        sizes = ", ".join(f"{n} {_size(c.values.shape)}" for n, c in cells.items()
                          if c.values.size > 1)
        raise xv.CallError(f"{name}: the ranges have different sizes ({sizes}); give ranges "
                           "of the same size or single cells") from None


def _size(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"1x{shape[0]}"
    return "x".join(str(s) for s in shape)


# --- results -> Excel --------------------------------------------------------------------------


def _flat(a: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    return None if a is None else np.broadcast_to(a, shape).reshape(-1)


def _values(spec: _Spec, out: _Outcome) -> xv.ExcelGrid:
    value, shape, marks = out.value, out.shape, out.marks
    bad = ~marks.ok.reshape(-1)
    codes = marks.code.reshape(-1)
    blank = _flat(out.blank, shape)
    first = _first_problem(marks)
    if isinstance(value, Block):
        return _block(value, marks, first)
    if isinstance(value, Spill):
        if len(shape) == 2 and min(shape) > 1:
            raise xv.CallError(f"{spec.body.__name__}: give the arguments as columns (one row "
                               "per line), not as a range of several columns")
        cols, dates = [], []
        for j, (vals, kind) in enumerate(value.columns):
            cols.append(xv.column_values(np.broadcast_to(vals, shape).reshape(-1), kind))
            if kind == "date":
                dates.append(j)
        rows = xv.build_grid(cols, bad, codes, blank, tuple(dates), first)
        rows.element_reasons = marks.reason.reshape(-1)  # one element per row
        return rows
    col = xv.column_values(np.broadcast_to(value.values, shape).reshape(-1), value.kind)
    grid = xv.build_grid([col], bad, codes, blank, (0,) if value.kind == "date" else (), first)
    rows = xv.as_rows(grid, shape)
    rows.element_reasons = marks.reason.reshape(-1)
    rows.elements_per_row = shape[-1] if shape else 1  # as as_rows lays them out
    return rows


def _block(block: Block, marks: xv.Marks, first: str) -> xv.ExcelGrid:
    bad_any = not marks.ok.all()
    code = marks.code.reshape(-1)[np.flatnonzero(~marks.ok.reshape(-1))[0]] if bad_any else ""
    rows = xv.ExcelGrid()
    for i, row in enumerate(block.rows):
        new = []
        for j, v in enumerate(row):
            if bad_any and block.bad[i][j]:
                new.append(xv.excel_error(code or xv.VALUE))
            else:
                new.append(v)
        rows.append(new)
    rows.date_columns = block.date_columns
    rows.first_problem = first
    return rows


def _first_problem(marks: xv.Marks) -> str:
    bad = np.flatnonzero(~marks.ok.reshape(-1))
    if not bad.size:
        return ""
    i = int(bad[0])
    more = f" (and {bad.size - 1} more; see the _CHECK function)" if bad.size > 1 else ""
    where = f"element {i + 1}: " if marks.ok.size > 1 else ""
    return f"{where}{marks.reason.reshape(-1)[i]}{more}"


def _reasons(out: _Outcome) -> xv.ExcelGrid:
    shape = out.shape
    reason = np.where(out.marks.ok, "OK", out.marks.reason).astype(object)
    notes = out.value.notes if isinstance(out.value, Result) else None
    if notes is not None:  # a good element with something to say: "OK - <note>"
        noted = np.broadcast_to(out.marks.ok & (np.asarray(notes) != ""), shape)
        if noted.any():
            reason = np.broadcast_to(reason, shape).copy()
            reason[noted] = "OK - " + np.broadcast_to(np.asarray(notes, dtype=object),
                                                      shape)[noted]
    if out.blank is not None:
        reason = np.where(out.blank, "", reason)
    col = [str(r) for r in np.broadcast_to(reason, shape).reshape(-1).tolist()]
    grid = xv.build_grid([col], None, None, None)
    if isinstance(out.value, Spill) or len(shape) == 2 and shape[1] == 1:
        return grid
    return xv.as_rows(grid, shape)


class Evaluation:
    """One evaluation of a worksheet function, for callers that need what both ``F`` and
    ``F_CHECK`` return (``tarifa bill``). ``outcome.value`` keeps the engine's exact result
    (integer cents, prices x 10**4), ``outcome.marks.ok`` / ``outcome.blank`` the per-element
    masks; the Excel grids are built only when asked for (a big month needs none)."""

    def __init__(self, spec: _Spec, outcome: _Outcome) -> None:
        self.spec, self.outcome = spec, outcome

    @functools.cached_property
    def values(self) -> xv.ExcelGrid:
        return _values(self.spec, self.outcome)

    @functools.cached_property
    def reasons(self) -> xv.ExcelGrid:
        return _reasons(self.outcome)

    def reason(self, i: int) -> str:
        """The reason of flat element ``i`` as ``F_CHECK`` gives it."""
        out = self.outcome
        if out.blank is not None and out.blank.reshape(-1)[i]:
            return ""
        return "OK" if out.marks.ok.reshape(-1)[i] else str(out.marks.reason.reshape(-1)[i])


def evaluate(function: Callable, *args: object) -> Evaluation:
    """Evaluate worksheet function ``function`` once (see ``Evaluation``)."""
    spec: _Spec = function.__tarifa__
    return Evaluation(spec, spec.evaluate(args))
