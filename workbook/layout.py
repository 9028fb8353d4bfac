"""Where everything sits in the template: sheets, Excel Tables, their columns and named cells.

The template writer (``workbook.template``) and the usage reader (``workbook.usage``) both use
these definitions, so a column renamed here is renamed everywhere. A table's columns are the
*inputs* (the Table); its results are spilled formulas placed beside it (a spill cannot live
inside a Table).

Layout rule (issue 8): every usage Table has a sheet of its own, its header on row
``HEADER_ROW`` and its results beside it in the same rows; nothing sits below a Table, so it
can grow to the sheet's last row (1,048,576 - 7 data rows). One Table per sheet, not side by
side: Excel's filter hides and LibreOffice's Insert Rows inserts WHOLE sheet rows, which would
hide or split the neighbouring Tables and their results.
"""

from __future__ import annotations

from dataclasses import dataclass

from pricing import esign, msign, nensi

# Column kinds: how a column is formatted, validated and read.
TEXT, CODE, NUMBER, PRICE, DATE, MONTH, EUR, FLAG, PERCENT = (
    "text", "code", "number", "price", "date", "month", "eur", "flag", "percent")


@dataclass(frozen=True)
class Col:
    """One input column of a Table: header text, kind, dropdown choices, width, comment."""

    header: str
    kind: str = TEXT
    choices: tuple[str, ...] = ()
    width: float = 14
    comment: str = ""


@dataclass(frozen=True)
class TableDef:
    """An Excel Table of inputs: name, sheet, header row (0-based), first column, columns."""

    name: str
    sheet: str
    row: int
    col: int
    columns: tuple[Col, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def ref(self, header: str) -> str:
        """The structured reference of one column, e.g. ``Usage_mSign[Used]``."""
        if header not in self.headers:
            raise KeyError(f"{self.name} has no column {header!r}")
        return f"{self.name}[{header}]"

    @property
    def result_col(self) -> int:
        """First sheet column of the results spilled beside the Table (one gap column)."""
        return self.col + len(self.columns) + 1


# --- sheet names ---------------------------------------------------------------------------
START, TARIFFS, MSIGN, ESIGN, NENSI, QUOTE, BILL, ESTIMATE = (
    "Start", "Tariffs", "mSign", "eSign", "NENSI", "Quote", "Bill", "Estimate")
# one usage Table per sheet: eSign = licences, NENSI = products, and these; requests and
# helpers beside the usage (issue 10) have sheets of their own too
LEDGER_SHEET, SERVICES_SHEET, CHARGES_SHEET, DISCOUNTS_SHEET = (
    "eSign Ledger", "NENSI Services", "NENSI Charges", "NENSI Discounts")
PARTIES_SHEET, SELLER_SHEET = "Customers", "Seller"  # who bills whom (invoices, issue 9)
MSIGN_TOOLS, ESIGN_REDUCTIONS_SHEET = "mSign Requests", "eSign Reductions"
SHEETS = (START, TARIFFS, MSIGN, MSIGN_TOOLS, ESIGN, LEDGER_SHEET, ESIGN_REDUCTIONS_SHEET,
          NENSI, SERVICES_SHEET, CHARGES_SHEET, DISCOUNTS_SHEET,
          QUOTE, BILL, ESTIMATE, PARTIES_SHEET, SELLER_SHEET)
SHEET_ROWS = 1_048_576  # an .xlsx sheet's rows: formats and dropdowns reach down to the last


def sheet_ref(sheet: str) -> str:
    """A sheet name as formulas write it: quoted when it holds anything but letters, digits
    and underscores (``'eSign Ledger'``)."""
    if sheet.replace("_", "").isalnum() and not sheet[0].isdigit():
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


# --- code lists for dropdowns ------------------------------------------------------------------
PACKAGES = msign.PACKAGES
ITEMS = msign.ITEMS
PLANS = esign.PLAN_TIERS
EVENTS = tuple(esign.EVENTS)
KINDS = ("electronic", "qualified")
SERVICES = nensi.SERVICES
CHARGES = tuple(nensi.CHARGES)
DISCOUNTED = tuple(nensi.ALL_CODES)  # NE-12 scope: every service billed in the month
STATUSES = ("active", "record only")
FLAGS = ("TRUE", "FALSE")
PRICE_LISTS = ("mSign", "eSign", "NENSI")

# --- Tariffs sheet -----------------------------------------------------------------------------
TARIFF_COLUMNS = (
    Col("Code", CODE, width=20), Col("Unit price", PRICE, width=12),
    Col("Valid from", DATE, width=12), Col("Valid to", DATE, width=12), Col("Unit", width=18),
    Col("Rule", width=8), Col("Description (sl)", width=44), Col("Description (de)", width=40),
    Col("Description (en)", width=40), Col("Note", width=44),
)
# The price list version each family's functions get as their `tariff` argument.
TARIFF_FOR = {"msign": "Tariff_msign", "esign": "Tariff_esign_2024", "nensi": "Tariff_nensi_2019"}


def tariff_table_name(price_list_id: str) -> str:
    """Table name of one price list version: ``esign-2024`` -> ``Tariff_esign_2024``."""
    return "Tariff_" + price_list_id.replace("-", "_")


def tariff_arg(family: str) -> str:
    """The `tariff` argument of a family's functions: code, unit price and valid-from columns
    with their header row. (LibreOffice 7.4 rejects ``Table[#All]``; this form works in both.)"""
    return f"{TARIFF_FOR[family]}[[#All],[Code]:[Valid from]]"


VAT = TableDef("VAT_Rates", TARIFFS, 0, 0, (
    Col("Price list", TEXT, PRICE_LISTS, 12), Col("VAT rate %", PERCENT, width=11),
    Col("Note", width=60)))
PACKAGE_ITEMS = ITEMS
PACKAGES_TABLE = TableDef("Packages_mSign", TARIFFS, 0, 0, (
    Col("Package", CODE, PACKAGES, 12), Col("Monthly fee", PRICE, width=12),
    *(Col(f"Included {i}", NUMBER, width=11) for i in PACKAGE_ITEMS)))
DISCOUNTS_TABLE = TableDef("DiscountTiers_NENSI", TARIFFS, 0, 0, (
    Col("Service", CODE, DISCOUNTED, 16), Col("Min quantity", NUMBER, width=13),
    Col("Percent", NUMBER, width=10)))

# --- usage sheets ------------------------------------------------------------------------------
HEADER_ROW = 5  # 0-based row of the first Table's header on the usage sheets

MSIGN_USAGE = TableDef("Usage_mSign", MSIGN, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=30), Col("Month", MONTH, width=10),
    Col("Package", CODE, PACKAGES, 12), Col("Item", CODE, ITEMS, 13),
    Col("Used", NUMBER, width=9), Col("Included", NUMBER, width=9,
                                       comment="from the customer's contract (package)"),
    Col("Unit price", PRICE, width=10, comment="optional: replaces the price list"),
    Col("Note", width=24)))
