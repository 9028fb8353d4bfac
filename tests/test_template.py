"""The template built by `tarifa build` (workbook.template): sheets, Tables, dropdowns,
formats, formulas that reference what exists, and no invented non-public numbers."""

from __future__ import annotations

import re
import warnings
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from pricing.catalog import builtin
from udfs import functions as F
from workbook import layout as L
from workbook.template import build, samples


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("tpl") / "Tarifa.xlsx")


@pytest.fixture(scope="module")
def wb(built):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning while loading = something to repair
        return openpyxl.load_workbook(built.path)


def tables(wb) -> dict:
    return {t.displayName: (ws, t) for ws in wb for t in ws.tables.values()}


def formulas(wb):
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                text = v.text if isinstance(v, ArrayFormula) else v
                if c.data_type == "f" and isinstance(text, str):
                    yield ws.title, c.coordinate, text


def test_opens_cleanly_and_xml_is_well_formed(built, wb):
    assert [ws.title for ws in wb] == list(L.SHEETS)
    with zipfile.ZipFile(built.path) as z:
        for name in z.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                ElementTree.fromstring(z.read(name))


def test_every_input_block_is_a_table_with_text_headers(wb):
    found = tables(wb)
    expected = [t for t in (*L.USAGE_TABLES, L.VAT, L.PACKAGES_TABLE, L.DISCOUNTS_TABLE,
                            L.QUOTE_LINES, L.ESTIMATE_ITEMS, L.ESTIMATE_CURVE)]
    for t in expected:
        ws, table = found[t.name]
        assert ws.title == t.sheet
        assert [c.name for c in table.tableColumns] == t.headers
    for fam in builtin().families():
        for pl in builtin().versions(fam):
            ws, table = found[L.tariff_table_name(pl.id)]
            assert ws.title == L.TARIFFS
            assert [c.name for c in table.tableColumns] == [c.header for c in L.TARIFF_COLUMNS]


def test_table_names_never_equal_a_function_name(wb):
    # LibreOffice reads ESIGN_LEDGER(...) as the Table eSign_Ledger when both exist (seen 7.4)
    functions = {n.lower() for n in F.__all__}
    clash = [n for n in tables(wb) if n.lower() in functions]
    assert clash == []


def test_tariff_tables_hold_the_price_lists(wb):
    found = tables(wb)
    cat = builtin()
    for fam in cat.families():
        for pl in cat.versions(fam):
            ws, t = found[L.tariff_table_name(pl.id)]
            rows = list(ws[t.ref])[1:]
            by_code = {r[0].value: r for r in rows}
            assert set(by_code) == set(pl.items)
            for code, item in pl.items.items():
                price = by_code[code][1].value
                if item.price_e4 is None:
                    assert price is None  # MS-8 sms, ES-1 legacy: not public, never invented
                else:
                    assert round(price * 10_000) == item.price_e4
                assert by_code[code][5].value == item.rule
    ws, t = found["Tariff_nensi_2019"]
    entry = [r for r in list(ws[t.ref])[1:] if r[0].value == "entry"][0]
    assert entry[1].value == 22.279  # NE-8, 4 decimals kept
    assert "0.0000" in entry[1].number_format  # shown as 22.2790, the list's 4 decimals


def test_non_public_inputs_are_empty_and_marked(wb):
    found = tables(wb)
    ws, t = found[L.PACKAGES_TABLE.name]
    rows = list(ws[t.ref])[1:]
    assert [r[0].value for r in rows] == list(L.PACKAGES)
    assert all(c.value is None for r in rows for c in r[1:])  # MS: fees, inclusions
    ws, t = found[L.DISCOUNTS_TABLE.name]
    assert all(c.value is None for r in list(ws[t.ref])[1:] for c in r)  # NE-12 tiers
    text = " ".join(str(c.value) for row in wb[L.TARIFFS].iter_rows() for c in row if c.value)
    assert text.count("fill in from your contract") >= 3


def test_dropdowns_for_every_code_column(wb):
    found = tables(wb)
    for t in (*L.USAGE_TABLES, L.QUOTE_LINES, L.ESTIMATE_ITEMS):
        ws, table = found[t.name]
        first = openpyxl.utils.cell.range_boundaries(table.ref)
        for j, col in enumerate(t.columns):
            if col.kind != L.CODE:
                continue
            letter = openpyxl.utils.get_column_letter(first[0] + j)
            cell = f"{letter}{first[1] + 1}"
            lists = [dv for dv in ws.data_validations.dataValidation
                     if dv.type == "list" and cell in dv.sqref]
            assert lists, f"{t.name}[{col.header}] has no dropdown"
    ws, table = found[L.MSIGN_USAGE.name]
    item = [dv for dv in ws.data_validations.dataValidation if "D7" in dv.sqref][0]
    assert item.formula1.strip('"').split(",") == list(L.ITEMS)


