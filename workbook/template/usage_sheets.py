"""The usage sheets, one Table per sheet (mSign; eSign, eSign Ledger; NENSI, NENSI Services,
NENSI Charges, NENSI Discounts): the input Table, and beside it its results, each column ONE
spilling formula over whole Table columns, plus a Check column (the function's _CHECK
companion: "OK" or why the row is an error). Nothing is below a Table: it grows freely, and
its results (spills) follow it."""

from __future__ import annotations

from workbook import layout as L


def _args(table: L.TableDef, *headers: str) -> str:
    return ",".join(table.ref(h) for h in headers)


def _title(book, ws, title: str, lines: list[str]) -> None:
    ws.write(0, 0, title, book.st.title)
    for i, line in enumerate(lines):
        ws.write(1 + i, 0, line, book.st.note)


def _sheet(book, ws, t: L.TableDef, title: str, lines: list[str], subtitle: str = ""):
    """A usage sheet: title and notes above, the Table at HEADER_ROW, its header row and
    Customer column frozen on screen."""
    _title(book, ws, title, lines)
    if subtitle:
        ws.write(t.row - 1, 0, subtitle, book.st.subtitle)
    ws.freeze_panes(t.row + 1, 1)
    return book.add_table(ws, t, t.row, book.tables[t.name])


def _priced(book, ws, placed, fn: str, args: str, kind: str = L.EUR,
            headers: tuple[str, ...] = ("Charge",), width: float = 12) -> None:
    """Result columns ``fn(args)`` and the check ``fn_CHECK(args)`` beside a Table (and,
    for a Table billed by a date, the month its rows are billed in)."""
    book.spill(ws, placed, 0, headers, f"={book.fn(fn)}({args})", kind, width)
    book.spill(ws, placed, len(headers), ("Check",), f"={book.fn(fn + '_CHECK')}({args})",
               L.TEXT)
    _billed_in(book, ws, placed, len(headers) + 1)


def _billed_in(book, ws, placed, offset: int) -> None:
    """"Billed in": the month a row is billed in, from its billing date; "not a date" where
    that is no date cell (the Bill sheet then gives the customer error totals); empty for a
    blank row (its Check is empty)."""
    t = placed.table
    if t.name not in L.BILLING_DATE:
        return
    day = t.ref(L.BILLING_DATE[t.name])
    check = book.sref(f"{t.name}.Check", ws.name)
    # a number that is no Excel day (0, negative, beyond 9999, serial 60: the phantom
    # 29 Feb 1900), TRUE/FALSE and errors are "not a date", as for tarifa bill
    book.spill(ws, placed, offset, ("Billed in",),
               f'=IF({check}="","",IF({L.is_date_cell(day)},'
               f"IF({L.date_in_range(day)}*(INT({day})<>60),INT({day})-DAY({day})+1,"
               f'"{L.UNDATED}"),"{L.UNDATED}"))', L.MONTH, 10)


GROW = "Add rows at the bottom of the Table (typing below it, Tab in its last cell, or " \
    "Insert > Table Rows): the results beside it follow."


def write_msign(book, ws) -> None:
    t = L.MSIGN_USAGE
    placed = _sheet(book, ws, t, "mSign - use beyond the package, one row per customer, month "
                    "and item",
                    ["Charge = max(0, Used - Included) x unit price (MS-1..MS-8); storage per "
                     "started GB, only SMART/ENTERPRISE (MS-7); SMS needs a price (MS-8).",
                     "Included: the customer's contract quantity. Unit price: optional, "
                     "replaces the price list. The Bill sheet bills the rows of its month "
                     "(MS-9).", GROW])
    # the Month last: priced with the tariff rows in force on its first day, so a later price
    # change leaves a past month's charges unchanged ("prices in force on the usage date")
    args = _args(t, "Item", "Used", "Included", "Package", "Unit price") + "," + \
        L.tariff_arg("msign") + "," + t.ref("Month")
    # one call per column; the customer's total per month is on the Bill sheet (a SUMIFS per
    # row over the whole table here would cost rows x rows comparisons: 16 s for 10k rows)
    _priced(book, ws, placed, "MSIGN_OVERAGE", args)


