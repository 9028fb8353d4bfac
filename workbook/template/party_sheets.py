"""The Customers and Seller sheets: who bills whom, for `tarifa invoice` and `tarifa quote`
(issue 9). Customers is a Table that grows (one row per customer: address, country, VAT ID,
e-mail, language, buyer reference); Seller is a block of fields (a two-column Table) with
the seller's address, VAT ID, IBAN, payment terms and the invoice number pattern."""

from __future__ import annotations

from workbook import layout as L

# Seller fields: (field, kind of its Value cell, note)
SELLER_FIELDS = (
    ("Name", L.TEXT, "required (EN 16931 BT-27)"),
    ("Street", L.TEXT, "required: the postal address (BR-8)"),
    ("Post code", L.TEXT, "required"),
    ("City", L.TEXT, "required"),
    ("Country", L.CODE, "required: ISO 3166 code, e.g. SI (BR-9)"),
    ("VAT ID", L.TEXT, "required: with its country prefix, e.g. SI12345678 (BR-S-02)"),
    ("E-mail", L.TEXT, "optional: the seller's electronic address (BT-34)"),
    ("IBAN", L.TEXT, "required: invoices are paid by credit transfer to it (BT-84)"),
    ("BIC", L.TEXT, "optional (BT-86)"),
    ("Payment terms (days)", L.NUMBER, "required: due date = issue date + these days (BT-9)"),
    ("Invoice number pattern", L.TEXT,
     "required: {year}, {month} and {seq} (the running number, never repeated), e.g. "
     "{year}-{seq:04d} gives 2025-0001; the last number is kept in the file "
     "<workbook>.invoice-numbers.json beside the workbook"),
    ("Quote validity (days)", L.NUMBER, "optional: a quote's validity when its Valid until "
                                        "cell is empty"),
)


def write_customers(book, ws) -> None:
    st, t = book.st, L.PARTIES
    ws.write(0, 0, "Customers - who is invoiced: address, VAT ID, language (finance)", st.title)
    ws.write(1, 0, "tarifa invoice writes one e-invoice (CII XML + Factur-X PDF) per customer "
                   "billed in the month, in its Language; a customer missing here, or missing "
                   "a required field, is listed and gets no invoice.", st.note)
    ws.write(2, 0, "Required: Customer, Street, Post code, City, Country, Language. The sample "
                   "rows are fictional.", st.note)
    book.add_table(ws, t, t.row, book.tables[t.name])
    ws.freeze_panes(t.row + 1, 1)


def write_seller(book, ws) -> None:
    st, t = book.st, L.SELLER
    ws.write(0, 0, "Seller - who invoices: your company's data on every invoice and quote",
             st.title)
    ws.write(1, 0, "Fill in the Value column. The sample values are fictional: replace them "
                   "before sending an invoice.", st.warn)
    values = {r[0]: r[1] for r in book.tables[t.name] if r}
    rows = [[f, values.get(f), note] for f, _kind, note in SELLER_FIELDS]
    placed = book.add_table(ws, t, t.row, rows, grows=False)  # a fixed block of fields
    col = t.col + t.headers.index("Value")
    note_col = t.col + t.headers.index("Note")
    for i, (field, kind, note) in enumerate(SELLER_FIELDS):
        value = values.get(field)
        ws.write(placed.first + i, col, value, st.input(kind))  # days as numbers, text as text
        ws.write(placed.first + i, note_col, note, st.wrap)
        if len(note) > 75:  # the Note column is 70 wide: room for the wrapped lines
            ws.set_row(placed.first + i, 15 * -(-len(note) // 75))

