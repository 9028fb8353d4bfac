"""Tarifa's worksheet functions: THE module of xlwings functions (desktop, Lite, Server).

Each function is a thin adapter: Excel values in -> engine arrays (``pricing/``) -> Excel values
out. The Python names are the Excel names. Every argument takes a cell or a range; arguments
broadcast like numpy and the result has the broadcast shape, so ONE formula over a table column
spills the whole column. Money is EUR excluding VAT, rounded to the cent; dates are Excel dates.

A bad element gives its cell an Excel error value -- #VALUE! (cannot be read: wrong type,
unknown code), #NUM! (the price list's rules refuse it), #N/A (no price available) -- and the
other cells keep their values. Every function ``F`` has a companion ``F_CHECK`` with the same
arguments that returns, per element, "OK" or the reason. The conventions are in
``udfs/excel_values.py`` and docs/functions.md; the machinery in ``udfs/worksheet.py``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from pricing import bill, esign, money, msign, nensi
from pricing.catalog import builtin
from pricing.validity import Result, Validity
from udfs.worksheet import Block, Code, Date, Flag, Number, Spill, Table, check_of, worksheet

_TARIFF = ("optional tariff table range (code, unit_price [, valid_from]; a header row is "
           "allowed): its prices replace the built-in price list")
_ITEM = f"mSign item: {', '.join(msign.ITEMS)}"
_PACKAGE = ("optional mSign package: MINI, START, SMART or ENTERPRISE (needed for storage_gb, "
            "MS-7)")
_MONTH = ("optional usage month, any day of it (default today): the prices in force on its "
          "first day apply, so a later price change leaves a past month's bill unchanged")


def _today() -> np.datetime64:
    return np.datetime64(dt.date.today(), "D")


# --- mSign -----------------------------------------------------------------------------------


@worksheet(
    item=Code(_ITEM),
    used=Number("quantity used in the month (transactions, signatures, users, GB, SMS)"),
    included=Number("optional quantity included in the package (default 0)", optional=True,
                    default=0.0),
    package=Code(_PACKAGE, optional=True),
    unit_price=Number("optional unit price in EUR excl. VAT, up to 4 decimals (replaces the "
                      "price list; needed for sms, MS-8)", optional=True),
    tariff=Table(_TARIFF),
    month=Date(_MONTH, optional=True),
)
def MSIGN_OVERAGE(item, used, included, package, unit_price, tariff, month):
    """mSign charge in EUR excl. VAT for one month beyond the package: max(0, used-included) x price in force in that month (MS-1..MS-8)."""  # noqa: E501
    return msign.overage(item, used, included, package, unit_price, _price_day(month),
                         tariff=tariff)


MSIGN_OVERAGE_CHECK = check_of(MSIGN_OVERAGE)


@worksheet(
    item=Code(_ITEM),
    used=Number("quantity used in the month"),
    included=Number("optional quantity included in the package (default 0)", optional=True,
                    default=0.0),
    package=Code(_PACKAGE, optional=True),
)
def MSIGN_BILLABLE(item, used, included, package):
    """mSign units billed beyond the package: max(0, used-included); storage per started GB (MS-7)."""  # noqa: E501
    return msign.billable(item, used, included, package)


MSIGN_BILLABLE_CHECK = check_of(MSIGN_BILLABLE)


@worksheet(request_date=Date("date of the package change request"))
def MSIGN_SWITCH_DATE(request_date):
    """Date a requested mSign package change takes effect: 1st of the next month (MS-10)."""
    return msign.switch_date(request_date)


MSIGN_SWITCH_DATE_CHECK = check_of(MSIGN_SWITCH_DATE)


@worksheet(invoice_date=Date("date of the invoice"))
def MSIGN_BILLING_MONTH(invoice_date):
    """The month an mSign invoice bills, as the date of its 1st day: the previous calendar month (MS-9)."""  # noqa: E501
    return msign.billing_month_for(invoice_date)


MSIGN_BILLING_MONTH_CHECK = check_of(MSIGN_BILLING_MONTH)


@worksheet(
    documents=Number("number of documents in the signing (whole number >= 0)"),
    signers=Number("optional number of signers (default 1)", optional=True, default=1.0),
)
def MSIGN_REKONO_TX(documents, signers):
    """Rekono transactions for a signing: signers x ceil(documents / 5) (MS-3/MS-4)."""
    return msign.rekono_transactions(documents, signers)


MSIGN_REKONO_TX_CHECK = check_of(MSIGN_REKONO_TX)


@worksheet(
    item=Code(_ITEM + " (a column: one bill line per row)"),
    used=Number("quantity used in the month"),
    included=Number("optional quantity included in the package (default 0)", optional=True,
                    default=0.0),
    package=Code(_PACKAGE, optional=True),
    unit_price=Number("optional unit price in EUR excl. VAT (replaces the price list)",
                      optional=True),
    tariff=Table(_TARIFF),
    month=Date(_MONTH, optional=True),
)
def MSIGN_BILL(item, used, included, package, unit_price, tariff, month):
    """Itemised mSign bill, one line per row: item, used, included, billable, unit price EUR, amount EUR excl. VAT, at the month's prices (MS-1..MS-9)."""  # noqa: E501
    day = _price_day(month)
    charge = msign.overage(item, used, included, package, unit_price, day, tariff=tariff)
    units = msign.billable(item, used, included, package)
    v = Validity(charge.values.shape)
    v.merge(charge.validity)
    v.merge(units.validity)
    price = _unit_prices(item, unit_price, tariff, v, day)
    return Spill([(item, "text"), (used, "number"), (included, "number"),
                  (units.values, "count"), (price, "price_e4"), (charge.values, "cents")], v)