def write_esign(book, ws) -> None:
    t = L.ESIGN_LICENCES
    placed = _sheet(book, ws, t, "eSign - licences (prorated)",
                    ["Licence charge = licences x monthly price x months in the period x days "
                     "from purchase to period end / days in the period (ES-15); licences <= "
                     "main-plan users (ES-5); plans professional/business/enterprise (ES-3).",
                     "Billed in the month of the purchase date; the signature quota is on "
                     "the sheet eSign Ledger.", GROW])
    # ES-1 (revised): the plan by the subscription's start, its last argument
    args = _args(t, "Licences", "Main plan users", "Plan", "Purchase date", "Period start",
                 "Period end", "Monthly price") + "," + L.tariff_arg("esign") + "," + \
        t.ref("Subscription started")
    _priced(book, ws, placed, "ESIGN_LICENCES", args)


def write_ledger(book, ws) -> None:
    lt = L.ESIGN_LEDGER
    placed = _sheet(book, ws, lt, "eSign Ledger - the signature quota",
                    ["Free 10 electronic + 6 qualified per subscription, used first; buying "
                     "costs 0.30 / 2.50 per signature (ES-7..ES-11). Billed in the month of "
                     "the event date.",
                     "Rows in any order; per subscription by date.", GROW])
    # ES-13: a licence count that goes down only on its row's Period start (the renewal)
    args = _args(lt, "Subscription", "Date", "Event", "Kind", "Quantity", "Licences",
                 "Unit price") + "," + L.tariff_arg("esign") + "," + lt.ref("Period start")
    headers = ("Free electronic left", "Free qualified left", "Bought electronic left",
               "Bought qualified left", "Licences held", "Cost")
    book.spill(ws, placed, 0, headers, f"={book.fn('ESIGN_LEDGER')}({args})", "count", 11)
    # the cost column (last of the spill) is money: re-format its (cached 0) cells and the
    # rows the Table grows into
    cost_col = book.result_col(lt) + 5
    for r in range(placed.first, placed.last + 1):
        ws.write_number(r, cost_col, 0, book.st.result(L.EUR))
    book.width(ws, cost_col, 11, book.st.column(L.EUR))
    book.spill(ws, placed, len(headers), ("Check",),
               f"={book.fn('ESIGN_LEDGER_CHECK')}({args})", L.TEXT)
    _billed_in(book, ws, placed, len(headers) + 1)


def write_nensi(book, ws) -> None:
    t = L.NENSI_PRODUCTS
    placed = _sheet(book, ws, t, "NENSI - products: maintenance for the Bill sheet's month",
                    ["Maintenance: products x 1.1140 from the month after entry (NE-10); "
                     "record-only products from the month after activation; through the month "
                     "of a Deactivation date, again from the month after a Reactivation date "
                     "(which costs 22.2790 per product in its month).",
                     "Annual fees, one-off charges and discounts: sheets NENSI Services, "
                     "NENSI Charges, NENSI Discounts.", GROW])
    ws.write_formula(t.row - 1, 3, '="Month: "&TEXT(BillMonth,"yyyy-mm")', book.st.label)
    p = {h: t.ref(h) for h in t.headers}
    cycle = f"{p['Deactivation date']},{p['Reactivation date']}"  # NE-10 life cycle
    maint = f"{book.fn('NENSI_MAINT')}({p['Entry date']},BillMonth,{p['Products']}," \
            f"{L.tariff_arg('nensi')},{cycle})"
    record = f"{book.fn('NENSI_MAINT_RECORD')}({p['Entry date']},{p['Activation date']}," \
             f"BillMonth,{p['Products']},{L.tariff_arg('nensi')},{cycle})"
    # NE-10 decision: a record-only product without activation has no maintenance (0 is the
    # right amount there, not a hidden error); Status empty means active; any other status is
    # #VALUE! (a typo must not bill a record-only product from its entry).
    # A record-only product not yet activated still has its entry date and products checked
    # (by NENSI_MAINT's check): a typo there shows now, not once it is activated.
    status, act = p["Status"], p["Activation date"]
    active = f'(({status}="active")+({status}=""))>0'
    maint_check = maint.replace("(", "_CHECK(", 1)
    book.spill(ws, placed, 0, ("Maintenance",),
               f'=IF({status}="record only",IF({act}="",IF({maint_check}="OK",0,{maint}),'
               f"{record}),IF({active},{maint},#VALUE!))", L.EUR)
    book.spill(ws, placed, 1, ("Check",),
               f'=IF({status}="record only",IF({act}="",{maint_check},'
               f"{record.replace('(', '_CHECK(', 1)}),IF({active},{maint_check},"
               f'"Status must be one of {", ".join(L.STATUSES)}"))', L.TEXT)
    _reactivation(book, ws, placed)
    # NE-12: the products a row stands for (empty = 1), for the month's discount quantity
    check = book.sref(f"{t.name}.Check", ws.name)
    book.spill(ws, placed, 3, ("Products counted",),
               f'=IF({check}="","",IF({p["Products"]}="",1,{p["Products"]}))', "count")


