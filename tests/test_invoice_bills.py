"""bills.xlsx for invoicing (issue 9 item 7): a totals row, the period, each line's item code,
Rec. 20 unit and billing period (as the e-invoice lines carry them), printed A4 landscape
with one customer's block per page."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest

from addin.billing import bill_workbook
from workbook.invoice.lines import invoice_lines
from workbook.template import build
from workbook.usage import read_template

MAY = dt.date(2025, 5, 1)


@pytest.fixture(scope="module")
def billed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bills")
    src = build(folder / "Tarifa.xlsx").path
    out = folder / "bills.xlsx"
    return src, out, bill_workbook(src, MAY, out)


def test_summary_has_the_period_and_a_totals_row(billed):
    _src, out, _run = billed
    rows = list(openpyxl.load_workbook(out, read_only=True)["Summary"].iter_rows(
        values_only=True))
    assert rows[0][0].startswith("Bills for 2025-05, period 2025-05-01 to 2025-05-31")
    total = next(r for r in rows if r[0] == "Total billed")
    # tarifa bill's sample month: 22 lines, net 842.84, VAT 185.43, gross 1,028.27
    assert total[:5] == ("Total billed", 22, 842.84, 185.43, 1028.27)


def test_lines_carry_item_unit_and_period_as_the_invoices(billed):
    src, out, run = billed
    ws = openpyxl.load_workbook(out, read_only=True)["Lines"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][8:] == ("Item", "Unit", "Period from", "Period to")
    tables = read_template(src)
    expected = [(ln.code, ln.unit, *ln.period) for c in run.customers.values() if not c.held
                for ln in invoice_lines(c, tables, MAY, "en")]
    got = [(r[8], r[9], r[10].date(), r[11].date()) for r in rows[1:]]
    assert got == expected and len(got) == 22
    # ES-15: CED-2's 3 licences from the purchase (16 May) to the period's end (31 Dec)
    assert ("licence", "C62", dt.date(2025, 5, 16), dt.date(2025, 12, 31)) in got
    assert ("storage_gb", "E34", MAY, dt.date(2025, 5, 31)) in got  # MS-7: Rec. 20 gigabyte


def test_printed_a4_landscape_one_customer_per_page(billed):
    _src, out, run = billed
    with zipfile.ZipFile(out) as z:
        lines = z.read("xl/worksheets/sheet2.xml").decode()
        summary = z.read("xl/worksheets/sheet1.xml").decode()
    for xml in (lines, summary):
        assert 'paperSize="9"' in xml and 'orientation="landscape"' in xml
        assert 'fitToHeight="0"' in xml  # one page wide
    # 5 billed customers: a page break before each block but the first
    breaks = [int(b) for b in re.findall(r'<brk id="(\d+)"', lines)]
    starts, row = [], 1
    for c in run.customers.values():
        if not c.held and c.lines:
            starts.append(row)
            row += len(c.lines)
    assert breaks == starts[1:] == [5, 8, 12, 20]
