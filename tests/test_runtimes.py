"""Two of the three runtimes: the xlwings Lite bundle (``tarifa lite``) and desktop xlwings
(``tarifa desktop``, which needs Excel on Windows). xlwings Server (``tarifa serve``) has its
own tests: tests/test_server_*.py.

Hand-checked number used throughout, MS-1: 120 transactions used, 100 included ->
20 x 0.27 EUR = 5.40 EUR; 130 used -> 30 x 0.27 = 8.10 EUR.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from addin import desktop, lite
from tests.officejs import body, call, serial

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
VALUE = {"type": "Error", "errorType": "Value"}
OFFICE = "{http://schemas.microsoft.com/office/appforoffice/1.1}"
BT = "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}"


def tarifa(*args: str, env: dict | None = None, cwd: Path = ROOT,
           timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``tarifa ARGS`` in a fresh process (xlwings not yet imported there)."""
    return subprocess.run([PY, "-m", "addin.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env or os.environ.copy(), timeout=timeout)


# --- xlwings Lite ----------------------------------------------------------------------------

# Calls compared between the Lite bundle and udfs.functions (one per price list at least).
LITE_CASES = [
    ("MSIGN_OVERAGE", [[["transaction"], ["transaction"], ["bogus"]], [[120], [130], [1]], 100]),
    ("MSIGN_OVERAGE_CHECK", [[["transaction"], ["bogus"]], 120, 100]),
    ("MSIGN_SWITCH_DATE", [[[serial("2024-03-05")], ["2024-12-31"]]]),
    ("MSIGN_REKONO_TX", [[[11], [5]], 2]),
    ("TARIFF_PRICE", [[["transaction"], ["entry"], ["nope"]]]),
    ("NENSI_ANNUAL", [[["forms"], ["pharmacy"]], [["2024-01-15"], ["2024-04-10"]]]),
    ("NENSI_MAINT", [serial("2024-05-03"), [[serial("2024-05-31")], [serial("2024-06-01")]], 10]),
    ("ESIGN_SIGNATURES", [[["electronic"], ["qualified"]], [[100], [3]], "2024-05-01"]),
    ("TARIFA_VAT", [[[10], [20.5]], [[22], [9.5]]]),
]

# Runs in a fresh interpreter in an empty folder: the repository's own packages are made
# unreachable (the editable install's finder removed), then the bundle is imported.
_LITE_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    sys.meta_path[:] = [f for f in sys.meta_path
                        if "__editable__" not in getattr(f, "__module__", "")]
    sys.path[:] = [p for p in sys.path if p not in ("", {root!r})]
    try:
        import pricing
        raise SystemExit("the repository's pricing package is importable: " + pricing.__file__)
    except ModuleNotFoundError:
        pass
    sys.path.insert(0, {bundle!r})
    import main
    from xlwings.server import custom_functions_call, custom_functions_meta
    files = sorted({{m.__file__ for n, m in sys.modules.items()
                    if n.split(".")[0] in ("pricing", "udfs")}})
    bodies = json.loads(sys.stdin.read())
    results = [asyncio.run(custom_functions_call(b, main)) for b in bodies]
    print(json.dumps({{"files": files, "results": results,
                      "functions": len(custom_functions_meta(main)["functions"])}}))
""")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return lite.write_bundle(tmp_path_factory.mktemp("lite"))[0].parent


def test_lite_bundle_is_main_py_and_requirements_of_what_pyodide_provides(bundle):
    assert sorted(p.name for p in bundle.iterdir()) == ["main.py", "requirements.txt"]
    import xlwings

    assert (bundle / "requirements.txt").read_text().split() == \
        [f"xlwings=={xlwings.__version__}", "numpy"]
    main = (bundle / "main.py").read_text()
    compile(main, "main.py", "exec")
    for name in lite.tariff_texts():  # every built-in price list travels inside main.py
        assert repr(name) in main


def test_ms1_lite_bundle_runs_without_the_repository_and_matches_udfs(bundle, tmp_path):
    bodies = [body(name, *args) for name, args in LITE_CASES]
    env = os.environ.copy()
    env.pop("PYTHONPATH", None)
    done = subprocess.run([PY, "-c", _LITE_SCRIPT.format(root=str(ROOT), bundle=str(bundle))],
                          input=json.dumps(bodies), capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["files"] and all(f.startswith("<tarifa>/") for f in out["files"]), out["files"]
    assert out["results"][0] == [[5.40], [8.10], [VALUE]]  # MS-1: 20 x 0.27, 30 x 0.27
    expected = [call(name, *args) for name, args in LITE_CASES]
    assert out["results"] == expected
    import xlwings.server

    from udfs import functions

    assert out["functions"] == len(xlwings.server.custom_functions_meta(functions)["functions"])


def test_tarifa_lite_writes_the_bundle(tmp_path):
    done = tarifa("lite", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "main.py").exists() and (tmp_path / "requirements.txt").exists()


# --- desktop xlwings -------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows the command does the set-up")
def test_tarifa_desktop_without_excel_says_so_and_succeeds():
    done = tarifa("desktop")
    assert done.returncode == 0, done.stderr
    assert "needs Excel on Windows" in done.stdout


def test_desktop_conf_sets_udf_modules_and_keeps_other_lines():
    old = '"LICENSE_KEY","abc"\n"UDF MODULES","old_module"\n\n"DEBUG UDFS","False"\n'
    new = desktop.updated_conf(old, {"UDF MODULES": "udfs.functions", "PYTHONPATH": r"C:\t"})
    assert new.splitlines() == ['"LICENSE_KEY","abc"', '"DEBUG UDFS","False"',
                                '"UDF MODULES","udfs.functions"', r'"PYTHONPATH","C:\t"']
    settings = desktop.conf_settings(Path("C:/env/python.exe"), Path("C:/tarifa"))
    assert settings["UDF MODULES"] == "udfs.functions"