def write_services(book, ws) -> None:
    st_t = L.NENSI_SERVICES
    placed = _sheet(book, ws, st_t, "NENSI Services - annual fees",
                    ["The first year prorated by months from the start month (NE-6): fee x "
                     "units x (13 - start month) / 12; renewed in full each January until "
                     "the End date (NE-6 decision).",
                     "Billed in the month of the start date; renewals in the Bill sheet's "
                     "January.", GROW])
    args = _args(st_t, "Service", "Start date", "Units") + "," + L.tariff_arg("nensi")
    _priced(book, ws, placed, "NENSI_ANNUAL", args, headers=("Annual fee",))
    _renewal(book, ws, placed)
    # NE-12: the service as the functions read it, and the units billed (empty = 1)
    check = book.sref(f"{st_t.name}.Check", ws.name)
    book.spill(ws, placed, 4, ("Service read as",),
               f'=IF({check}="","",TRIM({st_t.ref("Service")}))', L.TEXT, 15)
    book.spill(ws, placed, 5, ("Units counted",),
               f'=IF({check}="","",IF({st_t.ref("Units")}="",1,{st_t.ref("Units")}))', "count")


def write_charges(book, ws) -> None:
    ct = L.NENSI_CHARGES
    placed = _sheet(book, ws, ct, "NENSI Charges - one-off charges and exports",
                    ["Entries, proposals, activations, Excel cases, exports (NE-7..NE-11); "
                     "exports free for the holder's own products (NE-11).",
                     "Billed in the month of the date.", GROW])
    args = _args(ct, "Code", "Quantity", "Own products", "Date") + "," + L.tariff_arg("nensi")
    _priced(book, ws, placed, "NENSI_CHARGE", args, headers=("Amount",))
    # NE-12 sums charges by code: the code as the functions read it (blanks around it and
    # doubled inside dropped; SUMIFS ignores case), so "Entry " counts as an entry
    check = book.sref("Charges_NENSI.Check", ws.name)
    book.spill(ws, placed, 3, ("Code read as",),
               f'=IF({check}="","",TRIM({ct.ref("Code")}))', L.TEXT, 15)


