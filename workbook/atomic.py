"""Outputs written whole or not at all (issue 12): a private folder beside the target, the
complete file renamed out of it, the mode of the file it replaces kept, and the folders of
runs that were killed removed by the next run."""

from __future__ import annotations

import glob
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file, by any spelling (a link, a relative path): an
    output that would overwrite an input."""
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


@contextmanager
def private_folder(target: Path) -> Iterator[Path]:
    """A new folder ``.NAME-tmpPID-...`` beside ``target`` (same file system: the rename is
    atomic), removed afterwards; folders of earlier runs for ``target`` whose process is gone
    are removed first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    work = Path(tempfile.mkdtemp(prefix=f".{target.stem}-tmp{os.getpid()}-", dir=target.parent))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def replace(done: Path, target: Path, mode: int) -> None:
    """Give the complete file ``done`` the ``mode`` and rename it to ``target``."""
    os.chmod(done, mode)
    os.replace(done, target)


def mode_for(path: Path) -> int:
    """The mode of the file to be replaced, or a new document's (0666 less the umask)."""
    try:
        return stat.S_IMODE(Path(path).stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def remove_stale(target: Path) -> None:
    """Remove the private folders of earlier runs for ``target`` whose process is gone."""
    for old in target.parent.glob(f".{glob.escape(target.stem)}-tmp*-*"):
        pid = old.name[len(target.stem) + 5:].split("-", 1)[0]
        if not pid.isdigit() or not old.is_dir() or _alive(int(pid)):
            continue
        shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, another user's
        return True
    return True