MSIGN_BILL_CHECK = check_of(MSIGN_BILL)


def _price_day(month: np.ndarray) -> np.ndarray:
    """The day an mSign month is priced on: the first day of the usage month ("Prices in force
    on the usage date", MS-9); an empty month cell is today, as without the argument."""
    m = np.asarray(month, dtype="datetime64[D]")
    return np.where(np.isnat(m), _today(), m.astype("datetime64[M]").astype("datetime64[D]"))


def _unit_prices(item: np.ndarray, unit_price: np.ndarray, tariff, v: Validity,
                 day: np.ndarray) -> np.ndarray:
    """The unit price of each line (ten-thousandths of a euro): the override where given,
    else the price list's on ``day`` (the price msign.overage used)."""
    given = ~np.isnan(unit_price)
    override = money.to_scaled(np.where(given, unit_price, 0.0), money.PRICE_PLACES,
                               "unit_price", v)
    need = ~given & v.ok
    listed = np.zeros(v.shape, dtype=np.int64)
    if need.any():
        pv = Validity(v.shape)
        codes = np.where(need, item, msign.ITEMS[0])
        listed = builtin().prices(codes, np.broadcast_to(day, v.shape), pv, tariff)
        v.fail(need & ~pv.ok, pv.reason)
    return np.where(given, override, listed)


# --- Tresorit eSign --------------------------------------------------------------------------

_LICENCES = "number of eSign licences bought (whole number >= 0)"
_PURCHASE = "date the licences were bought (inside the period)"
_START = "first day of the main plan's service period"
_END = "last day of the main plan's service period (whole calendar months)"
_SUB_START = ("optional date the eSign subscription was bought or its trial started: it decides "
              "the plan for all its purchases (before 2024-03-28 legacy, ES-1); empty = the "
              "purchase date stands in, and the _CHECK says so")
_MONTHLY = ("optional price per licence per month in EUR excl. VAT (default: the price list, "
            "5.00 from 2024-03-28, ES-4; needed before, ES-1)")


@worksheet(
    licences=Number(_LICENCES),
    purchase_date=Date(_PURCHASE),
    period_start=Date(_START),
    period_end=Date(_END),
    monthly_price=Number(_MONTHLY, optional=True),
    tariff=Table(_TARIFF),
    subscription_start=Date(_SUB_START, optional=True),
)
def ESIGN_PRORATE(licences, purchase_date, period_start, period_end, monthly_price, tariff,
                  subscription_start):
    """Prorated eSign licence charge in EUR excl. VAT, by days from purchase to period end; the plan by the subscription's start (ES-15, ES-4, ES-1)."""  # noqa: E501
    return esign.prorate(licences, purchase_date, period_start, period_end, monthly_price,
                         subscription_start=subscription_start, tariff=tariff)


