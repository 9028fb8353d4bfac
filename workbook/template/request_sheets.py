"""Requests and helpers beside the usage (issue 10), each on a sheet of its own so that no
Table sits below a usage Table that grows:

* "mSign Requests": the Rekono helper (MS-3/MS-4: transactions of a signing, to enter as the
  month's Used), package-change requests with the day each takes effect (MS-10), and which
  month an invoice date bills (MS-9);
* "eSign Reductions": licence-reduction requests with the day each takes effect, the renewal
  date (ES-13).

Informational: nothing here is billed; `tarifa bill` bills the usage Tables."""

from __future__ import annotations

import datetime as dt

from workbook import layout as L
from workbook.template import samples
from workbook.template.usage_sheets import _args, _priced, _title


def write_msign_requests(book, ws) -> None:
    st = book.st
    _title(book, ws, "mSign - Rekono helper, package changes and the invoice month",
           ["Rekono (MS-3/MS-4, our decision): a transaction covers up to 5 documents for one "
            "signer: transactions = signers x ceil(documents / 5); enter the month's total as "
            "Used on the mSign sheet.",
            "Package changes (MS-10): a new package starts on the 1st of the month after the "
            "request, also when it is made on a 1st; give its rows that package from then."])
    # MS-9: monthly billing for the previous month -- which month an invoice date bills
    ws.write(3, 0, "An invoice dated", st.label)
    ws.write_datetime(3, 1, dt.datetime.combine(samples.INVOICE_DATE, dt.time()),
                      st.input(L.DATE))
    ws.write(3, 2, "bills the month (MS-9)", st.label)
    ws.write_formula(3, 4, f"={book.fn('MSIGN_BILLING_MONTH')}({L.a1(3, 1)})",
                     st.result(L.MONTH))
    book.results["mSign Requests.Invoice month"] = f"{ws.name}!{L.a1(3, 4)}"
    rt = L.MSIGN_REKONO
    ws.freeze_panes(L.HEADER_ROW + 1, 0)
    ws.write(L.HEADER_ROW - 1, rt.col, "Rekono helper (MS-3/MS-4)", st.subtitle)
    placed = book.add_table(ws, rt, L.HEADER_ROW, book.tables.get(rt.name, []))
    _priced(book, ws, placed, "MSIGN_REKONO_TX", _args(rt, "Documents", "Signers"),
            "count", ("Transactions",))
    pt = L.MSIGN_SWITCHES
    ws.write(L.HEADER_ROW - 1, pt.col, "Package changes (MS-10)", st.subtitle)
    placed = book.add_table(ws, pt, L.HEADER_ROW, book.tables.get(pt.name, []))
    _priced(book, ws, placed, "MSIGN_SWITCH_DATE", pt.ref("Request date"), L.DATE,
            ("Takes effect",))


def write_esign_reductions(book, ws) -> None:
    rt = L.ESIGN_REDUCTIONS
    _title(book, ws, "eSign - licence reductions (ES-13)",
           ["Licences can be reduced only at the end of the service period: a request takes "
            "effect on the renewal date, the day after the period's end (ES-13, ES-15).",
            "Then date the ledger's lower licence count on that day and give it as the row's "
            "Period start; a lower count on any other day is refused (ES-13)."])
    ws.freeze_panes(L.HEADER_ROW + 1, 0)
    placed = book.add_table(ws, rt, L.HEADER_ROW, book.tables.get(rt.name, []))
    _priced(book, ws, placed, "ESIGN_REDUCTION_DATE", _args(rt, "Request date", "Period end"),
            L.DATE, ("Takes effect",))
