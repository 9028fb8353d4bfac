"""Sign-in of ``tarifa serve``: Entra ID access tokens checked with PyJWT against a JWKS, offline
(a local RSA key; tokens signed in the test). MS-1 for the numbers: 120 used, 100 included ->
20 x 0.27 EUR = 5.40 EUR.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys

import jwt
import pytest
from fastapi.testclient import TestClient

from addin import server
from addin.server.auth import AuthError, EntraID, KeySet
from addin.server.settings import AUTH_NONE, Settings
from tests import serverkit as kit
from tests.officejs import body

MS1 = body("MSIGN_OVERAGE", "transaction", 120, 100)


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory):
    return kit.write_jwks(tmp_path_factory.mktemp("keys"))


def _settings(jwks_file, **changes) -> Settings:
    return Settings(license_key="noncommercial", entraid_client_id=kit.CLIENT_ID,
                    entraid_tenant_id=kit.TENANT, jwks_file=str(jwks_file), **changes)


@pytest.fixture(scope="module")
def client(jwks_file) -> TestClient:
    return TestClient(server.create_app(_settings(jwks_file)))


def _call(client, token: str | None, data: dict = MS1):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(server.CALL_PATH, json=data, headers=headers)


def test_ms1_a_valid_token_gets_the_value(client):
    response = _call(client, kit.token())
    assert response.status_code == 200
    assert response.json() == {"result": [[5.40]]}  # MS-1: 20 x 0.27


def test_no_token_is_401_with_a_message_for_the_cell(client):
    response = client.post(server.CALL_PATH, json=MS1)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "not signed in" in response.json()["detail"]
    for header in ("Bearer", "Basic abc", "Bearer ", "bogus"):
        r = client.post(server.CALL_PATH, json=MS1, headers={"Authorization": header})
        assert r.status_code == 401, header


@pytest.mark.parametrize("bad, says", [
    (dict(exp=1_000_000_000), "expired"),  # 2001
    (dict(aud="ffffffff-0000-0000-0000-000000000000"), "audience"),
    (dict(tid=kit.OTHER_TENANT,
          iss=f"https://login.microsoftonline.com/{kit.OTHER_TENANT}/v2.0"), "tenant"),
    (dict(tid=kit.OTHER_TENANT), "tenant"),  # our issuer, another tenant id
    (dict(iss="https://login.microsoftonline.com/common/v2.0"), "tenant"),
    (dict(tid=None), "tid"),
    (dict(exp=None), "exp"),
    (dict(nbf=4_000_000_000), "not valid yet"),
])
def test_a_token_that_fails_a_check_is_401(client, bad, says):
    response = _call(client, kit.token(**bad))
    assert response.status_code == 401
    assert says in response.json()["detail"]


def test_a_tampered_token_is_401(client):
    head, payload, signature = kit.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["preferred_username"] = "mallory@example.com"  # the signature no longer matches
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = _call(client, f"{head}.{forged}.{signature}")
    assert response.status_code == 401 and "not valid" in response.json()["detail"]


def test_tokens_signed_otherwise_are_401(client, jwks_file):
    # another key under our key id; an unknown key id; no signature ("none"); HS256 with the
    # public key as secret (the algorithm confusion attack)
    assert _call(client, kit.token(key=kit.other_key())).status_code == 401
    assert _call(client, kit.token(kid="unknown")).status_code == 401
    unsigned = jwt.encode(kit.claims(), None, algorithm="none", headers={"kid": kit.KID})
    assert _call(client, unsigned).status_code == 401
    assert _call(client, _hs256(json.dumps(kit.jwks()["keys"][0]).encode())).status_code == 401
    assert _call(client, "not.a.token").status_code == 401


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256(secret: bytes) -> str:
    """A token MACed with ``secret`` (PyJWT itself refuses to make one with a public key)."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kit.KID}).encode())
    payload = _b64(json.dumps(kit.claims()).encode())
    mac = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{_b64(mac)}"


def test_a_v1_token_for_the_app_id_uri_is_accepted(jwks_file):
    settings = _settings(jwks_file)
    entraid = EntraID(settings)
    user = entraid.user("Bearer " + kit.token(
        aud=settings.app_id_uri(), iss=f"https://sts.windows.net/{kit.TENANT}/", ver="1.0",
        preferred_username=None, upn="bo@example.com"))
    assert (user.name, user.tenant) == ("bo@example.com", kit.TENANT)


