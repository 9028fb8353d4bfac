"""The user's files are theirs: a built file is replaced only while it is exactly what we
last wrote there (issue 8, our decision).

Every file Tarifa builds for the user (``tarifa build``'s templates, ``install.py``'s sample
bills) is recorded by its SHA-256 in ``.tarifa-built.json`` in its folder. A file that exists
and differs from that record (typed into, saved by Excel, or made before the record existed)
is kept; the new build goes to ``NAME-new.xlsx`` (then ``NAME-new-2.xlsx``, ...).

Standard library only: ``install.py`` uses it before the virtual environment exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

RECORD = ".tarifa-built.json"


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _record(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def ours(path: Path) -> bool:
    """``path`` is absent, or byte for byte what we last wrote there (safe to replace)."""
    path = Path(path)
    if not os.path.lexists(path):
        return True
    want = _record(path.parent).get(path.name)
    try:
        return want is not None and path.is_file() and digest(path) == want
    except OSError:
        return False


def destination(path: Path) -> Path:
    """Where a new build of ``path`` may go: ``path`` itself unless someone's file is there,
    else the first of ``NAME-new.xlsx``, ``NAME-new-2.xlsx``, ... that is free or ours."""
    path = Path(path)
    if ours(path):
        return path
    n = 1
    while True:
        candidate = path.with_name(f"{path.stem}-new{'' if n == 1 else f'-{n}'}{path.suffix}")
        if ours(candidate):
            return candidate
        n += 1


def usual_mode(path: Path) -> None:
    """Give a file we created the mode a user's new file gets (0666 less the umask), not the
    0600 of a temporary file."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def remember(path: Path) -> None:
    """Record ``path`` (just written by us) as ours."""
    path = Path(path)
    record = _record(path.parent)
    record[path.name] = digest(path)
    fd, tmp = tempfile.mkstemp(prefix=".tarifa-built-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1, sort_keys=True)
        os.replace(tmp, path.parent / RECORD)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