ESIGN_PRORATE_CHECK = check_of(ESIGN_PRORATE)


@worksheet(
    licences=Number(_LICENCES),
    main_users=Number("users of the main Tresorit subscription (licences may not exceed it, "
                      "ES-5)"),
    plan=Code("main plan tier: professional, business or enterprise (ES-3)"),
    purchase_date=Date(_PURCHASE),
    period_start=Date(_START),
    period_end=Date(_END),
    monthly_price=Number(_MONTHLY, optional=True),
    tariff=Table(_TARIFF),
    subscription_start=Date(_SUB_START, optional=True),
)
def ESIGN_LICENCES(licences, main_users, plan, purchase_date, period_start, period_end,
                   monthly_price, tariff, subscription_start):
    """Prorated eSign licence charge in EUR excl. VAT, checking seats <= main-plan users (ES-5) and the plan tier (ES-3); the plan by the subscription's start (ES-1); ES-15."""  # noqa: E501
    return esign.prorate(licences, purchase_date, period_start, period_end, monthly_price,
                         main_users, plan, subscription_start, tariff=tariff)


ESIGN_LICENCES_CHECK = check_of(ESIGN_LICENCES)


@worksheet(
    kind=Code("signature kind: electronic (0.30) or qualified (EU-qualified, 2.50)"),
    quantity=Number("number of signatures bought (whole number >= 0)"),
    purchase_date=Date("date of the purchase (the prices in force that day)"),
    unit_price=Number("optional price per signature in EUR excl. VAT (needed for a legacy "
                      "subscription, ES-1)", optional=True),
    tariff=Table(_TARIFF),
    subscription_start=Date(_SUB_START, optional=True),
)
def ESIGN_SIGNATURES(kind, quantity, purchase_date, unit_price, tariff, subscription_start):
    """One-time cost in EUR excl. VAT of buying eSign signatures: quantity x price (ES-7); the plan by the subscription's start (ES-1)."""  # noqa: E501
    return esign.signature_cost(kind, quantity, purchase_date, unit_price, subscription_start,
                                tariff=tariff)


ESIGN_SIGNATURES_CHECK = check_of(ESIGN_SIGNATURES)


@worksheet(
    elementwise=False,
    subscription=Code("subscription identifier (text or number), a column", numbers_ok=True),
    date=Date("date of the event"),
    event=Code("event: " + ", ".join(esign.EVENTS), allowed=esign.EVENTS),
    kind=Code("optional signature kind for buy/use rows: electronic or qualified",
              optional=True),
    quantity=Number("optional number of signatures for buy/use rows", optional=True),
    licences=Number("optional licence count for licences/subscribe/restart rows",
                    optional=True),
    unit_price=Number("optional price per signature in EUR excl. VAT for buy rows",
                      optional=True),
    tariff=Table(_TARIFF),
    period_start=Date("optional first day of the service period the row falls in: a "
                      "licences row that lowers the count must be dated on it, the renewal "
                      "date (ES-13)", optional=True),
)
def ESIGN_LEDGER(subscription, date, event, kind, quantity, licences, unit_price, tariff,
                 period_start):
    """eSign signature quota per row: free electronic, free qualified, bought electronic, bought qualified left, licences, cost EUR (ES-7..ES-11; reductions only at renewal, ES-13)."""  # noqa: E501
    led = esign.ledger(subscription, date, event, kind, quantity, licences, unit_price,
                       period_start, tariff=tariff)
    return Spill([(led.free_electronic_left, "count"), (led.free_qualified_left, "count"),
                  (led.bought_electronic_left, "count"), (led.bought_qualified_left, "count"),
                  (led.licences, "count"), (led.cost_cents, "cents")], led.validity)


ESIGN_LEDGER_CHECK = check_of(ESIGN_LEDGER)


@worksheet(
    request_date=Date("date the licence reduction is requested"),
    period_end=Date("last day of the current service period"),
)
def ESIGN_REDUCTION_DATE(request_date, period_end):
    """Date an eSign licence reduction takes effect: the renewal date after the period (ES-13)."""
    return esign.reduction_date(request_date, period_end)


