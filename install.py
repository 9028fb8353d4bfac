"""Set up Tarifa and run the main job: bill the template's sample month.

    python install.py

1. creates ``.venv`` (Python >= 3.11) and installs the project into it (editable, with the
   test extras) -- skipped when nothing changed since the last run;
2. builds the Excel template (``tarifa build``: dist/Tarifa.xlsx and its Lite/Server variants);
3. writes the xlwings Lite bundle (``tarifa lite``: dist/lite/);
4. sets up desktop xlwings (``tarifa desktop``: needs Excel on Windows; elsewhere it says so
   and the set-up goes on);
5. bills the template's sample month (``tarifa bill``) and prints the per-customer totals.

Re-running is safe and quick: the venv is reused, pip runs only when pyproject.toml changed,
every output is written whole (temporary file, then renamed). A built file someone changed
(``dist/Tarifa.xlsx`` filled in, the sample bills edited) is never overwritten: it is kept and
the new build goes beside it as ``NAME-new.xlsx``, as the closing message says (``addin/keep.py``).
Work in your own copy: ``.venv/bin/tarifa new my-month.xlsx``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from addin import keep  # noqa: E402  (standard library only: usable before the venv exists)

VENV = ROOT / ".venv"
DIST = ROOT / "dist"
SAMPLE_MONTH = "2025-05"  # the month of the template's sample rows (workbook/template/samples.py)
STAMP = VENV / ".tarifa-installed"


def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(*cmd: object, ok: tuple[int, ...] = (0,)) -> int:
    code = subprocess.run([str(c) for c in cmd], cwd=ROOT).returncode
    if code not in ok:
        sys.exit(f"install.py: {' '.join(map(str, cmd[2:] or cmd))} failed (exit code {code})")
    return code


def tarifa(py: Path, *args: object, ok: tuple[int, ...] = (0,)) -> int:
    return run(py, "-m", "addin.cli", *args, ok=ok)


def install_stamp() -> str:
    """What the installed environment depends on: pyproject.toml and the python."""
    text = (ROOT / "pyproject.toml").read_bytes() + sys.version.encode()
    return hashlib.sha256(text).hexdigest()


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - install.py may be run by an older python
        sys.exit(f"Tarifa needs Python >= 3.11, this is {sys.version.split()[0]}")
    step("Virtual environment .venv")
    if not venv_python().exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    py = venv_python()
    step("Tarifa and its dependencies in .venv")
    if STAMP.exists() and STAMP.read_text() == install_stamp():
        print("up to date (pyproject.toml unchanged)")
    else:
        run(py, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ".[test]")
        STAMP.write_text(install_stamp())
    step("Excel template (tarifa build)")
    built = DIST / "Tarifa.xlsx"
    kept = []  # files someone changed since we built them: never overwritten
    template = keep.destination(built)  # where tarifa build will put it (the same rule)
    for variant in (built, built.with_name("Tarifa-Lite.xlsx"),
                    built.with_name("Tarifa-Server.xlsx")):
        if keep.destination(variant) != variant:
            kept.append(variant)
    tarifa(py, "build", "-o", built)
    if (ROOT / "addin" / "lite.py").exists():
        step("xlwings Lite bundle (tarifa lite)")
        tarifa(py, "lite")
    if (ROOT / "addin" / "desktop.py").exists():
        step("Desktop xlwings (tarifa desktop)")
        if tarifa(py, "desktop", ok=tuple(range(256))) != 0:
            print("install.py: the desktop step did not complete (see above); going on")
    step(f"The main job: bill the sample month {SAMPLE_MONTH} (tarifa bill)")
    wanted = DIST / f"bills-{SAMPLE_MONTH}.xlsx"
    bills = keep.destination(wanted)
    if bills != wanted:
        kept.append(wanted)
    code = tarifa(py, "bill", template, "--month", SAMPLE_MONTH, "-o", bills, ok=(0, 2))
    keep.remember(bills)
    if code == 2:
        print("(The customer 'Sample - bad input d.o.o.' holds rows with bad input on purpose: "
              "they are reported, not billed.)")
    for path in kept:
        print(f"\nKept {path.relative_to(ROOT)}: it changed since install.py built it "
              f"(someone's work); the new build is {keep.destination(path).relative_to(ROOT)}.")
    print(f"\nDone. The template is {template.relative_to(ROOT)} - don't work in it, a "
          "re-install builds it again. Start your own copy, fill it, bill it:\n"
          "  .venv/bin/tarifa new my-month.xlsx\n"
          "  .venv/bin/tarifa bill my-month.xlsx --month YYYY-MM -o bills.xlsx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
