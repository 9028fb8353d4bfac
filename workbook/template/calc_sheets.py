"""The Quote (sales), Bill (finance) and Estimate (customers) sheets."""

from __future__ import annotations

from workbook import layout as L
from workbook.template import samples

LISTS = '{"mSign","eSign","NENSI"}'


def _chosen_codes() -> str:
    """The Code column of the price list chosen on the Quote sheet."""
    tables = ",".join(f"{L.TARIFF_FOR[f]}[Code]" for f in ("msign", "esign", "nensi"))
    return f"CHOOSE(MATCH(QuoteList,{LISTS},0),{tables})"


def _chosen_tariff() -> str:
    """The tariff Table of the price list chosen on the Quote sheet."""
    tables = ",".join(L.tariff_arg(f) for f in ("msign", "esign", "nensi"))
    return f"CHOOSE(MATCH(QuoteList,{LISTS},0),{tables})"


def write_quote(book, ws) -> None:
    st, q = book.st, samples.QUOTE
    ws.write(0, 0, "Quote - a customer, a price list and expected volumes (sales)", st.title)
    ws.write(1, 0, "Unit prices from the chosen price list's Table on the Tariffs sheet, on the "
                   "quote date; amount = quantity x unit price rounded half-up to the cent. "
                   "A code of another price list is an error on its line.", st.note)
    fields = (("Customer", "QuoteCustomer", q["customer"], L.TEXT),
              ("Customer address", "QuoteAddress", q["address"], L.TEXT),
              ("Quote number", "QuoteNumber", q["number"], L.TEXT),
              ("Quote date", "QuoteDate", q["date"], L.DATE),
              ("Valid until", "QuoteValidUntil", q["valid_until"], L.DATE),
              ("Price list", "QuoteList", q["list"], L.TEXT),
              ("VAT rate %", "QuoteVAT", q["vat"], L.PERCENT))
    for label, name, value, kind in fields:
        _, row, col = L.NAMES[name]
        ws.write(row, 0, label, st.label)
        book.name_cell(name, ws, value, kind)
        if kind == L.TEXT:  # room for a name or an address: the cell spans B:C
            ws.merge_range(row, col, row, col + 1, value, st.input(kind))
    _, row, col = L.NAMES["QuoteList"]
    ws.data_validation(row, col, row, col, {"validate": "list", "source": list(L.PRICE_LISTS)})
    ws.set_column(0, 0, 22)
    t = L.QUOTE_LINES
    placed = book.add_table(ws, t, t.row, book.tables[t.name])
    codes = [c for fam in book.catalog.families() for c in book.catalog.codes(fam)]
    ws.data_validation(placed.first, t.col, L.SHEET_ROWS - 1, t.col,
                       {"validate": "list", "source": codes})
    ws.freeze_panes(t.row + 1, 0)
    code = t.ref("Code")
    args = f"{code},QuoteDate,{_chosen_tariff()}"
    # a code the chosen price list does not hold (an mSign `transaction` in a NENSI quote)
    # is an error on its line: TARIFF_PRICE alone would price it from the other list
    foreign = f'(COUNTIF({_chosen_codes()},{code})=0)*({code}<>"")'
    book.spill(ws, placed, 0, ("Unit price",),
               f"=IF({foreign},#VALUE!,{book.fn('TARIFF_PRICE')}({args}))", L.PRICE)
    price = book.sref("Quote_Lines.Unit price", ws.name)
    amount = book.spill(ws, placed, 1, ("Amount",),
                        f"=ROUND({t.ref('Quantity')}*{price},2)", L.EUR)
    book.spill(ws, placed, 2, ("Check",),
               f'=IF({foreign},"Code "&{code}&" is not in the "&QuoteList&" price list",'
               f"{book.fn('TARIFF_PRICE_CHECK')}({args}))", L.TEXT)
    # the totals above the lines (the lines Table grows downwards): rate, net, VAT, gross
    col = t.result_col + 4
    row = 3
    ws.write(row - 1, col, "Totals per VAT rate", st.subtitle)
    ws.write_dynamic_array_formula(
        row, col, row + 2, col + 3,
        f"={book.fn('TARIFA_VAT')}({book.sref('Quote_Lines.Amount', ws.name)},QuoteVAT,TRUE)",
        st.result(L.EUR))
    for r in range(row + 1, row + 3):  # the rate column is a percent, not EUR (not the
        # anchor: its first row is the header text)
        ws.write_number(r, col, 0, st.result(L.PERCENT))
    for j, w in enumerate((9, 14, 14, 14)):  # gross with thousands: no ###
        book.width(ws, col + j, w)
    book.results["Quote.Totals"] = f"{ws.name}!{L.a1(row, col)}:{L.a1(row + 2, col + 3)}"
    assert amount


