"""Benchmark: one worksheet-function call over a whole column, through xlwings' Office.js path.

    .venv/bin/python bench/udf_call.py [--rows 100000]

Measured side by side in one run, every call through ``xlwings.server.custom_functions_call``
with the JSON body Excel's Office.js runtime sends (xlwings Lite and Server):

* ``MSIGN_OVERAGE`` once over N rows (item, used, included columns);
* (a) an identity function over the same three columns with xlwings' default converters
  (what a plain ``@func`` costs before any pricing is done);
* (b) 1,000 single-cell ``MSIGN_OVERAGE`` calls, extrapolated to N (one formula per row);

plus where the time of our call goes (reading the cells, the engine, building the result,
xlwings' return conversion) and the JSON encoding of the response, which every runtime pays.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ.setdefault("XLWINGS_ENVIRONMENT", "prod")
os.environ.setdefault("XLWINGS_ENABLE_SOCKETIO", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import xlwings  # noqa: E402
from xlwings import func  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

from udfs import functions  # noqa: E402


@func
def IDENTITY(item, used, included):
    """xlwings' default conversion of three columns in, one column out."""
    return [[x] for x in included]


def body(func_name: str, args: list[object]) -> dict:
    return {"client": "Office.js", "func_name": func_name, "args": args,
            "caller_address": "Office.js[Tarifa.xlsx]mSign!F2", "session_id": "bench",
            "culture_info_name": "en-US", "date_format": "yyyy-mm-dd",
            "version": xlwings.__version__, "runtime": "1.4"}


def columns(n: int) -> list[list[list[object]]]:
    rng = np.random.default_rng(7)
    items = np.array(["transaction", "onesign", "rekono_qes", "rekono_aes", "user", "api"])
    item = [[str(x)] for x in items[rng.integers(0, len(items), n)]]
    used = [[int(x)] for x in rng.integers(0, 5000, n)]
    included = [[int(x)] for x in rng.integers(0, 3000, n)]
    return [item, used, included]


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def run_call(module, data: dict) -> object:
    return asyncio.run(custom_functions_call(data, module))  # it does not modify ``data``


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=1_000)
    n = parser.parse_args().rows
    single_n = parser.parse_args().single
    args = columns(n)
    ours_t, ours = timed(lambda: run_call(functions, body("MSIGN_OVERAGE", args)))
    assert len(ours) == n and all(isinstance(r[0], float) for r in ours)
    ident_t, ident = timed(lambda: run_call(sys.modules[__name__], body("IDENTITY", args)), 1)
    assert len(ident) == n

    def singles() -> None:
        for i in range(single_n):
            run_call(functions, body("MSIGN_OVERAGE", [[[a[i][0]]] for a in args]))
    single_t, _ = timed(singles, 1)
    single_full = single_t * n / single_n

    # where our call's time goes
    from udfs import excel_values as xv

    spec = functions.MSIGN_OVERAGE.__tarifa__
    raw = [a for a in args] + [None, None, None]
    read_t, _ = timed(lambda: [spec.kinds[k].read(r, k) for k, r in zip(spec.names, raw,
                                                                            strict=True)])
    eval_t, outcome = timed(lambda: spec.evaluate(raw))
    from udfs.worksheet import _values
    build_t, grid = timed(lambda: _values(spec, outcome))
    conv_t, converted = timed(lambda: xv.officejs(grid, "1.4", "yyyy-mm-dd"))
    json_t, _ = timed(lambda: json.dumps({"result": converted}))

    print(f"MSIGN_OVERAGE over {n:,} rows through custom_functions_call (Office.js body)")
    print(f"  ours, one call                      {ours_t:8.3f} s")
    print(f"  (a) identity, xlwings default conv. {ident_t:8.3f} s   ours/(a) = "
          f"{ours_t / ident_t:.3f}")
    print(f"  (b) {single_n:,} single-cell calls x {n // single_n}     {single_full:8.3f} s   "
          f"ours/(b) = {ours_t / single_full:.4f}")
    print("  where our call goes:")
    print(f"    reading the cells (3 columns)     {read_t:8.3f} s")
    print(f"    reading + engine (evaluate)       {eval_t:8.3f} s")
    print(f"    building the 2-D result           {build_t:8.3f} s")
    print(f"    return conversion (officejs)      {conv_t:8.3f} s")
    print(f"  JSON encoding of the response       {json_t:8.3f} s   (every runtime pays it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
