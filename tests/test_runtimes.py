"""The three runtimes: xlwings Server over HTTP (``tarifa serve``), the xlwings Lite bundle
(``tarifa lite``) and desktop xlwings (``tarifa desktop``, which needs Excel on Windows).

Hand-checked number used throughout, MS-1: 120 transactions used, 100 included ->
20 x 0.27 EUR = 5.40 EUR; 130 used -> 30 x 0.27 = 8.10 EUR.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from addin import desktop, lite, server
from tests.officejs import body, call, serial

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
VALUE = {"type": "Error", "errorType": "Value"}
OFFICE = "{http://schemas.microsoft.com/office/appforoffice/1.1}"
BT = "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}"


def tarifa(*args: str, env: dict | None = None, cwd: Path = ROOT,
           timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``tarifa ARGS`` in a fresh process (xlwings not yet imported there)."""
    return subprocess.run([PY, "-m", "addin.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env or os.environ.copy(), timeout=timeout)


# --- xlwings Server --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(server.create_app(server.Settings(license_key="noncommercial")))


def test_ms1_server_call_over_http_with_the_office_js_body(client):
    # =TARIFA.MSIGN_OVERAGE(A2:A4, B2:B4, 100): the exact JSON Excel's runtime posts
    data = body("MSIGN_OVERAGE", [["transaction"], ["transaction"], ["bogus"]],
                [[120], [130], [120]], 100)
    response = client.post(server.CALL_PATH, json=data)
    assert response.status_code == 200
    # MS-1: 20 x 0.27 = 5.40, 30 x 0.27 = 8.10; the unknown item is an error cell, not 0
    assert response.json() == {"result": [[5.40], [8.10], [VALUE]]}


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
    env = {"XLWINGS_FUNCTIONS_NAMESPACE": "PRICES", "XLWINGS_LICENSE_KEY": "noncommercial",
           "TARIFA_SERVER_URL": "https://tarifa.example/"}
    settings = server.Settings.from_env(env)
    assert (settings.namespace, settings.license_key) == ("PRICES", "noncommercial")
    assert settings.public_url() == "https://tarifa.example"
    assert server.Settings().public_url() == "https://localhost:8000"


def test_settings_refuse_what_excel_would_refuse():
    for bad in (server.Settings(namespace="TARIFA.X"), server.Settings(namespace="A" * 33),
                server.Settings(base_url="http://localhost:8000"),
                server.Settings(ssl_certfile="cert.pem")):
        with pytest.raises(ValueError):
            bad.check()


def test_tarifa_serve_help_and_write_manifest(tmp_path):
    done = tarifa("serve", "--help")
    assert done.returncode == 0 and "--port" in done.stdout and "PolyForm" in done.stdout
    path = tmp_path / "manifest.xml"
    done = tarifa("serve", "--namespace", "PRICES", "--write-manifest", str(path))
    assert done.returncode == 0, done.stderr
    assert 'DefaultValue="PRICES"' in path.read_text()


def test_tarifa_serve_without_a_licence_key_says_so():
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_LICENSE_KEY"}
    done = tarifa("serve", env=env)
    assert done.returncode == 2 and "XLWINGS_LICENSE_KEY" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Excel's side, simulated in node: Office.js objects stubbed, the served JavaScript evaluated,
# and the registered function called the way Excel calls it (arguments as 2-D matrices,
# undefined for omitted optional ones, the invocation last). fetch is node's own.
_NODE_EXCEL = """
const url = process.argv[process.argv.length - 1];
const code = require("fs").readFileSync(0, "utf8");
globalThis.window = { location: { origin: url } };
globalThis.Office = {
  onReady: () => Promise.resolve({}),
  context: { contentLanguage: "en-US",
             requirements: { isSetSupported: (set, v) => v === "1.4" } },
};
const loadable = (o) => Object.assign(o, { load() {} });
globalThis.Excel = { run: async (body) => body({
  application: { cultureInfo: loadable({ name: "en-US",
    datetimeFormat: loadable({ shortDatePattern: "yyyy-mm-dd" }) }) },
  workbook: loadable({ name: "Tarifa.xlsx" }),
  sync: async () => {},
}) };
const registered = {};
globalThis.CustomFunctions = {
  associate: (id, fn) => { registered[id] = fn; },
  Error: class extends Error { constructor(code, message) { super(message); } },
  ErrorCode: { invalidValue: "#VALUE!" },
};
eval(code);
const invocation = { address: "Sheet1!E2" };
(async () => {
  const ok = await registered["MSIGN_OVERAGE"](
    [["transaction"], ["transaction"]], [[120], [130]], [[100]], undefined, undefined,
    undefined, invocation);
  let refused = null;
  try {  // ranges of 2 and 3 rows do not broadcast: the server refuses the call
    await registered["MSIGN_OVERAGE"]([["transaction"], ["user"]], [[1], [2], [3]],
                                      undefined, undefined, undefined, undefined, invocation);
  }
  catch (e) { refused = e.message; }
  console.log(JSON.stringify({ ok, refused, count: Object.keys(registered).length }));
})();
"""


def _excel_in_node(url: str, code: str) -> dict:
    done = subprocess.run(["node", "-e", _NODE_EXCEL, url], input=code, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ms1_tarifa_serve_answers_on_127_0_0_1():
    port = _free_port()
    proc = subprocess.Popen([PY, "-m", "addin.cli", "serve", "--port", str(port),
                             "--license-key", "noncommercial", "--log-level", "warning"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                meta = httpx.get(url + server.META_PATH, timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "tarifa serve did not answer within 20 s"
                time.sleep(0.2)
        assert meta.status_code == 200
        result = httpx.post(url + server.CALL_PATH, timeout=10,
                            json=body("MSIGN_OVERAGE", "transaction", 120, 100)).json()
        assert result == {"result": [[5.40]]}  # MS-1: 20 x 0.27
        if shutil.which("node"):  # the served JavaScript, run as Excel would run it
            code = httpx.get(url + server.CODE_PATH, timeout=10).text
            seen = _excel_in_node(url, code)
            assert seen["ok"] == [[5.40], [8.10]]  # MS-1: 20 x 0.27, 30 x 0.27
            # a call the server refuses becomes an error carrying the server's text
            assert "MSIGN_OVERAGE" in seen["refused"]
            assert seen["count"] == len(meta.json()["functions"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- xlwings Lite ----------------------------------------------------------------------------

# Calls compared between the Lite bundle and udfs.functions (one per price list at least).
LITE_CASES = [
    ("MSIGN_OVERAGE", [[["transaction"], ["transaction"], ["bogus"]], [[120], [130], [1]], 100]),
    ("MSIGN_OVERAGE_CHECK", [[["transaction"], ["bogus"]], 120, 100]),
    ("MSIGN_SWITCH_DATE", [[[serial("2024-03-05")], ["2024-12-31"]]]),
    ("MSIGN_REKONO_TX", [[[11], [5]], 2]),
    ("TARIFF_PRICE", [[["transaction"], ["entry"], ["nope"]]]),
    ("NENSI_ANNUAL", [[["forms"], ["pharmacy"]], [["2024-01-15"], ["2024-04-10"]]]),
    ("NENSI_MAINT", [serial("2024-05-03"), [[serial("2024-05-31")], [serial("2024-06-01")]], 10]),
    ("ESIGN_SIGNATURES", [[["electronic"], ["qualified"]], [[100], [3]], "2024-05-01"]),
    ("TARIFA_VAT", [[[10], [20.5]], [[22], [9.5]]]),
]

# Runs in a fresh interpreter in an empty folder: the repository's own packages are made
# unreachable (the editable install's finder removed), then the bundle is imported.
_LITE_SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    sys.meta_path[:] = [f for f in sys.meta_path
                        if "__editable__" not in getattr(f, "__module__", "")]
    sys.path[:] = [p for p in sys.path if p not in ("", {root!r})]
    try:
        import pricing
        raise SystemExit("the repository's pricing package is importable: " + pricing.__file__)
    except ModuleNotFoundError:
        pass
    sys.path.insert(0, {bundle!r})
    import main
    from xlwings.server import custom_functions_call, custom_functions_meta
    files = sorted({{m.__file__ for n, m in sys.modules.items()
                    if n.split(".")[0] in ("pricing", "udfs")}})
    bodies = json.loads(sys.stdin.read())
    results = [asyncio.run(custom_functions_call(b, main)) for b in bodies]
    print(json.dumps({{"files": files, "results": results,
                      "functions": len(custom_functions_meta(main)["functions"])}}))
""")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return lite.write_bundle(tmp_path_factory.mktemp("lite"))[0].parent


def test_lite_bundle_is_main_py_and_requirements_of_what_pyodide_provides(bundle):
    assert sorted(p.name for p in bundle.iterdir()) == ["main.py", "requirements.txt"]
    import xlwings

    assert (bundle / "requirements.txt").read_text().split() == \
        [f"xlwings=={xlwings.__version__}", "numpy"]
    main = (bundle / "main.py").read_text()
    compile(main, "main.py", "exec")
    for name in lite.tariff_texts():  # every built-in price list travels inside main.py
        assert repr(name) in main


def test_ms1_lite_bundle_runs_without_the_repository_and_matches_udfs(bundle, tmp_path):
    bodies = [body(name, *args) for name, args in LITE_CASES]
    env = os.environ.copy()
    env.pop("PYTHONPATH", None)
    done = subprocess.run([PY, "-c", _LITE_SCRIPT.format(root=str(ROOT), bundle=str(bundle))],
                          input=json.dumps(bodies), capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["files"] and all(f.startswith("<tarifa>/") for f in out["files"]), out["files"]
    assert out["results"][0] == [[5.40], [8.10], [VALUE]]  # MS-1: 20 x 0.27, 30 x 0.27
    expected = [call(name, *args) for name, args in LITE_CASES]
    assert out["results"] == expected
    import xlwings.server

    from udfs import functions

    assert out["functions"] == len(xlwings.server.custom_functions_meta(functions)["functions"])


def test_tarifa_lite_writes_the_bundle(tmp_path):
    done = tarifa("lite", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "main.py").exists() and (tmp_path / "requirements.txt").exists()


# --- desktop xlwings -------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="on Windows the command does the set-up")
def test_tarifa_desktop_without_excel_says_so_and_succeeds():
    done = tarifa("desktop")
    assert done.returncode == 0, done.stderr
    assert "needs Excel on Windows" in done.stdout


def test_desktop_conf_sets_udf_modules_and_keeps_other_lines():
    old = '"LICENSE_KEY","abc"\n"UDF MODULES","old_module"\n\n"DEBUG UDFS","False"\n'
    new = desktop.updated_conf(old, {"UDF MODULES": "udfs.functions", "PYTHONPATH": r"C:\t"})
    assert new.splitlines() == ['"LICENSE_KEY","abc"', '"DEBUG UDFS","False"',
                                '"UDF MODULES","udfs.functions"', r'"PYTHONPATH","C:\t"']
    settings = desktop.conf_settings(Path("C:/env/python.exe"), Path("C:/tarifa"))
    assert settings["UDF MODULES"] == "udfs.functions"