ESIGN_REDUCTION_DATE_CHECK = check_of(ESIGN_REDUCTION_DATE)


# --- NENSI -----------------------------------------------------------------------------------

_PRODUCTS = "optional number of products (default 1)"
_DEACTIVATED = ("optional date the product was deactivated: maintenance runs through that "
                "month, then stops (NE-10)")
_REACTIVATED = ("optional date the product was reactivated (activation fee 22.2790, NE-10): "
                "maintenance resumes the month after")


@worksheet(
    entry_date=Date("date the product was entered into NENSI"),
    billing_month=Date("any day of the month being billed"),
    products=Number(_PRODUCTS, optional=True, default=1.0),
    tariff=Table(_TARIFF),
    deactivation_date=Date(_DEACTIVATED, optional=True),
    reactivation_date=Date(_REACTIVATED, optional=True),
)
def NENSI_MAINT(entry_date, billing_month, products, tariff, deactivation_date,
                reactivation_date):
    """NENSI maintenance in EUR excl. VAT for the billing month: products x 1.1140 from the month after entry through the deactivation month, again after a reactivation; else 0 (NE-10)."""  # noqa: E501
    return nensi.maintenance(entry_date, billing_month, products,
                             deactivation_date=deactivation_date,
                             reactivation_date=reactivation_date, tariff=tariff)


NENSI_MAINT_CHECK = check_of(NENSI_MAINT)


@worksheet(
    entry_date=Date("date the product was entered for the record only"),
    activation_date=Date("date the product was activated"),
    billing_month=Date("any day of the month being billed"),
    products=Number(_PRODUCTS, optional=True, default=1.0),
    tariff=Table(_TARIFF),
    deactivation_date=Date(_DEACTIVATED, optional=True),
    reactivation_date=Date(_REACTIVATED, optional=True),
)
def NENSI_MAINT_RECORD(entry_date, activation_date, billing_month, products, tariff,
                       deactivation_date, reactivation_date):
    """NENSI maintenance in EUR excl. VAT for a record-only product: from the month after its activation through the deactivation month, again after a reactivation (NE-10)."""  # noqa: E501
    return nensi.maintenance(entry_date, billing_month, products, activation_date,
                             deactivation_date, reactivation_date, tariff=tariff)


NENSI_MAINT_RECORD_CHECK = check_of(NENSI_MAINT_RECORD)


@worksheet(
    service=Code("annual service: " + ", ".join(nensi.SERVICES)),
    start_date=Date("date the use starts"),
    units=Number("optional users or pharmacy units (default 1)", optional=True, default=1.0),
    tariff=Table(_TARIFF),
)
def NENSI_ANNUAL(service, start_date, units, tariff):
    """NENSI first-year fee in EUR excl. VAT, prorated by months to year end: fee x (13 - start month) / 12 (NE-1..NE-6)."""  # noqa: E501
    return nensi.annual_fee(service, start_date, units, tariff=tariff)


NENSI_ANNUAL_CHECK = check_of(NENSI_ANNUAL)


@worksheet(
    code=Code("charge: " + ", ".join(nensi.CHARGES)),
    quantity=Number("number of entries, proposals, activations, cases or exported products"),
    own_products=Flag("optional TRUE if the exports are data about the holder's own "
                      "products: no export charge (NE-11, NE-7); codebook items are always "
                      "charged", optional=True),
    date=Date("optional date of the service (default today): picks the price list",
              optional=True),
    tariff=Table(_TARIFF),
)
def NENSI_CHARGE(code, quantity, own_products, date, tariff):
    """NENSI one-off charges in EUR excl. VAT: entry, proposal, activation, Excel case, web-service exports (NE-7..NE-11)."""  # noqa: E501
    return nensi.charge(code, quantity, own_products, date, tariff=tariff)


NENSI_CHARGE_CHECK = check_of(NENSI_CHARGE)


