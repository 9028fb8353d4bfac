"""Invoice numbers: a user-set pattern, never repeated.

The pattern (the Seller block's "Invoice number pattern") is Python format text with the
fields ``{year}``, ``{month}`` (of the issue date) and ``{seq}``, the running number, which
must be there: ``{year}-{seq:04d}`` gives 2025-0001, 2025-0002, ... The running number counts
per series -- the pattern with ``{seq}`` left out, so ``{year}-...`` starts again each year.

The last number of each series is kept in a file beside the workbook
(``<workbook>.invoice-numbers.json``; the workbook itself is the user's and is never
written). ``reserve`` takes a lock file, reads the last numbers, and writes the new ones
through a temporary file renamed over the old one, so the file is always whole and two runs
never hand out the same number. Numbers are reserved before any invoice is written: a
failure after that leaves a gap, never a repeat.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import string
import tempfile
import time
from pathlib import Path

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_FIELDS = {"year", "month", "seq"}


def counter_file(workbook: Path) -> Path:
    workbook = Path(workbook)
    return workbook.with_name(workbook.name + ".invoice-numbers.json")


def check_pattern(pattern: str) -> None:
    """ValueError unless ``pattern`` is format text with ``{seq}`` and known fields only."""
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    except ValueError as e:
        raise ValueError(f"invoice number pattern {pattern!r}: {e}") from None
    if "seq" not in names:
        raise ValueError(f"invoice number pattern {pattern!r} has no {{seq}}: numbers would "
                         "repeat (e.g. write {year}-{seq:04d})")
    if names - _FIELDS:
        raise ValueError(f"invoice number pattern {pattern!r}: unknown field(s) "
                         f"{', '.join(sorted(names - _FIELDS))}; use year, month, seq")
    sample = format_number(pattern, dt.date(2025, 1, 1), 1)
    if not _SAFE.match(sample):
        raise ValueError(f"invoice number pattern {pattern!r} gives {sample!r}: use letters, "
                         "digits, '.', '_' and '-' only (the number names the files)")


def format_number(pattern: str, day: dt.date, seq: int) -> str:
    return pattern.format(year=day.year, month=f"{day.month:02d}", seq=seq)


def series(pattern: str, day: dt.date) -> str:
    """The series a number belongs to: the pattern with year and month filled in, {seq}
    kept: '{year}-{seq:04d}' on a 2025 date is '2025-{seq}'."""
    out = []
    for literal, field, spec, conv in string.Formatter().parse(pattern):
        out.append(literal)
        if field == "seq":
            out.append("{seq}")
        elif field is not None:
            out.append(format_number("{" + field + (f"!{conv}" if conv else "")
                                     + (f":{spec}" if spec else "") + "}", day, 0))
    return "".join(out)


class Lock:
    """A lock file made with O_EXCL (works on every OS); a stale one is reported, not taken."""

    def __init__(self, path: Path, wait: float = 10.0) -> None:
        self.path = Path(str(path) + ".lock")
        self.wait = wait

    def __enter__(self) -> Lock:
        end = time.monotonic() + self.wait
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.write(fd, str(os.getpid()).encode())
                os.close(fd)
                return self
            except FileExistsError:
                if time.monotonic() > end:
                    raise ValueError(f"{self.path} exists: another 'tarifa invoice' is "
                                     "running, or one was killed; if none runs, delete "
                                     "that file") from None
                time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _read(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        last = data["last"]
        if not all(isinstance(k, str) and isinstance(v, int) for k, v in last.items()):
            raise ValueError
        return dict(last)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValueError(f"{path}: not a Tarifa invoice-number file; it keeps the last "
                         "numbers: restore it, never delete it (numbers would repeat)") from None


def _write(path: Path, last: dict[str, int]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"about": "last invoice number per series, kept by tarifa invoice",
                       "last": last}, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def peek(path: Path, pattern: str, day: dt.date, count: int) -> list[str]:
    """The next ``count`` numbers, without reserving them."""
    check_pattern(pattern)
    last = _read(path).get(series(pattern, day), 0)
    return [format_number(pattern, day, last + k) for k in range(1, count + 1)]


def reserve(path: Path, pattern: str, day: dt.date, count: int,
            refuse: object = None) -> list[str]:
    """Reserve the next ``count`` numbers of the pattern's series on ``day`` (atomically,
    under the lock). ``refuse(numbers)`` is called under the lock before anything is written
    (raise there to reserve nothing, e.g. when a number's files already exist)."""
    check_pattern(pattern)
    path = Path(path)
    with Lock(path):
        last = _read(path)
        key = series(pattern, day)
        start = last.get(key, 0)
        numbers = [format_number(pattern, day, start + k) for k in range(1, count + 1)]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"invoice number pattern {pattern!r} gives the same number twice")
        if callable(refuse):
            refuse(numbers)
        if count:
            last[key] = start + count
            _write(path, last)
    return numbers
