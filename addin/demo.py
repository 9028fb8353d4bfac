"""``tarifa demo``: price a few sample lines with the built-in price lists and print them."""

from __future__ import annotations

import argparse

import numpy as np

from pricing import money
from pricing.catalog import builtin
from pricing.validity import Validity


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", default="2025-06-30", help="price date (YYYY-MM-DD)")


def run(args: argparse.Namespace) -> int:
    cat = builtin()
    lines = [("nensi", "entry", 3), ("nensi", "maintenance", 120), ("msign", "transaction", 37),
             ("esign", "signature_qualified", 4)]
    codes = np.array([c for _, c, _ in lines], dtype=object)
    qty = np.array([q for _, _, q in lines], dtype=np.int64)
    v = Validity(codes.shape)
    price = cat.prices(codes, np.datetime64(args.date, "D"), v)
    cents = money.line_cents(qty, price, v)
    print(f"Sample lines priced on {args.date} (EUR, VAT excluded):")
    for (family, code, q), p, c, ok, why in zip(lines, price, cents, v.ok, v.reason, strict=True):
        item = cat.item(code, np.datetime64(args.date, "D"))
        unit = f"{money.price_to_decimal(p):>9}" if ok else f"{'no price':>9}"
        shown = money.format_eur(c) if ok else f"error: {why}"
        print(f"  {item.rule:6} {family:6} {code:22} {q:>5} x {unit} = {shown:>9}")
    if not v.all_ok:  # a total that leaves a line out is wrong: no total, and exit 1
        print(f"  {'total':>49} = {'error':>9}  ({int((~v.ok).sum())} line(s) not priced)")
        return 1
    total = int(cents.sum())
    print(f"  {'total':>49} = {money.format_eur(total):>9}")
    return 0
