"""Sample rows of the template: fictional customers, labelled as samples, so that every sheet
shows real results on first open. A few rows (customer "Sample - bad input d.o.o.") show what
bad input gives: an Excel error in the result and the reason in the Check column.

None of these numbers are vendor data: the prices come from the price lists, and the
"Included" quantities are what a fictional customer's contract might say (the real mSign
package quantities are not public and stay empty on the Tariffs sheet).
"""

from __future__ import annotations

import datetime as dt

D = dt.date
BAD = "Sample - bad input d.o.o."
MONTH = D(2025, 5, 1)  # the sample billing month

ALPINA, BOROVNICA = "Alpina d.o.o. (sample)", "Borovnica s.p. (sample)"
CEDRA, FARMALAB, SONCEK = "Cedra GmbH (sample)", "Farmalab d.o.o. (sample)", \
    "Lekarna Soncek (sample)"

# Customer, Month, Package, Item, Used, Included, Unit price, Note
MSIGN_USAGE = [
    [ALPINA, MONTH, "SMART", "transaction", 1250, 1000, None, "sample: 250 over x 0.27 (MS-1)"],
    [ALPINA, MONTH, "SMART", "onesign", 40, 0, None, "sample: 40 x 0.69 (MS-2)"],
    [ALPINA, MONTH, "SMART", "user", 7, 5, None, "sample: 2 users x 6.00 (MS-5)"],
    [ALPINA, MONTH, "SMART", "storage_gb", 12.4, 10, None,
     "sample: 2.4 GB over -> 3 started GB x 3.30 (MS-7)"],
    [ALPINA, D(2025, 4, 1), "SMART", "transaction", 900, 1000, None,
     "sample: April, not in the May bill"],
    [BOROVNICA, MONTH, "START", "transaction", 80, 100, None, "sample: within the package"],
    [BOROVNICA, MONTH, "START", "rekono_qes", 12, 0, None, "sample: 12 x 1.18 (MS-3)"],
    [BOROVNICA, MONTH, "START", "api", 1, 0, None, "sample: API rent 100.00 (MS-6)"],
    [BAD, MONTH, "START", "storage_gb", 3, 0, None,
     "bad-input sample: storage needs SMART/ENTERPRISE (MS-7)"],
    [BAD, MONTH, "START", "sms", 25, 0, None,
     "bad-input sample: no SMS price entered (MS-8)"],
    [BAD, MONTH, "START", "transaction", -5, 0, None, "bad-input sample: negative quantity"],
]

# Customer, Month, Item, Documents, Signers, Note (the Rekono helper, MS-3/MS-4)
MSIGN_REKONO = [
    [BOROVNICA, MONTH, "rekono_qes", 11, 1, "sample: 11 documents, 1 signer -> 3 (MS-3)"],
    [BOROVNICA, MONTH, "rekono_qes", 20, 2, "sample: 20 documents, 2 signers -> 8"],
    [BOROVNICA, MONTH, "rekono_qes", 4, None, "sample: 4 documents, signers empty = 1 -> 1"],
]
# Customer, Request date, From package, To package, Note (MS-10)
MSIGN_SWITCHES = [
    [ALPINA, D(2025, 5, 20), "SMART", "ENTERPRISE",
     "sample: requested 20 May -> ENTERPRISE from 1 June (MS-10)"],
]
INVOICE_DATE = D(2025, 6, 5)  # MS-9: an invoice dated 5 June bills May

# Customer, Subscription, Plan, Main-plan users, Licences, Purchase date, Period start,
# Period end, Monthly price, Note, Subscription started
ESIGN_LICENCES = [
    [CEDRA, "CED-1", "business", 20, 10, MONTH, D(2025, 5, 1), D(2025, 5, 31), None,
     "sample: monthly plan, bought on day 1 -> 10 x 5.00 (ES-4)", MONTH],
    [CEDRA, "CED-2", "business", 20, 3, D(2025, 5, 16), D(2025, 1, 1), D(2025, 12, 31), None,
     "sample: annual plan, 3 bought mid-period, 230 of 365 days (ES-15); no subscription "
     "start: the purchase date stands in (ES-1)"],
    [BAD, "BAD-1", "business", 20, 25, MONTH, D(2025, 5, 1), D(2025, 5, 31), None,
     "bad-input sample: 25 licences > 20 users (ES-5)"],
    [BAD, "BAD-2", "personal", 5, 1, MONTH, D(2025, 5, 1), D(2025, 5, 31), None,
     "bad-input sample: plan not allowed (ES-3)"],
]

