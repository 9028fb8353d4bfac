"""The Quote (sales), Bill (finance) and Estimate (customers) sheets."""

from __future__ import annotations

from workbook import layout as L
from workbook.template import samples
from workbook.template.usage_sheets import _local

LISTS = '{"mSign","eSign","NENSI"}'


def _chosen_tariff() -> str:
    """The tariff Table of the price list chosen on the Quote sheet."""
    tables = ",".join(L.tariff_arg(f) for f in ("msign", "esign", "nensi"))
    return f"CHOOSE(MATCH(QuoteList,{LISTS},0),{tables})"


def write_quote(book, ws) -> None:
    st, q = book.st, samples.QUOTE
    ws.write(0, 0, "Quote - a customer, a price list and expected volumes (sales)", st.title)
    ws.write(1, 0, "Unit prices from the chosen price list's Table on the Tariffs sheet, on the "
                   "quote date; amount = quantity x unit price rounded half-up to the cent.",
             st.note)
    for label, name, value, kind in (("Customer", "QuoteCustomer", q["customer"], L.TEXT),
                                     ("Price list", "QuoteList", q["list"], L.TEXT),
                                     ("Quote date", "QuoteDate", q["date"], L.DATE),
                                     ("VAT rate %", "QuoteVAT", q["vat"], L.PERCENT)):
        _, row, col = L.NAMES[name]
        ws.write(row, 0, label, st.label)
        book.name_cell(name, ws, value, kind)
    _, row, col = L.NAMES["QuoteList"]
    ws.data_validation(row, col, row, col, {"validate": "list", "source": list(L.PRICE_LISTS)})
    ws.set_column(0, 0, 22)
    t = L.QUOTE_LINES
    placed = book.add_table(ws, t, t.row, book.tables[t.name])
    codes = [c for fam in book.catalog.families() for c in book.catalog.codes(fam)]
    ws.data_validation(placed.first, t.col, placed.last + 200, t.col,
                       {"validate": "list", "source": codes})
    args = f"{t.ref('Code')},QuoteDate,{_chosen_tariff()}"
    price = book.spill(ws, placed, 0, ("Unit price",), f"={book.fn('TARIFF_PRICE')}({args})",
                       L.PRICE)
    amount = book.spill(ws, placed, 1, ("Amount",),
                        f"=ROUND({t.ref('Quantity')}*{_local(price)},2)", L.EUR)
    book.spill(ws, placed, 2, ("Check",), f"={book.fn('TARIFF_PRICE_CHECK')}({args})", L.TEXT)
    row = placed.last + 3
    ws.write(row - 1, t.result_col, "Totals per VAT rate", st.subtitle)
    col = t.result_col
    ws.write_dynamic_array_formula(row, col, row + 2, col + 3,
                                   f"={book.fn('TARIFA_VAT')}({_local(amount)},QuoteVAT,TRUE)",
                                   st.result(L.EUR))
    book.results["Quote.Totals"] = f"{ws.name}!{L.a1(row, col)}:{L.a1(row + 2, col + 3)}"


