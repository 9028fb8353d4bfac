"""``tarifa recalc``: headless LibreOffice recalculates a workbook and Tarifa's worksheet
functions reach Python through the profile's Basic library and bridge script.

The LibreOffice tests need soffice (Debian: libreoffice-calc-nogui python3-uno
libreoffice-script-provider-python) and skip without it; the bridge's conversions are tested
without LibreOffice too. Numbers are hand-checked against the mSign price list (MS-1: 0.27 EUR
per transaction, MS-2: 0.69 EUR per OneSign signature).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import sys
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from addin import cli
from workbook import libreoffice
from workbook.libreoffice import bridge as lo_bridge
from workbook.libreoffice import checks as lo_checks
from workbook.libreoffice import script as lo_script

needs_soffice = pytest.mark.skipif(
    not libreoffice.available(),
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui "
           "python3-uno libreoffice-script-provider-python")


# --- a stand-in module of worksheet functions (same conventions as udfs.functions) ---------

STANDIN = '''
"""Stand-in worksheet functions for the bridge tests: Office.js-style values in, 2-D lists out."""
import datetime as dt


def is_error(value):
    return isinstance(value, dict) and value.get("type") == "Error"


def error_code(value):
    return value.get("code", "#VALUE!") if is_error(value) else ""


def KINDS(a, b=None):
    """What arrived from the spreadsheet, as text: one row per cell of ``a``, then ``b``."""
    rows = a if isinstance(a, list) else [[a]]
    out = [[f"{type(v).__name__}:{v!r}" for v in row] for row in rows]
    return out + [[f"b={b!r}"]]


def ERRS(n=None):
    """Four error cells and a date."""
    codes = ("#VALUE!", "#NUM!", "#N/A", "#DIV/0!")
    return [[{"type": "Error", "code": c}] for c in codes] + [[dt.date(2025, 7, 1)]]


def NOARGS():
    return [[42.0]]


def BOOM(x=None):
    raise RuntimeError("a bug")


def _hidden(x):
    return [[x]]


def lower_case(x):
    return [[x]]
'''


@pytest.fixture
def standin(tmp_path, monkeypatch):
    """The stand-in module, importable here and (through extra_paths) inside LibreOffice."""
    folder = tmp_path / "standin"
    folder.mkdir()
    (folder / "lo_standin.py").write_text(STANDIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop("lo_standin", None)
    yield folder
    sys.modules.pop("lo_standin", None)


@pytest.fixture(scope="module")
def profiles(tmp_path_factory):
    """Profiles of this test module (never the user's cache): the first run is a cold start."""
    return tmp_path_factory.mktemp("lo-profiles")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the bridge, without LibreOffice -------------------------------------------------------


def test_signatures_follow_the_module(standin):
    sigs = {s.name: s for s in lo_bridge.signatures("lo_standin")}
    assert set(sigs) == {"KINDS", "ERRS", "NOARGS", "BOOM"}  # not _hidden, not lower_case
    assert sigs["KINDS"].params == ("a", "b") and sigs["KINDS"].optional == (False, True)
    assert sigs["NOARGS"].params == ()


def test_signatures_of_tarifa_functions():
    sigs = {s.name: s for s in lo_bridge.signatures("udfs.functions")}
    over = sigs["MSIGN_OVERAGE"]
    assert over.params == ("item", "used", "included", "package", "unit_price", "tariff",
                           "month")
    assert over.optional == (False, False, True, True, True, True, True)
    assert "MSIGN_OVERAGE_CHECK" in sigs and "NENSI_MAINT" in sigs


def test_basic_function_text():
    text = lo_bridge.basic_function(lo_bridge.Signature("F", ("date", "n"), (False, True)))
    assert text.splitlines()[0] == "Function F(Optional p_date, Optional p_n)"
    assert "If Not IsMissing(p_n) Then a(1) = p_n" in text
    assert 'F = TarifaCall("F", a)' in text
    xba = lo_bridge.module_xba(lo_bridge.basic_module([lo_bridge.Signature("F", (), ())]))
    assert "&amp;location=user" in xba and "Dim out(1 To n, 1 To m)" in xba


def test_error_values_carry_libreoffice_codes():
    for code, number in lo_script.LO_ERRORS.items():
        v = lo_script.error_value(code)
        assert math.isnan(v) and lo_script.lo_error_code(v) == code, (code, number)
    assert lo_script.lo_error_code(lo_script.error_value("#SPILL!")) == "#VALUE!"
    assert lo_script.lo_error_code(1.0) == ""


def test_conversions_both_ways():
    assert lo_script.to_python(((1, "x"), (None, 2.5))) == [[1.0, "x"], [None, 2.5]]
    assert lo_script.to_python(45809) == 45809.0 and lo_script.to_python(None) is None
    err = {"type": "Error", "errorType": "Value"}
    from udfs.excel_values import error_code, is_error

    rows = lo_script.to_calc([[5.4, err], [dt.date(2025, 7, 1), None]], is_error, error_code)
    assert rows[0][0] == 5.4 and lo_script.lo_error_code(rows[0][1]) == "#VALUE!"
    assert rows[1] == (45839.0, "")  # 2025-07-01 is serial 45839; None -> empty text
    assert lo_script.to_calc([[dt.date(1900, 2, 28)], [dt.date(1900, 3, 1)]],
                             is_error, error_code) == ((59.0,), (61.0,))  # phantom 29 Feb 1900
    # error codes as text never reach a cell as text (SUM would skip them)
    assert lo_script.lo_error_code(lo_script.to_calc("#N/A", is_error, error_code)[0][0]) == "#N/A"
    codes = [lo_script.lo_error_code(v) for v in lo_script.to_calc(
        [["#SPILL!", float("inf"), float("nan")]], is_error, error_code)[0]]
    assert codes == ["#VALUE!", "#NUM!", "#NUM!"]
    ragged = lo_script.to_calc([[1.0, 2.0], [3.0]], is_error, error_code)
    assert lo_script.lo_error_code(ragged[1][1]) == "#N/A"


def test_call_runs_tarifa_functions(monkeypatch):
    monkeypatch.setattr(lo_script, "_state", {})
    monkeypatch.setattr(lo_script, "CONFIG", {"sys_path": [], "module": "udfs.functions"})
    rows = lo_script.call("MSIGN_OVERAGE", ((("transaction",), ("bogus",)), ((120,), (5,)),
                                            ((100,), (1,)), None, None, None))
    assert rows[0] == (5.4,)  # MS-1: (120 - 100) x 0.27 = 5.40
    assert lo_script.lo_error_code(rows[1][0]) == "#VALUE!"
    bad = lo_script.call("MSIGN_OVERAGE", ((("transaction",), ("onesign",)), ((1,), (2,), (3,))))
    assert lo_script.lo_error_code(bad[0][0]) == "#VALUE!"  # ranges of different sizes


def test_clean_env_strips_the_venv(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    env = libreoffice.clean_env({"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "VIRTUAL_ENV": str(venv),
                                 "PYTHONPATH": "x", "XLWINGS_ON_SERVER": "true", "HOME": "/h"})
    assert env == {"PATH": "/usr/bin:/bin", "HOME": "/h"}


# --- LibreOffice ---------------------------------------------------------------------------


def usage_workbook(path: Path) -> None:
    """An mSign usage Table, one spilling formula over its columns, per-row formulas, SUMs."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("mSign")
    rows = [["transaction", 120, 100],  # MS-1: 20 x 0.27 = 5.40
            ["onesign", 30, 10],        # MS-2: 20 x 0.69 = 13.80
            ["bogus", 5, 1],            # unknown item: #VALUE!
            ["transaction", -3, 0],     # negative quantity: #NUM!
            ["sms", 50, 0],             # MS-8: SMS has no public price: #N/A
            ["transaction", 10, None]]  # included omitted -> 0: 10 x 0.27 = 2.70
    ws.add_table(0, 0, len(rows), 2, {"name": "Usage", "data": rows, "columns": [
        {"header": "Item"}, {"header": "Used"}, {"header": "Included"}]})
    last = len(rows) + 1
    ws.write_dynamic_array_formula(
        f"E2:E{last}", "=MSIGN_OVERAGE(Usage[Item],Usage[Used],Usage[Included])")
    for r in range(2, last + 1):  # the same, one plain formula per row
        ws.write_formula(f"F{r}", f"=MSIGN_OVERAGE(A{r},B{r},C{r})")
    ws.write_formula("H1", f"=SUM(E2:E{last})")
    ws.write_formula("H2", "=SUM(E2,E3,E7)")
    ws.write_formula("H3", "=ERROR.TYPE(E4)")
    ws.write_formula("H4", "=ERROR.TYPE(E5)")
    ws.write_formula("H5", "=ERROR.TYPE(E6)")
    ws.write_formula("H6", "=MSIGN_SWITCH_DATE(DATE(2025,6,15))")  # MS-10: 2025-07-01
    ws.write_formula("H7", "=MSIGN_REKONO_TX(12,2)")  # MS-3/4: 2 x ceil(12/5) = 6
    ws.write_formula("H8", "=NO_SUCH_FUNCTION(1)")
    wb.close()


@needs_soffice
def test_tarifa_recalc_computes_tarifa_functions(tmp_path, profiles, monkeypatch, capsys):
    monkeypatch.setenv("TARIFA_LO_PROFILES", str(profiles))
    src, dst = tmp_path / "usage.xlsx", tmp_path / "out" / "usage-recalc.xlsx"
    usage_workbook(src)
    before, mtime = sha256(src), src.stat().st_mtime_ns

    assert cli.main(["recalc", str(src), "-o", str(dst), "--timeout", "120"]) == 0
    printed = capsys.readouterr()
    assert "20 formula cells; error values: 2 #N/A, 1 #NAME?, 2 #NUM!, 3 #VALUE!" in printed.out
    assert "#NAME? is a name LibreOffice does not know" in printed.err

    assert sha256(src) == before and src.stat().st_mtime_ns == mtime  # input untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "usage.xlsx"]  # no lock file
    assert [p.name for p in dst.parent.iterdir()] == [dst.name]  # no temporary files left
    ws = openpyxl.load_workbook(dst, data_only=True)["mSign"]
    for col in "EF":  # the spilled column and the per-row formulas agree
        cells = [ws[f"{col}{r}"] for r in range(2, 8)]
        assert [c.value for c in cells[:2]] == [5.4, 13.8]  # MS-1, MS-2
        assert cells[5].value == 2.7  # MS-1 with included omitted
        assert [(c.data_type, c.value) for c in cells[2:5]] == [
            ("e", "#VALUE!"), ("e", "#NUM!"), ("e", "#N/A")]  # real error cells, not text
    assert (ws["H1"].data_type, ws["H1"].value) == ("e", "#VALUE!")  # SUM over a bad row
    assert ws["H2"].value == pytest.approx(21.9)  # 5.40 + 13.80 + 2.70: the good rows
    assert [ws[f"H{r}"].value for r in (3, 4, 5)] == [3, 6, 7]  # ERROR.TYPE inside Calc
    assert ws["H6"].value == 45839  # MS-10: serial of 2025-07-01
    assert ws["H7"].value == 6  # MS-3/4
    assert (ws["H8"].data_type, ws["H8"].value) == ("e", "#NAME?")


@needs_soffice
def test_profile_is_reused_and_repaired(tmp_path):
    soffice, config = libreoffice.find_soffice(), libreoffice.bridge_config()
    profile = libreoffice.ensure_profile(soffice, config, tmp_path)
    module = profile / "user/basic/Standard/Module1.xba"
    assert "Function MSIGN_OVERAGE(Optional p_item" in module.read_text()
    xcu = (profile / "user/registrymodifications.xcu").read_text()
    assert '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value>' in xcu
    assert libreoffice.ensure_profile(soffice, config, tmp_path) == profile  # reused
    module.write_text("damaged")  # e.g. LibreOffice's presets copied over it
    assert libreoffice.ensure_profile(soffice, config, tmp_path) == profile
    assert "Function MSIGN_OVERAGE(Optional p_item" in module.read_text()  # rebuilt


@needs_soffice
def test_bridge_conversions_in_libreoffice(tmp_path, profiles, standin):
    """A module the bridge has never seen: its functions work without any bridge change,
    and the values LibreOffice hands over arrive in the Office.js shapes."""
    src, dst = tmp_path / "kinds.xlsx", tmp_path / "kinds-out.xlsx"
    wb = xlsxwriter.Workbook(src)
    ws = wb.add_worksheet("S")
    ws.write_column("A1", [120, "Text"])
    ws.write_datetime("A3", dt.datetime(2025, 6, 1), wb.add_format({"num_format": "yyyy-mm-dd"}))
    # A4 stays empty
    ws.write_dynamic_array_formula("B1:B5", "=KINDS(A1:A4)")
    ws.write_formula("C1", "=KINDS(A1,A2)")
    ws.write_dynamic_array_formula("D1:D5", "=ERRS()")
    for r in range(1, 5):
        ws.write_formula(f"E{r}", f"=ERROR.TYPE(D{r})")
    ws.write_formula("F1", "=SUM(D1:D4)")
    ws.write_formula("F2", "=NOARGS()")
    ws.write_formula("F3", "=BOOM(1)")
    wb.close()
    messages: list[str] = []
    libreoffice.recalculate(src, dst, 120, module="lo_standin", values_module="lo_standin",
                            extra_paths=(standin,), profile_root=profiles, messages=messages)
    ws = openpyxl.load_workbook(dst, data_only=True)["S"]
    assert [ws[f"B{r}"].value for r in range(1, 6)] == [
        "float:120.0", "str:'Text'", "float:45809.0", "NoneType:None", "b=None"]
    assert ws["C1"].value == "float:120.0"
    assert [ws[f"E{r}"].value for r in range(1, 5)] == [3, 6, 7, 2]  # #VALUE! #NUM! #N/A #DIV/0!
    assert [ws[f"D{r}"].value for r in range(1, 5)] == ["#VALUE!", "#NUM!", "#N/A", "#DIV/0!"]
    assert ws["D5"].value == 45839  # a date comes back as its serial number
    assert (ws["F1"].data_type, ws["F1"].value) == ("e", "#VALUE!")
    assert ws["F2"].value == 42
    assert (ws["F3"].data_type, ws["F3"].value) == ("e", "#VALUE!")  # a bug: error, no hang
    assert any("BOOM: RuntimeError: a bug" in m for m in messages)


@needs_soffice
def test_a_broken_bridge_fails_the_run(tmp_path, profiles, standin, monkeypatch):
    """Never an output full of #VALUE! because the bridge is broken: the run fails."""
    src = tmp_path / "in.xlsx"
    wb = xlsxwriter.Workbook(src)
    wb.add_worksheet("S").write_formula("A1", "=NOARGS()")
    wb.close()
    # LibreOffice's Python cannot import the module (its folder is not on its sys.path)
    with pytest.raises(libreoffice.RecalcError, match="could not load.*ModuleNotFoundError"):
        libreoffice.recalculate(src, tmp_path / "a.xlsx", 120, module="lo_standin",
                                values_module="lo_standin", profile_root=profiles)
    # Basic cannot find the Python script (as without libreoffice-script-provider-python)
    real = lo_bridge.script_uri
    monkeypatch.setattr(lo_bridge, "script_uri", lambda: real("no_such_bridge.py"))
    with pytest.raises(libreoffice.RecalcError, match="Basic could not call the Python bridge"):
        libreoffice.recalculate(src, tmp_path / "b.xlsx", 120, module="lo_standin",
                                values_module="lo_standin", extra_paths=(standin,),
                                profile_root=profiles)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx", "standin"]  # no output


@needs_soffice
def test_more_functions_in_libreoffice(tmp_path, profiles):
    """Multi-column spills, date arguments, a tariff Table, a VAT block (hand-checked)."""
    src, dst = tmp_path / "more.xlsx", tmp_path / "more-out.xlsx"
    wb = xlsxwriter.Workbook(src)
    ws = wb.add_worksheet("S")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.add_table("A1:C5", {"name": "Bill", "data": [
        ["transaction", 120, 100], ["user", 7, 5], ["api", 1, 0], ["sms", 10, 0]],
        "columns": [{"header": "Item"}, {"header": "Used"}, {"header": "Included"}]})
    ws.write_dynamic_array_formula("E2:J5", "=MSIGN_BILL(Bill[Item],Bill[Used],Bill[Included])")
    ws.add_table("A8:B9", {"name": "Tariff", "data": [["transaction", 0.25]],
                           "columns": [{"header": "code"}, {"header": "unit_price"}]})
    # M9 is empty: an empty cell is "not given"; Tariff[#All] is #NAME? in LibreOffice 7.4
    ws.write_formula("L1", '=MSIGN_OVERAGE("transaction",120,100,M9,M9,Tariff[[#Headers],[#Data]])')
    for cell, date in (("M1", "2024-06-16"), ("M2", "2024-06-01"), ("M3", "2024-06-30"),
                       ("M4", "2024-05-03")):
        ws.write_datetime(cell, dt.datetime.fromisoformat(date), day)
    ws.write_formula("L2", "=ESIGN_PRORATE(3,M1,M2,M3)")
    ws.write_formula("L3", "=NENSI_MAINT(M4,M2,10)")
    ws.write_formula("L4", '=NENSI_ANNUAL("pharmacy",DATE(2024,4,10))')
    ws.write_formula("L5", '=ESIGN_PRORATE(2,"2024-03-01","2024-03-01","2024-03-31")')
    ws.write_dynamic_array_formula("O1:R4", "=TARIFA_VAT(P7:P10,Q7:Q10,TRUE)")
    ws.write_column("P7", [10, 20.5, 3])
    ws.write_column("Q7", [22, 9.5, "SI"])
    wb.close()
    libreoffice.recalculate(src, dst, 120, profile_root=profiles)
    ws = openpyxl.load_workbook(dst, data_only=True)["S"]
    bill = [[ws.cell(r, c).value for c in range(5, 11)] for r in range(2, 6)]
    assert bill[:3] == [["transaction", 120, 100, 20, 0.27, 5.4],  # MS-1
                        ["user", 7, 5, 2, 6, 12],                  # MS-5
                        ["api", 1, 0, 1, 100, 100]]                # MS-6
    assert bill[3] == ["#N/A"] * 6  # MS-8: no SMS price
    assert ws["L1"].value == 5.0  # the Table's 0.25 replaces 0.27: 20 x 0.25
    assert ws["L2"].value == 7.5  # ES-15: 3 x 5.00 x 15/30 days
    assert ws["L3"].value == 11.14  # NE-10: June, 10 x 1.1140
    assert ws["L4"].value == 180  # NE-5/NE-6: 240 x 9/12
    assert ws["L5"].value == "#N/A"  # ES-1: legacy plan needs a price
    vat = [[ws.cell(r, c).value for c in range(15, 19)] for r in range(1, 5)]
    assert vat == [["VAT rate %", "net EUR", "VAT EUR", "gross EUR"],
                   [22, 13, 2.86, 15.86], [9.5, 20.5, 1.95, 22.45],  # 9.5 % of 20.50 -> 1.95
                   ["total", 33.5, 4.81, 38.31]]


def short_array_workbook(path: Path) -> None:
    """A 3-row Table; one spilling formula over 3 rows (right), one over 2 (too short), and a
    call with an empty argument."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("S")
    rows = [["transaction", 120, 100], ["onesign", 30, 10], ["transaction", 10, 0]]
    ws.add_table(0, 0, 3, 2, {"name": "U", "data": rows, "columns": [
        {"header": "Item"}, {"header": "Used"}, {"header": "Included"}]})
    ws.write_dynamic_array_formula("E2:E4", "=MSIGN_OVERAGE(U[Item],U[Used],U[Included])")
    ws.write_dynamic_array_formula("F2:F3", "=MSIGN_OVERAGE(U[Item],U[Used],U[Included])")
    ws.write_dynamic_array_formula("G2:G2", "=SUM(MSIGN_OVERAGE(U[Item],U[Used]))")
    ws.write_formula("H2", '=MSIGN_OVERAGE("transaction",120,100,"SMART",)')
    wb.close()


def test_checks_find_what_libreoffice_gets_wrong(tmp_path):
    src = tmp_path / "short.xlsx"
    short_array_workbook(src)
    found = lo_checks.problems(src, {"MSIGN_OVERAGE"})
    assert len(found) == 2
    assert found[0].startswith("S!F2:F3: 2 rows for a Table of 3 rows")
    assert found[1].startswith("S!H2: MSIGN_OVERAGE: argument 5 is empty")
    assert lo_checks.problems(src, {"NENSI_MAINT"}) == []
    empty = lo_checks.empty_arguments
    assert empty('=MSIGN_OVERAGE(A2,B2,,,,T)', {"MSIGN_OVERAGE"})[0].startswith(
        "MSIGN_OVERAGE: argument 3, 4, 5 is empty")
    assert empty('=F(A2,B2)+F()+F(G(1,,2),"a,,b",T[[#All],[a]:[b]])', {"F"}) == []


@needs_soffice
def test_recalc_refuses_what_libreoffice_gets_wrong(tmp_path, profiles, monkeypatch, capsys):
    monkeypatch.setenv("TARIFA_LO_PROFILES", str(profiles))
    src, dst = tmp_path / "short.xlsx", tmp_path / "short-out.xlsx"
    short_array_workbook(src)
    assert cli.main(["recalc", str(src), "-o", str(dst)]) == 2
    err = capsys.readouterr().err
    # the short array beside the Table is sized to it in recalc's copy (sizing.py, issue 8):
    # only the empty argument, which it cannot fix, is refused
    assert "S!F2:F3" not in err and "S!H2: MSIGN_OVERAGE" in err
    assert not dst.exists()
    # what LibreOffice makes of it when told to go on anyway: the empty argument loses money
    # silently; the short array was fitted (2.70 not cut off)
    assert cli.main(["recalc", str(src), "-o", str(dst), "--no-check"]) == 0
    ws = openpyxl.load_workbook(dst, data_only=True)["S"]
    assert [ws[f"E{r}"].value for r in (2, 3, 4)] == [5.4, 13.8, 2.7]  # MS-1, MS-2, MS-1
    assert [ws[f"F{r}"].value for r in (2, 3, 4)] == [5.4, 13.8, 2.7]
    assert ws["H2"].value == 0  # the empty unit price arrived as 0, not "price list" (5.40)


@needs_soffice
def test_recalc_refuses_bad_requests(tmp_path):
    src = tmp_path / "in.xlsx"
    usage_workbook(src)
    with pytest.raises(libreoffice.RecalcError, match="must not be the input"):
        libreoffice.recalculate(src, src)
    with pytest.raises(libreoffice.RecalcError, match="cannot write"):
        libreoffice.recalculate(src, tmp_path / "out.csv")
    assert cli.main(["recalc", str(tmp_path / "missing.xlsx"), "-o", str(tmp_path / "o.xlsx")]
                    ) == 1  # the input refused: nothing to recalculate


def test_missing_soffice_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("TARIFA_SOFFICE", str(tmp_path / "no-soffice"))
    assert not libreoffice.available()
    src = tmp_path / "in.xlsx"
    src.write_bytes(b"")
    with pytest.raises(libreoffice.RecalcError, match="not installed"):
        libreoffice.recalculate(src, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()

