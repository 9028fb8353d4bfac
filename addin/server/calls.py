"""One function call of the Office.js protocol: JSON body in, JSON answer out, never on the
event loop: in a worker thread, or, for a large call (a body over ``LARGE_CALL_BYTES``), in a
process of its own (``LargeCalls``) -- Python threads share one interpreter lock, and decoding
and computing a 1,000,000-row call holds it for seconds at a time, which would hold back every
small call of the same worker.

The answer is ``{"result": [[...]]}`` as xlwings Server answers, plus, when cells of the result
are errors, why: ``"errors": [[row, column, k], ...]`` and ``"reasons": [text, ...]`` (``k``
indexes ``reasons``; each reason once, so a column of 100,000 bad cells stays small). The
served JavaScript turns each error cell into Excel's ``CustomFunctions.Error`` with the message
``NAME: reason (row r)``; other clients read ``result`` and ignore the rest.

A call Excel's user can fix (ranges of different sizes, an unreadable tariff table, a body that
is not the protocol's) raises ``Refused`` (HTTP 400 with the message); anything else is a bug
(HTTP 500 with the traceback in the log).
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import re
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import ModuleType, SimpleNamespace

import xlwings
import xlwings.server

from udfs import excel_values as xv

_STRING_FIELDS = ("client", "version", "runtime")
_OPTIONAL_STRING_FIELDS = ("caller_address", "content_language", "culture_info_name",
                           "date_format", "session_id")
_LEADING_NAME = re.compile(r"([A-Z][A-Z0-9_]*): ")
_loops = threading.local()


class Refused(Exception):
    """A call refused with an HTTP ``status`` and a message for the cell."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple:  # crosses from the large-call process intact
        return (Refused, (self.status, self.message))


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse(raw: bytes, known: Callable[[str], bool]) -> dict:
    """The call's body, checked to be the protocol's; ``known(name)`` says whether a function
    exists (unknown: 404)."""
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise Refused(400, f"the request body is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise Refused(400, "the request body must be a JSON object")
    name = data.get("func_name")
    if not isinstance(name, str):
        raise Refused(400, "the request body has no func_name")
    if not known(name):
        raise Refused(404, f"unknown function {name!r}")
    args = data.get("args")
    if not isinstance(args, list):
        raise Refused(400, f"{name}: the request body has no args list")
    for i, a in enumerate(args, 1):
        if a is not None and not (isinstance(a, list) and all(isinstance(r, list) for r in a)):
            raise Refused(400, f"{name}: argument {i} is not a 2-D array (rows of cells)")
    for field in _STRING_FIELDS:
        if not isinstance(data.get(field), str):
            raise Refused(400, f"{name}: the request body has no {field}")
    for field in _OPTIONAL_STRING_FIELDS:
        if not isinstance(data.get(field), (str, type(None))):
            raise Refused(400, f"{name}: {field} must be text or null")
    return data


def message(name: str, error: Exception) -> str:
    """The text for a refused call: ``NAME: what is wrong`` (no Python class name, the
    function's name once)."""
    text = str(error).strip() or "the call cannot be computed"
    m = _LEADING_NAME.match(text)
    if m and name.startswith(m.group(1)):  # MSIGN_OVERAGE_CHECK: MSIGN_OVERAGE: ... -> once
        text = text[m.end():]
    return f"{name}: {text}"


def _recorded(fn: Callable, box: list) -> Callable:
    """``fn`` that also keeps what it returned (the grid with its per-cell reasons), with
    xlwings' metadata and signature."""

    @functools.wraps(fn)
    def call(*args: object, **kwargs: object) -> object:
        out = fn(*args, **kwargs)
        box.append(out)
        return out

    return call


def _loop() -> asyncio.AbstractEventLoop:
    """This worker thread's own event loop (xlwings' call is a coroutine)."""
    loop = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _loops.loop = asyncio.new_event_loop()
    return loop


def run(raw: bytes, module: ModuleType) -> bytes:
    """Compute one call (blocking: run it in a worker thread); the JSON answer's bytes."""
    data = parse(raw, lambda n: hasattr(getattr(module, n, None), "__xlfunc__"))
    name = data["func_name"]
    box: list = []
    one = SimpleNamespace(**{name: _recorded(getattr(module, name), box)})
    try:
        result = _loop().run_until_complete(xlwings.server.custom_functions_call(data, one))
    except (xv.CallError, xlwings.XlwingsError) as e:
        raise Refused(400, message(name, e)) from None
    answer: dict[str, object] = {"result": result}
    errors, reasons = error_cells(result, box[0] if box else None)
    if errors:
        answer["errors"], answer["reasons"] = errors, reasons
    # allow_nan=False: a NaN or infinity in a result is a bug (500), never a cell value
    return json.dumps(answer, allow_nan=False, separators=(",", ":")).encode()


def error_cells(result: object, grid: object) -> tuple[list[list[int]], list[str]]:
    """The error cells of ``result`` as [row, column, k] with the distinct reasons."""
    if not isinstance(result, list):
        return [], []
    reason_at = getattr(grid, "reason_at", None)
    errors: list[list[int]] = []
    index: dict[str, int] = {}
    for r, row in enumerate(result):
        if not isinstance(row, list):
            continue
        for c, v in enumerate(row):
            if type(v) is dict and v.get("type") == "Error":
                reason = (reason_at(r, c) if reason_at else "") or "see the _CHECK function"
                k = index.setdefault(reason, len(index))
                errors.append([r, c, k])
    return errors, list(index)


# --- large calls: a process of their own -----------------------------------------------------

LARGE_CALL_BYTES = 256 * 1024  # ~35,000 one-number rows: 0.1 s and more of work
_functions: ModuleType | None = None


def run_tarifa(raw: bytes) -> bytes:
    """``run`` over Tarifa's functions, in a large-call process (imported there once)."""
    global _functions
    if _functions is None:
        from addin.server import functions_module

        _functions = functions_module()
    return run(raw, _functions)


def warm() -> int:
    """Import the functions in a large-call process before the first call needs them."""
    from addin.server import functions_module

    return len(dir(functions_module()))


class LargeCalls:
    """A pool of ``processes`` processes (started on first use, spawned: nothing of the
    server's threads is inherited) that compute large calls of Tarifa's functions."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.processes,
                                                 mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    async def run(self, raw: bytes) -> bytes:
        pool = self.pool()
        try:
            return await asyncio.wrap_future(pool.submit(run_tarifa, raw))
        except BrokenProcessPool:  # the process died (killed, out of memory): a new one next
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise

    async def start(self) -> None:
        await asyncio.wrap_future(self.pool().submit(warm))

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
