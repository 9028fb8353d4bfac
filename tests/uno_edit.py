"""Edit a workbook in LibreOffice as a user does, through UNO; run by LibreOffice's Python.

    /usr/bin/python3 tests/uno_edit.py PROFILE_DIR SRC.xlsx DST.xlsx EDITS.json

EDITS.json is a list of edits, applied in order:

* ``{"sheet": S, "type_at": ROW, "rows": [[...], ...]}``: type the rows into the sheet from
  0-based row ROW on, column A on (numbers as numbers, ``{"date": serial}`` as a date
  serial, strings as text) - e.g. directly below a Table;
* ``{"sheet": S, "insert_at": ROW, "columns": N, "rows": [[...], ...]}``: Insert Cells >
  Shift cells down over the first N columns (the Table's) at ROW, one row per given row,
  then type them there - a row inserted inside a Table.

Then the workbook is stored as .xlsx (Calc MS Excel 2007 XML), as File > Save As does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import uno  # LibreOffice's Python (python3-uno)
from com.sun.star.beans import PropertyValue
from com.sun.star.table import CellRangeAddress


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(profile: str):
    pipe = f"tarifa-test-{os.getpid()}"
    proc = subprocess.Popen(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
         "--norestore", "--nologo", "--nodefault", "--nolockcheck",
         f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return proc, ctx.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", ctx)
        except Exception:  # not listening yet
            time.sleep(0.25)
    proc.kill()
    raise SystemExit("LibreOffice did not answer on its pipe")


def put(cell, value) -> None:
    if isinstance(value, dict):
        cell.setValue(value["date"])
    elif isinstance(value, bool):
        cell.setFormula("=TRUE()" if value else "=FALSE()")
    elif isinstance(value, (int, float)):
        cell.setValue(value)
    elif value is not None:
        cell.setString(value)


def main(profile: str, src: str, dst: str, edits_file: str) -> int:
    with open(edits_file, encoding="utf-8") as f:
        edits = json.load(f)
    proc, desktop = connect(profile)
    try:
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0,
                                           (prop("Hidden", True),))
        sheets = doc.Sheets
        for e in edits:
            sheet = sheets.getByName(e["sheet"])
            index = list(sheets.ElementNames).index(e["sheet"])
            if "insert_at" in e:
                r0, n = e["insert_at"], len(e["rows"])
                addr = CellRangeAddress(index, 0, r0, e["columns"] - 1, r0 + n - 1)
                sheet.insertCells(addr, uno.Enum("com.sun.star.sheet.CellInsertMode", "DOWN"))
            else:
                r0 = e["type_at"]
            for i, row in enumerate(e["rows"]):
                for j, value in enumerate(row):
                    put(sheet.getCellByPosition(j, r0 + i), value)
        doc.storeToURL(uno.systemPathToFileUrl(dst),
                       (prop("FilterName", "Calc MS Excel 2007 XML"),))
        doc.close(True)
    finally:
        try:
            desktop.terminate()
        except Exception:  # the bridge goes away as soffice exits
            pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