def write_bill(book, ws) -> None:
    st = book.st
    ws.write(1, 0, "Per customer: the month's amounts from the usage sheets, VAT per rate on "
                   "the rate's net total, gross. Copy into your invoicing system; "
                   "`tarifa bill` writes the same with every line.", st.note)
    t = L.CUSTOMERS
    ws.freeze_panes(t.row + 1, 1)
    placed = book.add_table(ws, t, t.row, book.tables[t.name])
    cust = t.ref("Customer")
    here = ws.name

    def r(key: str) -> str:  # a usage sheet's results through its spill reference
        return book.sref(key, here)

    _unlisted(book, ws, book.result_col(t))
    parts = [
        ("mSign", r("Usage_mSign.Charge"), "Usage_mSign[Customer]",
         L.in_bill_month("Usage_mSign[Month]")),
        ("eSign licences", r("Licences_eSign.Charge"), "Licences_eSign[Customer]",
         L.in_bill_month("Licences_eSign[Purchase date]")),
        ("eSign signatures", r("Ledger_eSign.Cost"), "Ledger_eSign[Customer]",
         L.in_bill_month("Ledger_eSign[Date]")),
        ("NENSI maintenance", r("Products_NENSI.Maintenance"), "Products_NENSI[Customer]", ""),
        ("NENSI annual fees", r("Services_NENSI.Annual fee"), "Services_NENSI[Customer]",
         L.in_bill_month("Services_NENSI[Start date]")),
        ("NENSI charges", r("Charges_NENSI.Amount"), "Charges_NENSI[Customer]",
         L.in_bill_month("Charges_NENSI[Date]")),
        ("NENSI discounts", r("Discounts_NENSI.Discount"), "Discounts_NENSI[Customer]", ""),
    ]
    cols = []
    for i, (header, amounts, who, when) in enumerate(parts):
        sign = "-" if header == "NENSI discounts" else ""
        crit = f"{who},{cust}" + (f",{when}" if when else "")
        table = who.split("[", 1)[0]
        # a row of the customer's that has no billing date cannot be placed in a month: the
        # customer's totals become errors (as `tarifa bill` holds the customer back)
        undated = (f'+IF(COUNTIFS({who},{cust},{r(table + ".Billed in")},"{L.UNDATED}")>0,'
                   "NA(),0)" if table in L.BILLING_DATE else "")
        # NE-6 decision: the January renewals of annual services, whatever their start month
        renewals = (f"+SUMIFS({r('Services_NENSI.Renewal (Bill month)')},{who},{cust})"
                    if table == L.NENSI_SERVICES.name else "")
        # NE-10 life cycle: a reactivation in the month costs the activation fee
        if table == L.NENSI_PRODUCTS.name:
            renewals = (f"+SUMIFS({r('Products_NENSI.Reactivation (Bill month)')},{who},"
                        f"{cust})")
        # a customer listed twice would be billed twice: both its rows are errors
        twice = f"+IF(COUNTIFS({cust},{cust})>1,NA(),0)"
        book.spill(ws, placed, i, (header,),
                   f"={sign}SUMIFS({amounts},{crit}){renewals}{undated}{twice}", L.EUR)
        cols.append(r(f"{t.name}.{header}"))
    m, e1, e2, n1, n2, n3, n4 = cols
    book.spill(ws, placed, len(parts), ("Net",), "=" + "+".join(cols), L.EUR)
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
        book.spill(ws, placed, offset, (f"Net at rate {k}",), f"={group_net}", L.EUR)
        # a rate the engine refuses (text, negative, or 0 < rate < 1: a percent-formatted
        # cell holding 0.22 for 22 %) is an error here too, never ~0 VAT
        ok = (f"AND(ISNUMBER({rate}),NOT(ISLOGICAL({rate})),OR({rate}=0,{rate}>=1),"
              f"ROUND({rate},4)={rate})")
        book.spill(ws, placed, offset + 1, (f"VAT at rate {k}",),
                   f"=IF({ok},ROUND({r(f'{t.name}.Net at rate {k}')}*{rate}/100,2),NA())",
                   L.EUR)
        col = book.result_col(placed.table) + offset
        ws.write_formula(t.row - 1, col, f'="rate {k}: "&{label}', st.label)
        vats.append(r(f"{t.name}.VAT at rate {k}"))
        offset += 2
    book.spill(ws, placed, offset, ("VAT",), "=" + "+".join(vats), L.EUR)
    book.spill(ws, placed, offset + 1, ("Gross",),
               f"={r(t.name + '.Net')}+{r(t.name + '.VAT')}", L.EUR)


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
        who, check = f"{u.name}[Customer]", book.sref(f"{u.name}.Check", ws.name)
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
    ws.write(1, 0, "Choose your package: its fee and included quantities come from your "
                   "package table (Tariffs: Packages_mSign); type your own to replace them. "
                   "Then your expected use per month.", st.note)
    _, row, col = L.NAMES["EstimatePackage"]
    ws.write(row, 0, "Package", st.label)
    book.name_cell("EstimatePackage", ws, samples.ESTIMATE["package"], L.CODE)
    ws.data_validation(row, col, row, col, {"validate": "list", "source": list(L.PACKAGES)})
    _, row, col = L.NAMES["EstimateFee"]
    ws.write(row, 0, "Package fee / month (typed)", st.label)
    book.name_cell("EstimateFee", ws, samples.ESTIMATE["fee"], L.PRICE)
    ws.write(row, col + 1, "from your contract; empty = the package's fee from Tariffs", st.note)
    # the fee used: typed, else the package's; text is never read as a number (an error);
    # no fee anywhere = not included, said in red beside it
    match = "MATCH(EstimatePackage,Packages_mSign[Package],0)"
    pkg_fee = f"INDEX(Packages_mSign[Monthly fee],{match})"
    known = f"ISNUMBER({match})"
    number = "ISNUMBER({0})*NOT(ISLOGICAL({0}))"
    _, frow, fcol = L.NAMES["EstimateFeeUsed"]
    ws.write(frow, 0, "Package fee used", st.label)
    ws.write_formula(
        frow, fcol,
        f'=IF(EstimateFee="",IF({known},IF({pkg_fee}="",0,IF({number.format(pkg_fee)},'
        f'{pkg_fee},NA())),0),IF({number.format("EstimateFee")},EstimateFee,NA()))',
        st.result(L.EUR))
    book.wb.define_name("EstimateFeeUsed", f"={ws.name}!{L.a1(frow, fcol)}")
    typed_ok = number.format("EstimateFee")
    pkg_ok = number.format(pkg_fee)
    why = ('=IF(EstimateFee="",IF(' + known + ',IF(' + pkg_fee + '="","no fee for "&'
           'EstimatePackage&" in Packages_mSign (Tariffs): not included",IF(' + pkg_ok +
           ',"the package\'s fee (Tariffs)","the fee in Packages_mSign is not a number")),'
           '"no package chosen: no fee"),IF(' + typed_ok + ',"as typed","the typed fee is '
           'not a number: type 49.90, not text like 49,90"))')
    ws.write_formula(frow, fcol + 1, why, st.warn)
    t = L.ESTIMATE_ITEMS
    placed = book.add_table(ws, t, t.row, book.tables[t.name])
    ws.freeze_panes(t.row + 1, 0)
    item = t.ref("Item")
    lookup = '""'
    for code in reversed(L.PACKAGE_ITEMS):  # the package's included quantity of each item
        got = f"INDEX(Packages_mSign[Included {code}],{match})"
        lookup = (f'IF({item}="{code}",IF({got}="","{_FILL_PACKAGES}",{got}),{lookup})')
    book.spill(ws, placed, 0, ("Included (used)",),
               f'=IF({t.ref("Included")}="",{lookup},{t.ref("Included")})', L.NUMBER)
    included = book.sref("Estimate_Items.Included (used)", ws.name)
    args = (f"{item},{t.ref('Per month')},{included},EstimatePackage,"
            f"{t.ref('Unit price')},{L.tariff_arg('msign')}")
    book.spill(ws, placed, 1, ("Charge",), f"={book.fn('MSIGN_OVERAGE')}({args})", L.EUR)
    charge = book.sref("Estimate_Items.Charge", ws.name)
    book.spill(ws, placed, 2, ("Check",), f"={book.fn('MSIGN_OVERAGE_CHECK')}({args})", L.TEXT)
    total_row = 5
    ws.write(total_row, 0, "Monthly cost (EUR, VAT excl.)", st.label)
    ws.write_formula(total_row, 1, f"=SUM({charge})+EstimateFeeUsed", st.result("total"))
    ws.write(total_row, 2, "usage beyond the package + package fee", st.note)
    book.width(ws, 0, 28)  # the labels above the Table
    total = L.a1(total_row, 1)
    tx = f'INDEX({charge},MATCH("transaction",{item},0))'
    tx_included = f'INDEX({included},MATCH("transaction",{item},0))'

    ct = L.ESTIMATE_CURVE
    ccol = t.result_col + 4
    ws.write(ct.row - 1, ccol, "Cost against transactions per month (other items as above)",
             st.subtitle)
    # Monthly cost is a calculated column of the Table (one formula per row, [@...]): the
    # chart's series are the Table's columns, which Excel extends as the Table grows
    vols = "Estimate_Curve[[#This Row],[Transactions per month]]"
    cost = (f'={book.fn("MSIGN_OVERAGE")}("transaction",{vols},{tx_included},'
            f'EstimatePackage,"",{L.tariff_arg("msign")})+({total}-{tx})')
    cplaced = book.add_table(ws, ct, ct.row, book.tables[ct.name], col=ccol,
                             formulas={"Monthly cost": cost})
    chart = book.wb.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    first, last = cplaced.first, cplaced.last
    chart.add_series({
        "name": "Monthly cost (EUR)",
        "categories": [ws.name, first, ccol, last, ccol],
        "values": [ws.name, first, ccol + 1, last, ccol + 1]})
    chart.set_title({"name": "Monthly cost against transactions"})
    chart.set_x_axis({"name": "Transactions per month"})
    chart.set_y_axis({"name": "EUR (VAT excl.)"})
    chart.set_legend({"none": True})
    chart.set_size({"width": 560, "height": 300})
    ws.insert_chart(ct.row, ccol + 3, chart)  # beside the Tables, never below them
    book.drawn[ws.name] = (560 + 64) * 0.75  # the chart and the gap before it, in points
    book.results["Estimate.Total"] = f"{ws.name}!{total}"
    book.results["Estimate.Curve"] = (f"{ws.name}!{L.a1(first, ccol + 1)}:"
                                      f"{L.a1(last, ccol + 1)}")


_FILL_PACKAGES = "fill in Packages_mSign (Tariffs)"
