"""`tarifa recalc` on broken and hostile input (issue 12): the same checks as `tarifa bill`
before LibreOffice sees the file, a time limit over the whole run, a memory limit on the
child, its process group killed on any way out, and what a killed run left behind removed by
the next run.

Most tests use a stand-in soffice (a script: it logs its calls, hangs, allocates, or copies
the input as its output), so they need no LibreOffice and run in seconds; one test runs the
real LibreOffice on an .ods (it skips without soffice).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from addin.cli import main
from tests.hostile_corpus import CORPUS
from workbook import libreoffice
from workbook.libreoffice import processes
from workbook.libreoffice import recalc as lo_recalc

# refused by `tarifa bill` when it reads the cells; LibreOffice reads them its own way
_CELL_LEVEL = {"no Usage_mSign table", "shared string index out of range",
               "no sharedStrings, no relationship", "row without its number",
               "rows out of order", "cell without its reference",
               "cell of a far row inside the Table"}

FAKE = textwrap.dedent("""\
    #!{python}
    import os, shutil, subprocess, sys, time
    from urllib.parse import unquote, urlparse
    args = sys.argv[1:]
    with open(os.environ["FAKE_LOG"], "a") as f:
        f.write(" ".join(args) + "\\n")
    profile = unquote(urlparse(args[0].split("=", 1)[1]).path)
    if "--terminate_after_init" in args:
        os.makedirs(os.path.join(profile, "user"), exist_ok=True)
        sys.exit(0)
    mode = os.environ.get("FAKE_MODE", "ok")
    if mode == "hang":  # a grandchild with the profile on its command line, as soffice.bin
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", profile])
        time.sleep(300)
    if mode == "memory":
        block = bytearray(1 << 30)  # 1 GiB
    outdir, book = args[args.index("--outdir") + 1], args[-1]
    os.makedirs(outdir, exist_ok=True)
    shutil.copyfile(book, os.path.join(outdir, os.path.basename(book)))
""")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A stand-in soffice; returns the file that logs its calls."""
    script = tmp_path / "bin" / "soffice"
    script.parent.mkdir()
    script.write_text(FAKE.format(python=sys.executable))
    script.chmod(0o755)
    log = tmp_path / "soffice.log"
    log.write_text("")
    monkeypatch.setenv("TARIFA_SOFFICE", str(script))
    monkeypatch.setenv("TARIFA_LO_PROFILES", str(tmp_path / "profiles"))
    monkeypatch.setenv("FAKE_LOG", str(log))
    return log


