"""A month's invoices: per customer billed, ``<number>.xml`` (CII, EN 16931) and
``<number>.pdf`` (PDF/A-3 with that XML as Factur-X), from the same bill run as
``tarifa bill`` (``workbook.billrun.price_month``), so the totals agree to the cent.

* A customer held back by bad rows gets no invoice and is listed with its rows.
* A customer whose invoice would lack a required field (Customers Table, parties.py) or
  whose line cannot be written consistently (lines.py) gets no invoice and is listed with
  what is missing; nothing invalid is written.
* Numbers come from the Seller's pattern and never repeat (numbering.py); a number whose
  file is already in the output folder is an error and nothing is written.
* Each file goes to a temporary file in the output folder and is then linked to its name,
  which fails rather than replace an existing file.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pricing import bill
from workbook.billrun import BillRun, price_month
from workbook.invoice import cii, numbering, parties, pdf, texts
from workbook.invoice.document import Invoice, due_date
from workbook.invoice.lines import InvoiceLine, LineError, invoice_lines
from workbook.usage import Table, WorkbookError, read_tables, read_template

PARTY_TABLES = (parties.CUSTOMERS_TABLE, parties.SELLER_TABLE)


@dataclass
class Written:
    customer: str
    number: str
    lang: str
    xml: Path
    pdf: Path
    totals: bill.Totals


@dataclass
class Outcome:
    run: BillRun
    written: list[Written] = field(default_factory=list)
    held: list[tuple[str, int]] = field(default_factory=list)  # customer, bad rows
    refused: list[tuple[str, str]] = field(default_factory=list)  # customer, why


def read_workbook(path: Path) -> dict[str, Table]:
    """The Tables ``tarifa bill`` reads plus Customers and Seller."""
    tables = read_template(path)
    try:
        tables.update(read_tables(path, PARTY_TABLES))
    except WorkbookError as e:
        raise WorkbookError(f"{e} -- invoices need the Customers sheet (Tables Customers and "
                            "Seller) of a current template (tarifa build)") from None
    return tables


@dataclass
class _Todo:
    customer: parties.Customer
    lang: str
    lines: list[InvoiceLine]


def _prepare(run: BillRun, tables: dict[str, Table], lang: str | None, out: Outcome
             ) -> list[_Todo]:
    customers = parties.read_customers(tables[parties.CUSTOMERS_TABLE])
    todo = []
    for c in run.customers.values():
        if not c.lines and not c.problems:
            continue
        if c.held:
            out.held.append((c.customer, len(c.problems)))
            continue
        party = customers.get(parties.key(c.customer))
        if party is None:
            out.refused.append((c.customer, "not in the Customers table (name, address, "
                                            "country, language needed)"))
            continue
        missing = [m for m in party.missing() if not (lang and m.startswith("Language"))]
        if missing:
            out.refused.append((c.customer, "missing in the Customers table: "
                                + ", ".join(missing)))
            continue
        language = lang or party.language
        try:
            lines = invoice_lines(c, tables, run.month, language)
        except LineError as e:
            out.refused.append((c.customer, f"line {e}"))
            continue
        total = bill.totals(lines)
        if total != c.totals:  # by construction equal: a guard, money is trusted
            out.refused.append((c.customer, "the invoice's totals differ from tarifa bill's: "
                                            "not written (please report)"))
            continue
        if total.gross_cents <= 0:
            out.refused.append((c.customer, f"total {total.gross_cents / 100:.2f}: nothing to "
                                            "invoice (a credit note is not written)"))
            continue
        todo.append(_Todo(party, language, lines))
    return todo


def write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and link it to ``path``; refuses
    (FileExistsError) to replace an existing file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system: check, then rename
            if path.exists():
                raise FileExistsError(f"{path} exists") from None
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def invoice_month(workbook: Path, month: dt.date, outdir: Path, lang: str | None = None,
                  issue_date: dt.date | None = None, counter: Path | None = None) -> Outcome:
    """Write the month's invoices into ``outdir`` (see the module docstring). ``counter``:
    the invoice-number file (default: beside the workbook)."""
    if lang is not None:
        lang = texts.check_language(lang)
    issue = issue_date or dt.date.today()
    tables = read_workbook(workbook)
    seller = parties.read_seller(tables[parties.SELLER_TABLE])
    missing = seller.missing()
    if missing:
        raise ValueError("the Seller block lacks " + ", ".join(missing)
                         + ": no invoice can be written")
    numbering.check_pattern(seller.number_pattern)
    pdf.font_dir()  # a missing font stops the run before a number is taken
    run = price_month(tables, month)
    out = Outcome(run)
    todo = _prepare(run, tables, lang, out)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    def refuse(numbers: list[str]) -> None:
        there = [f"{n}{ext}" for n in numbers for ext in (".xml", ".pdf")
                 if (outdir / f"{n}{ext}").exists()]
        if there:
            raise ValueError(f"{outdir} already holds {', '.join(there)}: invoice numbers "
                             "never repeat - is the invoice-number file "
                             f"{counter or numbering.counter_file(workbook)} an old copy?")

    numbers = numbering.reserve(counter or numbering.counter_file(workbook),
                                seller.number_pattern, issue, len(todo), refuse)
    period = (month, (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
              - dt.timedelta(days=1))
    for number, item in zip(numbers, todo, strict=True):
        inv = Invoice(number, issue, due_date(issue, seller), period, item.lang, seller,
                      item.customer, item.lines)
        xml = cii.to_bytes(inv)
        data = pdf.facturx_pdf(inv, xml)
        xml_path, pdf_path = outdir / f"{number}.xml", outdir / f"{number}.pdf"
        write_new(xml_path, xml)
        write_new(pdf_path, data)
        out.written.append(Written(item.customer.name, number, item.lang, xml_path, pdf_path,
                                   inv.totals))
    return out