# Issue 10 added optional input columns at the end of Tables (after Note), as optional
# arguments come last: rows written for the older columns keep their meaning, and `tarifa
# bill` reads a workbook without them as if they were empty (usage.optional_column).

# MS-10: package-change requests and the day each takes effect (MSIGN_SWITCH_DATE)
MSIGN_SWITCHES = TableDef("PackageChanges_mSign", MSIGN_TOOLS, 0, 10, (
    Col("Customer", TEXT, width=30), Col("Request date", DATE, width=12),
    Col("From package", CODE, PACKAGES, 12), Col("To package", CODE, PACKAGES, 12),
    Col("Note", width=24)))
# MS-3/MS-4: Rekono transactions of a signing, to enter as Used (MSIGN_REKONO_TX)
MSIGN_REKONO = TableDef("Rekono_mSign", MSIGN_TOOLS, 0, 0, (
    Col("Customer", TEXT, width=30), Col("Month", MONTH, width=10),
    Col("Item", CODE, ("rekono_qes", "rekono_aes"), 13), Col("Documents", NUMBER, width=10),
    Col("Signers", NUMBER, width=9, comment="empty = 1"), Col("Note", width=24)))

ESIGN_LICENCES = TableDef("Licences_eSign", ESIGN, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=26), Col("Subscription", TEXT, width=12),
    Col("Plan", CODE, PLANS, 12), Col("Main plan users", NUMBER, width=10),
    Col("Licences", NUMBER, width=9), Col("Purchase date", DATE, width=12),
    Col("Period start", DATE, width=12), Col("Period end", DATE, width=12),
    Col("Monthly price", PRICE, width=10,
        comment="optional; needed for a subscription started before 2024-03-28 (ES-1)"),
    Col("Note", width=24),
    Col("Subscription started", DATE, width=12,
        comment="the day the eSign subscription was bought or its trial started: it decides "
                "the plan (ES-1); empty = the purchase date stands in")))

