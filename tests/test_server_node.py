"""A real JavaScript client: the served code, loaded unmodified in node with a minimal Office
runtime stand-in, calling a real ``tarifa serve`` (sign-in on, keys from a local JWKS file) over
HTTP on 127.0.0.1, the way Excel calls a custom function.

MS-1: 120 used, 100 included -> 20 x 0.27 = 5.40 EUR; 130 -> 30 x 0.27 = 8.10 EUR; a negative
quantity is #NUM!, an unknown item #VALUE!.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import httpx
import pytest

from addin import server
from tests import serverkit as kit

pytestmark = pytest.mark.skipif(shutil.which("node") is None,
                                reason="node is not installed: the JavaScript client cannot run")

# Excel's side: Office.js objects stubbed (Office.auth.getAccessToken hands out TOKEN, or fails
# when TOKEN is empty), the served JavaScript evaluated as it is, and the registered functions
# called as Excel calls them (2-D matrices, undefined for omitted arguments, the invocation
# last). CustomFunctions.Error keeps its code and message so that the test can read them.
_EXCEL = r"""
const [url, scenario] = process.argv.slice(-2);
const code = require("fs").readFileSync(0, "utf8");
let tokenRequests = 0;
globalThis.window = { location: { origin: url } };
globalThis.Office = {
  onReady: () => Promise.resolve({}),
  context: { contentLanguage: "en-US",
             requirements: { isSetSupported: (set, v) => v === "1.4" } },
  auth: { getAccessToken: async () => {
    tokenRequests += 1;
    if (!process.env.TOKEN) throw { code: 13001, message: "The user is not signed in." };
    return process.env.TOKEN;
  } },
};
// With DIALOG_TOKEN: Office's dialog API, whose page sends that token back.
let dialogUrl = null;
if (process.env.DIALOG_TOKEN) {
  Office.AsyncResultStatus = { Succeeded: "succeeded" };
  Office.EventType = { DialogMessageReceived: "message", DialogEventReceived: "event" };
  Office.context.ui = { displayDialogAsync: (address, options, opened) => {
    dialogUrl = address;
    const dialog = { close() {}, addEventHandler(type, handler) {
      if (type === "message") {
        setTimeout(() => handler({ message: JSON.stringify({ token: process.env.DIALOG_TOKEN }) }));
      }
    } };
    opened({ status: "succeeded", value: dialog });
  } };
}
const loadable = (o) => Object.assign(o, { load() {} });
globalThis.Excel = { run: async (body) => body({
  application: { cultureInfo: loadable({ name: "en-US",
    datetimeFormat: loadable({ shortDatePattern: "yyyy-mm-dd" }) }) },
  workbook: loadable({ name: "Tarifa.xlsx" }),
  sync: async () => {},
}) };
const registered = {};
class ExcelError { constructor(code, message) { this.code = code; this.message = message; } }
globalThis.CustomFunctions = {
  associate: (id, fn) => { registered[id] = fn; },
  Error: ExcelError,
  ErrorCode: { invalidValue: "#VALUE!", notAvailable: "#N/A", invalidNumber: "#NUM!",
               divisionByZero: "#DIV/0!", nullReference: "#NULL!", invalidName: "#NAME?",
               invalidReference: "#REF!" },
};
eval(code);
const at = { address: "Sheet1!E2" };
const cell = (v) => (v instanceof ExcelError ? { error: v.code, message: v.message ?? null } : v);
async function outcome(promise) {
  try { return { value: (await promise).map((row) => row.map(cell)) }; }
  catch (e) { return { thrown: cell(e) }; }
}
const overage = registered["MSIGN_OVERAGE"];
const scenarios = {
  values: () => overage([["transaction"], ["transaction"]], [[120], [130]], [[100]],
                        undefined, undefined, undefined, at),
  cells: () => overage([["transaction"], ["transaction"], ["transaction"], ["bogus"]],
                       [[120], [130], [-5], [1]], [[100]], undefined, undefined, undefined, at),
  refused: () => overage([["transaction"], ["user"]], [[1], [2], [3]], undefined, undefined,
                         undefined, undefined, at),
};
(async () => {
  const result = await outcome(scenarios[scenario]());
  console.log(JSON.stringify({ result, tokenRequests, dialogUrl,
                               count: Object.keys(registered).length }));
})();
"""


def _excel(url: str, code: str, scenario: str, token: str, dialog_token: str = "") -> dict:
    done = subprocess.run(["node", "-e", _EXCEL, url, scenario], input=code,
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, TOKEN=token, DIALOG_TOKEN=dialog_token))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    jwks_file = kit.write_jwks(tmp_path_factory.mktemp("keys"))
    with kit.serving(*kit.signin_args(jwks_file)) as (url, _):
        code = httpx.get(url + server.CODE_PATH, timeout=10).text
        functions = len(httpx.get(url + server.META_PATH, timeout=10).json()["functions"])
        yield url, code, functions


def test_ms1_signed_in_excel_gets_the_values(served):
    url, code, functions = served
    seen = _excel(url, code, "values", kit.token())
    assert seen["result"] == {"value": [[5.40], [8.10]]}  # MS-1: 20 x 0.27, 30 x 0.27
    assert seen["count"] == functions and seen["tokenRequests"] == 1


def test_error_cells_become_excel_errors_with_their_reason(served):
    url, code, _ = served
    seen = _excel(url, code, "cells", kit.token())
    assert seen["result"] == {"value": [
        [5.40], [8.10],  # MS-1
        # #NUM!: Excel shows no custom message with it (Microsoft's ErrorCode reference)
        [{"error": "#NUM!", "message": None}],
        [{"error": "#VALUE!", "message": "MSIGN_OVERAGE: unknown mSign item 'bogus'; valid "
                                         "items: transaction, onesign, rekono_qes, rekono_aes, "
                                         "user, api, storage_gb, sms (row 4)"}]]}


def test_a_refused_call_is_one_excel_error_with_the_servers_message(served):
    url, code, _ = served
    seen = _excel(url, code, "refused", kit.token())
    assert seen["result"] == {"thrown": {
        "error": "#VALUE!",
        "message": "MSIGN_OVERAGE: the ranges have different sizes (item 2x1, used 3x1); give "
                   "ranges of the same size or single cells"}}


def test_a_bad_token_gets_401_in_the_cell_after_one_renewal(served):
    url, code, _ = served
    seen = _excel(url, code, "values", kit.token(exp=1_000_000_000))  # expired in 2001
    assert seen["result"] == {"thrown": {"error": "#VALUE!",
                                         "message": "the sign-in has expired: sign in again"}}
    assert seen["tokenRequests"] == 2  # the 401 made it ask Office for a token once more


def test_no_sign_in_says_so_in_the_cell(served):
    url, code, _ = served
    seen = _excel(url, code, "values", "")  # Office.auth.getAccessToken fails
    assert seen["result"]["thrown"]["error"] == "#VALUE!"
    assert seen["result"]["thrown"]["message"].startswith("Tarifa: sign-in failed")
    # and the server itself: no token, 401
    response = httpx.post(url + server.CALL_PATH, timeout=10,
                          json={"func_name": "MSIGN_OVERAGE", "args": []})
    assert response.status_code == 401


def test_without_single_sign_on_the_dialog_signs_in(served):
    url, code, _ = served
    seen = _excel(url, code, "values", "", dialog_token=kit.token())
    assert seen["result"] == {"value": [[5.40], [8.10]]}  # MS-1
    assert seen["dialogUrl"] == url + "/auth/dialog"


# The sign-in dialog page's script, run twice as the browser would: first it sends the user to
# Entra ID's authorize endpoint (with a PKCE challenge), then, back with ?code=..., it redeems
# the code at the token endpoint (fetch stubbed: no network) and hands the token to the add-in.
_DIALOG = r"""
const script = require("fs").readFileSync(0, "utf8");
const storage = new Map();
globalThis.sessionStorage = { getItem: (k) => storage.get(k) ?? null,
                              setItem: (k, v) => storage.set(k, v),
                              removeItem: (k) => storage.delete(k) };
