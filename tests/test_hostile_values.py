"""Bad cell values (issue 12): more than a hundred cells a script, another program or a hostile
sender can put into the mSign usage Table, all in ONE workbook built from the real template
(one row per case). `tarifa bill` must report each row with its reason and hold its customer
back -- never read the cell as empty (an optional argument would take its default: Included
read as 0 is a 5x overcharge), never as 0 -- and bill the good rows as before."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.hostile_files import MSIGN_SHEET, STRINGS, patched
from tests.hostile_values import CASES, HARMLESS
from workbook.billrun import price_month
from workbook.template import build
from workbook.usage import read_template

MAY = dt.date(2025, 5, 1)
FIRST = 7  # the mSign Table's first data row


def _cell(col: str, row: int, content: str):
    def edit(data: bytes) -> bytes:
        pattern = rb'<c r="%s%d"( s="\d+")?[^>]*?(?:/>|>.*?</c>)' % (col.encode(), row)
        m = re.search(pattern, data)
        assert m, (col, row)
        new = b'<c r="%s%d"%s%s</c>' % (col.encode(), row, m[1] or b"", content.encode())
        return data[:m.start()] + new + data[m.end():]
    return edit


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("values")
    cases = CASES + [(col, cell, "") for col, cell in HARMLESS]
    rows = [[f"Bad {k:03d}", MAY, "SMART", "transaction", 120, 100, None, f"case {k}"]
            for k in range(len(cases))]
    path = build(folder / "T.xlsx", tables={"Usage_mSign": rows}).path

    def sheet(data: bytes) -> bytes:
        for k, (cols, cell, _) in enumerate(cases):
            for col in cols:
                data = _cell(col, FIRST + k, cell.format(blank=BLANK, space=SPACE))(data)
        return data

    def strings(data: bytes) -> bytes:
        return data.replace(b"</sst>", b'<si><t></t></si><si><t xml:space="preserve">  </t>'
                                       b"</si></sst>")

    with __import__("zipfile").ZipFile(path) as z:
        n = len(re.findall(rb"<si>", z.read(STRINGS)))
    BLANK, SPACE = n, n + 1  # noqa: N806 - the two strings appended
    bad = patched(path, folder / "bad.xlsx", {MSIGN_SHEET: sheet, STRINGS: strings})
    return price_month(read_template(bad), MAY), cases


def test_there_are_over_a_hundred_cases():
    assert len(CASES) >= 100


def test_each_bad_cell_gives_its_row_reason(run):
    result, cases = run
    reasons = {p.row: p.reason for p in result.problems if p.sheet == "mSign"}
    wrong = []
    for k, (col, cell, want) in enumerate(cases):
        if not want:
            continue
        got = reasons.get(FIRST + k)
        if got != want:
            wrong.append(f"row {FIRST + k} {col} {cell!r}: got {got!r}, want {want!r}")
    assert not wrong, "\n".join(wrong)


def test_each_bad_row_holds_its_customer_and_nothing_else(run):
    result, cases = run
    for k, (_col, _cell, want) in enumerate(cases):
        c = result.customers[f"bad {k:03d}"]
        if want:
            assert c.held and not c.lines, k
        else:  # a bad Note: billed, MS-1 20 x 0.27 = 5.40
            assert not c.held and [ln.amount_cents for ln in c.lines] == [540], k