def test_allowed_users_and_groups(jwks_file):
    entraid = EntraID(_settings(jwks_file, allowed_users=("Ana@Example.com",),
                                allowed_groups=("finance-group-id", "Tarifa.User")))
    assert entraid.user("Bearer " + kit.token()).name == "ana@example.com"
    carl = kit.token(preferred_username="carl@example.com", oid="c")
    with pytest.raises(AuthError) as e:
        entraid.user("Bearer " + carl)
    assert e.value.status == 403 and "carl@example.com" in e.value.message
    in_group = kit.token(preferred_username="dan@example.com", groups=["finance-group-id"])
    with_role = kit.token(preferred_username="eve@example.com", roles=["Tarifa.User"])
    assert entraid.user("Bearer " + in_group).name == "dan@example.com"
    assert entraid.user("Bearer " + with_role).name == "eve@example.com"


def test_several_allowed_tenants(jwks_file):
    entraid = EntraID(_settings(jwks_file, allowed_tenants=(kit.TENANT, kit.OTHER_TENANT)))
    other = kit.token(tid=kit.OTHER_TENANT,
                      iss=f"https://login.microsoftonline.com/{kit.OTHER_TENANT}/v2.0")
    assert entraid.user("Bearer " + other).tenant == kit.OTHER_TENANT


def test_unreadable_keys_are_503(tmp_path):
    keys = KeySet(str(tmp_path / "missing.json"))
    with pytest.raises(AuthError) as e:
        keys.key_for(kit.token())
    assert e.value.status == 503


def test_sign_in_is_the_default_and_needs_its_settings():
    assert Settings().signs_in()
    with pytest.raises(ValueError, match="client-id"):
        Settings().check()
    with pytest.raises(ValueError, match="tenant"):
        Settings(entraid_client_id=kit.CLIENT_ID).check()
    with pytest.raises(ValueError, match="GUID"):
        Settings(entraid_client_id=kit.CLIENT_ID, entraid_tenant_id="contoso").check()


def test_no_auth_only_on_loopback_and_plain_http_beyond_it_only_when_asked():
    Settings(auth=AUTH_NONE).check_serving()  # 127.0.0.1
    with pytest.raises(ValueError, match="--no-auth"):
        Settings(auth=AUTH_NONE, host="0.0.0.0").check_serving()
    signed = dict(entraid_client_id=kit.CLIENT_ID, entraid_tenant_id=kit.TENANT)
    with pytest.raises(ValueError, match="ssl-certfile"):
        Settings(host="0.0.0.0", **signed).check_serving()
    warnings = Settings(host="0.0.0.0", allow_plain_http=True, **signed).check_serving()
    assert warnings and "unencrypted" in warnings[0]
    assert Settings(host="0.0.0.0", ssl_certfile="c.pem", ssl_keyfile="k.pem",
                    **signed).check_serving() == []


def test_tarifa_serve_refuses_no_auth_beyond_loopback():
    done = subprocess.run([sys.executable, "-m", "addin.cli", "serve", "--no-auth", "--host",
                           "0.0.0.0", "--license-key", "noncommercial"], capture_output=True,
                          text=True, cwd=kit.ROOT, env=os.environ.copy(), timeout=60)
    assert done.returncode == 2 and "--no-auth" in done.stderr and "refused" in done.stderr


def test_manifest_asks_excel_for_single_sign_on(jwks_file, client):
    xml = client.get("/manifest.xml").text
    assert f"<Id>{kit.CLIENT_ID}</Id>" in xml
    assert f"<Resource>api://localhost:8000/{kit.CLIENT_ID}</Resource>" in xml
    code = client.get(server.CODE_PATH).text
    assert '"signIn": {"dialogPath": "/auth/dialog"}' in code
    dialog = client.get("/auth/dialog").text
    assert f"https://login.microsoftonline.com/{kit.TENANT}" in dialog
    assert "code_challenge_method" in dialog and "https://localhost:8000/auth/dialog" in dialog
    no_auth = TestClient(server.create_app(Settings(license_key="noncommercial",
                                                    auth=AUTH_NONE)))
    assert "WebApplicationInfo" not in no_auth.get("/manifest.xml").text
    assert '"signIn": null' in no_auth.get(server.CODE_PATH).text
    assert no_auth.get("/auth/dialog").status_code == 404
