"""Headless LibreOffice Calc: recalculate a workbook with Tarifa's functions, without Excel.

``recalculate(src, dst)`` opens ``src`` in headless LibreOffice with a user profile of our own,
recalculates every formula -- Tarifa's functions reach Python through the profile's Basic
library and Python script (``workbook.libreoffice.bridge``) -- and saves the result as ``dst``.

The profile (built once, then reused; never in the repository) holds:

* ``user/basic/Standard/Module1.xba``: one Basic function per worksheet function;
* ``user/Scripts/python/tarifa_bridge.py``: the bridge (``libreoffice/script.py``) with this
  machine's paths (project root, the venv's site-packages) written in at build time;
* ``user/registrymodifications.xcu``: always recalculate on load (OOXML and ODF; else
  LibreOffice shows the cached values, which XlsxWriter writes as 0) and the lowest macro
  security level.

A fresh profile must be started once before our files go in: on its first start LibreOffice
copies its presets over ``user/basic`` (seen with 7.4), which would wipe our module.

Pitfalls handled here: LibreOffice's embedded Python is the system ``python3``, so the venv is
stripped from ``PATH`` (and VIRTUAL_ENV, PYTHONHOME, PYTHONPATH, the xlwings server switches)
in the subprocess; every run has a timeout and kills the whole process group when it expires;
the input is copied into a private directory first (LibreOffice never touches, locks or
rewrites it) and the output is written beside ``dst`` under a temporary name and renamed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from workbook.libreoffice import bridge as lo_bridge
from workbook.libreoffice import checks as lo_checks
from workbook.libreoffice import processes
from workbook.libreoffice import sizing as lo_sizing
from workbook.reading import GIB, MIB, Limits, WorkbookError, check_workbook, size_text

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_CANDIDATES = ("soffice", "libreoffice")
_FIXED_PATHS = ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice",
                "/opt/libreoffice/program/soffice",
                "/Applications/LibreOffice.app/Contents/MacOS/soffice")
# Output filters by the suffix of ``dst``.
FILTERS = {".xlsx": "xlsx:Calc MS Excel 2007 XML", ".ods": "ods:calc8"}
# Environment variables that must not reach LibreOffice's Python.
_DROP_ENV = ("VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONSAFEPATH",
             "CONDA_PREFIX", "XLWINGS_ON_SERVER", "XLWINGS_LICENSE_KEY")

# Calc and security settings written into the profile (LibreOffice's configuration schema:
# officecfg/registry/schema/org/openoffice/Office/Calc.xcs and Common.xcs).
SETTINGS = (
    # 0 = always recalculate when loading (1 = never, 2 = ask): OOXML and ODF files.
    ("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "int", "0"),
    ("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "int", "0"),
    # Lowest level: our Basic library (in the user's "My Macros") runs without a prompt.
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "int", "0"),
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "boolean",
     "false"),
)


# The child's memory limit (address space) unless given: the template needs under 1 GiB.
MEMORY = 4 * GIB


def default_timeout(expanded: int) -> float:
    """Seconds for a workbook of ``expanded`` uncompressed bytes: 60 s, plus 4 s per MiB
    (the template: 60 s; 100,000 usage rows, 45 MiB: about 4 minutes)."""
    return 60.0 + 4.0 * expanded / MIB


class RecalcError(RuntimeError):
    """LibreOffice could not recalculate the workbook (not installed, timed out, no output,
    Tarifa's functions could not be loaded inside LibreOffice)."""


# --- finding and running soffice ---------------------------------------------------------------


def find_soffice() -> str | None:
    """The soffice executable: ``$TARIFA_SOFFICE``, then ``PATH`` (venv stripped), then the
    usual install places; None if LibreOffice is not installed."""
    given = os.environ.get("TARIFA_SOFFICE")
    if given:
        return given if os.access(given, os.X_OK) else None
    path = clean_env().get("PATH", "")
    for name in _CANDIDATES:
        found = shutil.which(name, path=path)
        if found:
            return found
    return next((p for p in _FIXED_PATHS if os.access(p, os.X_OK)), None)


def available() -> bool:
    """True when LibreOffice (soffice) is installed."""
    return find_soffice() is not None


def clean_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default ``os.environ``) for LibreOffice: without any virtual environment on
    PATH and without Python variables that would make its embedded Python load the venv's
    standard library instead of its own."""
    env = dict(os.environ if env is None else env)
    venvs = {Path(sys.prefix).resolve()} if sys.prefix != sys.base_prefix else set()
    if env.get("VIRTUAL_ENV"):
        venvs.add(Path(env["VIRTUAL_ENV"]).resolve())
    keep = []
    for entry in env.get("PATH", "").split(os.pathsep):
        if not entry:
            continue
        p = Path(entry).resolve()
        if any(p == v or v in p.parents for v in venvs) or (p.parent / "pyvenv.cfg").exists():
            continue
        keep.append(entry)
    env["PATH"] = os.pathsep.join(keep) or "/usr/bin:/bin"
    for name in _DROP_ENV:
        env.pop(name, None)
    return env


def run_soffice(soffice: str, profile: Path, args: list[str], timeout: float,
                env: dict[str, str] | None = None, *, memory: int | None = MEMORY,
                on_start: Callable[[int], None] | None = None) -> subprocess.CompletedProcess:
    """Run soffice headless with its own profile, in its own process group, under a memory
    limit (``memory`` bytes of address space); kill the whole group (soffice starts
    soffice.bin as a child) if it does not finish within ``timeout`` seconds, or if anything
    interrupts the wait (Ctrl-C, SIGTERM, an alarm). ``on_start(pgid)`` is told the group."""
    cmd = [soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless",
           "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=clean_env() if env is None else env, start_new_session=True,
                            preexec_fn=processes.child_setup(memory))
    try:
        if on_start is not None:
            on_start(proc.pid)
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        processes.kill_group(proc.pid)
        proc.communicate()
        limit = f" under its memory limit of {size_text(memory)}" if memory else ""
        raise RecalcError(f"LibreOffice did not finish within {timeout:.0f} s{limit} "
                          "(--timeout, --memory): stopped") from None
    except BaseException:
        processes.kill_group(proc.pid)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=5)
        raise
    if processes.group_members(proc.pid, str(profile.resolve())):
        processes.kill_group(proc.pid)  # soffice.bin still running after soffice returned
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# --- the profile -------------------------------------------------------------------------------


def bridge_config(module: str = "udfs.functions", values_module: str = "udfs.excel_values",
                  extra_paths: tuple[str | Path, ...] = ()) -> dict:
    """What the bridge script needs on this machine: the project root, extra paths, and the
    running interpreter's site-packages (the venv's: numpy and the project's dependencies).
    LibreOffice's Python must be the same minor version (3.11 on Debian bookworm)."""
    site = [sysconfig.get_paths()[k] for k in ("purelib", "platlib")]
    paths = [str(Path(p).resolve()) for p in extra_paths] + [str(PROJECT_ROOT)] + site
    return {"sys_path": list(dict.fromkeys(paths)), "module": module,
            "values_module": values_module,
            "python": f"{sys.version_info.major}.{sys.version_info.minor}"}


