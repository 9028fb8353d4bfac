"""mSign: charges for use beyond the purchased package quantities (RULES.md MS-1..MS-11).

One month's use of an item beyond what the package includes is charged at the item's unit
price (MS-1..MS-8)::

    amount = max(0, used - included) x unit price, rounded half-up to the cent once per line

* ``transaction`` (MS-1, 0.27), ``onesign`` signatures (MS-2, 0.69), ``rekono_qes`` (MS-3,
  1.18) and ``rekono_aes`` (MS-4, 0.80) transactions, ``user`` per month (MS-5, 6.00) and
  ``api`` months (MS-6, 100.00) are counts: whole, non-negative numbers.
* ``storage_gb`` (MS-7, 3.30 per GB and month) is billed per *started* GB of the excess
  (10.2 GB over the package -> 11 GB) and only with package SMART or ENTERPRISE (the mSef
  e-archive); asking for it with any other or no package is an error, never 0.
* ``sms`` (MS-8) is priced by a separate SMS price list that is not in the document: give the
  price as ``unit_price`` or in the tariff table; without it the charge is an error.

The package quantities (``included``) and the package fees are contract data (not public):
they are inputs. ``switch_date`` gives the day a package change takes effect (MS-10),
``rekono_transactions`` counts Rekono transactions for a signing (MS-3/MS-4 decision).

MS-9 (billing is monthly, for the previous month) has no arithmetic: each call prices one
month's quantities; ``billing_month_for`` names the month an invoice covers. MS-11 (a OneSign
certificate is valid 3 years and cannot be used in Halcom Personal/Corporate/B2B) is
information only and changes no amount.

Every function is vectorised (numpy broadcasting, scalars included) and returns a
``Result`` whose bad elements carry a reason naming the rule; one bad element never spoils
the others.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from pricing import calendar, money
from pricing.bill import Line
from pricing.catalog import Catalog, TariffTable, builtin
from pricing.inputs import (
    UNKNOWN,
    code_index,
    dates,
    fail_each,
    floats,
    price_table,
    today,
    whole,
    whole_fast,
)
from pricing.validity import Result, Validity

ITEMS = ("transaction", "onesign", "rekono_qes", "rekono_aes", "user", "api", "storage_gb",
         "sms")
PACKAGES = ("MINI", "START", "SMART", "ENTERPRISE")

RULES = {"transaction": "MS-1", "onesign": "MS-2", "rekono_qes": "MS-3", "rekono_aes": "MS-4",
         "user": "MS-5", "api": "MS-6", "storage_gb": "MS-7", "sms": "MS-8"}
UNITS = {"transaction": "transactions", "onesign": "signatures", "rekono_qes": "transactions",
         "rekono_aes": "transactions", "user": "users", "api": "API months",
         "storage_gb": "GB", "sms": "SMS messages"}
# MS-7: storage beyond the package only where mSign is integrated with mSef.
STORAGE_PACKAGES = ("SMART", "ENTERPRISE")
# Storage quantities may carry up to 9 decimals (1e-9 GB = one byte in decimal GB).
STORAGE_PLACES = 9
REKONO_DOCUMENTS_PER_TRANSACTION = 5  # MS-3/MS-4: a transaction covers up to 5 documents

_STORAGE = ITEMS.index("storage_gb")
_NO_PACKAGE = 0  # package index 0 is "" (none given); 1..4 are PACKAGES


# --- mSign ---------------------------------------------------------------------------------

def _norm_package(text: str) -> str:
    """'mSign Smart', ' smart ' -> 'smart' (the document writes "paketa mSign Smart")."""
    t = text.strip().lower()
    if t.startswith("msign"):
        t = t[len("msign"):].strip(" -_")
    return t


def _unknown_item(raw: object) -> str:
    shown = "" if raw is None else str(raw)
    if not shown.strip() or (isinstance(raw, float) and raw != raw):
        return f"mSign item is empty; valid items: {', '.join(ITEMS)}"
    return f"unknown mSign item '{shown.strip()}'; valid items: {', '.join(ITEMS)}"


def _unknown_package(raw: object) -> str:
    return (f"unknown mSign package '{str(raw).strip()}'; valid packages: "
            f"{', '.join(PACKAGES)} (or empty)")


class _Usage:
    """Items, packages and quantities of one call, parsed and broadcast, with validity."""

    def __init__(self, item: object, used: object, included: object, package: object,
                 extra_shapes: tuple[tuple[int, ...], ...] = ()) -> None:
        idx = code_index(item, ITEMS)
        pkg = code_index(package, ("",) + tuple(p.lower() for p in PACKAGES), _norm_package,
                         empty_index=_NO_PACKAGE)
        u, uv = floats(used, "used")
        i, iv = floats(included, "included")
        shape = np.broadcast_shapes(idx.shape, pkg.shape, u.shape, i.shape, *extra_shapes)
        v = Validity(shape)
        self.shape, self.validity = shape, v
        self.idx0, self.pkg0 = idx, pkg  # at the arguments' own shapes (cheap to gather)
        self.idx = np.broadcast_to(idx, shape)
        self.pkg = np.broadcast_to(pkg, shape)

        # unknown items and packages, named with the cell's own text
        if (idx == UNKNOWN).any():
            raw = np.broadcast_to(np.asarray(item, dtype=object), shape).reshape(-1)
            fail_each(v, self.idx == UNKNOWN, lambda k: _unknown_item(raw[k]))
        if (pkg == UNKNOWN).any():
            raw_p = np.broadcast_to(np.asarray(package, dtype=object), shape).reshape(-1)
            fail_each(v, self.pkg == UNKNOWN, lambda k: _unknown_package(raw_p[k]))
        v.merge(uv)
        v.merge(iv)

        # counts: whole and non-negative (MS-1..6, MS-8); storage (MS-7) is parsed below
        has_storage = bool((idx == _STORAGE).any())
        storage = np.broadcast_to(idx == _STORAGE, shape)
        self.storage = storage
        u0 = self._whole(u, "used", storage, has_storage)
        i0 = self._whole(i, "included", storage, has_storage)
        # u0/i0 are writable only where they are this call's own full-shape arrays (0-d:
        # no out, so that the result stays the numpy scalar it always was)
        out = None if not shape else (u0 if u0.flags.writeable else
                                      (i0 if i0.flags.writeable else None))
        excess = np.subtract(u0, i0, out=out)
        if isinstance(excess, np.ndarray):  # a fresh array: clipped and filled in place
            np.maximum(excess, 0, out=excess)
            if has_storage:
                where = np.flatnonzero(storage)
                excess.reshape(-1)[where] = self._storage_gb(u, i, where)
        else:  # 0-d
            excess = np.maximum(excess, 0)
            if has_storage:
                excess = np.where(storage, self._storage_gb(u, i, np.flatnonzero(storage))
                                  .reshape(()), excess)
        self.billable = np.where(v.ok, excess, 0) if not v.all_ok else excess

    def _whole(self, x: np.ndarray, what: str, storage: np.ndarray,
               has_storage: bool) -> np.ndarray:
        """Whole, non-negative counts at the call's shape; failures name the item's rule
        (storage elements are parsed by ``_storage_gb``: they may carry decimals; their values
        here are not used). A read-only broadcast view, or this call's own writable array."""
        fast = whole_fast(x, 0, storage if has_storage and storage.shape == x.shape else None)
        if fast is not None:  # every count valid: nothing to report
            return fast if fast.shape == self.shape else np.broadcast_to(fast, self.shape)
        counts_only = np.where(storage, 0.0, x) if has_storage else x
        n, lv = whole(counts_only, what)
        if not lv.all_ok:
            bad = np.broadcast_to(~lv.ok, self.shape) & ~storage
            reason = np.broadcast_to(lv.reason, self.shape).reshape(-1)
            idx = self.idx.reshape(-1)
            fail_each(self.validity, bad, lambda k: self._rule_msg(
                idx[k], f"{reason[k]} of {UNITS[ITEMS[idx[k]]]}"
                if reason[k].endswith("whole number") else reason[k]))
        return np.broadcast_to(n, self.shape)

    @staticmethod
    def _rule_msg(index: int, text: str) -> str:
        return f"{RULES[ITEMS[index]]}: {text}" if index != UNKNOWN else text

    def _at(self, a: np.ndarray, where: np.ndarray) -> np.ndarray:
        """The elements of ``a`` broadcast to the call's shape at the flat indexes ``where``,
        without materialising the broadcast (a scalar argument is repeated)."""
        if a.shape == self.shape:
            return a.reshape(-1)[where]
        if a.size == 1:
            return np.full(where.shape, a.reshape(-1)[0], dtype=a.dtype)
        return np.broadcast_to(a, self.shape).reshape(-1)[where]

    def _storage_gb(self, u: np.ndarray, i: np.ndarray, where: np.ndarray) -> np.ndarray:
        """MS-7: started GB of the excess; only SMART/ENTERPRISE. int64 for the storage
        elements only (at the flat indexes ``where`` of ``self.storage``); 0 where failed."""
        v = self.validity
        sv = Validity(where.shape)
        us = money.to_scaled(self._at(u, where), STORAGE_PLACES, "MS-7: used GB", sv)
        is_ = money.to_scaled(self._at(i, where), STORAGE_PLACES, "MS-7: included GB", sv)
        sv.fail(us < 0, "MS-7: used GB must not be negative")
        sv.fail(is_ < 0, "MS-7: included GB must not be negative")
        one_gb = 10**STORAGE_PLACES
        # ceiling of the excess in whole GB, exact in integers
        gb = (np.maximum(us - is_, 0) + one_gb - 1) // one_gb
        pkg = self._at(self.pkg0, where)
        allowed = np.isin(pkg, [1 + PACKAGES.index(p) for p in STORAGE_PACKAGES])
        none = pkg == _NO_PACKAGE
        sv.fail(none, "MS-7: storage_gb needs the package: extra GB in the mSef e-archive are "
                      f"billed only with {' or '.join(STORAGE_PACKAGES)}")
        names = np.array(("",) + PACKAGES + ("?",) * (256 - 1 - len(PACKAGES)), dtype=object)
        bad_pkg = ~allowed & ~none & (pkg != UNKNOWN)
        if bad_pkg.any():
            msg = np.empty(where.shape, dtype=object)
            msg[bad_pkg] = [f"MS-7: extra GB in the mSef e-archive are billed only with "
                            f"{' or '.join(STORAGE_PACKAGES)}, not with {names[p]}"
                            for p in pkg[bad_pkg]]
            sv.fail(bad_pkg, msg)
        if not sv.all_ok:
            full_bad = np.zeros(v.shape, dtype=bool)
            full_bad.reshape(-1)[where] = ~sv.ok
            msg = np.empty(v.shape, dtype=object)
            msg.reshape(-1)[where] = sv.reason
            v.fail(full_bad, msg)
        return np.where(sv.ok, gb, 0) if not sv.all_ok else gb