def test_inputs_look_different_from_results_and_formats(wb):
    ws = wb[L.MSIGN]
    used, charge = ws["E7"], ws["J7"]
    assert ws["J6"].value == "Charge"
    assert used.fill.fgColor.rgb != charge.fill.fgColor.rgb
    assert "EUR" in charge.number_format
    assert ws["B7"].number_format == "yyyy-mm"
    assert ws.freeze_panes == "B7"  # the header row and the Customer column stay on screen
    assert wb[L.ESIGN]["F7"].number_format == "yyyy-mm-dd"
    assert "EUR" in wb[L.BILL]["M7"].number_format


def test_result_columns_are_one_spilling_formula_beside_their_table(wb):
    ws = wb[L.MSIGN]
    f = ws["J7"].value
    assert isinstance(f, ArrayFormula) and f.ref == f"J7:J{6 + len(samples.MSIGN_USAGE)}"
    assert f.text.startswith("=MSIGN_OVERAGE(Usage_mSign[Item],Usage_mSign[Used]")
    # the tariff, then the Month: prices in force on the usage month (issue 10)
    assert f.text.endswith("Tariff_msign[[#All],[Code]:[Valid from]],Usage_mSign[Month])")
    assert ws["J8"].value in (None, 0)  # the spill, not a formula per row


def test_formulas_reference_existing_tables_columns_and_names(wb):
    found = tables(wb)
    names = set(wb.defined_names.keys())
    functions = set(F.__all__)
    # functions of Excel 2007+ that LibreOffice 7.4 knows too
    native = {"SUMIFS", "IF", "AND", "EOMONTH", "ROUND", "CHOOSE", "MATCH", "INDEX", "SUM", "N",
              "TEXT", "COUNTIFS", "ISNUMBER", "ISTEXT", "INT", "DAY", "MONTH", "NA", "OR",
              "SUMPRODUCT", "NOT", "ISLOGICAL", "TRIM", "COUNTIF",
              # the spill reference J7# (Excel 365; tarifa recalc sizes it for LibreOffice)
              "ANCHORARRAY"}
    seen_tables = set()
    for sheet, cell, text in formulas(wb):
        for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_]*)\[(\[[^\]]*\](?:,|:)?)*([^\[\]]*)\]",
                             text):
            name = m.group(1)
            assert name in found, f"{sheet}!{cell}: unknown Table {name}"
            seen_tables.add(name)
            columns = [c.name for c in found[name][1].tableColumns]
            for col in re.findall(r"\[([^\[\]#]+)\]", m.group(0)) or [m.group(3)]:
                assert col in columns, f"{sheet}!{cell}: {name} has no column {col!r}"
        for fn in re.findall(r"([A-Z][A-Z0-9_.]*)\(", text):
            assert fn in functions or fn in native, f"{sheet}!{cell}: unknown function {fn}"
        rest = re.sub(r'"[^"]*"', "", text).replace("#VALUE!", "")
        rest = re.sub(r"[A-Za-z_][A-Za-z0-9_]*\[(?:[^\[\]]|\[[^\]]*\])*\]", "", rest)
        rest = re.sub(r"[A-Za-z_][A-Za-z0-9_.]*\(", "(", rest)
        rest = re.sub(r"(?:\w+!|'[^']+'!)?\$?[A-Z]{1,3}\$?\d+", "", rest)
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", rest):
            if word in ("TRUE", "FALSE"):
                continue
            assert word in names, f"{sheet}!{cell}: unknown name {word}"
        # only what Excel 2016+ and LibreOffice 7.4 both know
        assert not re.search(r"XLOOKUP|\bLET\(|UNIQUE|FILTER\(|SORT\(|[A-Z]\d+#|\[#All\]\]?$",
                             text), f"{sheet}!{cell}"
        assert "[#All])" not in text and "[#Data]" not in text
    assert {t.name for t in L.USAGE_TABLES} <= seen_tables


def test_prices_come_from_the_workbook_tariff_tables(wb):
    priced = ("MSIGN_OVERAGE(", "ESIGN_LICENCES(", "ESIGN_LEDGER(", "NENSI_MAINT(",
              "NENSI_ANNUAL(", "NENSI_CHARGE(", "TARIFF_PRICE(")
    uses = [t for _s, _c, t in formulas(wb) if any(p in t for p in priced)]
    assert len(uses) >= 9
    for text in uses:
        assert "Tariff_" in text, text


def test_sample_rows_labelled_and_bad_input_labelled(wb):
    found = tables(wb)
    for t in L.USAGE_TABLES:
        ws, table = found[t.name]
        rows = list(ws[table.ref])[1:]
        customers = [r[0].value for r in rows]
        assert all("(sample)" in c or c == samples.BAD for c in customers), t.name
        if "Note" in t.headers:
            j = t.headers.index("Note")
            for r in rows:
                note = r[j].value or ""
                assert note.startswith("sample") or note.startswith("bad-input sample"), note
                assert ("bad-input" in note) == (r[0].value == samples.BAD)