const sent = [];
let assigned = null;
let tokenRequest = null;
globalThis.Office = { onReady: (f) => f(),
                      context: { ui: { messageParent: (m) => sent.push(m) } } };
globalThis.fetch = async (address, init) => {
  tokenRequest = { address, body: Object.fromEntries(new URLSearchParams(init.body)) };
  return { json: async () => ({ access_token: "the-token" }) };
};
const run = (search) => {
  globalThis.window = { location: { search, assign: (u) => { assigned = u; } } };
  eval(script);
};
(async () => {
  run("");
  await new Promise((r) => setTimeout(r, 100));
  const authorize = new URL(assigned);
  const query = Object.fromEntries(authorize.searchParams);
  run(`?code=the-code&state=${query.state}`);
  await new Promise((r) => setTimeout(r, 100));
  const digest = require("crypto").createHash("sha256")
    .update(tokenRequest.body.code_verifier).digest("base64url");
  console.log(JSON.stringify({ authorize: authorize.origin + authorize.pathname, query,
                               tokenRequest, sent, pkce: digest === query.code_challenge }));
})();
"""


def test_the_dialog_page_runs_the_code_flow_with_pkce(tmp_path):
    from addin.server import assets
    from addin.server.settings import Settings

    settings = Settings(entraid_client_id=kit.CLIENT_ID, entraid_tenant_id=kit.TENANT,
                        base_url="https://tools.example.com/tarifa")
    page = assets.signin_dialog_html(settings, "/tarifa/auth/dialog")
    script = page.split("<script>")[1].split("</script>")[0]
    done = subprocess.run(["node", "-e", _DIALOG], input=script, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    authority = f"https://login.microsoftonline.com/{kit.TENANT}/oauth2/v2.0"
    scope = f"api://tools.example.com/tarifa/{kit.CLIENT_ID}/access_as_user"
    assert seen["authorize"] == authority + "/authorize"
    query = seen["query"]
    assert (query["client_id"], query["response_type"], query["code_challenge_method"]) == \
        (kit.CLIENT_ID, "code", "S256")
    assert query["redirect_uri"] == "https://tools.example.com/tarifa/auth/dialog"
    assert query["scope"] == scope + " openid profile"
    assert seen["tokenRequest"]["address"] == authority + "/token"
    body = seen["tokenRequest"]["body"]
    assert (body["grant_type"], body["code"], body["scope"]) == \
        ("authorization_code", "the-code", scope)
    assert seen["pkce"]  # the verifier sent hashes to the challenge sent before
    assert seen["sent"] == [json.dumps({"token": "the-token"}, separators=(",", ":"))]
