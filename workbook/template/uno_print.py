"""Print a computed workbook to PDF with every row fitted to its wrapped text; run by
LibreOffice's own Python (python3-uno), not the venv's:

    /usr/bin/python3 workbook/template/uno_print.py PROFILE_DIR SRC.xlsx DST.pdf [SHEET,...]

``soffice --convert-to pdf`` keeps the row heights LibreOffice had before it recalculated, so a
Check text that wraps to two lines overlaps the next row. Here each sheet's rows are set to
their optimal height (Format > Rows > Optimal Height) before the PDF is written. The sheets
named in the optional last argument are printed one page wide (a picture of a whole sheet).
"""

from __future__ import annotations

import subprocess
import sys
import time

import uno  # LibreOffice's Python (python3-uno)
from com.sun.star.beans import PropertyValue


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main(profile: str, src: str, dst: str, fit: str = "") -> int:
    pipe = f"tarifa-print-{time.monotonic_ns()}"
    proc = subprocess.Popen(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
         "--norestore", "--nologo", "--nodefault", "--nolockcheck",
         f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        desktop = None
        for _ in range(240):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                desktop = ctx.ServiceManager.createInstanceWithContext(
                    "com.sun.star.frame.Desktop", ctx)
                break
            except Exception:  # not listening yet
                time.sleep(0.25)
        if desktop is None:
            raise SystemExit("LibreOffice did not answer on its pipe")
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0,
                                           (_prop("Hidden", True),))
        styles = doc.StyleFamilies.getByName("PageStyles")
        for sheet in doc.Sheets:
            sheet.getRows().OptimalHeight = True
            if sheet.Name in fit.split(","):
                style = styles.getByName(sheet.PageStyle)
                style.ScaleToPagesX, style.ScaleToPagesY = 1, 0
        doc.storeToURL(uno.systemPathToFileUrl(dst),
                       (_prop("FilterName", "calc_pdf_Export"),))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # the bridge goes away as soffice exits
            pass
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