# Customer, Subscription, Request date, Period end, Licences after, Note (ES-13)
ESIGN_REDUCTIONS = [
    [CEDRA, "CED-2", D(2025, 5, 12), D(2025, 12, 31), 1,
     "sample: 3 -> 1 requested in May: from the renewal, 2026-01-01 (ES-13)"],
]

# Customer, Subscription, Date, Event, Kind, Quantity, Licences, Unit price, Note,
# Period start
ESIGN_LEDGER = [
    [CEDRA, "CED-1", D(2025, 5, 1), "subscribe", None, None, 10, None,
     "sample: new plan: 10 + 6 free (ES-11)"],
    [CEDRA, "CED-1", D(2025, 5, 5), "buy", "electronic", 50, None, None,
     "sample: 50 x 0.30 (ES-7)"],
    [CEDRA, "CED-1", D(2025, 5, 6), "use", "electronic", 12, None, None,
     "sample: 10 free first, then 2 bought"],
    [CEDRA, "CED-1", D(2025, 5, 7), "buy", "qualified", 4, None, None,
     "sample: 4 x 2.50 (ES-7)"],
    [BAD, "BAD-1", D(2025, 5, 8), "subscribe", None, None, 2, None, "bad-input sample: set-up"],
    [BAD, "BAD-1", D(2025, 5, 9), "use", "qualified", 20, None, None,
     "bad-input sample: 20 > 6 free, none bought (ES-8)"],
]

# Customer, Product, Status, Entry date, Activation date, Products, Note, Deactivation date,
# Reactivation date
NENSI_PRODUCTS = [
    [FARMALAB, "Product group A", "active", D(2025, 3, 12), None, 40,
     "sample: 40 x 1.1140 (NE-10)"],
    [FARMALAB, "Product B", "active", D(2025, 5, 3), None, 1,
     "sample: entered in May, first charged in June (NE-10)"],
    [FARMALAB, "Products C", "record only", D(2024, 11, 2), D(2025, 4, 20), 2,
     "sample: activated in April -> 2 x 1.1140 (NE-10)"],
    [FARMALAB, "Product D", "record only", D(2024, 11, 2), None, 1,
     "sample: record only, not activated: no maintenance"],
    [BAD, "Product X", "active", "3.5.2025", None, 1,
     "bad-input sample: date typed as text (use a date)"],
]

# Customer, Service, Start date, Units, End date, Note
NENSI_SERVICES = [
    [FARMALAB, "forms", D(2025, 5, 10), 2, None, "sample: 2 x 60 x 8/12 (NE-1, NE-6)"],
    [SONCEK, "pharmacy", D(2025, 5, 2), 1, None, "sample: 240 x 8/12 (NE-5, NE-6)"],
    [SONCEK, "view", D(2025, 1, 15), 1, D(2026, 12, 31),
     "sample: January, full year; not in the May bill; renewed in January 2026, not 2027"],
    [BAD, "webforms", MONTH, 1, None, "bad-input sample: unknown service"],
]

# Customer, Date, Code, Quantity, Own products, Note
NENSI_CHARGES = [
    [FARMALAB, D(2025, 5, 3), "entry", 1, False, "sample: 22.2790 -> 22.28 (NE-8)"],
    [FARMALAB, D(2025, 5, 20), "export_detail", 30, True,
     "sample: own products, no charge (NE-11)"],
    [FARMALAB, D(2025, 5, 22), "activation", 2, False, "sample: 2 x 22.2790 (NE-10)"],
    [SONCEK, D(2025, 5, 20), "export_detail", 30, False, "sample: 30 x 2.2280 (NE-11)"],
    [SONCEK, D(2025, 5, 21), "export_codebook", 5, False,
     "sample: 5 x 0.5570 = 2.785 -> 2.79 half-up (NE-11)"],
    [BAD, D(2025, 5, 21), "entry", 2.5, False, "bad-input sample: 2.5 entries"],
]

# Customer, Service, Note (the month's quantity and amount come from Charges_NENSI)
NENSI_DISCOUNTS = [
    [SONCEK, "export_detail", "sample: no tiers entered -> no discount (NE-12)"],
]