def billable(item: object, used: object, included: object = 0.0,
             package: object = "") -> Result:
    """Whole units billed beyond the package (kind "count"): ``max(0, used - included)``;
    for ``storage_gb`` the started GB of the excess (MS-7: 0.2 GB over -> 1 GB)."""
    usage = _Usage(item, used, included, package)
    return Result(usage.billable, usage.validity, "count")


def _unit_prices(items: np.ndarray, v: Validity, unit_price: object, date: object,
                 tariff: TariffTable | None, catalog: Catalog | None) -> np.ndarray:
    """Per-element price in ten-thousandths: the override where given, else the price list.
    ``items`` are item indexes (255 = unknown, already failed) broadcastable to ``v.shape``
    (one item for all rows: a 0-d index, the price then stays 0-d where it can)."""
    shape = v.shape
    up, upv = floats(unit_price, "unit_price")
    given = ~np.isnan(up)
    if not upv.all_ok:
        v.merge(upv)
        given = given | ~upv.ok
    override = None
    if given.any():
        lv = Validity(up.shape)
        override = money.to_scaled(np.where(given, up, 0.0), money.PRICE_PLACES, "unit_price", lv)
        lv.fail(override < 0, "unit_price must not be negative")
        v.merge(lv)
    if given.all():
        return np.broadcast_to(override, shape)

    cat = catalog if catalog is not None else builtin()
    days = today() if date is None else dates(date)
    days = np.where(np.isnat(days), today(), days)  # an empty date cell means today
    table, day_idx, tv = price_table(ITEMS, days, cat, tariff)
    item = np.where(items == UNKNOWN, 0, items) if not v.all_ok else items
    need = np.broadcast_to(~given, shape)
    if table.shape[1] == 1:  # one day for all elements: gather from 8 prices
        catalog_price = np.take(table[:, 0], item)
        bad_codes = np.flatnonzero(~tv.ok[:, 0])  # e.g. sms without a tariff (MS-8)
        missing = None
        if bad_codes.size:
            # a comparison per unpriced code is cheaper than a gather over the column
            hit = item == bad_codes[0]
            for code in bad_codes[1:]:
                hit = hit | (item == code)
            missing = need & hit if hit.any() else None
        item_full = np.broadcast_to(item, shape)
        why = lambda m: tv.reason[:, 0][item_full[m]]  # noqa: E731
    else:
        day_idx = np.broadcast_to(day_idx, shape)
        item_full = np.broadcast_to(item, shape)
        catalog_price = table[item_full, day_idx]
        missing = need & ~tv.ok[item_full, day_idx] if not tv.all_ok else None
        why = lambda m: tv.reason[item_full[m], day_idx[m]]  # noqa: E731
    if missing is not None and missing.any():
        msg = np.empty(shape, dtype=object)
        msg[missing] = why(missing)
        v.fail(missing, msg)
    if override is None:
        return catalog_price
    return np.where(np.broadcast_to(given, shape), np.broadcast_to(override, shape),
                    catalog_price)


