"""``tarifa new FILE.xlsx``: a fresh working copy of the template, for one month's work.

The file is built from the built-in price lists (as ``tarifa build``) and appears only when
complete (a temporary file in the same folder, hard-linked to FILE, which fails if FILE
exists): an existing file is never overwritten, whatever it holds. Exit status 0 written, 1
refused (FILE exists, not .xlsx) or failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from addin import keep
from workbook.template import build

RUNTIMES = {"desktop": "", "lite": "_xldudf_", "server": "_xldudf_TARIFA_"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the workbook to create (.xlsx); must not exist")
    parser.add_argument("--runtime", choices=tuple(RUNTIMES), default="desktop",
                        help="how the formulas name Tarifa's functions: desktop (xlwings, "
                             "LibreOffice, tarifa bill; default), lite (xlwings Lite), "
                             "server (xlwings Server, namespace TARIFA)")


def new_workbook(path: Path, runtime: str = "desktop") -> Path:
    """Write a fresh template to ``path``; FileExistsError if anything is there."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: the workbook must be an .xlsx file")
    if os.path.lexists(path):
        raise FileExistsError(f"{path} exists: refusing to overwrite it (choose another name)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-new-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        build(Path(tmp), prefix=RUNTIMES[runtime])
        keep.usual_mode(Path(tmp))  # a user's document: the usual mode, not 0600
        _place(Path(tmp), path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _place(tmp: Path, path: Path) -> None:
    """Give the complete file ``tmp`` the name ``path`` only if ``path`` does not exist."""
    try:
        os.link(tmp, path)  # atomic, and fails if path appeared meanwhile
        return
    except FileExistsError:
        raise FileExistsError(f"{path} exists: refusing to overwrite it") from None
    except OSError:  # a file system without hard links: create exclusively, then copy
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out, open(tmp, "rb") as src:
            shutil.copyfileobj(src, out)
    except BaseException:
        os.unlink(path)
        raise


def run(args: argparse.Namespace) -> int:
    try:
        path = new_workbook(args.file, args.runtime)
    except (ValueError, OSError) as e:
        print(f"tarifa new: {e}", file=sys.stderr)
        return 1
    print(f"Written: {path} - your working copy. Fill its usage Tables (or tarifa import), "
          f"then: tarifa bill {path} --month YYYY-MM -o bills.xlsx")
    return 0
