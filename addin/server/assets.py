"""What ``tarifa serve`` hands to Excel besides JSON: the custom-functions JavaScript, the task
pane page, the add-in manifest and the icons. Plain text generated from the functions'
metadata; no files, no downloads (Office.js itself comes from Microsoft's CDN)."""

from __future__ import annotations

import html
import json
import re
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

if TYPE_CHECKING:
    from addin.server.settings import Settings

OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
# The endpoint paths of the xlwings-server project (app/routers/xlwings.py there).
META_PATH = "/xlwings/custom-functions-meta"
CODE_PATH = "/xlwings/custom-functions-code"
CALL_PATH = "/xlwings/custom-functions-call"
TARIFA_BLUE = (0x1F, 0x4E, 0x79)

# The JavaScript each call runs (functions.js): it posts the body xlwings' own Office.js code
# sends (see xlwings.server.custom_functions_call): func_name, args (one 2-D matrix per
# argument, null when omitted), caller_address, content_language, culture_info_name,
# date_format, version, runtime; with sign-in, an Entra ID bearer token. Error cells of the
# answer become CustomFunctions.Error; a refused call, an Excel error with the server's text.
_CODE = (Path(__file__).with_name("functions.js")).read_text(encoding="utf-8")
_CONFIG_MARK = "/*TARIFA_CONFIG*/ null"

# Excel passes the declared parameters (undefined when omitted) and, last, the invocation.
_CODE_FUNCTION = """
function %(js)s(...params) {
  return tarifaCall(%(name)s, params.slice(0, -1), params[params.length - 1]);
}
CustomFunctions.associate(%(id)s, %(js)s);
"""


def formula_prefix(namespace: str) -> str:
    """What precedes a function's name in a formula: ``TARIFA.`` or nothing."""
    return f"{namespace}." if namespace else ""


def functions_code(functions: Iterable[tuple[str, str]], call_path: str,
                   xlwings_version: str, dialog_path: str | None = None) -> str:
    """The JavaScript that registers each function, given as (metadata id, Python name): Excel
    calls it by id, the server by the Python name (xlwings: id = name in upper case).
    ``dialog_path``: sign in (the path of the sign-in dialog page); None: no sign-in."""
    config = {"callPath": call_path, "xlwingsVersion": xlwings_version,
              "signIn": {"dialogPath": dialog_path} if dialog_path else None}
    parts = [_CODE.replace(_CONFIG_MARK, json.dumps(config), 1)]
    for function_id, python_name in functions:
        js = "tarifa_" + re.sub(r"\W", "_", function_id)
        parts.append(_CODE_FUNCTION % {"js": js, "name": json.dumps(python_name),
                                       "id": json.dumps(function_id)})
    return "".join(parts)


