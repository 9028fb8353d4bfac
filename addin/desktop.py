"""Desktop xlwings (Excel on Windows): ``tarifa desktop``, also called by install.py.

What it automates on Windows with Excel installed:

1. ``xlwings addin install``: copies the xlwings add-in into Excel's XLSTART folder.
2. The user config ``%USERPROFILE%\\.xlwings\\xlwings.conf``: ``UDF MODULES`` = udfs.functions,
   ``INTERPRETER_WIN`` = this environment's python, ``PYTHONPATH`` = the project folder. Other
   lines of the file are kept.
3. With ``--template`` (default dist/Tarifa.xlsx when it exists): opens the workbook in Excel,
   sets a VBA reference to the xlwings add-in, imports the functions (xlwings' "Import
   Functions": a VBA module ``xlwings_udfs`` of stubs calling Python) and saves it next to the
   template as a macro workbook (``Tarifa.xlsm``; an .xlsx cannot hold VBA).

Step 3 needs Excel's "Trust access to the VBA project object model" (File > Options > Trust
Center > Trust Center Settings > Macro Settings); without it the step explains that and the
user clicks "Import Functions" on the xlwings ribbon tab instead. Formulas are typed without a
namespace: ``=MSIGN_OVERAGE("transaction", 120, 100)``.

On Linux and macOS (desktop xlwings' worksheet functions are Windows-only) it says so plainly
and returns 0, so that install.py goes on.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UDF_MODULE = "udfs.functions"
DEFAULT_TEMPLATE = ROOT / "dist" / "Tarifa.xlsx"
XLSM_FORMAT = 52  # Excel's xlOpenXMLWorkbookMacroEnabled

Say = Callable[[str], None]


def excel_available() -> bool:
    """True on Windows when Excel is registered as a COM server."""
    if sys.platform != "win32":
        return False
    import winreg

    try:
        winreg.CloseKey(winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, "Excel.Application"))
    except OSError:
        return False
    return True


def conf_settings(python: Path | None = None, root: Path = ROOT) -> dict[str, str]:
    """The xlwings.conf entries Tarifa needs."""
    python = python or Path(sys.executable)
    pythonw = python.with_name("pythonw.exe")  # no console window flashing up per call
    return {
        "INTERPRETER_WIN": str(pythonw if pythonw.exists() else python),
        "PYTHONPATH": str(root),
        "UDF MODULES": UDF_MODULE,
    }


def updated_conf(text: str, settings: Mapping[str, str]) -> str:
    """xlwings.conf ``text`` (lines ``"KEY","value"``) with ``settings`` set, other lines
    kept in order."""
    keys = {f'"{k}"' for k in settings}
    kept = [line for line in text.splitlines()
            if line.strip() and line.split(",", 1)[0].strip() not in keys]
    kept += [f'"{k}","{v}"' for k, v in settings.items()]
    return "\n".join(kept) + "\n"


def user_conf_path() -> Path:
    return Path.home() / ".xlwings" / "xlwings.conf"


def write_user_conf(settings: Mapping[str, str], path: Path | None = None) -> Path:
    path = path or user_conf_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(updated_conf(old, settings), encoding="utf-8")
    return path


def install_addin(say: Say) -> bool:
    """``xlwings addin install`` with this environment's xlwings."""
    done = subprocess.run([sys.executable, "-m", "xlwings.cli", "addin", "install"],
                          capture_output=True, text=True)
    say((done.stdout + done.stderr).strip() or "xlwings add-in installed")
    return done.returncode == 0


def import_functions(template: Path, say: Say) -> Path | None:
    """Open ``template`` in Excel, reference the xlwings add-in, import the functions and
    save it as .xlsm next to it. None (with the reason said) when Excel refuses."""
    # Desktop decorators, not xlwings Server's: the VBA stubs are generated from them.
    os.environ.pop("XLWINGS_ON_SERVER", None)
    import xlwings as xw
    from xlwings.udfs import import_udfs

    target = template.with_suffix(".xlsm")
    app = xw.App(visible=False, add_book=False)
    try:
        book = app.books.open(str(template))
        vb = book.api.VBProject
        if "xlwings" not in [r.Name for r in vb.References]:
            addin = Path(app.startup_path) / "xlwings.xlam"
            vb.References.AddFromFile(str(addin))
        import_udfs(UDF_MODULE, book.api)
        book.api.SaveAs(str(target), FileFormat=XLSM_FORMAT)
        book.close()
        return target
    except Exception as e:  # COM errors: mostly the VBA trust setting
        say(f"Could not import the functions into {template.name} ({e}).\n"
            "In Excel: File > Options > Trust Center > Trust Center Settings > Macro Settings >"
            " tick 'Trust access to the VBA project object model', then run tarifa desktop "
            "again - or open the workbook, set Tools > References > xlwings in the VBA editor "
            "(Alt+F11), click 'Import Functions' on the xlwings tab and save it as .xlsm.")
        return None
    finally:
        app.quit()


def setup_desktop(template: Path | None = None, say: Say = print) -> int:
    """The desktop set-up; 0 when done or when this machine cannot have it (not an error)."""
    if not excel_available():
        system = {"linux": "Linux", "darwin": "macOS"}.get(sys.platform, sys.platform)
        say(f"Desktop xlwings: skipped - this step needs Excel on Windows (the functions run "
            f"through Excel's VBA and COM), and this machine is {system}"
            + (" without Excel" if sys.platform == "win32" else "")
            + ". Use xlwings Lite (tarifa lite) or xlwings Server (tarifa serve) here.")
        return 0
    if not install_addin(say):
        say("xlwings addin install failed: see the message above.")
        return 1
    conf = write_user_conf(conf_settings())
    say(f"Set UDF Modules = {UDF_MODULE} in {conf}")
    if template is None:
        template = DEFAULT_TEMPLATE if DEFAULT_TEMPLATE.exists() else None
    if template is None:
        say("No template to import the functions into (build it first: tarifa build); in any "
            "workbook click 'Import Functions' on the xlwings tab.")
        return 0
    target = import_functions(template, say)
    if target:
        say(f"Functions imported: {target} - type =MSIGN_OVERAGE(\"transaction\", 120, 100)")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--template", type=Path, default=None,
                        help="workbook to import the functions into (default dist/Tarifa.xlsx "
                             "if it exists); saved as .xlsm next to it")


def run(args: argparse.Namespace) -> int:
    return setup_desktop(args.template)
