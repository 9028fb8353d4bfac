"""LibreOffice as a child process that cannot outlive or outgrow its run.

* ``child_setup(memory)``: run in the child before soffice starts: a memory limit
  (``RLIMIT_AS``; LibreOffice past it fails or stalls, and the time limit ends it) and, on
  Linux, death with its parent (``PR_SET_PDEATHSIG``).
* ``RunRecord``: each run writes ``runs/<pid>.json`` in the profile root (its process groups,
  its private folder holding the input's copy) and removes it when done. A run killed with
  SIGKILL cannot clean up; ``reap_stale`` -- called by the next run -- kills what is left of
  it (only process groups whose processes run soffice with one of our profiles) and removes
  its folder. soffice starts soffice.bin as a grandchild, which no death signal reaches: a
  record is the only way to find it again.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def child_setup(memory: int | None) -> Callable[[], None]:
    """What the child runs between fork and exec (nothing that allocates much)."""
    libc = None
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            libc = ctypes.CDLL(None, use_errno=True)

    def setup() -> None:
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    return setup


def _start_time(pid: int) -> str | None:
    """The process's start time (field 22 of /proc/PID/stat): a pid reused by another
    process has another one. None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return "?"
        return "?"
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, started: str | None) -> bool:
    now = _start_time(pid)
    return now is not None and (started in (None, "?") or now in ("?", started))


def group_members(pgid: int, marker: str) -> list[int]:
    """Processes of group ``pgid`` whose command line holds ``marker`` (our profile)."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[2]) == pgid and marker in cmd:
            found.append(int(entry.name))
    return found


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


class RunRecord:
    """``runs/<pid>.json`` under the profile root for the length of one run."""

    def __init__(self, root: Path):
        self.path = Path(root) / "runs" / f"{os.getpid()}.json"
        self.data: dict = {"owner": os.getpid(), "started": _start_time(os.getpid()),
                           "groups": [], "folders": [], "marker": str(Path(root).resolve())}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write()

    def _write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data))
        os.replace(tmp, self.path)

    def add_group(self, pgid: int) -> None:
        self.data["groups"].append(pgid)
        self._write()

    def add_folder(self, folder: Path) -> None:
        self.data["folders"].append(str(folder))
        self._write()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()


def reap_stale(root: Path) -> list[str]:
    """Kill and remove what runs that died without cleaning up left behind; what was done."""
    done = []
    runs = Path(root) / "runs"
    if not runs.is_dir():
        return done
    for record in runs.glob("*.json"):
        try:
            data = json.loads(record.read_text())
            owner = int(data["owner"])
        except (OSError, ValueError, KeyError, TypeError):
            with contextlib.suppress(OSError):
                record.unlink()
            continue
        if owner == os.getpid() or _alive(owner, data.get("started")):
            continue
        for pgid in data.get("groups", []):
            members = group_members(int(pgid), str(data.get("marker", root)))
            if members:
                kill_group(int(pgid))
                done.append(f"stopped LibreOffice left running by run {owner} "
                            f"(process group {pgid})")
        for folder in data.get("folders", []):
            if Path(folder).exists():
                shutil.rmtree(folder, ignore_errors=True)
                done.append(f"removed {folder} left by run {owner}")
        with contextlib.suppress(OSError):
            record.unlink()
    return done
