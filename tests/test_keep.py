"""The user's files are theirs (issue 8, item 4): `tarifa new` never overwrites, `tarifa build`
and `install.py` keep a workbook that differs from what they last built, and a re-install
loses nothing typed."""

from __future__ import annotations

import importlib.util
import shutil
import stat
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import openpyxl

from addin import keep
from addin.cli import main
from workbook import layout as L

ROOT = Path(__file__).resolve().parent.parent


def type_into(path: Path, sheet: str, cell: str, value: object) -> None:
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def typed(path: Path, sheet: str, cell: str) -> object:
    return openpyxl.load_workbook(path, read_only=True)[sheet][cell].value


def test_new_writes_a_fresh_template_and_never_overwrites(tmp_path, capsys):
    mine = tmp_path / "my-month.xlsx"
    assert main(["new", str(mine)]) == 0
    wb = openpyxl.load_workbook(mine)
    assert set(wb.sheetnames) >= set(L.SHEETS)
    assert L.MSIGN_USAGE.name in wb[L.MSIGN].tables
    assert stat.S_IMODE(mine.stat().st_mode) != 0o600  # a document, not a temp file
    type_into(mine, L.MSIGN, "A7", "typed by finance")
    data = mine.read_bytes()
    assert main(["new", str(mine)]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert mine.read_bytes() == data
    assert main(["new", str(tmp_path / "x.csv")]) == 1  # only .xlsx
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-month.xlsx"]  # no temp left


def test_build_replaces_its_own_file_and_keeps_a_changed_one(tmp_path, capsys):
    out = tmp_path / "T.xlsx"
    assert main(["build", "-o", str(out), "--only-plain"]) == 0
    first = out.read_bytes()
    assert main(["build", "-o", str(out), "--only-plain"]) == 0  # ours, unchanged: rebuilt
    assert not (tmp_path / "T-new.xlsx").exists()
    capsys.readouterr()
    type_into(out, L.MSIGN, "E7", 4321)
    changed = out.read_bytes()
    assert changed != first
    assert main(["build", "-o", str(out), "--only-plain"]) == 0
    said = capsys.readouterr().out
    assert out.read_bytes() == changed  # kept, byte for byte
    assert f"the new template is {tmp_path / 'T-new.xlsx'}" in said
    assert typed(tmp_path / "T-new.xlsx", L.MSIGN, "E7") != 4321  # a fresh template
    type_into(tmp_path / "T-new.xlsx", L.MSIGN, "E7", 99)  # worked in too: the next goes on
    assert main(["build", "-o", str(out), "--only-plain"]) == 0
    assert (tmp_path / "T-new-2.xlsx").exists() and typed(tmp_path / "T-new.xlsx",
                                                          L.MSIGN, "E7") == 99


def test_a_file_that_was_there_before_any_build_is_kept(tmp_path):
    out = tmp_path / "T.xlsx"
    out.write_bytes(b"someone's file")
    assert keep.destination(out) == tmp_path / "T-new.xlsx"
    assert main(["build", "-o", str(out), "--only-plain"]) == 0
    assert out.read_bytes() == b"someone's file"


def test_reinstall_loses_nothing_typed(tmp_path):
    """install.py twice in a copy of the project's entry points (the venv reused): between
    the runs finance types into dist/Tarifa.xlsx, into its own copy and into the sample bills."""
    for name in ("install.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "addin", tmp_path / "addin",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # a venv of its own that sees this one's packages, stamped as installed: the copy's
    # install.py must never run pip (it would point this venv's editable install at the copy)
    venv_dir = tmp_path / ".venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(venv_dir)
    site = sysconfig.get_paths()["purelib"]
    (Path(sysconfig.get_paths(vars={"base": str(venv_dir), "platbase": str(venv_dir)})["purelib"])
     / "tarifa-test.pth").write_text(f"import site; site.addsitedir({site!r})\n")
    spec = importlib.util.spec_from_file_location("install_copy", tmp_path / "install.py")
    install_copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(install_copy)
    (venv_dir / ".tarifa-installed").write_text(install_copy.install_stamp())

    def install() -> str:
        done = subprocess.run([sys.executable, "install.py"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert "up to date" in done.stdout  # pip did not run
        return done.stdout

    said = install()
    assert "tarifa new my-month.xlsx" in said  # the closing message: work in your own copy
    dist = tmp_path / "dist"
    mine = tmp_path / "my-month.xlsx"
    assert main(["new", str(mine)]) == 0
    type_into(mine, L.MSIGN, "A7", "Copy customer")
    type_into(dist / "Tarifa.xlsx", L.MSIGN, "A7", "Dist customer")
    type_into(dist / "bills-2025-05.xlsx", "Summary", "A1", "my note")
    before = {p: p.read_bytes() for p in (mine, dist / "Tarifa.xlsx",
                                          dist / "bills-2025-05.xlsx")}
    said = install()
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} was overwritten"
    assert typed(dist / "Tarifa.xlsx", L.MSIGN, "A7") == "Dist customer"
    assert typed(mine, L.MSIGN, "A7") == "Copy customer"
    assert "Kept dist/Tarifa.xlsx" in said and "dist/Tarifa-new.xlsx" in said
    assert "Kept dist/bills-2025-05.xlsx" in said
    assert typed(dist / "Tarifa-new.xlsx", L.MSIGN, "A7") != "Dist customer"
    assert openpyxl.load_workbook(dist / "bills-2025-05-new.xlsx", read_only=True)
