"""``tarifa serve``'s endpoints, manifest, settings and command (xlwings Server).

Hand-checked number, MS-1: 120 transactions used, 100 included -> 20 x 0.27 EUR = 5.40 EUR;
130 used -> 30 x 0.27 = 8.10 EUR.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from addin import server
from addin.server.settings import AUTH_NONE
from tests import serverkit as kit
from tests.officejs import body

ROOT = Path(__file__).resolve().parents[1]
VALUE = {"type": "Error", "errorType": "Value"}
OFFICE = "{http://schemas.microsoft.com/office/appforoffice/1.1}"
BT = "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}"
SIGN_IN = ("--entraid-client-id", kit.CLIENT_ID, "--entraid-tenant-id", kit.TENANT)


def tarifa(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``tarifa ARGS`` in a fresh process (xlwings not yet imported there)."""
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env or os.environ.copy(), timeout=60)


@pytest.fixture(scope="module")
def client() -> TestClient:
    # sign-in: tests/test_server_auth.py
    return TestClient(server.create_app(server.Settings(license_key="noncommercial",
                                                        auth=AUTH_NONE)))


def test_ms1_server_call_over_http_with_the_office_js_body(client):
    # =TARIFA.MSIGN_OVERAGE(A2:A4, B2:B4, 100): the exact JSON Excel's runtime posts
    data = body("MSIGN_OVERAGE", [["transaction"], ["transaction"], ["bogus"]],
                [[120], [130], [120]], 100)
    response = client.post(server.CALL_PATH, json=data)
    assert response.status_code == 200
    # MS-1: 20 x 0.27 = 5.40, 30 x 0.27 = 8.10; the unknown item is an error cell, not 0
    answer = response.json()
    assert answer["result"] == [[5.40], [8.10], [VALUE]]
    assert answer["errors"] == [[2, 0, 0]] and "unknown mSign item" in answer["reasons"][0]


def test_server_call_of_an_unknown_function_is_refused(client):
    response = client.post(server.CALL_PATH, json=body("NO_SUCH_FUNCTION", 1))
    assert response.status_code == 404 and "NO_SUCH_FUNCTION" in response.text


def test_server_metadata_lists_the_functions_with_their_docs(client):
    meta = client.get(server.META_PATH).json()
    functions = {f["id"]: f for f in meta["functions"]}
    overage = functions["MSIGN_OVERAGE"]
    assert overage["name"] == "MSIGN_OVERAGE"  # the namespace comes from the manifest
    assert "MS-1" in overage["description"]
    params = [(p["name"], p.get("optional", False)) for p in overage["parameters"]]
    assert params == [("item", False), ("used", False), ("included", True), ("package", True),
                      ("unit_price", True), ("tariff", True), ("month", True)]
    assert all(p["description"] for f in meta["functions"] for p in f["parameters"])
    assert {"MSIGN_OVERAGE_CHECK", "NENSI_ANNUAL", "ESIGN_PRORATE"} <= set(functions)


def test_server_code_registers_every_function_and_posts_to_the_call_path(client):
    meta = client.get(server.META_PATH).json()
    response = client.get(server.CODE_PATH)
    assert response.headers["content-type"].startswith("text/javascript")
    code = response.text
    for f in meta["functions"]:
        assert f'CustomFunctions.associate("{f["id"]}", tarifa_{f["id"]});' in code
    assert json.dumps(server.CALL_PATH) in code


def test_code_calls_the_server_by_python_name_and_excel_by_id():
    code = server.assets.functions_code([("HELLO", "hello")], "/call", "0.0")
    assert 'CustomFunctions.associate("HELLO", tarifa_HELLO);' in code
    assert 'tarifaCall("hello", ' in code


def test_server_task_pane_loads_office_js_and_the_functions(client):
    page = client.get("/taskpane").text
    assert "office.js" in page and server.CODE_PATH in page
    assert client.get("/icon-80.png").content.startswith(b"\x89PNG")