def profile_files(config: dict) -> dict[str, str]:
    """The files of the profile, by path relative to the profile root."""
    sigs = lo_bridge.signatures(config["module"])
    if not sigs:
        raise RecalcError(f"{config['module']} has no worksheet functions (upper-case names)")
    xba = lo_bridge.module_xba(lo_bridge.basic_module(sigs))
    return {
        "user/basic/script.xlc": _XLC.format(kind="script"),
        "user/basic/dialog.xlc": _XLC.format(kind="dialog"),
        "user/basic/Standard/script.xlb": _SCRIPT_XLB,
        "user/basic/Standard/dialog.xlb": _DIALOG_XLB,
        "user/basic/Standard/Module1.xba": xba,
        f"user/Scripts/python/{lo_bridge.SCRIPT_FILE}": lo_bridge.python_script(config),
    }


def default_profile_root() -> Path:
    """Where profiles are kept: ``$TARIFA_LO_PROFILES`` or the user's cache directory."""
    given = os.environ.get("TARIFA_LO_PROFILES")
    if given:
        return Path(given)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tarifa" / "libreoffice"


def ensure_profile(soffice: str, config: dict, root: Path | None = None,
                   timeout: float = 120, *, memory: int | None = MEMORY,
                   on_start: Callable[[int], None] | None = None) -> Path:
    """A ready profile for ``config`` (reused while the generated files stay the same;
    a new one is built when they change: its directory is named by their hash)."""
    files = profile_files(config)
    digest = hashlib.sha256(json.dumps([soffice, files, SETTINGS], sort_keys=True)
                            .encode()).hexdigest()[:16]
    root = default_profile_root() if root is None else Path(root)
    profile = root / f"profile-{digest}"
    marker = profile / "tarifa-profile.json"
    if _intact(profile, marker, files):
        return profile
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f"profile-{digest}.lock"):
        if _intact(profile, marker, files):  # built meanwhile by another process
            return profile
        shutil.rmtree(profile, ignore_errors=True)
        # First start: LibreOffice creates the profile (and copies its presets over
        # user/basic); only then do our files go in.
        done = run_soffice(soffice, profile, ["--terminate_after_init"], timeout,
                           memory=memory, on_start=on_start)
        if not (profile / "user").is_dir():
            raise RecalcError(f"LibreOffice did not create its profile in {profile}: "
                              f"{done.stderr.strip()}")
        for rel, text in files.items():
            path = profile / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        _write_settings(profile / "user" / "registrymodifications.xcu")
        marker.write_text(json.dumps({"soffice": soffice, "config": config}, indent=1))
    return profile


