"""An invoice as UN/CEFACT Cross Industry Invoice (CII D16B), EN 16931 profile
(``urn:cen.eu:en16931:2017``, which is also Factur-X / ZUGFeRD's EN 16931 level).

Built with lxml in the element order the D16B schema and the Factur-X EN 16931 schema ask
for. Business terms (BT-*) are named beside each element. The official validation artefacts
(schema and schematron) check it in the tests (tests/test_invoice_cii.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from pricing import money
from workbook.invoice.document import Invoice
from workbook.invoice.lines import InvoiceLine
from workbook.invoice.parties import Customer, Seller

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
PROFILE = "urn:cen.eu:en16931:2017"
CREDIT_TRANSFER = "58"  # UNTDID 4461: SEPA credit transfer (BT-81)


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _q(tag), attrs)
    if text is not None:
        el.text = text
    return el


def _dec(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 250.0 -> 250, 37.80820 -> 37.8082."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _amount(cents: int) -> str:
    return format(money.cents_to_decimal(cents), "f")


def _date(parent: etree._Element, tag: str, day: dt.date, inner: str = "udt:DateTimeString"
          ) -> None:
    _sub(_sub(parent, tag), inner, day.strftime("%Y%m%d"), format="102")


def _party(parent: etree._Element, tag: str, p: Seller | Customer) -> None:
    party = _sub(parent, tag)
    _sub(party, "ram:Name", p.name)  # BT-27 / BT-44
    addr = _sub(party, "ram:PostalTradeAddress")
    if p.postcode:
        _sub(addr, "ram:PostcodeCode", p.postcode)  # BT-38 / BT-53
    if p.street:
        _sub(addr, "ram:LineOne", p.street)  # BT-35 / BT-50
    if p.city:
        _sub(addr, "ram:CityName", p.city)  # BT-37 / BT-52
    _sub(addr, "ram:CountryID", p.country)  # BT-40 / BT-55
    if p.email:  # BT-34 / BT-49 electronic address, scheme EM (e-mail)
        _sub(_sub(party, "ram:URIUniversalCommunication"), "ram:URIID", p.email, schemeID="EM")
    if p.vat_id:
        _sub(_sub(party, "ram:SpecifiedTaxRegistration"), "ram:ID", p.vat_id,
             schemeID="VA")  # BT-31 / BT-48


def _line(parent: etree._Element, n: int, line: InvoiceLine) -> None:
    item = _sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    doc = _sub(item, "ram:AssociatedDocumentLineDocument")
    _sub(doc, "ram:LineID", str(n))  # BT-126
    if line.note:
        _sub(_sub(doc, "ram:IncludedNote"), "ram:Content", line.note)  # BT-127
    product = _sub(item, "ram:SpecifiedTradeProduct")
    _sub(product, "ram:SellerAssignedID", line.code)  # BT-155
    _sub(product, "ram:Name", line.name)  # BT-153
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    net = _sub(agreement, "ram:NetPriceProductTradePrice")
    _sub(net, "ram:ChargeAmount", _dec(money.price_to_decimal(line.price_e4)))  # BT-146
    if line.base_quantity != 1:
        _sub(net, "ram:BasisQuantity", str(line.base_quantity), unitCode=line.unit)  # BT-149
    delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
    _sub(delivery, "ram:BilledQuantity", _dec(line.quantity), unitCode=line.unit)  # BT-129/130
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ram:ApplicableTradeTax")
    _sub(tax, "ram:TypeCode", "VAT")
    _sub(tax, "ram:CategoryCode", line.vat_category)  # BT-151
    _sub(tax, "ram:RateApplicablePercent", line.vat_rate)  # BT-152
    period = _sub(settlement, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", line.period[0])  # BT-134
    _date(period, "ram:EndDateTime", line.period[1])  # BT-135
    if line.allowance_cents:  # BG-27: an exemption as a 100 % allowance
        allowance = _sub(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _sub(_sub(allowance, "ram:ChargeIndicator"), "udt:Indicator", "false")
        if line.allowance_cents == line.gross_cents:
            _sub(allowance, "ram:CalculationPercent", "100")  # BT-138
            _sub(allowance, "ram:BasisAmount", _amount(line.gross_cents))  # BT-137
        _sub(allowance, "ram:ActualAmount", _amount(line.allowance_cents))  # BT-136
        _sub(allowance, "ram:Reason", line.allowance_reason)  # BT-139
    summation = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(summation, "ram:LineTotalAmount", _amount(line.amount_cents))  # BT-131


def build(inv: Invoice) -> etree._Element:
    """The CII XML tree of ``inv``."""
    root = etree.Element(_q("rsm:CrossIndustryInvoice"), nsmap=NS)
    ctx = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(_sub(ctx, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", PROFILE)
    doc = _sub(root, "rsm:ExchangedDocument")
    _sub(doc, "ram:ID", inv.number)  # BT-1
    _sub(doc, "ram:TypeCode", inv.type_code)  # BT-3
    _date(doc, "ram:IssueDateTime", inv.issue_date)  # BT-2
    for text in inv.notes:
        _sub(_sub(doc, "ram:IncludedNote"), "ram:Content", text)  # BT-22
    trade = _sub(root, "rsm:SupplyChainTradeTransaction")
    for n, line in enumerate(inv.lines, start=1):
        _line(trade, n, line)
    agreement = _sub(trade, "ram:ApplicableHeaderTradeAgreement")
    if inv.buyer.buyer_reference:
        _sub(agreement, "ram:BuyerReference", inv.buyer.buyer_reference)  # BT-10
    _party(agreement, "ram:SellerTradeParty", inv.seller)  # BG-4
    _party(agreement, "ram:BuyerTradeParty", inv.buyer)  # BG-7
    _sub(trade, "ram:ApplicableHeaderTradeDelivery")
    settlement = _sub(trade, "ram:ApplicableHeaderTradeSettlement")
    _sub(settlement, "ram:PaymentReference", inv.number)  # BT-83
    _sub(settlement, "ram:InvoiceCurrencyCode", inv.currency)  # BT-5
    means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _sub(means, "ram:TypeCode", CREDIT_TRANSFER)  # BT-81
    _sub(_sub(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID",
         inv.seller.iban)  # BT-84
    if inv.seller.bic:
        _sub(_sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID",
             inv.seller.bic)  # BT-86
    totals = inv.totals
    for rate in totals.by_rate:  # BG-23: VAT per rate on the rate's net total (BR-CO-17)
        tax = _sub(settlement, "ram:ApplicableTradeTax")
        _sub(tax, "ram:CalculatedAmount", _amount(rate.vat_cents))  # BT-117
        _sub(tax, "ram:TypeCode", "VAT")
        _sub(tax, "ram:BasisAmount", _amount(rate.net_cents))  # BT-116
        _sub(tax, "ram:CategoryCode", "S")  # BT-118
        _sub(tax, "ram:RateApplicablePercent", rate.rate)  # BT-119
    period = _sub(settlement, "ram:BillingSpecifiedPeriod")  # BG-14
    _date(period, "ram:StartDateTime", inv.period[0])  # BT-73
    _date(period, "ram:EndDateTime", inv.period[1])  # BT-74
    terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
    if inv.seller.payment_days is not None:
        _sub(terms, "ram:Description", f"{inv.seller.payment_days} days")  # BT-20
    _date(terms, "ram:DueDateDateTime", inv.due_date)  # BT-9
    s = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(s, "ram:LineTotalAmount", _amount(sum(x.amount_cents for x in inv.lines)))  # BT-106
    _sub(s, "ram:TaxBasisTotalAmount", _amount(totals.net_cents))  # BT-109
    _sub(s, "ram:TaxTotalAmount", _amount(totals.vat_cents), currencyID=inv.currency)  # BT-110
    _sub(s, "ram:GrandTotalAmount", _amount(totals.gross_cents))  # BT-112
    _sub(s, "ram:DuePayableAmount", _amount(totals.gross_cents))  # BT-115
    return root


def to_bytes(inv: Invoice) -> bytes:
    return etree.tostring(build(inv), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)
