"""``tarifa serve`` deployable for a company: https manifest from the settings only, a sub-path
behind a reverse proxy, no docs routes, a body limit enforced before reading, deadlines for
idle and half-open connections, calls off the event loop, several worker processes.

MS-1 for the numbers: 120 used, 100 included -> 20 x 0.27 = 5.40 EUR.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
from fastapi.testclient import TestClient

from addin import server
from addin.server.settings import AUTH_NONE, Settings
from tests import serverkit as kit
from tests.officejs import body

MS1 = body("MSIGN_OVERAGE", "transaction", 120, 100)


def _client(**changes) -> TestClient:
    settings = Settings(license_key="noncommercial", auth=AUTH_NONE, **changes)
    return TestClient(server.create_app(settings))


def test_the_manifest_is_https_and_ignores_the_host_header():
    xml = _client().get("/manifest.xml", headers={"Host": "evil.example"}).text
    root = ET.fromstring(xml)
    urls = [e.get("DefaultValue") for e in root.iter()
            if (e.get("DefaultValue") or "").startswith("http")]
    assert len(urls) >= 8 and all(u.startswith("https://localhost:8000/") for u in urls), urls
    assert "evil.example" not in xml


def test_behind_a_proxy_at_a_sub_path_every_url_carries_it():
    client = _client(base_url="https://tools.example.com/tarifa")
    xml = client.get("/manifest.xml").text
    assert 'DefaultValue="https://tools.example.com/tarifa/xlwings/custom-functions-code"' in xml
    assert "<AppDomain>https://tools.example.com</AppDomain>" in xml
    code = client.get("/tarifa" + server.CODE_PATH).text
    assert '"callPath": "/tarifa/xlwings/custom-functions-call"' in code
    page = client.get("/tarifa/taskpane").text
    assert 'src="/tarifa/xlwings/custom-functions-code"' in page
    assert "href='/tarifa/manifest.xml'" in client.get("/tarifa/").text
    # the proxy may pass the prefix on or strip it: both reach the function
    for path in ("/tarifa" + server.CALL_PATH, server.CALL_PATH):
        assert client.post(path, json=MS1).json() == {"result": [[5.40]]}  # MS-1
    # an explicit root path wins over the URL's path
    other = Settings(base_url="https://h.example/a", root_path="/b", auth=AUTH_NONE)
    assert other.prefix() == "/b"


def test_no_openapi_or_docs_routes():
    client = _client()
    for path in ("/openapi.json", "/docs", "/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path


def _raw(port: int, data: bytes, wait: float = 10) -> bytes | None:
    """Send ``data`` on a new connection; what comes back until the server closes it, or None
    if it is still open after ``wait`` seconds."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                return out
            out += chunk
        return None


@pytest.fixture(scope="module")
def small_server():
    """A server with a 1 MB body limit and a 1 s idle deadline."""
    port = kit.free_port()
    with kit.serving("--no-auth", "--max-body-mb", "1", "--idle-timeout", "1",
                     port=port) as (url, _):
        yield url, port


