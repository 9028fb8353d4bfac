"""Benchmark: the mSign and NENSI engine against bare numpy and a plain Decimal loop.

Run on demand (not a test):  .venv/bin/python bench/engine.py [--n 1000000] [--profile]

* mSign: N line items (random item among the seven priced ones, random used/included,
  package SMART so that storage is allowed) through ``msign.overage``; also N lines of a
  single item per call (one spilling formula per item column).
* NENSI: N products (random entry dates 2020..2026, 1..50 products per line) through
  ``nensi.maintenance`` for June 2026.

Each engine call is compared, in the same run, with
* bare numpy: the formula over the same float arrays with the unit price already given per
  element (``floor(max(used - included, 0) x price x 100 + 0.5) / 100``) -- no validation, no
  exact parsing, no code lookup;
* bare numpy + codes: the same plus mapping the item text column to prices (a dict lookup
  per element -- the least any string column costs in Python);
* a plain Python Decimal loop, run on a 50k slice and extrapolated to N (said in the output).

Times are the best of ``--repeat`` runs, single thread (numpy does not use threads here).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import numpy as np

from pricing import msign, nensi

PRICED = [i for i in msign.ITEMS if i != "sms"]
PRICE = {"transaction": "0.27", "onesign": "0.69", "rekono_qes": "1.18", "rekono_aes": "0.80",
         "user": "6.00", "api": "100.00", "storage_gb": "3.30"}
CENT = Decimal("0.01")
DECIMAL_SLICE = 50_000


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def msign_data(n: int, rng: np.random.Generator):
    k = rng.integers(0, len(PRICED), n)
    # NB: `s + ""` is `s` itself in CPython, so this column holds the same seven str objects
    # (hashes cached); see distinct_cells() for one fresh object per cell
    items = np.array([PRICED[j] + "" for j in k.tolist()], dtype=object)
    used = rng.integers(0, 5000, n).astype(np.float64)
    storage = items == "storage_gb"
    # GB with 2 decimals, made as a worksheet holds them (the nearest double to the decimal;
    # 4321 + 0.37 in floats would be 4321.370000000001, which the engine rightly refuses)
    hundredths = rng.integers(0, 100, int(storage.sum()))
    used[storage] = (used[storage] * 100 + hundredths) / 100
    included = rng.integers(0, 3000, n).astype(np.float64)
    price = np.array([float(PRICE[i]) for i in PRICED])[k]
    return items, used, included, price, storage


def distinct_cells(items: np.ndarray) -> np.ndarray:
    """The same texts as one fresh str object per cell (hash not yet computed), as a
    worksheet column arrives from Excel."""
    return np.array([s.encode().decode() for s in items.tolist()], dtype=object)


def msign_decimal(items, used, included) -> list[int]:
    out = []
    for it, u, i in zip(items.tolist(), used.tolist(), included.tolist(), strict=True):
        excess = max(Decimal(0), Decimal(repr(u)) - Decimal(repr(i)))
        if it == "storage_gb":
            excess = excess.to_integral_value(rounding=ROUND_CEILING)
        amount = (excess * Decimal(PRICE[it])).quantize(CENT, rounding=ROUND_HALF_UP)
        out.append(int(amount / CENT))
    return out


def nensi_data(n: int, rng: np.random.Generator):
    start = np.datetime64("2020-01-01", "D")
    entry = start + rng.integers(0, 7 * 365, n).astype("timedelta64[D]")
    products = rng.integers(1, 51, n).astype(np.float64)
    return entry, np.datetime64("2026-06-01", "D"), products


def nensi_decimal(entry, billing, products) -> list[int]:
    bill_month = billing.astype("datetime64[M]")
    price = Decimal("1.1140")
    out = []
    for e, q in zip(entry.astype("datetime64[M]").tolist(), products.tolist(), strict=True):
        due = np.datetime64(e, "M") < bill_month
        amount = (Decimal(repr(q)) * price if due else Decimal(0))
        out.append(int(amount.quantize(CENT, rounding=ROUND_HALF_UP) / CENT))
    return out


def report(name: str, n: int, rows: list[tuple[str, float]]) -> list[str]:
    engine = rows[0][1]
    lines = [f"\n{name} (N = {n:,})",
             f"  {'':34} {'seconds':>9} {'lines/s':>14} {'speed/engine':>13}"]
    for label, sec in rows:
        lines.append(f"  {label:34} {sec:9.4f} {n / sec:14,.0f} {engine / sec:12.2f}x")
    for line in lines:
        print(line)
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="cProfile one engine call each")
    args = ap.parse_args()
    n, rng = args.n, np.random.default_rng(20261122)

    # --- mSign ---
    items, used, included, price, storage = msign_data(n, rng)
    lookup = {k: float(v) for k, v in PRICE.items()}
    result = msign.overage(items, used, included, "SMART")
    assert result.ok.all(), result.reason[~result.ok][:3]
    sl = slice(0, min(DECIMAL_SLICE, n))
    want = msign_decimal(items[sl], used[sl], included[sl])
    assert result.values[sl].tolist() == want, "engine differs from the Decimal reference"

    def bare():
        ex = np.maximum(used - included, 0)
        ex = np.where(storage, np.ceil(ex), ex)
        return np.floor(ex * price * 100 + 0.5) / 100

    def bare_codes():
        p = np.array(list(map(lookup.__getitem__, items.tolist())))
        ex = np.maximum(used - included, 0)
        ex = np.where(items == "storage_gb", np.ceil(ex), ex)
        return np.floor(ex * p * 100 + 0.5) / 100

    def bare_codes_cells(cells):  # bare_codes on a given text column
        p = np.array(list(map(lookup.__getitem__, cells.tolist())))
        ex = np.maximum(used - included, 0)
        ex = np.where(cells == "storage_gb", np.ceil(ex), ex)
        return np.floor(ex * p * 100 + 0.5) / 100

    def best_fresh(fn, repeat: int) -> float:
        """Like best(), each run on a freshly made column of distinct str objects (made
        outside the timing): a str caches its hash, so a reused column would not show it."""
        times = []
        for _ in range(repeat):
            cells = distinct_cells(items)
            t = time.perf_counter()
            fn(cells)
            times.append(time.perf_counter() - t)
            del cells
        return min(times)

    bare_cents = np.rint(bare()[sl] * 100).astype(np.int64)
    wrong = int((bare_cents != np.array(want)).sum())
    t_dec = best(lambda: msign_decimal(items[sl], used[sl], included[sl]), 1)
    one_used = rng.integers(0, 5000, n).astype(np.float64)
    rows = [
        ("engine msign.overage", best(lambda: msign.overage(items, used, included, "SMART"),
                                      args.repeat)),
        ("bare numpy (prices given)", best(bare, args.repeat)),
        ("bare numpy + code lookup", best(bare_codes, args.repeat)),
        (f"Decimal loop ({sl.stop:,} extrapolated)", t_dec * n / sl.stop),
        ("engine, one str object per cell",
         best_fresh(lambda c: msign.overage(c, used, included, "SMART"), args.repeat)),
        ("bare + code lookup, one str per cell", best_fresh(bare_codes_cells, args.repeat)),
        ("engine, one item per call", best(lambda: msign.overage("transaction", one_used, 1000),
                                           args.repeat)),
        ("bare numpy, one item", best(lambda: np.floor(np.maximum(one_used - 1000, 0) * 0.27
                                                       * 100 + 0.5) / 100, args.repeat)),
    ]
    out = report("mSign overage", n, rows)
    print(f"  engine == Decimal loop on the slice; bare numpy differs on {wrong} of "
          f"{sl.stop:,} lines")

    # --- NENSI ---
    entry, billing, products = nensi_data(n, rng)
    r = nensi.maintenance(entry, billing, products)
    assert r.ok.all()
    want_n = nensi_decimal(entry[sl], billing, products[sl])
    assert r.values[sl].tolist() == want_n, "engine differs from the Decimal reference"
    first_day = billing.astype("datetime64[M]").astype("datetime64[D]")

    def bare_n():
        due = entry < first_day  # entry month before the billing month
        return np.floor(np.where(due, products * 1.114, 0) * 100 + 0.5) / 100

    bare_n_cents = np.rint(bare_n()[sl] * 100).astype(np.int64)
    wrong_n = int((bare_n_cents != np.array(want_n)).sum())
    t_dec_n = best(lambda: nensi_decimal(entry[sl], billing, products[sl]), 1)
    rows_n = [
        ("engine nensi.maintenance", best(lambda: nensi.maintenance(entry, billing, products),
                                          args.repeat)),
        ("bare numpy", best(bare_n, args.repeat)),
        (f"Decimal loop ({sl.stop:,} extrapolated)", t_dec_n * n / sl.stop),
    ]
    out += report("NENSI maintenance", n, rows_n)
    print(f"  engine == Decimal loop on the slice; bare numpy differs on {wrong_n} of "
          f"{sl.stop:,} lines")


    if args.profile:
        for label, fn in (("msign.overage", lambda: msign.overage(items, used, included,
                                                                  "SMART")),
                          ("nensi.maintenance", lambda: nensi.maintenance(entry, billing,
                                                                          products))):
            print(f"\nprofile of one {label} call (tottime)")
            prof = cProfile.Profile()
            prof.runcall(fn)
            pstats.Stats(prof).sort_stats("tottime").print_stats(12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
