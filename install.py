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
every output is rewritten whole (temporary file, then renamed).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
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
    template = DIST / "Tarifa.xlsx"
    tarifa(py, "build", "-o", template)
    if (ROOT / "addin" / "lite.py").exists():
        step("xlwings Lite bundle (tarifa lite)")
        tarifa(py, "lite")
    if (ROOT / "addin" / "desktop.py").exists():
        step("Desktop xlwings (tarifa desktop)")
        if tarifa(py, "desktop", ok=tuple(range(256))) != 0:
            print("install.py: the desktop step did not complete (see above); going on")
    step(f"The main job: bill the sample month {SAMPLE_MONTH} (tarifa bill)")
    bills = DIST / f"bills-{SAMPLE_MONTH}.xlsx"
    code = tarifa(py, "bill", template, "--month", SAMPLE_MONTH, "-o", bills, ok=(0, 2))
    if code == 2:
        print("(The customer 'Sample - bad input d.o.o.' holds rows with bad input on purpose: "
              "they are reported, not billed.)")
    print(f"\nDone. Open {template.relative_to(ROOT)} in Excel, or bill your own month with:\n"
          f"  .venv/bin/tarifa bill {template.relative_to(ROOT)} --month YYYY-MM "
          "-o bills.xlsx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