# Code, Quantity, Note -- a NENSI quote
QUOTE = {"customer": "Zdravje d.d. (sample)", "address": "Sample street 1, 1000 Ljubljana",
         "number": "Q-2025-001 (sample)", "list": "NENSI", "date": D(2025, 6, 1),
         "valid_until": D(2025, 6, 30), "vat": 22}
QUOTE_LINES = [
    ["entry", 25, "25 new products (NE-8)"],
    ["maintenance", 300, "25 products x 12 months (NE-10)"],
    ["forms", 2, "2 users, full year (NE-1)"],
    ["export_detail", 100, "100 products (NE-11)"],
    ["export_codebook", 5, "2.785 -> 2.79 (NE-11)"],
]

# Customer, Note
CUSTOMERS = [
    [ALPINA, "sample"], [BOROVNICA, "sample"], [CEDRA, "sample"], [FARMALAB, "sample"],
    [SONCEK, "sample"], [BAD, "bad-input sample: totals are errors until fixed"],
]

# Estimate: package, fee, Item, Per month, Included, Unit price
ESTIMATE = {"package": "SMART", "fee": None}
ESTIMATE_ITEMS = [
    ["transaction", 1500, 1000, None], ["onesign", 20, 0, None], ["user", 6, 5, None],
    ["storage_gb", 5, 10, None],
]
ESTIMATE_CURVE = [[v] for v in range(0, 5001, 500)]

# Who bills whom (invoices, quotes): all names, addresses and numbers are FICTIONAL.
# Customer, Street, Post code, City, Country, VAT ID, E-mail, Language, Buyer reference, Note
PARTIES = [
    [ALPINA, "Alpska cesta 1", "4000", "Kranj", "SI", "SI10000001", "racuni@alpina.example",
     "sl", "PO-2025-117", "sample, fictional"],
    [BOROVNICA, "Borovniška 2", "1353", "Borovnica", "SI", "", "info@borovnica.example", "sl",
     "", "sample, fictional"],
    [CEDRA, "Zedernweg 3", "80331", "München", "DE", "DE100000003",
     "buchhaltung@cedra.example", "de", "", "sample, fictional"],
    [FARMALAB, "Laboratorijska 4", "1000", "Ljubljana", "SI", "SI10000004",
     "ap@farmalab.example", "en", "", "sample, fictional"],
    [SONCEK, "Sončna ulica 5", "2000", "Maribor", "SI", "", "lekarna@soncek.example", "sl", "",
     "sample, fictional"],
    [BAD, "Napačna 6", "3000", "Celje", "SI", "", "", "sl", "", "bad-input sample"],
    ["Zdravje d.d. (sample)", "Zdravstvena pot 7", "1000", "Ljubljana", "SI", "SI10000007",
     "nabava@zdravje.example", "sl", "", "the Quote sheet's customer; fictional"],
]
# Field, Value: the seller (fictional)
SELLER = [
    ["Name", "Tarifa Demo d.o.o. (sample, fictional)"], ["Street", "Primerna ulica 1"],
    ["Post code", "1000"], ["City", "Ljubljana"], ["Country", "SI"], ["VAT ID", "SI10000000"],
    ["E-mail", "racuni@tarifa-demo.example"], ["IBAN", "SI56191000000123438"], ["BIC", None],
    ["Payment terms (days)", 30], ["Invoice number pattern", "{year}-{seq:04d}"],
    ["Quote validity (days)", 30],
]

TABLES = {
    "Usage_mSign": MSIGN_USAGE, "Licences_eSign": ESIGN_LICENCES,
    "Ledger_eSign": ESIGN_LEDGER, "Products_NENSI": NENSI_PRODUCTS,
    "Services_NENSI": NENSI_SERVICES, "Charges_NENSI": NENSI_CHARGES,
    "Discounts_NENSI": NENSI_DISCOUNTS, "Quote_Lines": QUOTE_LINES,
    "Bill_Customers": CUSTOMERS, "Estimate_Items": ESTIMATE_ITEMS,
    "Rekono_mSign": MSIGN_REKONO, "PackageChanges_mSign": MSIGN_SWITCHES,
    "Reductions_eSign": ESIGN_REDUCTIONS,
    "Estimate_Curve": ESTIMATE_CURVE, "Customers": PARTIES, "Seller": SELLER,
}
