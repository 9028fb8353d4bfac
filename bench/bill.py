"""Benchmark of ``tarifa bill`` on a big month (issue 8, item 9): run on demand, not a test.

    .venv/bin/python bench/bill.py [--rows 1000000] [--baseline REV] [--cache DIR]

Builds a template whose mSign usage Table holds N rows (500 customers, every item but sms),
then bills it in a fresh Python process per code version and prints, side by side in one run:
the read, price and write seconds (in-process phases of the same calls ``tarifa bill`` makes)
and the peak resident memory of each phase (Linux ``VmHWM``, reset between phases) and of the
whole process. ``--baseline REV`` runs a git revision of this repository (exported with
``git archive`` to a temporary folder) next to the working tree, so the ratios come from one
run on the same machine load. ``--cache DIR`` keeps the built input between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import datetime as dt, json, sys, time, zipfile
from pathlib import Path

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")

def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass

from workbook.usage import read_template
from workbook.billrun import price_month
from workbook.bills import write_bills

src, out = Path(sys.argv[1]), Path(sys.argv[2])
res = {}
reset_peak(); t0 = time.perf_counter()
tables = read_template(src)
t1 = time.perf_counter(); res["read"] = (t1 - t0, peak_mb())
reset_peak()
run = price_month(tables, dt.date(2025, 5, 1))
t2 = time.perf_counter(); res["price"] = (t2 - t1, peak_mb())
reset_peak()
try:  # as tarifa bill writes them: each line's item, unit and period (issue 9 item 7)
    from workbook.invoice.lines import LineItems
    extra = {"items": LineItems(tables, dt.date(2025, 5, 1)).of}
except ImportError:  # a baseline from before
    extra = {}
write_bills(run, out, **extra)
t3 = time.perf_counter(); res["write"] = (t3 - t2, peak_mb())
with zipfile.ZipFile(out) as z:
    sheets = sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
res["lines"] = sum(len(c.lines) for c in run.customers.values() if not c.held)
res["sheets"] = len(sheets)
res["out_mb"] = out.stat().st_size / 1e6
print("RESULT " + json.dumps(res))
"""

ITEMS = ("transaction", "onesign", "user", "rekono_qes", "api", "storage_gb")


def build_input(path: Path, n: int) -> Path:
    """A template with n mSign usage rows (built once; cached with --cache)."""
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    from workbook.template import build

    may = dt.datetime(2025, 5, 1)
    rows = [[f"Customer {i % 500:03d}", may, "SMART", ITEMS[i % 6], 100 + i % 37,
             50 + (i % 7) / 10 if ITEMS[i % 6] == "storage_gb" else 50, None, "bench"]
            for i in range(n)]
    start = time.perf_counter()
    tmp = path.with_suffix(".part.xlsx")
    build(tmp, tables={"Usage_mSign": rows})
    os.replace(tmp, path)
    print(f"built {path} ({n:,} rows) in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def child(code_root: Path, src: Path, out: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(code_root))
    start = time.perf_counter()
    with subprocess.Popen([sys.executable, "-c", CHILD, str(src), str(out)], cwd=code_root,
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as p:
        stdout, stderr = p.communicate()
    whole = time.perf_counter() - start
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        raise SystemExit(f"{code_root}: the run failed:\n{stderr[-2000:]}")
    res = json.loads(lines[-1][7:])
    res["process"] = whole
    res["process_peak_mb"] = max(v[1] for k, v in res.items()
                                 if k in ("read", "price", "write"))
    return res


def export(rev: str, folder: Path) -> Path:
    dest = folder / f"rev-{rev.replace('/', '_')}"
    dest.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--baseline", help="a git revision to run beside the working tree")
    p.add_argument("--cache", type=Path, help="keep the built input in this folder")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="tarifa-bench-bill-") as tmp:
        folder = Path(tmp)
        cache = args.cache or folder
        cache.mkdir(parents=True, exist_ok=True)
        src = build_input(cache / f"bill-{args.rows}.xlsx", args.rows)
        versions = {"working tree": ROOT}
        if args.baseline:
            versions = {f"baseline {args.baseline}": export(args.baseline, folder), **versions}
        results = {}
        for name, code in versions.items():
            results[name] = child(code, src, folder / "bills.xlsx")
            print(f"{name}: {json.dumps(results[name])}", flush=True)
        print(f"\ntarifa bill, {args.rows:,} mSign usage rows (one process each, one run):")
        print(f"  {'version':28s} {'read':>7} {'price':>7} {'write':>7} {'p+w / read':>10} "
              f"{'peak MB r/p/w':>18} {'sheets':>6}")
        for name, r in results.items():
            ratio = (r["price"][0] + r["write"][0]) / r["read"][0]
            mem = "/".join(f"{r[k][1]:.0f}" for k in ("read", "price", "write"))
            print(f"  {name:28s} {r['read'][0]:6.1f}s {r['price'][0]:6.1f}s "
                  f"{r['write'][0]:6.1f}s {ratio:10.2f} {mem:>18} {r['sheets']:>6}")
        if len(results) == 2:
            (_, a), (_, b) = results.items()
            for k in ("price", "write"):
                print(f"  {k}: working tree / baseline = {b[k][0] / a[k][0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
