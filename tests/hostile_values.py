"""Bad cell values for tests/test_hostile_values.py: the cell XML a script, another program or
a hostile sender can put into an input cell of the mSign usage Table, and the reason
`tarifa bill` must give for the row (never "empty", never a default, never 0).

Each case is (column letters, cell attributes and content, the reason). The row it goes into
is otherwise good: customer "Bad NNN", May 2025, SMART, transaction, 120 used, 100 included
(MS-1: 20 x 0.27 = 5.40 when billed).
"""

from __future__ import annotations

NO_VALUE = ("the cell is a formula without a saved value: open and save the workbook in Excel, "
            "or run `tarifa recalc` first")
EMPTY = 'the cell is empty text (""), not an empty cell: clear the cell or enter a value'


def spaces(text: str) -> str:
    return (f"the cell is text of spaces only ({text!r}), not an empty cell: clear the cell or "
            "enter a value")


def inline(text: str) -> str:
    return f' t="inlineStr"><is><t xml:space="preserve">{text}</t></is>'


# Bad in ANY input column: the reader notes them (column -> the header in the reason)
_ANY = [
    (">" + "<f>500+500</f>", NO_VALUE),  # written by a script: no <v>
    (">" + "<f>500+500</f><v></v>", NO_VALUE),
    (">" + "<f>500+500</f><v/>", NO_VALUE),
    (">" + '<f t="shared" si="7"/>', NO_VALUE),
    (' t="e"><v>#N/A</v>', "the cell is #N/A"),
    (' t="e"><v>#VALUE!</v>', "the cell is #VALUE!"),
    (' t="e"><v>#REF!</v>', "the cell is #REF!"),
    (' t="e"><f>1/0</f><v>#DIV/0!</v>', "the cell is #DIV/0!"),
    (' t="e"><v>#NUM!</v>', "the cell is #NUM!"),
    (' t="e"><f>NOPE()</f><v>#NAME?</v>', "the cell is #NAME?"),
    (' t="e"><v>#NULL!</v>', "the cell is #NULL!"),
    (inline(" "), spaces(" ")),
    (inline("   "), spaces("   ")),
    (inline("\t"), spaces("\t")),
    (inline(""), EMPTY),
    (' t="inlineStr"><is><t/></is>', EMPTY),
    (' t="str"><f>""</f><v></v>', EMPTY),
    (' t="str"><f>" "</f><v> </v>', spaces(" ")),
    (' t="s"><v>{blank}</v>', EMPTY),  # a shared string "" (added to the table)
    (' t="s"><v>{space}</v>', spaces("  ")),  # a shared string "  "
]
# numbers no number cell can hold
_NOT_FINITE = [
    ("><v>nan</v>", "the cell is a number that is not finite (nan)"),
    ("><v>NaN</v>", "the cell is a number that is not finite (nan)"),
    ("><v>inf</v>", "the cell is a number that is not finite (inf)"),
    ("><v>-inf</v>", "the cell is a number that is not finite (-inf)"),
    ("><v>1E+999</v>", "the cell is a number that is not finite (inf)"),
    ("><v>-1e999</v>", "the cell is a number that is not finite (-inf)"),
]
INPUTS = {"C": "Package", "D": "Item", "E": "Used", "F": "Included", "G": "Unit price"}

CASES: list[tuple[str, str, str]] = [
    (col, cell, f"{header}: {reason}")
    for col, header in INPUTS.items() for cell, reason in _ANY + _NOT_FINITE]

# What the worksheet functions refuse (their _CHECK reason), one column at a time
CASES += [
    ("E", inline("120"), "used: text '120' where a number belongs"),
    ("E", inline("12,5"), "used: text '12,5' where a number belongs"),
    ("E", ' t="b"><v>1</v>', "used: TRUE/FALSE where a number belongs"),
    ("E", "><v>-5</v>", "MS-1: used must not be negative"),
    ("E", "><v>1E+300</v>", "MS-1: used is too large to compute exactly"),
    ("F", inline("100"), "included: text '100' where a number belongs"),
    ("F", ' t="b"><v>0</v>', "included: TRUE/FALSE where a number belongs"),
    ("F", "><v>-1</v>", "MS-1: included must not be negative"),
    ("D", inline("transactions"), "unknown mSign item 'transactions'; valid items: transaction, "
                                   "onesign, rekono_qes, rekono_aes, user, api, storage_gb, sms"),
    ("D", "><v>5</v>", "item: a number where a code belongs"),
    ("C", inline("HUGE"), "unknown mSign package 'huge'; valid packages: MINI, START, SMART, "
                           "ENTERPRISE (or empty)"),
    ("G", inline("0,27"), "unit_price: text '0,27' where a number belongs"),
    ("G", "><v>-0.27</v>", "unit_price must not be negative"),
]
# The billing month: anything but a date cell holds the row back
MONTH = "Month {}- which month is this row? Enter a date (the Bill sheet bills only date cells)"
CASES += [
    ("B", inline("2025-05-01"), MONTH.format("holds text '2025-05-01', not a date cell ")),
    ("B", inline("May 2025"), MONTH.format("holds text 'May 2025', not a date cell ")),
    ("B", inline(" "), MONTH.format("holds an error (Month: " + spaces(" ") + ") ")),
    ("B", ' t="e"><v>#N/A</v>', MONTH.format("holds an error (Month: the cell is #N/A) ")),
    ("B", "><f>DATE(2025,5,1)</f>", MONTH.format(f"holds an error (Month: {NO_VALUE}) ")),
    ("B", ' t="b"><v>1</v>', MONTH.format("is not a date ")),
    ("B", "><v>0</v>", MONTH.format("is not a date ")),
    ("B", "><v>nan</v>", MONTH.format("holds an error (Month: the cell is a number that is "
                                       "not finite (nan)) ")),
]
# Every input of the row bad: still a bad row, never a blank one skipped
CASES += [
    ("CDEFG", "><f>500+500</f>", f"Item: {NO_VALUE}"),
    ("CDEFG", ' t="e"><v>#N/A</v>', "Item: the cell is #N/A"),
    ("CDEFG", inline(" "), f"Item: {spaces(' ')}"),
]
# Not an input: the Note column may hold anything, the row is billed (5.40)
HARMLESS = [("H", "><f>500+500</f>"), ("H", inline(" ")), ("H", ' t="e"><v>#N/A</v>'),
            ("H", "><v>nan</v>"), ("H", inline(""))]
