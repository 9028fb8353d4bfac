"""The words of the template: the Start sheet's text and the decisions we took (RULES.md)."""

from __future__ import annotations

from pricing.catalog import Catalog

PURPOSE = [
    "Tarifa prices usage under three price lists - mSign (e-signatures), Tresorit eSign "
    "(licences and signatures) and NENSI (the Slovenian medicinal-product database) - cent for "
    "cent, with Tarifa's worksheet functions (=MSIGN_OVERAGE(...), =ESIGN_LICENCES(...), "
    "=NENSI_MAINT(...) ...).",
    "Sales: sheet Quote. Finance: sheets mSign, eSign, NENSI (usage) and Bill (the month's "
    "bills). Customers: sheet Estimate.",
    "Yellow cells are inputs (Excel Tables: add rows at the bottom). Blue cells are results: "
    "one formula per column, spilled beside the Table - do not type into them.",
    "Each usage Table has a sheet of its own and grows downwards (Tab in its last cell, typing "
    "or pasting below it, Insert > Table Rows): its results, the Bill, Quote and Estimate "
    "follow. In LibreOffice type below the Table (or Insert Cells > Shift cells down inside "
    "it) and recalculate with `tarifa recalc`, which fits the results to the Tables.",
    "A bad input gives an Excel error (#VALUE!, #NUM!, #N/A) in its row only; the Check "
    "column beside it says why. An error is never shown as 0.",
    "Rows whose customer is 'Sample - bad input d.o.o.' show such errors on purpose. All "
    "customers marked (sample) are fictional: replace the sample rows with your own.",
    "Prices exclude VAT; amounts are rounded half-up to the cent once per line; VAT is "
    "computed per rate on the rate's net total (sheet Bill).",
]

RUNTIMES = [
    ("Desktop Excel on Windows", "Tarifa.xlsx with the xlwings add-in (python install.py / "
     "tarifa desktop set it up; free, BSD)"),
    ("Any Excel incl. web and Mac", "Tarifa-Lite.xlsx with the free xlwings Lite add-in and "
     "the bundle from `tarifa lite`"),
    ("Many users, one server", "Tarifa-Server.xlsx with xlwings Server: `tarifa serve` "
     "(commercial or non-commercial licence)"),
    ("No Excel (Linux)", "`tarifa bill Tarifa.xlsx --month YYYY-MM -o bills.xlsx` prices the "
     "same tables with the same functions; `tarifa recalc` recalculates in LibreOffice"),
    ("If Excel shows #NAME?", "once the add-in has loaded: Find & Replace '=' with '=' over "
     "the workbook makes Excel re-read every formula"),
]