def test_manifest_points_excel_to_the_server_with_the_namespace():
    settings = server.Settings(namespace="TARIFA", base_url="https://tarifa.example:8443")
    root = ET.fromstring(server.assets.manifest_xml(settings))
    assert uuid.UUID(root.find(f"{OFFICE}Id").text)
    strings = {e.get("id"): e.get("DefaultValue") for e in root.iter(f"{BT}String")}
    urls = {e.get("id"): e.get("DefaultValue") for e in root.iter(f"{BT}Url")}
    assert strings["Tarifa.Functions.Namespace"] == "TARIFA"
    assert urls["Tarifa.Functions.Script.Url"] == "https://tarifa.example:8443" + server.CODE_PATH
    assert urls["Tarifa.Functions.Metadata.Url"] == \
        "https://tarifa.example:8443" + server.META_PATH
    assert urls["Tarifa.Taskpane.Url"] == "https://tarifa.example:8443/taskpane"
    # the same settings give the same add-in id (re-generating does not make a new add-in)
    assert settings.addin_id() == server.Settings(namespace="TARIFA",
                                                  base_url="https://tarifa.example:8443/").addin_id()


def test_manifest_without_namespace_has_no_namespace_element():
    # --namespace "": formulas =MSIGN_OVERAGE(...) as in Lite and desktop xlwings
    root = ET.fromstring(server.assets.manifest_xml(server.Settings(namespace="")))
    assert not [e for e in root.iter() if e.tag.endswith("}Namespace")]
    assert "Tarifa.Functions.Namespace" not in server.assets.manifest_xml(
        server.Settings(namespace=""))


def test_settings_from_the_environment():
    assert server.Settings.from_env({}) == server.Settings()  # TARIFA, no key, localhost
    settings = server.Settings(namespace="X", base_url="https://h/t", allowed_users=("a", "b"),
                               max_body_mb=2.5, auth=AUTH_NONE)
    assert server.Settings.from_env(settings.to_env()) == settings  # what workers get
    env = {"XLWINGS_FUNCTIONS_NAMESPACE": "PRICES", "XLWINGS_LICENSE_KEY": "noncommercial",
           "TARIFA_SERVER_URL": "https://tarifa.example/"}
    settings = server.Settings.from_env(env)
    assert (settings.namespace, settings.license_key) == ("PRICES", "noncommercial")
    assert settings.public_url() == "https://tarifa.example"
    assert server.Settings().public_url() == "https://localhost:8000"


def test_settings_refuse_what_excel_would_refuse():
    server.Settings(auth=AUTH_NONE).check()
    for changes, says in ((dict(namespace="TARIFA.X"), "namespace"),
                          (dict(namespace="A" * 33), "namespace"),
                          (dict(base_url="http://localhost:8000"), "https"),
                          (dict(base_url="https://"), "https"),
                          (dict(root_path="tarifa"), "root path"),
                          (dict(ssl_certfile="cert.pem"), "ssl-keyfile"),
                          (dict(max_body_mb=0), "body limit")):
        with pytest.raises(ValueError, match=says):
            server.Settings(auth=AUTH_NONE, **changes).check()


def test_tarifa_serve_help_and_write_manifest(tmp_path):
    done = tarifa("serve", "--help")
    assert done.returncode == 0 and "--port" in done.stdout and "PolyForm" in done.stdout
    path = tmp_path / "manifest.xml"
    done = tarifa("serve", "--namespace", "PRICES", *SIGN_IN, "--write-manifest", str(path))
    assert done.returncode == 0, done.stderr
    assert 'DefaultValue="PRICES"' in path.read_text()


def test_tarifa_serve_without_a_licence_key_says_so():
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_LICENSE_KEY"}
    done = tarifa("serve", *SIGN_IN, env=env)
    assert done.returncode == 2 and "XLWINGS_LICENSE_KEY" in done.stderr


