"""Versioned price lists, loaded from ``pricing/tariffs/*.toml``; price lookup by code and date.

A *family* (``msign``, ``esign``, ``nensi``) has one or more versions. The version in force
on a date is the latest whose ``valid_from`` is on or before it (an empty ``valid_from`` means
"since always"); ``valid_to`` records when a vendor archived a version and is shown to users,
but a version stays in force until a newer one is added (NENSI 2019 is archived 2022-12-31
and still the latest we know).

A user's tariff table (rows of code / unit price / optional valid_from, as the workbook's
Tariffs sheet holds them) overrides the built-in price of the codes it lists.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

import numpy as np

from pricing import calendar
from pricing.money import PRICE_PLACES, decimal_to_scaled, to_scaled
from pricing.validity import Validity

NO_START = np.datetime64("0001-01-01", "D")


@dataclass(frozen=True)
class Item:
    """One priced item of a price list version."""

    code: str
    rule: str
    unit: str
    price_e4: int | None  # ten-thousandths of a euro; None = the document gives no price
    names: Mapping[str, str]
    packages: tuple[str, ...] = ()


@dataclass(frozen=True)
class PriceList:
    """One version of one vendor's price list."""

    id: str
    family: str
    vendor: str
    name: str
    currency: str
    country: str
    vat_included: bool
    valid_from: dt.date | None
    valid_to: dt.date | None
    source: str
    items: Mapping[str, Item]

    @property
    def start(self) -> np.datetime64:
        return NO_START if self.valid_from is None else np.datetime64(self.valid_from, "D")


