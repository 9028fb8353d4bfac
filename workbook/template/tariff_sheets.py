"""The Start and Tariffs sheets: what the workbook does, the price lists as Tables, VAT
rates and the inputs that are not public (empty, to fill in from your contract)."""

from __future__ import annotations

from pricing import money
from workbook import layout as L
from workbook.template.info_sheets import DECISIONS, PURPOSE, RUNTIMES, versions

FILL_IN = "fill in from your contract"
# Our decision: we bill all three price lists with Slovenian VAT (editable in the workbook).
DEFAULT_VAT = [["mSign", 22, "Slovenian VAT (DDV)"], ["eSign", 22, "Slovenian VAT (DDV)"],
               ["NENSI", 22, "Slovenian VAT (DDV); NENSI prices exclude DDV (NE-13)"]]


def _wrapped(ws, row: int, col: int, text: str, fmt, chars: int = 120) -> None:
    """Wrapped text with a row height that shows all of it (files carry no auto-fit)."""
    ws.write(row, col, text, fmt)
    lines = max(1, -(-len(text) // chars))
    if lines > 1:
        ws.set_row(row, 15 * lines)


def write_start(book, ws) -> None:
    st = book.st
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 110)
    ws.write(0, 0, "Tarifa - quotes, monthly bills and estimates", st.title)
    r = 2
    for line in PURPOSE:
        _wrapped(ws, r, 1, line, st.wrap)
        r += 1
    r += 1
    ws.write(r, 0, "Which runtime", st.subtitle)
    r += 1
    for where, how in RUNTIMES:
        ws.write(r, 0, where, st.label)
        ws.write(r, 1, how)
        r += 1
    r += 1
    ws.write(r, 0, "Price lists held", st.subtitle)
    r += 1
    for name, vid, start, end in versions(book.catalog):
        ws.write(r, 0, vid, st.label)
        archived = (" - archived, still the latest known: applies open-ended"
                    if vid.startswith("nensi") and end != "(open)" else "")
        ws.write(r, 1, f"{name} - valid from {start} to {end}{archived} (Tariffs: "
                       f"{L.tariff_table_name(vid)})")
        r += 1
    r += 1
    ws.write(r, 0, "Decisions", st.subtitle)
    ws.write(r, 1, "Where the price lists are silent, Tarifa decides as follows (RULES.md). "
                   "Lines marked (our decision) are Tarifa's own choices.", st.note)
    r += 1
    for rule, text in DECISIONS:
        ws.write(r, 0, rule, st.label)
        _wrapped(ws, r, 1, text, st.wrap)
        r += 1


def write_tariffs(book, ws) -> None:
    st = book.st
    ws.write(0, 0, "Tariffs - price lists (EUR, VAT excluded) and your contract data", st.title)
    ws.write(1, 0, "Prices you change here are used by every formula of the workbook (each "
                   "function gets its price list's Table as the last argument).", st.note)
    ws.write(2, 0, "Red cells are not public: " + FILL_IN + ". They are never invented; "
                   "until filled in, a charge that needs them is an error.", st.warn)
    r = 4
    for fam in book.catalog.families():
        for pl in book.catalog.versions(fam):
            name = L.tariff_table_name(pl.id)
            used = L.TARIFF_FOR.get(fam) == name
            ws.write(r, 0, f"{pl.name} ({pl.id}), {pl.vendor}; source {pl.source}", st.subtitle)
            note = ("Used by the " + fam + " functions." if used else
                    "Not public: give the price per row (ES-1); for reference.")
            if pl.valid_to and fam == "nensi":  # the NENSI archive (RULES.md decision)
                note += (f" Marked 'Arhiv {pl.valid_to:%d.%m.%Y}' (archived): no newer list "
                         "is known, so these prices apply open-ended; a newer list is added as "
                         "a new version with its valid-from date.")
            ws.write(r + 1, 0, note, st.note)
            rows = []
            for item in pl.items.values():
                price = (float(money.price_to_decimal(item.price_e4))
                         if item.price_e4 is not None else None)
                note = ""
                if item.price_e4 is None:
                    note = (FILL_IN + " (MS-8)" if item.code == "sms"
                            else "not in the document: give it per row (ES-1)")
                rows.append([item.code, price, pl.valid_from, pl.valid_to, item.unit, item.rule,
                             item.names["sl"], item.names["de"], item.names["en"], note])
            rows = book.tables.get(name, rows)  # tests: a dated price change, say
            table = L.TableDef(name, L.TARIFFS, r + 2, 0, L.TARIFF_COLUMNS)
            placed = book.add_table(ws, table, r + 2, rows, grows=False)
            for i, row in enumerate(rows):
                if row[1] is None:
                    ws.write_blank(placed.first + i, 1, None, st.missing)
            r = placed.last + 3
    r = _vat(book, ws, r)
    r = _packages(book, ws, r)
    _discounts(book, ws, r)


def _vat(book, ws, r: int) -> int:
    st = book.st
    ws.write(r, 0, "VAT rates (our decision: 22 % SI for all three; SI reduced 9.5 %, DE 19 %)",
             st.subtitle)
    rows = book.tables.get(L.VAT.name) or DEFAULT_VAT
    placed = book.add_table(ws, L.VAT, r + 1, rows, grows=False)
    for i, (pl, _rate, _note) in enumerate(rows):
        name = f"VAT_{pl}"
        book.wb.define_name(name, f"={L.TARIFFS}!{L.a1(placed.first + i, 1)}")
    return placed.last + 3


def _packages(book, ws, r: int) -> int:
    st = book.st
    ws.write(r, 0, "mSign packages - monthly fee and included quantities: not public, "
                   + FILL_IN, st.subtitle)
    ws.write(r + 1, 0, "For your reference and the Estimate sheet; usage rows carry their "
                       "own Included quantity.", st.note)
    # empty in the template (never invented); `build(tables=...)` may fill it (tests)
    rows = book.tables.get(L.PACKAGES_TABLE.name) or [[p] for p in L.PACKAGES]
    placed = book.add_table(ws, L.PACKAGES_TABLE, r + 2, rows, grows=False)
    for i, row in enumerate(rows):
        for j in range(1, len(L.PACKAGES_TABLE.columns)):
            if j >= len(row) or row[j] is None:
                ws.write_blank(placed.first + i, j, None, st.missing)
    return placed.last + 3


def _discounts(book, ws, r: int) -> int:
    st = book.st
    ws.write(r, 0, "NENSI discount tiers (NE-12): not in the price list, " + FILL_IN
             + ". Empty = no discount.", st.subtitle)
    ws.write(r + 1, 0, "One row per service and tier: the discount percent applies from the "
                       "minimum monthly quantity on (5 = 5 %).", st.note)
    # empty in the template (never invented); `build(tables=...)` may fill it (tests)
    rows = book.tables.get(L.DISCOUNTS_TABLE.name) or []
    placed = book.add_table(ws, L.DISCOUNTS_TABLE, r + 2, rows, grows=False)
    if not rows:
        for j in range(len(L.DISCOUNTS_TABLE.columns)):
            ws.write_blank(placed.first, j, None, st.missing)
    return placed.last + 3