def write_bill(book, ws) -> None:
    st = book.st
    ws.write(1, 0, "Per customer: the month's amounts from the usage sheets, VAT per rate on "
                   "the rate's net total, gross. Copy into your invoicing system; "
                   "`tarifa bill` writes the same with every line.", st.note)
    t = L.CUSTOMERS
    ws.freeze_panes(t.row + 1, 1)
    placed = book.add_table(ws, t, t.row, book.tables[t.name])
    cust = t.ref("Customer")
    r = book.results
    _unlisted(book, ws, book.result_col(t))
    parts = [
        ("mSign", r["Usage_mSign.Charge"], "Usage_mSign[Customer]",
         L.in_bill_month("Usage_mSign[Month]")),
        ("eSign licences", r["Licences_eSign.Charge"], "Licences_eSign[Customer]",
         L.in_bill_month("Licences_eSign[Purchase date]")),
        ("eSign signatures", r["Ledger_eSign.Cost"], "Ledger_eSign[Customer]",
         L.in_bill_month("Ledger_eSign[Date]")),
        ("NENSI maintenance", r["Products_NENSI.Maintenance"], "Products_NENSI[Customer]", ""),
        ("NENSI annual fees", r["Services_NENSI.Annual fee"], "Services_NENSI[Customer]",
         L.in_bill_month("Services_NENSI[Start date]")),
        ("NENSI charges", r["Charges_NENSI.Amount"], "Charges_NENSI[Customer]",
         L.in_bill_month("Charges_NENSI[Date]")),
        ("NENSI discounts", r["Discounts_NENSI.Discount"], "Discounts_NENSI[Customer]", ""),
    ]
    cols = []
    for i, (header, amounts, who, when) in enumerate(parts):
        sign = "-" if header == "NENSI discounts" else ""
        crit = f"{who},{cust}" + (f",{when}" if when else "")
        table = who.split("[", 1)[0]
        # a row of the customer's that has no billing date cannot be placed in a month: the
        # customer's totals become errors (as `tarifa bill` holds the customer back)
        undated = (f'+IF(COUNTIFS({who},{cust},{r[table + ".Billed in"]},"{L.UNDATED}")>0,'
                   "NA(),0)" if table in L.BILLING_DATE else "")
        # NE-6 decision: the January renewals of annual services, whatever their start month
        renewals = (f"+SUMIFS({r['Services_NENSI.Renewal (Bill month)']},{who},{cust})"
                    if table == L.NENSI_SERVICES.name else "")
        # a customer listed twice would be billed twice: both its rows are errors
        twice = f"+IF(COUNTIFS({cust},{cust})>1,NA(),0)"
        cols.append(_local(book.spill(
            ws, placed, i, (header,),
            f"={sign}SUMIFS({amounts},{crit}){renewals}{undated}{twice}", L.EUR)))
    m, e1, e2, n1, n2, n3, n4 = cols
    net = book.spill(ws, placed, len(parts), ("Net",), "=" + "+".join(cols), L.EUR)
    e, n = f"({e1}+{e2})", f"({n1}+{n2}+{n3}+{n4})"
    r1, r2, r3 = "VAT_mSign", "VAT_eSign", "VAT_NENSI"
    # VAT per rate on the rate's net total (BR-CO-17): the price lists sharing a rate are
    # added before rounding. Rate 1 is mSign's, rate 2 eSign's if different, rate 3 NENSI's
    # if different from both; an unused rate shows 0.
    groups = [
        (r1, f"{m}+({r2}={r1})*{e}+({r3}={r1})*{n}", f'{r1}&" %"'),
        (r2, f"({r2}<>{r1})*({e}+({r3}={r2})*{n})", f'IF({r2}<>{r1},{r2}&" %","-")'),
        (r3, f"({r3}<>{r1})*({r3}<>{r2})*{n}", f'IF(AND({r3}<>{r1},{r3}<>{r2}),{r3}&" %","-")'),
    ]
    vats = []
    offset = len(parts) + 1
    for k, (rate, group_net, label) in enumerate(groups, start=1):
        net_k = book.spill(ws, placed, offset, (f"Net at rate {k}",), f"={group_net}", L.EUR)
        # a rate the engine refuses (text, negative, or 0 < rate < 1: a percent-formatted
        # cell holding 0.22 for 22 %) is an error here too, never ~0 VAT
        ok = (f"AND(ISNUMBER({rate}),NOT(ISLOGICAL({rate})),OR({rate}=0,{rate}>=1),"
              f"ROUND({rate},4)={rate})")
        vat_k = book.spill(ws, placed, offset + 1, (f"VAT at rate {k}",),
                           f"=IF({ok},ROUND({_local(net_k)}*{rate}/100,2),NA())", L.EUR)
        col = book.result_col(placed.table) + offset
        ws.write_formula(t.row - 1, col, f'="rate {k}: "&{label}', st.label)
        vats.append(_local(vat_k))
        offset += 2
    vat_rng = book.spill(ws, placed, offset, ("VAT",), "=" + "+".join(vats), L.EUR)
    book.spill(ws, placed, offset + 1, ("Gross",), f"={_local(net)}+{_local(vat_rng)}",
               L.EUR)