ESIGN_LEDGER = TableDef("Ledger_eSign", LEDGER_SHEET, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=26), Col("Subscription", TEXT, width=12),
    Col("Date", DATE, width=12), Col("Event", CODE, EVENTS, 12),
    Col("Kind", CODE, KINDS, 10), Col("Quantity", NUMBER, width=9),
    Col("Licences", NUMBER, width=9), Col("Unit price", PRICE, width=10),
    Col("Note", width=24),
    Col("Period start", DATE, width=12,
        comment="first day of the service period the row falls in; a licences row that "
                "lowers the count must be dated on it, the renewal date (ES-13)")))

# ES-13: licence-reduction requests and the day each takes effect (ESIGN_REDUCTION_DATE)
ESIGN_REDUCTIONS = TableDef("Reductions_eSign", ESIGN_REDUCTIONS_SHEET, 0, 0, (
    Col("Customer", TEXT, width=26), Col("Subscription", TEXT, width=12),
    Col("Request date", DATE, width=12), Col("Period end", DATE, width=12),
    Col("Licences after", NUMBER, width=9), Col("Note", width=24)))

NENSI_PRODUCTS = TableDef("Products_NENSI", NENSI, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=26), Col("Product", TEXT, width=20),
    Col("Status", CODE, STATUSES, 11), Col("Entry date", DATE, width=12),
    Col("Activation date", DATE, width=12, comment="record-only products: date activated"),
    Col("Products", NUMBER, width=9), Col("Note", width=24),
    Col("Deactivation date", DATE, width=12,
        comment="optional: maintained through this month, then not (NE-10)"),
    Col("Reactivation date", DATE, width=12,
        comment="optional: activation fee 22.2790 per product this month; maintained again "
                "from the month after (NE-10)")))

NENSI_SERVICES = TableDef("Services_NENSI", SERVICES_SHEET, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=26), Col("Service", CODE, SERVICES, 12),
    Col("Start date", DATE, width=12), Col("Units", NUMBER, width=9),
    Col("End date", DATE, width=12,
        comment="optional: the last day of use; renewed in full each January until then (NE-6)"),
    Col("Note", width=24)))

NENSI_CHARGES = TableDef("Charges_NENSI", CHARGES_SHEET, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=26), Col("Date", DATE, width=12),
    Col("Code", CODE, CHARGES, 15), Col("Quantity", NUMBER, width=9),
    Col("Own products", FLAG, FLAGS, 10, "TRUE: the holder's own products (NE-11, NE-7)"),
    Col("Note", width=24)))

NENSI_DISCOUNTS = TableDef("Discounts_NENSI", DISCOUNTS_SHEET, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=26), Col("Service", CODE, DISCOUNTED, 15),
    Col("Note", width=24)))
# NE-12 scope (RULES.md decision): a discount row's month quantity and amount are what the
# customer is billed for that service in the month -- one-off charges, maintenance (products
# maintained), activations and reactivations, annual fees and January renewals (units). A
# customer's second row for the same code has this text as its month quantity, so that its
# discount is an error with a reason (it would discount the month twice), never a silent 0.
DISCOUNT_TWICE = "listed twice (NE-12)"

# --- Quote, Bill, Estimate ---------------------------------------------------------------------
QUOTE_LINES = TableDef("Quote_Lines", QUOTE, 11, 0, (
    Col("Code", CODE, width=22), Col("Quantity", NUMBER, width=10), Col("Note", width=30)))

CUSTOMERS = TableDef("Bill_Customers", BILL, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=30), Col("Note", width=16)))

ESTIMATE_ITEMS = TableDef("Estimate_Items", ESTIMATE, 8, 0, (
    Col("Item", CODE, ITEMS, 13), Col("Per month", NUMBER, width=11),
    Col("Included", NUMBER, width=10,
        comment="from your contract; empty = the package's (Tariffs: Packages_mSign)"),
    Col("Unit price", PRICE, width=10, comment="optional: replaces the price list")))
