"""What the server tests share: a local Entra ID stand-in (an RSA key, its JWKS file, access
tokens signed here) and a real ``tarifa serve`` on 127.0.0.1 in a subprocess. Offline: the
keys never leave this machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
KID = "tarifa-test-key"

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict:
    """The JWKS document of the test key (what Entra ID's keys URL returns)."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_KEY.public_key()))
    return {"keys": [dict(public, kid=KID, use="sig", alg="RS256")]}


def write_jwks(folder: Path) -> Path:
    path = folder / "jwks.json"
    path.write_text(json.dumps(jwks()), encoding="utf-8")
    return path


def claims(**changes: object) -> dict:
    """An Entra ID v2.0 access token's claims for a user of TENANT, valid for an hour."""
    now = int(time.time())
    base = {"aud": CLIENT_ID, "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
            "tid": TENANT, "iat": now - 10, "nbf": now - 10, "exp": now + 3600,
            "oid": "0000aaaa-0000-0000-0000-000000000001", "ver": "2.0",
            "preferred_username": "ana@example.com", "name": "Ana"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def token(key: object = None, kid: str = KID, algorithm: str = "RS256", **changes: object) -> str:
    """A signed access token (``changes`` alter the claims; None drops one)."""
    return jwt.encode(claims(**changes), key or _KEY, algorithm=algorithm,
                      headers={"kid": kid})


def other_key() -> object:
    return _OTHER_KEY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(*args: str, port: int | None = None, timeout: float = 30,
            scheme: str = "http", verify: object = True) -> Iterator[tuple[str, subprocess.Popen]]:
    """``tarifa serve ARGS`` on 127.0.0.1 in a fresh process; yields its address (``scheme``
    https: TLS, checked with ``verify``) and the process, and stops it after."""
    port = port or free_port()
    env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial")
    proc = subprocess.Popen([sys.executable, "-m", "addin.cli", "serve", "--port", str(port),
                             "--log-level", "warning", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    url = f"{scheme}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(url + "/icon-16.png", timeout=2, verify=verify)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    raise AssertionError(f"tarifa serve exited: {proc.stdout.read()}") from None
                if time.monotonic() > deadline:
                    raise AssertionError(f"tarifa serve did not answer in {timeout} s") from None
                time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def signin_args(jwks_file: Path) -> list[str]:
    """The options of a server that takes TENANT's tokens for CLIENT_ID, keys from a file."""
    return ["--entraid-client-id", CLIENT_ID, "--entraid-tenant-id", TENANT,
            "--jwks-file", str(jwks_file)]



def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (PEM files), valid for a day."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return cert_file, key_file