def _unlisted(book, ws, col: int) -> None:
    """A usage row whose customer is not in Bill_Customers (a new customer, or a name spelt
    differently, with a trailing space) is on no line of this sheet: count such rows, so that
    none is left out unseen (`tarifa bill` bills them, marked "not on the Bill sheet's
    customer list")."""
    listed = L.CUSTOMERS.ref("Customer")
    terms = []
    for u in L.USAGE_TABLES:
        if u == L.CUSTOMERS:
            continue
        who, check = f"{u.name}[Customer]", book.results[f"{u.name}.Check"]
        terms.append(f'SUMPRODUCT(({who}<>"")*(COUNTIFS({listed},{who})=0))')
        # ... and priced rows (a non-empty Check) without any customer
        terms.append(f'SUMPRODUCT(({who}="")*({check}<>""))')
    count = L.a1(2, col + 5)
    ws.write(2, col, "Usage rows (any month) with no customer or one not in this list:",
             book.st.label)
    ws.write_formula(2, col + 5, "=" + "+".join(terms), book.st.result("count"))
    ws.write_formula(2, col + 6, f'=IF({count}>0,"add them below or correct the name: their '
                                 'usage is on no line of this sheet","")', book.st.warn)
    book.results["Bill.Unlisted"] = f"{ws.name}!{count}"


def write_estimate(book, ws) -> None:
    st = book.st
    ws.write(0, 0, "Estimate - your monthly mSign cost (customers)", st.title)
    ws.write(1, 0, "Enter your package, its fee and included quantities from your contract, "
                   "and your expected use per month.", st.note)
    _, row, col = L.NAMES["EstimatePackage"]
    ws.write(row, 0, "Package", st.label)
    book.name_cell("EstimatePackage", ws, samples.ESTIMATE["package"], L.CODE)
    ws.data_validation(row, col, row, col, {"validate": "list", "source": list(L.PACKAGES)})
    _, row, col = L.NAMES["EstimateFee"]
    ws.write(row, 0, "Package fee / month", st.label)
    book.name_cell("EstimateFee", ws, samples.ESTIMATE["fee"], L.PRICE)
    ws.write(row, col + 1, "from your contract (not public); not included while empty",
             st.warn)
    t = L.ESTIMATE_ITEMS
    placed = book.add_table(ws, t, t.row, book.tables[t.name])
    args = (f"{t.ref('Item')},{t.ref('Per month')},{t.ref('Included')},EstimatePackage,"
            f"{t.ref('Unit price')},{L.tariff_arg('msign')}")
    charge = _local(book.spill(ws, placed, 0, ("Charge",),
                               f"={book.fn('MSIGN_OVERAGE')}({args})", L.EUR))
    book.spill(ws, placed, 1, ("Check",), f"={book.fn('MSIGN_OVERAGE_CHECK')}({args})", L.TEXT)
    total_row = 5
    ws.write(total_row, 0, "Monthly cost (EUR, VAT excl.)", st.label)
    ws.write_formula(total_row, 1, f"=SUM({charge})+N(EstimateFee)", st.result("total"))
    ws.write(total_row, 2, "usage beyond the package + package fee", st.note)
    book.width(ws, 0, 28)  # the labels above the Table
    total = L.a1(total_row, 1)
    tx = f'INDEX({charge},MATCH("transaction",{t.ref("Item")},0))'
    included = f'INDEX({t.ref("Included")},MATCH("transaction",{t.ref("Item")},0))'

    ct = L.ESTIMATE_CURVE
    ccol = t.result_col + 3
    ws.write(ct.row - 1, ccol, "Cost against transactions per month (other items as above)",
             st.subtitle)
    cplaced = book.add_table(ws, ct, ct.row, book.tables[ct.name], col=ccol)
    vols = ct.ref("Transactions per month")
    cost = book.spill(
        ws, cplaced, 0, ("Monthly cost",),
        f'={book.fn("MSIGN_OVERAGE")}("transaction",{vols},{included},EstimatePackage,"",'
        f'{L.tariff_arg("msign")})+({total}-{tx})', L.EUR)
    chart = book.wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    first, last = cplaced.first, cplaced.last
    chart.add_series({
        "name": "Monthly cost (EUR)",
        "categories": [ws.name, first, ccol, last, ccol],
        "values": [ws.name, first, ccol + 2, last, ccol + 2]})
    chart.set_title({"name": "Monthly cost against transactions"})
    chart.set_x_axis({"name": "Transactions per month"})
    chart.set_y_axis({"name": "EUR (VAT excl.)"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 620, "height": 320})
    ws.insert_chart(placed.last + 3, 0, chart)
    book.results["Estimate.Total"] = f"{ws.name}!{total}"
    assert cost