def test_start_sheet_explains_runtimes_versions_and_decisions(wb):
    text = " ".join(str(c.value) for row in wb[L.START].iter_rows() for c in row if c.value)
    for word in ("xlwings Lite", "Server", "nensi-2019", "esign-2024", "esign-legacy", "msign",
                 "ES-15", "NE-6", "MS-7", "(our decision)"):
        assert word in text


def test_build_never_leaves_a_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "Tarifa.xlsx"
    target.write_bytes(b"old")

    def broken(book, ws):
        raise RuntimeError("boom")

    monkeypatch.setattr("workbook.template.writer.write_estimate", broken)
    with pytest.raises(RuntimeError):
        build(target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["Tarifa.xlsx"]


def test_tarifa_build_command(tmp_path, capsys):
    from addin.cli import main

    out = tmp_path / "dist" / "Tarifa.xlsx"
    assert main(["build", "-o", str(out)]) == 0
    assert out.is_file() and "Template written" in capsys.readouterr().out


def test_runtime_variants_store_office_js_names(tmp_path):
    from addin.build import variants

    paths = variants(tmp_path / "Tarifa.xlsx")
    assert [p.name for p in paths] == ["Tarifa.xlsx", "Tarifa-Lite.xlsx", "Tarifa-Server.xlsx"]
    assert main_build(tmp_path / "Tarifa.xlsx") == 0
    for path, prefix in paths.items():
        with zipfile.ZipFile(path) as z:
            xml = z.read("xl/worksheets/sheet3.xml").decode()
        assert f">{prefix}MSIGN_OVERAGE(Usage_mSign[Item]" in xml
        if prefix:
            assert ">MSIGN_OVERAGE(" not in xml
    assert list(paths.values())[2] == "_xldudf_TARIFA_"


def main_build(path) -> int:
    from addin.cli import main

    return main(["build", "-o", str(path)])


def test_every_usage_table_can_grow_and_is_read_through_spill_refs(wb):
    # issue 8 items 1-2: nothing below a usage Table on its sheet; its dropdowns and its
    # columns' number formats reach the sheet's last row; nothing reads results through a
    # fixed range (only spill references J7# and structured references)
    found = tables(wb)
    for t in L.USAGE_TABLES:
        ws, table = found[t.name]
        _c1, _r1, _c2, last = openpyxl.utils.range_boundaries(table.ref)
        assert ws.max_row == last, f"{t.name}: content below the Table on {ws.title}"
        assert sum(tt.sheet == t.sheet for tt in L.USAGE_TABLES) == 1, t.name
        for dv in ws.data_validations.dataValidation:
            assert str(dv.sqref).endswith(str(L.SHEET_ROWS)), (t.name, dv.sqref)
    ws = wb[L.MSIGN]
    assert ws.column_dimensions["B"].number_format == "yyyy-mm"  # Month, new rows too
    assert "EUR" in ws.column_dimensions["J"].number_format  # Charge, new rows too
    cost = openpyxl.utils.get_column_letter(L.ESIGN_LEDGER.result_col + 6)  # the Cost column
    assert wb[L.LEDGER_SHEET].column_dimensions[cost].number_format.startswith("#,##0.00")
    fixed = re.compile(r"\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+")
    for sheet, cell, text in formulas(wb):
        assert not fixed.search(text), f"{sheet}!{cell}: a fixed range in {text}"
    bill = wb[L.BILL]["D7"].value.text
    assert bill.startswith("=SUMIFS(_xlfn.ANCHORARRAY(mSign!$J$7),Usage_mSign[Customer]")


def test_every_sheet_prints_legibly_on_a4_landscape(wb):
    # issue 8 item 7: A4 landscape; one page wide only where that keeps >= 72 % (11 pt ->
    # 7.9 pt), else 72 % over pages across; the usage Tables' header row (and the Customer
    # column) on every page
    from workbook.template.writer import MIN_PRINT_SCALE

    for ws in wb:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, ws.title
        fit = ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage
        assert fit or int(setup.scale) >= MIN_PRINT_SCALE, ws.title
    for t in L.USAGE_TABLES:
        ws = wb[t.sheet]
        assert ws.print_title_rows == f"${t.row + 1}:${t.row + 1}", t.name
        assert ws.print_title_cols == "$A:$A", t.name
    assert int(wb[L.BILL].page_setup.scale) == MIN_PRINT_SCALE  # 18 columns: pages across
    assert wb[L.MSIGN].sheet_properties.pageSetUpPr.fitToPage  # fits at >= 72 %