def _date_or_none(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def parse_price_list(text: str) -> PriceList:
    """One TOML price list (the format of ``pricing/tariffs/*.toml``)."""
    data = tomllib.loads(text)
    items = {}
    for raw in data["items"]:
        code = raw["code"].lower()
        price = raw.get("unit_price", "")
        items[code] = Item(
            code=code,
            rule=raw["rule"],
            unit=raw["unit"],
            price_e4=decimal_to_scaled(price, PRICE_PLACES) if price else None,
            names={lang: raw[f"name_{lang}"] for lang in ("sl", "de", "en")},
            packages=tuple(p.upper() for p in raw.get("packages", ())),
        )
    return PriceList(
        id=data["id"],
        family=data["family"],
        vendor=data["vendor"],
        name=data["name"],
        currency=data["currency"],
        country=data["country"],
        vat_included=bool(data["vat_included"]),
        valid_from=_date_or_none(data.get("valid_from", "")),
        valid_to=_date_or_none(data.get("valid_to", "")),
        source=data.get("source", ""),
        items=items,
    )


@dataclass(frozen=True)
class TariffRow:
    code: str
    price_e4: int | None
    start: np.datetime64
    problem: str = ""


@dataclass(frozen=True)
class TariffTable:
    """A user-supplied price table: rows of code, unit price and an optional valid_from.

    Rows for one code are ordered by valid_from; a blank valid_from means "since always".
    A blank price means "no price" (an error where that price is needed, never 0); so do two
    rows for one code from the same valid_from (which one is meant cannot be told).
    """

    rows: Mapping[str, tuple[TariffRow, ...]] = field(default_factory=dict)

    @staticmethod
    def from_rows(rows: Iterable[Sequence[object]]) -> TariffTable:
        """Rows as a worksheet range gives them. A first row naming the columns ``code`` and
        ``unit_price`` (or ``price``) and optionally ``valid_from`` is a header; without it the
        columns are code, unit price, valid_from. Rows with an empty code are skipped."""
        rows = [list(r) for r in rows]
        code_col, price_col, from_col = 0, 1, 2
        if rows and any(isinstance(c, str) and c.strip().lower() == "code" for c in rows[0]):
            header = [str(c).strip().lower().replace(" ", "_") if c is not None else ""
                      for c in rows[0]]
            code_col = header.index("code")
            price_col = next((header.index(h) for h in ("unit_price", "price") if h in header),
                             None)
            from_col = header.index("valid_from") if "valid_from" in header else None
            if price_col is None:
                raise ValueError("tariff table: a header row needs a 'unit_price' column")
            rows = rows[1:]
        by_code: dict[str, list[TariffRow]] = {}
        for r in rows:
            code = r[code_col] if code_col < len(r) else None
            if code is None or (isinstance(code, str) and not code.strip()):
                continue
            code = str(code).strip().lower()
            price = r[price_col] if price_col < len(r) else None
            start = r[from_col] if from_col is not None and from_col < len(r) else None
            by_code.setdefault(code, []).append(_tariff_row(code, price, start))
        return TariffTable({c: _one_row_per_date(v) for c, v in by_code.items()})


def _one_row_per_date(rows: list[TariffRow]) -> tuple[TariffRow, ...]:
    """One code's rows ordered by valid_from, one per date: two rows from the same date are
    ambiguous -- the date's row becomes a problem where its price is needed (never the last
    row silently winning)."""
    by_start: dict[np.datetime64, list[TariffRow]] = {}
    for r in sorted(rows, key=lambda t: t.start):
        by_start.setdefault(r.start, []).append(r)
    out = []
    for start, same in by_start.items():
        first = same[0]
        problem = next((r.problem for r in same if r.problem), "")
        if not problem and len(same) > 1:
            problem = f"tariff table: two prices for '{first.code}' from the same date"
        out.append(TariffRow(first.code, None if problem else first.price_e4, start, problem))
    return tuple(out)


def _too_precise(code: str, price: object) -> str:
    return (f"tariff table: the price of '{code}' ({price!r}) must have at most {PRICE_PLACES} "
            "decimals and be finite")


def _tariff_row(code: str, price: object, start: object) -> TariffRow:
    problem = ""
    price_e4 = None
    if isinstance(price, bool) or (price is not None and not isinstance(price, (int, float, str))):
        problem = f"tariff table: the price of '{code}' is not a number"
    elif isinstance(price, str) and price.strip():
        text = price.strip().replace(",", ".")
        try:
            Decimal(text)
            price_e4 = decimal_to_scaled(text, PRICE_PLACES)
        except InvalidOperation:  # not a number at all: cannot be read (#VALUE!)
            problem = f"tariff table: the price of '{code}' ({price!r}) is not a number"
        except (ValueError, ArithmeticError):  # a number the price list refuses (#NUM!)
            problem = _too_precise(code, price)
    elif isinstance(price, (int, float)):
        v = Validity(())
        price_e4 = int(to_scaled(np.float64(price), PRICE_PLACES, "price", v))
        if not v.all_ok:
            problem = _too_precise(code, price)
            price_e4 = None
    if price_e4 is not None and price_e4 < 0:
        problem, price_e4 = f"tariff table: the price of '{code}' is negative", None
    day = NO_START
    if start is not None and not (isinstance(start, str) and not start.strip()):
        try:
            day = _to_day(start)
        except ValueError:
            problem = problem or f"tariff table: valid_from of '{code}' ({start!r}) is not a date"
    return TariffRow(code, price_e4, day, problem)


def _to_day(value: object) -> np.datetime64:
    if isinstance(value, dt.datetime):
        return np.datetime64(value.date(), "D")
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    if isinstance(value, str):
        return np.datetime64(dt.date.fromisoformat(value.strip()), "D")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = Validity(())
        day = calendar.from_excel_serial(np.float64(value), v)
        if v.all_ok:
            return np.datetime64(day, "D")
    raise ValueError(f"not a date: {value!r}")


class Catalog:
    """All built-in price list versions, by family, with vectorised price lookup."""

    def __init__(self, lists: Iterable[PriceList]) -> None:
        self.lists = tuple(sorted(lists, key=lambda p: (p.family, p.start)))
        self._family_of: dict[str, str] = {}
        for pl in self.lists:
            for code in pl.items:
                other = self._family_of.setdefault(code, pl.family)
                if other != pl.family:
                    raise ValueError(f"code {code!r} is used by both {other} and {pl.family}")

    def families(self) -> list[str]:
        return sorted({p.family for p in self.lists})

    def versions(self, family: str) -> list[PriceList]:
        """The versions of one family, oldest first."""
        return [p for p in self.lists if p.family == family]

    def codes(self, family: str) -> list[str]:
        """Every item code of a family, in price-list order of its newest version."""
        seen: dict[str, None] = {}
        for pl in reversed(self.versions(family)):
            seen.update(dict.fromkeys(pl.items))
        return list(seen)

    def family_of(self, code: str) -> str | None:
        return self._family_of.get(code.lower())

    def in_force(self, family: str, date: dt.date | np.datetime64) -> PriceList | None:
        """The version of ``family`` in force on ``date`` (None before the first one)."""
        day = np.datetime64(date, "D")
        found = None
        for pl in self.versions(family):
            if pl.start <= day:
                found = pl
        return found

    def item(self, code: str, date: dt.date | np.datetime64) -> Item | None:
        family = self.family_of(code)
        pl = self.in_force(family, date) if family else None
        return pl.items.get(code.lower()) if pl else None

    def prices(self, codes: np.ndarray, dates: np.ndarray, validity: Validity,
               tariff: TariffTable | None = None) -> np.ndarray:
        """Unit prices (int64, ten-thousandths of a euro) for codes on dates, vectorised.

        ``codes`` is an array of lower-case known codes, ``dates`` datetime64[D]; both broadcast.
        Where no price can be had (no version in force, a price the document does not give, a
        bad tariff table row) the element is marked bad in ``validity`` with the reason.
        """
        shape = validity.shape
        codes = np.broadcast_to(np.asarray(codes, dtype=object), shape)
        dates = np.broadcast_to(np.asarray(dates, dtype="datetime64[D]"), shape)
        out = np.zeros(shape, dtype=np.int64)
        for code in np.unique(codes) if codes.size else ():
            where = codes == code
            rows = tariff.rows.get(code) if tariff is not None else None
            if rows:
                self._fill_from_table(code, rows, dates, where, out, validity)
            else:
                self._fill_builtin(code, dates, where, out, validity)
        return out

    def _fill_builtin(self, code: str, dates: np.ndarray, where: np.ndarray, out: np.ndarray,
                      validity: Validity) -> None:
        family = self.family_of(code)
        if family is None:
            validity.fail(where, f"unknown price code '{code}'")
            return
        versions = self.versions(family)
        starts = np.array([p.start for p in versions], dtype="datetime64[D]")
        idx = np.searchsorted(starts, dates, side="right") - 1
        validity.fail(where & (idx < 0),
                      f"no {family} price list is in force before {versions[0].valid_from}")
        for i, pl in enumerate(versions):
            sel = where & (idx == i)
            if not sel.any():
                continue
            item = pl.items.get(code)
            if item is None or item.price_e4 is None:
                validity.fail(sel, _no_price_message(pl, code))
            else:
                out[sel] = item.price_e4

    @staticmethod
    def _fill_from_table(code: str, rows: tuple[TariffRow, ...], dates: np.ndarray,
                         where: np.ndarray, out: np.ndarray, validity: Validity) -> None:
        starts = np.array([r.start for r in rows], dtype="datetime64[D]")
        idx = np.searchsorted(starts, dates, side="right") - 1
        validity.fail(where & (idx < 0), f"tariff table: no price for '{code}' on that date")
        for i, row in enumerate(rows):
            sel = where & (idx == i)
            if not sel.any():
                continue
            if row.problem:
                validity.fail(sel, row.problem)
            elif row.price_e4 is None:
                validity.fail(sel, f"tariff table: the price of '{code}' is empty - fill it in")
            else:
                out[sel] = row.price_e4


def _no_price_message(pl: PriceList, code: str) -> str:
    if pl.family == "msign" and code == "sms":
        return ("MS-8: the SMS price is not in mSign's price list - enter it in the tariff "
                "table or as unit_price")
    if pl.family == "esign" and pl.id == "esign-legacy":
        return ("ES-1: subscriptions bought or trialled before 2024-03-28 follow the legacy "
                "eSign plan, whose prices are not in the document - give the price explicitly")
    return f"{pl.name}: no price for '{code}'"


_supplied_texts: dict[str, str] | None = None


def use_texts(texts: Mapping[str, str]) -> None:
    """Use these TOML price lists (by file name) as the built-in ones from now on.

    For runtimes without the packaged files, such as the xlwings Lite bundle in Pyodide."""
    global _supplied_texts
    _supplied_texts = dict(texts)
    builtin.cache_clear()


def builtin_texts() -> dict[str, str]:
    """The built-in TOML price lists, by file name (the packaged files unless ``use_texts``)."""
    if _supplied_texts is not None:
        return dict(_supplied_texts)
    folder = resources.files("pricing.tariffs")
    return {f.name: f.read_text(encoding="utf-8") for f in folder.iterdir()
            if f.name.endswith(".toml")}


@cache
def builtin() -> Catalog:
    """The catalog of all built-in price lists (loaded once)."""
    return Catalog(parse_price_list(t) for t in builtin_texts().values())