def write_discounts(book, ws) -> None:
    dt_ = L.NENSI_DISCOUNTS
    placed = _sheet(book, ws, dt_, "NENSI Discounts - volume discounts for the month (NE-12)",
                    ["Quantity and amount of what the customer is billed for that service in "
                     "the Bill sheet's month, discounted by your tiers (Tariffs: "
                     "DiscountTiers_NENSI).",
                     "NE-12 scope (our decision): one-off charges, maintenance (products "
                     "maintained), activations and reactivations, annual fees and January "
                     "renewals (units).", GROW])
    here = ws.name
    amounts = book.sref("Charges_NENSI.Amount", here)
    codes = book.sref("Charges_NENSI.Code read as", here)
    book.spill(ws, placed, 4, ("Service read as",), f'=TRIM({dt_.ref("Service")})', L.TEXT,
               15)
    svc = book.sref("Discounts_NENSI.Service read as", here)
    crit = (f"Charges_NENSI[Customer],{dt_.ref('Customer')},{codes},"
            f'{svc},{L.in_bill_month("Charges_NENSI[Date]")}')
    # NE-12 scope (our decision): every NENSI service billed in the month. A code listed
    # twice for a customer gets text, which NENSI_DISCOUNT refuses with a reason for that row
    # only (an error value here would make LibreOffice fail the whole Discount column); an
    # unknown code is refused by NENSI_DISCOUNT itself.
    who = dt_.ref("Customer")
    twice = f'({svc}<>"")*(COUNTIFS({who},{who},{svc},{svc})>1)'
    pw, sw = "Products_NENSI[Customer]", "Services_NENSI[Customer]"
    counted = book.sref("Products_NENSI.Products counted", here)
    maint = book.sref("Products_NENSI.Maintenance", here)
    react = book.sref("Products_NENSI.Reactivation (Bill month)", here)
    s_read = book.sref("Services_NENSI.Service read as", here)
    s_units = book.sref("Services_NENSI.Units counted", here)
    s_renew = book.sref("Services_NENSI.Renewal (Bill month)", here)
    s_fee = book.sref("Services_NENSI.Annual fee", here)
    s_new = f"{sw},{who},{s_read},{svc},{L.in_bill_month('Services_NENSI[Start date]')}"
    qty_terms = [
        f"SUMIFS(Charges_NENSI[Quantity],{crit})",
        f'IF({svc}="maintenance",SUMIFS({counted},{pw},{who},{maint},">0"),0)',
        f'IF({svc}="activation",SUMIFS({counted},{pw},{who},{react},">0"),0)',
        f"SUMIFS({s_units},{s_new})",
        f'SUMIFS({s_units},{sw},{who},{s_read},{svc},{s_renew},">0")']
    book.spill(ws, placed, 0, ("Month quantity",),
               f'=IF({twice},"{L.DISCOUNT_TWICE}",{"+".join(qty_terms)})', "count")
    qty = book.sref("Discounts_NENSI.Month quantity", here)
    amt_terms = [
        f"SUMIFS({amounts},{crit})",
        f'IF({svc}="maintenance",SUMIFS({maint},{pw},{who}),0)',
        f'IF({svc}="activation",SUMIFS({react},{pw},{who}),0)',
        f"SUMIFS({s_fee},{s_new})",
        f"SUMIFS({s_renew},{sw},{who},{s_read},{svc})"]
    book.spill(ws, placed, 1, ("Month amount",),
               f"=IF(ISNUMBER({qty}),{'+'.join(amt_terms)},0)", L.EUR)
    amt = book.sref("Discounts_NENSI.Month amount", here)
    tiers = "DiscountTiers_NENSI[[#All],[Service]:[Percent]]"
    args = f"{dt_.ref('Service')},{qty},{amt},{tiers}"
    book.spill(ws, placed, 2, ("Discount",), f"={book.fn('NENSI_DISCOUNT')}({args})", L.EUR)
    book.spill(ws, placed, 3, ("Check",), f"={book.fn('NENSI_DISCOUNT_CHECK')}({args})",
               L.TEXT)


def _reactivation(book, ws, placed) -> None:
    """"Reactivation (Bill month)": NE-10 life cycle, a product reactivated in the Bill month
    costs the activation fee (22.2790 per product, Products empty = 1), priced on the
    reactivation day; 0 in other months; empty for a blank row. (Bad dates are errors in the
    Maintenance column, which holds the customer's bill.)"""
    t = placed.table
    back, n = t.ref("Reactivation date"), t.ref("Products")
    check = book.sref(f"{t.name}.Check", ws.name)
    due = f"{L.is_date_cell(back)}*({back}>={L.BILL_START})*({back}<BillEnd+1)"
    fee = (f"{book.fn('NENSI_CHARGE')}(\"activation\",IF({n}=\"\",1,{n}),FALSE,{back},"
           f"{L.tariff_arg('nensi')})")
    book.spill(ws, placed, 2, ("Reactivation (Bill month)",),
               f'=IF({check}="","",IF({due},{fee},0))', L.EUR)


def _renewal(book, ws, placed) -> None:
    """"Renewal (Bill month)": NE-6 decision, renewals are billed in full each January. In a
    January Bill month, a service started before that year and not ended before it costs the
    full year's fee (NENSI_ANNUAL on 1 January); otherwise 0. An End date that is no date
    (text, 0, TRUE) is #N/A in every month (it cannot be compared); a blank row is empty."""
    t = placed.table
    start, end = t.ref("Start date"), t.ref("End date")
    check = book.sref(f"{t.name}.Check", ws.name)
    end_bad = f'({end}<>"")*NOT({L.is_date_cell(end)}*{L.date_in_range(end)})'
    first = L.BILL_START
    renewed = (f"(MONTH(BillMonth)=1)*(INT({start})<{first})"
               f'*((({end}="")+({end}>={first}))>0)')
    fee = (f"{book.fn('NENSI_ANNUAL')}({t.ref('Service')},{first},{t.ref('Units')},"
           f"{L.tariff_arg('nensi')})")
    book.spill(ws, placed, 3, ("Renewal (Bill month)",),
               f'=IF({check}="","",IF({end_bad},NA(),IF(ISNUMBER({start}),'
               f"IF({renewed},{fee},0),0)))", L.EUR)