def test_a_body_over_the_limit_is_413_before_it_is_read(small_server):
    url, port = small_server
    # 500 MB announced, not one byte sent: the answer comes at once
    head = (f"POST {server.CALL_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {500 * 2**20}\r\n\r\n").encode()
    started = time.monotonic()
    answer = _raw(port, head, wait=5)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 3
    assert b"more than this server takes (1 MB)" in answer
    # without a declared length (chunked), refused once more than 1 MB has arrived
    chunk = b"[" * 65536
    chunked = (f"POST {server.CALL_PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               .encode() + (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * 20)
    assert _raw(port, chunked, wait=5).startswith(b"HTTP/1.1 413")
    # under the limit it is served
    assert httpx.post(url + server.CALL_PATH, json=MS1).json() == {"result": [[5.40]]}


def test_large_calls_beyond_the_in_flight_budget_are_503(small_server):
    # four 1,000,000-byte bodies announced and not sent hold 4 of the 4 MiB a worker takes
    url, port = small_server
    head = (f"POST {server.CALL_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            "\r\nContent-Length: 1000000\r\n\r\n").encode()
    held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
    big = body("MSIGN_OVERAGE", "transaction", [[120]] * 60_000, 100)  # ~0.4 MB
    try:
        for s in held:
            s.sendall(head)
        deadline = time.monotonic() + 20  # a crowded machine may take a while to read them
        while True:
            time.sleep(0.5)
            refused = httpx.post(url + server.CALL_PATH, json=big, timeout=30)
            if refused.status_code != 200 or time.monotonic() > deadline:
                break
        assert refused.status_code == 503 and "busy" in refused.json()["detail"]
        # a small call still fits
        assert httpx.post(url + server.CALL_PATH, json=MS1).json() == {"result": [[5.40]]}
    finally:
        for s in held:
            s.close()
    time.sleep(1)  # the server sees them go and lets their bytes go
    answer = httpx.post(url + server.CALL_PATH, json=big, timeout=60)
    assert answer.status_code == 200 and answer.json()["result"][0] == [5.40]  # MS-1


def test_half_open_and_idle_connections_are_closed(small_server):
    _, port = small_server
    for data in (b"GET / HTTP/1.1\r\nHost: x\r\n",  # headers begun, never finished
                 b"",  # nothing at all
                 # one request answered, the next one begun: closed after the answer
                 b"GET /icon-16.png HTTP/1.1\r\nHost: x\r\n\r\nGET /icon-16.png HTTP/1.1\r\n"):
        started = time.monotonic()
        answer = _raw(port, data, wait=8)
        assert answer is not None, data  # closed by the server, not held
        assert time.monotonic() - started < 4  # the deadline is 1 s
        assert answer.count(b"HTTP/1.1 200") == data.count(b"\r\n\r\n")


def test_many_half_open_connections_are_all_closed(small_server):
    _, port = small_server
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(200)]
    try:
        for s in sockets:
            s.sendall(b"POST /xlwings/custom-functions-call HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        closed = 0
        for s in sockets:
            s.settimeout(max(0.1, 6 - (time.monotonic() - started)))
            try:
                closed += s.recv(1) == b""
            except TimeoutError:
                pass
        assert closed == 200  # none held past the 1 s deadline (6 s allowed for a busy box)
    finally:
        for s in sockets:
            s.close()


def test_a_small_call_is_not_held_back_by_a_large_one():
    # one client sends 300,000 rows; while it is computed, a 1-cell call is answered
    with kit.serving("--no-auth") as (url, _):
        big = body("MSIGN_OVERAGE", "transaction", [[120]] * 300_000, 100)
        done: dict[str, float] = {}

        def send_big() -> None:
            httpx.post(url + server.CALL_PATH, json=big, timeout=120).raise_for_status()
            done["big"] = time.monotonic()

        thread = threading.Thread(target=send_big)
        thread.start()
        time.sleep(0.3)  # the big body is on its way or being computed
        small_started = time.monotonic()
        answer = httpx.post(url + server.CALL_PATH, json=MS1, timeout=60).json()
        done["small"] = time.monotonic()
        thread.join(timeout=120)
        assert answer == {"result": [[5.40]]}  # MS-1
        assert "big" in done and done["small"] < done["big"], done
        assert done["small"] - small_started < done["big"] - small_started


def test_workers_are_separate_processes():
    with kit.serving("--no-auth", "--workers", "2", timeout=60) as (url, proc):
        answers = [httpx.post(url + server.CALL_PATH, json=MS1, timeout=30).json()
                   for _ in range(4)]
        assert answers == [{"result": [[5.40]]}] * 4  # MS-1
        children = subprocess.run(["ps", "--ppid", str(proc.pid), "-o", "cmd="],
                                  capture_output=True, text=True).stdout.splitlines()
        workers = [c for c in children if "multiprocessing.spawn" in c]
        assert len(workers) == 2, children


def test_the_meta_route_is_the_same_json_behind_the_prefix():
    client = _client(root_path="/t")
    assert json.loads(client.get("/t" + server.META_PATH).text) == \
        client.get(server.META_PATH).json()


def test_tls_with_sign_in(tmp_path):
    # what a company runs without a proxy: TLS and sign-in in tarifa serve itself
    cert, key = kit.self_signed(tmp_path)
    trust = ssl.create_default_context(cafile=str(cert))
    jwks_file = kit.write_jwks(tmp_path)
    with kit.serving(*kit.signin_args(jwks_file), "--ssl-certfile", str(cert), "--ssl-keyfile",
                     str(key), scheme="https", verify=trust) as (url, _):
        assert url.startswith("https://")
        headers = {"Authorization": f"Bearer {kit.token()}"}
        answer = httpx.post(url + server.CALL_PATH, json=MS1, headers=headers, verify=trust)
        assert answer.json() == {"result": [[5.40]]}  # MS-1
        assert httpx.post(url + server.CALL_PATH, json=MS1, verify=trust).status_code == 401