def _sleepers(marker: str) -> list[int]:
    """The stand-in's grandchildren still running (their command line holds ``marker``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"time.sleep(300)" in cmd and marker.encode() in cmd:
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("name", [n for n in CORPUS if n not in _CELL_LEVEL])
def test_recalc_refuses_before_libreoffice(name, corpus, fake, tmp_path, capsys):
    out = tmp_path / "out" / "r.xlsx"
    out.parent.mkdir()
    code = main(["recalc", str(corpus[name]), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"tarifa recalc: {corpus[name]}"), err
    assert __import__("re").search(CORPUS[name][1], lines[0]), lines[0]
    assert fake.read_text() == ""  # LibreOffice never started
    assert os.listdir(out.parent) == []


def test_the_time_limit_kills_the_group_and_cleans_up(template, fake, tmp_path,
                                                      monkeypatch, capsys):
    monkeypatch.setenv("FAKE_MODE", "hang")
    out = tmp_path / "out" / "r.xlsx"
    start = time.monotonic()
    code = main(["recalc", str(template), "-o", str(out), "--timeout", "3"])
    seconds = time.monotonic() - start
    err = capsys.readouterr().err.strip()
    assert code == 2 and 2.5 < seconds < 10, (code, seconds)
    assert err.startswith("tarifa recalc: LibreOffice did not finish within ")
    assert "under its memory limit of 4 GiB (--timeout, --memory): stopped" in err
    assert os.listdir(out.parent) == []  # its private copy of the input removed
    assert _sleepers(str(tmp_path)) == []  # soffice's child killed with its group
    assert not list((tmp_path / "profiles" / "runs").glob("*.json"))


def test_the_memory_limit_binds_the_child(template, fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FAKE_MODE", "memory")
    out = tmp_path / "r.xlsx"
    assert main(["recalc", str(template), "-o", str(out), "--memory", "300M",
                 "--timeout", "30"]) == 2
    err = capsys.readouterr().err
    assert "LibreOffice wrote no output for book.xlsx (exit code 1:" in err
    assert "MemoryError" in err and not out.exists()
    # the same with room: the stand-in "converts"
    assert main(["recalc", str(template), "-o", str(out), "--memory", "3G"]) == 0
    assert out.exists()  # the stand-in "converted" our fitted copy


def test_a_killed_run_is_cleaned_up_by_the_next(template, fake, tmp_path, monkeypatch):
    """SIGKILL while LibreOffice runs: nothing can clean up then. The next run stops the
    LibreOffice left running and removes the folder holding the input's copy."""
    out = tmp_path / "out" / "r.xlsx"
    env = {**os.environ, "FAKE_MODE": "hang", "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-m", "addin.cli", "recalc", str(template), "-o",
                              str(out), "--timeout", "60"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _sleepers(str(tmp_path)):
        time.sleep(0.1)
    assert _sleepers(str(tmp_path)), "the stand-in never started"
    time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait()
    time.sleep(0.5)
    left = [p.name for p in out.parent.iterdir()]
    assert left and left[0].startswith(".tarifa-recalc-")  # what a killed run leaves ...
    assert _sleepers(str(tmp_path))  # ... soffice.bin's stand-in still running
    messages: list[str] = []
    monkeypatch.setenv("FAKE_MODE", "ok")
    libreoffice.recalculate(template, out, 30, messages=messages)
    assert _sleepers(str(tmp_path)) == []
    assert [p.name for p in out.parent.iterdir()] == ["r.xlsx"]
    assert any("stopped LibreOffice left running by run" in m for m in messages), messages
    assert any(m.startswith("tarifa recalc: removed ") for m in messages), messages


def test_a_live_run_is_never_reaped(tmp_path):
    record = processes.RunRecord(tmp_path)
    folder = tmp_path / ".tarifa-recalc-x"
    folder.mkdir()
    record.add_folder(folder)
    assert processes.reap_stale(tmp_path) == [] and folder.exists()  # this process: alive
    record.close()


def test_a_python_mismatch_is_said_plainly(monkeypatch):
    monkeypatch.setattr(lo_recalc, "lo_python", lambda soffice: "3.9")
    with pytest.raises(libreoffice.RecalcError, match=r"LibreOffice runs Python 3\.9, but "
                       r"Tarifa runs on Python 3\.\d+ .*: LibreOffice cannot load its packages"):
        lo_recalc._python_matches("/usr/bin/soffice")


def test_an_invalid_licence_key_is_one_line(template, tmp_path):
    env = {**os.environ, "XLWINGS_LICENSE_KEY": "not-a-key", "XLWINGS_ON_SERVER": "true",
           "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "addin.cli", "recalc", str(template), "-o",
                           str(tmp_path / "r.xlsx")], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == (
        "tarifa recalc: cannot load the worksheet functions of udfs.functions (LicenseError: "
        "Invalid xlwings license key.); XLWINGS_LICENSE_KEY holds a key xlwings refuses: unset "
        "it or give a valid one (tarifa recalc needs none)")


@pytest.mark.skipif(not libreoffice.available(), reason="LibreOffice (soffice) is not installed")
def test_an_ods_input_ends_without_a_traceback(template, tmp_path, capsys):
    ods, back = tmp_path / "t.ods", tmp_path / "t.xlsx"
    assert main(["recalc", str(template), "-o", str(ods)]) == 0
    assert main(["recalc", str(ods), "-o", str(back)]) == 0
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    assert "formula cells; error values:" in out.out