def taskpane_html(namespace: str, meta: dict, code_path: str) -> str:
    """The add-in's page: Excel runs the custom functions in it (shared runtime)."""
    prefix = html.escape(formula_prefix(namespace))
    names = "".join(f"<li><code>={prefix}{html.escape(f['name'])}</code> "
                    f"{html.escape(f['description'])}</li>"
                    for f in meta["functions"] if not f["name"].endswith("_CHECK"))
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tarifa</title>
  <script src="{OFFICE_JS}"></script>
  <script src="{html.escape(code_path)}"></script>
  <style>body {{ font-family: Segoe UI, sans-serif; font-size: 13px; margin: 12px; }}
  code {{ color: #1f4e79; }}</style>
</head>
<body>
  <h3>Tarifa</h3>
  <p>{len(meta["functions"])} worksheet functions, typed as
  <code>={prefix}NAME(...)</code>. Every function <code>F</code> has a
  companion <code>F_CHECK</code> that says why a cell is an error.</p>
  <ul>{names}</ul>
</body>
</html>
"""


def index_html(namespace: str, meta: dict, prefix: str = "") -> str:
    """The server's home page; ``prefix`` is the sub-path behind a reverse proxy."""
    root = html.escape(prefix)
    return (f"<!doctype html><title>Tarifa</title><h3>Tarifa on xlwings Server</h3>"
            f"<p>{len(meta['functions'])} functions, typed as "
            f"={html.escape(formula_prefix(namespace))}NAME(...). "
            f"<a href='{root}/manifest.xml'>manifest.xml</a> &middot; <a href='{root}/taskpane'>"
            f"task pane</a> &middot; <a href='{root}{META_PATH}'>metadata</a></p>")


# The sign-in dialog (Office.context.ui.displayDialogAsync) for where Office single sign-on is
# not available: the OAuth 2.0 authorization code flow with PKCE against Entra ID (the app
# registration's redirect URI, of type "single-page application", is this page), then the access
# token goes to the add-in with Office.context.ui.messageParent.
_SIGNIN_DIALOG = r"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tarifa: sign in</title>
  <script src="%(office_js)s"></script>
</head>
<body style="font-family: Segoe UI, sans-serif">
<p id="state">Signing in to Tarifa...</p>
<script>
const CONFIG = %(config)s;
function b64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}
function send(message) {
  Office.context.ui.messageParent(JSON.stringify(message));
}
async function start() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  sessionStorage.setItem("tarifa.signin", JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    client_id: CONFIG.clientId, response_type: "code", redirect_uri: CONFIG.redirectUri,
    scope: CONFIG.scope + " openid profile", response_mode: "query", state,
    code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: "S256",
  });
  window.location.assign(`${CONFIG.authority}/oauth2/v2.0/authorize?${query}`);
}
async function finish(params) {
  const saved = JSON.parse(sessionStorage.getItem("tarifa.signin") || "{}");
  sessionStorage.removeItem("tarifa.signin");
  if (params.get("error")) {
    return send({ error: params.get("error_description") || params.get("error") });
  }
  if (!saved.state || params.get("state") !== saved.state) {
    return send({ error: "sign-in answer does not match the request (state)" });
  }
  const response = await fetch(`${CONFIG.authority}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: CONFIG.clientId, grant_type: "authorization_code", code: params.get("code"),
      redirect_uri: CONFIG.redirectUri, code_verifier: saved.verifier, scope: CONFIG.scope,
    }),
  });
  const data = await response.json();
  send(data.access_token ? { token: data.access_token }
                         : { error: data.error_description || data.error || "no token" });
}
Office.onReady(() => {
  const params = new URLSearchParams(window.location.search);
  (params.has("code") || params.has("error") ? finish(params) : start())
    .catch((e) => send({ error: String(e) }));
});
</script>
</body>
</html>
"""


def signin_dialog_html(settings: Settings, dialog_path: str) -> str:
    """The sign-in dialog page (see ``_SIGNIN_DIALOG``)."""
    tenants = settings.tenants()
    tenant = tenants[0] if len(tenants) == 1 else "organizations"
    config = {"clientId": settings.entraid_client_id,
              "authority": f"https://login.microsoftonline.com/{tenant}",
              "redirectUri": settings.public_url() + dialog_path[len(settings.prefix()):],
              "scope": settings.scope()}
    # </script> cannot occur in JSON of these values, but escape "<" anyway
    text = json.dumps(config).replace("<", "\\u003c")
    return _SIGNIN_DIALOG % {"office_js": OFFICE_JS, "config": text}


def manifest_xml(settings: Settings) -> str:
    """The add-in manifest (XML, add-in only manifest) with a shared runtime: the task pane
    page hosts the custom functions; their metadata and code come from the server."""
    base = settings.public_url()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))

    def url(path: str) -> str:
        return quoteattr(base + path)

    name = quoteattr(f"Tarifa ({settings.namespace})" if settings.namespace else "Tarifa")
    code_url, meta_url = url(CODE_PATH), url(META_PATH)
    prefix = formula_prefix(settings.namespace)
    # Without a namespace the functions are typed =MSIGN_OVERAGE(...) (Office: optional).
    namespace_ref, namespace_string = "", ""
    if settings.namespace:
        namespace_ref = '\n            <Namespace resid="Tarifa.Functions.Namespace" />'
        namespace_string = ('\n        <bt:String id="Tarifa.Functions.Namespace" '
                            f'DefaultValue={quoteattr(settings.namespace)} />')
    # Office single sign-on: the app registration whose access tokens the server accepts.
    web_application_info = ""
    if settings.signs_in():
        web_application_info = f"""
    <WebApplicationInfo>
      <Id>{html.escape(settings.entraid_client_id)}</Id>
      <Resource>{html.escape(settings.app_id_uri())}</Resource>
      <Scopes>
        <Scope>openid</Scope>
        <Scope>profile</Scope>
      </Scopes>
    </WebApplicationInfo>"""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- Tarifa's worksheet functions via xlwings Server. Generated by `tarifa serve`:
     sideload this file into Excel (docs/runtimes.md). Formulas: ={prefix}NAME(...) -->
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0"
  xmlns:ov="http://schemas.microsoft.com/office/taskpaneappversionoverrides"
  xsi:type="TaskPaneApp">
  <Id>{settings.addin_id()}</Id>
  <Version>1.0.0.0</Version>
  <ProviderName>Tarifa</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue={name} />
  <Description DefaultValue="Prices usage under the mSign, Tresorit eSign and NENSI price lists." />
  <IconUrl DefaultValue={url("/icon-32.png")} />
  <HighResolutionIconUrl DefaultValue={url("/icon-64.png")} />
  <SupportUrl DefaultValue={url("/")} />
  <AppDomains>
    <AppDomain>{html.escape(origin)}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook" />
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.1">
      <Set Name="SharedRuntime" MinVersion="1.1" />
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue={url("/taskpane")} />
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/taskpaneappversionoverrides"
    xsi:type="VersionOverridesV1_0">
    <Hosts>
      <Host xsi:type="Workbook">
        <Runtimes>
          <Runtime resid="Tarifa.Taskpane.Url" lifetime="long" />
        </Runtimes>
        <AllFormFactors>
          <ExtensionPoint xsi:type="CustomFunctions">
            <Script>
              <SourceLocation resid="Tarifa.Functions.Script.Url" />
            </Script>
            <Page>
              <SourceLocation resid="Tarifa.Taskpane.Url" />
            </Page>
            <Metadata>
              <SourceLocation resid="Tarifa.Functions.Metadata.Url" />
            </Metadata>{namespace_ref}
          </ExtensionPoint>
        </AllFormFactors>
        <DesktopFormFactor>
          <FunctionFile resid="Tarifa.Taskpane.Url" />
          <ExtensionPoint xsi:type="PrimaryCommandSurface">
            <OfficeTab id="TabHome">
              <Group id="Tarifa.Group">
                <Label resid="Tarifa.Group.Label" />
                <Icon>
                  <bt:Image size="16" resid="Tarifa.Icon.16" />
                  <bt:Image size="32" resid="Tarifa.Icon.32" />
                  <bt:Image size="80" resid="Tarifa.Icon.80" />
                </Icon>
                <Control xsi:type="Button" id="Tarifa.TaskpaneButton">
                  <Label resid="Tarifa.TaskpaneButton.Label" />
                  <Supertip>
                    <Title resid="Tarifa.TaskpaneButton.Label" />
                    <Description resid="Tarifa.TaskpaneButton.Tooltip" />
                  </Supertip>
                  <Icon>
                    <bt:Image size="16" resid="Tarifa.Icon.16" />
                    <bt:Image size="32" resid="Tarifa.Icon.32" />
                    <bt:Image size="80" resid="Tarifa.Icon.80" />
                  </Icon>
                  <Action xsi:type="ShowTaskpane">
                    <TaskpaneId>Tarifa.Taskpane</TaskpaneId>
                    <SourceLocation resid="Tarifa.Taskpane.Url" />
                  </Action>
                </Control>
              </Group>
            </OfficeTab>
          </ExtensionPoint>
        </DesktopFormFactor>
      </Host>
    </Hosts>
    <Resources>
      <bt:Images>
        <bt:Image id="Tarifa.Icon.16" DefaultValue={url("/icon-16.png")} />
        <bt:Image id="Tarifa.Icon.32" DefaultValue={url("/icon-32.png")} />
        <bt:Image id="Tarifa.Icon.80" DefaultValue={url("/icon-80.png")} />
      </bt:Images>
      <bt:Urls>
        <bt:Url id="Tarifa.Taskpane.Url" DefaultValue={url("/taskpane")} />
        <bt:Url id="Tarifa.Functions.Script.Url" DefaultValue={code_url} />
        <bt:Url id="Tarifa.Functions.Metadata.Url" DefaultValue={meta_url} />
      </bt:Urls>
      <bt:ShortStrings>{namespace_string}
        <bt:String id="Tarifa.Group.Label" DefaultValue="Tarifa" />
        <bt:String id="Tarifa.TaskpaneButton.Label" DefaultValue="Tarifa" />
      </bt:ShortStrings>
      <bt:LongStrings>
        <bt:String id="Tarifa.TaskpaneButton.Tooltip" DefaultValue="Show Tarifa's functions" />
      </bt:LongStrings>
    </Resources>{web_application_info}
  </VersionOverrides>
</OfficeApp>
"""


def icon_png(size: int, rgb: tuple[int, int, int] = TARIFA_BLUE) -> bytes:
    """A plain square PNG icon of ``size`` pixels (RGB, 8 bits)."""
    row = b"\x00" + bytes(rgb) * size  # filter byte 0 + pixels
    raw = row * size

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