@worksheet(
    service=Code("NENSI service or charge code the discount applies to"),
    monthly_quantity=Number("quantity of that service in the month (whole number)"),
    amount=Number("amount in EUR excl. VAT the discount is computed on"),
    tiers=Table("optional discount tier table (service, min_quantity, percent); none = no "
                "discount (NE-12)", build=nensi.DiscountTiers.from_rows),
)
def NENSI_DISCOUNT(service, monthly_quantity, amount, tiers):
    """NENSI monthly volume discount in EUR (to subtract) from your tier table; 0 without tiers (NE-12)."""  # noqa: E501
    v = Validity(np.shape(amount))
    cents = money.to_scaled(amount, 2, "NE-12: amount", v)
    v.fail(cents < 0, "NE-12: amount must not be negative")
    r = nensi.discount(service, monthly_quantity, np.where(v.ok, cents, 0), tiers)
    r.validity.merge(v)
    return r


NENSI_DISCOUNT_CHECK = check_of(NENSI_DISCOUNT)


# --- price lists, VAT ------------------------------------------------------------------------


@worksheet(
    code=Code("price code of any price list (e.g. transaction, licence, entry)"),
    date=Date("optional date (default today): picks the price list version in force",
              optional=True),
    tariff=Table(_TARIFF),
)
def TARIFF_PRICE(code, date, tariff):
    """Unit price in EUR excl. VAT (up to 4 decimals) of a price code on a date, from the tariff table or the built-in price lists (MS-1..8, ES-4/7, NE-1..11; NENSI: the list archived 31.12.2022 applies open-ended)."""  # noqa: E501
    days = np.where(np.isnat(date), _today(), date)
    v = Validity(np.shape(code))
    listed = tariff.rows if tariff is not None else {}
    cat = builtin()
    unknown = np.array([c != "" and c not in listed and cat.family_of(c) is None
                        for c in np.asarray(code).reshape(-1).tolist()],
                       dtype=bool).reshape(np.shape(code))
    v.fail(unknown, "unknown price code")
    prices = cat.prices(np.where(unknown, "transaction", code), days, v, tariff)
    return Result(prices, v, "price_e4")


TARIFF_PRICE_CHECK = check_of(TARIFF_PRICE)

_VAT_HEADER = ["VAT rate %", "net EUR", "VAT EUR", "gross EUR"]


@worksheet(
    elementwise=False,
    wants_blank=True,
    amounts=Number("line amounts in EUR excl. VAT (a column)"),
    vat_rates=Code("optional VAT rate per line in percent (22, 9.5, 19) or SI, SI_REDUCED, DE; "
                   "default 22", optional=True, numbers_ok="decimal"),
    headers=Flag("optional TRUE to start with a header row", optional=True),
)
def TARIFA_VAT(amounts, vat_rates, headers, blank):
    """Totals per VAT rate: rate, net, VAT (on the rate's net total, rounded half-up), gross in EUR; last row the totals (BR-CO-17)."""  # noqa: E501
    v = Validity(np.shape(amounts))
    use = ~blank
    cents = money.to_scaled(np.where(use, amounts, 0.0), 2, "amount", v)
    rates = np.where(vat_rates == "", "22", vat_rates)
    rate_text = np.empty(v.shape, dtype=object)
    for r in set(rates[use].tolist()):
        try:
            rate_text[rates == r] = bill.normalize_rate(r)
        except ValueError as e:
            v.fail(use & (rates == r), f"vat_rates: {e}")
        except ArithmeticError:  # decimal's InvalidOperation on absurd numbers such as 1e308
            v.fail(use & (rates == r), f"vat_rates: {r} is not a VAT rate")
    rows: list[list[object]] = [list(_VAT_HEADER)] if bool(np.any(headers)) else []
    first = len(rows)
    if v.all_ok and use.any():
        texts, net, vat = bill.vat_totals(cents[use], rate_text[use])
        for t, n, x in zip(texts.tolist(), net.tolist(), vat.tolist(), strict=True):
            rows.append([float(t), n / 100, x / 100, (n + x) / 100])
        total_net, total_vat = int(net.sum()), int(vat.sum())
    else:
        total_net = total_vat = 0
    rows.append(["total", total_net / 100, total_vat / 100, (total_net + total_vat) / 100])
    bad = [[i >= first for _ in row] for i, row in enumerate(rows)]
    return Block(rows, np.array(bad, dtype=bool), input_validity=v)


TARIFA_VAT_CHECK = check_of(TARIFA_VAT)

__all__ = [name for name in dir() if name.isupper() and not name.startswith("_")]