def unit_prices(item: object, unit_price: object = np.nan, date: object = None, *,
                tariff: TariffTable | None = None, catalog: Catalog | None = None) -> Result:
    """The unit price ``overage`` uses for each element, in ten-thousandths of a euro
    (kind "price_e4"): ``unit_price`` where not NaN, else the tariff table / price list in
    force on ``date`` (None or NaT = today). ``sms`` without a price is an error (MS-8)."""
    idx = code_index(item, ITEMS)
    shape = np.broadcast_shapes(idx.shape, np.shape(unit_price),
                                () if date is None else np.shape(date))
    v = Validity(shape)
    full = np.broadcast_to(idx, shape)
    if (idx == UNKNOWN).any():
        raw = np.broadcast_to(np.asarray(item, dtype=object), shape).reshape(-1)
        fail_each(v, full == UNKNOWN, lambda k: _unknown_item(raw[k]))
    price = _unit_prices(idx, v, unit_price, date, tariff, catalog)
    return Result(np.where(v.ok, price, 0), v, "price_e4")


def overage(item: object, used: object, included: object = 0.0, package: object = "",
            unit_price: object = np.nan, date: object = None, *,
            tariff: TariffTable | None = None, catalog: Catalog | None = None) -> Result:
    """Charge in cents for one month's use of ``item`` beyond the package (MS-1..MS-8).

    ``max(0, used - included) x unit price``, rounded half-up to the cent once per line.
    ``unit_price`` (EUR, up to 4 decimals) overrides the price list where it is not NaN;
    ``date`` (None or NaT = today) picks the price list / tariff table row in force.
    ``storage_gb`` bills started GB and needs package SMART or ENTERPRISE (MS-7); ``sms``
    needs a price from ``unit_price`` or the tariff table (MS-8).
    """
    extra = (np.shape(unit_price), () if date is None else np.shape(date))
    usage = _Usage(item, used, included, package, extra)
    price = _unit_prices(usage.idx0, usage.validity, unit_price, date, tariff, catalog)
    v = usage.validity
    price = np.where(v.ok, price, 0) if not v.all_ok else price
    # billable is this call's own fresh array (or a scalar), not used after this
    cents = money.line_cents(usage.billable, price, v, overwrite=True)
    return Result(cents, v, "cents")