ESTIMATE_CURVE = TableDef("Estimate_Curve", ESTIMATE, 8, 0, (
    Col("Transactions per month", NUMBER, width=14), Col("Monthly cost", EUR, width=12)))

# --- invoicing: who bills whom (issue 9; read by workbook.invoice.parties) --------------------
LANGUAGES = ("sl", "de", "en")
PARTIES = TableDef("Customers", PARTIES_SHEET, HEADER_ROW, 0, (
    Col("Customer", TEXT, width=30, comment="as on the usage sheets (matched case-insensitively)"),
    Col("Street", TEXT, width=28), Col("Post code", TEXT, width=10), Col("City", TEXT, width=16),
    Col("Country", CODE, width=9, comment="ISO 3166 code: SI, DE, AT, ..."),
    Col("VAT ID", TEXT, width=15, comment="optional, with its country prefix: SI12345678"),
    Col("E-mail", TEXT, width=26, comment="optional: where invoices go (EN 16931 BT-49)"),
    Col("Language", CODE, LANGUAGES, 10, "of the invoice and quote: sl, de or en"),
    Col("Buyer reference", TEXT, width=16,
        comment="optional: the customer's reference for its invoices (EN 16931 BT-10)"),
    Col("Note", width=30)))
SELLER = TableDef("Seller", SELLER_SHEET, HEADER_ROW, 0, (
    Col("Field", TEXT, width=26), Col("Value", TEXT, width=40), Col("Note", width=70)))

# Usage tables `tarifa bill` reads, in reading order.
USAGE_TABLES = (MSIGN_USAGE, ESIGN_LICENCES, ESIGN_LEDGER, NENSI_PRODUCTS, NENSI_SERVICES,
                NENSI_CHARGES, NENSI_DISCOUNTS, CUSTOMERS)

# Named single cells (defined names) and where they are.
NAMES = {
    "BillMonth": (BILL, 2, 1), "BillEnd": (BILL, 3, 1),
    "QuoteCustomer": (QUOTE, 2, 1), "QuoteAddress": (QUOTE, 3, 1), "QuoteNumber": (QUOTE, 4, 1),
    "QuoteDate": (QUOTE, 5, 1), "QuoteValidUntil": (QUOTE, 6, 1), "QuoteList": (QUOTE, 7, 1),
    "QuoteVAT": (QUOTE, 8, 1),
    "EstimatePackage": (ESTIMATE, 2, 1), "EstimateFee": (ESTIMATE, 3, 1),
    "EstimateFeeUsed": (ESTIMATE, 4, 1),
}


# What a usage row's "Billed in" column shows when its billing date is not a date cell (empty,
# unreadable, or a date typed as text, which SUMIFS cannot match): the Bill sheet gives that
# customer error totals, as `tarifa bill` holds the customer back.
UNDATED = "not a date"
# Each usage Table billed by a date: the column that decides its month.
BILLING_DATE = {"Usage_mSign": "Month", "Licences_eSign": "Purchase date",
                "Ledger_eSign": "Date", "Services_NENSI": "Start date", "Charges_NENSI": "Date"}


def is_date_cell(ref: str) -> str:
    """Element-wise 1/0: ``ref`` holds an Excel date (a number 1 .. 9999-12-31, not TRUE/FALSE,
    which LibreOffice holds as numbers); never an error, whatever the cell holds."""
    return f"ISNUMBER({ref})*NOT(ISLOGICAL({ref}))"


def date_in_range(ref: str) -> str:
    """Element-wise 1/0 for a number ``ref``: a day Excel can show (serial 1 .. 2958465)."""
    return f"({ref}>=1)*({ref}<{2958465 + 1})"


BILL_START = "(EOMONTH(BillMonth,-1)+1)"  # the 1st of the Bill sheet's month, any day given


def in_bill_month(column: str) -> str:
    """SUMIFS criteria: ``column`` holds a day of the Bill sheet's month. The month runs from
    its 1st (whatever day BillMonth holds) up to, not including, the next month's 1st, so a
    date with a time of day on the last day is in it (``tarifa bill`` ignores times too)."""
    return (f'{column},">="&{BILL_START},'
            f'{column},"<"&(BillEnd+1)')


def a1(row: int, col: int, absolute: bool = True) -> str:
    """A1 address of a 0-based cell."""
    letters = ""
    c = col + 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"${letters}${row + 1}" if absolute else f"{letters}{row + 1}"