# Our decisions where the price lists are silent (RULES.md), in plain words.
DECISIONS = [
    ("MS-3/MS-4", "Rekono transactions for a signing = signers x ceil(documents / 5)."),
    ("MS-7", "Storage beyond the package is billed per started GB (2.4 GB over -> 3 GB); "
     "storage on MINI or START is an error, not 0."),
    ("MS-8", "The SMS price is not in mSign's price list: enter it on the Tariffs sheet (row "
     "sms) or per row as Unit price. Without it an SMS charge is an error (#N/A), never 0."),
    ("MS-*", "mSign package fees and included quantities are contract data, not public: "
     "enter them yourself (Tariffs: Packages_mSign; usage rows: Included)."),
    ("MS-9", "Each usage row prices one month's quantities beyond the package; the Bill "
     "sheet bills the rows of its month."),
    ("Prices in force", "Every charge is priced with the tariff rows valid on the date of what "
     "it charges: mSign by the usage row's Month (its 1st day), eSign by the purchase date, "
     "NENSI by the date of the service (maintenance: the Bill month). A price row added with "
     "a later Valid from leaves every earlier month's bill unchanged."),
    ("MS-10", "A package change takes effect on the 1st of the month after the request (sheet "
     "mSign Requests); give the usage rows from then the new package."),
    ("ES-15", "Licences bought mid-period are prorated by days: licences x monthly price x "
     "months in the period x days from purchase to period end (both counted) / days in the "
     "period. A purchase date outside the period is an error."),
    ("ES-7/ES-10/ES-11", "Signatures are used from the free quota (10 electronic + 6 "
     "qualified per subscription) first, then bought ones; a request beyond the quota is "
     "refused, not charged."),
    ("ES-1", "The plan follows the date the eSign subscription was bought or its trial "
     "started (column Subscription started), not each purchase's date: a subscription "
     "started before 28 March 2024 is legacy for all its licences and signatures, whose "
     "prices are not public: give them per row (Monthly price / Unit price), else an error. "
     "Subscription started empty: the purchase date stands in, and the Check says so."),
    ("ES-13", "Licences are reduced only at the end of the service period: a request takes "
     "effect on the renewal date (sheet eSign Reductions); the ledger refuses a lower licence "
     "count on any other day than its Period start."),
    ("ES-10/ES-11", "One free grant (10 electronic + 6 qualified) per subscription, whether it "
     "began as a trial or a purchase; it does not renew."),
    ("VAT eSign", "(our decision) The eSign document says nothing about VAT: its prices are "
     "taken as net and VAT is the rate set for the price list (VAT_Rates)."),
    ("NE-6", "Annual NENSI fees are prorated by whole months, the start month counted in full: "
     "fee x (13 - start month) / 12; renewals are billed in full each January."),
    ("NE-10", "A record-only product is charged maintenance from the month after its "
     "activation; before activation nothing. A product is maintained up to and including "
     "the month of its Deactivation date; a Reactivation date costs the activation fee "
     "(22.2790 per product) in its month, and maintenance resumes the month after."),
    ("NE-7/NE-11", "The holder exemption (Own products TRUE) covers data about the holder's "
     "own products; codebook items (export_codebook, 0.5570) are always charged."),
    ("NE-12", "Discount tiers are a table you fill in (Tariffs: DiscountTiers_NENSI); with "
     "no tiers there is no discount. They apply to every NENSI service billed in the month: "
     "one-off charges, maintenance (products maintained), activations and reactivations, "
     "annual fees and January renewals (units); a tier for a service with no quantity that "
     "month gives no discount, not an error."),
    ("NENSI", "The NENSI list is marked 'Arhiv 31.12.2022': it was archived and no newer list "
     "is known, so it applies open-ended; a newer list would be added as a new version with "
     "its valid-from date."),
    ("Tarifa", "(our decision) Bills: a usage row is billed in the month of its Month / "
     "purchase / start / event date (its Billed in column); NENSI maintenance for the Bill "
     "sheet's month; annual NENSI services again in full each January until their End date. "
     "A row whose date is not a date cell (empty, or typed as text) cannot be billed: its "
     "customer's totals are errors until it is fixed."),
    ("Tarifa", "(our decision) eSign licences are billed once per Licences row, in its "
     "purchase month, for its period (ES-15): enter a row for each new service period."),
    ("Tarifa", "(our decision) VAT rate per price list, default 22 % (SI) for all three; "
     "change it in VAT_Rates (SI reduced 9.5 %, DE 19 % are other rates)."),
    ("Tarifa", "(our decision) Legacy eSign prices: the eSign functions get the 2024 price "
     "table; a legacy price is given per row (ES-1)."),
    ("Invoices", "(our decision) tarifa invoice bills the same amounts as tarifa bill, each line "
     "as quantity x net price = amount (EN 16931): a prorated line (ES-15, NE-6) shows the "
     "prorated unit price (4 decimals) and its proration in the line note; a product holder's "
     "free exports (NE-11) are the listed charge less a 100 % allowance; maintenance not yet "
     "due (NE-10) is quantity 0. Only standard-rated VAT (category S): a 0 % rate needs its "
     "category (reverse charge, exempt) and is not invoiced. Customers and Seller sheets hold "
     "the parties; invoice numbers follow the Seller's pattern and are kept in "
     "<workbook>.invoice-numbers.json beside the workbook (never repeated)."),
]


def versions(catalog: Catalog) -> list[tuple[str, str, str, str]]:
    """(price list, version id, valid from, valid to) for the Start sheet."""
    rows = []
    for fam in catalog.families():
        for pl in catalog.versions(fam):
            rows.append((pl.name, pl.id, str(pl.valid_from or "(open)"),
                         str(pl.valid_to or "(open)")))
    return rows