def switch_date(request_date: object) -> Result:
    """MS-10: a package change requested on a day takes effect on the 1st of the next month."""
    d = dates(request_date)
    v = Validity(d.shape)
    v.fail(np.isnat(d), "MS-10: request_date is empty or not a date")
    out = calendar.first_of_next_month(np.where(np.isnat(d), np.datetime64("2000-01-01"), d))
    calendar.refuse_outside_excel(out, v, "MS-10: the switch date")
    return Result(np.where(v.ok, out, np.datetime64("NaT")).astype("datetime64[D]"), v, "date")


def billing_month_for(invoice_date: object) -> Result:
    """MS-9: the month an invoice dated ``invoice_date`` bills (the previous calendar month),
    as the first day of that month (kind "date")."""
    d = dates(invoice_date)
    v = Validity(d.shape)
    v.fail(np.isnat(d), "MS-9: invoice_date is empty or not a date")
    safe = np.where(np.isnat(d), np.datetime64("2000-01-01"), d)
    v.fail(calendar.month_of(safe) <= np.datetime64("0001-01", "M"),
           "MS-9: no month before the invoice date")
    out = (calendar.month_of(safe) - 1).astype("datetime64[D]")
    calendar.refuse_outside_excel(np.where(v.ok, out, np.datetime64("NaT")), v,
                                  "MS-9: the billed month")
    return Result(np.where(v.ok, out, np.datetime64("NaT")).astype("datetime64[D]"), v, "date")


