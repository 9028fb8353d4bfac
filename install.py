"""Set up Tarifa and run the main job on the built-in sample data.

    python install.py

Creates ``.venv`` (Python >= 3.11), installs the project into it (editable, with the test
extras) and then runs the demo. Re-running is safe and quick: an existing ``.venv`` is reused
and pip skips what is already installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"


def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV / sub


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(*cmd: object) -> None:
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT)


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - install.py may be run by an older python
        sys.exit(f"Tarifa needs Python >= 3.11, this is {sys.version.split()[0]}")
    step("Virtual environment .venv")
    if not venv_python().exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    py = venv_python()
    step("Installing Tarifa and its dependencies into .venv")
    run(py, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", ".[test]")
    step("Demo: the engine on sample lines")
    run(py, "-m", "addin.cli", "demo")
    return 0


if __name__ == "__main__":
    sys.exit(main())
