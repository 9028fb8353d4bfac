"""``tarifa invoice WORKBOOK --month YYYY-MM -o DIR [--lang sl|de|en]`` and
``tarifa quote WORKBOOK -o quote.pdf [--lang sl|de|en]``.

``invoice`` writes, per customer billed in the month, ``<number>.xml`` (UN/CEFACT CII D16B,
EN 16931) and ``<number>.pdf`` (PDF/A-3 with the XML embedded as Factur-X / ZUGFeRD), from the
same bill run as ``tarifa bill``. Customers held back by bad rows, or lacking a required
field, get no invoice and are listed. Nothing in DIR is overwritten. Exit status: 0 every
customer invoiced, 2 invoices written but some customers not, 1 nothing written.

``quote`` turns the workbook's Quote sheet into a PDF in the customer's language.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from addin.billing import HELD, parse_month
from pricing import money
from workbook.atomic import same_file


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workbook", type=Path, help="the filled-in template (.xlsx)")
    lang = ("the language of every document (sl, de, en); default: each customer's "
            "Language in the Customers table")
    if parser.prog.split()[-1] == "quote":
        parser.add_argument("-o", "--output", type=Path, required=True,
                            help="the quote PDF to write (never over an existing file)")
        parser.add_argument("--number", help="the quote number (default: the Quote sheet's)")
    else:
        parser.add_argument("--month", required=True, help="the month to invoice, YYYY-MM")
        parser.add_argument("-o", "--output", type=Path, required=True,
                            help="the folder for <number>.xml and <number>.pdf")
        parser.add_argument("--date", help="the issue date, YYYY-MM-DD (default: today)")
    parser.add_argument("--lang", choices=("sl", "de", "en"), help=lang)


def _eur(cents: int) -> str:
    return f"{money.cents_to_decimal(cents):,.2f}"


def invoice(args: argparse.Namespace) -> int:
    from workbook.invoice.month import invoice_month

    try:
        month = parse_month(args.month)
        issue = dt.date.fromisoformat(args.date) if args.date else None
        if args.output.exists() and not args.output.is_dir():
            raise ValueError(f"-o {args.output}: give a folder")
        out = invoice_month(args.workbook, month, args.output, args.lang, issue)
    except (ValueError, OSError, RuntimeError) as e:
        print(f"tarifa invoice: {e}", file=sys.stderr)
        return 1
    print(f"Invoices for {month:%Y-%m} from {args.workbook} into {args.output}:")
    width = max([len(w.customer) for w in out.written] + [8])
    for w in out.written:
        t = w.totals
        print(f"  {w.number:<14} {w.customer:<{width}}  {w.lang}  net {_eur(t.net_cents):>10}"
              f"  VAT {_eur(t.vat_cents):>9}  gross {_eur(t.gross_cents):>10}")
    if out.written:
        gross = sum(w.totals.gross_cents for w in out.written)
        print(f"  {len(out.written)} invoice(s), gross {_eur(gross)} EUR "
              "(each a .xml and a .pdf)")
    for name, n in out.held:
        print(f"  NOT INVOICED  {name}: {n} bad row(s) - fix them and invoice it again:")
        for p in [p for p in out.run.problems if p.customer == name][:5]:
            print(f"      {p.sheet}!{p.row}: {p.reason}")
        if n > 5:
            print(f"      ... and {n - 5} more (tarifa bill's sheet Problems)")
    for name, why in out.refused:
        print(f"  NOT INVOICED  {name}: {why}")
    if not out.written:
        print("  no invoice written")
    return HELD if (out.held or out.refused) else 0


def quote(args: argparse.Namespace) -> int:
    from workbook.invoice.month import write_new
    from workbook.invoice.pdf import quote_pdf
    from workbook.invoice.quote import read_quote

    try:
        if same_file(args.workbook, args.output) or args.output.exists():
            raise ValueError(f"-o {args.output} exists: give a new file name")
        if args.output.suffix.lower() != ".pdf":
            raise ValueError(f"-o {args.output}: the quote is a .pdf file")
        q = read_quote(args.workbook, args.lang, args.number)
        data = quote_pdf(q)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        write_new(args.output, data)
    except (ValueError, OSError, RuntimeError) as e:
        print(f"tarifa quote: {e}", file=sys.stderr)
        return 1
    t = q.totals
    print(f"Quote {q.number or '(no number)'} for {q.buyer.name} ({q.lang}), {len(q.lines)} "
          f"line(s): net {_eur(t.net_cents)}, VAT {_eur(t.vat_cents)}, gross "
          f"{_eur(t.gross_cents)} EUR")
    print(f"Written: {args.output}")
    return 0


def run(args: argparse.Namespace) -> int:
    return quote(args) if args.command == "quote" else invoice(args)