def _intact(profile: Path, marker: Path, files: dict[str, str]) -> bool:
    """The profile is complete and our files in it are unchanged."""
    try:
        return marker.exists() and all(
            (profile / rel).read_text(encoding="utf-8") == text for rel, text in files.items())
    except OSError:
        return False


def _write_settings(xcu: Path) -> None:
    """Add SETTINGS to the profile's registrymodifications.xcu (replacing earlier values)."""
    text = xcu.read_text(encoding="utf-8") if xcu.exists() else _XCU_EMPTY
    lines = [ln for ln in text.splitlines()
             if not any(f'oor:name="{name}"' in ln and f'oor:path="{path}"' in ln
                        for path, name, _, _ in SETTINGS)]
    text = "\n".join(lines)
    items = "".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse">'
        f"<value>{value}</value></prop></item>\n" for path, name, _, value in SETTINGS)
    if "</oor:items>" not in text:
        raise RecalcError(f"unexpected content in {xcu}")
    xcu.write_text(text.replace("</oor:items>", items + "</oor:items>") + "\n",
                   encoding="utf-8")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock: one LibreOffice process per profile at a time (a second soffice on
    the same profile would hand its work to the first one and return at once)."""
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --- recalculation -----------------------------------------------------------------------------


def recalculate(src: Path, dst: Path, timeout: float | None = None, *,
                module: str = "udfs.functions", values_module: str = "udfs.excel_values",
                extra_paths: tuple[str | Path, ...] = (), profile_root: Path | None = None,
                messages: list[str] | None = None, check: bool = True,
                memory: int | None = MEMORY, limits: Limits | None = None) -> Path:
    """Recalculate every formula of ``src`` in headless LibreOffice Calc (Tarifa's functions
    computed by Python) and write the result to ``dst`` (.xlsx or .ods); returns ``dst``.

    ``src`` is never changed. ``dst`` is replaced only by a complete file (written beside it
    under a temporary name, then renamed). Before LibreOffice sees it, ``src`` passes the
    checks every reader does (``workbook.reading.check_workbook``: zip limits -- ``limits``,
    1 GiB expanded by default --, every part intact, no DOCTYPE, sane Table ranges); a refusal
    raises ``WorkbookError`` (one line). ``timeout`` (default: sized to the workbook,
    ``default_timeout``) bounds the whole run, checks and profile included; ``memory`` bounds
    LibreOffice's address space (bytes; None: no limit). A run killed on the way leaves a
    record that the next run uses to stop its LibreOffice and remove its files.
    ``module`` is the module of worksheet functions; ``messages`` (a list) receives what the
    bridge reported (e.g. a function that raised; its cell shows #VALUE!).
    With ``check`` an .xlsx is refused (RecalcError, before LibreOffice runs) where LibreOffice
    would silently compute something else than Excel (``workbook.libreoffice.checks``: array
    ranges shorter than their Table, empty arguments).
    Raises RecalcError when LibreOffice is missing, fails or times out."""
    started = time.monotonic()
    src, dst = Path(src).resolve(), Path(dst).resolve()
    if not src.is_file():
        raise FileNotFoundError(src)
    if src == dst:
        raise RecalcError("the output must not be the input: give another file name")
    if dst.suffix.lower() not in FILTERS:
        raise RecalcError(f"cannot write {dst.suffix!r}: use one of {', '.join(FILTERS)}")
    soffice = find_soffice()
    if soffice is None:
        raise RecalcError("LibreOffice is not installed (no soffice on PATH); on Debian: "
                          "apt-get install libreoffice-calc-nogui python3-uno "
                          "libreoffice-script-provider-python")
    xlsx = src.suffix.lower() in (".xlsx", ".xlsm")
    expanded = check_workbook(src, limits, tables=xlsx)
    timeout = default_timeout(expanded) if timeout is None else timeout
    deadline = started + timeout
    names = {sig.name for sig in _signatures(module)}
    _python_matches(soffice)
    root = default_profile_root() if profile_root is None else Path(profile_root)
    root.mkdir(parents=True, exist_ok=True)
    for line in processes.reap_stale(root):
        if messages is not None:
            messages.append(f"tarifa recalc: {line}")
    config = bridge_config(module, values_module, extra_paths)
    record = processes.RunRecord(root)
    work = None
    try:
        profile = ensure_profile(soffice, config, root, max(1.0, deadline - time.monotonic()),
                                 memory=memory, on_start=record.add_group)
        dst.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".tarifa-recalc-", dir=dst.parent))
        record.add_folder(work)
        book = work / f"book{src.suffix.lower()}"
        shutil.copyfile(src, book)
        _fit_and_check(book, names, check, messages, src)
        if time.monotonic() > deadline:
            raise RecalcError(f"the checks took longer than the time limit of {timeout:g} s "
                              "(--timeout)")
        log = work / "bridge.log"
        env = clean_env()
        env["TARIFA_LO_LOG"] = str(log)
        out = _convert(soffice, profile, book, work / "out", dst.suffix.lower(), env, deadline,
                       memory, record.add_group)
        reported = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        if messages is not None:
            messages.extend(reported)
        _refuse_broken_bridge(reported)
        os.replace(out, dst)  # atomic: ``work`` is beside ``dst``, on the same file system
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        record.close()
    return dst


def _fit_and_check(book: Path, names: set[str], check: bool,
                   messages: list[str] | None, src: Path | None = None) -> None:
    """Our copy of an .xlsx fitted to its Tables (``workbook.libreoffice.sizing``: rows typed
    below a Table taken in, array formulas and spill references sized), then, with ``check``,
    refused where LibreOffice would still compute it differently from Excel."""
    if book.suffix not in (".xlsx", ".xlsm"):
        return
    try:
        fitted = lo_sizing.fit(book)
    except lo_sizing.SizingError as e:
        raise RecalcError(f"cannot fit the workbook's results to its Tables:\n  {e}") from None
    except Exception as e:  # openpyxl on a file the reading checks let through: one line
        raise WorkbookError(f"{src or book}: cannot be read to fit its results to its Tables "
                            f"({type(e).__name__}: {_first_line(e)})") from None
    if messages is not None:
        messages.extend(fitted.notes)
    if check:
        try:
            found = lo_checks.problems(book, names)
        except Exception as e:
            raise WorkbookError(f"{src or book}: cannot be read for the checks "
                                f"({type(e).__name__}: {_first_line(e)})") from None
        if found:
            raise RecalcError("LibreOffice would compute this workbook differently from Excel "
                              "(fix the workbook, or recalculate with check=False / "
                              "--no-check to see it anyway):\n  " + "\n  ".join(found))


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else "no detail"


def _signatures(module: str) -> list:
    """The module's worksheet functions; one line if it cannot even be imported here (an
    xlwings licence key it refuses, a missing package)."""
    try:
        return lo_bridge.signatures(module)
    except Exception as e:
        hint = ""
        if "licen" in f"{type(e).__name__} {e}".lower():
            hint = ("; XLWINGS_LICENSE_KEY holds a key xlwings refuses: unset it or give a "
                    "valid one (tarifa recalc needs none)")
        raise RecalcError(f"cannot load the worksheet functions of {module} "
                          f"({type(e).__name__}: {_first_line(e)}){hint}") from None


def lo_python(soffice: str) -> str | None:
    """The Python version LibreOffice's scripting runs (``3.11``), read from the name of the
    libpython its pyuno is linked with; None where that cannot be told."""
    program = Path(os.path.realpath(soffice)).parent
    for name in ("libpyuno.so", "pyuno.so", "libpythonloaderlo.so"):
        try:
            data = (program / name).read_bytes()
        except OSError:
            continue
        m = re.search(rb"libpython(3\.[0-9]+)", data)
        if m:
            return m[1].decode()
    return None


def _python_matches(soffice: str) -> None:
    """LibreOffice's Python imports the project's packages from this interpreter's
    site-packages: a different minor version cannot load them (numpy's compiled parts)."""
    theirs = lo_python(soffice)
    ours = f"{sys.version_info.major}.{sys.version_info.minor}"
    if theirs and theirs != ours:
        raise RecalcError(
            f"LibreOffice runs Python {theirs}, but Tarifa runs on Python {ours} "
            f"({sys.executable}): LibreOffice cannot load its packages. Install Tarifa in a "
            f"Python {theirs} venv (on Debian: python{theirs} -m venv .venv; with pyenv: "
            f"pyenv install {theirs}) and run tarifa recalc from there")


def _convert(soffice: str, profile: Path, book: Path, outdir: Path, suffix: str,
             env: dict[str, str], deadline: float, memory: int | None = MEMORY,
             on_start: Callable[[int], None] | None = None) -> Path:
    """``soffice --convert-to``: load (recalculating everything: the profile says so), store.
    A second attempt covers a first start that exits without converting."""
    expected = outdir / f"{book.stem}{suffix}"
    args = ["--convert-to", FILTERS[suffix], "--outdir", str(outdir), str(book)]
    detail, done = "", None
    with _locked(profile.with_suffix(".lock")):
        for _attempt in range(2):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            done = run_soffice(soffice, profile, args, left, env, memory=memory,
                               on_start=on_start)
            if expected.is_file() and expected.stat().st_size > 0:
                return expected
            said = [ln.strip() for ln in (done.stderr or done.stdout or "").splitlines()
                    if ln.strip() and "javaldx" not in ln]
            detail = f"exit code {done.returncode}: {said[-1][:300] if said else 'no message'}"
    if done is not None and done.returncode < 0 and memory:
        detail += f" - killed by signal {-done.returncode}; its memory limit is " \
                  f"{size_text(memory)} (--memory)"
    raise RecalcError(f"LibreOffice wrote no output for {book.name} ({detail or 'timed out'})")


def _refuse_broken_bridge(reported: list[str]) -> None:
    """A bridge that cannot reach Python, or functions that cannot be loaded inside
    LibreOffice, would leave every Tarifa cell #VALUE!: a broken installation, not a result."""
    basic = [ln for ln in reported if ln.startswith("tarifa-basic:")]
    if basic:
        raise RecalcError("LibreOffice's Basic could not call the Python bridge (are "
                          "python3-uno and libreoffice-script-provider-python installed?): "
                          + "; ".join(basic[:3]))
    broken = [ln for ln in reported if "ModuleNotFoundError" in ln or "ImportError" in ln]
    if broken:
        raise RecalcError("LibreOffice's Python could not load Tarifa's functions (is its "
                          f"python3 the venv's version, {sys.version_info.major}."
                          f"{sys.version_info.minor}?): " + "; ".join(broken[:3]))


# --- static profile files ----------------------------------------------------------------------

_XLC = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:libraries PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" \
"libraries.dtd">
<library:libraries xmlns:library="http://openoffice.org/2000/library" \
xmlns:xlink="http://www.w3.org/1999/xlink">
 <library:library library:name="Standard" \
xlink:href="$(USER)/basic/Standard/{kind}.xlb/" xlink:type="simple" library:link="false"/>
</library:libraries>
"""
_SCRIPT_XLB = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" \
library:readonly="false" library:passwordprotected="false">
 <library:element library:name="Module1"/>
</library:library>
"""
_DIALOG_XLB = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" \
library:readonly="false" library:passwordprotected="false"/>
"""
_XCU_EMPTY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
</oor:items>
"""