def rekono_transactions(documents: object, signers: object = 1) -> Result:
    """MS-3/MS-4 decision: Rekono transactions for a signing = signers x ceil(documents / 5).

    A transaction covers up to 5 documents for one signer; ``documents`` >= 0 and
    ``signers`` >= 1 are whole numbers.
    """
    d, dv = floats(documents, "documents")
    s, sv = floats(signers, "signers")
    shape = np.broadcast_shapes(d.shape, s.shape)
    v = Validity(shape)
    v.merge(dv)
    v.merge(sv)
    dn, lv = whole(d, "MS-3/4: documents")
    v.merge(lv)
    sn, lv = whole(s, "MS-3/4: signers", minimum=1)
    if not lv.all_ok:
        lv.reason[lv.reason == "MS-3/4: signers must be at least 1"] = \
            "MS-3/4: a signing needs at least 1 signer"
    v.merge(lv)
    per = REKONO_DOCUMENTS_PER_TRANSACTION
    blocks = (np.maximum(dn, 0) + per - 1) // per
    out = money.checked_product([np.broadcast_to(blocks, shape),
                                 np.broadcast_to(np.maximum(sn, 0), shape)],
                                v, "MS-3/4: transactions")
    return Result(np.where(v.ok, out, 0), v, "count")


def bill_lines(items: object, used: object, included: object = 0.0, package: object = "",
               unit_price: object = np.nan, date: object = None, *,
               tariff: TariffTable | None = None, catalog: Catalog | None = None) -> list[Line]:
    """One ``bill.Line`` per element (flattened, in order), zero-amount lines included, for
    an itemised mSign bill (MS-9: one month's quantities beyond the package).

    A bill that silently lacks a line is wrong, so any bad element raises ValueError naming
    its row (1-based, flattened) and reason; use ``overage``/``billable`` for per-row errors.
    """
    extra = (np.shape(unit_price), () if date is None else np.shape(date))
    usage = _Usage(items, used, included, package, extra)
    price = _unit_prices(usage.idx0, usage.validity, unit_price, date, tariff, catalog)
    v = usage.validity
    cents = money.line_cents(np.where(v.ok, usage.billable, 0), np.where(v.ok, price, 0), v)
    if not v.all_ok:
        bad = np.flatnonzero(~v.ok.reshape(-1))
        shown = "; ".join(f"row {k + 1}: {v.reason.reshape(-1)[k]}" for k in bad[:5])
        more = f" (and {bad.size - 5} more)" if bad.size > 5 else ""
        raise ValueError(f"mSign bill: {shown}{more}")
    cat = catalog if catalog is not None else builtin()
    names = {}
    for code in ITEMS:
        known = cat.item(code, today())
        names[code] = known.names.get("en", code) if known else code
    flat = [np.broadcast_to(a, usage.shape).reshape(-1).tolist() for a in (
        usage.idx, usage.billable, price, cents,
        np.asarray(used, dtype=np.float64), np.asarray(included, dtype=np.float64))]
    lines = []
    for ix, q, p, c, u, i in zip(*flat, strict=True):
        code = ITEMS[ix]
        desc = (f"{names[code]} ({code}): {_num(u)} used, {_num(i)} included, "
                f"{q} {UNITS[code]} billed")
        lines.append(Line(RULES[code], desc, Decimal(q), p, c))
    return lines


def _num(x: float) -> str:
    return repr(float(x)).removesuffix(".0")
