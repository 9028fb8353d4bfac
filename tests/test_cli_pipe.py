"""The `tarifa` command piped into a reader that leaves early (`tarifa bill ... | head -1`):
no traceback, exit status 1 (what was not printed yet did not happen)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from workbook.template import build


def test_a_reader_that_leaves_gets_no_traceback(tmp_path):
    template = build(tmp_path / "T.xlsx").path
    cmd = [sys.executable, "-m", "addin.cli", "bill", str(template), "--month", "2025-05",
           "-o", str(tmp_path / "bills.xlsx")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parent.parent)
    proc.stdout.close()  # the reader has left before the first line: every print is EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
