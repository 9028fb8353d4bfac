"""Benchmark: ``tarifa serve`` under load, sign-in on, on loopback (issue 11).

    .venv/bin/python bench/server.py [--requests 10000] [--concurrency 16] [--workers 1 2]

Side by side in one run, each against a fresh ``tarifa serve`` on 127.0.0.1 with Entra ID
sign-in on (a local RSA key and its JWKS file; every request carries a signed token):

1. the mix, for 1 and for 2 worker processes: ``--requests`` calls of ``MSIGN_OVERAGE``, 90 %
   one cell, 9.5 % 1,000 rows, 0.5 % 100,000 rows, shuffled with a fixed seed, sent by an httpx
   asyncio client with ``--concurrency`` calls in flight. Reported: requests/s, p50/p99 latency
   (all, and per kind), errors (any answer but 200 with the right numbers), the RSS of each of
   the server's processes (supervisor, workers, their large-call processes) after warm-up (10 %
   of the requests), at the end and at most, and the CPU seconds they spent -> requests per
   worker-CPU-second (the load client shares the machine's 2 cores, so
   requests/s alone understates what a second core gives);
2. isolation: with 1 worker, one client sends 1,000,000-row calls back to back while another
   sends 1-cell calls one after the other: the 1-cell calls' p50/p99/max;
3. the share of one 100,000-row call's server time spent decoding its JSON body (json, and
   orjson if installed), measured in-process.

Bounded: a fixed number of requests, every request with a timeout, the servers stopped after.
The numbers the 1-cell calls must give: MS-1, 120 used, 100 included -> 20 x 0.27 = 5.40 EUR.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CALL = "/xlwings/custom-functions-call"
TICK = os.sysconf("SC_CLK_TCK")


def body(used: list[list[int]] | int) -> bytes:
    """=TARIFA.MSIGN_OVERAGE("transaction", used, 100) as Excel posts it."""
    used = used if isinstance(used, list) else [[used]]
    return json.dumps({
        "client": "Office.js", "func_name": "MSIGN_OVERAGE",
        "args": [[["transaction"]], used, [[100]]],
        "caller_address": "Office.js[Tarifa.xlsx]mSign!F2", "content_language": "en-US",
        "culture_info_name": "en-US", "date_format": "yyyy-mm-dd", "session_id": "bench",
        "version": "0.37.8", "runtime": "1.4"}).encode()


def rows(n: int) -> list[list[int]]:
    return [[120 + i % 7] for i in range(n)]  # 120..126 used: 20..26 x 0.27 EUR (MS-1)


def expected(n: int) -> float:
    return round(sum((20 + i % 7) * 27 for i in range(n)) / 100, 2)


# --- the server ------------------------------------------------------------------------------


def keys(folder: Path) -> tuple[Path, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    path = folder / "jwks.json"
    path.write_text(json.dumps({"keys": [dict(public, kid="bench", use="sig", alg="RS256")]}))
    now = int(time.time())
    token = jwt.encode({"aud": CLIENT_ID, "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
                        "tid": TENANT, "iat": now, "nbf": now, "exp": now + 7200,
                        "preferred_username": "bench@example.com", "oid": "bench"},
                       key, algorithm="RS256", headers={"kid": "bench"})
    return path, token


def start(workers: int, jwks: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.Popen(
        [sys.executable, "-m", "addin.cli", "serve", "--port", str(port), "--workers",
         str(workers), "--log-level", "warning", "--entraid-client-id", CLIENT_ID,
         "--entraid-tenant-id", TENANT, "--jwks-file", str(jwks)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/icon-16.png", timeout=2)
            # the supervisor (N > 1), N workers, one large-call process each
            if len(processes(proc.pid)) >= (1 if workers > 1 else 0) + 2 * workers:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise SystemExit("tarifa serve did not start")
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("tarifa serve did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def processes(pid: int) -> list[int]:
    """The server's processes: ``pid``, its workers (N > 1) and their large-call processes,
    without multiprocessing's resource trackers."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True,
                         text=True).stdout.splitlines()
    children: dict[int, list[tuple[int, str]]] = {}
    for line in out:
        parts = line.split(None, 2)
        if len(parts) >= 2:
            args = parts[2] if len(parts) == 3 else ""
            children.setdefault(int(parts[1]), []).append((int(parts[0]), args))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(c for c, args in children.get(p, []) if "resource_tracker" not in args)
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of all the server's processes, so far."""
    total = 0.0
    for p in processes(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return total


def rss_mb(pids: list[int]) -> list[float]:
    out = []
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(int(line.split()[1]) / 1024)
    return out


# --- the load --------------------------------------------------------------------------------


def mix(n: int) -> list[str]:
    """90 % 1 cell, 9.5 % 1,000 rows, 0.5 % 100,000 rows (at least one), shuffled."""
    large = max(1, round(n * 0.005))
    medium = round(n * 0.095)
    out = ["1 cell"] * (n - medium - large) + ["1,000 rows"] * medium + ["100,000 rows"] * large
    random.Random(11).shuffle(out)
    return out


SIZES = {"1 cell": 1, "1,000 rows": 1_000, "100,000 rows": 100_000}


def check(kind: str, answer: dict) -> bool:
    result = answer.get("result")
    n = SIZES[kind]
    if not isinstance(result, list) or len(result) != n:
        return False
    return round(sum(r[0] for r in result), 2) == expected(n)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0


async def load(url: str, token: str, kinds: list[str], concurrency: int,
               pids: list[int]) -> dict:
    bodies = {k: body(rows(n)) for k, n in SIZES.items()}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: dict[str, list[float]] = {k: [] for k in SIZES}
    errors = 0
    rss_warm: list[float] = []
    rss_max = [0.0] * len(pids)
    done = 0
    queue = list(enumerate(kinds))
    warm = len(kinds) // 10
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:

        async def worker() -> None:
            nonlocal errors, done, rss_warm
            while queue:
                _, kind = queue.pop()
                started = time.perf_counter()
                try:
                    response = await client.post(CALL, content=bodies[kind], headers=headers)
                    ok = response.status_code == 200 and check(kind, response.json())
                except httpx.HTTPError:
                    ok = False
                latencies[kind].append(time.perf_counter() - started)
                errors += not ok
                done += 1
                if done == warm:
                    rss_warm = rss_mb(pids)

        async def sample() -> None:
            while queue or done < len(kinds):
                for i, v in enumerate(rss_mb(pids)):
                    rss_max[i] = max(rss_max[i], v)
                await asyncio.sleep(0.5)

        started = time.perf_counter()
        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        sampler.cancel()
    return {"elapsed": elapsed, "latencies": latencies, "errors": errors,
            "rss_warm": rss_warm, "rss_end": rss_mb(pids), "rss_max": rss_max}


async def isolation(url: str, token: str, big_calls: int) -> dict:
    """1,000,000-row calls back to back from one client; 1-cell calls from another."""
    big = body(rows(1_000_000))
    small = body(120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    small_latencies: list[float] = []
    big_latencies: list[float] = []
    errors = 0
    running = True
    async with httpx.AsyncClient(base_url=url, timeout=300) as heavy, \
            httpx.AsyncClient(base_url=url, timeout=60) as light:

        async def send_big() -> None:
            nonlocal running, errors
            for _ in range(big_calls):
                started = time.perf_counter()
                response = await heavy.post(CALL, content=big, headers=headers)
                big_latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200
            running = False

        async def send_small() -> None:
            nonlocal errors
            await asyncio.sleep(0.2)
            while running:
                started = time.perf_counter()
                response = await light.post(CALL, content=small, headers=headers)
                small_latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200 or response.json() != {"result": [[5.4]]}
                await asyncio.sleep(0.05)

        await asyncio.gather(send_big(), send_small())
    return {"small": small_latencies, "big": big_latencies, "errors": errors,
            "body_mb": len(big) / 2**20}


def decode_share(repeat: int = 3) -> dict:
    """In-process: one 100,000-row call's server time and the part spent in json.loads."""
    os.environ.setdefault("XLWINGS_ON_SERVER", "true")
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    from addin.server import calls
    from udfs import functions

    raw = body(rows(100_000))
    best = {}

    def timed(name: str, fn) -> None:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        best[name] = min(times)

    timed("whole call (decode, compute, encode)", lambda: calls.run(raw, functions))
    timed("json.loads", lambda: json.loads(raw))
    try:
        import orjson

        timed("orjson.loads", lambda: orjson.loads(raw))
        answer = calls.run(raw, functions)
        parsed = json.loads(answer)
        timed("json.dumps (answer)", lambda: json.dumps(parsed, separators=(",", ":")))
        timed("orjson.dumps (answer)", lambda: orjson.dumps(parsed))
    except ImportError:
        best["orjson"] = None
    best["body MB"] = len(raw) / 2**20
    return best


# --- report ----------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--big-calls", type=int, default=4,
                        help="1,000,000-row calls in the isolation run (default 4)")
    args = parser.parse_args()
    port = 18_000 + os.getpid() % 1000
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        jwks, token = keys(Path(folder))
        for workers in args.workers:
            proc = start(workers, jwks, port)
            try:
                pids = processes(proc.pid)
                cpu0 = cpu_seconds(proc.pid)
                r = asyncio.run(load(f"http://127.0.0.1:{port}", token, mix(args.requests),
                                     args.concurrency, pids))
                r["cpu"] = cpu_seconds(proc.pid) - cpu0
            finally:
                stop(proc)
            results[workers] = r
            all_lat = [x for v in r["latencies"].values() for x in v]
            print(f"\n{workers} worker(s): {args.requests} requests in {r['elapsed']:.1f} s = "
                  f"{args.requests / r['elapsed']:.0f} requests/s, errors {r['errors']}, "
                  f"server CPU {r['cpu']:.1f} s = {args.requests / r['cpu']:.0f} requests per "
                  f"worker-CPU-second")
            print(f"  latency all: p50 {ms(pct(all_lat, 50))}, p99 {ms(pct(all_lat, 99))}")
            for kind, lat in r["latencies"].items():
                print(f"  {kind:>12} ({len(lat)}): p50 {ms(pct(lat, 50))}, "
                      f"p99 {ms(pct(lat, 99))}, max {ms(max(lat) if lat else 0)}")
            print(f"  RSS MB per process: after warm-up {[round(x) for x in r['rss_warm']]}, "
                  f"end {[round(x) for x in r['rss_end']]}, max {[round(x) for x in r['rss_max']]}")
        if 1 in results and 2 in results:
            per_cpu = [args.requests / results[w]["cpu"] for w in (1, 2)]
            rps = [args.requests / results[w]["elapsed"] for w in (1, 2)]
            print(f"\n2 workers / 1 worker: requests per worker-CPU-second "
                  f"{per_cpu[1] / per_cpu[0]:.2f} (goal within 15 %: 0.85..1.15), "
                  f"throughput {rps[1] / rps[0]:.2f}x")
        proc = start(1, jwks, port)
        try:
            iso = asyncio.run(isolation(f"http://127.0.0.1:{port}", token, args.big_calls))
        finally:
            stop(proc)
    small = iso["small"]
    print(f"\nIsolation, 1 worker: {len(iso['big'])} calls of 1,000,000 rows "
          f"({iso['body_mb']:.1f} MB each, {statistics.mean(iso['big']):.1f} s each) while "
          f"{len(small)} 1-cell calls: p50 {ms(pct(small, 50))}, p99 {ms(pct(small, 99))}, max "
          f"{ms(max(small) if small else 0)} (goal p99 < 500 ms); errors {iso['errors']}")
    share = decode_share()
    print("\nOne 100,000-row call, in-process (best of 3):")
    for name, value in share.items():
        if isinstance(value, float) and name != "body MB":
            print(f"  {name:>38}: {ms(value)}")
    whole = share["whole call (decode, compute, encode)"]
    print(f"  body {share['body MB']:.1f} MB; json.loads = {share['json.loads'] / whole:.0%} "
          "of the call")
    return 0


if __name__ == "__main__":
    sys.exit(main())
